//! Schema integrity: tags are rows (`event_tag`), hosts are rows (`event_host`), foreign keys
//! refuse dangling references, and the migrations carry rows written by an older Weave forward.
use serde_json::{json, Value};

use crate::helpers::{database_at, spawn_app, Account, TestApp};

async fn group(app: &TestApp, owner: &Account, slug: &str) -> String {
    let v = app
        .ok(
            "mutation($s:String!){ createGroup(input:{slug:$s,name:$s}){ id } }",
            json!({"s": slug}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

async fn event_tagged(app: &TestApp, who: &Account, group_id: &str, title: &str, tags: &[&str]) -> String {
    let input = json!({
        "groupId": group_id,
        "title": title,
        "timezone": "UTC",
        "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
        "location": { "mode": "ONLINE", "onlineUrl": "https://meet.example.org/x" },
        "tags": tags,
    });
    let v = app
        .ok(
            "mutation($input: CreateEventInput!){ createEvent(input: $input){ id } }",
            json!({"input": input}),
            Some(&who.access),
        )
        .await;
    v["createEvent"]["id"].as_str().unwrap().to_string()
}

/// The titles of the events the tag filter returns, sorted.
async fn tagged(app: &TestApp, tag: &str) -> Vec<String> {
    let v = app
        .ok(
            "query($t:String!){ events(filter:{tag:$t, includeRemote:true}, first:50){ totalCount edges { node { title } } } }",
            json!({"t": tag}),
            None,
        )
        .await;
    let edges = v["events"]["edges"].as_array().unwrap();
    assert_eq!(v["events"]["totalCount"].as_u64(), Some(edges.len() as u64), "{v:#}");
    let mut titles: Vec<String> = edges.iter().map(|e| e["node"]["title"].as_str().unwrap().to_string()).collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn the_tag_filter_returns_exactly_the_events_with_that_tag_whatever_its_characters() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let g = group(&app, &ann, "circle").await;
    event_tagged(&app, &ann, &g, "percent", &["50%"]).await;
    event_tagged(&app, &ann, &g, "fifty", &["50", "500"]).await;
    event_tagged(&app, &ann, &g, "underscore", &["a_b"]).await;
    event_tagged(&app, &ann, &g, "axb", &["axb", "ab"]).await;
    event_tagged(&app, &ann, &g, "comma", &["x,y", "Systems Change"]).await;
    event_tagged(&app, &ann, &g, "x and y", &["x", "y"]).await;
    event_tagged(&app, &ann, &g, "untagged", &[]).await;

    assert_eq!(tagged(&app, "50%").await, ["percent"]);
    assert_eq!(tagged(&app, "50").await, ["fifty"]);
    assert_eq!(tagged(&app, "%").await, Vec::<String>::new(), "% is a character, not a wildcard");
    assert_eq!(tagged(&app, "a_b").await, ["underscore"]);
    assert_eq!(tagged(&app, "a%b").await, Vec::<String>::new());
    assert_eq!(tagged(&app, "x,y").await, ["comma"]);
    assert_eq!(tagged(&app, "x").await, ["x and y"]);
    assert_eq!(tagged(&app, "  SYSTEMS change ").await, ["comma"], "trimmed and case-insensitive");
    assert_eq!(tagged(&app, "systems").await, Vec::<String>::new(), "a whole tag, not a part");

    // A change of tags changes what the filter finds; other changes keep the rows.
    let id = event_tagged(&app, &ann, &g, "retagged", &["old"]).await;
    app.ok(
        "mutation($id:ID!){ updateEvent(id:$id, input:{tags:[\"new\", \"50%\"]}){ id tags } }",
        json!({"id": id}),
        Some(&ann.access),
    )
    .await;
    app.ok(
        "mutation($id:ID!){ updateEvent(id:$id, input:{title:\"retagged\"}){ id } }",
        json!({"id": id}),
        Some(&ann.access),
    )
    .await;
    assert_eq!(tagged(&app, "old").await, Vec::<String>::new());
    assert_eq!(tagged(&app, "new").await, ["retagged"]);
    assert_eq!(tagged(&app, "50%").await, ["percent", "retagged"]);
}

/// The group of every [`old_event`] (an event always had one; m0016 holds it to that).
const OLD_GROUP: uuid::Uuid = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);

/// [`OLD_GROUP`]'s row, as Weave wrote it before migration 13.
fn old_group() -> sea_orm::sea_query::InsertStatement {
    let now = chrono::Utc::now();
    let cols: Vec<(&str, sea_orm::Value)> = vec![
        ("id", OLD_GROUP.into()),
        ("handle", "old".into()),
        ("slug", "old".into()),
        ("name", "Old".into()),
        ("join_mode", "OPEN".into()),
        ("local", true.into()),
        ("ap_id", "https://old.example/groups/old".into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    crate::helpers::old_row("groups", cols)
}

/// An event row as Weave wrote it before migration 13 (tags as JSON and as `,a,b,`).
fn old_event(title: &str, tags: &[&str]) -> sea_orm::sea_query::InsertStatement {
    let now = chrono::Utc::now();
    let starts = now + chrono::Duration::days(30);
    let ends = starts + chrono::Duration::hours(1);
    let id = uuid::Uuid::now_v7();
    let group = OLD_GROUP;
    let list = format!(",{},", tags.iter().map(|t| t.to_lowercase()).collect::<Vec<_>>().join(","));
    let cols: Vec<(&str, sea_orm::Value)> = vec![
        ("id", id.into()),
        ("ap_id", format!("https://old.example/events/{id}").into()),
        ("local", true.into()),
        ("group_id", group.into()),
        ("host_ids", json!([group]).into()),
        ("title", title.into()),
        ("timezone", "UTC".into()),
        ("starts_at", starts.into()),
        ("ends_at", ends.into()),
        ("sessions", json!([{"startsAt": starts, "endsAt": ends}]).into()),
        ("location_mode", "ONLINE".into()),
        ("agenda", json!([]).into()),
        ("faq", json!([]).into()),
        ("facilitators", json!([]).into()),
        ("tags", json!(tags).into()),
        ("tag_list", list.into()),
        ("visibility", "PUBLIC".into()),
        ("status", "PUBLISHED".into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    crate::helpers::old_row("event", cols)
}

#[tokio::test]
async fn events_stored_before_the_tag_table_answer_the_tag_filter_after_it() {
    use sea_orm::ConnectionTrait as _;
    let old = database_at(12).await;
    old.db.execute(&old_group()).await.unwrap();
    for (title, tags) in [
        ("circle", vec!["Learning", "50%"]),
        ("course", vec!["learning", "a_b"]),
        ("other", vec!["x,y"]),
        ("none", vec![]),
    ] {
        old.db.execute(&old_event(title, &tags)).await.unwrap();
    }
    let app = old.start().await;
    assert_eq!(tagged(&app, "learning").await, ["circle", "course"]);
    assert_eq!(tagged(&app, "50%").await, ["circle"]);
    assert_eq!(tagged(&app, "a_b").await, ["course"]);
    assert_eq!(tagged(&app, "x,y").await, ["other"]);
    assert_eq!(tagged(&app, "x").await, Vec::<String>::new());
    let v: Value =
        app.ok("{ events(filter:{tag:\"learning\"}, first:5){ edges { node { tags } } } }", json!({}), None).await;
    assert_eq!(v["events"]["edges"][0]["node"]["tags"], json!(["Learning", "50%"]), "the tags as shown stay");
}

#[tokio::test]
async fn the_tag_table_migration_goes_down_to_the_joined_tags_it_replaced() {
    use migration::MigratorTrait as _;
    use sea_orm::ConnectionTrait as _;
    let old = database_at(12).await;
    old.db.execute(&old_group()).await.unwrap();
    old.db.execute(&old_event("circle", &["learning", "50%"])).await.unwrap();
    old.db.execute(&old_event("none", &[])).await.unwrap();
    migration::Migrator::up(&old.db, Some(1)).await.unwrap();
    migration::Migrator::down(&old.db, Some(1)).await.unwrap();
    let rows = old
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            old.db.get_database_backend(),
            "SELECT title, tag_list FROM event ORDER BY title",
        ))
        .await
        .unwrap();
    let lists: Vec<(String, String)> =
        rows.iter().map(|r| (r.try_get("", "title").unwrap(), r.try_get("", "tag_list").unwrap())).collect();
    let circle = &lists[0].1;
    assert!(circle == ",learning,50%," || circle == ",50%,learning,", "{lists:?}");
    assert_eq!(lists[1], ("none".to_string(), ",".to_string()));
    // And up again, to where the server starts.
    let app = old.start().await;
    assert_eq!(tagged(&app, "50%").await, ["circle"]);
}

#[tokio::test]
async fn an_events_hosts_are_its_confirmed_host_rows_and_the_migration_goes_down_to_their_copy() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let own = group(&app, &ann, "circle").await;
    let partner = group(&app, &ann, "partner").await;
    group(&app, &bea, "invited").await;
    let id = event_tagged(&app, &ann, &own, "hosted", &[]).await;
    let q = "mutation($id:ID!){ updateEvent(id:$id, input:{coHosts:[\"partner\", \"invited\"]}){ hosts { handle } invitedHosts { handle } } }";
    let v = app.ok(q, json!({"id": id}), Some(&ann.access)).await;
    assert_eq!(v["updateEvent"]["hosts"], json!([{"handle": "circle"}, {"handle": "partner"}]));
    assert_eq!(v["updateEvent"]["invitedHosts"], json!([{"handle": "invited"}]));

    // Down: the JSON copy holds the confirmed hosts in order; up again, the server reads rows.
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    // Down through the foreign keys (m0015 and later), then m0014 (host_ids).
    crate::helpers::migrate_down_to(&db, 13).await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT host_ids FROM event"))
        .await
        .unwrap()
        .unwrap();
    let copy: Value = row.try_get("", "host_ids").unwrap();
    assert_eq!(copy, json!([own, partner]));
    db.close().await.unwrap();
    let app = stopped.start().await;
    let v = app.ok("query($id:ID!){ event(id:$id){ hosts { handle } } }", json!({"id": id}), None).await;
    assert_eq!(v["event"]["hosts"], json!([{"handle": "circle"}, {"handle": "partner"}]));
}

/// A registration of `member` for `event`, written straight to the database.
fn registration_row(event: uuid::Uuid, member: uuid::Uuid) -> sea_orm::sea_query::InsertStatement {
    let now = chrono::Utc::now();
    crate::helpers::old_row(
        "registration",
        vec![
            ("id", uuid::Uuid::now_v7().into()),
            ("event_id", event.into()),
            ("member_id", member.into()),
            ("status", "GOING".into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
}

#[tokio::test]
async fn a_registration_or_host_naming_a_missing_row_is_refused_and_goes_with_its_event() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let on = db
            .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA foreign_keys"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(on.try_get_by_index::<i32>(0).unwrap(), 1, "SQLite enforces foreign keys");
    }
    let ann = app.register("ann").await;
    let member: uuid::Uuid = ann.id.parse().unwrap();
    let g = group(&app, &ann, "circle").await;
    let event: uuid::Uuid = event_tagged(&app, &ann, &g, "circle", &["x"]).await.parse().unwrap();

    let missing = uuid::Uuid::now_v7();
    assert!(db.execute(&registration_row(missing, member)).await.is_err(), "a registration for no event");
    assert!(db.execute(&registration_row(event, missing)).await.is_err(), "a registration of no member");
    let insert_host = sea_orm::sea_query::Query::insert()
        .into_table(sea_orm::sea_query::Alias::new("event_host"))
        .columns(["id", "event_id", "group_id", "position", "confirmed"].map(sea_orm::sea_query::Alias::new))
        .values([uuid::Uuid::now_v7().into(), event.into(), missing.into(), 1.into(), true.into()])
        .unwrap()
        .to_owned();
    assert!(db.execute(&insert_host).await.is_err(), "a host that is no group");
    db.execute(&registration_row(event, member)).await.unwrap();

    // Deleting the event takes its hosts, registrations and tags with it.
    db.execute_unprepared("DELETE FROM event").await.unwrap();
    for table in ["event_host", "registration", "event_tag"] {
        let n = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n.try_get::<i64>("", "n").unwrap(), 0, "{table}");
    }
}

#[tokio::test]
async fn the_foreign_key_migration_removes_dangling_rows_and_keeps_the_rest() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let amy = app.register("amy").await;
    let g = group(&app, &ann, "circle").await;
    group(&app, &ann, "partner").await;
    let id = event_tagged(&app, &ann, &g, "circle", &[]).await;
    app.ok(
        "mutation($id:ID!){ updateEvent(id:$id, input:{coHosts:[\"partner\"]}){ id } }",
        json!({"id": id}),
        Some(&ann.access),
    )
    .await;
    app.ok("mutation($id:ID!){ rsvp(eventId:$id){ status } }", json!({"id": id}), Some(&amy.access)).await;

    // As an older Weave left it: no constraints, and a registration for an event that is gone.
    let url = app.database_url.clone();
    let stopped = app.stop().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    // Down to before m0015 (through any later foreign keys).
    crate::helpers::migrate_down_to(&db, 14).await;
    db.execute(&registration_row(uuid::Uuid::now_v7(), amy.id.parse().unwrap())).await.unwrap();
    db.close().await.unwrap();

    let app = stopped.start().await;
    let db = &app.state.db;
    let n = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM registration",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.try_get::<i64>("", "n").unwrap(), 1, "the dangling registration went, amy's stayed");
    let v = app
        .ok(
            "query($id:ID!){ event(id:$id){ hosts { handle } myRegistration { status } } }",
            json!({"id": id}),
            Some(&amy.access),
        )
        .await;
    assert_eq!(v["event"]["hosts"], json!([{"handle": "circle"}, {"handle": "partner"}]));
    assert_eq!(v["event"]["myRegistration"]["status"], "GOING");
    assert!(db.execute(&registration_row(uuid::Uuid::now_v7(), amy.id.parse().unwrap())).await.is_err());
}

/// A library entry as Weave wrote it before migration 17 (tags as JSON and as `,a,b,`).
fn old_resource(title: &str, tags: &[&str]) -> sea_orm::sea_query::InsertStatement {
    let now = chrono::Utc::now();
    let id = uuid::Uuid::now_v7();
    let list = format!(",{},", tags.iter().map(|t| t.to_lowercase()).collect::<Vec<_>>().join(","));
    let cols: Vec<(&str, sea_orm::Value)> = vec![
        ("id", id.into()),
        ("ap_id", format!("https://old.example/resources/{id}").into()),
        ("local", true.into()),
        ("group_id", OLD_GROUP.into()),
        ("title", title.into()),
        ("kind", "TOOLKIT".into()),
        ("tags", json!(tags).into()),
        ("tag_list", list.into()),
        ("folder", "".into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    crate::helpers::old_row("resource", cols)
}

/// The titles of the library entries with `tag`, in title order.
async fn resources_tagged(app: &TestApp, tag: &str) -> Vec<String> {
    let v: Value = app
        .ok(
            "query($t: String) { resources(filter: {tag: $t}, first: 20) { edges { node { title } } } }",
            json!({"t": tag}),
            None,
        )
        .await;
    let mut titles: Vec<String> = v["resources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn library_entries_stored_before_the_tag_table_answer_the_tag_filter_after_it_and_it_goes_down_again() {
    use migration::MigratorTrait as _;
    use sea_orm::ConnectionTrait as _;
    let old = database_at(16).await;
    old.db.execute(&old_group()).await.unwrap();
    for (title, tags) in [
        ("circle guide", vec!["Learning", "50%"]),
        ("course notes", vec!["learning", "a_b"]),
        ("other", vec!["x,y"]),
        ("none", vec![]),
    ] {
        old.db.execute(&old_resource(title, &tags)).await.unwrap();
    }
    // Up and down once: the joined list comes back as it was.
    migration::Migrator::up(&old.db, Some(1)).await.unwrap();
    migration::Migrator::down(&old.db, Some(1)).await.unwrap();
    let rows = old
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            old.db.get_database_backend(),
            "SELECT title, tag_list FROM resource ORDER BY title",
        ))
        .await
        .unwrap();
    let lists: Vec<(String, String)> =
        rows.iter().map(|r| (r.try_get("", "title").unwrap(), r.try_get("", "tag_list").unwrap())).collect();
    assert!(lists[0].1 == ",learning,50%," || lists[0].1 == ",50%,learning,", "{lists:?}");
    assert_eq!(lists[2], ("none".to_string(), ",".to_string()));
    // And up again, to where the server starts.
    let app = old.start().await;
    assert_eq!(resources_tagged(&app, "learning").await, ["circle guide", "course notes"]);
    assert_eq!(resources_tagged(&app, "LEARNING ").await, ["circle guide", "course notes"]);
    assert_eq!(resources_tagged(&app, "50%").await, ["circle guide"]);
    assert_eq!(resources_tagged(&app, "a_b").await, ["course notes"]);
    assert_eq!(resources_tagged(&app, "x,y").await, ["other"]);
    assert_eq!(resources_tagged(&app, "x").await, Vec::<String>::new());
    assert_eq!(resources_tagged(&app, "%").await, Vec::<String>::new(), "no wildcard");
    let v: Value = app.ok("{ resources(filter:{tag:\"50%\"}){ edges { node { tags } } } }", json!({}), None).await;
    assert_eq!(v["resources"]["edges"][0]["node"]["tags"], json!(["Learning", "50%"]), "the tags as shown stay");
}
