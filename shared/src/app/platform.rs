//! The platform operator (super_admin): cross-brand acts, each one audited with the
//! operator's identity. Operators are named on their profile (`platform_role`), granted by the
//! `atelier grant-super-admin` command, never through a brand.

use crate::Ctx;
use crate::app::auth::{AuthError, Client, audit};
use crate::app::brands::{BrandError, MemberView};
use crate::app::identity::{self, Operator};
use crate::app::tenancy::{ScopeError, operator_scope};
use crate::domain::{BrandId, Email, Permission, Role, UserId};
use crate::keys::platform as keys;
use crate::ports::{Condition, Update, Write};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlatformBrand {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub created_at: String,
}

/// Checks that the user is a platform operator now: the only way to the proof each operator
/// use case takes (see [`identity::operator`]).
pub async fn require_operator(ctx: &Ctx, user: &UserId) -> Result<Operator, ScopeError> {
    identity::operator(ctx, user)
        .await?
        .ok_or(ScopeError::Forbidden {
            role: Role::TeamMember,
            permission: Permission::ManageBrand,
        })
}

async fn audited(
    ctx: &Ctx,
    operator: &UserId,
    event: &str,
    subject: &str,
    client: &Client,
) -> Result<(), AuthError> {
    ctx.table
        .transact(vec![audit::record(
            ctx,
            Some(operator),
            event,
            subject,
            client,
        )])
        .await?;
    Ok(())
}

/// Every brand on the platform. Each operator use case takes the proof the route's guard
/// obtained (`require_operator`), so the check is made once per request, and audits it.
pub async fn list_brands(
    ctx: &Ctx,
    operator: &Operator,
    client: &Client,
) -> Result<Vec<PlatformBrand>, BrandError> {
    audited(
        ctx,
        operator.user(),
        "platform.brands_listed",
        "platform",
        client,
    )
    .await?;
    let brands = ctx.table.query_all(keys::all_brands(), usize::MAX).await?;
    Ok(brands
        .into_iter()
        .map(|b| PlatformBrand {
            id: keys::listed_brand(&b)
                .map(|b| b.to_string())
                .unwrap_or_default(),
            name: b.text("name"),
            slug: b.text("slug"),
            status: b.text("status"),
            created_at: b.text("created_at"),
        })
        .collect())
}

/// Suspends (`active = false`) or restores a brand. A suspended brand's members and keys open
/// nothing until it is restored.
pub async fn set_active(
    ctx: &Ctx,
    operator: &Operator,
    brand: &BrandId,
    active: bool,
    client: &Client,
) -> Result<(), BrandError> {
    let item = ctx
        .table
        .get(&keys::brand(brand))
        .await?
        .ok_or(BrandError::NoSuchMember)?;
    let version = item.version().unwrap_or(0);
    let status = if active { "active" } else { "suspended" };
    let event = if active {
        "platform.brand_restored"
    } else {
        "platform.brand_suspended"
    };
    let update = Update::new()
        .set("status", status)
        .set("version", version + 1);
    ctx.table
        .transact(vec![
            Write::Update {
                key: keys::brand(brand),
                update,
                condition: Condition::VersionEquals(version),
            },
            audit::record(
                ctx,
                Some(operator.user()),
                event,
                &format!("brand:{brand}"),
                client,
            ),
        ])
        .await?;
    Ok(())
}

pub async fn members(
    ctx: &Ctx,
    operator: &Operator,
    brand: &BrandId,
    client: &Client,
) -> Result<Vec<MemberView>, BrandError> {
    ctx.table
        .get(&keys::brand(brand))
        .await?
        .ok_or(BrandError::NoSuchMember)?;
    audited(
        ctx,
        operator.user(),
        "platform.members_viewed",
        &format!("brand:{brand}"),
        client,
    )
    .await?;
    crate::app::brands::members(ctx, &operator_scope(*brand, operator)).await
}

/// Makes the account with this address a platform operator (the operator command).
pub async fn grant_operator(ctx: &Ctx, email: &str) -> Result<UserId, AuthError> {
    let email = Email::parse(email)?;
    let (user, _) = identity::find_by_email(ctx, &email)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    let update = Update::new().set("platform_role", Role::SuperAdmin.as_str());
    ctx.table
        .transact(vec![
            Write::Update {
                key: keys::profile(&user),
                update,
                condition: Condition::Present,
            },
            audit::record_as(
                ctx,
                "operator-command",
                "platform.operator_granted",
                &format!("user:{user}"),
                &Client::default(),
            ),
        ])
        .await?;
    Ok(user)
}
