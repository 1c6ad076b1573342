//! Outgoing mail leaves through the mail queue. A request records what is to be mailed and
//! answers; mail-send composes what needs the table (a reset link) and sends. So no answer
//! waits on the mail provider, and none shows by its timing whether an address has an account.
//!
//! Jobs carry addresses and links holding tokens, so each is sealed whole under the platform's
//! or the brand's context (purpose `mail`): a queue console or a DLQ shows only ciphertext.

use crate::Ctx;
use crate::domain::{BrandId, new_id};
use crate::ports::{CipherError, Mail, OutMessage, Purpose, QueueError, SealContext};
use crate::workers::{WorkError, envelope};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

/// What mail-send is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case", deny_unknown_fields)]
pub enum MailJob {
    /// Send this mail as it is.
    Deliver { mail: Mail },
    /// Someone asked for a reset link for `email`. mail-send decides whether it has an
    /// account. `token` is chosen by the request, so a redelivered job mails the same link.
    PasswordReset {
        email: String,
        token: String,
        requested_at: i64,
        ip: String,
        user_agent: String,
    },
}

/// Whose context seals a job: the platform's (account mail) or a brand's (its members' mail).
#[derive(Debug, Clone, Copy)]
pub enum MailScope<'a> {
    Platform,
    Brand(&'a BrandId),
}

impl MailScope<'_> {
    fn name(self) -> String {
        match self {
            MailScope::Platform => "platform".into(),
            MailScope::Brand(brand) => brand.to_string(),
        }
    }
}

/// The queue message: the sealing context's brand and the sealed job, base64.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum MailMessage {
    Sealed { scope: String, job: String },
}

#[derive(Debug, thiserror::Error)]
pub enum MailQueueError {
    #[error("cannot seal mail job: {0}")]
    Cipher(#[from] CipherError),
    #[error("cannot queue mail job: {0}")]
    Queue(#[from] QueueError),
}

fn context(scope: &str) -> SealContext {
    SealContext::new(scope, Purpose::Mail)
}

/// Seals `job` and queues it for mail-send. Each job is its own FIFO group (jobs are
/// independent) and its own deduplication id (a retried send is dropped by the queue).
pub async fn enqueue(ctx: &Ctx, scope: MailScope<'_>, job: &MailJob) -> Result<(), MailQueueError> {
    let scope = scope.name();
    let plain = serde_json::to_vec(job).map_err(|e| QueueError::Invalid(e.to_string()))?;
    let sealed = ctx.cipher.seal(&context(&scope), &plain).await?;
    let body = envelope::encode(&MailMessage::Sealed {
        scope,
        job: B64.encode(sealed),
    });
    let id = new_id(ctx.clock.as_ref()).to_string();
    ctx.queues
        .mail
        .send(OutMessage::fifo(body, id.clone(), id))
        .await?;
    Ok(())
}

/// Opens a queued job. A job that can never be opened is poison; a key service that is
/// briefly away is a retry.
pub async fn open(ctx: &Ctx, body: &str) -> Result<MailJob, WorkError> {
    let MailMessage::Sealed { scope, job } = envelope::decode(body)?;
    let sealed = B64
        .decode(job)
        .map_err(|e| WorkError::Poison(format!("mail job is not base64: {e}")))?;
    let plain = ctx
        .cipher
        .open(&context(&scope), &sealed)
        .await
        .map_err(|e| match e {
            CipherError::Rejected => WorkError::Poison(e.to_string()),
            other => WorkError::Retry(other.to_string()),
        })?;
    serde_json::from_slice(plain.expose_secret())
        .map_err(|e| WorkError::Poison(format!("bad mail job: {e}")))
}
