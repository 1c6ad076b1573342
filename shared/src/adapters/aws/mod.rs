//! AWS implementations of the ports. The SDK's standard retry mode already retries throttling
//! and 5xx answers with jittered backoff, a bounded number of times; these adapters map what
//! is left to the ports' error types.

mod brand_stores;
mod dynamo;
mod kms;
mod kms_signer;
mod s3;
mod sqs;

pub use brand_stores::{BrandCredentials, BrandResources, StsBrandStores};
pub use dynamo::DynamoTable;
pub use kms::KmsCipher;
pub use kms_signer::KmsSigner;
pub use s3::{S3Blobs, client as s3_client};
pub use sqs::SqsQueue;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};

/// The SDK configuration loader every AWS client starts from: the latest behaviour version
/// and an HTTPS client on rustls with ring (the SDKs are built without their own).
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http)
}

/// Whether an SDK error is the service saying "slow down".
pub(crate) fn is_throttle(err: &impl ProvideErrorMetadata) -> bool {
    matches!(
        err.code(),
        Some(
            "ThrottlingException"
                | "Throttling"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "LimitExceededException"
                | "KMSThrottlingException"
                | "SlowDown"
        )
    )
}

/// The full error chain, for logs; never includes request payloads.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    DisplayErrorContext(err).to_string()
}
