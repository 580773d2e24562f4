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
