//! How the app layer's errors answer over HTTP. The mapping lives here, in `http/`, so the
//! app layer knows nothing of HTTP.

use super::{ApiError, FieldError};
use crate::app::auth::AuthError;
use crate::app::brands::BrandError;
use crate::app::records::RecordError;
use crate::app::tenancy::ScopeError;
use crate::ports::SignerError;

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => ApiError::Unauthorized,
            AuthError::NotMember => ApiError::Forbidden,
            AuthError::RateLimited { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            AuthError::Invalid(i) => i.into(),
            AuthError::Store(s) => s.into(),
            AuthError::Signer(SignerError::Throttled | SignerError::Unavailable(_)) => {
                ApiError::Unavailable(e.to_string())
            }
            AuthError::Unavailable(m) => ApiError::Unavailable(m),
            AuthError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<ScopeError> for ApiError {
    fn from(e: ScopeError) -> Self {
        match e {
            ScopeError::NotMember => ApiError::Unauthorized,
            ScopeError::Forbidden { .. } => ApiError::Forbidden,
            ScopeError::Auth(a) => a.into(),
        }
    }
}

impl From<BrandError> for ApiError {
    fn from(e: BrandError) -> Self {
        match e {
            BrandError::SlugTaken => ApiError::Validation(vec![FieldError {
                field: "slug".into(),
                message: "is taken".into(),
            }]),
            BrandError::LastOwner => ApiError::Conflict {
                detail: e.to_string(),
                current_version: None,
            },
            BrandError::NoSuchMember => ApiError::NotFound,
            BrandError::Scope(s) => s.into(),
            BrandError::Auth(a) => a.into(),
        }
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::NotFound => ApiError::NotFound,
            RecordError::Stale { current } => ApiError::Conflict {
                detail: "the record changed since you read it".into(),
                current_version: Some(current),
            },
            RecordError::Invalid(issues) => ApiError::Validation(
                issues
                    .into_iter()
                    .map(|i| FieldError {
                        field: i.field,
                        message: i.message,
                    })
                    .collect(),
            ),
            RecordError::InUse(detail) => ApiError::Conflict {
                detail,
                current_version: None,
            },
            RecordError::BadQuery(m) => ApiError::BadRequest(m),
            RecordError::Scope(s) => s.into(),
            RecordError::Store(s) => s.into(),
            RecordError::Blobs(b) => b.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The layers import downward: nothing outside `http/` names the HTTP layer (this file
    /// is where app errors learn their status codes).
    #[test]
    fn only_http_knows_http() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src.clone()];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path != src.join("http") {
                        stack.push(path);
                    }
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path == src.join("lib.rs") {
                    continue;
                }
                seen += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    !text.contains("crate::http"),
                    "{} depends on the HTTP layer",
                    path.display()
                );
            }
        }
        assert!(seen > 50, "scanned {seen} files");
    }
}
