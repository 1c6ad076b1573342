//! Per-brand credentials (the AWS "token vending" pattern): a brand's table calls are signed
//! with credentials from STS `AssumeRole` on the `BrandDataRole`, with the session tag
//! `brand=<id>`. That role's policy allows DynamoDB only where `dynamodb:LeadingKeys` is
//! `B#${aws:PrincipalTag/brand}` or `B#${aws:PrincipalTag/brand}#*`, so IAM itself refuses
//! a key of any other brand, whatever the code asked for.
//!
//! Each brand's client is kept per instance (a bounded cache, least recently used out); the
//! SDK's identity cache keeps its credentials until shortly before they expire, so a warm
//! instance pays for `AssumeRole` once per brand per hour.

use super::DynamoTable;
use crate::adapters::fence::FencedTable;
use crate::domain::BrandId;
use crate::ports::{BrandTables, Clock, Table};
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

/// Brands' tables on DynamoDB, each under its brand's credentials.
pub struct StsBrandTables {
    sdk: aws_config::SdkConfig,
    sts: aws_sdk_sts::Client,
    role_arn: String,
    table: String,
    clock: Arc<dyn Clock>,
    capacity: usize,
    cache: Mutex<Cache>,
    assumed: Arc<AtomicU64>,
}

#[derive(Default)]
struct Cache {
    tick: u64,
    tables: HashMap<BrandId, (Arc<dyn Table>, u64)>,
}

impl StsBrandTables {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        role_arn: String,
        table: String,
        clock: Arc<dyn Clock>,
        capacity: usize,
    ) -> Self {
        Self {
            sdk: sdk.clone(),
            sts: aws_sdk_sts::Client::new(sdk),
            role_arn,
            table,
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
        self.cache.lock().map(|c| c.tables.len()).unwrap_or(0)
    }

    /// The credentials provider of `brand` (tests check its `AssumeRole` call).
    pub fn credentials(&self, brand: &BrandId) -> BrandCredentials {
        BrandCredentials {
            sts: self.sts.clone(),
            role_arn: self.role_arn.clone(),
            brand: *brand,
            assumed: self.assumed.clone(),
        }
    }

    fn build(&self, brand: &BrandId) -> Arc<dyn Table> {
        let provider = SharedCredentialsProvider::new(self.credentials(brand));
        let conf = self.sdk.to_builder().credentials_provider(provider).build();
        let dynamo = DynamoTable::new(
            aws_sdk_dynamodb::Client::new(&conf),
            self.table.clone(),
            self.clock.clone(),
        );
        Arc::new(FencedTable::new(*brand, Arc::new(dynamo)))
    }
}

impl BrandTables for StsBrandTables {
    fn table(&self, brand: &BrandId) -> Arc<dyn Table> {
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        cache.tick += 1;
        let tick = cache.tick;
        if let Some((table, used)) = cache.tables.get_mut(brand) {
            *used = tick;
            return table.clone();
        }
        if cache.tables.len() >= self.capacity
            && let Some(oldest) = cache
                .tables
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(b, _)| *b)
        {
            cache.tables.remove(&oldest);
        }
        let table = self.build(brand);
        cache.tables.insert(*brand, (table.clone(), tick));
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ManualClock;

    fn tables(capacity: usize) -> StsBrandTables {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-2"))
            .build();
        StsBrandTables::new(
            &sdk,
            "arn:aws:iam::123456789012:role/BrandDataRole".into(),
            "atelier".into(),
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
