//! How delivery outcomes are classified: what is retried, what fails for good and says why.
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_app, spawn_with, TestApp};

/// A signed-by-`member` activity with one delivery to `inbox`, written as the outbox would.
async fn enqueue(app: &TestApp, member_id: &str, inbox: &str) -> Uuid {
    let member_id = Uuid::parse_str(member_id).unwrap();
    let member = weave::db::member::Entity::find_by_id(member_id).one(&app.state.db).await.unwrap().unwrap();
    // Keys are made when an actor first federates.
    let actor = weave::domain::actors::ApActor::of_member(&app.state.db, member.clone()).await.unwrap();
    weave::domain::actors::ensure_keys(&app.state, actor).await.unwrap();
    let now = chrono::Utc::now();
    let activity_id = Uuid::now_v7();
    let ap_id = format!("{}/activities/{activity_id}", app.state.base_url());
    weave::db::outbound_activity::ActiveModel {
        id: Set(activity_id),
        ap_id: Set(ap_id.clone()),
        actor_id: Set(member_id),
        kind: Set("Update".into()),
        payload: Set(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": ap_id,
            "type": "Update",
            "actor": member.ap_id,
            "object": member.ap_id,
        })
        .to_string()),
        public: Set(false),
        created_at: Set(now),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let url = url::Url::parse(inbox).unwrap();
    let domain = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_string(),
    };
    let id = Uuid::now_v7();
    weave::db::delivery::ActiveModel {
        id: Set(id),
        activity_id: Set(activity_id),
        inbox_url: Set(inbox.to_string()),
        domain: Set(domain),
        state: Set(weave::db::enums::DeliveryState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    id
}

/// An inbox answering every request with `status`.
async fn inbox_answering(status: &'static str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://localhost:{port}/inbox")
}

async fn row(app: &TestApp, id: Uuid) -> weave::db::delivery::Model {
    weave::db::delivery::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_permanent_refusal_fails_with_its_status_kept() {
    let app = spawn_app().await;
    let admin = app.admin("boss").await;
    let refused = enqueue(&app, &admin.id, &inbox_answering("403 Forbidden").await).await;
    let busy = enqueue(&app, &admin.id, &inbox_answering("503 Service Unavailable").await).await;
    let r = app.deliver().await;
    assert_eq!((r.sent, r.failed, r.retried), (0, 1, 1), "{r:?}");
    let refused = row(&app, refused).await;
    assert_eq!(refused.state, weave::db::enums::DeliveryState::Failed);
    assert!(refused.last_error.as_deref().unwrap_or("").contains("403"), "{refused:?}");
    assert_eq!(row(&app, busy).await.state, weave::db::enums::DeliveryState::Pending, "a 5xx is retried");
    // Admins see why.
    let q = app
        .ok(
            "{ deliveryQueue { failed recentFailures { inboxUrl state lastError attempts } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(q["deliveryQueue"]["failed"], 1);
    let failure = &q["deliveryQueue"]["recentFailures"][0];
    assert_eq!(failure["state"], "FAILED");
    assert!(failure["lastError"].as_str().unwrap().contains("HTTP 403"), "{q}");
}

#[tokio::test]
async fn a_delivery_whose_server_name_does_not_resolve_to_a_public_address_is_retried() {
    // Production checks: the name must resolve to a public address. `localhost` resolves (from
    // the hosts file, no network) to a loopback one, as a broken or hijacked DNS answer would.
    let app = spawn_with(|c| c.federation_debug = false).await;
    let alice = app.register("alice").await;
    let id = enqueue(&app, &alice.id, "https://localhost/inbox").await;
    let r = app.deliver().await;
    let d = row(&app, id).await;
    assert_eq!((r.retried, r.skipped, r.sent), (1, 0, 0), "{r:?} {d:?}");
    assert_eq!(d.state, weave::db::enums::DeliveryState::Pending);
    assert_eq!(d.attempts, 1);
    assert!(d.next_attempt_at > chrono::Utc::now());
    // A disallowed address stays final.
    let id = enqueue(&app, &alice.id, "https://localhost:8443/inbox").await;
    let r = app.deliver().await;
    assert_eq!(r.skipped, 1, "{r:?}");
    assert_eq!(row(&app, id).await.state, weave::db::enums::DeliveryState::Skipped);
}
