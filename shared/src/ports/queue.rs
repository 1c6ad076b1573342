//! Message queues: SQS in AWS, persistent in-process queues locally. Both keep the same
//! contract: visibility timeout, receive count, a DLQ after a bounded number of receives,
//! FIFO groups and deduplication.

use async_trait::async_trait;
use std::time::Duration;

/// SQS's FIFO deduplication window.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(5 * 60);
/// SQS's batch limit.
pub const MAX_BATCH: usize = 10;
/// SQS's message size limit, which is also its limit on one batch request.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMessage {
    pub body: String,
    /// FIFO message group: messages of one group are delivered in order, one at a time.
    pub group: Option<String>,
    /// FIFO deduplication id: a second message with the same id within
    /// [`DEDUP_WINDOW`] is accepted and dropped.
    pub dedup_id: Option<String>,
}

impl OutMessage {
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            group: None,
            dedup_id: None,
        }
    }

    pub fn fifo(
        body: impl Into<String>,
        group: impl Into<String>,
        dedup: impl Into<String>,
    ) -> Self {
        Self {
            body: body.into(),
            group: Some(group.into()),
            dedup_id: Some(dedup.into()),
        }
    }

    pub(crate) fn validate(&self, fifo: bool) -> Result<(), QueueError> {
        if self.body.is_empty() || self.body.len() > MAX_BODY_BYTES {
            return Err(QueueError::Invalid("body must be 1..=256 KiB".into()));
        }
        // SQS accepts only these characters; refusing the rest here keeps both adapters alike.
        let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        if !self.body.chars().all(allowed) {
            return Err(QueueError::Invalid(
                "body has characters SQS does not accept".into(),
            ));
        }
        if fifo && (self.group.is_none() || self.dedup_id.is_none()) {
            return Err(QueueError::Invalid(
                "a FIFO message needs a group and a dedup id".into(),
            ));
        }
        if !fifo && (self.group.is_some() || self.dedup_id.is_some()) {
            return Err(QueueError::Invalid(
                "group and dedup id are for FIFO queues".into(),
            ));
        }
        for id in [&self.group, &self.dedup_id].into_iter().flatten() {
            let ok = !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic());
            if !ok {
                return Err(QueueError::Invalid(
                    "group and dedup ids are 1..=128 printable ASCII characters".into(),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub id: String,
    /// Handle to acknowledge or release this delivery.
    pub receipt: String,
    pub body: String,
    pub group: Option<String>,
    /// How many times this message has been received, this delivery included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueueError {
    #[error("invalid message: {0}")]
    Invalid(String),
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, message: OutMessage) -> Result<(), QueueError>;
    /// Sends any number of messages, [`MAX_BATCH`] per request.
    async fn send_batch(&self, messages: Vec<OutMessage>) -> Result<(), QueueError>;
    /// Receives up to `max` (1..=10) messages, waiting up to `wait` for the first.
    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<ReceivedMessage>, QueueError>;
    /// Deletes a delivered message: it was handled.
    async fn ack(&self, receipt: &str) -> Result<(), QueueError>;
    /// Makes a delivered message visible again after `delay`: it failed and may be retried.
    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError>;
}
