//! argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1), hashed off the async runtime.

use super::AuthError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (PHC string: algorithm, parameters, salt and hash together).
pub async fn hash(password: &str) -> Result<String, AuthError> {
    let password = zeroize::Zeroizing::new(password.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| AuthError::Internal(format!("entropy: {e}")))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Internal(e.to_string()))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Internal(e.to_string()))?
}

/// Checks a password against a stored PHC hash. Always costs one argon2 run.
pub async fn verify(password: &str, phc: &str) -> bool {
    let password = zeroize::Zeroizing::new(password.to_owned());
    let phc = phc.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody knows, verified against when the account is unknown or locked
/// so that those answers take as long as a wrong password.
pub async fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h;
    }
    let h = hash("atelier-dummy-password-for-timing")
        .await
        .unwrap_or_default();
    DUMMY.get_or_init(|| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn p15_passwords_are_stored_only_as_argon2id_hashes() {
        let h = hash("balloon arch at dawn").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("balloon"));
        assert!(verify("balloon arch at dawn", &h).await);
        assert!(!verify("balloon arch at dusk", &h).await);
        assert_ne!(h, hash("balloon arch at dawn").await.unwrap(), "salted");
        assert!(!verify("x", "not a phc string").await);
    }
}
