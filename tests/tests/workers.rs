//! The batch runner's semantics, shared by Lambda and the local poller.

use async_trait::async_trait;
use atelier_core::Ctx;
use atelier_core::app::mailbox_notices::{self, Recorded};
use atelier_core::config::Config;
use atelier_core::domain::{BrandId, Email, HistoryId};
use atelier_core::ports::{Queue, SystemClock};
use atelier_core::workers::gmail_sync::{GmailSyncMessage, GmailSyncWorker};
use atelier_core::workers::{Record, WorkError, Worker, run_batch};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tempfile::TempDir;

async fn ctx(dir: &TempDir) -> Ctx {
    Ctx::build(Config::embedded(dir.path()), Arc::new(SystemClock))
        .await
        .unwrap()
}

fn record(id: &str, group: Option<&str>, body: &str) -> Record {
    Record {
        id: id.into(),
        body: body.into(),
        group: group.map(str::to_owned),
        receive_count: 1,
    }
}

/// Succeeds, fails, panics or waits on a barrier according to the body; logs what ran.
struct Scripted {
    ran: Mutex<Vec<String>>,
    barrier: tokio::sync::Barrier,
}

#[async_trait]
impl Worker for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn dead_letters(&self, ctx: &Ctx) -> Option<Arc<dyn Queue>> {
        Some(ctx.queues.gmail_sync_dlq.clone())
    }

    async fn handle(&self, _ctx: &Ctx, record: &Record) -> Result<(), WorkError> {
        self.ran.lock().unwrap().push(record.id.clone());
        match record.body.as_str() {
            "fail" => Err(WorkError::Retry("scripted failure".into())),
            "poison" => Err(WorkError::Poison("scripted poison".into())),
            "panic" => panic!("scripted panic"),
            "meet" => {
                self.barrier.wait().await;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn scripted(parties: usize) -> Scripted {
    Scripted {
        ran: Mutex::new(Vec::new()),
        barrier: tokio::sync::Barrier::new(parties),
    }
}

#[tokio::test]
async fn a_panicking_handler_fails_only_its_own_record() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let worker = scripted(1);
    let records = vec![
        record("1", None, "ok"),
        record("2", None, "panic"),
        record("3", None, "ok"),
    ];
    assert_eq!(run_batch(&ctx, &worker, records).await, vec!["2"]);
    assert_eq!(worker.ran.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn within_a_fifo_group_a_failure_holds_back_the_rest_unrun() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let worker = scripted(1);
    let records = vec![
        record("a1", Some("a"), "ok"),
        record("a2", Some("a"), "fail"),
        record("a3", Some("a"), "ok"),
        record("b1", Some("b"), "ok"),
    ];
    let mut failed = run_batch(&ctx, &worker, records).await;
    failed.sort();
    assert_eq!(failed, vec!["a2", "a3"]);
    let ran = worker.ran.lock().unwrap().clone();
    assert!(
        !ran.contains(&"a3".to_owned()),
        "a3 must not run before a2 succeeds"
    );
    assert!(ran.contains(&"b1".to_owned()));
}

#[tokio::test]
async fn different_groups_run_concurrently() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    // Each record waits for the other: only a concurrent runner can finish.
    let worker = scripted(2);
    let records = vec![
        record("a", Some("a"), "meet"),
        record("b", Some("b"), "meet"),
    ];
    let failed =
        tokio::time::timeout(Duration::from_secs(5), run_batch(&ctx, &worker, records)).await;
    assert_eq!(
        failed.expect("groups ran one after the other"),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn malformed_and_unknown_envelopes_are_poison() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    for body in [
        "not json",
        r#"{"type":"mailbox_changed"}"#,
        r#"{"v":2,"type":"mailbox_changed","brand_id":"01JD3Z8Q6W0Y8S9G5V2N4K7M1P","mailbox":"a@b.io","history_id":"1"}"#,
        r#"{"v":1,"type":"mailbox_exploded"}"#,
        r#"{"v":1,"type":"mailbox_changed","brand_id":"nope","mailbox":"a@b.io","history_id":"1"}"#,
        r#"{"v":1,"type":"mailbox_changed","brand_id":"01JD3Z8Q6W0Y8S9G5V2N4K7M1P","mailbox":"not an address","history_id":"1"}"#,
        r#"{"v":1,"type":"mailbox_changed","brand_id":"01JD3Z8Q6W0Y8S9G5V2N4K7M1P","mailbox":"a@b.io","history_id":"-4"}"#,
    ] {
        let result = GmailSyncWorker.handle(&ctx, &record("x", None, body)).await;
        assert!(
            matches!(result, Err(WorkError::Poison(_))),
            "{body} gave {result:?}"
        );
    }
}

#[tokio::test]
async fn the_mailbox_watermark_only_moves_forward() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let mailbox = Email::parse("hello@bloom.example").unwrap();
    let record = |h| mailbox_notices::record(&ctx, &brand, &mailbox, HistoryId(h));
    assert_eq!(record(10).await.unwrap(), Recorded::Advanced);
    assert_eq!(record(30).await.unwrap(), Recorded::Advanced);
    assert_eq!(
        record(20).await.unwrap(),
        Recorded::Unchanged,
        "a late notification"
    );
    assert_eq!(
        record(30).await.unwrap(),
        Recorded::Unchanged,
        "a duplicate"
    );
    assert_eq!(
        mailbox_notices::current(&ctx, &brand, &mailbox)
            .await
            .unwrap(),
        Some(HistoryId(30))
    );

    // Concurrent deliveries race on the version; the highest always wins.
    let racers = (31..=40).map(|h| mailbox_notices::record(&ctx, &brand, &mailbox, HistoryId(h)));
    for r in futures::future::join_all(racers).await {
        r.unwrap();
    }
    assert_eq!(
        mailbox_notices::current(&ctx, &brand, &mailbox)
            .await
            .unwrap(),
        Some(HistoryId(40))
    );
}

#[test]
fn a_notification_message_is_grouped_by_mailbox_and_deduplicated_by_history_id() {
    let brand = BrandId::parse("01JD3Z8Q6W0Y8S9G5V2N4K7M1P").unwrap();
    let msg = |mailbox: &str, h| {
        GmailSyncMessage::MailboxChanged {
            brand_id: brand,
            mailbox: Email::parse(mailbox).unwrap(),
            history_id: HistoryId(h),
        }
        .to_message()
    };
    let (a1, a2, b1) = (msg("a@x.io", 1), msg("a@x.io", 2), msg("b@x.io", 1));
    assert_eq!(a1.group, a2.group);
    assert_ne!(a1.group, b1.group);
    assert_ne!(a1.dedup_id, a2.dedup_id);
    assert_eq!(a1.dedup_id, msg("a@x.io", 1).dedup_id);
    assert!(
        !a1.group.as_deref().unwrap().contains("a@x.io"),
        "no address in queue attributes"
    );
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_at_once_and_does_not_hold_back_its_group() {
    let dir = TempDir::new().unwrap();
    let ctx = ctx(&dir).await;
    let worker = scripted(1);
    let records = vec![
        record("a1", Some("a"), "poison"),
        record("a2", Some("a"), "ok"),
    ];
    assert_eq!(
        run_batch(&ctx, &worker, records).await,
        Vec::<String>::new()
    );
    assert!(worker.ran.lock().unwrap().contains(&"a2".to_owned()));
    let dead = ctx
        .queues
        .gmail_sync_dlq
        .receive(10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].body.as_str(), dead[0].group.as_deref()),
        ("poison", Some("a"))
    );
}
