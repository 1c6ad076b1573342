//! The `Signer` port on a KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY): the private key
//! never leaves KMS. KMS returns DER signatures; JWS wants the fixed `r || s` form.

use super::{describe, is_throttle};
use crate::ports::{Jwk, Signer, SignerError};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use p256::pkcs8::DecodePublicKey;
use tokio::sync::OnceCell;

pub struct KmsSigner {
    client: Client,
    key_id: String,
    jwk: OnceCell<Jwk>,
}

fn map_err<E>(err: aws_sdk_kms::error::SdkError<E>) -> SignerError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error() {
        Some(s) if is_throttle(s) => SignerError::Throttled,
        _ => SignerError::Unavailable(describe(&err)),
    }
}

impl KmsSigner {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
            jwk: OnceCell::new(),
        }
    }
}

#[async_trait]
impl Signer for KmsSigner {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(map_err)?;
        let der = out
            .signature()
            .ok_or_else(|| SignerError::Unavailable("KMS returned no signature".into()))?;
        let sig = p256::ecdsa::Signature::from_der(der.as_ref())
            .map_err(|e| SignerError::Unavailable(format!("KMS signature: {e}")))?;
        // JWS verifiers accept either s; normalising keeps signatures canonical.
        let sig = sig.normalize_s().unwrap_or(sig);
        Ok(sig.to_bytes().into())
    }

    async fn public_jwk(&self) -> Result<Jwk, SignerError> {
        self.jwk
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_public_key()
                    .key_id(&self.key_id)
                    .send()
                    .await
                    .map_err(map_err)?;
                let der = out
                    .public_key()
                    .ok_or_else(|| SignerError::Unavailable("no public key".into()))?;
                let key = p256::PublicKey::from_public_key_der(der.as_ref())
                    .map_err(|e| SignerError::Unavailable(format!("KMS public key: {e}")))?;
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                Jwk::p256(key.to_encoded_point(false).as_bytes(), self.key_id.clone())
            })
            .await
            .cloned()
    }
}
