//! A brand handle on the cipher: seals and opens secrets in the brand's own context
//! (`{brand: <id>, purpose}`), on credentials whose key policy allows no other brand's
//! context. Made from a `BrandScope` (`BrandScope::secrets`); the caller names only the
//! purpose, so a brand's secret cannot be sealed or opened as another's.

use crate::domain::BrandId;
use crate::ports::{Cipher, CipherError, Purpose, SealContext};
use secrecy::SecretSlice;
use std::sync::Arc;

#[derive(Clone)]
pub struct BrandSecrets {
    brand: BrandId,
    cipher: Arc<dyn Cipher>,
}

impl BrandSecrets {
    /// For `tenancy` alone, which makes one from a scope.
    pub(crate) fn new(brand: BrandId, cipher: Arc<dyn Cipher>) -> Self {
        Self { brand, cipher }
    }

    fn context(&self, purpose: Purpose) -> SealContext {
        SealContext::new(self.brand.to_string(), purpose)
    }

    pub async fn seal(&self, purpose: Purpose, plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
        self.cipher.seal(&self.context(purpose), plaintext).await
    }

    pub async fn open(
        &self,
        purpose: Purpose,
        sealed: &[u8],
    ) -> Result<SecretSlice<u8>, CipherError> {
        self.cipher.open(&self.context(purpose), sealed).await
    }
}
