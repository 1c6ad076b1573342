//! The brand rule as adapters, the same rule `BrandDataRole`'s policy gives IAM: every table
//! key and queried partition is one of the brand's (`B#<brand>` or `B#<brand>#…`), every
//! file is under `brands/<brand>/`, and every seal and open is in the brand's own context.
//! Locally they are the second wall; on AWS they stand in front of IAM's, so both backends
//! refuse the same calls with the same errors.

use crate::domain::BrandId;
use crate::keys;
use crate::ports::{
    BlobKey, Blobs, BlobsError, BrandStores, Cipher, CipherError, Condition, Item, Key, Page,
    Query, SealContext, StoreError, StoredBlob, Table, Update, Write,
};
use async_trait::async_trait;
use bytes::Bytes;
use secrecy::SecretSlice;
use std::sync::Arc;

pub struct FencedTable {
    brand: BrandId,
    inner: Arc<dyn Table>,
}

impl FencedTable {
    pub fn new(brand: BrandId, inner: Arc<dyn Table>) -> Self {
        Self { brand, inner }
    }

    fn admit(&self, pk: &str) -> Result<(), StoreError> {
        if keys::within(pk, &self.brand) {
            Ok(())
        } else {
            Err(StoreError::Denied(format!(
                "brand {}'s credentials may not reach {pk:?}",
                self.brand
            )))
        }
    }
}

#[async_trait]
impl Table for FencedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.admit(key.pk())?;
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.admit(item.key.pk())?;
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        self.admit(key.pk())?;
        self.inner.update(key, update, condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.admit(key.pk())?;
        self.inner.delete(key, condition).await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        // On an index, IAM holds the index's partition key to the same rule.
        self.admit(&query.pk)?;
        self.inner.query(query).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        for w in &writes {
            self.admit(w.key().pk())?;
        }
        self.inner.transact(writes).await
    }
}

pub struct FencedBlobs {
    brand: BrandId,
    inner: Arc<dyn Blobs>,
}

impl FencedBlobs {
    pub fn new(brand: BrandId, inner: Arc<dyn Blobs>) -> Self {
        Self { brand, inner }
    }

    fn admit(&self, key: &str) -> Result<(), BlobsError> {
        if keys::blobs_within(key, &self.brand) {
            Ok(())
        } else {
            Err(BlobsError::Denied(format!(
                "brand {}'s credentials may not reach {key:?}",
                self.brand
            )))
        }
    }
}

#[async_trait]
impl Blobs for FencedBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobsError> {
        self.admit(key.as_str())?;
        self.inner.put(key, bytes, content_type).await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<StoredBlob>, BlobsError> {
        self.admit(key.as_str())?;
        self.inner.get(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobsError> {
        self.admit(key.as_str())?;
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobKey>, BlobsError> {
        self.admit(prefix)?;
        self.inner.list(prefix).await
    }

    async fn presigned_get(
        &self,
        key: &BlobKey,
        ttl: std::time::Duration,
    ) -> Result<Option<String>, BlobsError> {
        self.admit(key.as_str())?;
        self.inner.presigned_get(key, ttl).await
    }
}

pub struct FencedCipher {
    brand: String,
    inner: Arc<dyn Cipher>,
}

impl FencedCipher {
    pub fn new(brand: BrandId, inner: Arc<dyn Cipher>) -> Self {
        Self {
            brand: brand.to_string(),
            inner,
        }
    }

    fn admit(&self, context: &SealContext) -> Result<(), CipherError> {
        if context.brand() == self.brand {
            Ok(())
        } else {
            Err(CipherError::Denied(format!(
                "brand {}'s credentials may not seal for {:?}",
                self.brand,
                context.brand()
            )))
        }
    }
}

#[async_trait]
impl Cipher for FencedCipher {
    async fn seal(&self, context: &SealContext, plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
        self.admit(context)?;
        self.inner.seal(context, plaintext).await
    }

    async fn open(
        &self,
        context: &SealContext,
        sealed: &[u8],
    ) -> Result<SecretSlice<u8>, CipherError> {
        self.admit(context)?;
        self.inner.open(context, sealed).await
    }
}

/// The embedded backend's brand stores: its one table, blob directory and key file, fenced
/// per brand.
pub struct FencedStores {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    cipher: Arc<dyn Cipher>,
}

impl FencedStores {
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, cipher: Arc<dyn Cipher>) -> Self {
        Self {
            table,
            blobs,
            cipher,
        }
    }
}

impl BrandStores for FencedStores {
    fn table(&self, brand: &BrandId) -> Arc<dyn Table> {
        Arc::new(FencedTable::new(*brand, self.table.clone()))
    }

    fn blobs(&self, brand: &BrandId) -> Arc<dyn Blobs> {
        Arc::new(FencedBlobs::new(*brand, self.blobs.clone()))
    }

    fn cipher(&self, brand: &BrandId) -> Arc<dyn Cipher> {
        Arc::new(FencedCipher::new(*brand, self.cipher.clone()))
    }
}
