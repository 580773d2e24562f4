//! One visibility rule behind every front door: GraphQL look-ups, the directory and search,
//! WebFinger and actor URLs agree on who may be shown.
use serde_json::json;

use crate::helpers::{code, spawn_with, TestApp};

const MEMBER: &str = "query($h:String!){ member(handle:$h){ username accountStatus } }";
const DIRECTORY: &str = "query($s:String){ members(search:$s, first:50){ edges { node { username } } } }";
const SEARCH: &str = "query($q:String!){ search(query:$q){ members { username } } }";

async fn directory(app: &TestApp, search: Option<&str>, token: Option<&str>) -> Vec<String> {
    let v = app.ok(DIRECTORY, json!({"s": search}), token).await;
    v["members"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["username"].as_str().unwrap().into()).collect()
}

async fn searched(app: &TestApp, q: &str, token: Option<&str>) -> Vec<String> {
    let v = app.ok(SEARCH, json!({"q": q}), token).await;
    v["search"]["members"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap().into()).collect()
}

async fn webfinger(app: &TestApp, name: &str) -> u16 {
    let url = format!("{}/.well-known/webfinger?resource=acct:{name}@{}", app.address, app.domain());
    app.client.get(url).send().await.unwrap().status().as_u16()
}

async fn actor_url(app: &TestApp, name: &str) -> u16 {
    app.client
        .get(format!("{}/members/{name}", app.address))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn pending_and_suspended_members_are_hidden_at_every_door() {
    let app = spawn_with(|c| c.registration_mode = weave::config::RegistrationMode::Approval).await;
    let admin = app.admin("root_admin").await;
    let viewer = app.register("vera").await;
    app.ok("mutation($id:ID!){ approveMember(memberId:$id){ id } }", json!({"id": viewer.id}), Some(&admin.access))
        .await;
    let penny = app.register("penny").await; // stays PENDING
    let sam = app.register("sam").await;
    app.ok("mutation($id:ID!){ approveMember(memberId:$id){ id } }", json!({"id": sam.id}), Some(&admin.access)).await;
    // Sam is visible while active...
    assert_eq!(webfinger(&app, "sam").await, 200);
    assert_eq!(actor_url(&app, "sam").await, 200);
    assert!(directory(&app, None, None).await.contains(&"sam".to_string()));
    // ...and hidden once suspended, like pending Penny.
    app.ok("mutation($id:ID!){ suspendMember(memberId:$id){ id } }", json!({"id": sam.id}), Some(&admin.access)).await;
    for name in ["penny", "sam"] {
        for token in [None, Some(viewer.access.as_str())] {
            let v = app.ok(MEMBER, json!({"h": name}), token).await;
            assert!(v["member"].is_null(), "{name} shown by member(handle:) to {token:?}");
            assert!(!directory(&app, None, token).await.contains(&name.to_string()), "{name} in the directory");
            assert!(!searched(&app, name, token).await.contains(&name.to_string()), "{name} found by search");
        }
        assert_eq!(webfinger(&app, name).await, 404, "{name} by WebFinger");
        assert_eq!(actor_url(&app, name).await, 404, "{name} by actor URL");
    }
    // Admins still see them, with their status.
    let v = app.ok(MEMBER, json!({"h": "sam"}), Some(&admin.access)).await;
    assert_eq!(v["member"]["accountStatus"], "SUSPENDED");
    let v = app.ok(MEMBER, json!({"h": "penny"}), Some(&admin.access)).await;
    assert_eq!(v["member"]["accountStatus"], "PENDING");
    // A pending member sees themself.
    let v = app.ok(MEMBER, json!({"h": "penny"}), Some(&penny.access)).await;
    assert_eq!(v["member"]["username"], "penny");
    // Active members stay visible everywhere.
    assert_eq!(webfinger(&app, "vera").await, 200);
    assert_eq!(actor_url(&app, "vera").await, 200);
    assert!(!app.ok(MEMBER, json!({"h": "vera"}), None).await["member"].is_null());
    assert!(searched(&app, "vera", None).await.contains(&"vera".to_string()));
}

#[tokio::test]
async fn undiscoverable_members_are_reachable_by_handle_but_not_listed() {
    let app = spawn_with(|_| {}).await;
    let quiet = app.register("quiet").await;
    app.register("loud").await;
    app.ok("mutation { updateProfile(input:{discoverable:false}) { id } }", json!({}), Some(&quiet.access)).await;
    assert!(!directory(&app, None, None).await.contains(&"quiet".to_string()));
    assert!(!searched(&app, "quiet", None).await.contains(&"quiet".to_string()));
    assert!(directory(&app, None, None).await.contains(&"loud".to_string()));
    assert_eq!(app.ok(MEMBER, json!({"h": "quiet"}), None).await["member"]["username"], "quiet");
    assert_eq!(webfinger(&app, "quiet").await, 200);
}

#[tokio::test]
async fn a_deleted_member_cannot_be_reactivated() {
    let app = spawn_with(|_| {}).await;
    let admin = app.admin("root_admin").await;
    let gone = app.register("gone").await;
    let del = "mutation($p:String!){ deleteAccount(password:$p) }";
    assert_eq!(app.ok(del, json!({"p": "correct horse battery"}), Some(&gone.access)).await["deleteAccount"], true);
    // Not by approving it...
    let v = app
        .gql("mutation($id:ID!){ approveMember(memberId:$id){ id } }", json!({"id": gone.id}), Some(&admin.access))
        .await;
    assert_eq!(code(&v), "CONFLICT", "{v}");
    // ...nor by making it the admin through the CLI.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weave"))
        .args(["create-admin", "--username", "gone", "--email", "gone-again@example.org"])
        .env("WEAVE_DATABASE_URL", &app.database_url)
        .env("WEAVE_DATA_DIR", app.data_dir())
        .env("WEAVE_DOMAIN", &app.state.config.domain)
        .env("WEAVE_FEDERATION_DEBUG", "true")
        .env("WEAVE_ADMIN_PASSWORD", "correct horse battery")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "create-admin revived a deleted account");
    // Still a tombstone: gone for everyone, 410 at its actor URL, and it cannot sign in.
    assert_eq!(actor_url(&app, "gone").await, 410);
    assert!(app.ok(MEMBER, json!({"h": "gone"}), None).await["member"].is_null());
    let v = app
        .gql(
            "mutation { login(input:{usernameOrEmail:\"gone\", password:\"correct horse battery\"}) { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&v), "UNAUTHENTICATED");
    let status = weave::domain::members::find_by_handle(&app.state.db, "gone").await.unwrap().unwrap().status;
    assert_eq!(status, weave::db::enums::MemberStatus::Deleted);
}
