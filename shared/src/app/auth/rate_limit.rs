//! Fixed-window counters in the table (with TTL), so limits hold across Lambda instances.

use super::AuthError;
use crate::Ctx;
use crate::ports::{Condition, Update};

/// Counts one attempt in `scope` for `subject`; refuses past `limit` per `window_secs`.
pub async fn hit(
    ctx: &Ctx,
    scope: &str,
    subject: &str,
    limit: i64,
    window_secs: i64,
) -> Result<(), AuthError> {
    let now = ctx.clock.now().timestamp();
    let window = now - now.rem_euclid(window_secs);
    let key = crate::keys::platform::rate_limit(scope, &super::token_hash(subject), window);
    let update = Update::new()
        .add("hits", 1)
        .set("expires_at", window + window_secs * 2);
    let item = ctx.table.update(&key, update, Condition::None).await?;
    let hits = item
        .get("hits")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    if hits > limit {
        return Err(AuthError::RateLimited {
            retry_after_secs: (window + window_secs - now).max(1) as u64,
        });
    }
    Ok(())
}
