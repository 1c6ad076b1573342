//! P01 for every route: members and API keys of brand B, in every role, call every route of
//! the route table aimed at brand A's ids. Each answer is refused or reveals nothing of A, and
//! brand A's rows are byte-for-byte unchanged afterwards. A new route must be classified here,
//! so no route escapes the matrix.

use atelier_core::domain::Role;
use atelier_core::http::{Guard, ROUTES, Route};
use atelier_tests::app::TestApp;
use serde_json::{Value, json};

/// Signed-in routes that act only on the caller's own account, and why they are outside the
/// matrix. Only `Guard::User` routes may be here: the matrix walks every brand-guarded route
/// (and every other signed-in one), read from the route table's guard column, so a new brand
/// route is in it without anyone adding it. Public, local and operator routes are left out by
/// their guard (the public form and the operator routes have their own tests).
const OUTSIDE: &[(&str, &str, &str)] = &[
    ("POST", "/auth/password/change", "the caller's own account"),
    ("DELETE", "/me", "the caller's own account"),
];

/// Whether the matrix walks `route`: every signed-in route but the operator's and OUTSIDE's.
fn walked(route: &Route) -> bool {
    let method = route.method.as_str();
    !matches!(
        route.guard(),
        Guard::Public | Guard::Local | Guard::Operator
    ) && !OUTSIDE
        .iter()
        .any(|(m, p, _)| *m == method && *p == route.path)
}

/// Writes the matrix sends without a JSON body, and why; every other POST, PUT or PATCH must
/// have one in `body_for`, or the matrix fails (a route sent no body is refused for that and
/// tests nothing).
const NO_JSON_BODY: &[(&str, &str, &str)] = &[
    ("POST", "/exports", "takes no body"),
    ("POST", "/invitations/{token}/accept", "takes no body"),
    (
        "POST",
        "/files",
        "takes the file itself: sent as bytes, aimed at A's contact",
    ),
];

struct Target {
    brand: String,
    contact: String,
    /// Brand A's record ids by route prefix (`/companies/` → a company of A…).
    records: Vec<(&'static str, String)>,
    owner: String,
    session: String,
    key_id: String,
    invitation: String,
    secrets: Vec<String>,
}

fn body_for(method: &str, path: &str, t: &Target) -> Option<Value> {
    Some(match (method, path) {
        ("PATCH", "/brands/{id}/members/{user_id}") => json!({"role": "team_member"}),
        ("POST", "/brands/{id}/invitations") => {
            json!({"email": "mallory@party.example", "role": "admin"})
        }
        ("POST", "/auth/switch-brand") => json!({"brand_id": t.brand}),
        ("POST", "/api-keys") => json!({"name": "mallory", "role": "team_member"}),
        ("POST", "/brands") => {
            json!({"name": "Mallory", "slug": format!("m-{}", ulid::Ulid::new().to_string().to_lowercase())})
        }
        ("PATCH", "/me") => json!({"name": "Mallory"}),
        ("POST", "/contacts") => json!({"name": "Mallory's lead"}),
        ("PATCH", "/contacts/{id}") => json!({"name": "Hijacked", "notes": "mallory was here"}),
        ("POST", "/contacts/{id}/merge") => json!({"other_id": t.contact}),
        ("POST", "/companies") => json!({"name": "Mallory Ltd"}),
        ("PATCH", "/companies/{id}") => json!({"name": "Hijacked"}),
        ("POST", "/enquiries") => json!({"title": "Mallory", "contact_id": t.contact}),
        ("PATCH", "/enquiries/{id}") => json!({"status": "lost", "lost_reason": "mallory"}),
        ("POST", "/enquiries/{id}/convert") => json!({"name": "Hijacked"}),
        ("POST", "/projects") => json!({"name": "Mallory", "contact_ids": [t.contact]}),
        ("PATCH", "/projects/{id}") => json!({"name": "Hijacked"}),
        ("POST", "/tasks") => {
            json!({"title": "Mallory", "record": format!("contact:{}", t.contact)})
        }
        ("PATCH", "/tasks/{id}") => json!({"done": true}),
        ("POST", "/notes") => {
            json!({"body": "Mallory", "record": format!("contact:{}", t.contact)})
        }
        ("PATCH", "/notes/{id}") => json!({"body": "Hijacked"}),
        ("PATCH", "/files/{id}") => json!({"name": "hijacked.pdf"}),
        ("POST", "/pipeline/stages") => json!({"name": "Mallory"}),
        ("PATCH", "/pipeline/stages/{id}") => json!({"name": "Hijacked"}),
        ("POST", "/custom-fields") => {
            json!({"label": "Mallory", "entity": "contact", "field_type": "text"})
        }
        ("PATCH", "/custom-fields/{id}") => json!({"label": "Hijacked"}),
        ("POST", "/imports/contacts") => {
            let company = &t
                .records
                .iter()
                .find(|(p, _)| *p == "/companies/")
                .unwrap()
                .1;
            json!({"csv": format!("name,company_id\nMallory,{company}\n")})
        }
        _ => return None,
    })
}

fn fill(path: &str, t: &Target) -> String {
    let record = t
        .records
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, id)| id);
    let id = if let Some(id) = record {
        id
    } else if path.starts_with("/api-keys/") {
        &t.key_id
    } else if path.starts_with("/contacts/") {
        &t.contact
    } else if path.starts_with("/auth/sessions/") {
        &t.session
    } else {
        &t.brand
    };
    path.replace("{id}", id)
        .replace("{user_id}", &t.owner)
        .replace("{token}", &t.invitation)
        .replace("{entity}", "contacts")
}

/// Every stored byte of every partition of `brand` (records, members, audit months…).
async fn snapshot(app: &TestApp, brand: &str) -> Vec<(String, String, Vec<u8>)> {
    let embedded = app.running.ctx.embedded.as_ref().expect("embedded backend");
    embedded
        .table
        .dump_partitions(&format!("B#{brand}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn p01_no_route_lets_another_brand_read_or_change_anything() {
    let app = TestApp::spawn().await;
    // Brand A, with a member in every role, an API key and a pending invitation.
    let (bloom, ana) = app.brand_owner("ana@bloom.example", "bloom").await;
    let ana_id = app.user_id(&ana).await.to_string();
    let sessions: Value = app
        .get_auth("/auth/sessions", &ana)
        .await
        .json()
        .await
        .unwrap();
    let key = app
        .post_as("/api-keys", &ana, &json!({"name": "site", "role": "admin"}))
        .await;
    let contact = app
        .post_as(
            "/contacts",
            &ana,
            &json!({"name": "Mia Chen", "email": "mia@client.example"}),
        )
        .await;
    let cid = contact["id"].as_str().unwrap().to_owned();
    let mut records: Vec<(&'static str, String)> = Vec::new();
    for (prefix, route, body) in [
        (
            "/companies/",
            "/companies",
            json!({"name": "Rosewood Venues"}),
        ),
        (
            "/enquiries/",
            "/enquiries",
            json!({"title": "Chen wedding", "contact_id": cid}),
        ),
        (
            "/projects/",
            "/projects",
            json!({"name": "Chen wedding arch", "contact_ids": [cid]}),
        ),
        (
            "/tasks/",
            "/tasks",
            json!({"title": "Call Mia", "record": format!("contact:{cid}")}),
        ),
        (
            "/notes/",
            "/notes",
            json!({"body": "Loves peonies", "record": format!("contact:{cid}")}),
        ),
        (
            "/custom-fields/",
            "/custom-fields",
            json!({"label": "Colour", "entity": "contact", "field_type": "text"}),
        ),
    ] {
        let created = app.post_as(route, &ana, &body).await;
        records.push((prefix, created["id"].as_str().expect(route).to_owned()));
    }
    let stages: Value = app
        .get_auth("/pipeline/stages", &ana)
        .await
        .json()
        .await
        .unwrap();
    records.push((
        "/pipeline/stages/",
        stages["items"][0]["id"].as_str().unwrap().to_owned(),
    ));
    let file: Value = app
        .post_bytes(
            &format!("/files?name=quote.pdf&record=contact:{cid}"),
            &ana,
            "application/pdf",
            b"%PDF-1.7 quote".to_vec(),
        )
        .await
        .json()
        .await
        .unwrap();
    records.push(("/files/", file["id"].as_str().unwrap().to_owned()));
    let export: Value = app
        .http
        .post(app.url("/exports"))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    records.push(("/exports/", export["id"].as_str().unwrap().to_owned()));
    // Records lead the route-prefix match, more specific prefixes first.
    records.insert(0, ("/contacts/", cid.clone()));
    let token = app.mailed_token("ana@bloom.example", "token=").await;
    app.post_json("/auth/verify-email", &json!({"token": token}))
        .await;
    app.post_as(
        &format!("/brands/{bloom}/invitations"),
        &ana,
        &json!({"email": "sam@bloom.example", "role": "admin"}),
    )
    .await;
    let invitation = app.mailed_token("sam@bloom.example", "/invitations/").await;
    for (email, role) in [
        ("al@bloom.example", Role::Admin),
        ("fu@bloom.example", Role::FullAccess),
        ("tm@bloom.example", Role::TeamMember),
    ] {
        app.member(email, &bloom, role).await;
    }
    let target = Target {
        brand: bloom.to_string(),
        contact: contact["id"].as_str().unwrap().to_owned(),
        records: records.clone(),
        owner: ana_id.clone(),
        session: sessions[0]["id"].as_str().unwrap().to_owned(),
        key_id: key["id"].as_str().unwrap().to_owned(),
        invitation,
        secrets: vec![
            bloom.to_string(),
            contact["id"].as_str().unwrap().to_owned(),
            "mia@client.example".into(),
            ana_id,
            "ana@bloom.example".into(),
            "al@bloom.example".into(),
            key["key"].as_str().unwrap().to_owned(),
            key["id"].as_str().unwrap().to_owned(),
            "Rosewood Venues".into(),
            "Chen wedding".into(),
            "Loves peonies".into(),
            "Call Mia".into(),
        ]
        .into_iter()
        .chain(records.iter().map(|(_, id)| id.clone()))
        .collect(),
    };

    // Brand B's people, in every role, and its API keys in every role.
    let (party, bea) = app.brand_owner("bea@party.example", "party").await;
    let mut outsiders = vec![("owner".to_owned(), bea.clone())];
    for (email, role) in [
        ("pa@party.example", Role::Admin),
        ("pf@party.example", Role::FullAccess),
        ("pt@party.example", Role::TeamMember),
    ] {
        outsiders.push((
            role.as_str().to_owned(),
            app.member(email, &party, role).await.1,
        ));
    }
    for role in ["owner", "admin", "full_access", "team_member"] {
        let k = app
            .post_as("/api-keys", &bea, &json!({"name": role, "role": role}))
            .await;
        outsiders.push((format!("{role} key"), k["key"].as_str().unwrap().to_owned()));
    }

    let before = snapshot(&app, &target.brand).await;
    let partitions: std::collections::BTreeSet<&str> =
        before.iter().map(|(pk, _, _)| pk.as_str()).collect();
    assert!(
        partitions.len() > 1 && partitions.iter().any(|pk| pk.contains("#AUDIT#")),
        "the snapshot covers the brand's other partitions too: {partitions:?}"
    );
    let mut walked_routes = 0;
    for route in ROUTES.iter().filter(|r| walked(r)) {
        let method = route.method.as_str();
        walked_routes += 1;
        let mut url = app.url(&fill(route.path, &target));
        let upload = method == "POST" && route.path == "/files";
        if upload {
            url.push_str(&format!(
                "?name=mallory.txt&record=contact:{}",
                target.contact
            ));
        }
        for (who, token) in &outsiders {
            let mut req = app
                .http
                .request(route.method.clone(), &url)
                .bearer_auth(token)
                .header("if-match", "\"1\"");
            let body = body_for(method, route.path, &target);
            let writes = matches!(method, "POST" | "PUT" | "PATCH");
            let exempt = NO_JSON_BODY
                .iter()
                .any(|(m, p, _)| *m == method && *p == route.path);
            assert!(
                !writes || body.is_some() || exempt,
                "{method} {} has no body in the matrix: add one to body_for",
                route.path
            );
            // A request that names brand A (in its path, query or body) must be refused
            // outright. (`{entity}` names a kind of record, not one of A's.)
            let aims_at_a = upload
                || route.path.replace("{entity}", "").contains('{')
                || body
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains(&target.brand));
            if let Some(body) = body {
                req = req.json(&body);
            }
            if upload {
                req = req
                    .header("content-type", "text/plain")
                    .body("mallory was here\n");
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            assert!(status < 500, "{method} {} as {who}: {status}", route.path);
            if aims_at_a {
                assert!(
                    (400..500).contains(&status),
                    "{method} {} as {who} aimed at brand A: {status}",
                    route.path
                );
            }
            for secret in &target.secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{method} {} as {who} revealed {secret}: {text}",
                    route.path
                );
            }
        }
    }
    let brand_routes = ROUTES
        .iter()
        .filter(|r| matches!(r.guard(), Guard::Brand(_)))
        .count();
    assert!(
        walked_routes >= brand_routes && brand_routes >= 40,
        "the matrix walked {walked_routes} routes ({brand_routes} brand-guarded)"
    );
    assert_eq!(
        snapshot(&app, &target.brand).await,
        before,
        "brand A is unchanged"
    );
    // And brand A still works for its own people.
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &ana)
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[test]
fn every_route_outside_the_matrix_exists_and_is_the_callers_own() {
    for (m, p, why) in OUTSIDE.iter().chain(NO_JSON_BODY) {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.method.as_str() == *m && r.path == *p),
            "{m} {p} ({why}) is not a route"
        );
    }
    for (m, p, why) in OUTSIDE {
        let route = ROUTES
            .iter()
            .find(|r| r.method.as_str() == *m && r.path == *p)
            .unwrap();
        assert_eq!(
            route.guard(),
            Guard::User,
            "{m} {p} ({why}) must be a user route"
        );
    }
}
