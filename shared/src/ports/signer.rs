//! Signing of access tokens (ES256). The private key never leaves the signer: a KMS asymmetric
//! key in AWS, a key file locally. Verifiers use the public JWK, served at
//! `/.well-known/jwks.json` so API Gateway's JWT authorizer can use it too.

use async_trait::async_trait;
use serde::Serialize;

/// A P-256 public key as a JWK (RFC 7517/7518).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    /// base64url of the 32-byte x coordinate.
    pub x: String,
    /// base64url of the 32-byte y coordinate.
    pub y: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl Jwk {
    /// A P-256 signing JWK from an uncompressed SEC1 point (`0x04 || x || y`).
    pub fn p256(point: &[u8], kid: String) -> Result<Self, SignerError> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        if point.len() != 65 || point[0] != 4 {
            return Err(SignerError::Unavailable(
                "public key is not an uncompressed P-256 point".into(),
            ));
        }
        Ok(Self {
            kty: "EC",
            crv: "P-256",
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..65]),
            kid,
            alg: "ES256",
            use_: "sig",
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SignerError {
    #[error("signer throttled")]
    Throttled,
    #[error("signer unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Signer: Send + Sync {
    /// The key id tokens carry in their `kid` header.
    fn key_id(&self) -> &str;
    /// ECDSA P-256 / SHA-256 over `message`, as the fixed 64-byte `r || s` JWS uses.
    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError>;
    /// The public key, for verifiers.
    async fn public_jwk(&self) -> Result<Jwk, SignerError>;
}
