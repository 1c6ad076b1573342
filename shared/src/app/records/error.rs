//! What a record operation can fail with; `http` maps each to its status.

use crate::app::auth::AuthError;
use crate::app::tenancy::ScopeError;
use crate::ports::{BlobsError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no such record")]
    NotFound,
    #[error("the record changed: now version {current}")]
    Stale { current: u64 },
    #[error("invalid record")]
    Invalid(Vec<Issue>),
    #[error("{0}")]
    InUse(String),
    #[error("{0}")]
    BadQuery(String),
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blobs(#[from] BlobsError),
}

impl RecordError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        RecordError::Invalid(vec![Issue::new(field, message)])
    }
}

impl From<AuthError> for RecordError {
    fn from(e: AuthError) -> Self {
        RecordError::Scope(ScopeError::Auth(e))
    }
}

impl From<crate::domain::Invalid> for RecordError {
    fn from(e: crate::domain::Invalid) -> Self {
        RecordError::invalid(e.field, e.message)
    }
}

/// A validation failure, named by field (`custom.<id>` for custom fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub field: String,
    pub message: String,
}

impl Issue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
