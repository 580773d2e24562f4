use std::path::PathBuf;

use serde_json::{json, Value};
use weave::config::Config;

/// One running instance, with its own database, stopped and cleaned up on drop.
pub struct TestApp {
    pub address: String,
    pub state: weave::state::State,
    pub federation: weave::federation::Federation,
    pub client: reqwest::Client,
    pub database_url: String,
    pub config: Config,
    /// `WEAVE_METRICS_BIND`'s listener, when the test asked for one.
    pub metrics_address: Option<String>,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

/// A stopped instance whose database and port are kept for [`Stopped::start`].
pub struct Stopped {
    config: Config,
    database_url: String,
    dir: Option<tempfile::TempDir>,
    pg_database: Option<(String, String)>,
}

pub fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        weave::telemetry::init(weave::config::LogFormat::Text);
    }
}

/// The PostgreSQL server to test against, if any.
fn postgres_admin_url() -> Option<String> {
    std::env::var("WEAVE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("DATABASE_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts an instance after letting the test adjust its configuration.
pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_database) = new_database(&dir).await;
    let mut config = Config::for_database(&database_url, dir.path());
    adjust(&mut config);
    start(config, database_url, dir, pg_database).await
}

/// A fresh database with only the first `migrations` migrations applied, open for the test to
/// fill with rows as an older Weave wrote them; [`Prepared::start`] then starts an instance on
/// it, which applies the rest.
pub struct Prepared {
    pub db: sea_orm::DatabaseConnection,
    database_url: String,
    dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

pub async fn database_at(migrations: u32) -> Prepared {
    use migration::MigratorTrait as _;
    init_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_database) = new_database(&dir).await;
    let db = sea_orm::Database::connect(&database_url).await.expect("connect");
    migration::Migrator::up(&db, Some(migrations)).await.expect("migrate up to the old version");
    Prepared { db, database_url, dir, pg_database }
}

impl Prepared {
    pub async fn start(self) -> TestApp {
        self.db.close().await.expect("close");
        let config = Config::for_database(&self.database_url, self.dir.path());
        start(config, self.database_url, self.dir, self.pg_database).await
    }
}

/// A new, empty database: a file in `dir` (SQLite), or a database of its own on the PostgreSQL
/// server under test.
async fn new_database(dir: &tempfile::TempDir) -> (String, Option<(String, String)>) {
    match postgres_admin_url() {
        Some(admin) => {
            let name = format!("weave_test_{}", uuid::Uuid::new_v4().simple());
            let conn = sea_orm::Database::connect(&admin).await.expect("connect to PostgreSQL");
            use sea_orm::ConnectionTrait;
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            conn.close().await.ok();
            (with_database(&admin, &name), Some((admin, name)))
        }
        None => (weave::config::sqlite_url(&dir.path().join("weave.db")), None),
    }
}

async fn start(
    mut config: Config,
    database_url: String,
    dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
) -> TestApp {
    let app = weave::Application::build(config.clone()).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    // Restarts come back on the same port and domain.
    config.bind = format!("127.0.0.1:{}", app.port());
    config.domain = state.config.domain.clone();
    let federation = app.federation();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        federation,
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        database_url,
        config,
        metrics_address,
        handle,
        _dir: dir,
        pg_database,
    }
}

impl Stopped {
    pub async fn start(mut self) -> TestApp {
        let dir = self.dir.take().expect("stopped app has its directory");
        start(self.config.clone(), self.database_url.clone(), dir, self.pg_database.take()).await
    }
}

impl TestApp {
    /// Stops the server (gracefully) and keeps its database for a later start.
    pub async fn stop(mut self) -> Stopped {
        self.handle.stop(true).await;
        self.state.db.clone().close().await.ok();
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        Stopped {
            config: self.config.clone(),
            database_url: self.database_url.clone(),
            dir: Some(dir),
            pg_database: self.pg_database.take(),
        }
    }

    /// Delivers everything due (as if at `now`), repeating until the queue is quiet.
    pub async fn deliver_at(&self, now: chrono::DateTime<chrono::Utc>) -> weave::federation::delivery::Report {
        let mut total = weave::federation::delivery::Report::default();
        for _ in 0..20 {
            let r = weave::federation::delivery::run_once(&self.federation, now, 1000).await.expect("delivery round");
            total.sent += r.sent;
            total.retried += r.retried;
            total.failed += r.failed;
            total.skipped += r.skipped;
            total.postponed += r.postponed;
            if r.total() == 0 {
                break;
            }
        }
        total
    }

    pub async fn deliver(&self) -> weave::federation::delivery::Report {
        self.deliver_at(chrono::Utc::now()).await
    }

    pub fn domain(&self) -> &str {
        &self.state.config.domain
    }

    /// Another instance on the same database and domain, as a second replica behind a load
    /// balancer would be. This instance keeps owning (and dropping) the database.
    pub async fn replica(&self) -> TestApp {
        let mut config = self.config.clone();
        config.bind = "127.0.0.1:0".into();
        start(config, self.database_url.clone(), tempfile::tempdir().expect("temp dir"), None).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command without waiting: the server runs on the test's runtime,
        // which is busy running this drop.
        drop(self.handle.stop(false));
        drop_pg(self.pg_database.take());
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        drop_pg(self.pg_database.take());
    }
}

/// Drops a per-test PostgreSQL database, on its own thread and runtime (Drop may run while
/// the test's runtime unwinds).
fn drop_pg(db: Option<(String, String)>) {
    let Some((admin, name)) = db else { return };
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                use sea_orm::ConnectionTrait;
                let _ = conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                let _ = conn.close().await;
            }
        })
    })
    .join();
}

pub struct Account {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// POSTs a GraphQL request; answers the whole JSON response.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("accept", "application/json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status().as_u16(), 200, "GraphQL over application/json answers 200");
        resp.json().await.expect("json response")
    }

    /// Moves every table's change counter (`migration::data_version`), as a commit to each
    /// would: the next request reads no answer or row an earlier request kept
    /// (`graphql::cache`, `domain::shared_rows`).
    pub async fn new_data_version(&self) {
        use sea_orm::ConnectionTrait as _;
        let tables = migration::data_version::tracked(&self.state.db).await.expect("the counted tables");
        let moved: Vec<String> = tables.iter().map(|t| format!("\"{t}\" = \"{t}\" + 1")).collect();
        let sql = format!("UPDATE {} SET {}", migration::data_version::TABLE, moved.join(", "));
        self.state.db.execute_unprepared(&sql).await.expect("move the counters");
    }

    /// Like [`gql`] but asserts there were no errors and returns `data`.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let v = self.gql(query, variables, token).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v:#}");
        v["data"].clone()
    }

    pub async fn register(&self, username: &str) -> Account {
        let data = self
            .ok(
                "mutation($u:String!,$e:String!){ register(input:{username:$u,email:$e,password:\"correct horse battery\"}){ accessToken refreshToken member { id username } } }",
                json!({"u": username, "e": format!("{username}@example.org")}),
                None,
            )
            .await;
        let r = &data["register"];
        Account {
            id: r["member"]["id"].as_str().expect("id").to_string(),
            access: r["accessToken"].as_str().expect("access").to_string(),
            refresh: r["refreshToken"].as_str().expect("refresh").to_string(),
        }
    }

    /// Makes `username` the instance admin through the real CLI command, then signs in.
    pub async fn admin(&self, username: &str) -> Account {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_weave"))
            .args(["create-admin", "--username", username, "--email", &format!("{username}@example.org")])
            .env("WEAVE_DATABASE_URL", &self.database_url)
            .env("WEAVE_DATA_DIR", self._dir.path())
            .env("WEAVE_DOMAIN", &self.state.config.domain)
            .env("WEAVE_FEDERATION_DEBUG", "true")
            .env("WEAVE_ADMIN_PASSWORD", "correct horse battery")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run weave create-admin");
        assert!(out.status.success(), "create-admin failed: {}", String::from_utf8_lossy(&out.stderr));
        self.login(username, "correct horse battery").await
    }

    pub async fn login(&self, username: &str, password: &str) -> Account {
        let data = self
            .ok(
                "mutation($u:String!,$p:String!){ login(input:{usernameOrEmail:$u,password:$p}){ accessToken refreshToken member { id username } } }",
                json!({"u": username, "p": password}),
                None,
            )
            .await;
        let r = &data["login"];
        Account {
            id: r["member"]["id"].as_str().expect("id").to_string(),
            access: r["accessToken"].as_str().expect("access").to_string(),
            refresh: r["refreshToken"].as_str().expect("refresh").to_string(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self._dir.path().to_path_buf()
    }
}

/// The `extensions.code` of the first error.
pub fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {v:#}"))
}

/// Takes `db`'s migrations down until `version` of them are applied (`version` counts from
/// `m0001`), whatever number have been added since.
pub async fn migrate_down_to(db: &sea_orm::DatabaseConnection, version: usize) {
    use migration::MigratorTrait as _;
    let applied = migration::Migrator::get_applied_migrations(db).await.expect("applied migrations").len();
    assert!(applied >= version, "{applied} migrations applied, fewer than {version}");
    migration::Migrator::down(db, Some((applied - version) as u32)).await.expect("migrate down");
}

/// A row as an older Weave wrote it, column by column (for databases made with
/// [`database_at`] or taken down with [`migrate_down_to`]).
pub fn old_row(table: &str, cols: Vec<(&str, sea_orm::Value)>) -> sea_orm::sea_query::InsertStatement {
    use sea_orm::sea_query::{Alias, Query};
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values(cols.into_iter().map(|(_, v)| v.into()))
        .expect("as many values as columns");
    q
}

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a graphql-transport-ws connection as `who` and starts the subscription `query`.
pub async fn subscribe(app: &TestApp, who: &Account, query: &str, variables: Value) -> Socket {
    use futures_util::SinkExt as _;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut req = url.into_client_request().expect("a websocket request");
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("a header value"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket upgrade");
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {}", who.access)}});
    ws.send(Message::Text(init.to_string().into())).await.expect("connection_init sent");
    assert_eq!(next_message(&mut ws).await["type"], "connection_ack");
    let start = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}});
    ws.send(Message::Text(start.to_string().into())).await.expect("subscribe sent");
    ws
}

/// The next text message of a socket (pings skipped), within 10 seconds.
pub async fn next_message(ws: &mut Socket) -> Value {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}
