//! Single-use, expiring tokens mailed as links (email verification, password reset). Only
//! their hash is stored; spending one deletes it in the same transaction as its effect.

use super::{AuthError, random_token, token_hash};
use crate::Ctx;
use crate::domain::UserId;
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, Key, Write};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    Invitation,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "VERIFY",
            Purpose::ResetPassword => "RESET",
            Purpose::Invitation => "INVITE",
        }
    }

    pub fn lifetime_secs(self) -> i64 {
        match self {
            Purpose::VerifyEmail => 48 * 3600,
            Purpose::ResetPassword => 3600,
            Purpose::Invitation => 7 * 24 * 3600,
        }
    }
}

fn key(purpose: Purpose, hash: &str) -> Key {
    keys::one_time(hash, purpose.tag())
}

/// A new token for `user` and the write that stores it.
pub fn issue(ctx: &Ctx, purpose: Purpose, user: &UserId) -> Result<(String, Write), AuthError> {
    issue_with(ctx, purpose, vec![("user", Value::from(user.to_string()))])
}

/// A new token carrying `fields`, and the write that stores it.
pub fn issue_with(
    ctx: &Ctx,
    purpose: Purpose,
    fields: Vec<(&str, Value)>,
) -> Result<(String, Write), AuthError> {
    let token = random_token(32)?;
    let store = store(ctx, purpose, &token, fields);
    Ok((token, store))
}

/// The write that stores `token` (chosen earlier) carrying `fields`, live from now.
pub fn store(ctx: &Ctx, purpose: Purpose, token: &str, fields: Vec<(&str, Value)>) -> Write {
    let expires_at = ctx.clock.now().timestamp() + purpose.lifetime_secs();
    let mut item = Item::new(key(purpose, &token_hash(token))).with("expires_at", expires_at);
    for (name, value) in fields {
        item = item.with(name, value);
    }
    Write::Put {
        item,
        condition: Condition::Absent,
    }
}

/// Where a token chosen up front stands. A job that stores such a token may run twice, and
/// its second run must neither issue a second link nor bring a spent one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Not,
    Live,
    SpentOrExpired,
}

fn issued_key(purpose: Purpose, hash: &str) -> Key {
    keys::one_time_issued(hash, purpose.tag())
}

/// The write that remembers `token` was issued, until `until` (it fails if it was issued
/// already).
pub fn issued_marker(purpose: Purpose, token: &str, until: i64) -> Write {
    Write::Put {
        item: Item::new(issued_key(purpose, &token_hash(token))).with("expires_at", until),
        condition: Condition::Absent,
    }
}

pub async fn issued(ctx: &Ctx, purpose: Purpose, token: &str) -> Result<Issued, AuthError> {
    let hash = token_hash(token);
    if ctx.table.get(&issued_key(purpose, &hash)).await?.is_none() {
        return Ok(Issued::Not);
    }
    Ok(match ctx.table.get(&key(purpose, &hash)).await? {
        Some(_) => Issued::Live,
        None => Issued::SpentOrExpired,
    })
}

/// The write that discards the token with this hash (spent or not), if it is still there.
pub fn discard(purpose: Purpose, hash: &str) -> Write {
    Write::Delete {
        key: key(purpose, hash),
        condition: Condition::None,
    }
}

/// The user a live token belongs to, and the write that spends it (it fails if spent meanwhile).
pub async fn redeem(
    ctx: &Ctx,
    purpose: Purpose,
    token: &str,
) -> Result<(UserId, Write), AuthError> {
    let (item, spend) = redeem_item(ctx, purpose, token).await?;
    let user = UserId::parse(item.get("user").and_then(Value::as_str).unwrap_or_default())
        .map_err(|_| AuthError::InvalidCredentials)?;
    Ok((user, spend))
}

/// A live token's stored fields, and the write that spends it.
pub async fn redeem_item(
    ctx: &Ctx,
    purpose: Purpose,
    token: &str,
) -> Result<(Item, Write), AuthError> {
    let key = key(purpose, &token_hash(token));
    let item = ctx
        .table
        .get(&key)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    Ok((
        item,
        Write::Delete {
            key,
            condition: Condition::Present,
        },
    ))
}
