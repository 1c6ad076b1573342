//! Property-based API testing: schemathesis (PyPI) generates requests from the local stack's
//! own `/openapi.json`, sends them as a signed-in brand owner, and fails on any 5xx or any
//! response that breaks its documented schema. `cargo xtask test` installs it and names it in
//! `ATELIER_SCHEMATHESIS`; without it this test fails and says so.

use atelier_tests::app::TestApp;
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn the_api_keeps_its_openapi_contract_under_generated_requests() {
    let bin = std::env::var("ATELIER_SCHEMATHESIS").expect(
        "ATELIER_SCHEMATHESIS must name the schemathesis binary: run `cargo xtask test`, \
         which installs it",
    );
    let app = TestApp::spawn().await;
    let (_, token) = app.brand_owner("ana@bloom.example", "bloom").await;
    // Some records to aim at, so not every generated id is a 404.
    app.post_as(
        "/contacts",
        &token,
        &serde_json::json!({"name": "Mia Chen", "email": "mia@client.example"}),
    )
    .await;
    let schema = app.url("/openapi.json");
    let report = tempfile::TempDir::new().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(["run", &schema])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "8", "--seed", "20261122", "--no-shrink"])
            .args(["--generation-database", "none"])
            // Ending the session or the account mid-run would turn the rest into 401s.
            .args([
                "--exclude-path-regex",
                r"^/(me|auth/logout|auth/password/change|auth/sessions/\{id\})$",
            ])
            .args(["--report-dir", report.path().to_str().unwrap()])
            // Its cache (`.schemathesis/`) goes with the report, not into the source tree.
            .current_dir(report.path())
            .env("SCHEMATHESIS_HOOKS", "")
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
