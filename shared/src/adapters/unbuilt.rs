//! The ports of a function that has none: `api-health` answers from memory, so its `Ctx`
//! ([`crate::Ctx::without_stores`]) holds these instead of AWS clients, and its binary links
//! no AWS SDK. None of its routes touches a port; if code ever did, it fails at once and
//! loudly (a 500 naming the port), never quietly.

use crate::domain::BrandId;
use crate::ports::Condition;
use crate::ports::{
    BlobKey, Blobs, BlobsError, BrandStores, Cipher, CipherError, Item, Jwk, Key, Mail, MailError,
    Mailer, OutMessage, Page, Query, Queue, QueueError, ReceivedMessage, SealContext, Signer,
    SignerError, StoreError, StoredBlob, Table, Update, Write,
};
use async_trait::async_trait;
use bytes::Bytes;
use secrecy::SecretSlice;
use std::sync::Arc;
use std::time::Duration;

/// Every port, none of them built.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unbuilt;

fn why(port: &str) -> String {
    format!("this function is built without {port}")
}

#[async_trait]
impl Table for Unbuilt {
    async fn get(&self, _: &Key) -> Result<Option<Item>, StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
    async fn put(&self, _: Item, _: Condition) -> Result<(), StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
    async fn update(&self, _: &Key, _: Update, _: Condition) -> Result<Item, StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
    async fn delete(&self, _: &Key, _: Condition) -> Result<(), StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
    async fn query(&self, _: Query) -> Result<Page, StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
    async fn transact(&self, _: Vec<Write>) -> Result<(), StoreError> {
        Err(StoreError::Denied(why("the table")))
    }
}

#[async_trait]
impl Blobs for Unbuilt {
    async fn put(&self, _: &BlobKey, _: Bytes, _: &str) -> Result<(), BlobsError> {
        Err(BlobsError::Denied(why("files")))
    }
    async fn get(&self, _: &BlobKey) -> Result<Option<StoredBlob>, BlobsError> {
        Err(BlobsError::Denied(why("files")))
    }
    async fn delete(&self, _: &BlobKey) -> Result<(), BlobsError> {
        Err(BlobsError::Denied(why("files")))
    }
    async fn list(&self, _: &str) -> Result<Vec<BlobKey>, BlobsError> {
        Err(BlobsError::Denied(why("files")))
    }
}

#[async_trait]
impl Cipher for Unbuilt {
    async fn seal(&self, _: &SealContext, _: &[u8]) -> Result<Vec<u8>, CipherError> {
        Err(CipherError::Denied(why("the secrets key")))
    }
    async fn open(&self, _: &SealContext, _: &[u8]) -> Result<SecretSlice<u8>, CipherError> {
        Err(CipherError::Denied(why("the secrets key")))
    }
}

#[async_trait]
impl Signer for Unbuilt {
    fn key_id(&self) -> &str {
        "unbuilt"
    }
    async fn sign(&self, _: &[u8]) -> Result<[u8; 64], SignerError> {
        Err(SignerError::Unavailable(why("the signing key")))
    }
    async fn public_jwk(&self) -> Result<Jwk, SignerError> {
        Err(SignerError::Unavailable(why("the signing key")))
    }
}

#[async_trait]
impl Mailer for Unbuilt {
    async fn send(&self, _: Mail) -> Result<(), MailError> {
        Err(MailError::Unavailable(why("mail")))
    }
}

#[async_trait]
impl Queue for Unbuilt {
    async fn send(&self, _: OutMessage) -> Result<(), QueueError> {
        Err(QueueError::Unavailable(why("queues")))
    }
    async fn send_batch(&self, _: Vec<OutMessage>) -> Result<(), QueueError> {
        Err(QueueError::Unavailable(why("queues")))
    }
    async fn receive(&self, _: u32, _: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        Err(QueueError::Unavailable(why("queues")))
    }
    async fn ack(&self, _: &str) -> Result<(), QueueError> {
        Err(QueueError::Unavailable(why("queues")))
    }
    async fn release(&self, _: &str, _: Duration) -> Result<(), QueueError> {
        Err(QueueError::Unavailable(why("queues")))
    }
}

impl BrandStores for Unbuilt {
    fn table(&self, _: &BrandId) -> Arc<dyn Table> {
        Arc::new(Unbuilt)
    }
    fn blobs(&self, _: &BrandId) -> Arc<dyn Blobs> {
        Arc::new(Unbuilt)
    }
    fn cipher(&self, _: &BrandId) -> Arc<dyn Cipher> {
        Arc::new(Unbuilt)
    }
}
