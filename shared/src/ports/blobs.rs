//! Large bodies (email HTML, exports, files): S3 in AWS, a directory locally.

use async_trait::async_trait;
use bytes::Bytes;

/// A validated object key: `/`-separated segments of `[A-Za-z0-9._=-]`, no empty, `.` or
/// `..` segment, at most 1024 bytes. Safe as an S3 key and as a relative path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(raw: &str) -> Result<Self, BlobsError> {
        let ok = !raw.is_empty()
            && raw.len() <= 1024
            && raw.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._=-".contains(&b))
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BlobsError::InvalidKey(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub bytes: Bytes,
    pub content_type: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BlobsError {
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    #[error("invalid content type")]
    InvalidContentType,
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    /// The credentials in use may not touch this key: a brand's reach only its own files.
    #[error("access denied: {0}")]
    Denied(String),
}

/// A content type both stores accept: 1..=255 printable ASCII characters.
pub(crate) fn check_content_type(content_type: &str) -> Result<(), BlobsError> {
    let ok = !content_type.is_empty()
        && content_type.len() <= 255
        && content_type.bytes().all(|b| (0x20..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(BlobsError::InvalidContentType)
    }
}

#[async_trait]
pub trait Blobs: Send + Sync {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobsError>;
    async fn get(&self, key: &BlobKey) -> Result<Option<StoredBlob>, BlobsError>;
    /// Deleting a missing blob is not an error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobsError>;
    /// Every key under `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<BlobKey>, BlobsError>;
    /// A URL that fetches the blob without credentials for `ttl`, if the store has such
    /// links (S3 presigned URLs); `None` means serve it through the API.
    async fn presigned_get(
        &self,
        _key: &BlobKey,
        _ttl: std::time::Duration,
    ) -> Result<Option<String>, BlobsError> {
        Ok(None)
    }
}
