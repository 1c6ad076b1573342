//! What an independent attack on the local stack found (issue 8), each kept from coming back:
//! bounded work per request, API keys and invitations held to their maker's current
//! authority, nothing hidden revealed by duplicate reports, verified addresses before mail
//! reaches third parties, the public form's quotas, reset links and the work a reset request does, lost races,
//! file types, the data directory's permissions and strict input.

use async_trait::async_trait;
use atelier_core::app::auth::{Client, accounts};
use atelier_core::app::records::kinds;
use atelier_core::app::records::spec::{Ty, Writable};
use atelier_core::domain::{BrandId, Role, UserId};
use atelier_core::ports::{
    Condition, Item, Key, OutMessage, Page, Query, Queue, QueueError, ReceivedMessage, StoreError,
    Table, Update, Write,
};
use atelier_core::workers::mail::MailWorker;
use atelier_core::workers::{Record, run_batch};
use atelier_tests::app::{PASSWORD, TestApp, token_in_outbox};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn status(resp: reqwest::Response) -> u16 {
    resp.status().as_u16()
}

/// The longest list of distinct entries of `ty` that still fits the 1 MiB JSON body limit.
fn hostile_list(ty: Ty) -> Vec<Value> {
    match ty {
        Ty::Members | Ty::Refs(_) => (0..30_000u128)
            .map(|i| Value::from(ulid::Ulid::from(i).to_string()))
            .collect(),
        _ => (0..100_000).map(|i| Value::from(format!("t{i}"))).collect(),
    }
}

#[tokio::test]
async fn a_maximal_hostile_list_in_any_list_valued_field_is_refused() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (_, member) = app
        .member("tom@bloom.example", &brand, Role::TeamMember)
        .await;
    let mut tried = 0;
    for kind in kinds::ALL
        .iter()
        .filter(|k| k.entity != atelier_core::app::records::Entity::File)
    {
        for field in kind.fields.iter().filter(|f| {
            f.writable != Writable::Never
                && matches!(f.ty, Ty::Tags | Ty::Strings | Ty::Members | Ty::Refs(_))
        }) {
            let body = json!({ field.name: hostile_list(field.ty) });
            let caller = if kind.write == atelier_core::domain::Permission::ConfigureRecords {
                &owner
            } else {
                &member
            };
            let resp = app
                .send_as(
                    reqwest::Method::POST,
                    &format!("/{}", kind.plural),
                    caller,
                    &body,
                )
                .await;
            assert_eq!(resp.status(), 422, "{}.{}", kind.entity, field.name);
            let problem: Value = resp.json().await.unwrap();
            assert!(
                problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field.name
                        && e["message"].as_str().unwrap().starts_with("at most")),
                "{}.{}: {problem}",
                kind.entity,
                field.name
            );
            tried += 1;
        }
    }
    assert!(tried >= 5, "every list-valued field was tried ({tried})");

    // A custom multi-select with more choices than options, and a write of many custom values.
    let field: Value = app
        .post_as(
            "/custom-fields",
            &owner,
            &json!({"entity": "contact", "label": "Colours", "field_type": "multi_select",
                    "options": ["red", "gold"]}),
        )
        .await;
    let id = field["id"].as_str().unwrap();
    let many = vec![Value::from("red"); 100_000];
    let resp = app
        .send_as(
            reqwest::Method::POST,
            "/contacts",
            &member,
            &json!({"name": "Mia", "custom": { id: many }}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let custom: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("k{i}"), Value::from(1)))
        .collect();
    let resp = app
        .send_as(
            reqwest::Method::POST,
            "/contacts",
            &member,
            &json!({"name": "Mia", "custom": custom}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    assert!(problem["errors"].as_array().unwrap().len() <= 50);

    // The CSV import: one row whose tags cell holds 120,000 distinct tags.
    let tags: Vec<String> = (0..120_000).map(|i| format!("t{i}")).collect();
    let csv = format!("name,tags\nMia,{}\n", tags.join(";"));
    let dry = app
        .post_bytes(
            "/imports/contacts?dry_run=true",
            &member,
            "text/csv",
            csv.clone(),
        )
        .await;
    assert_eq!(dry.status(), 200);
    let report: Value = dry.json().await.unwrap();
    assert_eq!(report["valid"], 0);
    assert_eq!(report["errors"][0]["field"], "tags");
    let real = app
        .post_bytes("/imports/contacts", &member, "text/csv", csv)
        .await;
    assert_eq!(real.status(), 422);
    // The stack still answers at once.
    assert_eq!(status(app.get("/health").await).await, 200);
    app.stop().await;
}

/// Sets `user`'s role in `brand` as the holder of `token` (a person or a key); the status.
async fn set_role(app: &TestApp, token: &str, brand: &BrandId, user: &UserId, role: &str) -> u16 {
    app.send_as(
        reqwest::Method::PATCH,
        &format!("/brands/{brand}/members/{user}"),
        token,
        &json!({ "role": role }),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn p04_api_keys_act_with_at_most_their_creators_current_role_and_never_manage_people() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (admin_id, admin) = app.member("al@bloom.example", &brand, Role::Admin).await;
    app.verify_email(&admin).await;
    let (tom_id, _) = app
        .member("tom@bloom.example", &brand, Role::TeamMember)
        .await;
    let admin_key = app.api_key(&admin, "admin").await.1;
    let owner_key = app.api_key(&owner, "owner").await.1;
    let members = |id: &UserId| format!("/brands/{brand}/members/{id}");

    // A key never changes memberships or roles, whatever its role.
    for (target, role) in [(&tom_id, "owner"), (&tom_id, "admin")] {
        assert_eq!(
            set_role(&app, &owner_key, &brand, target, role).await,
            403,
            "an owner key promotes nobody"
        );
    }
    let owner_id = app.user_id(&owner).await;
    assert_eq!(
        set_role(&app, &owner_key, &brand, &owner_id, "team_member").await,
        403,
        "an owner key demotes no owner"
    );
    for (path, body) in [
        (
            "/api-keys".to_owned(),
            json!({"name": "k", "role": "team_member"}),
        ),
        (
            format!("/brands/{brand}/invitations"),
            json!({"email": "x@y.example", "role": "team_member"}),
        ),
    ] {
        let resp = app
            .send_as(reqwest::Method::POST, &path, &owner_key, &body)
            .await;
        assert_eq!(
            resp.status(),
            403,
            "{path}: keys make no keys or invitations"
        );
    }
    assert_eq!(status(app.get_auth("/audit", &admin_key).await).await, 200);

    // The admin is demoted: their key falls to a team member's reach at once.
    assert_eq!(
        set_role(&app, &owner, &brand, &admin_id, "team_member").await,
        204
    );
    assert_eq!(
        set_role(&app, &admin_key, &brand, &admin_id, "admin").await,
        403,
        "the key cannot restore its maker"
    );
    assert_eq!(status(app.get_auth("/audit", &admin_key).await).await, 403);

    // Removed from the brand: the key opens nothing and is listed as gone.
    let remove = app
        .http
        .delete(app.url(&members(&admin_id)))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(remove.status(), 204);
    assert_eq!(
        status(app.get_auth("/contacts", &admin_key).await).await,
        401
    );
    let created = app
        .send_as(
            reqwest::Method::POST,
            "/contacts",
            &admin_key,
            &json!({"name": "Mia"}),
        )
        .await;
    assert_eq!(created.status(), 401);
    let listed: Value = app
        .get_auth("/api-keys", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "only the owner's key");

    // The owner deletes their account (a second owner keeps the brand): the key stops.
    let (_, second) = app.member("bo@bloom.example", &brand, Role::Owner).await;
    assert_eq!(
        status(app.get_auth("/contacts", &owner_key).await).await,
        200
    );
    let deleted = app
        .http
        .delete(app.url("/me"))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        status(app.get_auth("/contacts", &owner_key).await).await,
        401
    );
    let listed: Value = app
        .get_auth("/api-keys", &second)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    app.stop().await;
}

async fn invite(app: &TestApp, token: &str, brand: &str, email: &str, role: &str) -> String {
    let resp = app
        .send_as(
            reqwest::Method::POST,
            &format!("/brands/{brand}/invitations"),
            token,
            &json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    app.mailed_token(email, "/invitations/").await
}

async fn accept(app: &TestApp, token: &str, invitation: &str) -> reqwest::Response {
    app.send_as(
        reqwest::Method::POST,
        &format!("/invitations/{invitation}/accept"),
        token,
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn p03_invitations_are_rechecked_against_the_inviter_and_replaced_by_newer_ones() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let b = brand.to_string();
    let (admin_id, admin) = app.member("al@bloom.example", &brand, Role::Admin).await;
    app.verify_email(&admin).await;
    let link = invite(&app, &admin, &b, "x@bloom.example", "admin").await;
    let member = format!("/brands/{brand}/members/{admin_id}");
    assert_eq!(
        set_role(&app, &owner, &brand, &admin_id, "team_member").await,
        204
    );
    let (x, _) = app.account("x@bloom.example").await;
    assert_eq!(
        accept(&app, &x, &link).await.status(),
        401,
        "a demoted inviter grants nothing they could not grant now"
    );
    let removed = app
        .http
        .delete(app.url(&member))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(accept(&app, &x, &link).await.status(), 401);

    let first = invite(&app, &owner, &b, "y@bloom.example", "owner").await;
    let second = invite(&app, &owner, &b, "y@bloom.example", "team_member").await;
    let (y, _) = app.account("y@bloom.example").await;
    assert_eq!(
        accept(&app, &y, &first).await.status(),
        401,
        "the newer invitation replaced the older"
    );
    let joined = accept(&app, &y, &second).await;
    assert_eq!(joined.status(), 200);
    assert_eq!(joined.json::<Value>().await.unwrap()["role"], "team_member");
    app.stop().await;
}

#[tokio::test]
async fn import_duplicate_reports_name_only_contacts_the_caller_may_see() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (_, member) = app
        .member("tom@bloom.example", &brand, Role::TeamMember)
        .await;
    let hidden = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Hidden", "email": "vip@client.example", "phone": "+447700900123"}),
        )
        .await;
    let hidden_id = hidden["id"].as_str().unwrap().to_owned();
    let mine = app
        .post_as(
            "/contacts",
            &member,
            &json!({"name": "Mine", "email": "mine@client.example"}),
        )
        .await;
    for csv in [
        "name,email\nX,vip@client.example\n",
        "name,phone\nX,+447700900123\n",
    ] {
        let report: Value = app
            .post_as(
                "/imports/contacts",
                &member,
                &json!({"csv": csv, "dry_run": true}),
            )
            .await;
        assert!(!report.to_string().contains(&hidden_id), "{report}");
        assert_eq!(report["duplicates"], json!([]));
    }
    let report: Value = app
        .post_as(
            "/imports/contacts",
            &member,
            &json!({"csv": "name,email\nX,mine@client.example\n", "dry_run": true}),
        )
        .await;
    assert_eq!(report["duplicates"][0]["existing_id"], mine["id"]);
    app.stop().await;
}

#[tokio::test]
async fn unverified_accounts_create_no_brands_or_keys_and_receive_no_notifications() {
    let app = TestApp::spawn().await;
    let (token, _) = app.account("eve@victim.example").await;
    let resp = app
        .send_as(
            reqwest::Method::POST,
            "/brands",
            &token,
            &json!({"name": "Evil", "slug": "evil"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let (brand, _) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (_, unverified_owner) = app.member("bo@bloom.example", &brand, Role::Owner).await;
    let key = app
        .send_as(
            reqwest::Method::POST,
            "/api-keys",
            &unverified_owner,
            &json!({"name": "k", "role": "owner"}),
        )
        .await;
    assert_eq!(key.status(), 422);
    let form = json!({"name": "Mia", "email": "mia@client.example"});
    assert_eq!(
        status(app.post_json("/public/bloom/enquiries", &form).await).await,
        202
    );
    let outbox: Value = app.get("/dev/outbox").await.json().await.unwrap();
    let notices: Vec<&Value> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("enquiry"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["to"], "ana@bloom.example");
    app.stop().await;
}

/// A client whose requests come from `127.0.0.<n>`: a different source IP per client.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

#[tokio::test]
async fn honeypot_hits_and_bad_payloads_do_not_spend_the_brands_public_form_quota() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let url = app.url("/public/bloom/enquiries");
    for n in 2..22u8 {
        let bot = client_from(n);
        for i in 0..10 {
            let body = if i % 2 == 0 {
                json!({"name": "Bot", "email": "bot@spam.example", "website": "http://spam.example"})
            } else {
                json!({"name": "Bot"})
            };
            let resp = bot.post(&url).json(&body).send().await.unwrap();
            assert!(matches!(resp.status().as_u16(), 202 | 422));
        }
    }
    let visitor = client_from(30)
        .post(&url)
        .json(&json!({"name": "Mia", "email": "mia@client.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(visitor.status(), 202, "a real visitor still gets through");
    let enquiries: Value = app
        .get_auth("/enquiries", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enquiries["items"].as_array().unwrap().len(), 1);

    // Unknown brands cannot be probed without limit: misses count against the IP.
    let prober = client_from(40);
    let mut statuses = Vec::new();
    for i in 0..12 {
        let resp = prober
            .post(app.url(&format!("/public/brand-{i}/enquiries")))
            .json(&json!({"name": "Mia", "email": "mia@client.example"}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[404; 10]);
    assert_eq!(statuses[11], 429);
    app.stop().await;
}

async fn ask_reset(app: &TestApp) -> reqwest::Response {
    app.post_json(
        "/auth/password/reset-request",
        &json!({"email": "ana@bloom.example"}),
    )
    .await
}

async fn reset_with(app: &TestApp, token: String, password: &str) -> reqwest::Response {
    app.post_json(
        "/auth/password/reset",
        &json!({"token": token, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn any_password_reset_or_change_cancels_every_outstanding_reset_link() {
    let app = TestApp::spawn().await;
    app.account("ana@bloom.example").await;
    let ask = || ask_reset(&app);
    assert_eq!(status(ask().await).await, 202);
    let older = app
        .mailed_token("ana@bloom.example", "reset-password?token=")
        .await;
    assert_eq!(status(ask().await).await, 202);
    let newer = app
        .mailed_token("ana@bloom.example", "reset-password?token=")
        .await;
    assert_ne!(older, newer);
    let reset = |token: String, password: &'static str| reset_with(&app, token, password);
    assert_eq!(
        status(reset(newer, "a brand new passphrase").await).await,
        204
    );
    assert_eq!(
        status(reset(older, "another new passphrase").await).await,
        401,
        "the older link died with the reset"
    );

    // A change of password cancels a link too.
    let login = json!({"email": "ana@bloom.example", "password": "a brand new passphrase"});
    let body: Value = app
        .post_json("/auth/login", &login)
        .await
        .json()
        .await
        .unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status(ask().await).await, 202);
    let pending = app
        .mailed_token("ana@bloom.example", "reset-password?token=")
        .await;
    let change = app
        .send_as(
            reqwest::Method::POST,
            "/auth/password/change",
            &access,
            &json!({"current_password": "a brand new passphrase",
                    "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(change.status(), 204);
    assert_eq!(
        status(reset(pending, "yet another passphrase").await).await,
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn p03_owners_racing_to_demote_each_other_get_a_conflict_never_a_server_error() {
    let app = TestApp::spawn().await;
    let (brand, ana) = app.brand_owner("ana@bloom.example", "bloom").await;
    let ana_id = app.user_id(&ana).await;
    for round in 0..5 {
        let (bo_id, bo) = app
            .member(&format!("bo{round}@bloom.example"), &brand, Role::Owner)
            .await;
        let (a, b) = tokio::join!(
            set_role(&app, &ana, &brand, &bo_id, "admin"),
            set_role(&app, &bo, &brand, &ana_id, "admin")
        );
        // Membership changes of one brand are serialised: exactly one wins; the other sees
        // the race (409) or, if it started after, its own demotion (403).
        let mut got = [a, b];
        got.sort_unstable();
        assert!(
            got == [204, 403] || got == [204, 409],
            "round {round}: {got:?}"
        );
        // If ana lost, bo gives her the owner's role back for the next round.
        if a != 204 {
            assert_eq!(set_role(&app, &bo, &brand, &ana_id, "owner").await, 204);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn uploads_must_carry_the_real_signature_of_their_type() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    for (content_type, bytes) in [
        ("image/heic", b"any bytes at all".to_vec()),
        ("image/webp", b"RIFF\x24\0\0\0WAVEfmt ".to_vec()),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\x03\x04\x14\0\0\0\0\0nothing.txt".to_vec(),
        ),
        ("text/plain", b"%PDF-1.7\n".to_vec()),
    ] {
        let resp = app
            .post_bytes("/files?name=x", &owner, content_type, bytes)
            .await;
        assert_eq!(resp.status(), 422, "{content_type}");
    }
    let ok = app
        .post_bytes(
            "/files?name=quote.pdf",
            &owner,
            "application/pdf",
            b"%PDF-1.7\nquote".to_vec(),
        )
        .await;
    assert_eq!(ok.status(), 201);
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_readable_by_its_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let ok = app
        .post_bytes(
            "/files?name=quote.pdf",
            &owner,
            "application/pdf",
            b"%PDF-1.7\nquote".to_vec(),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let dir = app.running.ctx.config.data_dir.clone();
    let mut stack = vec![dir.clone()];
    let (mut dirs, mut files) = (0, 0);
    while let Some(d) = stack.pop() {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
        dirs += 1;
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(dirs >= 4 && files >= 4, "{dirs} directories, {files} files");
    app.stop().await;
}

#[tokio::test]
async fn malformed_filters_dates_charsets_and_duplicate_keys_are_refused() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    for path in [
        "/contacts?created_at_from=notadate",
        "/contacts?owner_id=not-an-id",
        "/enquiries?event_date_from=June",
        "/enquiries?status=pending",
        "/enquiries?guest_count_from=many",
    ] {
        assert_eq!(
            status(app.get_auth(path, &owner).await).await,
            422,
            "{path}"
        );
    }
    assert_eq!(
        status(
            app.get_auth("/contacts?created_at_from=2026-01-01", &owner)
                .await
        )
        .await,
        200
    );
    let early = app
        .send_as(
            reqwest::Method::POST,
            "/enquiries",
            &owner,
            &json!({"title": "Old", "event_date": "-0001-01-01"}),
        )
        .await;
    assert_eq!(early.status(), 422);
    let raw = |content_type: &str, body: &str| {
        app.http
            .post(app.url("/contacts"))
            .bearer_auth(&owner)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
    };
    assert_eq!(
        status(
            raw("application/json; charset=utf-16", r#"{"name":"Mia"}"#)
                .await
                .unwrap()
        )
        .await,
        415
    );
    assert_eq!(
        status(
            raw("application/json", r#"{"name":"Mia","name":"Eve"}"#)
                .await
                .unwrap()
        )
        .await,
        400
    );
    app.stop().await;
}

/// Finding 17: what the OpenAPI document forbids is refused, and what it allows is accepted
/// (the schemathesis test walks every operation; these are the cases it found, kept).
#[tokio::test]
async fn the_api_refuses_what_its_document_forbids_and_takes_what_it_allows() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    // Query values the document bounds, and parameters given twice (a list filter may be).
    let long_type = format!("/files?content_type={}", "x".repeat(256));
    for (path, code) in [
        ("/contacts?name=a&name=b", 400),
        ("/contacts?tags=a&tags=b", 200),
        ("/enquiries?guest_count_from=-1", 422),
        ("/companies?website=not%20a%20url", 422),
        (long_type.as_str(), 422),
        ("/audit?actor=nobody", 400),
        ("/contacts?cursor=", 400),
    ] {
        assert_eq!(
            status(app.get_auth(path, &owner).await).await,
            code,
            "{path}"
        );
    }
    // Text as written: control characters (even ones trimming would drop) and padding count.
    for name in ["\u{85}Mia", &format!("Mia{}", " ".repeat(120))] {
        let resp = app
            .send_as(
                reqwest::Method::POST,
                "/contacts",
                &owner,
                &json!({ "name": name }),
            )
            .await;
        assert_eq!(resp.status(), 422, "{name:?}");
    }
    // JSON has one number type: 27.0 is the whole number 27.
    let enquiry: Value = app
        .send_as(
            reqwest::Method::POST,
            "/enquiries",
            &owner,
            &json!({"title": "Smith wedding", "budget_min": 10.0, "budget_max": 27.0}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enquiry["budget_max"], 27);
    // If-Match exactly as documented: a quoted version, optionally weak; empty is none.
    let path = format!("/enquiries/{}", enquiry["id"].as_str().unwrap());
    let with_if_match = |tag: &'static str| {
        app.http
            .patch(app.url(&path))
            .bearer_auth(&owner)
            .header("if-match", tag)
            .json(&json!({"venue": "Kew Gardens"}))
            .send()
    };
    assert_eq!(status(with_if_match("1").await.unwrap()).await, 400);
    assert_eq!(status(with_if_match("").await.unwrap()).await, 428);
    assert_eq!(status(with_if_match("W/\"1\"").await.unwrap()).await, 200);
    // A malformed address is refused on a reset request (it says nothing about accounts).
    let reset = app
        .post_json(
            "/auth/password/reset-request",
            &json!({"email": "not an address"}),
        )
        .await;
    assert_eq!(reset.status(), 422);
    let key = app
        .send_as(
            reqwest::Method::POST,
            "/api-keys",
            &owner,
            &json!({"name": "form\u{7}", "role": "team_member"}),
        )
        .await;
    assert_eq!(key.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn p22_role_changes_invitations_and_key_events_appear_in_the_brands_audit_trail() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let owner_id = app.user_id(&owner).await;
    let (tom, _) = app
        .member("tom@bloom.example", &brand, Role::TeamMember)
        .await;
    assert_eq!(
        set_role(&app, &owner, &brand, &tom, "full_access").await,
        204
    );
    invite(
        &app,
        &owner,
        &brand.to_string(),
        "kim@bloom.example",
        "admin",
    )
    .await;
    app.api_key(&owner, "admin").await;

    let by_record: Value = app
        .get_auth(&format!("/audit?record=member:{tom}"), &owner)
        .await
        .json()
        .await
        .unwrap();
    let entries = by_record["items"].as_array().unwrap();
    let change = entries
        .iter()
        .find(|e| e["action"] == "role_changed")
        .unwrap_or_else(|| panic!("{by_record}"));
    assert_eq!(change["actor"], owner_id.to_string());
    assert_eq!(
        change["changes"],
        json!([{"field": "role", "before": "team_member", "after": "full_access"}])
    );
    let by_actor: Value = app
        .get_auth(&format!("/audit?actor={owner_id}"), &owner)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["entity"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    for wanted in [
        ("member", "role_changed"),
        ("invitation", "invited"),
        ("apikey", "created"),
    ] {
        assert!(actions.contains(&wanted), "{wanted:?} in {actions:?}");
    }
    app.stop().await;
}

/// A table that notes each operation (its kind and the namespace of its partition key) and
/// passes it on.
struct Recording {
    inner: Arc<dyn Table>,
    ops: Mutex<Vec<String>>,
}

impl Recording {
    fn note(&self, op: &str, pk: &str) {
        let namespace = pk.split('#').next().unwrap_or_default();
        self.ops.lock().unwrap().push(format!("{op} {namespace}"));
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.ops.lock().unwrap())
    }
}

#[async_trait]
impl Table for Recording {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.note("get", key.pk());
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.note("put", item.key.pk());
        self.inner.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        self.note("update", key.pk());
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.note("delete", key.pk());
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        self.note("query", &query.pk);
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let namespaces: Vec<&str> = writes
            .iter()
            .map(|w| w.key().pk().split('#').next().unwrap_or_default())
            .collect();
        self.note("transact", &namespaces.join("+"));
        self.inner.transact(writes).await
    }
}

/// A queue that keeps what is sent to it, and delivers nothing.
#[derive(Default)]
struct Held(Mutex<Vec<OutMessage>>);

#[async_trait]
impl Queue for Held {
    async fn send(&self, message: OutMessage) -> Result<(), QueueError> {
        self.0.lock().unwrap().push(message);
        Ok(())
    }
    async fn send_batch(&self, messages: Vec<OutMessage>) -> Result<(), QueueError> {
        self.0.lock().unwrap().extend(messages);
        Ok(())
    }
    async fn receive(&self, _: u32, _: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        Ok(vec![])
    }
    async fn ack(&self, _: &str) -> Result<(), QueueError> {
        Ok(())
    }
    async fn release(&self, _: &str, _: Duration) -> Result<(), QueueError> {
        Ok(())
    }
}

/// Finding 5: a reset request (and a sign-up) does the same work whether or not the address
/// has an account — the same table operations, one sealed job on the mail queue, no mail sent
/// before the answer — and mail-send then mails only the account that exists, once.
#[tokio::test]
async fn a_reset_request_or_signup_does_the_same_work_whether_or_not_the_address_has_an_account() {
    let app = TestApp::spawn().await;
    app.account("ana@bloom.example").await;
    let outbox_before = app
        .get("/dev/outbox")
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap();

    let mut ctx = app.running.ctx.clone();
    let table = Arc::new(Recording {
        inner: ctx.table.clone(),
        ops: Mutex::default(),
    });
    let held = Arc::new(Held::default());
    ctx.table = table.clone();
    ctx.queues.mail = held.clone();
    let client = Client {
        ip: "203.0.113.9".into(),
        user_agent: "probe".into(),
    };

    let mut work = Vec::new();
    for email in ["ana@bloom.example", "nobody@bloom.example"] {
        table.take();
        accounts::request_reset(&ctx, email, &client).await.unwrap();
        work.push(table.take());
    }
    assert_eq!(work[0], work[1], "reset request: the same work for both");
    assert_eq!(
        work[0],
        ["update RL"],
        "a per-IP limit, nothing that reads the account"
    );
    let mut signups = Vec::new();
    for email in ["ana@bloom.example", "new@bloom.example"] {
        table.take();
        accounts::signup(&ctx, email, PASSWORD.to_owned().into(), "Ana", &client)
            .await
            .unwrap();
        signups.push(table.take());
    }
    assert_eq!(signups[0], signups[1], "sign-up: the same work for both");

    let jobs = held.0.lock().unwrap().clone();
    assert_eq!(jobs.len(), 4, "each request queued one job");
    for job in &jobs {
        assert!(
            !job.body.contains("bloom.example"),
            "jobs are sealed: {}",
            job.body
        );
        assert!(!job.body.contains("token"), "jobs are sealed: {}", job.body);
    }
    let outbox: Vec<Value> = app.get("/dev/outbox").await.json().await.unwrap();
    assert_eq!(
        outbox.len(),
        outbox_before.len(),
        "nothing mailed on the request path"
    );

    // mail-send: the reset job of the existing account becomes one link, mailed once however
    // often the job is delivered; the unknown address gets nothing.
    let records: Vec<Record> = jobs[..2]
        .iter()
        .enumerate()
        .map(|(i, m)| Record {
            id: format!("job-{i}"),
            body: m.body.clone(),
            group: m.group.clone(),
            receive_count: 1,
        })
        .collect();
    let ctx = app.running.ctx.clone();
    for _ in 0..2 {
        let failed = run_batch(&ctx, &MailWorker, records.clone()).await;
        assert!(failed.is_empty(), "{failed:?}");
    }
    let outbox: Vec<Value> = app.get("/dev/outbox").await.json().await.unwrap();
    let new: Vec<&Value> = outbox[outbox_before.len()..].iter().collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["to"], "ana@bloom.example");
    let token = token_in_outbox(&Value::from(outbox.clone()), None, "token=").unwrap();
    let reset = reset_with(&app, token.clone(), "a brand new passphrase").await;
    assert_eq!(reset.status(), 204);
    // Delivered again after the link was spent: nothing comes back to life.
    assert!(run_batch(&ctx, &MailWorker, records).await.is_empty());
    assert_eq!(
        reset_with(&app, token, "yet another passphrase")
            .await
            .status(),
        401
    );
    app.stop().await;
}
