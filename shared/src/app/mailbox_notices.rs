//! The per-mailbox watermark of announced Gmail changes. It only moves forward, whatever order
//! notifications arrive in, and recording the same one twice changes nothing.

use crate::Ctx;
use crate::app::brand_table::BrandItem;
use crate::domain::{BrandId, Email, HistoryId};
use crate::keys;
use crate::ports::{Condition, StoreError};

/// What recording a notification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Advanced,
    /// The watermark was already at or past this history id.
    Unchanged,
}

/// Attempts at the optimistic write before giving up to a queue retry. A lost race means
/// another delivery's write won, so with fewer than this many concurrent writers (FIFO groups
/// allow one per mailbox; the hourly reconcile adds one) every call finishes.
const ATTEMPTS: usize = 16;

pub async fn record(
    ctx: &Ctx,
    brand: &BrandId,
    mailbox: &Email,
    history_id: HistoryId,
) -> Result<Recorded, StoreError> {
    let table = crate::app::brand_table::service_table(ctx, brand);
    let key = keys::brand::mailbox_notice(mailbox);
    for _ in 0..ATTEMPTS {
        let current = table.get(&key).await?;
        let (condition, version) = match &current {
            None => (Condition::Absent, 1),
            Some(item) => {
                let seen = item
                    .get("history_id")
                    .and_then(|v| v.as_str())
                    .and_then(|s| s.parse::<u64>().ok());
                if seen.is_some_and(|seen| seen >= history_id.0) {
                    return Ok(Recorded::Unchanged);
                }
                let version = item.version().unwrap_or(0);
                (Condition::VersionEquals(version), version + 1)
            }
        };
        let item = BrandItem::new(key.clone())
            .with("history_id", history_id.0.to_string())
            .with("mailbox", mailbox.as_str())
            .with("notified_at", ctx.clock.now().to_rfc3339())
            .with("version", version);
        match table.put(item, condition).await {
            Ok(()) => return Ok(Recorded::Advanced),
            Err(StoreError::ConditionFailed) => continue, // raced another delivery; re-read
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::TransactionConflict)
}

/// The current watermark of a mailbox, if any notification was recorded.
pub async fn current(
    ctx: &Ctx,
    brand: &BrandId,
    mailbox: &Email,
) -> Result<Option<HistoryId>, StoreError> {
    let item = crate::app::brand_table::service_table(ctx, brand)
        .get(&keys::brand::mailbox_notice(mailbox))
        .await?;
    Ok(item.and_then(|i| {
        i.get("history_id")
            .and_then(|v| v.as_str())
            .and_then(|s| HistoryId::parse(s).ok())
    }))
}
