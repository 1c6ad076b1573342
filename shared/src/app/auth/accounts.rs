//! Sign-up, login and the profile. Answers never reveal whether an address has an account:
//! sign-up answers the same for a taken address, and login spends one argon2 run whatever
//! happens.

use super::one_time::{self, Purpose};
use super::resets;
use super::{AuthError, Client, audit, lockout, passwords, rate_limit, sessions, token_hash};
use crate::Ctx;
use crate::app::identity::{self, Profile, ProfileRow, profile};
use crate::app::mail_queue::{self, MailJob, MailScope};
use crate::domain::{Email, NewPassword, PersonName, UserId};
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, Mail, StoreError, Update, Write};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Per-IP limits (per fixed window) on the public auth routes.
pub const SIGNUPS_PER_IP_PER_HOUR: i64 = 20;
pub const LOGINS_PER_IP_PER_MINUTE: i64 = 30;
pub const RESETS_PER_IP_PER_HOUR: i64 = 20;

use keys::{email as email_key, profile as profile_key};

pub async fn signup(
    ctx: &Ctx,
    email: &str,
    password: SecretString,
    name: &str,
    client: &Client,
) -> Result<(), AuthError> {
    rate_limit::hit(ctx, "signup-ip", &client.ip, SIGNUPS_PER_IP_PER_HOUR, 3600).await?;
    let email = Email::parse(email)?;
    let name = PersonName::parse(name)?;
    let password = NewPassword::parse(password)?;
    let hash = passwords::hash(password.expose()).await?;
    let user = UserId::new(ctx.clock.as_ref());
    let now = ctx.clock.now().to_rfc3339();
    let profile = Item::new(profile_key(&user))
        .with("email", email.as_str())
        .with("name", name.as_str())
        .with("password_hash", hash)
        .with("email_verified", false)
        .with("status", "active")
        .with("created_at", now)
        .with("version", 1);
    let (token, store_token) = one_time::issue(ctx, Purpose::VerifyEmail, &user)?;
    let writes = vec![
        Write::Put {
            item: Item::new(email_key(&email)).with("user", user.to_string()),
            condition: Condition::Absent,
        },
        Write::Put {
            item: profile,
            condition: Condition::Absent,
        },
        store_token,
        audit::record(
            ctx,
            Some(&user),
            "account.signed_up",
            &format!("user:{user}"),
            client,
        ),
    ];
    let mail = match ctx.table.transact(writes).await {
        Ok(()) => Mail {
            to: email.clone(),
            subject: "Confirm your email for Atelier".into(),
            text: format!(
                "Welcome to Atelier, {}.\n\nConfirm your email address: {}/verify-email?token={token}\n\nThe link works once, for 48 hours.",
                name.as_str(),
                ctx.config.app_url
            ),
            idempotency_key: format!("verify-{}", token_hash(&token)),
        },
        // The address is taken: answer as if it were not, and tell its owner instead.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Mail {
            to: email.clone(),
            subject: "Someone tried to sign up with your email".into(),
            text: format!(
                "Someone tried to create an Atelier account with this address, which already has one.\n\nIf it was you, log in or reset your password: {}/reset-password",
                ctx.config.app_url
            ),
            idempotency_key: format!(
                "taken-{}-{}",
                token_hash(email.as_str()),
                ctx.clock.now().timestamp() / 3600
            ),
        },
        Err(e) => return Err(e.into()),
    };
    queue_mail(ctx, mail).await;
    Ok(())
}

/// Queues mail after the change it reports has committed. A queue failure is logged, not
/// returned: the account change stands, and the user can ask again.
async fn queue_mail(ctx: &Ctx, mail: Mail) {
    let job = MailJob::Deliver { mail };
    if let Err(e) = mail_queue::enqueue(ctx, MailScope::Platform, &job).await {
        tracing::error!(error = %e, "could not queue account email");
    }
}

/// Marks the address of a verification link's account as verified. Single use.
pub async fn verify_email(ctx: &Ctx, token: &str, client: &Client) -> Result<(), AuthError> {
    let (user, spend) = one_time::redeem(ctx, Purpose::VerifyEmail, token).await?;
    let update = Update::new().set("email_verified", true);
    change_profile(
        ctx,
        &user,
        update,
        vec![spend],
        "account.email_verified",
        client,
    )
    .await
    .map_err(|_| AuthError::InvalidCredentials)
}

/// Asks for a reset link to be mailed if the address has an account. The request does the
/// same work whatever the address (a per-IP limit and a sealed job on the mail queue), so
/// neither its answer nor its timing says whether an account exists; mail-send decides
/// ([`super::resets::reset_mail`]).
pub async fn request_reset(ctx: &Ctx, email: &str, client: &Client) -> Result<(), AuthError> {
    rate_limit::hit(ctx, "reset-ip", &client.ip, RESETS_PER_IP_PER_HOUR, 3600).await?;
    // A malformed address is refused like anywhere else; that says nothing about accounts.
    let email = Email::parse(email)?;
    let job = MailJob::PasswordReset {
        email: email.to_string(),
        token: super::random_token(32)?,
        requested_at: ctx.clock.now().timestamp(),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    mail_queue::enqueue(ctx, MailScope::Platform, &job)
        .await
        .map_err(|e| AuthError::Unavailable(e.to_string()))
}

/// Sets a new password from a reset link. Ends every session and lifts a lockout: a locked-out
/// owner can always get back in this way.
pub async fn reset_password(
    ctx: &Ctx,
    token: &str,
    password: SecretString,
    client: &Client,
) -> Result<(), AuthError> {
    let password = NewPassword::parse(password)?;
    let (link, spend) = one_time::redeem_item(ctx, Purpose::ResetPassword, token).await?;
    let user = UserId::parse(link.get("user").and_then(Value::as_str).unwrap_or_default())
        .map_err(|_| AuthError::InvalidCredentials)?;
    // A reset link stands only while the password is the one it was issued for: any reset or
    // change since then cancels every outstanding link.
    let issued_at = link.get("epoch").and_then(Value::as_i64);
    let hash = passwords::hash(password.expose()).await?;
    set_password(
        ctx,
        &user,
        &hash,
        Some((spend, issued_at)),
        "password.reset",
        client,
    )
    .await?;
    lockout::clear(ctx, &user).await?;
    sessions::revoke_all(ctx, &user, None, client).await
}

/// Changes the password of a signed-in user who knows the current one. Other sessions end
/// unless `keep_other_sessions`.
pub async fn change_password(
    ctx: &Ctx,
    user: &UserId,
    session: &str,
    current: SecretString,
    new: SecretString,
    keep_other_sessions: bool,
    client: &Client,
) -> Result<(), AuthError> {
    let new = NewPassword::parse(new)?;
    let profile = ctx
        .table
        .get(&profile_key(user))
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    let stored = profile
        .get("password_hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !passwords::verify(current.expose_secret(), stored).await {
        return Err(AuthError::InvalidCredentials);
    }
    let hash = passwords::hash(new.expose()).await?;
    set_password(ctx, user, &hash, None, "password.changed", client).await?;
    if keep_other_sessions {
        Ok(())
    } else {
        sessions::revoke_all(ctx, user, Some(session), client).await
    }
}

/// Sets the password hash and moves the credentials epoch on, which cancels every reset link
/// issued before. A reset link (the write that spends it, and the epoch it was issued at)
/// applies only if no reset or change came since.
async fn set_password(
    ctx: &Ctx,
    user: &UserId,
    hash: &str,
    link: Option<(Write, Option<i64>)>,
    event: &str,
    client: &Client,
) -> Result<(), AuthError> {
    let update = Update::new()
        .set("password_hash", hash)
        .add("credentials_epoch", 1);
    let (with, issued_at) = match link {
        Some((spend, issued_at)) => (vec![spend], Some(issued_at)),
        None => (Vec::new(), None),
    };
    let current =
        |profile: &Item| issued_at.is_none_or(|e| e == Some(resets::credentials_epoch(profile)));
    match change_profile_if(ctx, user, current, update, with, event, client).await {
        Ok(()) => Ok(()),
        // The link was spent, or the profile changed, meanwhile.
        Err(StoreError::ConditionFailed | StoreError::TransactionConditionFailed { .. }) => {
            Err(AuthError::InvalidCredentials)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update_profile(
    ctx: &Ctx,
    user: &UserId,
    name: &str,
    client: &Client,
) -> Result<Profile, AuthError> {
    let name = PersonName::parse(name)?;
    change_profile(
        ctx,
        user,
        Update::new().set("name", name.as_str()),
        Vec::new(),
        "account.updated",
        client,
    )
    .await?;
    self::profile(ctx, user)
        .await?
        .ok_or(AuthError::InvalidCredentials)
}

/// Applies `update` to the user's profile at the version it has now, with `with` and an audit
/// record in the same transaction; the profile's version moves on by one.
async fn change_profile(
    ctx: &Ctx,
    user: &UserId,
    update: Update,
    with: Vec<Write>,
    event: &str,
    client: &Client,
) -> Result<(), StoreError> {
    change_profile_if(ctx, user, |_| true, update, with, event, client).await
}

/// [`change_profile`], only if `guard` holds for the profile as read; the version condition
/// makes the guard's reading the one the change commits against.
async fn change_profile_if(
    ctx: &Ctx,
    user: &UserId,
    guard: impl FnOnce(&Item) -> bool,
    update: Update,
    with: Vec<Write>,
    event: &str,
    client: &Client,
) -> Result<(), StoreError> {
    let profile = ctx
        .table
        .get(&profile_key(user))
        .await?
        .filter(|p| guard(p))
        .ok_or(StoreError::ConditionFailed)?;
    let version = profile.version().unwrap_or(0);
    let mut writes = vec![Write::Update {
        key: profile_key(user),
        update: update.set("version", version + 1),
        condition: Condition::VersionEquals(version),
    }];
    writes.extend(with);
    writes.push(audit::record(
        ctx,
        Some(user),
        event,
        &format!("user:{user}"),
        client,
    ));
    ctx.table.transact(writes).await
}

/// How long a deleted account's profile is kept (for the audit trail) before anonymisation.
pub const ANONYMISE_AFTER_DAYS: i64 = 30;

/// Deactivates the account at once and ends every session; the profile is anonymised after
/// the audit window by the retention sweep.
pub async fn delete_account(ctx: &Ctx, user: &UserId, client: &Client) -> Result<(), AuthError> {
    let now = ctx.clock.now();
    let due = (now + chrono::Duration::days(ANONYMISE_AFTER_DAYS)).timestamp();
    let update = Update::new()
        .set("status", "deleted")
        .set("deleted_at", now.to_rfc3339());
    // Queued for anonymisation by due time, for the retention sweep.
    let update = keys::join_anonymise_queue(update, due, user);
    change_profile(ctx, user, update, Vec::new(), "account.deleted", client).await?;
    // Their API keys already open nothing (a key needs its creator's live account); revoke
    // them so every brand's key list says so.
    crate::app::api_keys::revoke_all_made_by(ctx, user, client).await?;
    sessions::revoke_all(ctx, user, None, client).await
}

pub async fn login(
    ctx: &Ctx,
    email: &str,
    password: SecretString,
    device: &str,
    client: &Client,
) -> Result<sessions::Granted, AuthError> {
    rate_limit::hit(ctx, "login-ip", &client.ip, LOGINS_PER_IP_PER_MINUTE, 60).await?;
    let account = match Email::parse(email) {
        Ok(email) => identity::find_by_email(ctx, &email).await?,
        Err(_) => None,
    };
    let Some((user, profile)) = account else {
        passwords::verify(password.expose_secret(), passwords::dummy_hash().await).await;
        return Err(AuthError::InvalidCredentials);
    };
    let active = ProfileRow::decode(&user, &profile).active;
    if !active || lockout::is_locked(ctx, &user).await? {
        passwords::verify(password.expose_secret(), passwords::dummy_hash().await).await;
        return Err(AuthError::InvalidCredentials);
    }
    let hash = profile
        .get("password_hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !passwords::verify(password.expose_secret(), hash).await {
        let locked = lockout::record_failure(ctx, &user).await?;
        let event = if locked {
            "login.locked"
        } else {
            "login.failed"
        };
        ctx.table
            .transact(vec![audit::record(
                ctx,
                Some(&user),
                event,
                &format!("user:{user}"),
                client,
            )])
            .await?;
        return Err(AuthError::InvalidCredentials);
    }
    sessions::start(ctx, &user, device, client, Vec::new()).await
}

use keys::apple as apple_key;

/// Signs in with a verified Apple identity: the account linked to Apple's `sub`, or a new
/// consumer account (no brand, no password). A relay address is stored as given; an address
/// that already belongs to another account is not taken over.
pub async fn apple_sign_in(
    ctx: &Ctx,
    identity: &crate::adapters::http::AppleIdentity,
    name: Option<&str>,
    device: &str,
    client: &Client,
) -> Result<sessions::Granted, AuthError> {
    rate_limit::hit(ctx, "login-ip", &client.ip, LOGINS_PER_IP_PER_MINUTE, 60).await?;
    if let Some(link) = ctx.table.get(&apple_key(&identity.sub)).await? {
        let user = UserId::parse(link.get("user").and_then(Value::as_str).unwrap_or_default())
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let active = profile(ctx, &user).await?.is_some();
        if !active {
            return Err(AuthError::InvalidCredentials);
        }
        return sessions::start(ctx, &user, device, client, Vec::new()).await;
    }
    let user = UserId::new(ctx.clock.as_ref());
    let email = identity.email.as_deref().and_then(|e| Email::parse(e).ok());
    let name = name
        .and_then(|n| PersonName::parse(n).ok())
        .map_or_else(|| "Apple user".to_owned(), |n| n.as_str().to_owned());
    let mut item = Item::new(profile_key(&user))
        .with("name", name)
        .with("email_verified", identity.email_verified)
        .with("private_relay", identity.private_relay)
        .with("apple_sub", identity.sub.as_str())
        .with("status", "active")
        .with("created_at", ctx.clock.now().to_rfc3339())
        .with("version", 1);
    if let Some(e) = &email {
        item = item.with("email", e.as_str());
    }
    let link = Write::Put {
        item: Item::new(apple_key(&identity.sub)).with("user", user.to_string()),
        condition: Condition::Absent,
    };
    let profile_write = Write::Put {
        item,
        condition: Condition::Absent,
    };
    let audit = audit::record(
        ctx,
        Some(&user),
        "account.signed_up_with_apple",
        &format!("user:{user}"),
        client,
    );
    let claim = email.as_ref().map(|e| Write::Put {
        item: Item::new(email_key(e)).with("user", user.to_string()),
        condition: Condition::Absent,
    });
    let with_email: Vec<Write> = [
        Some(link.clone()),
        Some(profile_write.clone()),
        Some(audit.clone()),
        claim,
    ]
    .into_iter()
    .flatten()
    .collect();
    let with_email_len = with_email.len();
    match ctx.table.transact(with_email).await {
        Ok(()) => {}
        // The address belongs to another account: keep it on this profile only.
        Err(StoreError::TransactionConditionFailed { index })
            if index == 3 && with_email_len == 4 =>
        {
            ctx.table
                .transact(vec![link, profile_write, audit])
                .await
                .map_err(|e| match e {
                    StoreError::TransactionConditionFailed { .. } => AuthError::InvalidCredentials,
                    other => other.into(),
                })?;
        }
        // Another sign-in with the same Apple id won the race.
        Err(StoreError::TransactionConditionFailed { .. }) => {
            return Err(AuthError::InvalidCredentials);
        }
        Err(e) => return Err(e.into()),
    }
    sessions::start(ctx, &user, device, client, Vec::new()).await
}
