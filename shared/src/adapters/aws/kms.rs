//! The `Cipher` port on KMS envelope encryption: `GenerateDataKey` under the secrets key with
//! the seal context as KMS encryption context, AES-256-GCM locally, `Decrypt` to unwrap. Data
//! keys are cached briefly and boundedly, so a burst of seals costs one KMS call.

use super::{describe, is_throttle};
use crate::adapters::envelope::{self, DataKey, Provider};
use crate::ports::{Cipher, CipherError, Clock, SealContext};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long, and for how many seals, one generated data key is reused.
const DATA_KEY_TTL: Duration = Duration::minutes(5);
const DATA_KEY_MAX_USES: u32 = 1000;
/// Entries per cache; the oldest goes when full.
const CACHE_CAPACITY: usize = 64;

struct Sealing {
    key: DataKey,
    wrapped: Vec<u8>,
    created: DateTime<Utc>,
    uses: u32,
}

struct Opening {
    key: DataKey,
    created: DateTime<Utc>,
}

#[derive(Default)]
struct Caches {
    sealing: HashMap<SealContext, Sealing>,
    opening: HashMap<(SealContext, Vec<u8>), Opening>,
}

pub struct KmsCipher {
    client: Client,
    key_id: String,
    clock: Arc<dyn Clock>,
    caches: Mutex<Caches>,
}

fn kms_context(context: &SealContext) -> HashMap<String, String> {
    HashMap::from([
        ("brand".to_owned(), context.brand().to_owned()),
        ("purpose".to_owned(), context.purpose().as_str().to_owned()),
    ])
}

fn map_err<E>(err: aws_sdk_kms::error::SdkError<E>) -> CipherError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(service) = err.as_service_error() {
        if is_throttle(service) {
            return CipherError::Throttled;
        }
        if matches!(
            service.code(),
            Some("InvalidCiphertextException" | "IncorrectKeyException")
        ) {
            return CipherError::Rejected;
        }
        // AccessDenied is a policy mistake (or a brand's credentials used outside it), not
        // a bad ciphertext: surfacing it as Rejected could lead a caller to discard a good
        // secret.
        if service.code() == Some("AccessDeniedException") {
            return CipherError::Denied(service.message().unwrap_or("access denied").to_owned());
        }
    }
    CipherError::Unavailable(describe(&err))
}

fn evict_oldest<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    created: impl Fn(&V) -> DateTime<Utc>,
) {
    if map.len() >= CACHE_CAPACITY
        && let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| created(v))
            .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
}

impl KmsCipher {
    pub fn new(client: Client, key_id: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
            clock,
            caches: Mutex::default(),
        }
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A cached data key for this context, if one is fresh; counts the use.
    fn cached_sealing(&self, context: &SealContext) -> Option<(DataKey, Vec<u8>)> {
        let now = self.clock.now();
        let mut caches = self.caches();
        let entry = caches.sealing.get_mut(context)?;
        if now - entry.created >= DATA_KEY_TTL || entry.uses >= DATA_KEY_MAX_USES {
            caches.sealing.remove(context);
            return None;
        }
        entry.uses += 1;
        Some((entry.key.clone(), entry.wrapped.clone()))
    }
}

#[async_trait]
impl Cipher for KmsCipher {
    async fn seal(&self, context: &SealContext, plaintext: &[u8]) -> Result<Vec<u8>, CipherError> {
        let (key, wrapped) = match self.cached_sealing(context) {
            Some(hit) => hit,
            None => {
                let out = self
                    .client
                    .generate_data_key()
                    .key_id(&self.key_id)
                    .key_spec(DataKeySpec::Aes256)
                    .set_encryption_context(Some(kms_context(context)))
                    .send()
                    .await
                    .map_err(map_err)?;
                let key =
                    envelope::data_key_from(out.plaintext().map(Blob::as_ref).unwrap_or_default())?;
                let wrapped = out
                    .ciphertext_blob()
                    .map(|b| b.as_ref().to_vec())
                    .ok_or(CipherError::Rejected)?;
                let mut caches = self.caches();
                evict_oldest(&mut caches.sealing, |s| s.created);
                caches.sealing.insert(
                    context.clone(),
                    Sealing {
                        key: key.clone(),
                        wrapped: wrapped.clone(),
                        created: self.clock.now(),
                        uses: 1,
                    },
                );
                (key, wrapped)
            }
        };
        envelope::seal(Provider::Kms, &wrapped, &key, context, plaintext)
    }

    async fn open(
        &self,
        context: &SealContext,
        sealed: &[u8],
    ) -> Result<SecretSlice<u8>, CipherError> {
        let parsed = envelope::parse(sealed)?;
        if parsed.provider != Provider::Kms as u8 {
            return Err(CipherError::Rejected);
        }
        let cache_key = (context.clone(), parsed.wrapped_key.to_vec());
        let now = self.clock.now();
        let cached = {
            let caches = self.caches();
            caches
                .opening
                .get(&cache_key)
                .filter(|o| now - o.created < DATA_KEY_TTL)
                .map(|o| o.key.clone())
        };
        let key = match cached {
            Some(key) => key,
            None => {
                let out = self
                    .client
                    .decrypt()
                    .key_id(&self.key_id)
                    .ciphertext_blob(Blob::new(parsed.wrapped_key))
                    .set_encryption_context(Some(kms_context(context)))
                    .send()
                    .await
                    .map_err(map_err)?;
                let key =
                    envelope::data_key_from(out.plaintext().map(Blob::as_ref).unwrap_or_default())?;
                let mut caches = self.caches();
                evict_oldest(&mut caches.opening, |o| o.created);
                caches.opening.insert(
                    cache_key,
                    Opening {
                        key: key.clone(),
                        created: now,
                    },
                );
                key
            }
        };
        envelope::open(&parsed, &key, context)
    }
}
