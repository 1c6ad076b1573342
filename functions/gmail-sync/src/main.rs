//! Lambda: the gmail-sync queue consumer (SQS FIFO, `ReportBatchItemFailures`). All logic
//! lives in `atelier-core`; this binary only starts the runtime.

use atelier_core::workers::gmail_sync::GmailSyncWorker;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    atelier_core::workers::run_lambda(GmailSyncWorker).await
}
