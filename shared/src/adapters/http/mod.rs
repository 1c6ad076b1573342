//! Clients of outside HTTP services, each with a configurable base URL (tests point them at
//! local fakes), timeouts, and bounded retries with jittered backoff that honour Retry-After.

mod resend;
mod retry;

pub use resend::ResendMailer;
pub use retry::{RetryPolicy, send_with_retry};
