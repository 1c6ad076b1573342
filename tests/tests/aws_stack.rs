//! The same local stack on the AWS adapters (`ATELIER_BACKEND=aws`), against the emulator:
//! HTTP served, the gmail-sync consumer polling SQS and writing to DynamoDB, and mail going
//! out through the sealed mail queue.

use atelier_core::Ctx;
use atelier_core::config::{AwsResources, Backend, Config};
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::SystemClock;
use atelier_core::workers::gmail_sync::GmailSyncMessage;
use atelier_local::Application;
use atelier_tests::aws;
use atelier_tests::fake::FakeServer;
use std::sync::Arc;

#[tokio::test]
async fn the_local_stack_runs_on_the_aws_adapters() {
    let table = aws::unique("table");
    aws::create_table(&table).await;
    let (queue, dlq) = aws::create_fifo_pair(5, 30).await;
    let (exports, exports_dlq) = aws::create_fifo_pair(3, 30).await;
    let (mail, mail_dlq) = aws::create_fifo_pair(5, 30).await;
    let resend = FakeServer::start(|_, _| (200, vec![], r#"{"id":"49a3999c"}"#.into())).await;
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
        mail_queue_url: mail,
        mail_dlq_url: mail_dlq,
        signing_key_id: aws::create_signing_key().await,
        brand_data_role_arn: aws::BRAND_DATA_ROLE.into(),
    });
    config.resend = Some(atelier_core::config::Resend {
        api_key: "re_test".to_owned().into(),
        base_url: resend.base.clone(),
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

    // Mail goes out through the sealed mail queue on SQS and KMS: a sign-up's verification
    // link, then a reset link composed by the consumer.
    let http = reqwest::Client::new();
    let signup = serde_json::json!({"email": "ana@bloom.example", "password": "balloon arch at dawn", "name": "Ana"});
    let resp = http
        .post(format!("{base}/auth/signup"))
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let resp = http
        .post(format!("{base}/auth/password/reset-request"))
        .json(&serde_json::json!({"email": "ana@bloom.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let mut texts = Vec::new();
    for _ in 0..200 {
        texts = resend
            .requests()
            .iter()
            .map(|r| r.body.clone())
            .collect::<Vec<_>>();
        if texts.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        texts.iter().any(|t| t.contains("verify-email?token=")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("reset-password?token=")),
        "{texts:?}"
    );
    running.shutdown().await;
}

/// A Lambda builds only what its function uses: without mail settings, every function but
/// mail-send starts (and cannot send mail by mistake); mail-send refuses to start without
/// them; Sign in with Apple is built only where it is verified.
#[tokio::test]
async fn a_function_builds_only_what_it_uses() {
    use atelier_core::ctx::Uses;
    let mut config = Config::embedded("unused");
    config.backend = Backend::Aws;
    config.aws = Some(AwsResources {
        table: "t".into(),
        secrets_key_id: "k".into(),
        bucket: "b".into(),
        gmail_sync_queue_url: "q".into(),
        gmail_sync_dlq_url: "q".into(),
        exports_queue_url: "q".into(),
        exports_dlq_url: "q".into(),
        mail_queue_url: "q".into(),
        mail_dlq_url: "q".into(),
        signing_key_id: "s".into(),
        brand_data_role_arn: aws::BRAND_DATA_ROLE.into(),
    });
    config.resend = None;
    config.apple = Some(atelier_core::config::Apple {
        client_id: "com.atelier.web".into(),
        keys_url: "http://127.0.0.1:9/keys".into(),
    });
    let sdk = aws::sdk_config().await;
    let clock = Arc::new(SystemClock);
    let base = Ctx::with_sdk_for(config.clone(), clock.clone(), &sdk, Uses::BASE).unwrap();
    assert!(base.apple.is_none(), "no Apple verifier where none is used");
    let mail = atelier_core::ports::Mail {
        to: Email::parse("ana@bloom.example").unwrap(),
        subject: "s".into(),
        text: "t".into(),
        idempotency_key: "k".into(),
    };
    assert!(matches!(
        base.mailer.send(mail).await,
        Err(atelier_core::ports::MailError::Unavailable(_))
    ));
    let auth = Uses {
        apple: Some(atelier_core::ctx::apple_verifier),
        ..Uses::BASE
    };
    assert!(
        Ctx::with_sdk_for(config.clone(), clock.clone(), &sdk, auth)
            .unwrap()
            .apple
            .is_some()
    );
    let sender = Uses {
        mail: Some(atelier_core::ctx::resend_mailer),
        ..Uses::BASE
    };
    let refused = Ctx::with_sdk_for(config, clock, &sdk, sender)
        .err()
        .unwrap();
    assert!(
        refused.to_string().contains("ATELIER_RESEND_API_KEY"),
        "{refused}"
    );
}
