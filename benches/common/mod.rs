//! What the benchmarks share: an instance with its admin and `community` group, numbers from
//! the environment, a process's CPU time, and stored remote accounts. Each bench uses part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use sea_orm::Set;
use uuid::Uuid;
use weave::db::enums::{ActorKind, MemberStatus};
use weave::db::{actor, group, member};

pub mod signed;

/// Sends a request and reads its answer as JSON (a bench stops at the first failure).
pub async fn json_of(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// A GraphQL request to `base`'s endpoint, with `token` when given, and its answer.
pub async fn gql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let mut request = client.post(format!("{base}/graphql"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    json_of(request.json(&serde_json::json!({"query": query, "variables": variables}))).await
}

/// `name` from the environment as a number, else `default`.
pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// User and system CPU time of a process so far, in seconds (from `/proc`; clock ticks of
/// USER_HZ, 100 on Linux).
pub fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A running instance on SQLite in a temporary directory, or on the empty PostgreSQL database
/// named by `WEAVE_BENCH_DATABASE_URL`, with its admin (who owns `community`).
pub struct Instance {
    pub app_state: weave::state::State,
    pub federation: weave::federation::Federation,
    pub handle: actix_web::dev::ServerHandle,
    pub port: u16,
    pub base: String,
    pub engine: &'static str,
    pub admin: member::Model,
    pub community: group::Model,
    _dir: tempfile::TempDir,
}

impl Instance {
    pub async fn start() -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let url = std::env::var("WEAVE_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| weave::config::sqlite_url(&dir.path().join("bench.db")));
        let engine = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
        let config = weave::config::Config::for_database(&url, dir.path());
        let app = weave::Application::build(config).await.unwrap();
        let (app_state, federation, handle, port) = (app.state(), app.federation(), app.handle(), app.port());
        tokio::spawn(app.run_until_stopped());
        let admin =
            weave::domain::members::create_admin(&app_state, "bench_admin", "bench@example.org", "bench password 1")
                .await
                .unwrap();
        let community = weave::domain::groups::find_local(&app_state.db, "community").await.unwrap().unwrap();
        Instance {
            app_state,
            federation,
            handle,
            port,
            base: format!("http://127.0.0.1:{port}"),
            engine,
            admin,
            community,
            _dir: dir,
        }
    }

    pub fn viewer(&self) -> weave::domain::viewer::Viewer {
        weave::domain::viewer::Viewer::Member(Box::new(self.admin.clone()))
    }
}

/// A remote account as stored after a fetch (verified, fresh), on `host`, delivering to
/// `shared_inbox`: its actor row and its member row (insert the actor first).
pub fn remote_member(
    ap_id: String,
    handle: String,
    username: String,
    host: &str,
    shared_inbox: String,
    public_key_pem: String,
    now: DateTime<Utc>,
) -> (actor::ActiveModel, member::ActiveModel) {
    let id = Uuid::now_v7();
    let actor_row = actor::ActiveModel {
        id: Set(id),
        kind: Set(ActorKind::Member),
        ap_id: Set(ap_id.clone()),
        username: Set(username.clone()),
        domain: Set(Some(host.to_string())),
        local: Set(false),
        url: Set(None),
        inbox_url: Set(Some(format!("{ap_id}/inbox"))),
        shared_inbox_url: Set(Some(shared_inbox)),
        outbox_url: Set(None),
        followers_url: Set(None),
        public_key_pem: Set(Some(public_key_pem)),
        private_key_pem: Set(None),
        manually_approves_followers: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(Some(now)),
        verified_at: Set(Some(now)),
    };
    let member_row = member::ActiveModel {
        id: Set(id),
        handle: Set(handle),
        username: Set(username),
        domain: Set(Some(host.to_string())),
        email: Set(None),
        password_hash: Set(None),
        display_name: Set(None),
        bio: Set(None),
        bio_html: Set(None),
        sector: Set(None),
        organization: Set(None),
        country: Set(None),
        pronouns: Set(None),
        interests: Set(serde_json::json!([])),
        links: Set(serde_json::json!([])),
        is_admin: Set(false),
        status: Set(MemberStatus::Active),
        calendar_token: Set(None),
        mail_off: Set(String::new()),
        local: Set(false),
        ap_id: Set(ap_id),
        avatar_url: Set(None),
        avatar_id: Set(None),
        discoverable: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    (actor_row, member_row)
}
