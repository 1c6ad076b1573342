//! The `Blobs` port on S3.

use super::describe;
use crate::ports::blobs::check_content_type;
use crate::ports::{BlobKey, Blobs, BlobsError, StoredBlob};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

pub struct S3Blobs {
    client: Client,
    bucket: String,
}

/// The S3 client of an SDK configuration. With an endpoint override (an emulator), S3 uses
/// path-style addressing, since bucket subdomains of a loopback address don't resolve.
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let s3 = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(s3)
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

fn unavailable(err: &(dyn std::error::Error + 'static)) -> BlobsError {
    BlobsError::Unavailable(describe(err))
}

/// A call S3 answered: IAM refusing it (a brand's credentials outside its prefix, a missing
/// grant) is `Denied`, not an outage to retry.
fn failed<E>(err: &aws_sdk_s3::error::SdkError<E>) -> BlobsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error().and_then(|s| s.code()) {
        Some("AccessDenied") => BlobsError::Denied(describe(err)),
        _ => unavailable(err),
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn presigned_get(
        &self,
        key: &BlobKey,
        ttl: std::time::Duration,
    ) -> Result<Option<String>, BlobsError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(ttl)
            .map_err(|e| BlobsError::Unavailable(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(config)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(Some(req.uri().to_owned()))
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobsError> {
        check_content_type(content_type)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<StoredBlob>, BlobsError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(failed(&e)),
        };
        let content_type = out
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| unavailable(&e))?
            .into_bytes();
        Ok(Some(StoredBlob {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobsError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobKey>, BlobsError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(&e))?;
            for object in page.contents() {
                if let Some(k) = object.key() {
                    keys.push(BlobKey::parse(k)?);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}
