//! Identity over HTTP: sign-up, login, tokens, refresh rotation, sessions, lockout.

use atelier_core::app::auth::tokens;
use atelier_core::domain::UserId;
use atelier_core::ports::{Key, ManualClock};
use atelier_tests::app::{PASSWORD, TestApp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde_json::{Value, json};
use std::sync::Arc;

async fn manual_app() -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    (TestApp::spawn_with_clock(clock.clone()).await, clock)
}

/// What a client can tell apart in an error answer: everything but the request id.
async fn shape(resp: reqwest::Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let mut body: Value = resp.json().await.unwrap();
    body.as_object_mut().unwrap().remove("request_id");
    (status, content_type, body)
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/auth/refresh", &json!({ "refresh_token": token }))
        .await
}

#[tokio::test]
async fn p15_signup_login_and_profile() {
    let app = TestApp::spawn().await;
    let (access, _) = app.account("ana@bloom.example").await;
    let me: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    assert_eq!(me["email"], "ana@bloom.example");
    assert_eq!(me["email_verified"], false);
    let user = UserId::parse(me["id"].as_str().unwrap()).unwrap();
    let stored = app
        .running
        .ctx
        .table
        .get(&Key::new(format!("U#{user}"), "PROFILE"))
        .await
        .unwrap()
        .unwrap();
    let hash = stored.get("password_hash").unwrap().as_str().unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
    assert_eq!(app.get("/me").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn signup_answers_alike_for_a_taken_address_and_refuses_bad_input_clearly() {
    let app = TestApp::spawn().await;
    let first = app
        .post_json(
            "/auth/signup",
            &json!({"email": "a@b.io", "password": PASSWORD, "name": "A"}),
        )
        .await;
    let again = app
        .post_json(
            "/auth/signup",
            &json!({"email": "A@B.io", "password": "another good phrase", "name": "B"}),
        )
        .await;
    assert_eq!(
        (first.status(), again.status()),
        (201.try_into().unwrap(), 201.try_into().unwrap())
    );
    assert_eq!(first.text().await.unwrap(), again.text().await.unwrap());
    // The second sign-up created nothing: its password does not open the account.
    let login = app
        .post_json(
            "/auth/login",
            &json!({"email": "a@b.io", "password": "another good phrase"}),
        )
        .await;
    assert_eq!(login.status(), 401);

    let weak = shape(
        app.post_json(
            "/auth/signup",
            &json!({"email": "c@b.io", "password": "password1", "name": "C"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (weak.0, weak.2["errors"][0]["field"].as_str()),
        (422, Some("password"))
    );
    let unknown = app
        .post_json(
            "/auth/signup",
            &json!({"email": "c@b.io", "password": PASSWORD, "name": "C", "role": "owner"}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let malformed = app
        .http
        .post(app.url("/auth/signup"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let not_json = app
        .http
        .post(app.url("/auth/signup"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    app.stop().await;
}

#[tokio::test]
async fn p19_browser_sessions_use_host_cookies_and_refresh_needs_the_csrf_header() {
    let app = TestApp::spawn().await;
    app.account("ana@bloom.example").await;
    let login = app
        .post_json(
            "/auth/login",
            &json!({"email": "ana@bloom.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let refresh_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-atelier-refresh="))
        .unwrap();
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("__Host-atelier-csrf="))
        .unwrap();
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(
            refresh_cookie.contains(attr),
            "{refresh_cookie} lacks {attr}"
        );
    }
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "the page must read the CSRF token"
    );
    let body: Value = login.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "browsers never see the refresh token"
    );
    let value = |c: &str| c.split(';').next().unwrap().to_owned();
    let cookie_header = format!("{}; {}", value(refresh_cookie), value(csrf_cookie));
    let csrf = value(csrf_cookie).split_once('=').unwrap().1.to_owned();

    let without = app
        .http
        .post(app.url("/auth/refresh"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403, "cookie without CSRF header");
    let wrong = app
        .http
        .post(app.url("/auth/refresh"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let ok = app
        .http
        .post(app.url("/auth/refresh"))
        .header("cookie", &cookie_header)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("__Host-atelier-refresh=")),
        "rotated"
    );
    app.stop().await;
}

#[tokio::test]
async fn p16_refresh_rotates_and_reuse_revokes_that_family_only() {
    let (app, clock) = manual_app().await;
    let (_, a1) = app.account("ana@bloom.example").await;
    let (_, b1) = app.login("ana@bloom.example").await;

    let r: Value = refresh(&app, &a1).await.json().await.unwrap();
    let a2 = r["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(a1, a2);
    // Within the grace, the previous token is refused but is not taken for theft…
    assert_eq!(refresh(&app, &a1).await.status(), 401);
    let r: Value = refresh(&app, &a2).await.json().await.unwrap();
    let a3 = r["refresh_token"].as_str().unwrap().to_owned();
    // …past it, a spent token revokes its whole family.
    clock.advance(Duration::seconds(31));
    assert_eq!(refresh(&app, &a2).await.status(), 401);
    assert_eq!(refresh(&app, &a3).await.status(), 401, "the family is gone");
    // The other login's family lives on.
    let r = refresh(&app, &b1).await;
    assert_eq!(r.status(), 200);
    let access: Value = r.json().await.unwrap();
    let sessions: Value = app
        .get_auth("/auth/sessions", access["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn p16_access_tokens_are_short_lived_es256() {
    let (app, clock) = manual_app().await;
    let (access, _) = app.account("ana@bloom.example").await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("ES256"), Some("at+jwt"))
    );
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 15 * 60);
    assert_eq!(app.get_auth("/me", &access).await.status(), 200);
    clock.advance(Duration::minutes(16));
    assert_eq!(app.get_auth("/me", &access).await.status(), 401, "expired");
    app.stop().await;
}

#[tokio::test]
async fn jwt_attacks_are_refused_with_401() {
    let (app, clock) = manual_app().await;
    let (access, _) = app.account("ana@bloom.example").await;
    let ctx = &app.running.ctx;
    let parts: Vec<&str> = access.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());

    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        parts[1]
    );
    // HS256 keyed with the public key: the classic algorithm-confusion forgery.
    let jwk = ctx.signer.public_jwk().await.unwrap();
    let hs_key = serde_json::to_vec(&jwk).unwrap();
    let hs_input = format!(
        "{}.{}",
        b64(&json!({"alg": "HS256", "typ": "at+jwt", "kid": kid})),
        parts[1]
    );
    let hs_sig = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &hs_key),
        hs_input.as_bytes(),
    );
    let hs256 = format!("{hs_input}.{}", URL_SAFE_NO_PAD.encode(hs_sig.as_ref()));
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!(UserId::new(clock.as_ref()).to_string());
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    let wrong_typ = format!(
        "{}.{}.{}",
        b64(&json!({"alg": "ES256", "typ": "JWT", "kid": kid})),
        parts[1],
        parts[2]
    );

    // Properly signed, but for another audience, or not valid yet.
    let me: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    let user = UserId::parse(me["id"].as_str().unwrap()).unwrap();
    let sid = serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
        ["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut other = (*ctx.config).clone();
    other.jwt_audience = "someone-else".into();
    let other_ctx = atelier_core::Ctx {
        config: Arc::new(other),
        ..ctx.clone()
    };
    let wrong_aud = tokens::issue(&other_ctx, &user, &sid, None)
        .await
        .unwrap()
        .token;
    clock.advance(Duration::hours(1));
    let future = tokens::issue(ctx, &user, &sid, None).await.unwrap().token;
    clock.advance(Duration::hours(-1));

    for (name, token) in [
        ("alg none", none),
        ("HS256 with the public key", hs256),
        ("tampered payload", tampered),
        ("wrong typ", wrong_typ),
        ("wrong audience", wrong_aud),
        ("not yet valid", future),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let resp = app.get_auth("/me", &token).await;
        assert_eq!(resp.status(), 401, "{name}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(
        app.get_auth("/me", &access).await.status(),
        200,
        "the genuine token still works"
    );
    app.stop().await;
}

#[tokio::test]
async fn p18_the_eleventh_failed_login_locks_and_looks_like_any_failure() {
    let (app, clock) = manual_app().await;
    app.account("ana@bloom.example").await;
    let attempt = |password: &'static str, email: &'static str| {
        let body = json!({"email": email, "password": password});
        let app = &app;
        async move { app.post_json("/auth/login", &body).await }
    };
    let wrong = shape(attempt("not my password", "ana@bloom.example").await).await;
    for _ in 1..10 {
        assert_eq!(
            shape(attempt("not my password", "ana@bloom.example").await).await,
            wrong
        );
    }
    // Locked now: the right password gets the same answer as a wrong one or an unknown account.
    let locked = shape(attempt(PASSWORD, "ana@bloom.example").await).await;
    let unknown = shape(attempt(PASSWORD, "nobody@bloom.example").await).await;
    assert_eq!(locked, wrong);
    assert_eq!(unknown, wrong);
    assert_eq!(wrong.0, 401);
    clock.advance(Duration::minutes(16));
    assert_eq!(
        attempt(PASSWORD, "ana@bloom.example").await.status(),
        200,
        "the lock ends"
    );
    app.stop().await;
}

#[tokio::test]
async fn p18_logins_are_rate_limited_per_ip() {
    let (app, _clock) = manual_app().await;
    let mut last = 0;
    for _ in 0..31 {
        last = app
            .post_json(
                "/auth/login",
                &json!({"email": "x@y.io", "password": "whatever it is"}),
            )
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    app.stop().await;
}

#[tokio::test]
async fn p21_users_list_and_revoke_their_sessions_and_revocation_ends_access_at_once() {
    let app = TestApp::spawn().await;
    let (access_a, _) = app.account("ana@bloom.example").await;
    let (access_b, refresh_b) = app.login("ana@bloom.example").await;
    let (intruder, _) = app.account("bea@bloom.example").await;
    let sessions: Value = app
        .get_auth("/auth/sessions", &access_a)
        .await
        .json()
        .await
        .unwrap();
    let list = sessions.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let other = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another user cannot see or end it.
    let theirs = app
        .http
        .delete(app.url(&format!("/auth/sessions/{other}")))
        .bearer_auth(&intruder)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    assert_eq!(app.get_auth("/me", &access_b).await.status(), 200);

    let mine = app
        .http
        .delete(app.url(&format!("/auth/sessions/{other}")))
        .bearer_auth(&access_a)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 204);
    assert_eq!(
        app.get_auth("/me", &access_b).await.status(),
        401,
        "its access token ends at once"
    );
    assert_eq!(refresh(&app, &refresh_b).await.status(), 401);
    let again = app
        .http
        .delete(app.url(&format!("/auth/sessions/{other}")))
        .bearer_auth(&access_a)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_cookies() {
    let app = TestApp::spawn().await;
    let (access, refresh_token) = app.account("ana@bloom.example").await;
    let out = app
        .post_json("/auth/logout", &json!({"refresh_token": refresh_token}))
        .await;
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| c.to_str().unwrap().contains("Max-Age=0"))
    );
    assert_eq!(app.get_auth("/me", &access).await.status(), 401);
    assert_eq!(refresh(&app, &refresh_token).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn jwks_publishes_the_verifying_key() {
    let app = TestApp::spawn().await;
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(key.get("d").is_none(), "no private part");
    app.stop().await;
}
