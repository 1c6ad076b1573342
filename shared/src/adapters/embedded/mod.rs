//! Embedded stand-ins that keep the AWS services' contracts on one machine: a redb file for
//! DynamoDB and SQS, a key file for KMS, a directory for S3.

mod dir_blobs;
mod key_cipher;
mod key_signer;
mod outbox;
pub(crate) mod private;
mod redb_queue;
mod redb_table;

pub use crate::ports::mailer::OutboxEntry;
pub use dir_blobs::DirBlobs;
pub use key_cipher::KeyFileCipher;
pub use key_signer::KeyFileSigner;
pub use outbox::Outbox;
pub use redb_queue::{EmbeddedQueue, QueueSettings};
pub use redb_table::RedbTable;

use std::path::Path;
use std::sync::Arc;

/// Opens (or creates) the embedded database under the data directory. Table and queues share
/// it, so one file holds everything the local stack has acknowledged.
pub fn open_database(data_dir: &Path) -> Result<Arc<redb::Database>, String> {
    private::dir(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("atelier.redb");
    let db = redb::Database::create(&path)
        .map(Arc::new)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    private::tighten(&path).map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    Ok(db)
}

/// Runs blocking storage work off the async runtime.
pub(crate) async fn blocking<T, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
    join_err: impl FnOnce(String) -> E,
) -> Result<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(join_err(e.to_string())),
    }
}
