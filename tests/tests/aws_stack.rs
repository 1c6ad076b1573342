//! The same local stack on the AWS adapters (`ATELIER_BACKEND=aws`), against the emulator:
//! HTTP served, and the gmail-sync consumer polling SQS and writing to DynamoDB.

use atelier_core::Ctx;
use atelier_core::config::{AwsResources, Backend, Config};
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::SystemClock;
use atelier_core::workers::gmail_sync::GmailSyncMessage;
use atelier_local::Application;
use atelier_tests::aws;
use std::sync::Arc;

#[tokio::test]
async fn the_local_stack_runs_on_the_aws_adapters() {
    let table = aws::unique("table");
    aws::create_table(&table).await;
    let (queue, dlq) = aws::create_fifo_pair(5, 30).await;
    let (exports, exports_dlq) = aws::create_fifo_pair(3, 30).await;
    let mut config = Config::embedded("unused");
    config.backend = Backend::Aws;
    config.aws = Some(AwsResources {
        table,
        secrets_key_id: aws::create_key().await,
        bucket: aws::create_bucket().await,
        gmail_sync_queue_url: queue,
        gmail_sync_dlq_url: dlq,
        exports_queue_url: exports,
        exports_dlq_url: exports_dlq,
        signing_key_id: aws::create_signing_key().await,
    });
    // A mail provider is required with the aws backend; nothing here sends mail.
    config.resend = Some(atelier_core::config::Resend {
        api_key: "re_test".to_owned().into(),
        base_url: "http://127.0.0.1:9".into(),
    });
    let ctx = Ctx::with_sdk(config, Arc::new(SystemClock), &aws::sdk_config().await).unwrap();
    let app = Application::from_ctx(ctx, "127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", app.addr());
    let running = app.start();

    let health: serde_json::Value = reqwest::get(format!("{base}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["backend"], "aws");

    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloom.example").unwrap();
    let msg = GmailSyncMessage::MailboxChanged {
        brand_id: brand,
        mailbox: mailbox.clone(),
        history_id: HistoryId(123),
    };
    running
        .ctx
        .queues
        .gmail_sync
        .send(msg.to_message())
        .await
        .unwrap();
    let seen = atelier_tests::watermark_eventually(&running.ctx, &brand, &mailbox).await;
    assert_eq!(
        seen,
        Some(HistoryId(123)),
        "consumed from SQS, written to DynamoDB"
    );
    running.shutdown().await;
}
