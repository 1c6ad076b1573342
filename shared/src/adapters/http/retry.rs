//! Bounded retries for outside HTTP calls: 429, 5xx and transport errors are retried with
//! exponential, jittered backoff, waiting at least what `Retry-After` asks (capped).

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base: Duration::from_millis(200),
            max_wait: Duration::from_secs(5),
        }
    }
}

fn jitter(max: Duration) -> Duration {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    max.mul_f64(f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX))
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Sends the request `build` makes, retrying transient failures. Returns the last response
/// (which may still be an error status) or the last transport error.
pub async fn send_with_retry(
    policy: RetryPolicy,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut attempt = 1;
    loop {
        let outcome = build().send().await;
        let transient = match &outcome {
            Ok(resp) => {
                resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || resp.status().is_server_error()
            }
            Err(e) => e.is_timeout() || e.is_connect() || e.is_request(),
        };
        if !transient || attempt >= policy.attempts {
            return outcome;
        }
        let backoff = policy.base * 2u32.pow(attempt - 1);
        let asked = outcome
            .as_ref()
            .ok()
            .and_then(retry_after)
            .unwrap_or_default();
        let wait = (backoff + jitter(backoff)).max(asked).min(policy.max_wait);
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "retrying outside call"
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}
