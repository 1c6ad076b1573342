//! The `Blobs` port on a directory. Each blob is one file, `data/<key>.blob`: its content
//! type on the first line, then its bytes. Writes go to a temporary file renamed into place,
//! so a crash never leaves a half-written blob or bytes paired with another write's type. The
//! suffix lets `a` and `a/b` both exist, as they can in S3.

use super::blocking;
use crate::ports::blobs::check_content_type;
use crate::ports::{BlobKey, Blobs, BlobsError, StoredBlob};
use async_trait::async_trait;
use bytes::Bytes;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

const SUFFIX: &str = ".blob";

pub struct DirBlobs {
    root: PathBuf,
}

fn unavailable(e: impl std::fmt::Display) -> BlobsError {
    BlobsError::Unavailable(e.to_string())
}

impl DirBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, BlobsError> {
        let root = root.into();
        super::private::dir(&root).map_err(unavailable)?;
        super::private::dir(&root.join("data")).map_err(unavailable)?;
        super::private::dir(&root.join("tmp")).map_err(unavailable)?;
        Ok(Self { root })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join("data").join(format!("{key}{SUFFIX}"))
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
        let joined = |n: &str| {
            if rel.is_empty() {
                n.to_owned()
            } else {
                format!("{rel}/{n}")
            }
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &joined(&name), out)?;
        } else if let Some(stem) = name.strip_suffix(SUFFIX) {
            out.push(joined(stem));
        }
    }
    Ok(())
}

#[async_trait]
impl Blobs for DirBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobsError> {
        check_content_type(content_type)?;
        let dest = self.path(key);
        let tmp = self.root.join("tmp").join(ulid::Ulid::new().to_string());
        let mut file = Vec::with_capacity(content_type.len() + 1 + bytes.len());
        file.extend_from_slice(content_type.as_bytes());
        file.push(b'\n');
        file.extend_from_slice(&bytes);
        blocking(
            move || {
                if let Some(parent) = dest.parent() {
                    super::private::dir(parent).map_err(unavailable)?;
                }
                super::private::write(&tmp, &file).map_err(unavailable)?;
                std::fs::rename(&tmp, &dest).map_err(unavailable)
            },
            BlobsError::Unavailable,
        )
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<StoredBlob>, BlobsError> {
        let path = self.path(key);
        blocking(
            move || {
                let file = match std::fs::read(&path) {
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                    other => other.map_err(unavailable)?,
                };
                let split = file
                    .iter()
                    .position(|b| *b == b'\n')
                    .ok_or_else(|| unavailable(format!("{} is not a blob file", path.display())))?;
                let content_type = String::from_utf8_lossy(&file[..split]).into_owned();
                let bytes = Bytes::from(file).slice(split + 1..);
                Ok(Some(StoredBlob {
                    bytes,
                    content_type,
                }))
            },
            BlobsError::Unavailable,
        )
        .await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobsError> {
        let path = self.path(key);
        blocking(
            move || match std::fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(unavailable(e)),
                _ => Ok(()),
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
