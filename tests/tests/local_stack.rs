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

/// Reads from `stream` until the server closes it or `within` passes; returns what came.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn slow_bodies_idle_connections_and_crowds_are_cut_off_by_the_local_server() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let app = TestApp::spawn_configured(
        |c| {
            c.local_server.header_timeout = Duration::from_millis(600);
            c.local_server.body_timeout = Duration::from_millis(600);
            c.local_server.max_connections = 3;
        },
        Arc::new(SystemClock),
    )
    .await;
    let addr = app.running.addr;

    // A body that never finishes: 408 and the connection closed, not held for minutes.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        b"POST /auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\":",
    )
    .await
    .unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(5))
        .await
        .expect("closed within the body deadline");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A connection that sends nothing, and one kept alive after a request, are closed.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(
        read_until_closed(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut kept, Duration::from_secs(5))
        .await
        .expect("the idle kept-alive connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Three connections held open fill the cap; a fourth waits until one of them ends.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /auth/login HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n")
            .await
            .unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the fourth connection waited for room ({:?})",
        started.elapsed()
    );
    drop(held);
    app.stop().await;
}
