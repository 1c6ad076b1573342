//! The `Signer` conformance suite: a key file and a KMS asymmetric key (moto).

use atelier_core::adapters::aws::KmsSigner;
use atelier_core::adapters::embedded::KeyFileSigner;
use atelier_core::ports::Signer;
use atelier_tests::{aws, both};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use std::sync::Arc;

struct SignerFixture {
    signer: Arc<dyn Signer>,
    _dir: Option<tempfile::TempDir>,
}

async fn embedded_signer() -> SignerFixture {
    let dir = tempfile::TempDir::new().unwrap();
    let signer = KeyFileSigner::open_or_create(&dir.path().join("keys/signing.p8")).unwrap();
    SignerFixture {
        signer: Arc::new(signer),
        _dir: Some(dir),
    }
}

async fn aws_signer() -> SignerFixture {
    let key = aws::create_signing_key().await;
    SignerFixture {
        signer: Arc::new(KmsSigner::new(aws::clients().await.kms.clone(), key)),
        _dir: None,
    }
}

async fn signatures_verify_with_the_published_jwk_and_nothing_else(f: &SignerFixture) {
    let jwk = f.signer.public_jwk().await.unwrap();
    assert_eq!(
        (jwk.kty, jwk.crv, jwk.alg, jwk.use_),
        ("EC", "P-256", "ES256", "sig")
    );
    assert_eq!(jwk.kid, f.signer.key_id());
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(&jwk.x).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(&jwk.y).unwrap());
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point);
    let sig = f.signer.sign(b"header.claims").await.unwrap();
    assert!(public.verify(b"header.claims", &sig).is_ok());
    assert!(
        public.verify(b"header.claimz", &sig).is_err(),
        "bound to the message"
    );
}
both!(
    signatures_verify_with_the_published_jwk_and_nothing_else,
    embedded_signer,
    aws_signer
);
