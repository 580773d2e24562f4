//! One rule each: a handle means the same wherever it is written (see `domain::handles`).
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn our_own_domain_written_out_names_the_local_account_in_every_filter() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let community = app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();
    app.ok(
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
        json!({"i": {"groupId": community, "title": "Hello", "body": "Hi all", "kind": "QUESTION"}}),
        Some(&alice.access),
    )
    .await;
    let domain = app.domain().to_uppercase();
    for handle in ["community".to_string(), "@Community".to_string(), format!("@community@{domain}")] {
        let v = app.ok("query($h:String!){ group(handle:$h){ id } }", json!({"h": handle}), None).await;
        assert_eq!(v["group"]["id"], community, "{handle}");
        let v = app
            .ok("query($h: String!) { threads(filter: {groupHandle: $h}) { totalCount } }", json!({"h": handle}), None)
            .await;
        assert_eq!(v["threads"]["totalCount"], 1, "{handle}: {v}");
    }
    let v = app.ok("query($h:String!){ member(handle:$h){ id } }", json!({"h": format!("Alice@{domain}")}), None).await;
    assert!(v["member"]["id"].is_string(), "{v}");
}

/// `domain::visibility`: e-mail and account status for the member and instance admins, the
/// calendar address for the member alone.
#[tokio::test]
async fn account_details_are_for_the_member_and_admins_and_the_calendar_for_the_member_alone() {
    let app = spawn_app().await;
    let root = app.admin("root_admin").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let q = "{ member(handle: \"alice\") { email accountStatus calendarUrl } }";
    let seen = |v: &serde_json::Value| {
        let m = &v["member"];
        (
            m["email"].as_str().map(str::to_string),
            m["accountStatus"].as_str().map(str::to_string),
            m["calendarUrl"].is_string(),
        )
    };
    let by_bob = app.ok(q, json!({}), Some(&bob.access)).await;
    assert_eq!(seen(&by_bob), (None, None, false), "another member: {by_bob}");
    let by_root = app.ok(q, json!({}), Some(&root.access)).await;
    assert_eq!(seen(&by_root), (Some("alice@example.org".into()), Some("ACTIVE".into()), false), "an admin: {by_root}");
    let by_alice = app.ok(q, json!({}), Some(&alice.access)).await;
    assert_eq!(seen(&by_alice), (Some("alice@example.org".into()), Some("ACTIVE".into()), true), "herself: {by_alice}");
}
