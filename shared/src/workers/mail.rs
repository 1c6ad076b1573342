//! The mail-send consumer: opens sealed mail jobs (see `app::mail_queue`), composes the ones
//! that need the table (a reset link), and hands mail to the `Mailer`.

use super::runner::{Record, WorkError, Worker};
use crate::Ctx;
use crate::app::auth::{AuthError, Client, resets};
use crate::app::mail_queue::{self, MailJob};
use crate::ports::{Mail, MailError, Queue};
use async_trait::async_trait;
use std::sync::Arc;

pub struct MailWorker;

#[async_trait]
impl Worker for MailWorker {
    fn name(&self) -> &'static str {
        "mail-send"
    }

    /// The one function that talks to the mail provider.
    fn uses(&self) -> crate::ctx::Uses {
        crate::ctx::Uses {
            mail: Some(crate::ctx::resend_mailer),
            ..crate::ctx::Uses::BASE
        }
    }

    fn dead_letters(&self, ctx: &Ctx) -> Option<Arc<dyn Queue>> {
        Some(ctx.queues.mail_dlq.clone())
    }

    async fn handle(&self, ctx: &Ctx, record: &Record) -> Result<(), WorkError> {
        let mail = match mail_queue::open(ctx, &record.body).await? {
            MailJob::Deliver { mail } => Some(mail),
            MailJob::PasswordReset {
                email,
                token,
                requested_at,
                ip,
                user_agent,
            } => {
                let client = Client { ip, user_agent };
                resets::reset_mail(ctx, &email, &token, requested_at, &client)
                    .await
                    .map_err(|e| match e {
                        AuthError::Invalid(_) => WorkError::Poison(e.to_string()),
                        other => WorkError::Retry(other.to_string()),
                    })?
            }
        };
        match mail {
            Some(mail) => deliver(ctx, mail).await,
            None => Ok(()),
        }
    }
}

/// Sends one mail. The idempotency key makes a redelivered job's second send a no-op at the
/// provider; a refused message will never go, so it waits in the DLQ for an operator.
async fn deliver(ctx: &Ctx, mail: Mail) -> Result<(), WorkError> {
    ctx.mailer.send(mail).await.map_err(|e| match e {
        MailError::Refused(_) => WorkError::Poison(e.to_string()),
        MailError::Unavailable(_) => WorkError::Retry(e.to_string()),
    })
}
