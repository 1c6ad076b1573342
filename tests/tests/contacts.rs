//! Contacts: optimistic concurrency, audit in the same transaction, team-member visibility.

use async_trait::async_trait;
use atelier_core::app::auth::Client;
use atelier_core::app::records::kinds::CONTACT;
use atelier_core::app::records::{cascade, write};
use atelier_core::app::tenancy;
use atelier_core::domain::{Role, UserId};
use atelier_core::ports::{Condition, Item, Key, Page, Query, StoreError, Table, Update, Write};
use atelier_tests::app::TestApp;
use serde_json::{Value, json};
use std::sync::Arc;

async fn post(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/contacts"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn patch(
    app: &TestApp,
    token: &str,
    id: &str,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .http
        .patch(app.url(&format!("/contacts/{id}")))
        .bearer_auth(token)
        .json(&body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn p24_a_contact_is_created_read_changed_at_its_version_and_deleted() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let created = post(&app, &owner, json!({"name": "Mia Chen", "email": "Mia@Client.example", "phone": "+44 20 7946 0958", "tags": ["VIP", "vip", "wedding"]})).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let c: Value = created.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (c["email"].as_str(), c["phone"].as_str()),
        (Some("mia@client.example"), Some("+442079460958"))
    );
    assert_eq!(c["tags"], json!(["vip", "wedding"]));

    assert_eq!(
        patch(&app, &owner, &id, None, json!({"name": "Mia"}))
            .await
            .status(),
        428,
        "a change names its version"
    );
    let changed = patch(
        &app,
        &owner,
        &id,
        Some("\"1\""),
        json!({"name": "Mia Chen-Lee", "phone": null}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let c: Value = changed.json().await.unwrap();
    assert_eq!(
        (c["name"].as_str(), c["phone"].as_str()),
        (Some("Mia Chen-Lee"), None)
    );

    let stale = patch(
        &app,
        &owner,
        &id,
        Some("\"1\""),
        json!({"name": "Someone else"}),
    )
    .await;
    assert_eq!(stale.status(), 409);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(
        problem["current_version"], 2,
        "the conflict names the current version"
    );
    let bad = post(
        &app,
        &owner,
        json!({"name": "X", "email": "not an address"}),
    )
    .await;
    assert_eq!(bad.status(), 422);

    let url = app.url(&format!("/contacts/{id}"));
    assert_eq!(
        app.http
            .delete(&url)
            .bearer_auth(&owner)
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        app.http
            .delete(&url)
            .bearer_auth(&owner)
            .header("if-match", "\"2\"")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.get_auth(&format!("/contacts/{id}"), &owner)
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn two_concurrent_changes_of_one_contact_one_wins_one_gets_409_nothing_is_lost() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let c: Value = post(&app, &owner, json!({"name": "Mia"}))
        .await
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let (a, b) = tokio::join!(
        patch(
            &app,
            &owner,
            &id,
            Some("\"1\""),
            json!({"notes": "from tab A"})
        ),
        patch(
            &app,
            &owner,
            &id,
            Some("\"1\""),
            json!({"phone": "020 7946 0958"})
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let now: Value = app
        .get_auth(&format!("/contacts/{id}"), &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["version"], 2);
    assert!(
        now["notes"] == "from tab A" || now["phone"] == "02079460958",
        "the winner's change is kept"
    );
    app.stop().await;
}

#[tokio::test]
async fn team_members_see_and_change_only_contacts_assigned_to_them() {
    let app = TestApp::spawn().await;
    let (bloom, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (tm_id, tm) = app
        .member("tm@bloom.example", &bloom, Role::TeamMember)
        .await;

    let theirs: Value = post(
        &app,
        &owner,
        json!({"name": "Assigned", "owner_id": tm_id.to_string()}),
    )
    .await
    .json()
    .await
    .unwrap();
    let other: Value = post(&app, &owner, json!({"name": "Not theirs"}))
        .await
        .json()
        .await
        .unwrap();
    let list: Value = app.get_auth("/contacts", &tm).await.json().await.unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Assigned"]);
    assert_eq!(
        app.get_auth(&format!("/contacts/{}", other["id"].as_str().unwrap()), &tm)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_auth(
            &format!("/contacts/{}", theirs["id"].as_str().unwrap()),
            &tm
        )
        .await
        .status(),
        200
    );
    let mine: Value = post(&app, &tm, json!({"name": "Walk-in"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["owner_id"],
        tm_id.to_string(),
        "a team member's new contact is theirs"
    );
    let owner_id: Value = app.get_auth("/me", &owner).await.json().await.unwrap();
    let handoff = post(&app, &tm, json!({"name": "X", "owner_id": owner_id["id"]})).await;
    assert_eq!(handoff.status(), 422);
    let all: Value = app
        .get_auth("/contacts", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        3,
        "the owner sees every contact"
    );
    app.stop().await;
}

#[tokio::test]
async fn contacts_are_searched_by_name_email_and_phone_and_paged() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    post(
        &app,
        &owner,
        json!({"name": "Mia Chen", "email": "mia@client.example"}),
    )
    .await;
    post(
        &app,
        &owner,
        json!({"name": "Leo Park", "phone": "+44 20 7946 0958"}),
    )
    .await;
    post(
        &app,
        &owner,
        json!({"name": "Ivy Rose", "email": "ivy@rosewood.example"}),
    )
    .await;
    let search = |q: &'static str| {
        let (app, owner) = (&app, owner.clone());
        async move { app.get_auth(&format!("/contacts?q={q}"), &owner).await }
    };
    let names = |v: Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(search("chen").await.json().await.unwrap()),
        vec!["Mia Chen"]
    );
    assert_eq!(
        names(search("rosewood").await.json().await.unwrap()),
        vec!["Ivy Rose"]
    );
    assert_eq!(
        names(search("7946").await.json().await.unwrap()),
        vec!["Leo Park"]
    );
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/contacts?limit=2&cursor={c}"),
            None => "/contacts?limit=2".to_owned(),
        };
        let page: Value = app.get_auth(&url, &owner).await.json().await.unwrap();
        seen.extend(names(page.clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(
        app.get_auth("/contacts?limit=0", &owner).await.status(),
        400
    );
    assert_eq!(
        app.get_auth("/contacts?cursor=forged", &owner)
            .await
            .status(),
        400
    );
    app.stop().await;
}

/// A table that makes every audit write in a transaction fail its condition.
struct SabotagedAudit(Arc<dyn Table>);

#[async_trait]
impl Table for SabotagedAudit {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.get(key).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.0.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        self.0.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.0.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.0.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let writes = writes
            .into_iter()
            .map(|w| match w {
                Write::Put { item, .. } if item.key.pk().contains("#AUDIT#") => Write::Put {
                    item,
                    condition: Condition::Present,
                },
                other => other,
            })
            .collect();
        self.0.transact(writes).await
    }
}

#[tokio::test]
async fn p22_a_change_whose_audit_record_cannot_be_stored_leaves_neither_behind() {
    let app = TestApp::spawn().await;
    let (bloom, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let c: Value = post(&app, &owner, json!({"name": "Mia"}))
        .await
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let me: Value = app.get_auth("/me", &owner).await.json().await.unwrap();
    let user = UserId::parse(me["id"].as_str().unwrap()).unwrap();

    let mut ctx = app.running.ctx.clone();
    let sabotaged: Arc<dyn Table> = Arc::new(SabotagedAudit(ctx.table.clone()));
    ctx.table = sabotaged.clone();
    // Brand rows are written through brand handles, over the same (sabotaged) table.
    ctx.brand_stores = Arc::new(atelier_core::adapters::fence::FencedStores::new(
        sabotaged,
        ctx.blobs.clone(),
        ctx.cipher.clone(),
    ));
    let scope = tenancy::scope(&ctx, &user, Some(&bloom)).await.unwrap();
    let fields = |v: Value| v.as_object().unwrap().clone();
    assert!(
        write::create(
            &ctx,
            &scope,
            &CONTACT,
            fields(json!({"name": "Ghost"})),
            &Client::default()
        )
        .await
        .is_err()
    );
    assert!(
        write::update(
            &ctx,
            &scope,
            &CONTACT,
            &id,
            1,
            fields(json!({"name": "Changed"})),
            &Client::default()
        )
        .await
        .is_err()
    );
    assert!(
        cascade::delete(&ctx, &scope, &CONTACT, &id, None, &Client::default())
            .await
            .is_err()
    );

    let list: Value = app
        .get_auth("/contacts", &owner)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Mia"],
        "no ghost, no unaudited change, no unaudited delete"
    );
    app.stop().await;
}
