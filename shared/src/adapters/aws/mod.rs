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
/// and an HTTPS client on rustls with ring (the SDKs are built without their own), trusting
/// the system's CA bundle.
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{Provider, TlsContext, rustls_provider::CryptoMode};
    let builder =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    let http = match TlsContext::builder()
        .with_trust_store(trust_store())
        .build()
    {
        Ok(tls) => builder.tls_context(tls).build_https(),
        Err(_) => builder.build_https(),
    };
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http)
}

/// Where the system keeps its CA bundle: `SSL_CERT_FILE`, else Amazon Linux's (Lambda's
/// `provided.al2023`), else Debian's.
const CA_BUNDLES: [&str; 2] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
];

/// The roots the AWS clients trust: the system's CA bundle, read as one file. The SDK's own
/// loader also reads every file of the certificate directory, which was most of a cold
/// start's init (about 4 ms of 6.7). Without a bundle, that loader.
fn trust_store() -> aws_smithy_http_client::tls::TrustStore {
    use aws_smithy_http_client::tls::TrustStore;
    let bundle = std::env::var_os("SSL_CERT_FILE")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(CA_BUNDLES.map(std::path::PathBuf::from))
        .find_map(|path| std::fs::read(path).ok());
    match bundle.map(|pem| trusted_roots(&pem)) {
        Some(roots) if !roots.is_empty() => TrustStore::empty().with_pem_certificate(roots),
        _ => TrustStore::default(),
    }
}

/// The certificates of a PEM bundle that can serve as trust anchors, as PEM. The client
/// refuses to start on one it cannot use (it panics), so each is checked here first.
fn trusted_roots(bundle: &[u8]) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = bundle;
    while let Some(end) = rest.windows(END.len()).position(|w| w == END) {
        let block = &rest[..end + END.len()];
        rest = &rest[end + END.len()..];
        let usable = CertificateDer::from_pem_slice(block)
            .is_ok_and(|der| webpki::anchor_from_trusted_cert(&der).is_ok());
        if usable {
            out.extend_from_slice(block);
            out.push(b'\n');
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_bundle_keeps_its_usable_roots_and_drops_what_the_client_would_refuse() {
        let bundle = CA_BUNDLES
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .expect("a system CA bundle (the ca-certificates package)");
        let roots = trusted_roots(&bundle);
        let count = |pem: &[u8]| {
            pem.windows(27)
                .filter(|w| w == b"-----BEGIN CERTIFICATE-----")
                .count()
        };
        assert!(count(&roots) > 50, "{} roots", count(&roots));
        let mut spoiled =
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n".to_vec();
        spoiled.extend_from_slice(&bundle);
        assert_eq!(count(&trusted_roots(&spoiled)), count(&roots));
    }
}
