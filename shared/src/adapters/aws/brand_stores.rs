//! Per-brand credentials (the AWS "token vending" pattern): a brand's table, file and key
//! calls are signed with credentials from STS `AssumeRole` on the `BrandDataRole`, with the
//! session tag `brand=<id>`. That role's policy allows DynamoDB only where
//! `dynamodb:LeadingKeys` is `B#${aws:PrincipalTag/brand}` or `B#${aws:PrincipalTag/brand}#*`,
//! S3 only under `brands/${aws:PrincipalTag/brand}/`, and the secrets key only with
//! `kms:EncryptionContext:brand` equal to the tag, so IAM itself refuses another brand's
//! rows, files and secrets, whatever the code asked for.
//!
//! Each brand's clients are kept per instance (a bounded cache, least recently used out) and
//! share one credentials provider, which the SDK's identity cache keeps until shortly before
//! it expires: a warm instance pays for `AssumeRole` once per brand per hour.

use super::{DynamoTable, KmsCipher, S3Blobs};
use crate::adapters::fence::{FencedBlobs, FencedCipher, FencedTable};
use crate::domain::BrandId;
use crate::ports::{Blobs, BrandStores, Cipher, Clock, Table};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::operation::assume_role::builders::AssumeRoleFluentBuilder;
use aws_sdk_sts::types::Tag;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How long assumed credentials last: an hour, the most role chaining (a Lambda's role
/// assuming another) allows.
const SESSION_SECS: i32 = 3600;
/// The session tag the role's policy reads.
pub const BRAND_TAG: &str = "brand";

/// Credentials for one brand, from `AssumeRole` with the brand's session tag.
#[derive(Debug)]
pub struct BrandCredentials {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    brand: BrandId,
    assumed: Arc<AtomicU64>,
}

impl BrandCredentials {
    /// The `AssumeRole` call for this brand.
    pub fn request(&self) -> AssumeRoleFluentBuilder {
        self.sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(format!("brand-{}", self.brand))
            .duration_seconds(SESSION_SECS)
            .set_tags(
                Tag::builder()
                    .key(BRAND_TAG)
                    .value(self.brand.to_string())
                    .build()
                    .ok()
                    .map(|t| vec![t]),
            )
    }

    async fn assume(&self) -> provider::Result {
        self.assumed.fetch_add(1, Ordering::Relaxed);
        let out = self
            .request()
            .send()
            .await
            .map_err(CredentialsError::provider_error)?;
        let c = out
            .credentials
            .ok_or_else(|| CredentialsError::unhandled("AssumeRole returned no credentials"))?;
        let expiry = SystemTime::try_from(c.expiration).map_err(CredentialsError::unhandled)?;
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            Some(expiry),
            "atelier-brand-data-role",
        ))
    }
}

impl ProvideCredentials for BrandCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.assume())
    }
}

/// What brand handles reach on AWS: the role to assume and the resources it opens.
#[derive(Debug, Clone)]
pub struct BrandResources {
    pub role_arn: String,
    pub table: String,
    pub bucket: String,
    pub secrets_key_id: String,
}

/// One brand's stores, on its credentials, each behind the brand's fence too.
#[derive(Clone)]
struct Stores {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    cipher: Arc<dyn Cipher>,
}

/// Brands' stores on DynamoDB, S3 and KMS, each under its brand's credentials.
pub struct StsBrandStores {
    sdk: aws_config::SdkConfig,
    sts: aws_sdk_sts::Client,
    resources: BrandResources,
    clock: Arc<dyn Clock>,
    capacity: usize,
    cache: Mutex<Cache>,
    assumed: Arc<AtomicU64>,
}

#[derive(Default)]
struct Cache {
    tick: u64,
    brands: HashMap<BrandId, (Stores, u64)>,
}

impl StsBrandStores {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        resources: BrandResources,
        clock: Arc<dyn Clock>,
        capacity: usize,
    ) -> Self {
        Self {
            sdk: sdk.clone(),
            sts: aws_sdk_sts::Client::new(sdk),
            resources,
            clock,
            capacity: capacity.max(1),
            cache: Mutex::new(Cache::default()),
            assumed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many times a role was assumed: once per brand per session, if the caches work.
    pub fn roles_assumed(&self) -> u64 {
        self.assumed.load(Ordering::Relaxed)
    }

    /// How many brands' clients are kept.
    pub fn cached(&self) -> usize {
        self.cache.lock().map(|c| c.brands.len()).unwrap_or(0)
    }

    /// The credentials provider of `brand` (tests check its `AssumeRole` call).
    pub fn credentials(&self, brand: &BrandId) -> BrandCredentials {
        BrandCredentials {
            sts: self.sts.clone(),
            role_arn: self.resources.role_arn.clone(),
            brand: *brand,
            assumed: self.assumed.clone(),
        }
    }

    fn build(&self, brand: &BrandId) -> Stores {
        let provider = SharedCredentialsProvider::new(self.credentials(brand));
        // One identity cache for the brand's three clients, so they share one AssumeRole.
        let conf = self
            .sdk
            .to_builder()
            .credentials_provider(provider)
            .identity_cache(aws_config::identity::IdentityCache::lazy().build())
            .build();
        let r = &self.resources;
        let dynamo = DynamoTable::new(
            aws_sdk_dynamodb::Client::new(&conf),
            r.table.clone(),
            self.clock.clone(),
        );
        let s3 = S3Blobs::new(super::s3::client(&conf), r.bucket.clone());
        let kms = KmsCipher::new(
            aws_sdk_kms::Client::new(&conf),
            r.secrets_key_id.clone(),
            self.clock.clone(),
        );
        Stores {
            table: Arc::new(FencedTable::new(*brand, Arc::new(dynamo))),
            blobs: Arc::new(FencedBlobs::new(*brand, Arc::new(s3))),
            cipher: Arc::new(FencedCipher::new(*brand, Arc::new(kms))),
        }
    }

    /// The brand's stores, from the cache or built (evicting the least recently used).
    fn stores(&self, brand: &BrandId) -> Stores {
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        cache.tick += 1;
        let tick = cache.tick;
        if let Some((stores, used)) = cache.brands.get_mut(brand) {
            *used = tick;
            return stores.clone();
        }
        if cache.brands.len() >= self.capacity
            && let Some(oldest) = cache
                .brands
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(b, _)| *b)
        {
            cache.brands.remove(&oldest);
        }
        let stores = self.build(brand);
        cache.brands.insert(*brand, (stores.clone(), tick));
        stores
    }
}

impl BrandStores for StsBrandStores {
    fn table(&self, brand: &BrandId) -> Arc<dyn Table> {
        self.stores(brand).table
    }

    fn blobs(&self, brand: &BrandId) -> Arc<dyn Blobs> {
        self.stores(brand).blobs
    }

    fn cipher(&self, brand: &BrandId) -> Arc<dyn Cipher> {
        self.stores(brand).cipher
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ManualClock;

    fn tables(capacity: usize) -> StsBrandStores {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-2"))
            .build();
        StsBrandStores::new(
            &sdk,
            BrandResources {
                role_arn: "arn:aws:iam::123456789012:role/BrandDataRole".into(),
                table: "atelier".into(),
                bucket: "atelier-blobs".into(),
                secrets_key_id: "alias/atelier-secrets".into(),
            },
            Arc::new(ManualClock::starting_now()),
            capacity,
        )
    }

    #[test]
    fn assume_role_carries_the_brand_tag_and_session_name() {
        let t = tables(4);
        let brand = BrandId::new(&ManualClock::starting_now());
        let call = t.credentials(&brand).request();
        let input = call.as_input();
        let tags = input.get_tags().clone().unwrap_or_default();
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].key(), BRAND_TAG);
        assert_eq!(tags[0].value(), brand.to_string());
        assert_eq!(
            input.get_role_session_name().as_deref(),
            Some(format!("brand-{brand}").as_str())
        );
        assert_eq!(
            input.get_role_arn().as_deref(),
            Some("arn:aws:iam::123456789012:role/BrandDataRole")
        );
    }

    #[test]
    fn the_cache_keeps_recent_brands_and_stays_bounded() {
        let t = tables(2);
        let clock = ManualClock::starting_now();
        let (a, b, c) = (
            BrandId::new(&clock),
            BrandId::new(&clock),
            BrandId::new(&clock),
        );
        let first = t.table(&a);
        assert!(Arc::ptr_eq(&first, &t.table(&a)), "reused, not rebuilt");
        t.table(&b);
        t.table(&a); // a is now the most recent
        t.table(&c); // evicts b
        assert_eq!(t.cached(), 2);
        assert!(Arc::ptr_eq(&first, &t.table(&a)));
    }
}
