//! The `Mailer` port on Resend's API.

use super::retry::{RetryPolicy, send_with_retry};
use crate::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

pub struct ResendMailer {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    from: String,
    policy: RetryPolicy,
}

impl ResendMailer {
    pub fn new(base_url: &str, api_key: SecretString, from: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            from: from.to_owned(),
            policy: RetryPolicy::default(),
        })
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }
}

#[async_trait]
impl Mailer for ResendMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let body = serde_json::json!({
            "from": self.from,
            "to": [mail.to.as_str()],
            "subject": mail.subject,
            "text": mail.text,
        });
        let url = format!("{}/emails", self.base_url);
        let resp = send_with_retry(self.policy, || {
            self.http
                .post(&url)
                .bearer_auth(self.api_key.expose_secret())
                .header("Idempotency-Key", &mail.idempotency_key)
                .json(&body)
        })
        .await
        .map_err(|e| MailError::Unavailable(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        // The body explains a refusal; it never holds our key.
        let detail = resp
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect::<String>();
        if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(MailError::Refused(format!("{status}: {detail}")))
        } else {
            Err(MailError::Unavailable(format!("{status}: {detail}")))
        }
    }
}
