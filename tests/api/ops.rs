//! Operations: health, schema file, compose file, CLI.
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_front_page_lists_groups() {
    let app = spawn_app().await;
    let resp = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains(&format!("@community@{}", app.state.config.domain)), "{body}");
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
