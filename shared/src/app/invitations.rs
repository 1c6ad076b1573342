//! Invitations: a member who may manage members invites an address into the active brand with
//! a role (at most their own). The link works once, for a week, and only for an account with
//! that address. Inviting needs a verified email.

use crate::Ctx;
use crate::app::auth::one_time::{self, Purpose};
use crate::app::auth::{AuthError, Client, audit, token_hash};
use crate::app::brand_table::whole_write;
use crate::app::brands::{self, BrandError, BrandView};
use crate::app::identity::{self, membership};
use crate::app::mail_queue::{self, MailJob, MailScope};
use crate::app::records::audit::{FieldChange, audit_as};

use crate::app::tenancy::{BrandScope, ScopeError};
use crate::domain::{BrandId, Email, Permission, Role, UserId};
// An invitation commits its one-time token and the auth audit (platform rows) with the
// brand's pointer and trail, so it runs on the function's own credentials, with whole keys.
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, Mail, Write};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub email: String,
    pub role: Role,
    pub expires_at: String,
}

pub async fn invite(
    ctx: &Ctx,
    scope: &BrandScope,
    email: &str,
    role: Role,
    client: &Client,
) -> Result<InvitationView, BrandError> {
    scope.require(Permission::ManageMembers)?;
    let forbidden = || ScopeError::Forbidden {
        role: scope.role(),
        permission: Permission::ManageMembers,
    };
    let inviter = scope.user().ok_or_else(forbidden)?;
    if !scope.role().may_grant(role) {
        return Err(forbidden().into());
    }
    let profile = identity::verified_profile(ctx, inviter, "inviting others").await?;
    let email = Email::parse(email)?;
    let brand = scope
        .table(ctx)
        .get(&crate::keys::brand::row())
        .await?
        .ok_or(BrandError::NoSuchMember)?;
    let brand_name = brand
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("a brand")
        .to_owned();
    let expires = ctx.clock.now() + chrono::Duration::days(7);
    let fields = vec![
        ("brand", Value::from(scope.brand().to_string())),
        ("role", Value::from(role.as_str())),
        ("email", Value::from(email.as_str())),
        ("invited_by", Value::from(inviter.to_string())),
    ];
    let (token, store) = one_time::issue_with(ctx, Purpose::Invitation, fields)?;
    let invitee = token_hash(email.as_str());
    let subject = format!("brand:{} invitee:{invitee} role:{role}", scope.brand());
    // A newer invitation to the same address replaces older ones: the older link is deleted,
    // and the pointer names only the newest.
    let latest = keys::latest_invitation(scope.brand(), &invitee);
    let mut writes = vec![
        store,
        Write::Put {
            item: Item::new(latest.clone())
                .with("token", token_hash(&token))
                .with("expires_at", expires.timestamp()),
            condition: Condition::None,
        },
        audit::record(ctx, Some(inviter), "member.invited", &subject, client),
        // The brand's own trail: an invitation record of its own id, with the role offered
        // (the address stays out of it; the auth trail keeps its hash).
        whole_write(
            scope.brand(),
            audit_as(
                ctx,
                &inviter.to_string(),
                "invited",
                "invitation",
                &crate::domain::new_id(ctx.clock.as_ref()).to_string(),
                &[FieldChange::new("role", Value::Null, role.as_str())],
                client,
            ),
        )
        .map_err(AuthError::from)?,
    ];
    if let Some(older) = ctx.table.get(&latest).await?
        && let Some(hash) = older.get("token").and_then(Value::as_str)
    {
        writes.push(one_time::discard(Purpose::Invitation, hash));
    }
    ctx.table.transact(writes).await?;
    let mail = Mail {
        to: email.clone(),
        subject: format!("{} invited you to {brand_name} on Atelier", profile.name),
        text: format!(
            "{} invited you to join {brand_name} on Atelier as {}.\n\nAccept: {}/invitations/{token}\n\nThe link works once, for 7 days, for an account with this email address.",
            profile.name,
            role.as_str().replace('_', " "),
            ctx.config.app_url
        ),
        idempotency_key: format!("invite-{}", token_hash(&token)),
    };
    mail_queue::enqueue(
        ctx,
        MailScope::Brand(scope.brand()),
        &MailJob::Deliver { mail },
    )
    .await
    .map_err(|e| AuthError::Unavailable(e.to_string()))?;
    Ok(InvitationView {
        email: email.to_string(),
        role,
        expires_at: expires.to_rfc3339(),
    })
}

/// Accepts an invitation as the signed-in user, whose address must be the invited one.
pub async fn accept(
    ctx: &Ctx,
    user: &UserId,
    token: &str,
    client: &Client,
) -> Result<BrandView, BrandError> {
    let (invitation, spend) = one_time::redeem_item(ctx, Purpose::Invitation, token).await?;
    let text = |n: &str| {
        invitation
            .get(n)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let profile = identity::profile(ctx, user)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if profile.email != text("email") {
        // Someone else's invitation: as good as no invitation.
        return Err(AuthError::InvalidCredentials.into());
    }
    let brand = BrandId::parse(&text("brand")).map_err(|_| AuthError::InvalidCredentials)?;
    let role = Role::parse(&text("role")).map_err(|_| AuthError::InvalidCredentials)?;
    // The inviter's authority is checked again now: a demoted or departed inviter's
    // invitations grant nothing they could not grant today.
    let inviter = UserId::parse(&text("invited_by")).map_err(|_| AuthError::InvalidCredentials)?;
    let inviter_active = identity::profile(ctx, &inviter).await?.is_some();
    let inviter_role = membership(ctx, &brand, &inviter).await?;
    if !inviter_active || !inviter_role.is_some_and(|r| r.may_grant(role)) {
        return Err(AuthError::InvalidCredentials.into());
    }
    // Only the newest invitation to this address stands; it is consumed with the joining.
    let latest = keys::latest_invitation(&brand, &token_hash(&profile.email));
    let this_link = Value::from(token_hash(token));
    let is_newest = ctx
        .table
        .get(&latest)
        .await?
        .is_some_and(|l| l.get("token") == Some(&this_link));
    if !is_newest {
        return Err(AuthError::InvalidCredentials.into());
    }
    let newest = Write::Delete {
        key: latest,
        condition: Condition::AttrEquals("token".into(), this_link),
    };
    // The link is spent in the same transaction as the joining; a member already keeps it.
    brands::join_with(ctx, &brand, user, role, client, vec![spend, newest]).await?;
    brands::mine(ctx, user)
        .await?
        .into_iter()
        .find(|b| b.id == brand.to_string())
        .ok_or(BrandError::NoSuchMember)
}
