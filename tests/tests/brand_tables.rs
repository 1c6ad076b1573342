//! The second wall under brand handles: a brand's table reaches that brand's partitions and
//! nothing else, on both backends (a fence locally; per-brand credentials from STS, with the
//! same fence in front, on AWS), and AWS credentials are assumed once per brand and reused.

use atelier_core::adapters::aws::StsBrandTables;
use atelier_core::adapters::fence::FencedTables;
use atelier_core::domain::BrandId;
use atelier_core::ports::{
    BrandTables, Condition, Index, Item, Key, ManualClock, Query, StoreError, Table, Update, Write,
};
use atelier_tests::aws;
use atelier_tests::fixtures::{TableFixture, embedded_table};
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
async fn reaches_only_its_brand(raw: &Arc<dyn Table>, tables: &dyn BrandTables) {
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

#[tokio::test]
async fn a_brand_table_reaches_only_its_brand_embedded() {
    let f: TableFixture = embedded_table().await;
    let tables = FencedTables::new(f.table.clone());
    reaches_only_its_brand(&f.table, &tables).await;
}

fn sts_tables(table: &str, capacity: usize) -> impl std::future::Future<Output = StsBrandTables> {
    let table = table.to_owned();
    async move {
        StsBrandTables::new(
            &aws::sdk_config().await,
            aws::BRAND_DATA_ROLE.into(),
            table,
            Arc::new(ManualClock::starting_now()),
            capacity,
        )
    }
}

#[tokio::test]
async fn a_brand_table_reaches_only_its_brand_on_aws() {
    let name = aws::unique("table");
    aws::create_table(&name).await;
    let raw: Arc<dyn Table> = Arc::new(atelier_core::adapters::aws::DynamoTable::new(
        aws::clients().await.dynamodb.clone(),
        name.clone(),
        Arc::new(ManualClock::starting_now()),
    ));
    let tables = sts_tables(&name, 8).await;
    reaches_only_its_brand(&raw, &tables).await;
}

#[tokio::test]
async fn brand_handles_assume_the_role_once_per_brand_with_its_tag_and_reuse_it() {
    let name = aws::unique("table");
    aws::create_table(&name).await;
    let tables = sts_tables(&name, 8).await;
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
    assert_eq!(
        tables.roles_assumed(),
        1,
        "one AssumeRole for brand A, then cached"
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
