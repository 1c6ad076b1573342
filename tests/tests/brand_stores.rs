//! The second wall under brand handles: a brand's stores reach that brand's partitions,
//! files and secrets and nothing else, on both backends (fences locally; per-brand
//! credentials from STS, with the same fences in front, on AWS), and AWS credentials are
//! assumed once per brand and reused.

use atelier_core::adapters::aws::{
    BrandResources, DynamoTable, KmsCipher, S3Blobs, StsBrandStores,
};
use atelier_core::adapters::fence::FencedStores;
use atelier_core::domain::BrandId;
use atelier_core::ports::{
    BlobKey, Blobs, BlobsError, BrandStores, Cipher, CipherError, Condition, Index, Item, Key,
    ManualClock, Purpose, Query, SealContext, StoreError, Table, Update, Write,
};
use atelier_tests::aws;
use atelier_tests::fixtures::{embedded_blobs, embedded_cipher, embedded_table};
use aws_credential_types::provider::ProvideCredentials;
use std::sync::Arc;

fn two_brands() -> (BrandId, BrandId) {
    let clock = ManualClock::starting_now();
    (BrandId::new(&clock), BrandId::new(&clock))
}

fn denied<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(r, Err(StoreError::Denied(_))),
        "{what} must be denied, got {r:?}"
    );
}

/// Brand A's table against A's rows, B's rows and platform rows. `raw` is the table under
/// it, on the function's own credentials, to set up B's row and check it afterwards.
async fn reaches_only_its_brand(raw: &Arc<dyn Table>, tables: &dyn BrandStores) {
    let (a, b) = two_brands();
    let pa = format!("B#{a}");
    let pb = format!("B#{b}");
    let theirs = Item::new(Key::new(pb.as_str(), "CONTACT#1")).with("name", "Bo");
    raw.put(theirs.clone(), Condition::None).await.unwrap();

    let t = tables.table(&a);
    // A's main partition, a sub-partition and an index partition of A's: allowed.
    let audit = format!("{pa}#AUDIT#2026-12");
    t.put(
        Item::new(Key::new(pa.as_str(), "CONTACT#1"))
            .with("GSI1PK", format!("{pa}#EMAIL#ana@x.io"))
            .with("GSI1SK", "CONTACT#1"),
        Condition::Absent,
    )
    .await
    .unwrap();
    t.put(Item::new(Key::new(audit.as_str(), "01")), Condition::Absent)
        .await
        .unwrap();
    assert!(
        t.get(&Key::new(audit.as_str(), "01"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        t.query(Query::partition(pa.as_str()))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let by_email = Query::partition(format!("{pa}#EMAIL#ana@x.io")).on(Index::Gsi1);
    assert_eq!(t.query(by_email).await.unwrap().items.len(), 1);

    // Brand B's rows, however the key is made, and platform rows: refused.
    let b_key = Key::new(pb.as_str(), "CONTACT#1");
    denied(t.get(&b_key).await, "reading B's row");
    denied(
        t.put(
            Item::new(b_key.clone()).with("name", "Mallory"),
            Condition::None,
        )
        .await,
        "writing B's row",
    );
    denied(
        t.update(
            &b_key,
            Update::new().set("name", "Mallory"),
            Condition::None,
        )
        .await,
        "updating B's row",
    );
    denied(t.delete(&b_key, Condition::None).await, "deleting B's row");
    denied(t.query(Query::partition(pb.as_str())).await, "querying B");
    denied(
        t.query(Query::partition(format!("{pb}#EMAIL#ana@x.io")).on(Index::Gsi1))
            .await,
        "querying B's index",
    );
    denied(
        t.query(Query::partition(format!("{pb}#AUDIT#2026-12")))
            .await,
        "B's audit month",
    );
    denied(
        t.transact(vec![
            Write::Put {
                item: Item::new(Key::new(pa.as_str(), "NOTE#1")),
                condition: Condition::None,
            },
            Write::Delete {
                key: b_key.clone(),
                condition: Condition::None,
            },
        ])
        .await,
        "a transaction touching B",
    );
    denied(
        t.get(&Key::new(format!("{pa}X"), "CONTACT#1")).await,
        "a partition that merely starts with A's id",
    );
    denied(
        t.get(&Key::new(format!("U#{a}"), "PROFILE")).await,
        "a platform row",
    );
    // Nothing of the refused transaction happened, and B's row is as it was.
    assert!(
        t.get(&Key::new(pa.as_str(), "NOTE#1"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(raw.get(&b_key).await.unwrap(), Some(theirs));
}

fn blobs_denied<T: std::fmt::Debug>(r: Result<T, BlobsError>, what: &str) {
    assert!(
        matches!(r, Err(BlobsError::Denied(_))),
        "{what} must be denied, got {r:?}"
    );
}

fn cipher_denied<T: std::fmt::Debug>(r: Result<T, CipherError>, what: &str) {
    assert!(
        matches!(r, Err(CipherError::Denied(_))),
        "{what} must be denied, got {r:?}"
    );
}

/// Brand A's files against A's, B's and the platform's.
async fn files_only_its_brand(raw: &Arc<dyn Blobs>, stores: &dyn BrandStores) {
    let (a, b) = two_brands();
    let key = |s: String| BlobKey::parse(&s).unwrap();
    let theirs = key(format!("brands/{b}/files/1"));
    raw.put(&theirs, "B's bytes".into(), "text/plain")
        .await
        .unwrap();
    let blobs = stores.blobs(&a);
    let mine = key(format!("brands/{a}/files/1"));
    blobs
        .put(&mine, "A's bytes".into(), "text/plain")
        .await
        .unwrap();
    assert!(blobs.get(&mine).await.unwrap().is_some());
    assert_eq!(
        blobs.list(&format!("brands/{a}/")).await.unwrap(),
        vec![mine]
    );

    blobs_denied(blobs.get(&theirs).await, "reading B's file");
    blobs_denied(
        blobs.put(&theirs, "Mallory".into(), "text/plain").await,
        "writing B's file",
    );
    blobs_denied(blobs.delete(&theirs).await, "deleting B's file");
    blobs_denied(blobs.list("brands/").await, "listing every brand");
    blobs_denied(
        blobs.get(&key(format!("brands/{a}x/files/1"))).await,
        "a prefix that merely starts with A's id",
    );
    blobs_denied(
        blobs.get(&key(format!("exports/{a}/e.json"))).await,
        "a platform file",
    );
    let kept = raw.get(&theirs).await.unwrap().unwrap();
    assert_eq!(&kept.bytes[..], b"B's bytes");
}

/// Brand A's secrets against B's and the platform's.
async fn secrets_only_its_brand(raw: &Arc<dyn Cipher>, stores: &dyn BrandStores) {
    use secrecy::ExposeSecret;
    let (a, b) = two_brands();
    let ctx = |brand: String| SealContext::new(brand, Purpose::OAuthTokens);
    let cipher = stores.cipher(&a);
    let sealed = cipher
        .seal(&ctx(a.to_string()), b"refresh-a")
        .await
        .unwrap();
    let opened = cipher.open(&ctx(a.to_string()), &sealed).await.unwrap();
    assert_eq!(opened.expose_secret(), b"refresh-a");

    let theirs = raw.seal(&ctx(b.to_string()), b"refresh-b").await.unwrap();
    cipher_denied(
        cipher.open(&ctx(b.to_string()), &theirs).await,
        "opening B's secret",
    );
    cipher_denied(cipher.seal(&ctx(b.to_string()), b"x").await, "sealing as B");
    cipher_denied(
        cipher.seal(&ctx("platform".into()), b"x").await,
        "sealing as the platform",
    );
}

#[tokio::test]
async fn p01_p07_a_brands_stores_reach_only_its_brand_embedded() {
    let (t, f, c) = (
        embedded_table().await,
        embedded_blobs().await,
        embedded_cipher().await,
    );
    let stores = FencedStores::new(t.table.clone(), f.blobs.clone(), c.cipher.clone());
    reaches_only_its_brand(&t.table, &stores).await;
    files_only_its_brand(&f.blobs, &stores).await;
    secrets_only_its_brand(&c.cipher, &stores).await;
}

/// The emulator's resources, raw (on the test's own credentials) and as brand stores.
struct OnAws {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    cipher: Arc<dyn Cipher>,
    stores: StsBrandStores,
}

async fn on_aws(capacity: usize) -> OnAws {
    let table = aws::unique("table");
    aws::create_table(&table).await;
    let bucket = aws::create_bucket().await;
    let key = aws::create_key().await;
    let clock = Arc::new(ManualClock::starting_now());
    let clients = aws::clients().await;
    OnAws {
        table: Arc::new(DynamoTable::new(
            clients.dynamodb.clone(),
            table.clone(),
            clock.clone(),
        )),
        blobs: Arc::new(S3Blobs::new(clients.s3.clone(), bucket.clone())),
        cipher: Arc::new(KmsCipher::new(
            clients.kms.clone(),
            key.clone(),
            clock.clone(),
        )),
        stores: StsBrandStores::new(
            &aws::sdk_config().await,
            BrandResources {
                role_arn: aws::BRAND_DATA_ROLE.into(),
                table,
                bucket,
                secrets_key_id: key,
            },
            clock,
            capacity,
        ),
    }
}

#[tokio::test]
async fn p01_p07_a_brands_stores_reach_only_its_brand_on_aws() {
    let aws = on_aws(8).await;
    reaches_only_its_brand(&aws.table, &aws.stores).await;
    files_only_its_brand(&aws.blobs, &aws.stores).await;
    secrets_only_its_brand(&aws.cipher, &aws.stores).await;
}

#[tokio::test]
async fn brand_handles_assume_the_role_once_per_brand_with_its_tag_and_reuse_it() {
    let tables = on_aws(8).await.stores;
    let (a, b) = two_brands();
    let row = Key::new(format!("B#{a}"), "BRAND");
    for _ in 0..5 {
        tables.table(&a).get(&row).await.unwrap();
    }
    tables
        .table(&a)
        .put(
            Item::new(row.clone()).with("name", "Bloom"),
            Condition::None,
        )
        .await
        .unwrap();
    let secret = SealContext::new(a.to_string(), Purpose::OAuthTokens);
    tables.cipher(&a).seal(&secret, b"x").await.unwrap();
    let file = BlobKey::parse(&format!("brands/{a}/files/1")).unwrap();
    tables
        .blobs(&a)
        .put(&file, "bytes".into(), "text/plain")
        .await
        .unwrap();
    assert_eq!(
        tables.roles_assumed(),
        1,
        "one AssumeRole for brand A's table, files and key, then cached"
    );
    tables
        .table(&b)
        .get(&Key::new(format!("B#{b}"), "BRAND"))
        .await
        .unwrap();
    assert_eq!(tables.roles_assumed(), 2, "brand B has its own credentials");
    assert_eq!(tables.cached(), 2);

    // The credentials are the role's, in a session named for the brand.
    let creds = tables.credentials(&a).provide_credentials().await.unwrap();
    assert!(creds.session_token().is_some());
    let sdk = aws::sdk_config()
        .await
        .into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build();
    let me = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let arn = me.arn().unwrap_or_default();
    assert!(
        arn.ends_with(&format!("assumed-role/atelier-BrandDataRole/brand-{a}")),
        "{arn}"
    );
}
