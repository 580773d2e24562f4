//! Foreign keys on events, library entries, threads and posts (migration m0016): rows written
//! before them survive it, dangling ones are settled (removed where they belong to a missing
//! row, cleared where the reference is optional), dangling inserts are refused afterwards, and
//! deletions cascade or clear as the domain expects. Both engines.
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement, Value as DbValue};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{migrate_down_to, spawn_app, Account, TestApp};

async fn ok_id(app: &TestApp, who: &Account, query: &str, vars: Value, field: &str) -> Uuid {
    let v = app.ok(query, vars, Some(&who.access)).await;
    v[field]["id"].as_str().unwrap().parse().unwrap()
}

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        // `?` placeholders, numbered for PostgreSQL.
        sea_orm::DbBackend::Postgres => {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }
        _ => sql.to_string(),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.map(|_| ())
}

async fn count(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> i64 {
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Postgres { sql.replacen('?', "$1", 1) } else { sql.to_string() };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// A nullable uuid column of one row.
async fn column(db: &DatabaseConnection, table: &str, column: &str, id: Uuid) -> Option<Uuid> {
    let backend = db.get_database_backend();
    let p = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT {column} AS v FROM {table} WHERE id = {p}"),
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {table} {id}"));
    row.try_get("", "v").unwrap()
}

struct Content {
    bob: Account,
    group: Uuid,
    event: Uuid,
    thread: Uuid,
    opening: Uuid,
    reply: Uuid,
    resource: Uuid,
    /// A second thread, made to name a missing group before the migration.
    orphan_thread: Uuid,
    orphan_post: Uuid,
}

async fn content(app: &TestApp) -> Content {
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let group = ok_id(
        app,
        &ann,
        "mutation{ createGroup(input:{slug:\"circle\",name:\"Circle\"}){ id } }",
        json!({}),
        "createGroup",
    )
    .await;
    app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": group}), Some(&bob.access)).await;
    let event = ok_id(
        app,
        &ann,
        "mutation($input: CreateEventInput!){ createEvent(input: $input){ id } }",
        json!({"input": {
            "groupId": group, "title": "Gathering", "timezone": "UTC",
            "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
            "location": { "mode": "ONLINE", "onlineUrl": "https://meet.example.org/x" },
        }}),
        "createEvent",
    )
    .await;
    app.ok("mutation($id:ID!){ rsvp(eventId:$id){ status } }", json!({"id": event}), Some(&bob.access)).await;
    let thread_q = "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }";
    let thread =
        ok_id(app, &ann, thread_q, json!({"i": {"groupId": group, "title": "Hello", "body": "First"}}), "createThread")
            .await;
    let orphan_thread =
        ok_id(app, &ann, thread_q, json!({"i": {"groupId": group, "title": "Orphan", "body": "Lost"}}), "createThread")
            .await;
    let posts = |t: Uuid| {
        app.ok(
            "query($id: ID!) { thread(id: $id) { posts(first: 5) { edges { node { id } } } } }",
            json!({"id": t}),
            Some(&ann.access),
        )
    };
    let opening: Uuid =
        posts(thread).await["thread"]["posts"]["edges"][0]["node"]["id"].as_str().unwrap().parse().unwrap();
    let orphan_post: Uuid =
        posts(orphan_thread).await["thread"]["posts"]["edges"][0]["node"]["id"].as_str().unwrap().parse().unwrap();
    let reply = ok_id(
        app,
        &bob,
        "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
        json!({"i": {"threadId": thread, "parentId": opening, "body": "Welcome"}}),
        "reply",
    )
    .await;
    let resource = ok_id(
        app,
        &bob,
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": group, "title": "Guide", "kind": "LINK", "url": "https://example.org/guide",
                     "eventId": event, "threadId": thread}}),
        "createResource",
    )
    .await;
    Content { bob, group, event, thread, opening, reply, resource, orphan_thread, orphan_post }
}

#[tokio::test]
async fn content_written_before_the_keys_survives_them_and_dangling_references_are_settled() {
    let app = spawn_app().await;
    let c = content(&app).await;

    // As the version before left it: no constraints, and references to rows that are gone.
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migrate_down_to(&db, 15).await;
    let gone = Uuid::now_v7();
    exec(&db, "UPDATE thread SET group_id = ? WHERE id = ?", vec![gone.into(), c.orphan_thread.into()]).await.unwrap();
    exec(&db, "UPDATE resource SET author_id = ? WHERE id = ?", vec![gone.into(), c.resource.into()]).await.unwrap();
    exec(&db, "UPDATE post SET parent_id = ? WHERE id = ?", vec![gone.into(), c.opening.into()]).await.unwrap();
    exec(&db, "UPDATE event SET organizer_id = ? WHERE id = ?", vec![gone.into(), c.event.into()]).await.unwrap();
    db.close().await.unwrap();

    let app = stopped.start().await;
    let db = &app.state.db;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // The schema was rewritten in place: SQLite finds it sound.
        let row = db
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA integrity_check"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
    }
    // Settled: the thread of no group went with its post; the missing author, parent and
    // organizer are cleared; the rest is as it was.
    assert_eq!(count(db, "SELECT COUNT(*) FROM thread WHERE id = ?", vec![c.orphan_thread.into()]).await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM post WHERE id = ?", vec![c.orphan_post.into()]).await, 0);
    assert_eq!(column(db, "resource", "author_id", c.resource).await, None);
    assert_eq!(column(db, "post", "parent_id", c.opening).await, None);
    assert_eq!(column(db, "event", "organizer_id", c.event).await, None);
    assert_eq!(column(db, "resource", "event_id", c.resource).await, Some(c.event));
    assert_eq!(column(db, "resource", "thread_id", c.resource).await, Some(c.thread));
    assert_eq!(column(db, "post", "parent_id", c.reply).await, Some(c.opening));
    assert_eq!(column(db, "post", "thread_id", c.reply).await, Some(c.thread));
    assert_eq!(column(db, "thread", "group_id", c.thread).await, Some(c.group));
    let v = app
        .ok(
            "query($id: ID!) { thread(id: $id) { title postCount posts(first: 5) { edges { node { body } } } } }",
            json!({"id": c.thread}),
            Some(&c.bob.access),
        )
        .await;
    assert_eq!(v["thread"]["title"], "Hello");
    assert_eq!(
        v["thread"]["posts"]["edges"],
        json!([{"node": {"body": "<p>First</p>\n"}}, {"node": {"body": "<p>Welcome</p>\n"}}])
    );
    let v = app
        .ok(
            "query($id:ID!){ event(id:$id){ title myRegistration { status } } }",
            json!({"id": c.event}),
            Some(&c.bob.access),
        )
        .await;
    assert_eq!(v["event"]["title"], "Gathering");
    assert_eq!(v["event"]["myRegistration"]["status"], "GOING", "the event's registrations stayed");

    // Enforced now: a row naming a missing group, thread, event, member or parent is refused.
    let now = chrono::Utc::now();
    for (what, sql, values) in [
        (
            "a post of no thread",
            "INSERT INTO post (id, ap_id, local, thread_id, path, depth, body_html, deleted, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                Uuid::now_v7().into(),
                "https://x.example/p/1".into(),
                true.into(),
                gone.into(),
                "0001".into(),
                0.into(),
                "".into(),
                false.into(),
                now.into(),
                now.into(),
            ],
        ),
        ("a thread of no group", "UPDATE thread SET group_id = ? WHERE id = ?", vec![gone.into(), c.thread.into()]),
        (
            "an entry by no member",
            "UPDATE resource SET author_id = ? WHERE id = ?",
            vec![gone.into(), c.resource.into()],
        ),
        (
            "an entry about no event",
            "UPDATE resource SET event_id = ? WHERE id = ?",
            vec![gone.into(), c.resource.into()],
        ),
        (
            "a thread about no entry",
            "UPDATE thread SET resource_id = ? WHERE id = ?",
            vec![gone.into(), c.thread.into()],
        ),
        ("an event of no group", "UPDATE event SET group_id = ? WHERE id = ?", vec![gone.into(), c.event.into()]),
        ("an event by no member", "UPDATE event SET organizer_id = ? WHERE id = ?", vec![gone.into(), c.event.into()]),
        ("a reply to no post", "UPDATE post SET parent_id = ? WHERE id = ?", vec![gone.into(), c.reply.into()]),
        ("a post by no member", "UPDATE post SET author_id = ? WHERE id = ?", vec![gone.into(), c.reply.into()]),
    ] {
        assert!(exec(db, sql, values).await.is_err(), "{what} is refused");
    }

    // Deleting a member clears their authorship; deleting the group takes what it holds.
    let bob: Uuid = c.bob.id.parse().unwrap();
    exec(db, "DELETE FROM member WHERE id = ?", vec![bob.into()]).await.unwrap();
    assert_eq!(column(db, "post", "author_id", c.reply).await, None);
    assert_eq!(count(db, "SELECT COUNT(*) FROM resource WHERE id = ?", vec![c.resource.into()]).await, 1);
    exec(db, "DELETE FROM thread WHERE id = ?", vec![c.thread.into()]).await.unwrap();
    assert_eq!(count(db, "SELECT COUNT(*) FROM post WHERE thread_id = ?", vec![c.thread.into()]).await, 0);
    assert_eq!(column(db, "resource", "thread_id", c.resource).await, None, "the entry outlives its thread");
    exec(db, "DELETE FROM event WHERE id = ?", vec![c.event.into()]).await.unwrap();
    assert_eq!(column(db, "resource", "event_id", c.resource).await, None, "the entry outlives its event");
    exec(db, "DELETE FROM groups WHERE id = ?", vec![c.group.into()]).await.unwrap();
    assert_eq!(count(db, "SELECT COUNT(*) FROM resource WHERE id = ?", vec![c.resource.into()]).await, 0);
}

#[tokio::test]
async fn the_content_key_migration_goes_down_and_up_again() {
    let app = spawn_app().await;
    let c = content(&app).await;
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migrate_down_to(&db, 15).await;
    // Without the keys a dangling reference is taken again, and the rows are all there.
    exec(&db, "UPDATE resource SET author_id = ? WHERE id = ?", vec![Uuid::now_v7().into(), c.resource.into()])
        .await
        .unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM post WHERE thread_id = ?", vec![c.thread.into()]).await, 2);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM registration WHERE event_id = ?", vec![c.event.into()]).await, 1);
    db.close().await.unwrap();
    let app = stopped.start().await;
    let db = &app.state.db;
    assert_eq!(column(db, "resource", "author_id", c.resource).await, None);
    assert_eq!(count(db, "SELECT COUNT(*) FROM post WHERE thread_id = ?", vec![c.thread.into()]).await, 2);
    assert_eq!(count(db, "SELECT COUNT(*) FROM registration WHERE event_id = ?", vec![c.event.into()]).await, 1);
    assert!(exec(db, "UPDATE thread SET group_id = ? WHERE id = ?", vec![Uuid::now_v7().into(), c.thread.into()])
        .await
        .is_err());
}
