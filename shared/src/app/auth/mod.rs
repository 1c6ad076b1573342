//! Identity: accounts, passwords, lockout and rate limits, access tokens, refresh-token
//! families (device sessions). Errors here never say whether an account exists.

#[cfg(feature = "auth")]
pub mod accounts;
pub mod anonymise;
pub mod audit;
pub mod lockout;
pub mod one_time;
#[cfg(feature = "auth")]
pub mod passwords;
pub mod rate_limit;
pub mod resets;
pub mod sessions;
pub mod tokens;

use crate::ports::{SignerError, StoreError};

/// Who is asking, and from where: carried into audit and session records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong credentials, unknown account, locked account, bad or spent token: one answer.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Not a member of the brand asked for.
    #[error("not a member of that brand")]
    NotMember,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("invalid input: {0}")]
    Invalid(#[from] crate::domain::Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// A dependency (the mail queue, the key service) is briefly away.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// Random bytes from the OS, as base64url: tokens of `n * 8` bits.
pub fn random_token(n: usize) -> Result<String, AuthError> {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Internal(format!("entropy: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a token, hex: what the table stores instead of the token.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
