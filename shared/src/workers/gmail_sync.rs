//! The gmail-sync consumer. Messages are hints that a mailbox changed (from a Pub/Sub push or
//! the hourly reconcile), grouped by mailbox on a FIFO queue. This stage records the newest
//! announced history id for the mailbox; fetching the changes with history.list arrives with
//! the Gmail connection.

use super::envelope;
use super::runner::{Record, WorkError, Worker};
use crate::Ctx;
use crate::app::mailbox_notices;
use crate::domain::{BrandId, Email, HistoryId};
use crate::ports::{OutMessage, Queue, StoreError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GmailSyncMessage {
    /// Google announced a change to the mailbox up to `history_id`.
    MailboxChanged {
        brand_id: BrandId,
        mailbox: Email,
        history_id: HistoryId,
    },
}

impl GmailSyncMessage {
    /// The FIFO message: grouped by mailbox so one mailbox syncs in order, deduplicated by
    /// the announced history id so a duplicated push is dropped by the queue.
    pub fn to_message(&self) -> OutMessage {
        let GmailSyncMessage::MailboxChanged {
            brand_id,
            mailbox,
            history_id,
        } = self;
        let group = format!("{brand_id}.{}", short_hash(mailbox.as_str()));
        OutMessage::fifo(
            envelope::encode(self),
            group.clone(),
            format!("{group}.{}", history_id.0),
        )
    }
}

/// A stable, non-reversible tag for a mailbox in queue attributes (which SQS may log).
fn short_hash(s: &str) -> String {
    // FNV-1a: stable across processes and versions, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub struct GmailSyncWorker;

#[async_trait]
impl Worker for GmailSyncWorker {
    fn name(&self) -> &'static str {
        "gmail-sync"
    }

    fn dead_letters(&self, ctx: &Ctx) -> Option<Arc<dyn Queue>> {
        Some(ctx.queues.gmail_sync_dlq.clone())
    }

    async fn handle(&self, ctx: &Ctx, record: &Record) -> Result<(), WorkError> {
        match envelope::decode::<GmailSyncMessage>(&record.body)? {
            GmailSyncMessage::MailboxChanged {
                brand_id,
                mailbox,
                history_id,
            } => {
                mailbox_notices::record(ctx, &brand_id, &mailbox, history_id)
                    .await
                    .map_err(|e| match e {
                        StoreError::Invalid(m) => WorkError::Poison(m),
                        other => WorkError::Retry(other.to_string()),
                    })?;
                Ok(())
            }
        }
    }
}
