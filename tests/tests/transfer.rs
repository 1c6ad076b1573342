//! Files, CSV import and export, the full JSON export (P25) and the public enquiry form.

use atelier_tests::app::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.post_bytes(&format!("/files?{query}"), token, content_type, body)
        .await
}

#[tokio::test]
async fn files_upload_download_and_refuse_what_they_are_not() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let c = app
        .post_as("/contacts", &owner, &json!({"name": "Mia"}))
        .await;
    let record = format!("contact:{}", c["id"].as_str().unwrap());
    let pdf = b"%PDF-1.7\nquote".to_vec();
    let resp = upload(
        &app,
        &owner,
        &format!("name=Quote%20v2.pdf&record={record}"),
        "application/pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let file: Value = resp.json().await.unwrap();
    assert_eq!(file["size"], pdf.len());
    assert_eq!(file["record"], record);
    let fid = file["id"].as_str().unwrap();
    let got = app.get_auth(&format!("/files/{fid}/content"), &owner).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("Quote%20v2.pdf")
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    let listed: Value = app
        .get_auth(&format!("/files?record={record}"), &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let spoofed = upload(
        &app,
        &owner,
        "name=x.pdf",
        "application/pdf",
        b"<script>".to_vec(),
    )
    .await;
    assert_eq!(spoofed.status(), 422);
    let exe = upload(
        &app,
        &owner,
        "name=x.exe",
        "application/x-msdownload",
        b"MZ".to_vec(),
    )
    .await;
    assert_eq!(exe.status(), 422);
    let big = upload(
        &app,
        &owner,
        "name=big.txt",
        "text/plain",
        vec![b'a'; 4 * 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(big.status(), 413);
    let nameless = upload(&app, &owner, "", "text/plain", b"hi".to_vec()).await;
    assert_eq!(nameless.status(), 400);
    let elsewhere = upload(
        &app,
        &owner,
        "name=a.txt&record=contact:01JD3Q0000000000000000000A",
        "text/plain",
        b"hi".to_vec(),
    )
    .await;
    assert_eq!(elsewhere.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn a_10000_row_import_reports_duplicates_and_bad_rows_and_round_trips_through_export() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    app.post_as(
        "/contacts",
        &owner,
        &json!({"name": "Existing", "email": "row5@client.example"}),
    )
    .await;
    let mut csv = String::from("Full Name,E-mail,Phone,Tags,City\n");
    for i in 0..10_000 {
        let email = match i {
            7 => "not an address".to_owned(),
            9 => "row8@client.example".to_owned(), // same as an earlier row
            _ => format!("row{i}@client.example"),
        };
        let name = if i == 11 {
            String::new()
        } else {
            format!("Client {i}")
        };
        writeln!(csv, "{name},{email},+44 7700 {:06},vip;Wedding,Leeds", i).unwrap();
    }
    let mapping = json!({"Full Name": "name", "E-mail": "email", "Phone": "phone", "Tags": "tags", "City": "address.city"});
    let dry: Value = app
        .send_as(
            Method::POST,
            "/imports/contacts",
            &owner,
            &json!({"csv": csv, "mapping": mapping, "dry_run": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dry["rows"], 10_000);
    assert_eq!(dry["valid"], 9_998, "{}", dry["errors"]);
    let errors: Vec<(u64, &str)> = dry["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, vec![(9, "email"), (13, "name")]);
    let dups = dry["duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 2, "{dups:?}");
    assert!(
        dups.iter()
            .any(|d| d["row"] == 7 && d["existing_id"].is_string())
    );
    assert!(
        dups.iter()
            .any(|d| d["row"] == 11 && d["same_as_row"] == 10)
    );
    assert_eq!(count(&app, &owner).await, 1, "a dry run writes nothing");

    // Invalid rows stop a real import whole…
    let refused = app
        .send_as(
            Method::POST,
            "/imports/contacts",
            &owner,
            &json!({"csv": csv, "mapping": mapping}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(count(&app, &owner).await, 1, "nothing half-imported");
    // …unless told to skip them.
    let done = app
        .send_as(
            Method::POST,
            "/imports/contacts",
            &owner,
            &json!({"csv": csv, "mapping": mapping, "skip_invalid": true}),
        )
        .await;
    assert_eq!(done.status(), 201);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["created"], 9_996);
    assert_eq!(done["skipped_duplicates"], 2);
    assert_eq!(done["skipped_invalid"], 2);
    assert_eq!(count(&app, &owner).await, 9_997);

    // Export, then import the export into another brand: everything comes back.
    let exported = app.get_auth("/exports/csv/contacts", &owner).await;
    assert_eq!(
        exported.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let exported = exported.text().await.unwrap();
    assert!(
        exported.contains("'+447700"),
        "formula-looking cells are guarded"
    );
    let (_, other) = app.brand_owner("bea@party.example", "party").await;
    let stripped: String = {
        // owner_id names brand A's member: not importable elsewhere, so map it out.
        let mut r = csv_header_without(&exported, "owner_id");
        r.push('\n');
        r
    };
    // Over a megabyte: sent as the file itself.
    assert!(stripped.len() > 1024 * 1024);
    let again: Value = app
        .post_bytes("/imports/contacts", &other, "text/csv", stripped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], 9_997, "{again}");
    let b_export = app
        .get_auth("/exports/csv/contacts", &other)
        .await
        .text()
        .await
        .unwrap();
    let row = |csv: &str, email: &str| -> Vec<String> {
        let line = csv.lines().find(|l| l.contains(email)).unwrap().to_owned();
        // name, email, phone, address, tags: the columns after id
        line.split(',').skip(1).take(9).map(str::to_owned).collect()
    };
    assert_eq!(
        row(&exported, "row42@client.example"),
        row(&b_export, "row42@client.example")
    );
    app.stop().await;
}

/// How many contacts the brand's CSV export holds.
async fn count(app: &TestApp, token: &str) -> usize {
    let text = app
        .get_auth("/exports/csv/contacts", token)
        .await
        .text()
        .await
        .unwrap();
    csv::Reader::from_reader(text.as_bytes()).records().count()
}

/// The CSV with one column emptied (header kept, so the mapping still sees it).
fn csv_header_without(csv: &str, column: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let idx = headers.iter().position(|h| h == column).unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        out.write_record(
            r.iter()
                .enumerate()
                .map(|(i, c)| if i == idx { "" } else { c }),
        )
        .unwrap();
    }
    String::from_utf8(out.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_owned()
}

#[tokio::test]
async fn p25_the_full_json_export_runs_in_the_background_with_progress_and_a_download() {
    let app = TestApp::spawn().await;
    let (brand, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let c = app
        .post_as("/contacts", &owner, &json!({"name": "Mia Chen"}))
        .await;
    app.post_as(
        "/projects",
        &owner,
        &json!({"name": "Chen wedding", "contact_ids": [c["id"]]}),
    )
    .await;
    let job = app
        .send_as(Method::POST, "/exports", &owner, &json!({}))
        .await;
    assert_eq!(job.status(), 202);
    let job: Value = job.json().await.unwrap();
    let id = job["id"].as_str().unwrap().to_owned();
    let mut done = Value::Null;
    for _ in 0..100 {
        done = app
            .get_auth(&format!("/exports/{id}"), &owner)
            .await
            .json()
            .await
            .unwrap();
        if done["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress"], done["total"]);
    let url = done["download_url"].as_str().unwrap();
    let file: Value = app.get_auth(url, &owner).await.json().await.unwrap();
    assert_eq!(file["brand_id"], brand.to_string());
    assert_eq!(file["records"]["contacts"][0]["name"], "Mia Chen");
    assert_eq!(file["records"]["projects"][0]["name"], "Chen wedding");
    assert_eq!(
        file["records"]["pipeline_stages"].as_array().unwrap().len(),
        5
    );
    let (_, fu) = app
        .member(
            "fu@bloom.example",
            &brand,
            atelier_core::domain::Role::FullAccess,
        )
        .await;
    assert_eq!(app.get_auth(url, &fu).await.status(), 403);
    assert_eq!(
        app.send_as(Method::POST, "/exports", &fu, &json!({}))
            .await
            .status(),
        403
    );
    app.stop().await;
}

#[tokio::test]
async fn the_public_form_records_an_enquiry_matches_the_contact_and_tells_the_owners() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    app.post_as(
        "/contacts",
        &owner,
        &json!({"name": "Mia Chen", "email": "mia@client.example"}),
    )
    .await;
    let form = json!({"name": "Mia", "email": "MIA@client.example", "event_type": "wedding",
        "event_date": "2027-06-19", "guest_count": 80, "message": "Arch please",
        "utm_source": "google", "utm_campaign": "summer"});
    let resp = app.post_json("/public/bloom/enquiries", &form).await;
    assert_eq!(resp.status(), 202);
    let enquiries: Value = app
        .get_auth("/enquiries", &owner)
        .await
        .json()
        .await
        .unwrap();
    let e = &enquiries["items"][0];
    assert_eq!(e["source"], "web_form");
    assert_eq!(e["utm"], json!({"source": "google", "campaign": "summer"}));
    let contacts: Value = app
        .get_auth("/contacts", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        contacts["items"].as_array().unwrap().len(),
        1,
        "matched, not duplicated"
    );
    assert_eq!(e["contact_id"], contacts["items"][0]["id"]);
    let outbox: Value = app.get("/dev/outbox").await.json().await.unwrap();
    assert!(
        outbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["to"] == "ana@bloom.example"
                && m["subject"].as_str().unwrap().contains("enquiry"))
    );

    // A new visitor becomes a contact.
    let leo = app
        .post_json(
            "/public/bloom/enquiries",
            &json!({"name": "Leo", "phone": "07700 900123"}),
        )
        .await;
    assert_eq!(leo.status(), 202, "{}", leo.text().await.unwrap());
    let contacts: Value = app
        .get_auth("/contacts?source=web_form", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contacts["items"][0]["name"], "Leo");
    app.stop().await;
}

#[tokio::test]
async fn the_public_form_drops_bots_refuses_bad_payloads_and_rate_limits() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    let bot = app
        .post_json(
            "/public/bloom/enquiries",
            &json!({"name": "Bot", "email": "bot@spam.example", "website": "http://spam.example"}),
        )
        .await;
    assert_eq!(bot.status(), 202, "a bot is told it worked");
    let enquiries: Value = app
        .get_auth("/enquiries", &owner)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enquiries["items"], json!([]), "and nothing is stored");

    for (body, status) in [
        (json!({"name": "Mia"}), 422),
        (json!({"name": "Mia", "email": "nope"}), 422),
        (
            json!({"name": "Mia", "email": "m@x.example", "event_date": "next week"}),
            422,
        ),
        (
            json!({"name": "Mia", "email": "m@x.example", "admin": true}),
            422,
        ),
        (json!("just a string"), 422),
    ] {
        let r = app.post_json("/public/bloom/enquiries", &body).await;
        assert_eq!(r.status(), status, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(
        app.post_json(
            "/public/nobody/enquiries",
            &json!({"name": "Mia", "email": "m@x.example"})
        )
        .await
        .status(),
        404
    );
    // The IP's allowance is spent by the requests above; the next ones are refused.
    let mut last = 0;
    for i in 0..12 {
        last = app
            .post_json(
                "/public/bloom/enquiries",
                &json!({"name": format!("V{i}"), "email": format!("v{i}@x.example")}),
            )
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    app.stop().await;
}
