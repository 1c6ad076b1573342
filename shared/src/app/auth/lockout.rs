//! Account lockout: 10 failed logins within an hour lock the account for 15 minutes, doubling
//! with each further lock up to a day. The lock never blocks password reset, and a locked
//! account answers exactly like a wrong password.

use super::AuthError;
use crate::Ctx;
use crate::domain::UserId;
use crate::ports::{Condition, Update};

pub const FAILURES_BEFORE_LOCK: i64 = 10;
const WINDOW_SECS: i64 = 3600;
const FIRST_LOCK_SECS: i64 = 15 * 60;
const MAX_LOCK_SECS: i64 = 24 * 3600;
/// How long the lock level is remembered, so repeat offences lock longer.
const LEVEL_MEMORY_SECS: i64 = 7 * 24 * 3600;

use crate::keys::platform::lock as lock_key;

pub async fn is_locked(ctx: &Ctx, user: &UserId) -> Result<bool, AuthError> {
    let now = ctx.clock.now().timestamp();
    let lock = ctx.table.get(&lock_key(user)).await?;
    Ok(lock
        .and_then(|l| l.get("locked_until").and_then(serde_json::Value::as_i64))
        .is_some_and(|until| until > now))
}

/// Counts a failed login; returns true if this failure locked the account.
pub async fn record_failure(ctx: &Ctx, user: &UserId) -> Result<bool, AuthError> {
    let now = ctx.clock.now().timestamp();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let counter = crate::keys::platform::lock_counter(user, window);
    let update = Update::new()
        .add("failures", 1)
        .set("expires_at", window + 2 * WINDOW_SECS);
    let failures = ctx.table.update(&counter, update, Condition::None).await?;
    let failures = failures
        .get("failures")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    if failures < FAILURES_BEFORE_LOCK {
        return Ok(false);
    }
    // Lock, and reset the window so the next ten failures after the lock count afresh.
    ctx.table.delete(&counter, Condition::None).await?;
    let lock = ctx.table.get(&lock_key(user)).await?;
    let level = lock
        .and_then(|l| l.get("level").and_then(serde_json::Value::as_i64))
        .unwrap_or(0);
    let secs = (FIRST_LOCK_SECS << level.min(10)).min(MAX_LOCK_SECS);
    let update = Update::new()
        .set("level", level + 1)
        .set("locked_until", now + secs)
        .set("expires_at", now + LEVEL_MEMORY_SECS);
    ctx.table
        .update(&lock_key(user), update, Condition::None)
        .await?;
    Ok(true)
}

/// Lifts a lock (a completed password reset).
pub async fn clear(ctx: &Ctx, user: &UserId) -> Result<(), AuthError> {
    ctx.table.delete(&lock_key(user), Condition::None).await?;
    Ok(())
}
