//! Drives a [`Worker`] from a [`Queue`] port: what Lambda's event source mapping does in AWS,
//! done in-process by the local stack (against the embedded queue or, with the aws backend,
//! against SQS).

use super::runner::{Record, Worker, run_batch};
use crate::Ctx;
use crate::ports::Queue;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Backoff before a failed message is visible again: 2^receives seconds, at most a minute.
pub fn retry_delay(receive_count: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(receive_count.min(6)).min(60))
}

/// Polls until `stop` turns true. A batch in hand is finished and acknowledged before
/// returning; messages not yet acknowledged stay in the queue for the next run.
pub async fn poll(
    ctx: Ctx,
    queue: Arc<dyn Queue>,
    worker: Arc<dyn Worker>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let received = tokio::select! {
            r = queue.receive(10, Duration::from_secs(1)) => r,
            _ = stop.changed() => return,
        };
        let messages = match received {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(queue = worker.name(), error = %e, "receive failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let records = messages
            .iter()
            .map(|m| Record {
                id: m.id.clone(),
                body: m.body.clone(),
                group: m.group.clone(),
                receive_count: m.receive_count,
            })
            .collect();
        let failed = run_batch(&ctx, worker.as_ref(), records).await;
        for m in &messages {
            let result = if failed.contains(&m.id) {
                queue
                    .release(&m.receipt, retry_delay(m.receive_count))
                    .await
            } else {
                queue.ack(&m.receipt).await
            };
            if let Err(e) = result {
                // The message becomes visible again when its timeout lapses; idempotent
                // handlers make the redelivery harmless.
                tracing::warn!(queue = worker.name(), message_id = %m.id, error = %e, "could not settle message");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_bounded() {
        assert_eq!(retry_delay(1), Duration::from_secs(2));
        assert_eq!(retry_delay(3), Duration::from_secs(8));
        assert_eq!(retry_delay(50), Duration::from_secs(60));
    }
}
