//! CRM records beyond contacts: companies, enquiries and their conversion, projects through
//! the pipeline, tasks, notes, the timeline, custom fields, lists, merging, cascading
//! deletes (P24) and the audit trail (P22).

use atelier_core::domain::Role;
use atelier_tests::app::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.send_as(Method::PATCH, path, token, &body).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get_auth(path, token).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.unwrap()
}

fn names(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_enquiry_is_qualified_and_converted_into_a_project_in_one_step() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let contact = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Mia Chen", "email": "mia@client.example"}),
        )
        .await;
    let cid = contact["id"].as_str().unwrap();
    let enquiry = app
        .post_as(
            "/enquiries",
            &owner,
            &json!({"title": "Chen wedding", "contact_id": cid, "event_type": "wedding",
                    "event_date": "2027-06-19", "venue": "Rosewood Barn", "guest_count": 120,
                    "budget_min": 1500, "budget_max": 3000,
                    "utm": {"source": "instagram", "campaign": "spring"}}),
        )
        .await;
    let eid = enquiry["id"].as_str().unwrap();
    assert_eq!(enquiry["status"], "new");
    assert_eq!(enquiry["source"], "manual");
    assert_eq!(enquiry["utm"]["source"], "instagram");

    // Rules between fields are enforced.
    let lost = patch(
        &app,
        &format!("/enquiries/{eid}"),
        &owner,
        json!({"status": "lost", "version": 1}),
    )
    .await;
    assert_eq!(lost.status(), 422);
    let body: Value = lost.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "lost_reason");
    let bad_budget = patch(
        &app,
        &format!("/enquiries/{eid}"),
        &owner,
        json!({"budget_min": 5000, "version": 1}),
    )
    .await;
    assert_eq!(bad_budget.status(), 422);
    let converted_by_hand = patch(
        &app,
        &format!("/enquiries/{eid}"),
        &owner,
        json!({"status": "converted", "version": 1}),
    )
    .await;
    assert_eq!(converted_by_hand.status(), 422);
    let q = patch(
        &app,
        &format!("/enquiries/{eid}"),
        &owner,
        json!({"status": "qualified", "version": 1}),
    )
    .await;
    assert_eq!(q.status(), 200);

    // Convert: stale first, then at the current version.
    let stale = app
        .send_as(
            Method::POST,
            &format!("/enquiries/{eid}/convert"),
            &owner,
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(stale.status(), 409);
    let resp = app
        .send_as(
            Method::POST,
            &format!("/enquiries/{eid}/convert"),
            &owner,
            &json!({"version": 2, "value": 250000, "currency": "GBP"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let project: Value = resp.json().await.unwrap();
    assert_eq!(project["name"], "Chen wedding");
    assert_eq!(project["location"], "Rosewood Barn");
    assert_eq!(project["event_date"], "2027-06-19");
    assert_eq!(project["contact_ids"], json!([cid]));
    assert_eq!(project["enquiry_id"], eid);
    assert_eq!(project["value"], 250000);
    let stages = get(&app, "/pipeline/stages", &owner).await;
    assert_eq!(
        names(&stages, "name"),
        vec!["Enquiry", "Proposal sent", "Booked", "Completed", "Lost"]
    );
    assert_eq!(project["stage_id"], stages["items"][0]["id"]);
    let e = get(&app, &format!("/enquiries/{eid}"), &owner).await;
    assert_eq!(e["status"], "converted");
    assert_eq!(e["project_id"], project["id"]);
    let again = app
        .send_as(
            Method::POST,
            &format!("/enquiries/{eid}/convert"),
            &owner,
            &json!({"version": 3}),
        )
        .await;
    assert_eq!(again.status(), 409, "converted once only");
    app.stop().await;
}

#[tokio::test]
async fn projects_move_through_stages_with_history_and_a_timeline() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let stages = get(&app, "/pipeline/stages", &owner).await;
    let booked = stages["items"][2]["id"].as_str().unwrap().to_owned();
    let contact = app
        .post_as("/contacts", &owner, &json!({"name": "Leo Park"}))
        .await;
    let cid = contact["id"].as_str().unwrap();
    let project = app
        .post_as(
            "/projects",
            &owner,
            &json!({"name": "Park birthday", "contact_ids": [cid]}),
        )
        .await;
    let pid = project["id"].as_str().unwrap();
    let moved = patch(
        &app,
        &format!("/projects/{pid}"),
        &owner,
        json!({"stage_id": booked, "version": 1}),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    let history = moved["stage_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "created in a stage, then moved");
    assert_eq!(history[1]["stage_id"], booked);
    assert_eq!(history[1]["from_stage_id"], stages["items"][0]["id"]);
    let bogus = patch(
        &app,
        &format!("/projects/{pid}"),
        &owner,
        json!({"stage_id": cid, "version": 2}),
    )
    .await;
    assert_eq!(bogus.status(), 422, "a stage must be one of the brand's");

    // A stage holding projects cannot go; an empty one can.
    let in_use = app
        .send_as(
            Method::DELETE,
            &format!("/pipeline/stages/{booked}"),
            &owner,
            &json!({}),
        )
        .await;
    assert_eq!(in_use.status(), 409);
    let extra = app
        .post_as("/pipeline/stages", &owner, &json!({"name": "Deposit paid"}))
        .await;
    assert_eq!(extra["position"], 60);
    let gone = app
        .send_as(
            Method::DELETE,
            &format!("/pipeline/stages/{}", extra["id"].as_str().unwrap()),
            &owner,
            &json!({}),
        )
        .await;
    assert_eq!(gone.status(), 204);

    let task = app
        .post_as("/tasks", &owner, &json!({"title": "Order helium", "due_date": "2027-01-10", "record": format!("project:{pid}")}))
        .await;
    let done = patch(
        &app,
        &format!("/tasks/{}", task["id"].as_str().unwrap()),
        &owner,
        json!({"done": true, "version": 1}),
    )
    .await;
    let done: Value = done.json().await.unwrap();
    assert!(done["done_at"].is_string());
    app.post_as(
        "/notes",
        &owner,
        &json!({"body": "Prefers pastel", "record": format!("project:{pid}")}),
    )
    .await;
    let timeline = get(&app, &format!("/projects/{pid}/timeline"), &owner).await;
    let kinds: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["note", "task", "stage_change", "created"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let contact_timeline = get(&app, &format!("/contacts/{cid}/timeline"), &owner).await;
    assert!(
        contact_timeline["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "project")
    );
    let notes_needs_record = app
        .send_as(Method::POST, "/notes", &owner, &json!({"body": "orphan"}))
        .await;
    assert_eq!(notes_needs_record.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn custom_fields_are_validated_and_survive_renaming_and_retiring() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let colour = app
        .post_as("/custom-fields", &owner, &json!({"label": "Colour scheme", "entity": "contact", "field_type": "select", "options": ["pastel", "gold"]}))
        .await;
    let fid = colour["id"].as_str().unwrap().to_owned();
    let size = app
        .post_as(
            "/custom-fields",
            &owner,
            &json!({"label": "Arch size", "entity": "contact", "field_type": "number"}),
        )
        .await;
    let sid = size["id"].as_str().unwrap().to_owned();
    let no_options = app
        .send_as(
            Method::POST,
            "/custom-fields",
            &owner,
            &json!({"label": "X", "entity": "contact", "field_type": "select"}),
        )
        .await;
    assert_eq!(no_options.status(), 422);

    let bad = app
        .send_as(
            Method::POST,
            "/contacts",
            &owner,
            &json!({"name": "Mia", "custom": {fid.clone(): "neon", sid.clone(): "big"}}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let errs: Value = bad.json().await.unwrap();
    assert_eq!(errs["errors"].as_array().unwrap().len(), 2, "{errs}");
    let unknown = app
        .send_as(
            Method::POST,
            "/contacts",
            &owner,
            &json!({"name": "Mia", "custom": {"01JD3Q0000000000000000000A": 1}}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let mia = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Mia", "custom": {fid.clone(): "pastel", sid.clone(): 2.5}}),
        )
        .await;
    let mid = mia["id"].as_str().unwrap().to_owned();
    assert_eq!(mia["custom"][&fid], "pastel");

    // Rename, drop the option and retire the size: Mia's values stay as they were.
    let renamed = patch(
        &app,
        &format!("/custom-fields/{fid}"),
        &owner,
        json!({"label": "Palette", "options": ["gold"], "version": 1}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let type_change = patch(
        &app,
        &format!("/custom-fields/{fid}"),
        &owner,
        json!({"field_type": "text", "version": 2}),
    )
    .await;
    assert_eq!(type_change.status(), 422, "a field's type is fixed");
    patch(
        &app,
        &format!("/custom-fields/{sid}"),
        &owner,
        json!({"retired": true, "version": 1}),
    )
    .await;
    let read = get(&app, &format!("/contacts/{mid}"), &owner).await;
    assert_eq!(read["custom"][&fid], "pastel");
    assert_eq!(read["custom"][&sid], 2.5);
    let retired_write = patch(
        &app,
        &format!("/contacts/{mid}"),
        &owner,
        json!({"custom": {sid.clone(): 3}, "version": 1}),
    )
    .await;
    assert_eq!(retired_write.status(), 422);
    let other_write = patch(
        &app,
        &format!("/contacts/{mid}"),
        &owner,
        json!({"name": "Mia Chen", "version": 1}),
    )
    .await;
    assert_eq!(
        other_write.status(),
        200,
        "untouched custom values are not re-validated"
    );
    let cleared = patch(
        &app,
        &format!("/contacts/{mid}"),
        &owner,
        json!({"custom": {sid.clone(): null}, "version": 2}),
    )
    .await;
    assert_eq!(cleared.status(), 200, "a retired field can be cleared");

    let filtered = get(&app, &format!("/contacts?custom.{fid}=pastel"), &owner).await;
    assert_eq!(names(&filtered, "name"), vec!["Mia Chen"]);
    // Team members cannot define fields.
    let (_, tm) = app
        .member("tm@bloom.example", &brand, Role::TeamMember)
        .await;
    let denied = app
        .send_as(
            Method::POST,
            "/custom-fields",
            &tm,
            &json!({"label": "Y", "entity": "contact", "field_type": "text"}),
        )
        .await;
    assert_eq!(denied.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_sort_search_and_page_with_full_pages() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    for (name, tags, date) in [
        ("Zoe", json!(["vip"]), "2027-03-01"),
        ("Adam", json!(["vip", "corporate"]), "2027-01-15"),
        ("Mia", json!([]), "2027-02-10"),
        ("Bea", json!(["vip"]), "2026-12-24"),
    ] {
        let c = app
            .post_as("/contacts", &owner, &json!({"name": name, "tags": tags}))
            .await;
        app.post_as(
            "/enquiries",
            &owner,
            &json!({"title": format!("{name} party"), "contact_id": c["id"], "event_date": date}),
        )
        .await;
    }
    let vip = get(&app, "/contacts?tags=VIP&sort=name", &owner).await;
    assert_eq!(names(&vip, "name"), vec!["Adam", "Bea", "Zoe"]);
    let desc = get(&app, "/contacts?sort=-name&limit=3", &owner).await;
    assert_eq!(names(&desc, "name"), vec!["Zoe", "Mia", "Bea"]);
    let next = desc["next_cursor"].as_str().unwrap();
    let rest = get(
        &app,
        &format!("/contacts?sort=-name&limit=3&cursor={next}"),
        &owner,
    )
    .await;
    assert_eq!(names(&rest, "name"), vec!["Adam"]);
    assert!(rest["next_cursor"].is_null());
    let range = get(
        &app,
        "/enquiries?event_date_from=2027-01-01&event_date_to=2027-02-28&sort=event_date",
        &owner,
    )
    .await;
    assert_eq!(names(&range, "title"), vec!["Adam party", "Mia party"]);
    let search = get(&app, "/enquiries?q=zoe", &owner).await;
    assert_eq!(names(&search, "title"), vec!["Zoe party"]);
    for bad in [
        "/contacts?colour=red",
        "/contacts?sort=notes",
        "/enquiries?sort=-nope",
        "/contacts?cursor=t.x&tags=vip",
    ] {
        let r = app.get_auth(bad, &owner).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    app.stop().await;
}

#[tokio::test]
async fn team_members_see_the_projects_and_tasks_they_are_assigned() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (tm_id, tm) = app
        .member("tm@bloom.example", &brand, Role::TeamMember)
        .await;
    let theirs = app
        .post_as(
            "/projects",
            &owner,
            &json!({"name": "Theirs", "assignee_ids": [tm_id.to_string()]}),
        )
        .await;
    app.post_as("/projects", &owner, &json!({"name": "Not theirs"}))
        .await;
    let seen = get(&app, "/projects", &tm).await;
    assert_eq!(names(&seen, "name"), vec!["Theirs"]);
    let own = app
        .post_as("/projects", &tm, &json!({"name": "Walk-in"}))
        .await;
    assert_eq!(own["assignee_ids"], json!([tm_id.to_string()]));
    let drop_self = patch(
        &app,
        &format!("/projects/{}", theirs["id"].as_str().unwrap()),
        &tm,
        json!({"assignee_ids": [], "version": 1}),
    )
    .await;
    assert_eq!(
        drop_self.status(),
        422,
        "team members keep their work assigned to themselves"
    );
    app.post_as("/tasks", &owner, &json!({"title": "Owner's task"}))
        .await;
    app.post_as(
        "/tasks",
        &owner,
        &json!({"title": "For tm", "assignee_id": tm_id.to_string()}),
    )
    .await;
    let tasks = get(&app, "/tasks", &tm).await;
    assert_eq!(names(&tasks, "title"), vec!["For tm"]);
    app.stop().await;
}

#[tokio::test]
async fn p24_deleting_a_contact_takes_its_notes_tasks_and_files_and_erases_its_values_from_the_audit()
 {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let company = app
        .post_as("/companies", &owner, &json!({"name": "Rosewood"}))
        .await;
    let c = app
        .post_as("/contacts", &owner, &json!({"name": "Mia Chen", "email": "mia@client.example", "company_id": company["id"]}))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let record = format!("contact:{cid}");
    let note = app
        .post_as(
            "/notes",
            &owner,
            &json!({"body": "Secret wish", "record": record}),
        )
        .await;
    let task = app
        .post_as(
            "/tasks",
            &owner,
            &json!({"title": "Call Mia", "record": record}),
        )
        .await;
    let file: Value = app
        .post_bytes(
            &format!("/files?name=brief.txt&record={record}"),
            &owner,
            "text/plain",
            "Mia's brief",
        )
        .await
        .json()
        .await
        .unwrap();
    let enquiry = app
        .post_as(
            "/enquiries",
            &owner,
            &json!({"title": "Chen", "contact_id": cid}),
        )
        .await;
    let project = app
        .post_as(
            "/projects",
            &owner,
            &json!({"name": "Chen", "contact_ids": [cid]}),
        )
        .await;

    let del = app
        .send_as(
            Method::DELETE,
            &format!("/contacts/{cid}"),
            &owner,
            &json!({}),
        )
        .await;
    assert_eq!(del.status(), 204);
    for gone in [
        format!("/contacts/{cid}"),
        format!("/notes/{}", note["id"].as_str().unwrap()),
        format!("/tasks/{}", task["id"].as_str().unwrap()),
        format!("/files/{}", file["id"].as_str().unwrap()),
        format!("/files/{}/content", file["id"].as_str().unwrap()),
    ] {
        assert_eq!(app.get_auth(&gone, &owner).await.status(), 404, "{gone}");
    }
    let e = get(
        &app,
        &format!("/enquiries/{}", enquiry["id"].as_str().unwrap()),
        &owner,
    )
    .await;
    assert!(e["contact_id"].is_null(), "the enquiry stays, unlinked");
    let p = get(
        &app,
        &format!("/projects/{}", project["id"].as_str().unwrap()),
        &owner,
    )
    .await;
    assert_eq!(p["contact_ids"], json!([]));
    let audit = get(&app, &format!("/audit?record={record}"), &owner).await;
    let text = audit.to_string();
    assert!(audit["items"].as_array().unwrap().len() >= 2, "{audit}");
    assert!(
        !text.contains("mia@client.example") && !text.contains("Mia Chen"),
        "{text}"
    );
    assert!(text.contains("[erased]"));
    // Deleting a company unlinks its contacts.
    let c2 = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Ivy", "company_id": company["id"]}),
        )
        .await;
    app.send_as(
        Method::DELETE,
        &format!("/companies/{}", company["id"].as_str().unwrap()),
        &owner,
        &json!({}),
    )
    .await;
    let ivy = get(
        &app,
        &format!("/contacts/{}", c2["id"].as_str().unwrap()),
        &owner,
    )
    .await;
    assert!(ivy["company_id"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn duplicates_are_found_by_normalised_email_and_phone_and_merged_keeping_history() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let a = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Mia Chen", "email": "mia@client.example", "tags": ["vip"]}),
        )
        .await;
    let b = app
        .post_as("/contacts", &owner, &json!({"name": "M. Chen", "email": "MIA@Client.Example", "phone": "+44 7700 900123", "tags": ["wedding"]}))
        .await;
    let c = app
        .post_as(
            "/contacts",
            &owner,
            &json!({"name": "Other", "phone": "+447700900123"}),
        )
        .await;
    let (aid, bid) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let dups = get(&app, &format!("/contacts/{bid}/duplicates"), &owner).await;
    let mut found = names(&dups, "id");
    found.sort();
    let mut expected = vec![aid.to_owned(), c["id"].as_str().unwrap().to_owned()];
    expected.sort();
    assert_eq!(found, expected);

    let note = app
        .post_as(
            "/notes",
            &owner,
            &json!({"body": "From B", "record": format!("contact:{bid}")}),
        )
        .await;
    let enquiry = app
        .post_as(
            "/enquiries",
            &owner,
            &json!({"title": "B's", "contact_id": bid}),
        )
        .await;
    let merged = app
        .send_as(
            Method::POST,
            &format!("/contacts/{aid}/merge"),
            &owner,
            &json!({"other_id": bid, "version": 1}),
        )
        .await;
    assert_eq!(merged.status(), 200);
    let merged: Value = merged.json().await.unwrap();
    assert_eq!(merged["phone"], "+447700900123", "filled from the other");
    assert_eq!(merged["name"], "Mia Chen", "kept its own");
    assert_eq!(merged["tags"], json!(["vip", "wedding"]));
    assert_eq!(merged["merged_ids"], json!([bid]));
    assert_eq!(
        app.get_auth(&format!("/contacts/{bid}"), &owner)
            .await
            .status(),
        404
    );
    let n = get(
        &app,
        &format!("/notes/{}", note["id"].as_str().unwrap()),
        &owner,
    )
    .await;
    assert_eq!(n["record"], format!("contact:{aid}"));
    let e = get(
        &app,
        &format!("/enquiries/{}", enquiry["id"].as_str().unwrap()),
        &owner,
    )
    .await;
    assert_eq!(e["contact_id"], aid);
    // The merged contact's history is still there, values and all.
    let history = get(&app, &format!("/audit?record=contact:{bid}"), &owner).await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["merge", "create"]);
    assert!(history.to_string().contains("M. Chen"));
    let self_merge = app
        .send_as(
            Method::POST,
            &format!("/contacts/{aid}/merge"),
            &owner,
            &json!({"other_id": aid, "version": 2}),
        )
        .await;
    assert_eq!(self_merge.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn p22_the_audit_trail_answers_per_record_per_actor_and_per_time_to_those_allowed() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let (fu_id, fu) = app
        .member("fu@bloom.example", &brand, Role::FullAccess)
        .await;
    let c = app.post_as("/contacts", &fu, &json!({"name": "Mia"})).await;
    let cid = c["id"].as_str().unwrap();
    patch(
        &app,
        &format!("/contacts/{cid}"),
        &fu,
        json!({"name": "Mia Chen", "version": 1}),
    )
    .await;
    let by_record = get(&app, &format!("/audit?record=contact:{cid}"), &owner).await;
    let items = by_record["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "update", "newest first");
    assert_eq!(
        items[0]["changes"],
        json!([{"field": "name", "before": "Mia", "after": "Mia Chen"}])
    );
    assert_eq!(items[0]["actor"], fu_id.to_string());
    assert_eq!(items[0]["ip"], "127.0.0.1");
    let by_actor = get(&app, &format!("/audit?actor={fu_id}"), &owner).await;
    let actions: Vec<&str> = by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Their joining the brand is in the brand's trail too (issue 8, finding 12).
    assert_eq!(actions, ["update", "create", "joined"]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let by_time = get(&app, &format!("/audit?from={today}&limit=1"), &owner).await;
    assert_eq!(by_time["items"].as_array().unwrap().len(), 1);
    let next = by_time["next_cursor"].as_str().unwrap();
    let page2 = get(
        &app,
        &format!("/audit?from={today}&limit=1&cursor={next}"),
        &owner,
    )
    .await;
    assert_ne!(page2["items"][0]["id"], by_time["items"][0]["id"]);
    let old = get(&app, "/audit?from=2020-01-01&to=2020-01-31", &owner).await;
    assert_eq!(old["items"], json!([]));
    assert_eq!(
        app.get_auth("/audit", &fu).await.status(),
        403,
        "full access cannot read the audit"
    );
    assert_eq!(
        app.get_auth("/audit?record=nope", &owner).await.status(),
        400
    );
    app.stop().await;
}
