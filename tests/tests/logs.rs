//! Logs carry requests, never secrets (P07, P23): every log line, at every level, from a run
//! through sign-up, login, refresh, API keys and failures, is searched for the secrets used.

use atelier_tests::app::{PASSWORD, TestApp};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn p07_p23_secrets_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .json()
        .init();

    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let login = app.post_json("/auth/login", &json!({"email": "ana@bloom.example", "password": PASSWORD, "refresh_token_in_body": true})).await;
    let body: Value = login.json().await.unwrap();
    let (access, refresh) = (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    );
    let rotated: Value = app
        .post_json("/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .json()
        .await
        .unwrap();
    // A reused token is an incident worth a warning; the warning must not carry the token.
    app.post_json("/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    app.post_json(
        "/auth/login",
        &json!({"email": "ana@bloom.example", "password": "a wrong password"}),
    )
    .await;
    let key: Value = app
        .http
        .post(app.url("/api-keys"))
        .bearer_auth(&owner)
        .json(&json!({"name": "form", "role": "admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_key = key["key"].as_str().unwrap().to_owned();
    app.get_auth(&format!("/brands/{brand}/members"), &api_key)
        .await;
    app.get_auth("/me", &access).await;
    // Every route with a secret in its path, called with a made-up secret (a failed attempt)
    // and, for invitations, with a real one.
    let mut path_secrets = Vec::new();
    for (i, route) in atelier_core::http::ROUTES.iter().enumerate() {
        let secret_params: Vec<&str> = route
            .path
            .split('/')
            .filter_map(|p| p.strip_prefix('{')?.strip_suffix('}'))
            .filter(|p| atelier_core::http::route::SECRET_PARAMS.contains(p))
            .collect();
        if secret_params.is_empty() {
            continue;
        }
        let secret = format!("made-up-secret-{i}-Zq8");
        let path = route.path.replace("{token}", &secret);
        app.send_as(route.method.clone(), &path, &access, &json!({}))
            .await;
        path_secrets.push(secret);
    }
    assert!(
        !path_secrets.is_empty(),
        "the invitation route has a secret"
    );
    let invited = app
        .send_as(
            reqwest::Method::POST,
            &format!("/brands/{brand}/invitations"),
            &owner,
            &json!({"email": "sam@bloom.example", "role": "team_member"}),
        )
        .await;
    assert_eq!(invited.status(), 201);
    let invitation = app.mailed_token("sam@bloom.example", "/invitations/").await;
    let (sam, _) = app.account("sam@bloom.example").await;
    let accepted = app
        .send_as(
            reqwest::Method::POST,
            &format!("/invitations/{invitation}/accept"),
            &sam,
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    path_secrets.push(invitation);
    app.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("\"access\""), "the access log was captured");
    assert!(logs.contains("reuse"), "the reuse warning was captured");
    let secrets = [
        ("password", PASSWORD.to_owned()),
        ("wrong password", "a wrong password".to_owned()),
        ("access token", access.clone()),
        (
            "access token signature",
            access.rsplit('.').next().unwrap().to_owned(),
        ),
        ("refresh token", refresh),
        (
            "rotated refresh token",
            rotated["refresh_token"].as_str().unwrap().to_owned(),
        ),
        ("API key", api_key),
    ];
    let secrets = secrets.into_iter().chain(
        path_secrets
            .into_iter()
            .map(|s| ("secret path parameter", s)),
    );
    for (name, secret) in secrets {
        assert!(!logs.contains(&secret), "the {name} reached the logs");
    }
}
