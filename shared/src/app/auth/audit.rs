//! Audit records of auth events, written in the same transaction as the change they describe
//! (P22) and kept 12 months (P28). Partitioned by actor and month, so no partition grows
//! without bound.

use super::Client;
use crate::Ctx;
use crate::domain::UserId;
use crate::ports::{Condition, Item, Write};

/// Audit and access records live 12 months.
pub const RETENTION_DAYS: i64 = 366;

/// A put of one audit record, to add to the transaction of the change it records.
pub fn record(
    ctx: &Ctx,
    actor: Option<&UserId>,
    event: &str,
    subject: &str,
    client: &Client,
) -> Write {
    let actor = actor.map_or_else(|| "anonymous".to_owned(), UserId::to_string);
    record_as(ctx, &actor, event, subject, client)
}

/// An audit record whose actor is named by `actor` (a user id, or `apikey:<id>`).
pub fn record_as(ctx: &Ctx, actor: &str, event: &str, subject: &str, client: &Client) -> Write {
    let now = ctx.clock.now();
    let id = crate::domain::new_id(ctx.clock.as_ref());
    let item = Item::new(crate::keys::platform::auth_audit(
        actor,
        now,
        &id.to_string(),
    ))
    .with("event", event)
    .with("actor", actor)
    .with("subject", subject)
    .with("ip", client.ip.as_str())
    .with("user_agent", client.user_agent.as_str())
    .with("at", now.to_rfc3339())
    .with(
        "expires_at",
        (now + chrono::Duration::days(RETENTION_DAYS)).timestamp(),
    );
    Write::Put {
        item,
        condition: Condition::Absent,
    }
}
