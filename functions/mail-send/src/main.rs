//! Lambda: the mail queue consumer (SQS FIFO, `ReportBatchItemFailures`): opens sealed mail
//! jobs, composes reset links, sends through the mail provider. All logic lives in
//! `atelier-core`.

use atelier_core::workers::mail::MailWorker;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    atelier_core::workers::run_lambda(MailWorker).await
}
