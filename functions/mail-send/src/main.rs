//! Lambda: the mail queue consumer (SQS FIFO, `ReportBatchItemFailures`): opens sealed mail
//! jobs, composes reset links, sends through the mail provider. All logic lives in
//! `atelier-core`.

use atelier_core::workers::mail::MailWorker;
use atelier_core::workers::{SqsEvent, sqs_batch};
use atelier_core::{Ctx, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let ctx = Ctx::from_env().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(sqs_batch(&ctx, &MailWorker, event.payload).await) }
    }))
    .await
}
