//! Files attached to records: the bytes in the `Blobs` port under the brand's prefix, the
//! metadata a record of kind `file` (so it is versioned, audited, listed and deleted like any
//! other). Only common document and image types are taken, and their first bytes must agree
//! with the type they claim.

use super::error::RecordError;
use super::kinds::FILE;
use super::rows::{Attrs, load, view};
use super::write::{self, commit};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The largest upload: under Lambda's 6 MB payload once API Gateway base64-encodes it.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Accepted types. Each is checked against the file's real signature (`infer` reads the
/// magic numbers and, for Office files, the zip's entries); text must be UTF-8 and match no
/// binary signature.
const TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heic",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

pub fn accepted_types() -> Vec<&'static str> {
    TYPES.to_vec()
}

/// Checks the declared type against the accepted list and the content.
fn check_content(content_type: &str, bytes: &[u8]) -> Result<&'static str, RecordError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some(t) = TYPES.iter().copied().find(|t| *t == essence) else {
        return Err(RecordError::invalid(
            "content_type",
            format!("must be one of {}", accepted_types().join(", ")),
        ));
    };
    let detected = infer::get(bytes).map(|k| k.mime_type());
    let agrees = match t {
        "text/plain" | "text/csv" => detected.is_none() && std::str::from_utf8(bytes).is_ok(),
        // HEIC is HEIF with HEVC images; `infer` names the family.
        "image/heic" => matches!(detected, Some("image/heif" | "image/heic")),
        _ => detected == Some(t),
    };
    if !agrees {
        return Err(RecordError::invalid(
            "content_type",
            format!("the content is not {t}"),
        ));
    }
    Ok(t)
}

/// Stores an upload attached to `record` (`<entity>:<id>`, optional).
pub async fn upload(
    ctx: &Ctx,
    scope: &BrandScope,
    name: &str,
    record: Option<&str>,
    content_type: &str,
    bytes: Bytes,
    client: &Client,
) -> Result<Value, RecordError> {
    scope.require(Permission::WriteAssignedRecords)?;
    if bytes.is_empty() {
        return Err(RecordError::invalid("body", "the file is empty"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(RecordError::invalid(
            "body",
            "the file is larger than 4 MiB",
        ));
    }
    let content_type = check_content(content_type, &bytes)?;
    let mut input = Attrs::new();
    input.insert("name".into(), name.into());
    let mut preset = Attrs::new();
    preset.insert("content_type".into(), content_type.into());
    preset.insert("size".into(), Value::from(bytes.len() as u64));
    preset.insert("sha256".into(), hex(&Sha256::digest(&bytes)).into());
    if let Some(r) = record {
        let stored = super::spec::check(super::spec::Ty::Record, &Value::from(r))
            .map_err(|m| RecordError::invalid("record", m))?;
        preset.insert("record".into(), stored);
    }
    let prepared =
        write::prepare_create(ctx, scope, &FILE, input, preset, client, "upload").await?;
    let id = FILE.id_of(prepared.item.key.sk()).to_owned();
    let key = crate::keys::brand::file(&id);
    let blobs = scope.blobs(ctx);
    // Bytes first: metadata never names a blob that is not there. If the metadata write
    // fails, the orphan blob is removed.
    blobs.put(&key, bytes, content_type).await?;
    if let Err(e) = commit(ctx, scope, prepared.writes).await {
        let _ = blobs.delete(&key).await;
        return Err(e);
    }
    Ok(view(&FILE, &prepared.item))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's metadata and bytes.
pub async fn download(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
) -> Result<(Value, crate::ports::StoredBlob), RecordError> {
    let item = load(ctx, scope, &FILE, id).await?;
    let id = FILE.id_of(item.key.sk()).to_owned();
    let blob = scope
        .blobs(ctx)
        .get(&crate::keys::brand::file(&id))
        .await?
        .ok_or(RecordError::NotFound)?;
    Ok((view(&FILE, &item), blob))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_must_be_what_it_claims() {
        assert!(check_content("application/pdf", b"%PDF-1.7 ...").is_ok());
        assert!(check_content("application/pdf", b"<html>").is_err());
        assert!(check_content("image/png", b"%PDF-").is_err());
        assert!(check_content("text/plain; charset=utf-8", b"hello").is_ok());
        assert!(check_content("text/plain", b"\xff\xfe\x00").is_err());
        assert!(check_content("application/x-msdownload", b"MZ").is_err());
        assert!(check_content("text/html", b"<b>").is_err());
    }

    #[test]
    fn a_declared_type_must_match_the_real_signature() {
        assert!(check_content("application/pdf", b"%PDF-1.7\n").is_ok());
        assert!(check_content("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_ok());
        assert!(check_content("image/webp", b"RIFF\x24\0\0\0WEBPVP8 ").is_ok());
        assert!(check_content("image/webp", b"RIFF\x24\0\0\0WAVEfmt ").is_err());
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0";
        assert!(check_content("image/heic", heic).is_ok());
        assert!(check_content("image/heic", b"anything at all").is_err());
        // A bare zip is not a Word document.
        assert!(
            check_content(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK\x03\x04\x14\0\0\0\0\0nothing.txt"
            )
            .is_err()
        );
        assert!(check_content("text/plain", b"hello").is_ok());
        assert!(check_content("text/plain", b"%PDF-1.7\n").is_err());
        assert!(check_content("text/csv", b"\xff\xfe").is_err());
    }
}
