//! Each port on each adapter, ready for a conformance case.

use crate::aws;
use atelier_core::adapters::aws::{DynamoTable, KmsCipher, S3Blobs, SqsQueue};
use atelier_core::adapters::embedded::{
    self, DirBlobs, EmbeddedQueue, KeyFileCipher, QueueSettings, RedbTable,
};
use atelier_core::ports::{Blobs, Cipher, ManualClock, Queue, Table};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

pub struct TableFixture {
    pub table: Arc<dyn Table>,
    pub clock: Arc<ManualClock>,
    _dir: Option<TempDir>,
}

pub async fn embedded_table() -> TableFixture {
    let dir = TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let db = embedded::open_database(dir.path()).unwrap();
    let table = RedbTable::new(db, clock.clone()).unwrap();
    TableFixture {
        table: Arc::new(table),
        clock,
        _dir: Some(dir),
    }
}

pub async fn aws_table() -> TableFixture {
    let name = aws::unique("table");
    aws::create_table(&name).await;
    let clock = Arc::new(ManualClock::starting_now());
    let table = DynamoTable::new(aws::clients().await.dynamodb.clone(), name, clock.clone());
    TableFixture {
        table: Arc::new(table),
        clock,
        _dir: None,
    }
}

pub struct CipherFixture {
    pub cipher: Arc<dyn Cipher>,
    _dir: Option<TempDir>,
}

pub async fn embedded_cipher() -> CipherFixture {
    let dir = TempDir::new().unwrap();
    let cipher = KeyFileCipher::open_or_create(&dir.path().join("keys/secrets.key")).unwrap();
    CipherFixture {
        cipher: Arc::new(cipher),
        _dir: Some(dir),
    }
}

pub async fn aws_cipher() -> CipherFixture {
    let key = aws::create_key().await;
    let cipher = KmsCipher::new(
        aws::clients().await.kms.clone(),
        key,
        Arc::new(ManualClock::starting_now()),
    );
    CipherFixture {
        cipher: Arc::new(cipher),
        _dir: None,
    }
}

/// Receives before a message moves to the DLQ, in every queue fixture.
pub const MAX_RECEIVES: u32 = 3;

pub struct QueueFixture {
    pub queue: Arc<dyn Queue>,
    pub dlq: Arc<dyn Queue>,
    _dir: Option<TempDir>,
}

pub async fn embedded_queue() -> QueueFixture {
    let dir = TempDir::new().unwrap();
    let clock = Arc::new(atelier_core::ports::SystemClock);
    let db = embedded::open_database(dir.path()).unwrap();
    let settings = |name: &str, dlq: Option<&str>| QueueSettings {
        name: name.into(),
        fifo: true,
        visibility_timeout: Duration::from_secs(30),
        max_receives: MAX_RECEIVES,
        dlq: dlq.map(str::to_owned),
    };
    let dlq = EmbeddedQueue::new(db.clone(), clock.clone(), settings("t-dlq.fifo", None)).unwrap();
    let queue = EmbeddedQueue::new(db, clock, settings("t.fifo", Some("t-dlq.fifo"))).unwrap();
    QueueFixture {
        queue: Arc::new(queue),
        dlq: Arc::new(dlq),
        _dir: Some(dir),
    }
}

pub async fn aws_queue() -> QueueFixture {
    let (url, dlq_url) = aws::create_fifo_pair(MAX_RECEIVES, 30).await;
    let sqs = aws::clients().await.sqs.clone();
    QueueFixture {
        queue: Arc::new(SqsQueue::new(sqs.clone(), url)),
        dlq: Arc::new(SqsQueue::new(sqs, dlq_url)),
        _dir: None,
    }
}

pub struct BlobsFixture {
    pub blobs: Arc<dyn Blobs>,
    _dir: Option<TempDir>,
}

pub async fn embedded_blobs() -> BlobsFixture {
    let dir = TempDir::new().unwrap();
    BlobsFixture {
        blobs: Arc::new(DirBlobs::new(dir.path()).unwrap()),
        _dir: Some(dir),
    }
}

pub async fn aws_blobs() -> BlobsFixture {
    let bucket = aws::create_bucket().await;
    BlobsFixture {
        blobs: Arc::new(S3Blobs::new(aws::clients().await.s3.clone(), bucket)),
        _dir: None,
    }
}
