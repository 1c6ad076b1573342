//! Single-use, expiring tokens mailed as links (email verification, password reset). Only
//! their hash is stored; spending one deletes it in the same transaction as its effect.

use super::{AuthError, random_token, token_hash};
use crate::Ctx;
use crate::domain::UserId;
use crate::ports::{Condition, Item, Key, Write};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "VERIFY",
            Purpose::ResetPassword => "RESET",
        }
    }

    fn lifetime_secs(self) -> i64 {
        match self {
            Purpose::VerifyEmail => 48 * 3600,
            Purpose::ResetPassword => 3600,
        }
    }
}

fn key(purpose: Purpose, hash: &str) -> Key {
    Key::new(format!("OTT#{hash}"), purpose.tag())
}

/// A new token for `user` and the write that stores it.
pub fn issue(ctx: &Ctx, purpose: Purpose, user: &UserId) -> Result<(String, Write), AuthError> {
    let token = random_token(32)?;
    let expires_at = ctx.clock.now().timestamp() + purpose.lifetime_secs();
    let item = Item::new(key(purpose, &token_hash(&token)))
        .with("user", user.to_string())
        .with("expires_at", expires_at);
    Ok((
        token,
        Write::Put {
            item,
            condition: Condition::Absent,
        },
    ))
}

/// The user a live token belongs to, and the write that spends it (it fails if spent meanwhile).
pub async fn redeem(
    ctx: &Ctx,
    purpose: Purpose,
    token: &str,
) -> Result<(UserId, Write), AuthError> {
    let key = key(purpose, &token_hash(token));
    let item = ctx
        .table
        .get(&key)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    let user = UserId::parse(item.get("user").and_then(Value::as_str).unwrap_or_default())
        .map_err(|_| AuthError::InvalidCredentials)?;
    Ok((
        user,
        Write::Delete {
            key,
            condition: Condition::Present,
        },
    ))
}
