//! Clients of outside HTTP services, each with a configurable base URL (tests point them at
//! local fakes), timeouts, and bounded retries with jittered backoff that honour Retry-After.

mod apple;
mod resend;
mod retry;

pub use apple::{APPLE_ISSUER, APPLE_KEYS_URL, AppleError, AppleIdentity, AppleVerifier};
pub use resend::ResendMailer;
pub use retry::{RetryPolicy, send_with_retry};
