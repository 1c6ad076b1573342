//! Brands, memberships and roles over HTTP, and the wall between brands.

use atelier_core::app::auth::Client;
use atelier_core::app::brands;
use atelier_core::domain::{BrandId, Role, UserId};
use atelier_tests::app::TestApp;
use serde_json::{Value, json};

struct Member {
    id: UserId,
    token: String,
}

/// A new account seated in `brand` with `role`, holding a token for that brand.
async fn member(app: &TestApp, email: &str, brand: &BrandId, role: Role) -> Member {
    let (id, token) = app.member(email, brand, role).await;
    Member { id, token }
}

async fn patch_role(app: &TestApp, token: &str, brand: &BrandId, user: &UserId, role: &str) -> u16 {
    let url = app.url(&format!("/brands/{brand}/members/{user}"));
    app.http
        .patch(url)
        .bearer_auth(token)
        .json(&json!({"role": role}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn delete_member(app: &TestApp, token: &str, brand: &BrandId, user: &UserId) -> u16 {
    let url = app.url(&format!("/brands/{brand}/members/{user}"));
    app.http
        .delete(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn roles(app: &TestApp, token: &str, brand: &BrandId) -> Vec<(String, String)> {
    let list: Value = app
        .get_auth(&format!("/brands/{brand}/members"), token)
        .await
        .json()
        .await
        .unwrap();
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn p02_a_user_in_two_brands_switches_explicitly_and_sees_only_the_active_one() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.account("ana@bloom.example").await;
    let bloom = app.create_brand(&ana, "bloom").await;
    let (bea, _) = app.account("bea@party.example").await;
    let party = app.create_brand(&bea, "party").await;
    let ana_id = app.user_id(&ana).await;
    brands::join(
        &app.running.ctx,
        &party,
        &ana_id,
        Role::TeamMember,
        &Client::default(),
    )
    .await
    .unwrap();

    let mine: Value = app.get_auth("/brands", &ana).await.json().await.unwrap();
    let mut slugs: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap())
        .collect();
    slugs.sort();
    assert_eq!(slugs, vec!["bloom", "party"]);

    // A token without an active brand opens no brand.
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &ana)
            .await
            .status(),
        401
    );
    let in_bloom = app.switched(&ana, &bloom).await;
    assert_eq!(
        roles(&app, &in_bloom, &bloom).await,
        vec![("ana@bloom.example".into(), "owner".into())]
    );
    assert_eq!(
        app.get_auth(&format!("/brands/{party}/members"), &in_bloom)
            .await
            .status(),
        404,
        "not the active brand"
    );
    let in_party = app.switched(&ana, &party).await;
    assert_eq!(roles(&app, &in_party, &party).await.len(), 2);
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &in_party)
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn p01_members_of_one_brand_reach_nothing_of_another() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.account("ana@bloom.example").await;
    let bloom = app.create_brand(&ana, "bloom").await;
    let ana_in_bloom = app.switched(&ana, &bloom).await;
    let ana_id = app.user_id(&ana).await;
    let (bea, _) = app.account("bea@party.example").await;
    let party = app.create_brand(&bea, "party").await;
    let mut outsiders = vec![("owner", app.switched(&bea, &party).await)];
    for (email, role) in [
        ("al@party.example", Role::Admin),
        ("fu@party.example", Role::FullAccess),
        ("tm@party.example", Role::TeamMember),
    ] {
        outsiders.push((role.as_str(), member(&app, email, &party, role).await.token));
    }
    let before = roles(&app, &ana_in_bloom, &bloom).await;
    for (role, token) in &outsiders {
        assert_eq!(
            app.get_auth(&format!("/brands/{bloom}/members"), token)
                .await
                .status(),
            404,
            "{role} lists"
        );
        assert_eq!(
            patch_role(&app, token, &bloom, &ana_id, "team_member").await,
            404,
            "{role} changes a role"
        );
        assert_eq!(
            delete_member(&app, token, &bloom, &ana_id).await,
            404,
            "{role} removes"
        );
        assert_eq!(
            app.switch(token, &bloom).await.status(),
            403,
            "{role} switches in"
        );
    }
    assert_eq!(
        roles(&app, &ana_in_bloom, &bloom).await,
        before,
        "nothing changed"
    );
    app.stop().await;
}

#[tokio::test]
async fn p03_role_changes_follow_the_permission_table() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.account("ana@bloom.example").await;
    let bloom = app.create_brand(&ana, "bloom").await;
    let owner = app.switched(&ana, &bloom).await;
    let admin = member(&app, "al@bloom.example", &bloom, Role::Admin).await;
    let full = member(&app, "fu@bloom.example", &bloom, Role::FullAccess).await;
    let team = member(&app, "tm@bloom.example", &bloom, Role::TeamMember).await;
    let ana_id = app.user_id(&ana).await;

    assert_eq!(
        patch_role(&app, &team.token, &bloom, &full.id, "team_member").await,
        403,
        "team members manage no one"
    );
    assert_eq!(
        patch_role(&app, &full.token, &bloom, &team.id, "full_access").await,
        403,
        "nor does full access"
    );
    assert_eq!(
        patch_role(&app, &admin.token, &bloom, &team.id, "full_access").await,
        204
    );
    assert_eq!(
        patch_role(&app, &admin.token, &bloom, &team.id, "owner").await,
        403,
        "admins make no owners"
    );
    assert_eq!(
        patch_role(&app, &admin.token, &bloom, &ana_id, "team_member").await,
        403,
        "nor demote one"
    );
    assert_eq!(
        delete_member(&app, &admin.token, &bloom, &ana_id).await,
        403
    );
    assert_eq!(
        patch_role(&app, &owner, &bloom, &admin.id, "team_member").await,
        204
    );
    let bad = app
        .http
        .patch(app.url(&format!("/brands/{bloom}/members/{}", full.id)))
        .bearer_auth(&owner)
        .json(&json!({"role": "root"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(
        patch_role(
            &app,
            &owner,
            &bloom,
            &UserId::new(app.running.ctx.clock.as_ref()),
            "admin"
        )
        .await,
        404
    );
    let now = roles(&app, &owner, &bloom).await;
    assert_eq!(
        now,
        vec![
            ("al@bloom.example".into(), "team_member".into()),
            ("ana@bloom.example".into(), "owner".into()),
            ("fu@bloom.example".into(), "full_access".into()),
            ("tm@bloom.example".into(), "full_access".into()),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_last_owner_stays_and_a_member_who_left_is_shut_out() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.account("ana@bloom.example").await;
    let bloom = app.create_brand(&ana, "bloom").await;
    let owner = app.switched(&ana, &bloom).await;
    let ana_id = app.user_id(&ana).await;
    assert_eq!(
        patch_role(&app, &owner, &bloom, &ana_id, "admin").await,
        409,
        "the last owner cannot step down"
    );
    assert_eq!(
        delete_member(&app, &owner, &bloom, &ana_id).await,
        409,
        "nor leave"
    );

    let bea = member(&app, "bea@bloom.example", &bloom, Role::Admin).await;
    assert_eq!(
        patch_role(&app, &owner, &bloom, &bea.id, "owner").await,
        204
    );
    assert_eq!(
        delete_member(&app, &owner, &bloom, &ana_id).await,
        204,
        "with another owner, she may leave"
    );
    // Her token still names the brand, but it opens nothing there any more.
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &owner)
            .await
            .status(),
        401
    );
    assert_eq!(
        roles(&app, &bea.token, &bloom).await,
        vec![("bea@bloom.example".into(), "owner".into())]
    );
    app.stop().await;
}

#[tokio::test]
async fn slugs_are_unique_and_validated() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.account("ana@bloom.example").await;
    app.create_brand(&ana, "bloom").await;
    let taken = app
        .http
        .post(app.url("/brands"))
        .bearer_auth(&ana)
        .json(&json!({"name": "Other", "slug": "Bloom"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 422);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "slug");
    let bad = app
        .http
        .post(app.url("/brands"))
        .bearer_auth(&ana)
        .json(&json!({"name": "X", "slug": "-x-"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let anonymous = app
        .post_json("/brands", &json!({"name": "X", "slug": "xyz"}))
        .await;
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}
