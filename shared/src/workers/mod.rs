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

/// The whole `main` of a queue consumer function: logging, the ports for this cold start, and
/// the Lambda runtime handing each SQS batch to `worker` (reporting partial batch failures).
pub async fn run_lambda<W: Worker + 'static>(worker: W) -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let ctx = crate::Ctx::from_env(worker.uses()).await?;
    ctx.warm_up().await;
    let worker = std::sync::Arc::new(worker);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
            let (ctx, worker) = (ctx.clone(), worker.clone());
            async move {
                Ok::<_, lambda_runtime::Error>(
                    sqs_batch(&ctx, worker.as_ref(), event.payload).await,
                )
            }
        },
    ))
    .await
}
