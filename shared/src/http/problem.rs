//! Errors as `application/problem+json` (RFC 9457): one enum that knows each status, a stable
//! `type`, a human `title`, field details for validation; internal errors say nothing but the
//! request id.

use crate::ports::{BlobsError, CipherError, QueueError, StoreError};
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The offending field, as a JSON pointer-ish dotted path.
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "urn:atelier:problem:not-found")]
    pub r#type: String,
    #[schema(example = "Not found")]
    pub title: String,
    #[schema(example = 404)]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id; quote it when reporting a problem.
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<http::Method> },
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        current_version: Option<u64>,
    },
    /// The body did not arrive in time (the local server; API Gateway buffers bodies).
    #[error("request timeout")]
    RequestTimeout,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("precondition required")]
    PreconditionRequired,
    #[error("origin not allowed")]
    OriginNotAllowed,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type slug.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Validation(_) => "validation",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::RequestTimeout => "request-timeout",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::PreconditionRequired => "precondition-required",
            ApiError::OriginNotAllowed => "origin-not-allowed",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Validation(_) => "Some fields are not valid",
            ApiError::Unauthorized => "Authentication required",
            ApiError::Forbidden => "Not allowed",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::Conflict { .. } => "Conflict with the current state",
            ApiError::PayloadTooLarge { .. } => "Request body too large",
            ApiError::RequestTimeout => "The request body did not arrive in time",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::PreconditionRequired => "Say which version you change",
            ApiError::OriginNotAllowed => "Origin not allowed",
            ApiError::TooManyRequests { .. } => "Too many requests",
            ApiError::Unavailable(_) => "Temporarily unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// What the client may read. Internal and dependency errors keep their cause to the logs.
    fn detail(&self) -> Option<String> {
        match self {
            ApiError::BadRequest(d) => Some(d.clone()),
            ApiError::Conflict { detail, .. } => Some(detail.clone()),
            ApiError::PayloadTooLarge { limit } => Some(format!("the limit is {limit} bytes")),
            ApiError::UnsupportedMediaType => Some("send application/json".into()),
            ApiError::PreconditionRequired => {
                Some("send If-Match with the record's ETag, or ?version=".into())
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                Some(format!("retry after {retry_after_secs} s"))
            }
            ApiError::Unavailable(_) => Some("retry shortly".into()),
            _ => None,
        }
    }

    pub fn to_problem(&self, request_id: &str) -> Problem {
        Problem {
            r#type: format!("urn:atelier:problem:{}", self.slug()),
            title: self.title().into(),
            status: self.status().as_u16(),
            detail: self.detail(),
            request_id: request_id.into(),
            errors: match self {
                ApiError::Validation(e) => e.clone(),
                _ => Vec::new(),
            },
            current_version: match self {
                ApiError::Conflict {
                    current_version, ..
                } => *current_version,
                _ => None,
            },
        }
    }

    pub fn into_response(self, request_id: &str) -> super::Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, status = status.as_u16(), "request failed");
        }
        let body = serde_json::to_string(&self.to_problem(request_id)).unwrap_or_default();
        let mut builder = http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/problem+json");
        match &self {
            ApiError::MethodNotAllowed { allow } => {
                let allow: Vec<&str> = allow.iter().map(http::Method::as_str).collect();
                builder = builder.header(http::header::ALLOW, allow.join(", "));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                builder = builder.header(http::header::RETRY_AFTER, retry_after_secs.to_string());
            }
            ApiError::Unavailable(_) => builder = builder.header(http::header::RETRY_AFTER, "1"),
            _ => {}
        }
        builder
            .body(lambda_http::Body::Text(body))
            .unwrap_or_default()
    }
}

impl From<crate::domain::Invalid> for ApiError {
    fn from(e: crate::domain::Invalid) -> Self {
        ApiError::Validation(vec![FieldError {
            field: e.field.into(),
            message: e.message,
        }])
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed | StoreError::TransactionConditionFailed { .. } => {
                ApiError::Conflict {
                    detail: "the record changed or already exists".into(),
                    current_version: None,
                }
            }
            // A lost race with another writer is the client's to resolve (read again, retry),
            // like a stale version: a 409, never a 5xx.
            StoreError::TransactionConflict => ApiError::Conflict {
                detail: "another change to the same data won the race; read it again and retry"
                    .into(),
                current_version: None,
            },
            StoreError::Throttled => ApiError::Unavailable(e.to_string()),
            StoreError::InvalidCursor => {
                ApiError::BadRequest("the cursor is not valid for this list".into())
            }
            StoreError::ItemTooLarge(_) => ApiError::PayloadTooLarge {
                limit: crate::ports::table::MAX_ITEM_BYTES,
            },
            StoreError::Unavailable(_) => ApiError::Unavailable(e.to_string()),
            StoreError::Invalid(_) | StoreError::Denied(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<CipherError> for ApiError {
    fn from(e: CipherError) -> Self {
        match e {
            CipherError::Throttled | CipherError::Unavailable(_) => {
                ApiError::Unavailable(e.to_string())
            }
            CipherError::Rejected | CipherError::Denied(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Unavailable(_) => ApiError::Unavailable(e.to_string()),
            QueueError::Invalid(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<BlobsError> for ApiError {
    fn from(e: BlobsError) -> Self {
        match e {
            BlobsError::InvalidKey(_) | BlobsError::InvalidContentType => {
                ApiError::BadRequest(e.to_string())
            }
            BlobsError::Unavailable(_) => ApiError::Unavailable(e.to_string()),
            BlobsError::Denied(_) => ApiError::Internal(e.to_string()),
        }
    }
}
