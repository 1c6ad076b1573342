//! The `Queue` port on SQS. A queue whose URL ends in `.fifo` takes groups and dedup ids.

use super::{describe, is_throttle};
use crate::ports::queue::{MAX_BATCH, MAX_BODY_BYTES};
use crate::ports::{OutMessage, Queue, QueueError, ReceivedMessage};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use std::time::Duration;

/// Attempts at the entries SQS refused in a batch (the SDK retries whole requests itself).
const BATCH_ATTEMPTS: u32 = 3;

pub struct SqsQueue {
    client: Client,
    url: String,
    fifo: bool,
}

fn map_err<E>(err: aws_sdk_sqs::error::SdkError<E>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    const REFUSED: [&str; 4] = [
        "InvalidParameterValue",
        "BatchEntryIdsNotDistinct",
        "InvalidMessageContents",
        "BatchRequestTooLong",
    ];
    match err.as_service_error() {
        Some(s)
            if s.code()
                .is_some_and(|c| REFUSED.iter().any(|r| c.contains(r))) =>
        {
            QueueError::Invalid(s.message().unwrap_or("invalid message").to_owned())
        }
        Some(s) if is_throttle(s) => QueueError::Unavailable("throttled".into()),
        _ => QueueError::Unavailable(describe(&err)),
    }
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        let url = url.into();
        let fifo = url.ends_with(".fifo");
        Self { client, url, fifo }
    }

    async fn send_chunk(&self, chunk: &[OutMessage]) -> Result<(), QueueError> {
        let mut pending: Vec<(usize, &OutMessage)> = chunk.iter().enumerate().collect();
        for attempt in 1..=BATCH_ATTEMPTS {
            let entries = pending
                .iter()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&m.body)
                        .set_message_group_id(m.group.clone())
                        .set_message_deduplication_id(m.dedup_id.clone())
                        .build()
                        .map_err(|e| QueueError::Invalid(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(map_err)?;
            let failed = out.failed();
            if failed.is_empty() {
                return Ok(());
            }
            if let Some(f) = failed.iter().find(|f| f.sender_fault) {
                return Err(QueueError::Invalid(
                    f.message.clone().unwrap_or_else(|| f.code.clone()),
                ));
            }
            let ids: Vec<&str> = failed.iter().map(|f| f.id.as_str()).collect();
            pending.retain(|(i, _)| ids.contains(&i.to_string().as_str()));
            if attempt < BATCH_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt))).await;
            }
        }
        Err(QueueError::Unavailable(format!(
            "{} messages refused by SQS",
            pending.len()
        )))
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, message: OutMessage) -> Result<(), QueueError> {
        message.validate(self.fifo)?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(message.body)
            .set_message_group_id(message.group)
            .set_message_deduplication_id(message.dedup_id)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn send_batch(&self, messages: Vec<OutMessage>) -> Result<(), QueueError> {
        for m in &messages {
            m.validate(self.fifo)?;
        }
        // A batch request holds at most 10 messages and MAX_BODY_BYTES in all.
        let mut start = 0;
        while start < messages.len() {
            let (mut end, mut bytes) = (start, 0);
            while end < messages.len()
                && end - start < MAX_BATCH
                && bytes + messages[end].body.len() <= MAX_BODY_BYTES
            {
                bytes += messages[end].body.len();
                end += 1;
            }
            self.send_chunk(&messages[start..end]).await?;
            start = end;
        }
        Ok(())
    }

    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        if max == 0 || max as usize > MAX_BATCH {
            return Err(QueueError::Invalid("receive 1..=10 messages".into()));
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .map_err(map_err)?;
        let messages = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let attrs = m.attributes.unwrap_or_default();
                Some(ReceivedMessage {
                    id: m.message_id?,
                    receipt: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    group: attrs
                        .get(&MessageSystemAttributeName::MessageGroupId)
                        .cloned(),
                    receive_count: attrs
                        .get(&MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                })
            })
            .collect();
        Ok(messages)
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(delay.as_secs().min(43_200) as i32)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
