//! Lambda: the brand-export queue consumer (SQS FIFO, `ReportBatchItemFailures`), writing
//! full JSON exports of brands to S3. All logic lives in `atelier-core`.

use atelier_core::workers::export::ExportWorker;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    atelier_core::workers::run_lambda(ExportWorker).await
}
