//! API keys over HTTP: shown once, stored hashed, one brand and role each (P04, P17).

use atelier_core::domain::Role;
use atelier_core::ports::{ManualClock, Query};
use atelier_tests::app::TestApp;
use chrono::Duration;
use serde_json::{Value, json};
use std::sync::Arc;

async fn create_key(
    app: &TestApp,
    token: &str,
    role: &str,
    expires: Option<u32>,
) -> reqwest::Response {
    let body = json!({"name": "website form", "role": role, "expires_in_days": expires});
    app.http
        .post(app.url("/api-keys"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn p17_a_key_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (id, plain) = app.api_key(&owner, "admin").await;
    assert!(plain.starts_with("atk_") && plain.len() > 40);
    let listed: Value = app
        .get_auth("/api-keys", &owner)
        .await
        .json()
        .await
        .unwrap();
    let entry = &listed.as_array().unwrap()[0];
    assert_eq!(entry["id"], id.as_str());
    assert!(plain.starts_with(entry["prefix"].as_str().unwrap()));
    assert!(
        !listed.to_string().contains(&plain),
        "the list never shows a key"
    );
    let rows = app
        .running
        .ctx
        .table
        .query(Query::partition(format!("B#{brand}")))
        .await
        .unwrap();
    for row in rows.items {
        assert!(
            !serde_json::to_string(&row.attrs).unwrap().contains(&plain),
            "no plain key at rest"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn p04_a_key_reaches_only_its_own_brand_with_its_own_role() {
    let app = TestApp::spawn().await;
    let (bloom, ana) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (party, _) = app.brand_owner("bea@party.example", "party").await;
    let (_, admin_key) = app.api_key(&ana, "admin").await;
    let (_, team_key) = app.api_key(&ana, "team_member").await;

    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &admin_key)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_auth(&format!("/brands/{party}/members"), &admin_key)
            .await
            .status(),
        404,
        "other brands stay shut"
    );
    assert_eq!(
        app.get_auth("/api-keys", &team_key).await.status(),
        403,
        "team members do not manage keys"
    );
    assert_eq!(
        create_key(&app, &admin_key, "team_member", None)
            .await
            .status(),
        403,
        "keys do not make keys"
    );
    let ana_id: Value = app.get_auth("/me", &ana).await.json().await.unwrap();
    let url = app.url(&format!(
        "/brands/{bloom}/members/{}",
        ana_id["id"].as_str().unwrap()
    ));
    let demote = app
        .http
        .patch(url)
        .bearer_auth(&admin_key)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(demote.status(), 403, "an admin key cannot touch an owner");
    assert_eq!(
        app.get_auth("/me", &admin_key).await.status(),
        401,
        "a key is no user"
    );
    assert_eq!(app.get_auth("/api-keys", "atk_forged").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn p03_nobody_makes_a_key_above_their_own_role() {
    let app = TestApp::spawn().await;
    let (bloom, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (_, admin) = app.member("al@bloom.example", &bloom, Role::Admin).await;
    app.verify_email(&admin).await;
    assert_eq!(create_key(&app, &admin, "owner", None).await.status(), 403);
    assert_eq!(create_key(&app, &admin, "admin", None).await.status(), 201);
    assert_eq!(
        create_key(&app, &owner, "super_admin", None).await.status(),
        403
    );
    assert_eq!(
        create_key(&app, &owner, "admin", Some(0)).await.status(),
        422
    );
    let unknown = app
        .http
        .post(app.url("/api-keys"))
        .bearer_auth(&owner)
        .json(&json!({"name": "x", "role": "admin", "scope": "*"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn revoked_and_expired_keys_stop_at_once() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let (bloom, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (id, plain) = app.api_key(&owner, "admin").await;
    let members = format!("/brands/{bloom}/members");
    assert_eq!(app.get_auth(&members, &plain).await.status(), 200);
    let revoke = app
        .http
        .delete(app.url(&format!("/api-keys/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(app.get_auth(&members, &plain).await.status(), 401);
    let again = app
        .http
        .delete(app.url(&format!("/api-keys/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    let resp = create_key(&app, &owner, "admin", Some(1)).await;
    let short: Value = resp.json().await.unwrap();
    let short = short["key"].as_str().unwrap().to_owned();
    assert_eq!(app.get_auth(&members, &short).await.status(), 200);
    clock.advance(Duration::days(2));
    assert_eq!(
        app.get_auth(&members, &short).await.status(),
        401,
        "expired"
    );
    app.stop().await;
}

/// The route's guard holds the permission, so it refuses before anything of the request is
/// read: a team member's malformed key request is a 403, where an owner's is a 400; the same
/// for the audit trail's query. A key never manages keys, however well formed its request.
#[tokio::test]
async fn p03_p04_the_guard_refuses_before_the_request_is_read() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (_, member) = app
        .member("tom@bloom.example", &brand, Role::TeamMember)
        .await;
    let malformed = |token: &str| {
        app.http
            .post(app.url("/api-keys"))
            .bearer_auth(token.to_owned())
            .header("content-type", "application/json")
            .body("{not json")
            .send()
    };
    assert_eq!(malformed(&member).await.unwrap().status(), 403);
    assert_eq!(malformed(&owner).await.unwrap().status(), 400);
    assert_eq!(
        app.get_auth("/audit?limit=zero", &member).await.status(),
        403
    );
    assert_eq!(
        app.get_auth("/audit?limit=zero", &owner).await.status(),
        400
    );
    let (_, key) = app.api_key(&owner, "admin").await;
    assert_eq!(
        create_key(&app, &key, "team_member", None).await.status(),
        403
    );
    assert_eq!(app.get_auth("/api-keys", &key).await.status(), 403);
    app.stop().await;
}
