//! Queue consumers and scheduled jobs. Each consumer is a [`Worker`]; the runner gives every
//! entry point (a Lambda SQS batch, the local poller) the same semantics: records parsed and
//! handled one by one, concurrently across FIFO groups and in order within one, panics
//! contained, and failures reported per record.

pub mod envelope;
pub mod export;
pub mod gmail_sync;
pub mod jobs;
pub mod mail;
pub mod poller;
pub mod runner;

pub use runner::{Record, WorkError, Worker, run_batch, sqs_batch};

/// The Lambda event types a consumer function's `main` names.
pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
