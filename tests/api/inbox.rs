//! The inbox refuses what it must: unsigned, forged, tampered, stale or future-dated requests,
//! blocked domains; it handles each activity id once; it ignores what it does not know.
use serde_json::json;

use crate::helpers::{code, spawn_app, TestApp};
use crate::peer::{actor_key, post_signed, post_unsigned, Tamper};

const GROUP: &str = "query($h:String!){ group(handle:$h){ followersCount } }";

async fn followers(app: &TestApp) -> i64 {
    app.ok(GROUP, json!({"h": "community"}), None).await["group"]["followersCount"].as_i64().unwrap()
}

fn follow(b: &TestApp, a: &TestApp, actor: &str, n: u32) -> serde_json::Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/test-activities/follow-{n}", b.domain()),
        "type": "Follow",
        "actor": actor,
        "object": format!("http://{}/groups/community", a.domain()),
    })
}

#[tokio::test]
async fn signed_follow_is_accepted_and_everything_else_refused() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    b.register("alice").await;
    b.register("mallory").await;
    let inbox = format!("http://{}/inbox", a.domain());
    let (alice_id, alice_key) = actor_key(&b, &format!("http://{}/members/alice", b.domain())).await;
    let (_, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;

    // Not JSON, or not an activity.
    assert_eq!(post_unsigned(&inbox, b"{not json").await, 400);
    assert_eq!(post_unsigned(&inbox, br#"{"type":"Follow"}"#).await, 400);
    // Unsigned.
    let activity = follow(&b, &a, &alice_id, 1);
    assert_eq!(post_unsigned(&inbox, activity.to_string().as_bytes()).await, 401);
    // Signed by someone else's key while claiming to be alice.
    assert_eq!(post_signed(&inbox, &alice_id, &mallory_key, &activity, Tamper::default()).await, 401);
    // Body changed after signing (Digest mismatch), or no Digest at all.
    let tampered = Tamper {
        body_after_signing: Some(follow(&b, &a, &alice_id, 99).to_string().into_bytes()),
        ..Default::default()
    };
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &activity, tampered).await, 401);
    assert_eq!(
        post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper { no_digest: true, ..Default::default() }).await,
        401
    );
    // Outside the clock-skew window: a day old, or two hours ahead.
    let old = httpdate::fmt_http_date(std::time::SystemTime::now() - std::time::Duration::from_secs(86_400));
    assert_eq!(
        post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper { date: Some(old), ..Default::default() }).await,
        401
    );
    let ahead = httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(7_200));
    assert_eq!(
        post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper { date: Some(ahead), ..Default::default() }).await,
        401
    );
    assert_eq!(followers(&a).await, 0, "nothing above had an effect");

    // Properly signed: accepted, and A answers with a signed Accept.
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 1);
    assert_eq!(a.deliver().await.sent, 1);

    // A replay of the same activity (same id) is acknowledged and does nothing.
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper::default()).await, 202);
    assert_eq!(a.deliver().await.total(), 0, "no second Accept");

    // Undo, then a replay of the original Follow: still unfollowed (ids are handled once).
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/test-activities/undo-1", b.domain()),
        "type": "Undo",
        "actor": alice_id,
        "object": activity,
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &undo, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 0);
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &activity, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 0);

    // Types we do not handle are accepted and ignored.
    let like = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/test-activities/like-1", b.domain()),
        "type": "Like",
        "actor": alice_id,
        "object": format!("http://{}/groups/community", a.domain()),
    });
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &like, Tamper::default()).await, 202);
    // Per-actor inboxes work the same way.
    let direct = follow(&b, &a, &alice_id, 2);
    let group_inbox = format!("http://{}/groups/community/inbox", a.domain());
    assert_eq!(post_signed(&group_inbox, &alice_id, &alice_key, &direct, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 1);
}

#[tokio::test]
async fn blocked_domains_are_refused_both_ways() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let c = spawn_app().await;
    let admin = a.admin("root_admin").await;
    let alice = b.register("alice").await;
    let carol = c.register("carol").await;
    let community_a = format!("community@{}", a.domain());

    // Only admins manage the list.
    let v = a
        .gql("mutation($d:String!){ blockDomain(domain:$d){ domain } }", json!({"d": c.domain()}), Some(&alice.access))
        .await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "alice has no account on A");
    let block = a
        .ok(
            "mutation($d:String!){ blockDomain(domain:$d, reason:\"spam\"){ domain reason } }",
            json!({"d": c.domain()}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(block["blockDomain"]["domain"], c.domain());
    let listed = a.ok("{ blockedDomains { domain reason } }", json!({}), Some(&admin.access)).await;
    assert_eq!(listed["blockedDomains"][0]["reason"], "spam");

    // C's signed Follow is refused with 403.
    let (carol_id, carol_key) = actor_key(&c, &format!("http://{}/members/carol", c.domain())).await;
    let activity = follow(&c, &a, &carol_id, 1);
    assert_eq!(
        post_signed(&format!("http://{}/inbox", a.domain()), &carol_id, &carol_key, &activity, Tamper::default()).await,
        403
    );
    // Through GraphQL and the queue too: C's follow never lands.
    c.ok("mutation($h:String!){ follow(handle:$h){ id } }", json!({"h": community_a}), Some(&carol.access)).await;
    c.deliver().await;
    assert_eq!(followers(&a).await, 0);

    // B, not blocked, follows; A's updates go to B and never to C.
    b.ok("mutation($h:String!){ follow(handle:$h){ id } }", json!({"h": community_a}), Some(&alice.access)).await;
    b.deliver().await;
    a.deliver().await;
    assert_eq!(followers(&a).await, 1);
    let gid = a.ok("{ group(handle:\"community\"){ id } }", json!({}), None).await["group"]["id"].clone();
    a.ok(
        "mutation($g:ID!){ updateGroup(groupId:$g, input:{name:\"Renamed\"}){ name } }",
        json!({"g": gid}),
        Some(&admin.access),
    )
    .await;
    let report = a.deliver().await;
    assert_eq!(report.sent, 1);
    // A refuses to look up actors on C.
    let v = a
        .gql("query($h:String!){ member(handle:$h){ id } }", json!({"h": format!("carol@{}", c.domain())}), None)
        .await;
    assert_eq!(code(&v), "FORBIDDEN");

    // Unblocking lets C in again.
    a.ok("mutation($d:String!){ unblockDomain(domain:$d) }", json!({"d": c.domain()}), Some(&admin.access)).await;
    assert_eq!(
        post_signed(&format!("http://{}/inbox", a.domain()), &carol_id, &carol_key, &activity, Tamper::default()).await,
        202
    );
    assert_eq!(followers(&a).await, 2);
}

#[tokio::test]
async fn deliveries_survive_restarts_and_arrive_once() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let alice = b.register("alice").await;
    let community_a = format!("community@{}", a.domain());
    // B knows A's group; then A goes down.
    b.ok("{ instance { name } }", json!({}), None).await;
    b.ok("query($h:String!){ group(handle:$h){ id } }", json!({"h": community_a}), Some(&alice.access)).await;
    let a_stopped = a.stop().await;

    // B's Follow cannot be delivered: it stays queued for a retry.
    b.ok("mutation($h:String!){ follow(handle:$h){ id } }", json!({"h": community_a}), Some(&alice.access)).await;
    let first = b.deliver().await;
    assert_eq!((first.sent, first.retried), (0, 1));
    // Not due again yet.
    assert_eq!(b.deliver().await.total(), 0);

    // The sender restarts (same database); the receiver comes back.
    let b = b.stop().await.start().await;
    let a = a_stopped.start().await;
    // Later, when the retry is due, it is delivered, once.
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    let second = b.deliver_at(later).await;
    assert_eq!((second.sent, second.retried), (1, 0));
    assert_eq!(b.deliver_at(later + chrono::Duration::days(3)).await.total(), 0, "nothing left to send");
    assert_eq!(followers(&a).await, 1);
    // A answers; B's follow is accepted.
    assert_eq!(a.deliver().await.sent, 1);
    let f = b
        .ok(
            "mutation($h:String!){ follow(handle:$h){ accepted } }",
            json!({"h": community_a}),
            Some(&b.login("alice", "correct horse battery").await.access),
        )
        .await;
    assert_eq!(f["follow"]["accepted"], true);
    use sea_orm::{EntityTrait, PaginatorTrait};
    let received = weave::db::inbound_activity::Entity::find().count(&a.state.db).await.unwrap();
    assert_eq!(received, 1, "the Follow arrived exactly once");

    // Housekeeping forgets finished deliveries after a week and received ids after a month.
    let now = chrono::Utc::now();
    assert_eq!(weave::federation::delivery::prune(&b.state, now).await.unwrap(), (0, 0));
    assert_eq!(weave::federation::delivery::prune(&b.state, now + chrono::Duration::days(8)).await.unwrap(), (0, 1));
    assert_eq!(weave::federation::delivery::prune(&a.state, now + chrono::Duration::days(31)).await.unwrap().0, 1);
}

#[tokio::test]
async fn failing_deliveries_back_off_then_give_up_and_mark_the_server_dead() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let alice = b.register("alice").await;
    let community_a = format!("community@{}", a.domain());
    b.ok("query($h:String!){ group(handle:$h){ id } }", json!({"h": community_a}), Some(&alice.access)).await;
    let a_down = a.stop().await;
    b.ok("mutation($h:String!){ follow(handle:$h){ id } }", json!({"h": community_a}), Some(&alice.access)).await;
    let mut now = chrono::Utc::now();
    let mut retried = 0;
    let mut failed = 0;
    let mut attempts_at = Vec::new();
    // Three days in half-hour steps.
    for _ in 0..(3 * 48) {
        let r = b.deliver_at(now).await;
        if r.total() > 0 {
            attempts_at.push(now);
        }
        retried += r.retried;
        failed += r.failed + r.skipped;
        now += chrono::Duration::minutes(30);
    }
    assert_eq!(retried, 10, "ten retries");
    assert_eq!(failed, 1, "then the delivery fails for good");
    let gaps: Vec<i64> = attempts_at.windows(2).map(|w| (w[1] - w[0]).num_minutes()).collect();
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "waits grow: {gaps:?}");
    let span = (*attempts_at.last().unwrap() - attempts_at[0]).num_hours();
    assert!((40..=60).contains(&span), "retries span about two days, not {span}h");
    use sea_orm::EntityTrait;
    let health = weave::db::remote_instance::Entity::find_by_id(community_a.split('@').nth(1).unwrap().to_string())
        .one(&b.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(health.dead_since.is_some(), "two days of failures mark the server dead");

    // Hours after the last failure, a new delivery is tried once (a probe); it fails...
    b.ok("mutation($h:String!){ unfollow(handle:$h) }", json!({"h": community_a}), Some(&alice.access)).await;
    let r = b.deliver_at(now).await;
    assert_eq!((r.retried, r.sent), (1, 0), "{r:?}");
    // ...so its retry waits for the next probe instead of being attempted.
    let r = b.deliver_at(now + chrono::Duration::minutes(5)).await;
    assert_eq!((r.postponed, r.retried, r.sent), (1, 0, 0), "{r:?}");
    // The server is back; the next probe goes through and revives it.
    let _a = a_down.start().await;
    let r = b.deliver_at(now + chrono::Duration::hours(7)).await;
    assert_eq!(r.sent, 1, "{r:?}");
    let health = weave::db::remote_instance::Entity::find_by_id(community_a.split('@').nth(1).unwrap().to_string())
        .one(&b.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(health.dead_since.is_none());
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_request_is_taken_over_by_the_retry() {
    use sea_orm::{ActiveModelTrait, Set};
    let a = spawn_app().await;
    let b = spawn_app().await;
    b.register("alice").await;
    let inbox = format!("http://{}/inbox", a.domain());
    let (alice_id, alice_key) = actor_key(&b, &format!("http://{}/members/alice", b.domain())).await;
    let fresh = follow(&b, &a, &alice_id, 1);
    let crashed = follow(&b, &a, &alice_id, 2);
    // Claims as a request leaves them when it dies between the signature check and the
    // handling: one just now (still in flight), one ten minutes ago (its request is gone).
    for (activity, age) in [(&fresh, 0), (&crashed, 600)] {
        weave::db::inbound_activity::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            ap_id: Set(activity["id"].as_str().unwrap().to_string()),
            actor_ap_id: Set(alice_id.clone()),
            kind: Set("Follow".into()),
            received_at: Set(chrono::Utc::now() - chrono::Duration::seconds(age)),
            handled_at: Set(None),
        }
        .insert(&a.state.db)
        .await
        .unwrap();
    }
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &fresh, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 0, "an activity in flight elsewhere is not handled twice");
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &crashed, Tamper::default()).await, 202);
    assert_eq!(followers(&a).await, 1, "the stale claim was taken over and the Follow handled");
    // Now it is handled: a replay does nothing more.
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &crashed, Tamper::default()).await, 202);
    assert_eq!(a.deliver().await.sent, 1, "one Accept");
}

#[tokio::test]
async fn parallel_first_deliveries_from_a_new_actor_all_succeed_with_one_row() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let a = spawn_app().await;
    let b = spawn_app().await;
    b.register("alice").await;
    b.register("mallory").await;
    let inbox = format!("http://{}/inbox", a.domain());
    let (alice_id, alice_key) = actor_key(&b, &format!("http://{}/members/alice", b.domain())).await;
    let (_, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;
    let alice_handle = format!("alice@{}", b.domain());

    // A forged request makes A fetch alice's document, but she is not verified by it: she
    // stays out of the directory.
    let forged = follow(&b, &a, &alice_id, 1);
    assert_eq!(post_signed(&inbox, &alice_id, &mallory_key, &forged, Tamper::default()).await, 401);
    assert!(!listed(&a).await.contains(&alice_handle));

    // Four first deliveries at once from a new actor: every one is taken.
    let b2 = spawn_app().await;
    b2.register("newcomer").await;
    let (new_id, new_key) = actor_key(&b2, &format!("http://{}/members/newcomer", b2.domain())).await;
    let activities: Vec<_> = (0..4)
        .map(|n| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("http://{}/test-activities/like-{n}", b2.domain()),
                "type": "Like",
                "actor": new_id,
                "object": format!("http://{}/groups/community", a.domain()),
            })
        })
        .collect();
    let sends = activities.iter().map(|act| post_signed(&inbox, &new_id, &new_key, act, Tamper::default()));
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(statuses, vec![202; 4]);
    let rows = weave::db::member::Entity::find()
        .filter(weave::db::member::Column::ApId.eq(new_id.as_str()))
        .count(&a.state.db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    // A verified signature lists the actor.
    assert!(listed(&a).await.contains(&format!("newcomer@{}", b2.domain())));

    // Alice's own signature verifies her too.
    assert_eq!(post_signed(&inbox, &alice_id, &alice_key, &forged, Tamper::default()).await, 202);
    assert!(listed(&a).await.contains(&alice_handle));
}

/// The handles the member directory lists.
async fn listed(app: &TestApp) -> Vec<String> {
    app.ok("{ members(first:50){ edges { node { handle } } } }", json!({}), None).await["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["handle"].as_str().unwrap().to_string())
        .collect()
}

/// A stand-in for the actor's server that counts every connection made to it (answers 404).
async fn counting_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ =
                    socket.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            });
        }
    });
    (port, hits)
}

#[tokio::test]
async fn unsigned_or_underspecified_posts_fetch_nothing_and_store_nothing() {
    use base64::Engine as _;
    use sea_orm::{EntityTrait, PaginatorTrait};
    use sha2::Digest as _;
    let app = spawn_app().await;
    let (port, hits) = counting_server().await;
    let actor = format!("http://localhost:{port}/users/mallory");
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://localhost:{port}/activities/1"),
        "type": "Follow",
        "actor": actor,
        "object": format!("http://{}/groups/community", app.domain()),
    });
    let body = activity.to_string();
    let digest = format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body)));
    let post = |signature: Option<String>| {
        let mut req = app
            .client
            .post(format!("{}/inbox", app.address))
            .header("content-type", "application/activity+json")
            .header("date", httpdate::fmt_http_date(std::time::SystemTime::now()))
            .header("digest", digest.clone())
            .body(body.clone());
        if let Some(s) = signature {
            req = req.header("signature", s);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let all = "(request-target) host date digest";
    let refused = [
        None,
        // The key is on another server than the actor.
        Some(format!(
            r#"keyId="http://localhost:1/users/mallory#main-key",algorithm="rsa-sha256",headers="{all}",signature="YWJj""#
        )),
        // Only the date is signed (no `headers`), or not the digest.
        Some(format!(r#"keyId="{actor}#main-key",algorithm="rsa-sha256",signature="YWJj""#)),
        Some(format!(
            r#"keyId="{actor}#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="YWJj""#
        )),
        Some("garbage".to_string()),
    ];
    for signature in refused {
        assert_eq!(post(signature.clone()).await, 401, "{signature:?}");
    }
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing was fetched");
    assert_eq!(weave::db::inbound_activity::Entity::find().count(&app.state.db).await.unwrap(), 0);
    assert_eq!(weave::db::member::Entity::find().count(&app.state.db).await.unwrap(), 0);

    // Control: a complete (if forged) signature goes on to the library, which looks the actor
    // up on its server — the counter sees that — and refuses.
    let forged = format!(r#"keyId="{actor}#main-key",algorithm="rsa-sha256",headers="{all}",signature="YWJj""#);
    assert_eq!(post(Some(forged)).await, 401);
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) > 0, "the control request fetched the actor");
    assert_eq!(weave::db::inbound_activity::Entity::find().count(&app.state.db).await.unwrap(), 0);
}
