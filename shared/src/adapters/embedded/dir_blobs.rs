//! The `Blobs` port on a directory: `data/<key>` holds the bytes, `meta/<key>` the content
//! type. Writes go to a temporary file and are renamed into place, so a crash never leaves a
//! half-written blob behind a key.

use super::blocking;
use crate::ports::{BlobKey, Blobs, BlobsError, StoredBlob};
use async_trait::async_trait;
use bytes::Bytes;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub struct DirBlobs {
    root: PathBuf,
}

fn unavailable(e: impl std::fmt::Display) -> BlobsError {
    BlobsError::Unavailable(e.to_string())
}

impl DirBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, BlobsError> {
        let root = root.into();
        std::fs::create_dir_all(root.join("data")).map_err(unavailable)?;
        std::fs::create_dir_all(root.join("meta")).map_err(unavailable)?;
        std::fs::create_dir_all(root.join("tmp")).map_err(unavailable)?;
        Ok(Self { root })
    }

    fn paths(&self, key: &BlobKey) -> (PathBuf, PathBuf) {
        (
            self.root.join("data").join(key.as_str()),
            self.root.join("meta").join(key.as_str()),
        )
    }
}

fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = tmp_dir.join(ulid::Ulid::new().to_string());
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dest)
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let key = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &key, out)?;
        } else {
            out.push(key);
        }
    }
    Ok(())
}

#[async_trait]
impl Blobs for DirBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobsError> {
        let (data, meta) = self.paths(key);
        let tmp = self.root.join("tmp");
        let content_type = content_type.to_owned();
        blocking(
            move || {
                write_atomic(&tmp, &meta, content_type.as_bytes()).map_err(unavailable)?;
                write_atomic(&tmp, &data, &bytes).map_err(unavailable)
            },
            BlobsError::Unavailable,
        )
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<StoredBlob>, BlobsError> {
        let (data, meta) = self.paths(key);
        blocking(
            move || {
                let bytes = match std::fs::read(&data) {
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                    other => other.map_err(unavailable)?,
                };
                let content_type = std::fs::read_to_string(&meta)
                    .unwrap_or_else(|_| "application/octet-stream".to_owned());
                Ok(Some(StoredBlob {
                    bytes: Bytes::from(bytes),
                    content_type,
                }))
            },
            BlobsError::Unavailable,
        )
        .await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobsError> {
        let (data, meta) = self.paths(key);
        blocking(
            move || {
                remove_if_present(&data).map_err(unavailable)?;
                remove_if_present(&meta).map_err(unavailable)
            },
            BlobsError::Unavailable,
        )
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobKey>, BlobsError> {
        let root = self.root.join("data");
        let prefix = prefix.to_owned();
        blocking(
            move || {
                let mut keys = Vec::new();
                walk(&root, "", &mut keys).map_err(unavailable)?;
                keys.retain(|k| k.starts_with(&prefix));
                keys.sort();
                keys.iter().map(|k| BlobKey::parse(k)).collect()
            },
            BlobsError::Unavailable,
        )
        .await
    }
}
