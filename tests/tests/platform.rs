//! The platform operator's routes: only for super_admins, each use audited (P03).

use atelier_core::app::platform;
use atelier_core::ports::Query;
use atelier_tests::app::TestApp;
use serde_json::Value;

#[tokio::test]
async fn p03_only_operators_reach_the_platform_routes_and_every_use_is_audited() {
    let app = TestApp::spawn().await;
    let (bloom, owner) = app.brand_owner("ana@bloom.example", "bloom").await;
    app.brand_owner("bea@party.example", "party").await;
    let (op, _) = app.account("ops@atelier.example").await;
    // Before the grant, and for brand owners, the platform routes are closed.
    for token in [&op, &owner] {
        assert_eq!(app.get_auth("/admin/brands", token).await.status(), 403);
        let suspend = app
            .http
            .post(app.url(&format!("/admin/brands/{bloom}/suspend")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(suspend.status(), 403);
    }
    let op_id = platform::grant_operator(&app.running.ctx, "ops@atelier.example")
        .await
        .unwrap();

    let brands: Value = app
        .get_auth("/admin/brands", &op)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(brands.as_array().unwrap().len(), 2);
    let members: Value = app
        .get_auth(&format!("/admin/brands/{bloom}/members"), &op)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members[0]["email"], "ana@bloom.example");

    let suspend = app
        .http
        .post(app.url(&format!("/admin/brands/{bloom}/suspend")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(suspend.status(), 204);
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &owner)
            .await
            .status(),
        401,
        "a suspended brand opens nothing"
    );
    let restore = app
        .http
        .post(app.url(&format!("/admin/brands/{bloom}/restore")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(restore.status(), 204);
    assert_eq!(
        app.get_auth(&format!("/brands/{bloom}/members"), &owner)
            .await
            .status(),
        200
    );

    let month = app.running.ctx.clock.now().format("%Y-%m");
    let audit = app
        .running
        .ctx
        .table
        .query(Query::partition(format!("AUDIT#U#{op_id}#{month}")))
        .await
        .unwrap();
    let events: Vec<String> = audit
        .items
        .iter()
        .map(|i| i.get("event").unwrap().as_str().unwrap().to_owned())
        .collect();
    for event in [
        "platform.brands_listed",
        "platform.members_viewed",
        "platform.brand_suspended",
        "platform.brand_restored",
    ] {
        assert!(
            events.contains(&event.to_owned()),
            "{event} audited: {events:?}"
        );
    }
    app.stop().await;
}
