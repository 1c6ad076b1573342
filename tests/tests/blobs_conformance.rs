//! The `Blobs` conformance suite: a directory and S3 (moto).

use atelier_core::ports::{BlobKey, BlobsError};
use atelier_tests::both;
use atelier_tests::fixtures::{BlobsFixture, aws_blobs, embedded_blobs};
use bytes::Bytes;

fn key(s: &str) -> BlobKey {
    BlobKey::parse(s).unwrap()
}

async fn a_blob_round_trips_with_its_content_type(f: &BlobsFixture) {
    assert_eq!(
        BlobKey::parse("B#1/x"),
        Err(BlobsError::InvalidKey("B#1/x".into())),
        "# is not a key character"
    );
    let k2 = key("brand-1/emails/01J/body.html");
    let html = Bytes::from_static(b"<p>Hello \xe2\x9c\xa8</p>");
    f.blobs
        .put(&k2, html.clone(), "text/html; charset=utf-8")
        .await
        .unwrap();
    let got = f.blobs.get(&k2).await.unwrap().unwrap();
    assert_eq!(got.bytes, html);
    assert_eq!(got.content_type, "text/html; charset=utf-8");
    f.blobs
        .put(&k2, Bytes::from_static(b"v2"), "text/plain")
        .await
        .unwrap();
    assert_eq!(
        f.blobs.get(&k2).await.unwrap().unwrap().bytes,
        Bytes::from_static(b"v2"),
        "put replaces"
    );
    f.blobs.delete(&k2).await.unwrap();
    assert_eq!(f.blobs.get(&k2).await.unwrap(), None);
    f.blobs.delete(&k2).await.unwrap();
}

async fn listing_by_prefix_returns_exactly_those_keys(f: &BlobsFixture) {
    for k in [
        "brand-1/files/a.pdf",
        "brand-1/files/b.pdf",
        "brand-1/exports/e.json",
        "brand-2/files/a.pdf",
    ] {
        f.blobs
            .put(
                &key(k),
                Bytes::from_static(b"x"),
                "application/octet-stream",
            )
            .await
            .unwrap();
    }
    let listed: Vec<String> = f
        .blobs
        .list("brand-1/files/")
        .await
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(listed, vec!["brand-1/files/a.pdf", "brand-1/files/b.pdf"]);
    assert_eq!(f.blobs.list("brand-1/").await.unwrap().len(), 3);
    assert!(f.blobs.list("brand-3/").await.unwrap().is_empty());
}

both!(
    a_blob_round_trips_with_its_content_type,
    embedded_blobs,
    aws_blobs
);
both!(
    listing_by_prefix_returns_exactly_those_keys,
    embedded_blobs,
    aws_blobs
);

#[test]
fn blob_keys_refuse_traversal_and_odd_characters() {
    for bad in [
        "", "/abs", "a//b", "a/../b", "./a", "a/", "a b", "a\\b", "é",
    ] {
        assert!(BlobKey::parse(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(BlobKey::parse("brand-01J/files/report_2026.v2=final.pdf").is_ok());
}

async fn nested_keys_coexist_and_bad_content_types_are_refused(f: &BlobsFixture) {
    f.blobs
        .put(
            &key("brand-1/a"),
            Bytes::from_static(b"outer"),
            "text/plain",
        )
        .await
        .unwrap();
    f.blobs
        .put(
            &key("brand-1/a/b"),
            Bytes::from_static(b"inner"),
            "text/plain",
        )
        .await
        .unwrap();
    assert_eq!(
        f.blobs.get(&key("brand-1/a")).await.unwrap().unwrap().bytes,
        Bytes::from_static(b"outer")
    );
    assert_eq!(
        f.blobs
            .get(&key("brand-1/a/b"))
            .await
            .unwrap()
            .unwrap()
            .bytes,
        Bytes::from_static(b"inner")
    );
    let listed: Vec<String> = f
        .blobs
        .list("brand-1/")
        .await
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(listed, vec!["brand-1/a", "brand-1/a/b"]);
    for bad in ["", "text/plain\nx-injected: 1", "text/\u{e9}"] {
        let result = f
            .blobs
            .put(&key("brand-1/c"), Bytes::from_static(b"x"), bad)
            .await;
        assert_eq!(result, Err(BlobsError::InvalidContentType), "{bad:?}");
    }
    assert_eq!(f.blobs.get(&key("brand-1/c")).await.unwrap(), None);
}
both!(
    nested_keys_coexist_and_bad_content_types_are_refused,
    embedded_blobs,
    aws_blobs
);
