//! Traits the application needs from the world. Each has an AWS adapter and an embedded one,
//! and one conformance suite (in `atelier-tests`) runs against both.

pub mod blobs;
pub mod brand_stores;
pub mod cipher;
pub mod clock;
pub mod mailer;
pub mod queue;
pub mod signer;
pub mod table;

pub use blobs::{BlobKey, Blobs, BlobsError, StoredBlob};
pub use brand_stores::BrandStores;
pub use cipher::{Cipher, CipherError, Purpose, SealContext};
pub use clock::{Clock, ManualClock, SystemClock};
pub use mailer::{Mail, MailError, Mailer};
pub use queue::{OutMessage, Queue, QueueError, ReceivedMessage};
pub use signer::{Jwk, Signer, SignerError};
pub use table::{
    Condition, Index, Item, Key, Page, Query, SortKey, StoreError, Table, Update, Write,
};
