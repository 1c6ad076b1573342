//! Sign-up, login and the profile. Answers never reveal whether an address has an account:
//! sign-up answers the same for a taken address, and login spends one argon2 run whatever
//! happens.

use super::{AuthError, Client, audit, lockout, passwords, rate_limit, sessions};
use crate::Ctx;
use crate::domain::{Email, NewPassword, PersonName, UserId};
use crate::ports::{Condition, Item, Key, StoreError, Write};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

/// Per-IP limits (per fixed window) on the public auth routes.
pub const SIGNUPS_PER_IP_PER_HOUR: i64 = 20;
pub const LOGINS_PER_IP_PER_MINUTE: i64 = 30;

fn email_key(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "USER")
}

pub fn profile_key(user: &UserId) -> Key {
    Key::new(format!("U#{user}"), "PROFILE")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub created_at: String,
}

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
    let writes = vec![
        Write::Put {
            item: Item::new(email_key(&email)).with("user", user.to_string()),
            condition: Condition::Absent,
        },
        Write::Put {
            item: profile,
            condition: Condition::Absent,
        },
        audit::record(
            ctx,
            Some(&user),
            "account.signed_up",
            &format!("user:{user}"),
            client,
        ),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(()),
        // The address is taken: answer as if it were not (the owner gets no second account).
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(()),
        Err(e) => Err(e.into()),
    }
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
        Ok(email) => find(ctx, &email).await?,
        Err(_) => None,
    };
    let Some((user, profile)) = account else {
        passwords::verify(password.expose_secret(), passwords::dummy_hash().await).await;
        return Err(AuthError::InvalidCredentials);
    };
    let active = profile.get("status").and_then(Value::as_str) == Some("active");
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

async fn find(ctx: &Ctx, email: &Email) -> Result<Option<(UserId, Item)>, AuthError> {
    let Some(index) = ctx.table.get(&email_key(email)).await? else {
        return Ok(None);
    };
    let user = UserId::parse(
        index
            .get("user")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(ctx.table.get(&profile_key(&user)).await?.map(|p| (user, p)))
}

pub async fn profile(ctx: &Ctx, user: &UserId) -> Result<Option<Profile>, AuthError> {
    let Some(item) = ctx.table.get(&profile_key(user)).await? else {
        return Ok(None);
    };
    if item.get("status").and_then(Value::as_str) != Some("active") {
        return Ok(None);
    }
    let text = |n: &str| {
        item.get(n)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Some(Profile {
        id: user.to_string(),
        email: text("email"),
        name: text("name"),
        email_verified: item
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_at: text("created_at"),
    }))
}
