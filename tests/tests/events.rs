//! Replays the sample Lambda events in `events/` through the same handlers the functions run.

use atelier_core::app::mailbox_notices;
use atelier_core::config::Config;
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::SystemClock;
use atelier_core::workers::gmail_sync::GmailSyncWorker;
use atelier_core::workers::{SqsEvent, sqs_batch};
use atelier_core::{Ctx, http, keys};
use std::sync::Arc;
use tempfile::TempDir;

fn event(name: &str) -> String {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn ctx(dir: &TempDir) -> Ctx {
    let mut config = Config::embedded(dir.path());
    config.cors_origins = vec!["https://app.atelier.example".into()];
    Ctx::build(config, Arc::new(SystemClock)).await.unwrap()
}

#[tokio::test]
async fn api_gateway_health_event_answers_with_the_gateway_request_id_and_cors() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let req = lambda_http::request::from_str(&event("apigw-v2-health.json")).unwrap();
    let resp = http::handle(&ctx, req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], "JKJaXmPLvHcESHA=");
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://app.atelier.example"
    );
    let body: serde_json::Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
    assert_eq!(body["backend"], "embedded");
}

#[tokio::test]
async fn api_gateway_unknown_route_event_is_a_problem_404() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let req = lambda_http::request::from_str(&event("apigw-v2-unknown-route.json")).unwrap();
    let resp = http::handle(&ctx, req).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
    assert_eq!(body["type"], "urn:atelier:problem:not-found");
    assert_eq!(body["request_id"], "JKJbQm2LvHcEPOw=");
}

#[tokio::test]
async fn sqs_gmail_sync_event_dead_letters_the_poison_message_and_redelivery_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let batch: SqsEvent = serde_json::from_str(&event("sqs-gmail-sync.json")).unwrap();

    let resp = sqs_batch(&ctx, &GmailSyncWorker, batch.clone()).await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "{:?}",
        resp.batch_item_failures
    );
    // The poison message (unknown envelope version) went straight to the DLQ, in its group.
    let dead = ctx
        .queues
        .gmail_sync_dlq
        .receive(10, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, r#"{"v":7,"type":"mailbox_changed"}"#);
    assert_eq!(
        dead[0].group.as_deref(),
        Some("01JD3Z8Q6W0Y8S9G5V2N4K7M1P.ffffffffffffffff")
    );

    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloomballoons.example").unwrap();
    assert_eq!(
        mailbox_notices::current(&ctx, &brand, &mailbox)
            .await
            .unwrap(),
        Some(HistoryId(4415))
    );
    let before = ctx
        .table
        .get(&keys::brand::mailbox_notice(&mailbox).in_brand(&brand))
        .await
        .unwrap()
        .unwrap();

    // At-least-once delivery: the same batch again leaves the record exactly as it was, and
    // the DLQ's dedup window keeps the poison message there once.
    let again = sqs_batch(&ctx, &GmailSyncWorker, batch).await;
    assert!(again.batch_item_failures.is_empty());
    let after = ctx
        .table
        .get(&keys::brand::mailbox_notice(&mailbox).in_brand(&brand))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn an_sqs_record_without_an_id_fails_the_whole_batch() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let mut batch: SqsEvent = serde_json::from_str(&event("sqs-gmail-sync.json")).unwrap();
    batch.records[0].message_id = None;
    let resp = sqs_batch(&ctx, &GmailSyncWorker, batch).await;
    assert!(
        resp.batch_item_failures
            .iter()
            .any(|f| f.item_identifier.is_empty())
    );
}

#[tokio::test]
async fn the_daily_schedule_event_runs_the_retention_jobs() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    // The function ignores the event's content; it must still be a well-formed schedule event.
    let event: serde_json::Value = serde_json::from_str(&event("eventbridge-daily.json")).unwrap();
    assert_eq!(event["detail-type"], "Scheduled Event");
    let done = atelier_core::workers::jobs::run_retention(&ctx)
        .await
        .unwrap();
    assert_eq!(
        done,
        vec!["account-anonymisation: anonymised 0 deleted accounts"]
    );
}
