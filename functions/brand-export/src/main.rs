//! Lambda: the brand-export queue consumer (SQS FIFO, `ReportBatchItemFailures`), writing
//! full JSON exports of brands to S3. All logic lives in `atelier-core`.

use atelier_core::workers::export::ExportWorker;
use atelier_core::workers::{SqsEvent, sqs_batch};
use atelier_core::{Ctx, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let ctx = Ctx::from_env().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(sqs_batch(&ctx, &ExportWorker, event.payload).await) }
    }))
    .await
}
