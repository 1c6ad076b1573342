//! Sign in with Apple: identity tokens verified server-side (RS256) against Apple's published
//! keys, fetched from a configurable URL and cached; `iss`, `aud` (our client id), `exp` and
//! the nonce are checked.

use super::retry::{RetryPolicy, send_with_retry};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

pub const APPLE_ISSUER: &str = "https://appleid.apple.com";
pub const APPLE_KEYS_URL: &str = "https://appleid.apple.com/auth/keys";
/// How long fetched keys are trusted, and how soon an unknown `kid` may trigger a refetch.
const KEYS_TTL: Duration = Duration::from_secs(3600);
const REFETCH_AFTER: Duration = Duration::from_secs(60);
const LEEWAY_SECS: i64 = 60;

/// Who Apple says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppleIdentity {
    /// Apple's stable user id for our app.
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Whether the address is an Apple private relay (stored as given all the same).
    pub private_relay: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AppleError {
    #[error("identity token refused")]
    Refused,
    #[error("Apple's keys are unavailable: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<BoolOrString>,
    #[serde(default)]
    is_private_email: Option<BoolOrString>,
}

/// Apple sends these booleans as `true` or as `"true"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrString {
    Bool(bool),
    Text(String),
}

impl BoolOrString {
    fn truth(&self) -> bool {
        match self {
            BoolOrString::Bool(b) => *b,
            BoolOrString::Text(s) => s == "true",
        }
    }
}

pub struct AppleVerifier {
    http: reqwest::Client,
    keys_url: String,
    client_id: String,
    keys: RwLock<Option<(Instant, JwkSet)>>,
}

impl AppleVerifier {
    pub fn new(keys_url: &str, client_id: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            keys_url: keys_url.to_owned(),
            client_id: client_id.to_owned(),
            keys: RwLock::new(None),
        })
    }

    async fn fetch(&self) -> Result<JwkSet, AppleError> {
        let resp = send_with_retry(RetryPolicy::default(), || self.http.get(&self.keys_url))
            .await
            .map_err(|e| AppleError::Unavailable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(AppleError::Unavailable(format!(
                "keys endpoint answered {}",
                resp.status()
            )));
        }
        resp.json::<JwkSet>()
            .await
            .map_err(|e| AppleError::Unavailable(e.without_url().to_string()))
    }

    /// The key for `kid`: from the cache, or refetched when stale or unknown (not too often).
    async fn key(&self, kid: &str) -> Result<DecodingKey, AppleError> {
        {
            let cached = self.keys.read().await;
            if let Some((at, set)) = cached.as_ref()
                && let Some(jwk) = set.find(kid)
                && at.elapsed() < KEYS_TTL
            {
                return DecodingKey::from_jwk(jwk).map_err(|_| AppleError::Refused);
            }
            if cached
                .as_ref()
                .is_some_and(|(at, set)| set.find(kid).is_none() && at.elapsed() < REFETCH_AFTER)
            {
                return Err(AppleError::Refused);
            }
        }
        let set = self.fetch().await?;
        let key = set.find(kid).map(DecodingKey::from_jwk);
        *self.keys.write().await = Some((Instant::now(), set));
        key.ok_or(AppleError::Refused)?
            .map_err(|_| AppleError::Refused)
    }

    /// Verifies an identity token for `nonce` (the raw value or its SHA-256 hex, as the client
    /// passed it to Apple) at `now` (epoch seconds).
    pub async fn verify(
        &self,
        id_token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<AppleIdentity, AppleError> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| AppleError::Refused)?;
        if header.alg != Algorithm::RS256 {
            return Err(AppleError::Refused);
        }
        let key = self
            .key(header.kid.as_deref().ok_or(AppleError::Refused)?)
            .await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[APPLE_ISSUER]);
        validation.set_audience(&[self.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_exp = false; // checked below against the injectable clock
        let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)
            .map_err(|_| AppleError::Refused)?
            .claims;
        if claims.exp + LEEWAY_SECS <= now {
            return Err(AppleError::Refused);
        }
        let hashed: String = Sha256::digest(nonce.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let nonce_ok = !nonce.is_empty()
            && claims
                .nonce
                .as_deref()
                .is_some_and(|n| n == nonce || n == hashed);
        if !nonce_ok {
            return Err(AppleError::Refused);
        }
        Ok(AppleIdentity {
            sub: claims.sub,
            email: claims.email,
            email_verified: claims
                .email_verified
                .as_ref()
                .is_some_and(BoolOrString::truth),
            private_relay: claims
                .is_private_email
                .as_ref()
                .is_some_and(BoolOrString::truth),
        })
    }
}
