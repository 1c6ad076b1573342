//! A brand handle on the blob store: a brand's files, by paths relative to it
//! ([`BrandBlob`]), on credentials that reach `brands/<brand>/` only. Made from a
//! `BrandScope` (`BrandScope::blobs`).

use crate::domain::BrandId;
use crate::keys::BrandBlob;
use crate::ports::{Blobs, BlobsError, StoredBlob};
use bytes::Bytes;
use std::sync::Arc;

#[derive(Clone)]
pub struct BrandBlobs {
    brand: BrandId,
    blobs: Arc<dyn Blobs>,
}

impl BrandBlobs {
    /// For `tenancy` alone, which makes one from a scope.
    pub(crate) fn new(brand: BrandId, blobs: Arc<dyn Blobs>) -> Self {
        Self { brand, blobs }
    }

    pub async fn put(
        &self,
        blob: &BrandBlob,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), BlobsError> {
        self.blobs
            .put(&blob.in_brand(&self.brand)?, bytes, content_type)
            .await
    }

    pub async fn get(&self, blob: &BrandBlob) -> Result<Option<StoredBlob>, BlobsError> {
        self.blobs.get(&blob.in_brand(&self.brand)?).await
    }

    /// Deleting a missing blob is not an error.
    pub async fn delete(&self, blob: &BrandBlob) -> Result<(), BlobsError> {
        self.blobs.delete(&blob.in_brand(&self.brand)?).await
    }
}
