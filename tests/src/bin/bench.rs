//! `cargo xtask bench`: figures for the local stack and the embedded adapters. Prints numbers;
//! asserts nothing about speed. Usage: `bench <path to the atelier binary>`.

use atelier_core::adapters::embedded::{
    self, EmbeddedQueue, KeyFileCipher, QueueSettings, RedbTable,
};
use atelier_core::app::auth::{passwords, tokens};
use atelier_core::ports::{
    Cipher, Condition, Item, Key, OutMessage, Purpose, Query, Queue, SealContext, SystemClock,
    Table,
};
use reqwest::Method;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn per_sec(n: usize, d: Duration) -> String {
    format!("{:>9.0}/s", n as f64 / d.as_secs_f64())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Sends `total` requests over `concurrency` connections, each expecting `status`, and
/// prints the rate and latencies under `label`.
#[allow(clippy::too_many_arguments)]
async fn load(
    label: &str,
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    total: usize,
    concurrency: usize,
    status: u16,
) {
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, method) = (http.clone(), url.to_owned(), method.clone());
        let (token, body) = (token.map(str::to_owned), body.cloned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for _ in 0..total / concurrency {
                let mut req = http.request(method.clone(), &url);
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                if let Some(b) = &body {
                    req = req.json(b);
                }
                let t = Instant::now();
                let r = req.send().await.unwrap();
                assert_eq!(r.status().as_u16(), status, "{method} {url}");
                r.bytes().await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = began.elapsed();
    lat.sort();
    println!(
        "{label}, {concurrency} connections: {} p50 {:.2?} p99 {:.2?}",
        per_sec(lat.len(), elapsed),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
}

/// Signs up, creates a brand and returns an access token in it.
async fn owner_token(http: &reqwest::Client, base: &str) -> String {
    let account = serde_json::json!({"email": "crm@atelier.example", "password": "balloon arch at dawn", "name": "Bench"});
    http.post(format!("{base}/auth/signup"))
        .json(&account)
        .send()
        .await
        .unwrap();
    let login = serde_json::json!({"email": "crm@atelier.example", "password": "balloon arch at dawn", "refresh_token_in_body": true});
    let tokens: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    // A brand's creator needs a verified address: follow the link the stack mailed.
    let outbox: serde_json::Value = http
        .get(format!("{base}/dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = atelier_tests::app::token_in_outbox(&outbox, None, "verify-email?token=")
        .expect("a verification link");
    http.post(format!("{base}/auth/verify-email"))
        .json(&serde_json::json!({ "token": link }))
        .send()
        .await
        .unwrap();
    let brand: serde_json::Value = http
        .post(format!("{base}/brands"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "Bench", "slug": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let switched: serde_json::Value = http
        .post(format!("{base}/auth/switch-brand"))
        .bearer_auth(token)
        .json(&serde_json::json!({"brand_id": brand["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    switched["access_token"].as_str().unwrap().to_owned()
}

/// Spawns `atelier`, returns (child, base URL, time until its first /health answered 200).
#[expect(
    clippy::zombie_processes,
    reason = "the caller kills and reaps the child it is handed"
)]
async fn start(
    bin: &str,
    dir: &std::path::Path,
    http: &reqwest::Client,
) -> (std::process::Child, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("ATELIER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start atelier");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = format!(
        "http://{}",
        line.split("http://")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
    );
    loop {
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status() == 200
        {
            return (child, base, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .expect("usage: bench <atelier binary>");
    let http = reqwest::Client::new();

    println!("\n== local stack (release `atelier`, embedded backend)");
    let mut starts = Vec::new();
    let dir = tempfile::TempDir::new().unwrap();
    for i in 0..5 {
        // The first start creates the data directory; later ones reopen it.
        let (mut child, _, took) = start(&bin, dir.path(), &http).await;
        starts.push(took);
        child.kill().unwrap();
        child.wait().unwrap();
        if i == 0 {
            println!("start → /health 200, fresh data dir: {took:.1?}");
        }
    }
    starts[1..].sort();
    println!(
        "start → /health 200, existing data dir: median {:.1?} (4 runs)",
        starts[2]
    );

    let (mut child, base, _) = start(&bin, dir.path(), &http).await;
    let concurrency = 32;
    load(
        "GET /health",
        &http,
        Method::GET,
        &format!("{base}/health"),
        None,
        None,
        5000,
        concurrency,
        200,
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();

    println!("\n== CRM records (release `atelier`, embedded backend, over HTTP)");
    let dir = tempfile::TempDir::new().unwrap();
    let (mut child, base, _) = start(&bin, dir.path(), &http).await;
    let token = owner_token(&http, &base).await;
    let body = serde_json::json!({"name": "Mia Chen", "email": "mia@client.example",
        "phone": "+44 7700 900123", "tags": ["wedding", "vip"]});
    load(
        "POST /contacts",
        &http,
        Method::POST,
        &format!("{base}/contacts"),
        Some(&token),
        Some(&body),
        4000,
        concurrency,
        201,
    )
    .await;
    load(
        "GET /contacts (page of 50 of 4,000)",
        &http,
        Method::GET,
        &format!("{base}/contacts?limit=50"),
        Some(&token),
        None,
        4000,
        concurrency,
        200,
    )
    .await;
    // Hostile payloads (issue 8): how long the stack takes to refuse them.
    let tags: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let hostile = serde_json::json!({"name": "Mia", "tags": tags});
    let started = Instant::now();
    let status = http
        .post(format!("{base}/contacts"))
        .bearer_auth(&token)
        .json(&hostile)
        .send()
        .await
        .unwrap()
        .status();
    println!(
        "POST /contacts with 100,000 tags: {status} in {:.1?}",
        started.elapsed()
    );
    let tags: Vec<String> = (0..120_000).map(|i| format!("t{i}")).collect();
    let csv = format!("name,tags\nMia,{}\n", tags.join(";"));
    let started = Instant::now();
    let status = http
        .post(format!("{base}/imports/contacts?dry_run=true"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .status();
    println!(
        "CSV import dry run, one row of 120,000 tags (0.85 MB): {status} in {:.1?}",
        started.elapsed()
    );
    load(
        "GET /contacts filtered and sorted (scans 4,000)",
        &http,
        Method::GET,
        &format!("{base}/contacts?limit=50&tags=vip&sort=-name"),
        Some(&token),
        None,
        400,
        concurrency,
        200,
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();

    println!("\n== identity (release `atelier`, over HTTP)");
    let dir = tempfile::TempDir::new().unwrap();
    let (mut child, base, _) = start(&bin, dir.path(), &http).await;
    let account = serde_json::json!({"email": "bench@atelier.example", "password": "balloon arch at dawn", "name": "Bench"});
    http.post(format!("{base}/auth/signup"))
        .json(&account)
        .send()
        .await
        .unwrap();
    let login = serde_json::json!({"email": "bench@atelier.example", "password": "balloon arch at dawn", "refresh_token_in_body": true});
    let mut lat = Vec::new();
    // 20 logins: under the per-IP limit of 30 a minute.
    for _ in 0..20 {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/auth/login"))
            .json(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "POST /auth/login (argon2id m=19MiB t=2 p=1): p50 {:.1?} p99 {:.1?} (20 logins)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    // Reset requests for an address with an account and one without, interleaved: 10 pairs,
    // the per-IP limit of 20 an hour.
    let (mut known, mut unknown, mut known_slower) = (Vec::new(), Vec::new(), 0);
    for _ in 0..10 {
        let mut pair = [Duration::ZERO; 2];
        for (i, email) in ["bench@atelier.example", "nobody@atelier.example"]
            .into_iter()
            .enumerate()
        {
            let t = Instant::now();
            let r = http
                .post(format!("{base}/auth/password/reset-request"))
                .json(&serde_json::json!({ "email": email }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
            r.bytes().await.unwrap();
            pair[i] = t.elapsed();
        }
        known_slower += usize::from(pair[0] > pair[1]);
        known.push(pair[0]);
        unknown.push(pair[1]);
    }
    known.sort();
    unknown.sort();
    println!(
        "POST /auth/password/reset-request: account p50 {:.2?}, no account p50 {:.2?}; account slower in {known_slower} of 10 interleaved pairs",
        percentile(&known, 0.5),
        percentile(&unknown, 0.5)
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let ctx_dir = tempfile::TempDir::new().unwrap();
    let ctx = atelier_core::Ctx::build(
        atelier_core::config::Config::embedded(ctx_dir.path()),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let user = atelier_core::domain::UserId::new(ctx.clock.as_ref());
    let token = tokens::issue(&ctx, &user, "01JSESSION", None)
        .await
        .unwrap()
        .token;
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        tokens::verify(&ctx, &token).await.unwrap();
    }
    println!(
        "access-token verification (ES256, in process): {:.1} µs each",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let hash = passwords::hash("balloon arch at dawn").await.unwrap();
    let mut lat = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        assert!(passwords::verify("balloon arch at dawn", &hash).await);
        lat.push(t.elapsed());
    }
    lat.sort();
    println!("argon2id verify alone: p50 {:.1?}", percentile(&lat, 0.5));

    println!("\n== embedded adapters (in process)");
    let dir = tempfile::TempDir::new().unwrap();
    let db = embedded::open_database(dir.path()).unwrap();
    let clock = Arc::new(SystemClock);
    let table = RedbTable::new(db.clone(), clock.clone()).unwrap();
    let n = 2000;
    let t = Instant::now();
    for i in 0..n {
        let item = Item::new(Key::new("B#bench", format!("C#{i:06}")))
            .with("name", "Ana Lima")
            .with("version", 1);
        table.put(item, Condition::Absent).await.unwrap();
    }
    println!(
        "table put (one durable commit each):   {}",
        per_sec(n, t.elapsed())
    );
    let t = Instant::now();
    for i in 0..n {
        table
            .get(&Key::new("B#bench", format!("C#{i:06}")))
            .await
            .unwrap()
            .unwrap();
    }
    println!(
        "table get:                              {}",
        per_sec(n, t.elapsed())
    );
    let t = Instant::now();
    let (mut cursor, mut seen) = (None, 0);
    loop {
        let page = table
            .query(Query::partition("B#bench").limit(50).after(cursor))
            .await
            .unwrap();
        seen += page.items.len();
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, n);
    println!(
        "table query, pages of 50:               {} items",
        per_sec(n, t.elapsed())
    );

    let settings = QueueSettings {
        name: "bench.fifo".into(),
        fifo: true,
        visibility_timeout: Duration::from_secs(30),
        max_receives: 5,
        dlq: None,
    };
    let queue = EmbeddedQueue::new(db, clock, settings).unwrap();
    let m = 500;
    let t = Instant::now();
    for i in 0..m {
        queue
            .send(OutMessage::fifo(
                format!("{{\"v\":1,\"n\":{i}}}"),
                format!("g{}", i % 20),
                format!("d{i}"),
            ))
            .await
            .unwrap();
    }
    println!(
        "queue send:                             {}",
        per_sec(m, t.elapsed())
    );
    let t = Instant::now();
    let mut got = 0;
    while got < m {
        let batch = queue.receive(10, Duration::ZERO).await.unwrap();
        for msg in &batch {
            queue.ack(&msg.receipt).await.unwrap();
        }
        got += batch.len();
    }
    println!(
        "queue receive + ack:                    {}",
        per_sec(m, t.elapsed())
    );

    let cipher = KeyFileCipher::open_or_create(&dir.path().join("bench.key")).unwrap();
    let ctx = SealContext::new("01JD3Z8Q6W0Y8S9G5V2N4K7M1P", Purpose::OAuthTokens);
    let c = 20_000;
    let t = Instant::now();
    let mut sealed = Vec::new();
    for _ in 0..c {
        sealed.push(
            cipher
                .seal(&ctx, b"ya29.a0AfH6SMBx-refresh-token-of-typical-length")
                .await
                .unwrap(),
        );
    }
    println!(
        "cipher seal (key file):                 {}",
        per_sec(c, t.elapsed())
    );
    let t = Instant::now();
    for s in &sealed {
        cipher.open(&ctx, s).await.unwrap();
    }
    println!(
        "cipher open (key file):                 {}",
        per_sec(c, t.elapsed())
    );
}
