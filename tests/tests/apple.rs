//! Sign in with Apple against a fake Apple key endpoint (P20).

use atelier_core::config::{Apple, Config};
use atelier_core::ports::ManualClock;
use atelier_tests::app::TestApp;
use atelier_tests::fake::FakeServer;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::Arc;

const CLIENT_ID: &str = "app.atelier.test";
const KID: &str = "apple-test-kid";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn apple_keys() -> FakeServer {
    let jwks = json!({"keys": [{"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256", "n": fixture("apple-test-key.n").trim(), "e": "AQAB"}]});
    FakeServer::start(move |req, _| {
        if req.path == "/auth/keys" {
            (
                200,
                vec![("content-type", "application/json".into())],
                jwks.to_string(),
            )
        } else {
            (404, vec![], String::new())
        }
    })
    .await
}

fn mint(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(fixture("apple-test-key.pem").as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(now: i64, sub: &str) -> Value {
    json!({"iss": "https://appleid.apple.com", "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 600,
           "nonce": "n-0S6_WzA2Mj", "email": "x7k2p@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true"})
}

async fn app_with_apple(keys: &FakeServer) -> (TestApp, Arc<ManualClock>) {
    let keys_url = format!("{}/auth/keys", keys.base);
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_configured(
        |config: &mut Config| {
            config.apple = Some(Apple {
                client_id: CLIENT_ID.into(),
                keys_url,
            })
        },
        clock.clone(),
    )
    .await;
    (app, clock)
}

async fn sign_in(app: &TestApp, token: &str, nonce: &str) -> reqwest::Response {
    app.post_json(
        "/auth/apple",
        &json!({"id_token": token, "nonce": nonce, "name": "Cleo", "refresh_token_in_body": true}),
    )
    .await
}

#[tokio::test]
async fn p20_apple_identity_tokens_are_verified_and_link_by_apples_id() {
    let keys = apple_keys().await;
    let (app, clock) = app_with_apple(&keys).await;
    let now = clock.now_ts();
    let first = sign_in(
        &app,
        &mint(&claims(now, "001234.apple.sub"), KID),
        "n-0S6_WzA2Mj",
    )
    .await;
    assert_eq!(first.status(), 200);
    let access = first.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    assert_eq!(
        me["email"], "x7k2p@privaterelay.appleid.com",
        "a private relay is stored as given"
    );
    assert_eq!(me["name"], "Cleo");
    let brands: Value = app.get_auth("/brands", &access).await.json().await.unwrap();
    assert_eq!(brands, json!([]), "a consumer account belongs to no brand");

    // The same Apple id signs in to the same account, hashed nonce or not.
    let mut again = claims(now, "001234.apple.sub");
    let raw = "another nonce";
    let hashed = {
        use sha2::Digest;
        sha2::Sha256::digest(raw.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    again["nonce"] = json!(hashed);
    let second = sign_in(&app, &mint(&again, KID), raw).await;
    assert_eq!(second.status(), 200);
    let access = second.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me_again: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    assert_eq!(me_again["id"], me["id"]);
    assert_eq!(keys.requests().len(), 1, "Apple's keys are cached");
    app.stop().await;
}

#[tokio::test]
async fn p20_forged_or_misdirected_apple_tokens_are_refused() {
    let keys = apple_keys().await;
    let (app, clock) = app_with_apple(&keys).await;
    let now = clock.now_ts();
    let good = claims(now, "001234.apple.sub");
    let with = |field: &str, value: Value| {
        let mut c = good.clone();
        c[field] = value;
        mint(&c, KID)
    };
    let genuine = mint(&good, KID);
    let parts: Vec<&str> = genuine.split('.').collect();
    let tampered = {
        use base64::Engine;
        let mut c = good.clone();
        c["sub"] = json!("someone.else");
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    let cases = [
        ("wrong audience", with("aud", json!("com.someone.else"))),
        ("wrong issuer", with("iss", json!("https://evil.example"))),
        ("expired", with("exp", json!(now - 3600))),
        ("tampered", tampered),
        ("unknown key", mint(&good, "other-kid")),
        ("not a JWT", "garbage".to_owned()),
    ];
    for (name, token) in cases {
        assert_eq!(
            sign_in(&app, &token, "n-0S6_WzA2Mj").await.status(),
            401,
            "{name}"
        );
    }
    assert_eq!(
        sign_in(&app, &genuine, "a different nonce").await.status(),
        401,
        "wrong nonce"
    );
    assert_eq!(
        sign_in(&app, &genuine, "n-0S6_WzA2Mj").await.status(),
        200,
        "the genuine token works"
    );
    app.stop().await;
}

#[tokio::test]
async fn apple_sign_in_is_404_when_not_configured() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_json("/auth/apple", &json!({"id_token": "x", "nonce": "y"}))
            .await
            .status(),
        404
    );
    app.stop().await;
}
