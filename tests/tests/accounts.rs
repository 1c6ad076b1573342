//! Account lifecycle over HTTP, with mail read from the local outbox (`/dev/outbox`).

use atelier_core::domain::Role;
use atelier_tests::app::{PASSWORD, TestApp};
use serde_json::{Value, json};

async fn outbox(app: &TestApp) -> Vec<Value> {
    let resp = app.get("/dev/outbox").await;
    assert_eq!(resp.status(), 200);
    resp.json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

async fn status_of(resp: reqwest::Response) -> u16 {
    resp.status().as_u16()
}

#[tokio::test]
async fn signup_mails_a_single_use_verification_link() {
    let app = TestApp::spawn().await;
    let (access, _) = app.account("ana@bloom.example").await;
    let token = app.mailed_token("ana@bloom.example", "token=").await;
    assert_eq!(
        status_of(
            app.post_json("/auth/verify-email", &json!({"token": token}))
                .await
        )
        .await,
        204
    );
    let me: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    assert_eq!(me["email_verified"], true);
    assert_eq!(
        status_of(
            app.post_json("/auth/verify-email", &json!({"token": token}))
                .await
        )
        .await,
        401,
        "single use"
    );
    assert_eq!(
        status_of(
            app.post_json("/auth/verify-email", &json!({"token": "forged"}))
                .await
        )
        .await,
        401
    );

    // Signing up again with the address tells its owner, and creates nothing.
    let again =
        json!({"email": "ana@bloom.example", "password": "another good phrase", "name": "X"});
    assert_eq!(
        status_of(app.post_json("/auth/signup", &again).await).await,
        201
    );
    let last = outbox(&app).await.pop().unwrap();
    assert_eq!(last["subject"], "Someone tried to sign up with your email");
    app.stop().await;
}

#[tokio::test]
async fn p18_a_password_reset_works_for_a_locked_account_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let (_, old_refresh) = app.account("ana@bloom.example").await;
    for _ in 0..10 {
        app.post_json(
            "/auth/login",
            &json!({"email": "ana@bloom.example", "password": "wrong guess"}),
        )
        .await;
    }
    let locked = app
        .post_json(
            "/auth/login",
            &json!({"email": "ana@bloom.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(locked.status(), 401);

    let before = outbox(&app).await.len();
    assert_eq!(
        status_of(
            app.post_json(
                "/auth/password/reset-request",
                &json!({"email": "nobody@bloom.example"})
            )
            .await
        )
        .await,
        202
    );
    assert_eq!(
        outbox(&app).await.len(),
        before,
        "no mail for an unknown address"
    );
    assert_eq!(
        status_of(
            app.post_json(
                "/auth/password/reset-request",
                &json!({"email": "ana@bloom.example"})
            )
            .await
        )
        .await,
        202
    );
    let token = app
        .mailed_token("ana@bloom.example", "/reset-password?token=")
        .await;
    let weak = json!({"token": token, "new_password": "password1"});
    assert_eq!(
        status_of(app.post_json("/auth/password/reset", &weak).await).await,
        422
    );
    let good = json!({"token": token, "new_password": "a brand new phrase"});
    assert_eq!(
        status_of(app.post_json("/auth/password/reset", &good).await).await,
        204
    );
    assert_eq!(
        status_of(app.post_json("/auth/password/reset", &good).await).await,
        401,
        "single use"
    );

    let refresh = app
        .post_json("/auth/refresh", &json!({"refresh_token": old_refresh}))
        .await;
    assert_eq!(
        refresh.status(),
        401,
        "sessions from before the reset ended"
    );
    let login = app
        .post_json(
            "/auth/login",
            &json!({"email": "ana@bloom.example", "password": "a brand new phrase"}),
        )
        .await;
    assert_eq!(login.status(), 200, "the reset lifted the lock");
    app.stop().await;
}

#[tokio::test]
async fn p21_changing_the_password_ends_other_sessions_by_default() {
    let app = TestApp::spawn().await;
    let (here, _) = app.account("ana@bloom.example").await;
    let (_, other_refresh) = app.login("ana@bloom.example").await;
    let change = |current: &str, keep: bool| json!({"current_password": current, "new_password": "a brand new phrase", "keep_other_sessions": keep});
    let wrong = app
        .http
        .post(app.url("/auth/password/change"))
        .bearer_auth(&here)
        .json(&change("nope nope nope", false))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = app
        .http
        .post(app.url("/auth/password/change"))
        .bearer_auth(&here)
        .json(&change(PASSWORD, false))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(
        app.get_auth("/me", &here).await.status(),
        200,
        "this session goes on"
    );
    let other = app
        .post_json("/auth/refresh", &json!({"refresh_token": other_refresh}))
        .await;
    assert_eq!(other.status(), 401, "the other session ended");
    app.stop().await;
}

#[tokio::test]
async fn p21_p30_deleting_the_account_deactivates_it_at_once() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.account("ana@bloom.example").await;
    let renamed = app
        .http
        .patch(app.url("/me"))
        .bearer_auth(&access)
        .json(&json!({"name": "Ana L."}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Ana L.");
    let bad = app
        .http
        .patch(app.url("/me"))
        .bearer_auth(&access)
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let deleted = app
        .http
        .delete(app.url("/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_auth("/me", &access).await.status(), 401);
    assert_eq!(
        app.post_json("/auth/refresh", &json!({"refresh_token": refresh}))
            .await
            .status(),
        401
    );
    let login = app
        .post_json(
            "/auth/login",
            &json!({"email": "ana@bloom.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn an_invitation_works_once_for_the_invited_address_and_needs_a_verified_inviter() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let invite = |email: &str, role: &str| json!({"email": email, "role": role});
    let url = app.url(&format!("/brands/{brand}/invitations"));
    // An admin whose own address is unverified may not invite.
    let (_, admin) = app.member("al@bloom.example", &brand, Role::Admin).await;
    let unverified = app
        .http
        .post(&url)
        .bearer_auth(&admin)
        .json(&invite("sam@bloom.example", "team_member"))
        .send()
        .await
        .unwrap();
    assert_eq!(unverified.status(), 422, "verify your own email first");
    app.verify_email(&admin).await;
    let verified = app
        .http
        .post(&url)
        .bearer_auth(&admin)
        .json(&invite("kim@bloom.example", "team_member"))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 201);
    let over = app
        .http
        .post(&url)
        .bearer_auth(&owner)
        .json(&invite("sam@bloom.example", "super_admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 403);
    let sent = app
        .http
        .post(&url)
        .bearer_auth(&owner)
        .json(&invite("Sam@Bloom.example", "full_access"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let mail = outbox(&app).await.pop().unwrap();
    assert_eq!(mail["to"], "sam@bloom.example");
    let text = mail["text"].as_str().unwrap();
    let invitation = text
        .split("/invitations/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let (eve, _) = app.account("eve@elsewhere.example").await;
    let accept = |token: &str| {
        app.http
            .post(app.url(&format!("/invitations/{invitation}/accept")))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(
        accept(&eve).await.unwrap().status(),
        401,
        "someone else's invitation opens nothing"
    );
    let (sam, _) = app.account("sam@bloom.example").await;
    let joined = accept(&sam).await.unwrap();
    assert_eq!(joined.status(), 200);
    let joined: Value = joined.json().await.unwrap();
    assert_eq!(
        (joined["slug"].as_str(), joined["role"].as_str()),
        (Some("bloom"), Some("full_access"))
    );
    assert_eq!(accept(&sam).await.unwrap().status(), 401, "single use");
    app.stop().await;
}

#[tokio::test]
async fn p30_a_deleted_account_is_anonymised_after_the_audit_window_and_its_address_freed() {
    use atelier_core::ports::ManualClock;
    use atelier_core::workers::jobs::run_retention;
    use std::sync::Arc;
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let (access, _) = app.account("ana@bloom.example").await;
    let me: Value = app.get_auth("/me", &access).await.json().await.unwrap();
    let user = me["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.http
            .delete(app.url("/me"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let ctx = &app.running.ctx;
    let profile_key = atelier_core::ports::Key::new(format!("U#{user}"), "PROFILE");

    // Within the window the profile stays for the audit trail.
    clock.advance(chrono::Duration::days(29));
    run_retention(ctx).await.unwrap();
    assert_eq!(
        ctx.table
            .get(&profile_key)
            .await
            .unwrap()
            .unwrap()
            .get("email")
            .and_then(Value::as_str),
        Some("ana@bloom.example")
    );

    clock.advance(chrono::Duration::days(2));
    let done = run_retention(ctx).await.unwrap();
    assert_eq!(
        done,
        vec!["account-anonymisation: anonymised 1 deleted accounts"]
    );
    let profile = ctx.table.get(&profile_key).await.unwrap().unwrap();
    assert_eq!(profile.get("email"), None);
    assert_eq!(profile.get("password_hash"), None);
    assert_eq!(
        profile.get("name").and_then(Value::as_str),
        Some("Deleted user")
    );
    assert_eq!(
        run_retention(ctx).await.unwrap(),
        vec!["account-anonymisation: anonymised 0 deleted accounts"],
        "idempotent"
    );

    // The address is free: a new account can use it, and logs in.
    let (fresh, _) = app.account("ana@bloom.example").await;
    let me_again: Value = app.get_auth("/me", &fresh).await.json().await.unwrap();
    assert_ne!(me_again["id"].as_str().unwrap(), user);
    app.stop().await;
}
