//! Clients for the AWS emulator that `cargo xtask test` starts (moto, on loopback). A test
//! that needs it and cannot find it fails with instructions; it never skips.

use atelier_core::ctx::AwsClients;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use tokio::sync::OnceCell;

pub const ENDPOINT_VAR: &str = "ATELIER_TEST_AWS_ENDPOINT";

/// The emulator's URL. Panics, naming the fix, if the test run did not provide one.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: the AWS adapter tests need the moto emulator. \
             Run the suite with `cargo xtask test`, which starts it, or start `moto_server` \
             yourself and export {ENDPOINT_VAR}=http://127.0.0.1:<port>."
        )
    })
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    atelier_core::adapters::aws::sdk_defaults()
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "atelier-tests",
        ))
        .load()
        .await
}

/// One set of clients per test binary.
pub async fn clients() -> &'static AwsClients {
    static CLIENTS: OnceCell<AwsClients> = OnceCell::const_new();
    CLIENTS
        .get_or_init(|| async { AwsClients::new(&sdk_config().await) })
        .await
}

/// The role brand handles assume (the emulator lets any role be assumed, and does not
/// enforce its policy: `template.rs` checks the policy, `fence` its local twin).
pub const BRAND_DATA_ROLE: &str = "arn:aws:iam::123456789012:role/atelier-BrandDataRole";

/// A unique resource name, so concurrent tests never share emulator state.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Creates a table shaped like the one in `infra/template.yaml`.
pub async fn create_table(name: &str) {
    let c = &clients().await.dynamodb;
    let key = |attr: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let gsi = |name: &str, pk: &str, sk: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash))
            .key_schema(key(sk, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .unwrap()
    };
    c.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
                .into_iter()
                .map(attr)
                .collect(),
        ))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .global_secondary_indexes(gsi("GSI1", "GSI1PK", "GSI1SK"))
        .global_secondary_indexes(gsi("GSI2", "GSI2PK", "GSI2SK"))
        .send()
        .await
        .expect("create table in the emulator");
    c.update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("enable TTL in the emulator");
}

/// Creates a symmetric KMS key and returns its id.
pub async fn create_key() -> String {
    let out = clients()
        .await
        .kms
        .create_key()
        .description("atelier test secrets")
        .send()
        .await
        .expect("create KMS key");
    out.key_metadata()
        .expect("key metadata")
        .key_id()
        .to_owned()
}

/// Creates an ECC_NIST_P256 signing key and returns its id.
pub async fn create_signing_key() -> String {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let out = clients()
        .await
        .kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .expect("create signing key");
    out.key_metadata()
        .expect("key metadata")
        .key_id()
        .to_owned()
}

/// Creates a FIFO queue with a FIFO DLQ after `max_receives`; returns (queue url, dlq url).
pub async fn create_fifo_pair(max_receives: u32, visibility_secs: u32) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = &clients().await.sqs;
    let base = unique("q");
    let dlq = sqs
        .create_queue()
        .queue_name(format!("{base}-dlq.fifo"))
        .attributes(A::FifoQueue, "true")
        .send()
        .await
        .expect("create DLQ");
    let dlq_url = dlq.queue_url().unwrap().to_owned();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .expect("DLQ arn")
        .attributes()
        .and_then(|a| a.get(&A::QueueArn).cloned())
        .expect("DLQ arn attribute");
    let policy =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives })
            .to_string();
    let queue = sqs
        .create_queue()
        .queue_name(format!("{base}.fifo"))
        .attributes(A::FifoQueue, "true")
        .attributes(A::VisibilityTimeout, visibility_secs.to_string())
        .attributes(A::RedrivePolicy, policy)
        .send()
        .await
        .expect("create queue");
    (queue.queue_url().unwrap().to_owned(), dlq_url)
}

pub async fn create_bucket() -> String {
    let name = unique("blobs");
    clients()
        .await
        .s3
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create bucket");
    name
}
