//! The embedded cipher: a 256-bit key file (mode 0600) wraps a fresh data key per secret, with
//! the same format and the same context binding as the KMS adapter.

use crate::adapters::envelope::{self, Provider};
use crate::ports::{Cipher, CipherError, SealContext};
use async_trait::async_trait;
use secrecy::SecretSlice;
use std::path::Path;
use zeroize::Zeroizing;

pub struct KeyFileCipher {
    master: Zeroizing<[u8; 32]>,
}

impl KeyFileCipher {
    /// Loads the key file, creating it with mode 0600 on first run.
    pub fn open_or_create(path: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("key file {}: {e}", path.display());
        if let Some(dir) = path.parent() {
            super::private::dir(dir).map_err(fail)?;
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let master = envelope::data_key_from(&bytes)
                    .map_err(|_| format!("key file {} is not 32 bytes", path.display()))?;
                Ok(Self { master })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = envelope::random_bytes::<32>().map_err(|e| e.to_string())?;
                write_private(path, &key).map_err(fail)?;
                Ok(Self {
                    master: Zeroizing::new(key),
                })
            }
            Err(e) => Err(fail(e)),
        }
    }
}

/// Writes a new file readable by its owner only; never overwrites.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[async_trait]
impl Cipher for KeyFileCipher {
    async fn seal(&self, context: &SealContext, plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
        let data_key = Zeroizing::new(envelope::random_bytes::<32>()?);
        let wrapped = envelope::aead_seal(&self.master, &context.aad(), data_key.as_ref())?;
        envelope::seal(Provider::LocalKey, &wrapped, &data_key, context, plaintext)
    }

    async fn open(
        &self,
        context: &SealContext,
        sealed: &[u8],
    ) -> Result<SecretSlice<u8>, CipherError> {
        let parsed = envelope::parse(sealed)?;
        if parsed.provider != Provider::LocalKey as u8 {
            return Err(CipherError::Rejected);
        }
        let unwrapped = envelope::aead_open(&self.master, &context.aad(), parsed.wrapped_key)?;
        let data_key = envelope::data_key_from(&unwrapped)?;
        envelope::open(&parsed, &data_key, context)
    }
}
