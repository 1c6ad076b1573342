//! Outbound email: Resend in production, an outbox directory locally (listed at
//! `/dev/outbox` so a developer can click the links).

use crate::domain::Email;
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    /// The same key sends at most once (Resend honours it for 24 h).
    pub idempotency_key: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MailError {
    /// The provider refused the message itself (bad address, unverified sender…).
    #[error("mail refused: {0}")]
    Refused(String),
    #[error("mail provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

/// A mail as the local stack's outbox keeps it (`GET /dev/outbox`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: String,
}
