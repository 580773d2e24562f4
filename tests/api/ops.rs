//! Operations: health, schema file, compose file, CLI.
use serde_json::json;

use crate::helpers::{code, spawn_app};

#[tokio::test]
async fn the_front_page_lists_groups() {
    let app = spawn_app().await;
    let resp = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains(&format!("@community@{}", app.state.config.domain)), "{body}");
}

#[tokio::test]
async fn admins_set_the_instances_description_rules_and_contact_shown_everywhere_it_introduces_itself() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let ada = app.register("ada").await;
    let set = "mutation($i: UpdateInstanceInput!) { updateInstance(input: $i) { description descriptionHtml rules contactEmail } }";
    let rules = json!(["Be kind; assume good intent.", "No <script>alert(1)</script> tricks."]);
    let input = json!({"i": {"description": "A network for *learning* together.", "rules": rules, "contactEmail": "Hosts@Example.org"}});
    assert_eq!(code(&app.gql(set, input.clone(), Some(&ada.access)).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(set, input.clone(), None).await), "UNAUTHENTICATED");
    let v = app.ok(set, input, Some(&admin.access)).await["updateInstance"].clone();
    assert_eq!(v["rules"], rules);
    assert_eq!(v["contactEmail"], "hosts@example.org");
    assert!(v["descriptionHtml"].as_str().unwrap().contains("<em>learning</em>"), "{v}");
    // Bad input changes nothing.
    let many: Vec<String> = (0..31).map(|n| format!("Rule {n}")).collect();
    assert_eq!(code(&app.gql(set, json!({"i": {"rules": many}}), Some(&admin.access)).await), "BAD_USER_INPUT");
    assert_eq!(
        code(&app.gql(set, json!({"i": {"contactEmail": "nobody"}}), Some(&admin.access)).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(code(&app.gql(set, json!({"i": {"rules": ["ok", " "]}}), Some(&admin.access)).await), "BAD_USER_INPUT");
    let read = app.ok("{ instance { rules contactEmail description } }", json!({}), None).await["instance"].clone();
    assert_eq!(read["rules"], rules);
    assert_eq!(read["description"], "A network for *learning* together.");

    // The front page shows them (escaped), and so does NodeInfo.
    let page = app.client.get(format!("{}/", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Be kind; assume good intent."), "{page}");
    assert!(page.contains("&lt;script&gt;") && !page.contains("<script>alert"), "{page}");
    assert!(page.contains("<em>learning</em>") && page.contains("mailto:hosts@example.org"));
    let info: serde_json::Value =
        app.client.get(format!("{}/nodeinfo/2.1", app.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["metadata"]["rules"], rules);
    assert_eq!(info["metadata"]["maintainer"]["email"], "hosts@example.org");
    assert_eq!(info["metadata"]["nodeDescription"], "A network for *learning* together.");
    // Clearing: empty texts and an empty list.
    let v = app.ok(set, json!({"i": {"description": "", "rules": [], "contactEmail": ""}}), Some(&admin.access)).await;
    assert_eq!(
        v["updateInstance"],
        json!({"description": null, "descriptionHtml": null, "rules": [], "contactEmail": null})
    );
}

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let resp = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Every response carries the id its log lines carry.
    assert_eq!(resp.headers()["x-request-id"].len(), 36);
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap()["status"], "ok");
}

/// Every type, field, input field and enum value a client sees has a description (what a
/// schema browser shows), except the connection types async-graphql generates and the
/// built-in scalars.
#[tokio::test]
async fn every_part_of_the_schema_is_described() {
    let q = "{ __schema { types { name description fields(includeDeprecated: true) { name description }
        inputFields { name description } enumValues(includeDeprecated: true) { name description } } } }";
    let answer = weave::graphql::build_schema(None, None).execute(q).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    let data = answer.data.into_json().unwrap();
    let described = |v: &serde_json::Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    let (mut missing, mut checked) = (vec![], 0);
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let generated = name.ends_with("Connection") || name.ends_with("Edge") || name == "PageInfo";
        if name.starts_with("__") || generated || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        checked += 1;
        if !described(t) {
            missing.push(name.to_string());
        }
        for part in ["fields", "inputFields", "enumValues"] {
            for f in t[part].as_array().into_iter().flatten() {
                checked += 1;
                if !described(f) {
                    missing.push(format!("{name}.{}", f["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(checked > 500, "the introspection answer lists the schema ({checked} parts)");
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

/// `schema/schema.graphql` is what the code serves. Regenerate with
/// `cargo run -- export-schema --out schema/schema.graphql`.
#[test]
fn schema_file_is_in_sync() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let current = weave::graphql::sdl();
    assert!(
        on_disk == current,
        "schema/schema.graphql is stale: run `cargo run -- export-schema --out schema/schema.graphql`"
    );
}

#[test]
fn compose_file_names_the_services() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("docker-compose.yml is YAML");
    let services = doc["services"].as_mapping().expect("services");
    let weave = &doc["services"]["weave"];
    let postgres = &doc["services"]["postgres"];
    assert!(services.len() >= 2);
    assert!(weave["build"].is_mapping() || weave["build"].is_string(), "weave is built from the Dockerfile");
    let env = &weave["environment"];
    let db_url = env["WEAVE_DATABASE_URL"].as_str().expect("WEAVE_DATABASE_URL");
    assert!(db_url.starts_with("postgres://") && db_url.contains("@postgres:5432/"), "{db_url}");
    assert!(env["WEAVE_DOMAIN"].is_string());
    assert!(postgres["image"].as_str().unwrap().starts_with("postgres:"));
    assert!(postgres["healthcheck"].is_mapping(), "postgres has a healthcheck");
    assert_eq!(weave["depends_on"]["postgres"]["condition"], "service_healthy");
    // The Dockerfile it builds exists, is multi-stage, and copies every path the manifest
    // names (cargo refuses a manifest whose declared targets are missing).
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert!(dockerfile.matches("FROM ").count() >= 2);
    for path in ["Cargo.toml", "Cargo.lock", "migration", "src", "benches"] {
        assert!(
            dockerfile.lines().any(|l| l.starts_with("COPY ") && l.contains(path)),
            "Dockerfile does not copy {path}"
        );
    }
}

#[tokio::test]
async fn create_admin_refuses_bad_input_and_leaves_nothing() {
    let app = spawn_app().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weave"))
        .args(["create-admin", "--username", "root_admin", "--email", "not-an-email"])
        .env("WEAVE_DATABASE_URL", &app.database_url)
        .env("WEAVE_DATA_DIR", app.data_dir())
        .env("WEAVE_ADMIN_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("email"));
    let v = app.ok("{ member(handle:\"root_admin\") { id } }", json!({}), None).await;
    assert!(v["member"].is_null());
}

#[test]
fn a_short_jwt_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weave"))
        .arg("migrate")
        .env("WEAVE_DATA_DIR", dir.path())
        .env_remove("WEAVE_DATABASE_URL")
        .env("WEAVE_JWT_SECRET", "too-short-secret")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("WEAVE_JWT_SECRET") && err.contains("at least 32"), "{err}");
    assert!(!err.contains("too-short-secret"), "the secret itself is not printed: {err}");
    // 32 bytes are enough.
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_weave"))
        .arg("migrate")
        .env("WEAVE_DATA_DIR", dir.path())
        .env_remove("WEAVE_DATABASE_URL")
        .env("WEAVE_JWT_SECRET", "x".repeat(32))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

#[tokio::test]
async fn config_debug_redacts_secrets() {
    let mut config = weave::config::Config::for_database(
        "postgres://weave:hunter2hunter2@db.example/weave",
        std::path::Path::new("/tmp"),
    );
    config.jwt_secret = "a-very-secret-jwt-key-of-enough-length".into();
    let shown = format!("{config:?}");
    assert!(!shown.contains("a-very-secret-jwt-key") && !shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("db.example") && shown.contains("[redacted]"), "{shown}");
}

#[tokio::test]
async fn indexes_exist_and_expired_refresh_tokens_are_pruned() {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "SELECT indexname AS name FROM pg_indexes",
        _ => "SELECT name FROM sqlite_master WHERE type = 'index'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    let names: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "name").ok()).collect();
    for wanted in [
        "ix_login_failure_created",
        "ix_refresh_token_member",
        "ix_refresh_token_expires",
        "ix_member_status",
        "ix_inbound_activity_received",
        "ix_delivery_updated",
        "ix_delivery_domain_state",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} missing from {names:?}");
    }

    // Two sign-ins; one's token is made to expire.
    app.register("alice").await;
    app.login("alice", "correct horse battery").await;
    use weave::db::refresh_token;
    let tokens = refresh_token::Entity::find().all(db).await.unwrap();
    assert_eq!(tokens.len(), 2);
    let now = chrono::Utc::now();
    let mut expired: refresh_token::ActiveModel = tokens[0].clone().into();
    expired.expires_at = sea_orm::Set(now - chrono::Duration::minutes(1));
    sea_orm::ActiveModelTrait::update(expired, db).await.unwrap();
    assert_eq!(weave::domain::sessions::prune_expired(db, now).await.unwrap(), 1);
    assert_eq!(refresh_token::Entity::find().count(db).await.unwrap(), 1);
}

#[tokio::test]
async fn total_count_is_counted_only_when_selected() {
    use weave::domain::pagination::PageRequest;
    let app = spawn_app().await;
    app.register("alice").await;
    app.register("bob").await;
    let page = PageRequest::new(Some(1), None).unwrap();
    let counted = weave::domain::members::list_ids(&app.state, None, page).await.unwrap();
    assert_eq!((counted.items.len(), counted.total, counted.has_next), (1, 2, true));
    let uncounted = weave::domain::members::list_ids(&app.state, None, page.count_total(false)).await.unwrap();
    assert_eq!((uncounted.items.len(), uncounted.total, uncounted.has_next), (1, 0, true));
    // Through the API: with and without totalCount.
    let v = app.ok("{ members(first: 1) { totalCount edges { node { handle } } } }", json!({}), None).await;
    assert_eq!(v["members"]["totalCount"], 2);
    let v =
        app.ok("{ members(first: 1) { pageInfo { hasNextPage } edges { node { handle } } } }", json!({}), None).await;
    assert_eq!(v["members"]["pageInfo"]["hasNextPage"], true);
}

/// Runs the real `weave` command against a database and data directory.
fn weave_cli(args: &[&str], database_url: Option<&str>, data_dir: &std::path::Path) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_weave"));
    cmd.args(args).env("WEAVE_DATA_DIR", data_dir).env("RUST_LOG", "warn").env_remove("WEAVE_DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("WEAVE_DATABASE_URL", url);
    }
    cmd.output().expect("run weave")
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_into_an_empty_data_dir() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let app = spawn_app().await;
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("weave-backup.db");
    let file_arg = file.to_str().unwrap().to_string();
    if app.database_url.starts_with("postgres") {
        // PostgreSQL has its own tools; the command names them and writes nothing.
        let out = weave_cli(&["backup", "--out", &file_arg], Some(&app.database_url), &app.data_dir());
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        assert!(!file.exists());
        return;
    }
    for n in 0..5 {
        app.register(&format!("keeper{n}")).await;
    }
    // Members keep registering while the backup is taken.
    let (client, address) = (app.client.clone(), app.address.clone());
    let writer = tokio::spawn(async move {
        for n in 0..15 {
            let q = "mutation($u: String!, $e: String!) { register(input: {username: $u, email: $e, password: \"correct horse battery\"}) { accessToken } }";
            let vars = json!({"u": format!("writer{n}"), "e": format!("writer{n}@example.org")});
            client
                .post(format!("{address}/graphql"))
                .json(&json!({"query": q, "variables": vars}))
                .send()
                .await
                .unwrap();
        }
    });
    let (url, dir, arg) = (app.database_url.clone(), app.data_dir(), file_arg.clone());
    let out =
        tokio::task::spawn_blocking(move || weave_cli(&["backup", "--out", &arg], Some(&url), &dir)).await.unwrap();
    writer.await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    // Never over an existing file.
    assert!(!weave_cli(&["backup", "--out", &file_arg], Some(&app.database_url), &app.data_dir()).status.success());

    // Restored into an empty data directory, it opens, is sound, and holds what the live
    // database held when it was taken: every member it has, the live one has too.
    let fresh = tempfile::tempdir().unwrap();
    let out = weave_cli(&["restore", "--from", &file_arg], None, fresh.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!weave_cli(&["restore", "--from", &file_arg], None, fresh.path()).status.success(), "not over a database");
    let restored =
        Database::connect(format!("sqlite://{}?mode=ro", fresh.path().join("weave.db").display())).await.unwrap();
    let handles = |db: sea_orm::DatabaseConnection| async move {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT handle FROM member ORDER BY handle",
            ))
            .await
            .unwrap();
        rows.into_iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect::<Vec<_>>()
    };
    let kept = handles(restored).await;
    let live = handles(app.state.db.clone()).await;
    assert!((0..5).all(|n| kept.contains(&format!("keeper{n}"))), "{kept:?}");
    assert!(kept.iter().all(|h| live.contains(h)), "{kept:?} vs {live:?}");
    // A file that is not a Weave database is refused.
    let junk = out_dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(!weave_cli(&["restore", "--from", junk.to_str().unwrap()], None, elsewhere.path()).status.success());
}
