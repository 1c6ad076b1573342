//! The embedded signer: an ECDSA P-256 key in a PKCS#8 file (mode 0600) created on first run.

use crate::ports::{Jwk, Signer, SignerError};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};
use std::path::Path;

pub struct KeyFileSigner {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
    kid: String,
}

impl KeyFileSigner {
    pub fn open_or_create(path: &Path) -> Result<Self, String> {
        let fail = |e: &dyn std::fmt::Display| format!("signing key {}: {e}", path.display());
        let rng = SystemRandom::new();
        let pkcs8 = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|e| fail(&e))?;
                if let Some(dir) = path.parent() {
                    super::private::dir(dir).map_err(|e| fail(&e))?;
                }
                super::key_cipher::write_private(path, doc.as_ref()).map_err(|e| fail(&e))?;
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(fail(&e)),
        };
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|e| fail(&e))?;
        // A stable id derived from the public key, so a rotated key gets a new one.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(pair.public_key().as_ref())[..12]);
        Ok(Self { pair, rng, kid })
    }
}

#[async_trait]
impl Signer for KeyFileSigner {
    fn key_id(&self) -> &str {
        &self.kid
    }

    async fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        let sig = self
            .pair
            .sign(&self.rng, message)
            .map_err(|e| SignerError::Unavailable(e.to_string()))?;
        sig.as_ref()
            .try_into()
            .map_err(|_| SignerError::Unavailable("unexpected signature length".into()))
    }

    async fn public_jwk(&self) -> Result<Jwk, SignerError> {
        Jwk::p256(self.pair.public_key().as_ref(), self.kid.clone())
    }
}
