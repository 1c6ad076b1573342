//! Envelope encryption of secrets, bound to the brand and purpose they belong to.

use async_trait::async_trait;
use secrecy::SecretSlice;

/// What a sealed secret is for; part of the encryption context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    OAuthTokens,
    ApiSecret,
    SigningKey,
    /// Mail jobs on their way through the mail queue (addresses, links with tokens).
    Mail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::OAuthTokens => "oauth-tokens",
            Purpose::ApiSecret => "api-secret",
            Purpose::SigningKey => "signing-key",
            Purpose::Mail => "mail",
        }
    }
}

/// The encryption context `{brand, purpose}`. It names the brand by id only: encryption
/// contexts are logged in clear by CloudTrail, so they never carry PII.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealContext {
    brand: String,
    purpose: Purpose,
}

impl SealContext {
    /// `brand` is a brand id (or `platform` for platform-wide secrets).
    pub fn new(brand: impl Into<String>, purpose: Purpose) -> Self {
        Self {
            brand: brand.into(),
            purpose,
        }
    }

    pub fn brand(&self) -> &str {
        &self.brand
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The context as AES-GCM associated data: unambiguous, versioned.
    pub fn aad(&self) -> Vec<u8> {
        format!(
            "atelier-seal-v1\0brand={}\0purpose={}",
            self.brand,
            self.purpose.as_str()
        )
        .into_bytes()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CipherError {
    /// The ciphertext is malformed, was tampered with, or belongs to another context.
    #[error("ciphertext cannot be opened in this context")]
    Rejected,
    #[error("key service throttled")]
    Throttled,
    #[error("key service unavailable: {0}")]
    Unavailable(String),
    /// The credentials in use may not use the key in this context: a brand's seal and open
    /// only under its own id. A policy mistake or a bug, never a bad ciphertext.
    #[error("access denied: {0}")]
    Denied(String),
}

#[async_trait]
pub trait Cipher: Send + Sync {
    async fn seal(&self, context: &SealContext, plaintext: &[u8]) -> Result<Vec<u8>, CipherError>;
    async fn open(
        &self,
        context: &SealContext,
        sealed: &[u8],
    ) -> Result<SecretSlice<u8>, CipherError>;
}
