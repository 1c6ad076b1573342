//! The batch runner shared by Lambda and the local poller.

use crate::Ctx;
use crate::ports::{OutMessage, Queue};
use async_trait::async_trait;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::FutureExt;
use std::collections::HashMap;
use std::sync::Arc;

/// One queue message, however it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub body: String,
    /// The FIFO message group, if any.
    pub group: Option<String>,
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WorkError {
    /// The message can never succeed (malformed, unknown version); it will reach the DLQ.
    #[error("poison message: {0}")]
    Poison(String),
    /// A dependency failed; a later delivery may succeed.
    #[error("transient failure: {0}")]
    Retry(String),
}

#[async_trait]
pub trait Worker: Send + Sync {
    /// The queue this worker consumes, for logs.
    fn name(&self) -> &'static str;
    /// Handles one message. Must be idempotent: a redelivered message changes nothing more.
    async fn handle(&self, ctx: &Ctx, record: &Record) -> Result<(), WorkError>;
    /// Where poison messages go at once, instead of being retried until the queue's redrive
    /// moves them (and, on FIFO, holding back their group meanwhile).
    fn dead_letters(&self, _ctx: &Ctx) -> Option<Arc<dyn Queue>> {
        None
    }
    /// What the worker's function uses beyond the basics (see [`crate::ctx::Uses`]).
    fn uses(&self) -> crate::ctx::Uses {
        crate::ctx::Uses::BASE
    }
}

/// Parks a poison record in the worker's DLQ; true if it is safely there.
async fn dead_letter(ctx: &Ctx, worker: &dyn Worker, record: &Record) -> bool {
    let Some(dlq) = worker.dead_letters(ctx) else {
        return false;
    };
    let message = match &record.group {
        Some(group) => OutMessage::fifo(record.body.clone(), group.clone(), record.id.clone()),
        None => OutMessage::new(record.body.clone()),
    };
    match dlq.send(message).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(queue = worker.name(), message_id = %record.id, error = %e, "could not dead-letter");
            false
        }
    }
}

/// Runs a batch and returns the ids of the records that failed.
///
/// FIFO groups run concurrently; within a group records run in order and, once one fails,
/// the rest of that group fail too without running, so a later message is never handled
/// before an earlier one (what Lambda expects of FIFO partial batch responses).
pub async fn run_batch(ctx: &Ctx, worker: &dyn Worker, records: Vec<Record>) -> Vec<String> {
    let mut units: Vec<Vec<Record>> = Vec::new();
    let mut by_group: HashMap<String, usize> = HashMap::new();
    for record in records {
        match record.group.clone() {
            Some(group) => match by_group.get(&group) {
                Some(&i) => units[i].push(record),
                None => {
                    by_group.insert(group, units.len());
                    units.push(vec![record]);
                }
            },
            None => units.push(vec![record]),
        }
    }
    let runs = units.into_iter().map(|unit| async move {
        let mut failed = Vec::new();
        for record in unit {
            if !failed.is_empty() {
                failed.push(record.id);
                continue;
            }
            let outcome = std::panic::AssertUnwindSafe(worker.handle(ctx, &record)).catch_unwind().await;
            let error = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e,
                Err(_) => WorkError::Retry("handler panicked".into()),
            };
            match &error {
                WorkError::Poison(_) => {
                    if dead_letter(ctx, worker, &record).await {
                        tracing::error!(queue = worker.name(), message_id = %record.id, %error, "poison message dead-lettered");
                        continue;
                    }
                    tracing::error!(queue = worker.name(), message_id = %record.id, receives = record.receive_count, %error, "message failed");
                }
                WorkError::Retry(_) => tracing::warn!(queue = worker.name(), message_id = %record.id, receives = record.receive_count, %error, "message failed"),
            }
            failed.push(record.id);
        }
        failed
    });
    futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The Lambda entry for an SQS event source with `ReportBatchItemFailures`.
pub async fn sqs_batch(ctx: &Ctx, worker: &dyn Worker, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    let mut records = Vec::with_capacity(event.records.len());
    for message in event.records {
        let Some(id) = message.message_id else {
            // Without an id the record cannot be reported on its own. An empty identifier makes
            // Lambda fail the whole batch, the only answer that loses nothing.
            tracing::error!("SQS record without message id");
            failures.push(String::new());
            continue;
        };
        records.push(Record {
            body: message.body.unwrap_or_default(),
            group: message.attributes.get("MessageGroupId").cloned(),
            receive_count: message
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
            id,
        });
    }
    failures.extend(run_batch(ctx, worker, records).await);
    let mut response = SqsBatchResponse::default();
    for id in failures {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
