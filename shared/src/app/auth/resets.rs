//! The reset link's issuing half, which mail-send runs: whether a reset mail goes out, and the
//! single-use token it carries. No passwords here: setting one is `accounts::reset_password`.

use super::one_time::{self, Purpose};
use super::{AuthError, Client, audit, rate_limit, token_hash};
use crate::Ctx;
use crate::app::identity;
use crate::domain::Email;
use crate::ports::{Item, Mail, StoreError};
use serde_json::Value;

/// Reset mails one account may be sent per hour.
pub const RESETS_PER_ACCOUNT_PER_HOUR: i64 = 3;

/// mail-send's half of a reset request: the reset mail to send, if `email` has an active
/// account and its hourly allowance is not spent. Stores the link's token (chosen by the
/// request) with its audit entry. A redelivered job mails a link that is still live again
/// (same idempotency key) and never brings back one that was spent.
pub async fn reset_mail(
    ctx: &Ctx,
    email: &str,
    token: &str,
    requested_at: i64,
    client: &Client,
) -> Result<Option<Mail>, AuthError> {
    // A link asked for longer ago than a link lives is of no use to anyone (a minute's margin
    // for the clocks of the two functions).
    let lifetime = Purpose::ResetPassword.lifetime_secs();
    if ctx.clock.now().timestamp() - requested_at >= lifetime - 60 {
        return Ok(None);
    }
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    let Some((user, profile)) = identity::find_by_email(ctx, &email).await? else {
        return Ok(None);
    };
    if !identity::ProfileRow::decode(&user, &profile).active {
        return Ok(None);
    }
    let mail = Mail {
        to: email,
        subject: "Reset your Atelier password".into(),
        text: format!(
            "Choose a new password: {}/reset-password?token={token}\n\nThe link works once, for an hour. If you did not ask, ignore this email.",
            ctx.config.app_url
        ),
        idempotency_key: format!("reset-{}", token_hash(token)),
    };
    match one_time::issued(ctx, Purpose::ResetPassword, token).await? {
        one_time::Issued::Live => return Ok(Some(mail)),
        one_time::Issued::SpentOrExpired => return Ok(None),
        one_time::Issued::Not => {}
    }
    // Per account too, so nobody floods a mailbox from many addresses. Only the limit ends
    // the job quietly; a store that is briefly away is retried.
    match rate_limit::hit(
        ctx,
        "reset-account",
        &user.to_string(),
        RESETS_PER_ACCOUNT_PER_HOUR,
        3600,
    )
    .await
    {
        Ok(()) => {}
        Err(AuthError::RateLimited { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    let store = one_time::store(
        ctx,
        Purpose::ResetPassword,
        token,
        vec![
            ("user", Value::from(user.to_string())),
            ("epoch", Value::from(credentials_epoch(&profile))),
        ],
    );
    let writes = vec![
        // Remembered well past any delivery that could still carry the job.
        one_time::issued_marker(Purpose::ResetPassword, token, requested_at + 2 * lifetime),
        store,
        audit::record(
            ctx,
            Some(&user),
            "password.reset_requested",
            &format!("user:{user}"),
            client,
        ),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(Some(mail)),
        // Another delivery of this job issued it meanwhile; that one mails it.
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Counts password changes and resets; reset links carry the count they were issued at.
pub(crate) fn credentials_epoch(profile: &Item) -> i64 {
    profile
        .get("credentials_epoch")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
