//! Black-box tests of the local stack: booted on port 0, driven only over HTTP (and, for
//! restarts, through the same data directory).

use atelier_core::config::Config;
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::{BlobKey, Condition, Item, Key, Purpose, SealContext, SystemClock};
use atelier_core::workers::gmail_sync::GmailSyncMessage;
use atelier_core::{Ctx, http};
use atelier_tests::app::TestApp;
use bytes::Bytes;
use secrecy::ExposeSecret;
use std::sync::Arc;

async fn problem(resp: reqwest::Response, status: u16, slug: &str) -> serde_json::Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:atelier:problem:{slug}"));
    assert_eq!(body["status"], status);
    assert_eq!(
        body["request_id"], request_id,
        "the problem names the request"
    );
    body
}

#[tokio::test]
async fn health_answers_200_naming_the_embedded_backend() {
    let app = TestApp::spawn().await;
    let resp = app.get("/health").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], "embedded");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problem_json() {
    let app = TestApp::spawn().await;
    problem(app.get("/nope").await, 404, "not-found").await;
    problem(app.get("/health/").await, 404, "not-found").await;
    let resp = app.http.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(resp.headers()["allow"], "GET");
    problem(resp, 405, "method-not-allowed").await;
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_its_own_request_id() {
    let app = TestApp::spawn().await;
    let a = app.get("/health").await.headers()["x-request-id"].clone();
    let b = app.get("/nope").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
    assert_eq!(a.len(), 26, "a ULID");
    app.stop().await;
}

#[tokio::test]
async fn cors_allows_the_configured_origin_and_refuses_others() {
    let app = TestApp::spawn().await;
    let allowed = "http://localhost:5173";
    let resp = app
        .http
        .get(app.url("/health"))
        .header("origin", allowed)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], allowed);
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/health"))
        .header("origin", allowed)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-methods"], "GET");
    assert_eq!(preflight.headers().get_all("vary").iter().count(), 1);

    let evil = app
        .http
        .get(app.url("/health"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    problem(evil, 403, "origin-not-allowed").await;
    app.stop().await;
}

#[tokio::test]
/// Beyond the largest body any route takes (an upload), the local server stops reading.
async fn an_oversized_body_is_refused_with_413_and_the_server_lives_on() {
    let app = TestApp::spawn().await;
    let big = vec![b'x'; 5 * 1024 * 1024];
    let resp = app
        .http
        .post(app.url("/health"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    problem(resp, 413, "payload-too-large").await;
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_dispatcher_itself_enforces_the_body_limit() {
    // On Lambda there is no local server in front: the shared dispatcher must refuse too.
    let dir = tempfile::TempDir::new().unwrap();
    let mut config = Config::embedded(dir.path());
    config.max_body_bytes = 16;
    let ctx = Ctx::build(config, Arc::new(SystemClock)).await.unwrap();
    let req = ::http::Request::get("/health")
        .body(lambda_http::Body::Text("x".repeat(17)))
        .unwrap();
    let resp = http::handle(&ctx, req).await;
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn openapi_document_is_served_and_lists_the_routes() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in http::ROUTES.iter() {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} missing", route.method, route.path);
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn the_gmail_sync_consumer_runs_in_process() {
    let app = TestApp::spawn().await;
    let ctx = &app.running.ctx;
    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloom.example").unwrap();
    let msg = GmailSyncMessage::MailboxChanged {
        brand_id: brand,
        mailbox: mailbox.clone(),
        history_id: HistoryId(77),
    };
    ctx.queues.gmail_sync.send(msg.to_message()).await.unwrap();
    let seen = atelier_tests::watermark_eventually(ctx, &brand, &mailbox).await;
    assert_eq!(seen, Some(HistoryId(77)));
    app.stop().await;
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::TempDir::new().unwrap();
    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloom.example").unwrap();
    let context = SealContext::new(brand.to_string(), Purpose::OAuthTokens);
    let blob = BlobKey::parse("brand-1/files/plan.pdf").unwrap();
    let sealed;
    {
        // Work queued and stored while no consumer runs…
        let ctx = Ctx::build(Config::embedded(dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        ctx.table
            .put(
                Item::new(Key::new("B#1", "C#1")).with("name", "Ana"),
                Condition::Absent,
            )
            .await
            .unwrap();
        ctx.blobs
            .put(&blob, Bytes::from_static(b"%PDF"), "application/pdf")
            .await
            .unwrap();
        sealed = ctx.cipher.seal(&context, b"refresh-token").await.unwrap();
        let msg = GmailSyncMessage::MailboxChanged {
            brand_id: brand,
            mailbox: mailbox.clone(),
            history_id: HistoryId(9),
        };
        ctx.queues.gmail_sync.send(msg.to_message()).await.unwrap();
    }
    // …is all there when the stack starts again on the same directory.
    let app = TestApp::spawn_in(dir.path(), Arc::new(SystemClock)).await;
    let ctx = &app.running.ctx;
    let item = ctx
        .table
        .get(&Key::new("B#1", "C#1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.get("name").unwrap(), "Ana");
    assert_eq!(
        ctx.blobs.get(&blob).await.unwrap().unwrap().bytes,
        Bytes::from_static(b"%PDF")
    );
    assert_eq!(
        ctx.cipher
            .open(&context, &sealed)
            .await
            .unwrap()
            .expose_secret(),
        b"refresh-token"
    );
    let seen = atelier_tests::watermark_eventually(ctx, &brand, &mailbox).await;
    assert_eq!(
        seen,
        Some(HistoryId(9)),
        "the queued message was consumed after the restart"
    );
    app.stop().await;
}
