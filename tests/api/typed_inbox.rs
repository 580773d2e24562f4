//! The inbox's typed activities verify origin and authority before the domain acts: an
//! activity whose id is on another server than the actor who signed it, and an `Undo` of
//! someone else's follow, are refused (403) and change nothing; unknown types stay accepted
//! and ignored whatever they say.
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

const GROUP: &str = "query($h:String!){ group(handle:$h){ followersCount } }";

async fn followers(app: &TestApp) -> i64 {
    app.ok(GROUP, json!({"h": "community"}), None).await["group"]["followersCount"].as_i64().unwrap()
}

#[tokio::test]
async fn origin_and_authority_are_verified_before_the_domain_acts() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    // A third server, where neither the signer nor the inbox lives.
    let c = spawn_app().await;
    b.register("alice").await;
    b.register("mallory").await;
    let inbox = format!("http://{}/inbox", a.domain());
    let group = format!("http://{}/groups/community", a.domain());
    let (alice_id, alice_key) = actor_key(&b, &format!("http://{}/members/alice", b.domain())).await;
    let (mallory_id, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;

    // Origin: an activity id on another server than its signer's (the library refuses ids on
    // the receiving server itself, 400, and compares host names only).
    let elsewhere = json!({
        "id": format!("http://{}/test-activities/follow-elsewhere", c.domain()),
        "type": "Follow",
        "actor": alice_id,
        "object": group,
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &elsewhere, Tamper::default()).await, 403);
    assert_eq!(followers(&a).await, 0);

    let follow = json!({
        "id": format!("http://{}/test-activities/follow-1", b.domain()),
        "type": "Follow",
        "actor": alice_id,
        "object": group,
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &follow, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 1);

    // Authority: Mallory cannot take back Alice's follow.
    let undo_by_mallory = json!({
        "id": format!("http://{}/test-activities/undo-m", b.domain()),
        "type": "Undo",
        "actor": mallory_id,
        "object": follow,
    });
    assert_eq!(post_signed(&inbox, &mallory_id, &mallory_key, &undo_by_mallory, Tamper::default()).await, 403);
    assert_eq!(followers(&a).await, 1);

    // Unknown types are accepted and ignored, whatever they say.
    let like = json!({
        "id": format!("http://{}/test-activities/like-elsewhere", c.domain()),
        "type": "Like",
        "actor": alice_id,
        "object": group,
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &like, Tamper::default()).await, 202);

    // Alice takes back her own.
    let undo = json!({
        "id": format!("http://{}/test-activities/undo-1", b.domain()),
        "type": "Undo",
        "actor": alice_id,
        "object": follow,
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &undo, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 0);
}
