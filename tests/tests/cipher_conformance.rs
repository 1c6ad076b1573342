//! The `Cipher` conformance suite: the key-file cipher and KMS envelope encryption (moto).

use atelier_core::ports::{CipherError, Purpose, SealContext};
use atelier_tests::both;
use atelier_tests::fixtures::{CipherFixture, aws_cipher, embedded_cipher};
use secrecy::ExposeSecret;

const BRAND_A: &str = "01JAAAAAAAAAAAAAAAAAAAAAAA";
const BRAND_B: &str = "01JBBBBBBBBBBBBBBBBBBBBBBB";

async fn a_sealed_secret_opens_in_its_own_context(f: &CipherFixture) {
    let ctx = SealContext::new(BRAND_A, Purpose::OAuthTokens);
    let sealed = f.cipher.seal(&ctx, b"refresh-token-1").await.unwrap();
    assert!(
        !sealed.windows(15).any(|w| w == b"refresh-token-1"),
        "no plaintext in the ciphertext"
    );
    let opened = f.cipher.open(&ctx, &sealed).await.unwrap();
    assert_eq!(opened.expose_secret(), b"refresh-token-1");
    let again = f.cipher.seal(&ctx, b"refresh-token-1").await.unwrap();
    assert_ne!(sealed, again, "every seal uses a fresh nonce");
    assert_eq!(
        f.cipher.open(&ctx, &again).await.unwrap().expose_secret(),
        b"refresh-token-1"
    );
}
both!(
    a_sealed_secret_opens_in_its_own_context,
    embedded_cipher,
    aws_cipher
);

async fn p07_a_ciphertext_of_one_brand_cannot_be_opened_as_another(f: &CipherFixture) {
    let a = SealContext::new(BRAND_A, Purpose::OAuthTokens);
    let sealed = f.cipher.seal(&a, b"token").await.unwrap();
    let b = SealContext::new(BRAND_B, Purpose::OAuthTokens);
    assert_eq!(
        f.cipher.open(&b, &sealed).await.err(),
        Some(CipherError::Rejected)
    );
    let other_purpose = SealContext::new(BRAND_A, Purpose::ApiSecret);
    assert_eq!(
        f.cipher.open(&other_purpose, &sealed).await.err(),
        Some(CipherError::Rejected)
    );
}
both!(
    p07_a_ciphertext_of_one_brand_cannot_be_opened_as_another,
    embedded_cipher,
    aws_cipher
);

async fn tampered_or_malformed_ciphertexts_are_rejected(f: &CipherFixture) {
    let ctx = SealContext::new(BRAND_A, Purpose::SigningKey);
    let sealed = f.cipher.seal(&ctx, b"key material").await.unwrap();
    let mut flipped = sealed.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(
        f.cipher.open(&ctx, &flipped).await.err(),
        Some(CipherError::Rejected)
    );
    let mut wrong_version = sealed.clone();
    wrong_version[0] = 9;
    assert_eq!(
        f.cipher.open(&ctx, &wrong_version).await.err(),
        Some(CipherError::Rejected)
    );
    for junk in [&b""[..], b"\x01", &sealed[..sealed.len() / 2]] {
        assert_eq!(
            f.cipher.open(&ctx, junk).await.err(),
            Some(CipherError::Rejected)
        );
    }
}
both!(
    tampered_or_malformed_ciphertexts_are_rejected,
    embedded_cipher,
    aws_cipher
);

async fn many_seals_in_one_context_all_open(f: &CipherFixture) {
    let ctx = SealContext::new(BRAND_B, Purpose::ApiSecret);
    let mut sealed = Vec::new();
    for i in 0..20 {
        sealed.push(
            f.cipher
                .seal(&ctx, format!("secret-{i}").as_bytes())
                .await
                .unwrap(),
        );
    }
    for (i, s) in sealed.iter().enumerate() {
        assert_eq!(
            f.cipher.open(&ctx, s).await.unwrap().expose_secret(),
            format!("secret-{i}").as_bytes()
        );
    }
}
both!(
    many_seals_in_one_context_all_open,
    embedded_cipher,
    aws_cipher
);
