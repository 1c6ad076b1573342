//! `cargo xtask bench`, cold starts: each function binary is spawned against a Lambda Runtime
//! API emulator (this process), with its AWS adapters pointed at the emulator of AWS (moto),
//! many times over. Prints per function: init (spawn → first `GET /runtime/invocation/next`),
//! the first invocation and warm ones (event handed out → response posted), peak RSS, and the
//! stripped binary size. Asserts nothing about speed.
//!
//! Usage: `coldstart <directory of release binaries> [cold starts per function]`, with
//! `ATELIER_TEST_AWS_ENDPOINT` naming moto (xtask starts it).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

/// What the emulator tells the bench: the function asked for work, or answered.
enum Seen {
    Next(Instant),
    Done(Instant, Result<String, String>),
}

/// The Runtime API's three calls, enough for `lambda_runtime`: `next` waits for the bench to
/// hand out an event; `response` and `error` report back.
struct Emulator {
    events: Mutex<mpsc::Receiver<String>>,
    seen: mpsc::Sender<Seen>,
}

async fn serve(
    emu: Arc<Emulator>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    let ok = |status: u16, body: String| {
        Ok(Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("response"))
    };
    if path.ends_with("/runtime/invocation/next") {
        let _ = emu.seen.send(Seen::Next(Instant::now())).await;
        let Some(event) = emu.events.lock().await.recv().await else {
            return ok(500, "{}".into());
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 30_000)
            .unwrap_or_default();
        return Ok(Response::builder()
            .status(200)
            .header(
                "lambda-runtime-aws-request-id",
                ulid::Ulid::new().to_string(),
            )
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(Bytes::from(event)))
            .expect("response"));
    }
    let body = req.into_body().collect().await?.to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    let outcome = if path.ends_with("/response") {
        Ok(text)
    } else {
        Err(format!("{path}: {text}"))
    };
    let _ = emu.seen.send(Seen::Done(Instant::now(), outcome)).await;
    ok(202, "{}".into())
}

/// Starts an emulator on a free loopback port: its address, where events go in, and what it
/// saw.
async fn emulator() -> (String, mpsc::Sender<String>, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (events_tx, events_rx) = mpsc::channel(4);
    let (seen_tx, seen_rx) = mpsc::channel(16);
    let emu = Arc::new(Emulator {
        events: Mutex::new(events_rx),
        seen: seen_tx,
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let emu = emu.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| serve(emu.clone(), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, events_tx, seen_rx)
}

/// An API Gateway HTTP API (payload 2.0) event.
fn http_event(method: &str, path: &str, bearer: Option<&str>) -> String {
    let mut headers = json!({
        "accept": "application/json",
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "coldstart",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https"
    });
    if let Some(b) = bearer {
        headers["authorization"] = Value::from(format!("Bearer {b}"));
    }
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "coldstart"},
            "requestId": ulid::Ulid::new().to_string(), "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "06/Dec/2026:10:00:00 +0000", "timeEpoch": 1796551200000u64
        },
        "isBase64Encoded": false
    })
    .to_string()
}

/// An SQS event of one FIFO record.
fn sqs_event(body: &str, group: &str) -> String {
    json!({"Records": [{
        "messageId": ulid::Ulid::new().to_string(),
        "receiptHandle": "bench",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1", "SentTimestamp": "1796551200000",
            "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1796551200100",
            "SequenceNumber": "18870000000000000001", "MessageGroupId": group,
            "MessageDeduplicationId": ulid::Ulid::new().to_string()
        },
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench.fifo",
        "awsRegion": "us-east-1"
    }]})
    .to_string()
}

/// What each function is asked, first and warm: a request that reaches the AWS services it
/// uses (an API key lookup in DynamoDB, the signing key's public half in KMS, a brand's
/// handle through STS…).
fn event_for(function: &str) -> String {
    const BRAND: &str = "01JD3Z8Q6W0Y8S9G5V2N4K7M1P";
    match function {
        "api-health" => http_event("GET", "/health", None),
        "api-auth" => http_event("GET", "/.well-known/jwks.json", None),
        "api-brands" => http_event("GET", "/api-keys", Some("atk_bench_no_such_key")),
        "api-admin" => http_event("GET", "/admin/brands", Some("not.a.token")),
        "api-crm" => http_event("GET", "/contacts", Some("atk_bench_no_such_key")),
        "gmail-sync" => sqs_event(
            &json!({"v": 1, "type": "mailbox_changed", "brand_id": BRAND,
                    "mailbox": "hello@bloom.example", "history_id": "4412"})
            .to_string(),
            &format!("{BRAND}.bench"),
        ),
        "brand-export" => sqs_event(
            &json!({"v": 1, "type": "brand_export", "brand_id": BRAND,
                    "export_id": "01JD3Z8Q6W0Y8S9G5V2N4K7M1Q", "user_id": "01JD3Z8Q6W0Y8S9G5V2N4K7M1R"})
            .to_string(),
            BRAND,
        ),
        // A job that can never be opened: parked in the DLQ (an SQS call), nothing mailed.
        "mail-send" => sqs_event(&json!({"v": 99}).to_string(), "bench"),
        "retention-sweep" => json!({
            "version": "0", "id": "bench", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2026-12-06T03:00:00Z",
            "region": "us-east-1", "resources": [], "detail": {}
        })
        .to_string(),
        other => panic!("no event for {other}"),
    }
}

/// The emulator's next report, or why none came.
async fn wait(seen: &mut mpsc::Receiver<Seen>) -> Result<Seen, String> {
    tokio::time::timeout(Duration::from_secs(30), seen.recv())
        .await
        .map_err(|_| "timed out".to_owned())?
        .ok_or_else(|| "the emulator stopped".to_owned())
}

struct Run {
    init: Duration,
    first: Duration,
    warm: Vec<Duration>,
    rss_kib: u64,
}

/// Peak resident set of a live process, from `/proc` (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

async fn one_cold_start(
    binary: &Path,
    function: &str,
    env: &[(String, String)],
    warm: usize,
) -> Result<Run, String> {
    let (addr, events, mut seen) = emulator().await;
    let began = Instant::now();
    let child = std::process::Command::new(binary)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", &addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{function}: {e}"))?;
    let pid = child.id();
    // Stopped however this run ends.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _reap = Reap(child);
    let Seen::Next(ready) = wait(&mut seen).await? else {
        return Err("answered before asking".into());
    };
    let init = ready - began;
    let mut times = Vec::new();
    for _ in 0..=warm {
        let sent = Instant::now();
        events
            .send(event_for(function))
            .await
            .map_err(|e| e.to_string())?;
        let Seen::Done(done, outcome) = wait(&mut seen).await? else {
            return Err("asked again without answering".into());
        };
        outcome.map_err(|e| format!("{function} failed: {e}"))?;
        times.push(done - sent);
        // The next `next` call: the instance is ready again.
        let Seen::Next(_) = wait(&mut seen).await? else {
            return Err("answered twice".into());
        };
    }
    let rss_kib = peak_rss_kib(pid);
    Ok(Run {
        init,
        first: times[0],
        warm: times[1..].to_vec(),
        rss_kib,
    })
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The environment every function gets: the aws backend on the emulator's resources.
async fn environment() -> Vec<(String, String)> {
    use atelier_tests::aws;
    let endpoint = aws::endpoint();
    let table = aws::unique("coldstart");
    aws::create_table(&table).await;
    let (queue, dlq) = aws::create_fifo_pair(5, 30).await;
    let (exports, exports_dlq) = aws::create_fifo_pair(3, 30).await;
    let (mail, mail_dlq) = aws::create_fifo_pair(5, 30).await;
    let vars = [
        ("ATELIER_BACKEND", "aws".to_owned()),
        ("ATELIER_TABLE", table),
        ("ATELIER_SECRETS_KEY_ID", aws::create_key().await),
        ("ATELIER_BUCKET", aws::create_bucket().await),
        ("ATELIER_GMAIL_SYNC_QUEUE_URL", queue),
        ("ATELIER_GMAIL_SYNC_DLQ_URL", dlq),
        ("ATELIER_EXPORTS_QUEUE_URL", exports),
        ("ATELIER_EXPORTS_DLQ_URL", exports_dlq),
        ("ATELIER_MAIL_QUEUE_URL", mail),
        ("ATELIER_MAIL_DLQ_URL", mail_dlq),
        ("ATELIER_SIGNING_KEY_ID", aws::create_signing_key().await),
        (
            "ATELIER_BRAND_DATA_ROLE_ARN",
            aws::BRAND_DATA_ROLE.to_owned(),
        ),
        ("ATELIER_RESEND_API_KEY", "re_bench".to_owned()),
        ("ATELIER_RESEND_BASE_URL", "http://127.0.0.1:9".to_owned()),
        ("ATELIER_LOG", "error".to_owned()),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
    ];
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Every function package, as `functions/` holds them (the bench runs from the root).
fn functions() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("functions")
        .expect("run from the repository root")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What a brand handle adds to a brand's first request on a warm instance: `AssumeRole`
/// (against the emulator) before the first call, then nothing while it is cached.
async fn brand_handle_cost(env: &[(String, String)]) {
    use atelier_core::adapters::aws::{BrandResources, StsBrandStores};
    use atelier_core::ports::{BrandStores, Key, ManualClock};
    let var = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let stores = StsBrandStores::new(
        &atelier_tests::aws::sdk_config().await,
        BrandResources {
            role_arn: var("ATELIER_BRAND_DATA_ROLE_ARN"),
            table: var("ATELIER_TABLE"),
            bucket: var("ATELIER_BUCKET"),
            secrets_key_id: var("ATELIER_SECRETS_KEY_ID"),
        },
        Arc::new(ManualClock::starting_now()),
        256,
    );
    let clock = ManualClock::starting_now();
    let (mut first, mut cached) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let brand = atelier_core::domain::BrandId::new(&clock);
        let key = Key::new(format!("B#{brand}"), "BRAND");
        for times in [&mut first, &mut cached] {
            let t = Instant::now();
            stores.table(&brand).get(&key).await.expect("get");
            times.push(t.elapsed());
        }
    }
    first.sort();
    cached.sort();
    println!(
        "\n== a brand's first request on a warm instance (50 brands, moto): GetItem with \
         AssumeRole p50 {} ms p90 {} ms; cached p50 {} ms p90 {} ms; {} roles assumed",
        ms(pct(&first, 0.5)),
        ms(pct(&first, 0.9)),
        ms(pct(&cached, 0.5)),
        ms(pct(&cached, 0.9)),
        stores.roles_assumed()
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: coldstart <release dir> [runs]"));
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let warm = 10;
    let env = environment().await;
    println!(
        "\n== cold starts against a Lambda Runtime API emulator, AWS adapters on moto \
         ({runs} cold starts per function, {warm} warm invocations each; ms)"
    );
    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "function",
        "init p50",
        "init p90",
        "1st p50",
        "1st p90",
        "warm p50",
        "warm p90",
        "peak RSS",
        "stripped"
    );
    for function in &functions() {
        let binary = dir.join(function);
        if !binary.exists() {
            println!("{function:<16} (not built)");
            continue;
        }
        let mut runs_done = Vec::new();
        for _ in 0..runs {
            match one_cold_start(&binary, function, &env, warm).await {
                Ok(r) => runs_done.push(r),
                Err(e) => {
                    println!("{function:<16} failed: {e}");
                    break;
                }
            }
        }
        if runs_done.is_empty() {
            continue;
        }
        let sorted = |f: &dyn Fn(&Run) -> Vec<Duration>| {
            let mut v: Vec<Duration> = runs_done.iter().flat_map(f).collect();
            v.sort();
            v
        };
        let init = sorted(&|r| vec![r.init]);
        let first = sorted(&|r| vec![r.first]);
        let warm_all = sorted(&|r| r.warm.clone());
        let rss = runs_done.iter().map(|r| r.rss_kib).max().unwrap_or(0);
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        println!(
            "{function:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6.1} MiB {:>5.1} MiB",
            ms(pct(&init, 0.5)),
            ms(pct(&init, 0.9)),
            ms(pct(&first, 0.5)),
            ms(pct(&first, 0.9)),
            ms(pct(&warm_all, 0.5)),
            ms(pct(&warm_all, 0.9)),
            rss as f64 / 1024.0,
            size as f64 / (1024.0 * 1024.0),
        );
    }
    brand_handle_cost(&env).await;
}
