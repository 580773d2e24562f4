//! One actor table (migration m0018): a database written by the version before it (actor
//! columns on `member` and `groups`, the instance actor in a table of its own, follows and
//! published activities naming `(kind, id)` pairs) answers the same afterwards: follows,
//! deliveries, keys, the directory and search. References to actors are foreign keys from then
//! on, and the migration goes down to the old shape and up again. Both engines.
use activitypub_federation::http_signatures::{generate_actor_keypair, Keypair};
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement, Value as DbValue};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{migrate_down_to, old_row, spawn_app, Stopped, TestApp};

const ROSA: &str = "https://social.example/users/rosa";
const ROSA_HANDLE: &str = "rosa@social.example";
const SHARED_INBOX: &str = "https://social.example/inbox";

/// The first column of the first row of `sql` (`?` placeholders, at most one).
async fn scalar<T: sea_orm::TryGetable>(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> T {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres { sql.replacen('?', "$1", 1) } else { sql.to_string() };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap().unwrap();
    row.try_get_by_index::<T>(0).unwrap()
}

/// What the version before the actor table wrote for a remote member who follows `group`, a
/// follow of someone since gone, the group's published `Update` waiting to reach her server,
/// and the instance actor with an activity of its own.
async fn write_version_17(db: &DatabaseConnection, base: &str, group: Uuid, keys: &Keypair) -> Uuid {
    let now = chrono::Utc::now();
    let rosa = Uuid::now_v7();
    let member: Vec<(&str, DbValue)> = vec![
        ("id", rosa.into()),
        ("handle", ROSA_HANDLE.into()),
        ("username", "rosa".into()),
        ("domain", "social.example".into()),
        ("display_name", "Rosa Parks-Lee".into()),
        ("interests", json!([]).into()),
        ("links", json!([]).into()),
        ("is_admin", false.into()),
        ("status", "ACTIVE".into()),
        ("local", false.into()),
        ("ap_id", ROSA.into()),
        ("url", "https://social.example/@rosa".into()),
        ("inbox_url", format!("{ROSA}/inbox").into()),
        ("shared_inbox_url", SHARED_INBOX.into()),
        ("outbox_url", format!("{ROSA}/outbox").into()),
        ("followers_url", format!("{ROSA}/followers").into()),
        ("public_key_pem", "ROSA PUBLIC KEY".into()),
        ("manually_approves_followers", true.into()),
        ("discoverable", true.into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
        ("last_refreshed_at", now.into()),
        ("verified_at", now.into()),
    ];
    db.execute(&old_row("member", member)).await.unwrap();
    let follow = |id: Uuid, follower: Uuid, follower_kind: &str| {
        old_row(
            "follow",
            vec![
                ("id", id.into()),
                ("ap_id", format!("https://social.example/follows/{id}").into()),
                ("follower_kind", follower_kind.into()),
                ("follower_id", follower.into()),
                ("target_kind", "group".into()),
                ("target_id", group.into()),
                ("state", "ACCEPTED".into()),
                ("created_at", now.into()),
                ("updated_at", now.into()),
            ],
        )
    };
    db.execute(&follow(Uuid::now_v7(), rosa, "member")).await.unwrap();
    db.execute(&follow(Uuid::now_v7(), Uuid::now_v7(), "member")).await.unwrap();
    let instance: Vec<(&str, DbValue)> = vec![
        ("id", 1.into()),
        ("ap_id", format!("{base}/actor").into()),
        ("public_key_pem", keys.public_key.clone().into()),
        ("private_key_pem", keys.private_key.clone().into()),
        ("created_at", now.into()),
    ];
    // The instance actor was made at start-up: this row takes its place, with other keys.
    db.execute_unprepared("DELETE FROM instance_actor").await.unwrap();
    db.execute(&old_row("instance_actor", instance)).await.unwrap();
    for (kind, actor) in [("group", group), ("instance", Uuid::nil())] {
        let activity = Uuid::now_v7();
        let ap_id = format!("{base}/activities/update/{activity}");
        let outbound: Vec<(&str, DbValue)> = vec![
            ("id", activity.into()),
            ("ap_id", ap_id.clone().into()),
            ("actor_kind", kind.into()),
            ("actor_id", actor.into()),
            ("kind", "Update".into()),
            ("payload", json!({"id": ap_id, "type": "Update"}).to_string().into()),
            ("public", (kind == "group").into()),
            ("created_at", now.into()),
        ];
        db.execute(&old_row("outbound_activity", outbound)).await.unwrap();
        let delivery: Vec<(&str, DbValue)> = vec![
            ("id", Uuid::now_v7().into()),
            ("activity_id", activity.into()),
            ("inbox_url", SHARED_INBOX.into()),
            ("domain", "social.example".into()),
            ("state", "PENDING".into()),
            ("attempts", 0.into()),
            ("next_attempt_at", now.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ];
        db.execute(&old_row("delivery", delivery)).await.unwrap();
    }
    rosa
}

const FOLLOWERS: &str =
    "query($g:String!,$m:String!){ group(handle:$g){ followersCount } member(handle:$m){ followersCount } }";

/// Everything the test wrote at version 17, as the API and the tables show it.
async fn answers_as_before(app: &TestApp, rosa: Uuid, keys: &Keypair) {
    let v = app.ok(FOLLOWERS, json!({"g": "circle", "m": "ann"}), None).await;
    assert_eq!(v["group"]["followersCount"], 1, "Rosa follows the group; the follow of no one is gone");
    assert_eq!(v["member"]["followersCount"], 1, "Bob follows Ann");
    let v = app
        .ok("query($h:String!){ member(handle:$h){ handle displayName local url } }", json!({"h": ROSA_HANDLE}), None)
        .await;
    assert_eq!(
        v["member"],
        json!({"handle": ROSA_HANDLE, "displayName": "Rosa Parks-Lee", "local": false, "url": ROSA})
    );
    // Verified before, so still in the directory.
    let v = app.ok("{ members(first: 20){ edges { node { handle } } } }", json!({}), None).await;
    let listed: Vec<&str> =
        v["members"]["edges"].as_array().unwrap().iter().filter_map(|e| e["node"]["handle"].as_str()).collect();
    assert!(listed.contains(&ROSA_HANDLE), "{listed:?}");
    // Search found the group and its members before; it does now.
    let v = app.ok("{ search(query:\"circle\"){ groups { handle } } }", json!({}), None).await;
    assert_eq!(v["search"]["groups"], json!([{"handle": "circle"}]));
    let v = app.ok("{ search(query:\"ann\"){ members { handle } } }", json!({}), None).await;
    assert_eq!(v["search"]["members"], json!([{"handle": "ann"}]));

    let db = &app.state.db;
    // Her federation state moved with her: the group's fan-out reaches her server's shared
    // inbox, and her keys and settings are hers.
    let inboxes = weave::domain::outbox::follower_inboxes(db, circle(app).await).await.unwrap();
    assert_eq!(inboxes.iter().map(url::Url::as_str).collect::<Vec<_>>(), vec![SHARED_INBOX]);
    let actor = weave::domain::actors::ApActor::by_id(db, rosa).await.unwrap().expect("her actor row");
    assert_eq!(actor.public_key_pem, "ROSA PUBLIC KEY");
    assert!(actor.verified && actor.manually_approves_followers());
    assert_eq!(actor.delivery_inbox().as_str(), SHARED_INBOX);
    // Both deliveries still wait, each signed by an actor that exists: the group and the
    // instance, whose keys are the ones it had.
    let signers: i64 = scalar(
        db,
        "SELECT COUNT(*) FROM delivery d JOIN outbound_activity o ON o.id = d.activity_id \
         JOIN actor a ON a.id = o.actor_id WHERE d.state = 'PENDING' AND d.inbox_url = ?",
        vec![SHARED_INBOX.into()],
    )
    .await;
    assert_eq!(signers, 2);
    let (status, doc) = get_json(app, "/actor").await;
    assert_eq!(status, 200);
    assert_eq!(doc["publicKey"]["publicKeyPem"], keys.public_key.as_str());
}

async fn circle(app: &TestApp) -> Uuid {
    weave::domain::groups::find_local(&app.state.db, "circle").await.unwrap().expect("the circle").id
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let resp = app
        .client
        .get(format!("{}{}", app.address, path))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Ann, her group and Bob's follow of her made through the API, then the database taken down
/// to version 17 and [`write_version_17`]'s rows added: the instance stopped on it, Rosa's id
/// and the instance's keys.
async fn stopped_at_version_17() -> (Stopped, Uuid, Keypair) {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    app.ok("mutation{ createGroup(input:{slug:\"circle\",name:\"Circle\"}){ id } }", json!({}), Some(&ann.access))
        .await;
    let v = app.ok("mutation{ follow(handle:\"ann\"){ accepted } }", json!({}), Some(&bob.access)).await;
    assert_eq!(v["follow"]["accepted"], true);
    let group = circle(&app).await;
    let base = app.state.base_url();
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migrate_down_to(&db, 17).await;
    let keys = generate_actor_keypair().unwrap();
    let rosa = write_version_17(&db, &base, group, &keys).await;
    db.close().await.unwrap();
    (stopped, rosa, keys)
}

#[tokio::test]
async fn follows_deliveries_keys_and_search_written_before_the_actor_table_answer_the_same_after_it() {
    let (stopped, rosa, keys) = stopped_at_version_17().await;
    let app = stopped.start().await;
    let group = circle(&app).await;
    answers_as_before(&app, rosa, &keys).await;
    let db = &app.state.db;
    if db.get_database_backend() == DbBackend::Sqlite {
        let ok: String = scalar(db, "PRAGMA integrity_check", vec![]).await;
        assert_eq!(ok, "ok");
    }
    assert_eq!(scalar::<i64>(db, "SELECT COUNT(*) FROM actor WHERE kind = 'instance'", vec![]).await, 1);

    // References to actors are foreign keys now.
    let now = chrono::Utc::now();
    let dangling = old_row(
        "follow",
        vec![
            ("id", Uuid::now_v7().into()),
            ("ap_id", "https://social.example/follows/x".into()),
            ("follower_id", Uuid::now_v7().into()),
            ("target_id", group.into()),
            ("state", "ACCEPTED".into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    );
    assert!(db.execute(&dangling).await.is_err(), "a follow by no actor is refused");
    // An actor that goes takes its member row and its follows with it.
    let gone = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            if db.get_database_backend() == DbBackend::Postgres {
                "DELETE FROM actor WHERE id = $1"
            } else {
                "DELETE FROM actor WHERE id = ?"
            },
            [rosa.into()],
        ))
        .await
        .unwrap();
    assert_eq!(gone.rows_affected(), 1);
    assert_eq!(scalar::<i64>(db, "SELECT COUNT(*) FROM member WHERE id = ?", vec![rosa.into()]).await, 0);
    let v = app.ok(FOLLOWERS, json!({"g": "circle", "m": "ann"}), None).await;
    assert_eq!(v["group"]["followersCount"], 0);
}

#[tokio::test]
async fn the_actor_table_goes_down_to_the_old_columns_and_up_again() {
    let (stopped, rosa, keys) = stopped_at_version_17().await;
    // Up (as a new Weave starts) and down again: the old shape holds the same rows.
    let app = stopped.start().await;
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migrate_down_to(&db, 17).await;
    let shared: String = scalar(&db, "SELECT shared_inbox_url FROM member WHERE id = ?", vec![rosa.into()]).await;
    assert_eq!(shared, SHARED_INBOX);
    let key: String = scalar(&db, "SELECT public_key_pem FROM instance_actor WHERE id = 1", vec![]).await;
    assert_eq!(key, keys.public_key);
    let by_instance: i64 = scalar(
        &db,
        "SELECT COUNT(*) FROM outbound_activity WHERE actor_kind = 'instance' AND actor_id = ?",
        vec![Uuid::nil().into()],
    )
    .await;
    assert_eq!(by_instance, 1);
    let follows: i64 =
        scalar(&db, "SELECT COUNT(*) FROM follow WHERE target_kind = 'group' AND follower_kind = 'member'", vec![])
            .await;
    assert_eq!(follows, 1);
    db.close().await.unwrap();
    let app = stopped.start().await;
    answers_as_before(&app, rosa, &keys).await;
}

/// On SQLite the actor migration commits its schema change on a connection of its own, before
/// the migrator records it: a crash in between leaves the change made and unrecorded. The
/// next start records it without making it again. (PostgreSQL does both in one transaction.)
#[tokio::test]
async fn an_actor_table_made_but_not_recorded_is_not_made_again() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    if app.state.db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    db.execute_unprepared("DELETE FROM seaql_migrations WHERE version = 'm0018_actor'").await.unwrap();
    db.close().await.unwrap();
    let app = stopped.start().await;
    let v =
        app.ok("query($h: String!) { member(handle: $h) { username } }", json!({"h": "ann"}), Some(&ann.access)).await;
    assert_eq!(v["member"]["username"], "ann");
    let recorded: i64 =
        scalar(&app.state.db, "SELECT COUNT(*) FROM seaql_migrations WHERE version = 'm0018_actor'", vec![]).await;
    assert_eq!(recorded, 1);
}
