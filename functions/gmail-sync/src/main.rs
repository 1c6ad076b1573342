//! Lambda: the gmail-sync queue consumer (SQS FIFO, `ReportBatchItemFailures`). All logic
//! lives in `atelier-core`; this binary only starts the runtime.

use atelier_core::workers::gmail_sync::GmailSyncWorker;
use atelier_core::workers::{SqsEvent, sqs_batch};
use atelier_core::{Ctx, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let ctx = Ctx::from_env().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(sqs_batch(&ctx, &GmailSyncWorker, event.payload).await) }
    }))
    .await
}
