//! The real `atelier` binary, killed with SIGKILL mid-run: what it acknowledged survives, and
//! it starts again on the same data.

use atelier_core::Ctx;
use atelier_core::app::mailbox_notices;
use atelier_core::config::Config;
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::SystemClock;
use atelier_core::workers::gmail_sync::GmailSyncMessage;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("ATELIER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start atelier");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("URL line")
        .to_owned();
    (child, addr)
}

fn health(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test]
async fn acknowledged_work_survives_sigkill_and_the_stack_restarts() {
    let dir = tempfile::TempDir::new().unwrap();
    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloom.example").unwrap();
    {
        let ctx = Ctx::build(Config::embedded(dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        let msg = GmailSyncMessage::MailboxChanged {
            brand_id: brand,
            mailbox: mailbox.clone(),
            history_id: HistoryId(5),
        };
        ctx.queues.gmail_sync.send(msg.to_message()).await.unwrap();
    }

    let (mut child, addr) = start(dir.path());
    assert!(health(&addr).contains(r#""backend":"embedded""#));
    // The binary consumes the queued message; give it time, then kill it without warning.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();

    {
        let ctx = Ctx::build(Config::embedded(dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        assert_eq!(
            mailbox_notices::current(&ctx, &brand, &mailbox)
                .await
                .unwrap(),
            Some(HistoryId(5))
        );
        let depth = ctx
            .embedded
            .as_ref()
            .unwrap()
            .gmail_sync
            .depth()
            .await
            .unwrap();
        assert_eq!(depth, 0, "the handled message was acknowledged");
    }

    let started = Instant::now();
    let (mut child, addr) = start(dir.path());
    assert!(health(&addr).starts_with("HTTP/1.1 200"));
    eprintln!("restart to /health: {:?}", started.elapsed());
    child.kill().unwrap();
    child.wait().unwrap();
}
