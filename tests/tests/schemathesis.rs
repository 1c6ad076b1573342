//! Property-based API testing: schemathesis (PyPI) generates requests from the local stack's
//! own `/openapi.json` and sends them as a signed-in brand owner, with every check it has
//! (server errors; status codes, content types, headers and bodies as documented; requests the
//! document forbids refused and those it allows accepted; required headers; methods) through
//! its examples, coverage, fuzzing and stateful phases. Any finding fails the test.
//!
//! `tests/schemathesis/` holds its settings and the hooks that seed what a schema cannot say
//! (opaque cursors, ids of records that exist); see the hooks' docstring. `cargo xtask test`
//! installs schemathesis and names it in `ATELIER_SCHEMATHESIS`; without it this test fails
//! and says so.

use atelier_tests::app::TestApp;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// The seed of the generated requests: fixed, so a finding can be replayed.
const SEED: &str = "20261206";
const EXAMPLES_PER_OPERATION: &str = "30";

#[tokio::test(flavor = "multi_thread")]
async fn the_api_keeps_its_openapi_contract_under_generated_requests() {
    let bin = std::env::var("ATELIER_SCHEMATHESIS").expect(
        "ATELIER_SCHEMATHESIS must name the schemathesis binary: run `cargo xtask test`, \
         which installs it",
    );
    let app = TestApp::spawn().await;
    let (_, token) = app.brand_owner("ana@bloom.example", "bloom").await;
    let seeded = seed(&app, &token).await;

    let settings = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemathesis");
    let schema = app.url("/openapi.json");
    let report = tempfile::TempDir::new().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .arg("--config-file")
            .arg(settings.join("schemathesis.toml"))
            .args(["run", &schema])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-examples", EXAMPLES_PER_OPERATION, "--seed", SEED])
            .args(["--no-shrink", "--generation-database", "none"])
            // Ending the session or the account mid-run would turn the rest into 401s.
            .args([
                "--exclude-path-regex",
                r"^/(me|auth/logout|auth/password/change|auth/sessions/\{id\})$",
            ])
            .args(["--report-dir", report.path().to_str().unwrap()])
            // Its cache (`.schemathesis/`) goes with the report, not into the source tree.
            .current_dir(report.path())
            .env("SCHEMATHESIS_HOOKS", settings.join("hooks.py"))
            .env("ATELIER_SEEDED", seeded.to_string())
            .env("ATELIER_OPENAPI_URL", &schema)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.stop().await;
}

/// Records of every kind a reference can name, so generated requests can point at ones that
/// exist; their ids by what `x-references` calls them.
async fn seed(app: &TestApp, token: &str) -> Value {
    let id = |v: Value| v["id"].as_str().expect("created").to_owned();
    let contact = app
        .post_as(
            "/contacts",
            token,
            &json!({"name": "Mia Chen", "email": "mia@client.example"}),
        )
        .await;
    let company = app
        .post_as("/companies", token, &json!({"name": "Party Co"}))
        .await;
    let stages: Value = app
        .get_auth("/pipeline/stages", token)
        .await
        .json()
        .await
        .unwrap();
    let stage = stages["items"][0]["id"].as_str().unwrap().to_owned();
    let enquiry = app
        .post_as(
            "/enquiries",
            token,
            &json!({"title": "Smith wedding", "contact_id": contact["id"]}),
        )
        .await;
    let project = app
        .post_as(
            "/projects",
            token,
            &json!({"name": "Smith wedding arch", "stage_id": stage}),
        )
        .await;
    let me = app.user_id(token).await;
    json!({
        "contact": id(contact), "company": id(company), "stage": stage,
        "enquiry": id(enquiry), "project": id(project), "member": me.to_string(),
    })
}
