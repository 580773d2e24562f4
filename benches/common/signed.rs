//! Signed inbound activities for the benches that measure an inbox: the server runs in a child
//! process (so that its CPU is measured alone), and every request is signed, as Mastodon signs
//! it, before the clock starts.
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http_signature_normalization_reqwest::prelude::{Config as SigConfig, Sign as _};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest as _, Sha256};

/// Whether this process is the bench's server (the child).
pub fn is_server() -> bool {
    std::env::var("WEAVE_BENCH_SERVER").is_ok()
}

/// Starts this bench again as its server and returns it with the words of the first line it
/// prints; the rest of its output is passed on to stderr so that it never blocks on a full pipe.
pub fn spawn_server(env: &[(&str, String)]) -> (Child, Vec<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("WEAVE_BENCH_SERVER", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || {
        for l in out.lines().map_while(Result::ok) {
            eprintln!("server: {l}");
        }
    });
    (child, line.split_whitespace().map(str::to_string).collect())
}

/// The server's side of `spawn_server`: prints its line, then serves until stdin closes (read
/// on a blocking thread, so that tasks spawned on this runtime keep running).
pub async fn announce_and_wait(line: &str) {
    use std::io::Write as _;
    println!("{line}");
    std::io::stdout().flush().unwrap();
    let _ = tokio::task::spawn_blocking(|| {
        let mut rest = String::new();
        std::io::stdin().read_line(&mut rest)
    })
    .await;
}

/// The admin's key pair (made now), shared by every remote account `store_remote_accounts`
/// writes: the bench signs as any of them with one key. Returns (public PEM, private PEM).
pub async fn shared_key(instance: &super::Instance) -> (String, String) {
    use weave::domain::actors::{ensure_keys, ApActor};
    let state = &instance.app_state;
    let keyed = ensure_keys(state, ApActor::of_member(&state.db, instance.admin.clone()).await.unwrap()).await.unwrap();
    (keyed.public_key_pem.clone(), keyed.private_key_pem.clone().unwrap())
}

/// Stores remote accounts as after a fetch (verified, fresh), each given as (ActivityPub id,
/// username, host, shared inbox), all with the public key `public`.
pub async fn store_remote_accounts(
    state: &weave::state::State,
    public: &str,
    accounts: impl Iterator<Item = (String, String, String, String)>,
) {
    use sea_orm::EntityTrait as _;
    use weave::db::{actor, member};
    let now = chrono::Utc::now();
    let (actors, rows): (Vec<actor::ActiveModel>, Vec<member::ActiveModel>) = accounts
        .map(|(ap_id, username, host, inbox)| {
            super::remote_member(ap_id, format!("{username}@{host}"), username, &host, inbox, public.to_string(), now)
        })
        .unzip();
    for chunk in actors.chunks(500) {
        actor::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
    for chunk in rows.chunks(500) {
        member::Entity::insert_many(chunk.to_vec()).exec_without_returning(&state.db).await.unwrap();
    }
}

/// Signing failed (the library's errors convert into it).
#[derive(Debug)]
pub struct SignFailed;
impl From<http_signature_normalization_reqwest::SignError> for SignFailed {
    fn from(_: http_signature_normalization_reqwest::SignError) -> Self {
        SignFailed
    }
}
impl From<reqwest::Error> for SignFailed {
    fn from(_: reqwest::Error) -> Self {
        SignFailed
    }
}

/// A POST of `activity` to `inbox`, signed with `key` as `{actor}#main-key` (Mastodon's
/// headers: host, date, digest), for a server that believes it is `host`.
pub async fn signed_post(
    client: &reqwest::Client,
    inbox: &str,
    host: &str,
    actor: &str,
    key: &RsaPrivateKey,
    activity: &serde_json::Value,
) -> reqwest::Request {
    let body = serde_json::to_vec(activity).unwrap();
    let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body));
    let key = key.clone();
    client
        .post(inbox)
        .header("content-type", "application/activity+json")
        .header("host", host)
        .header("date", httpdate::fmt_http_date(std::time::SystemTime::now()))
        .header("digest", format!("SHA-256={digest}"))
        .body(body)
        .signature(&SigConfig::new().mastodon_compat(), format!("{actor}#main-key"), move |signing_string| {
            let sig = key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()))
                .map_err(|_| SignFailed)?;
            Ok::<_, SignFailed>(base64::engine::general_purpose::STANDARD.encode(sig))
        })
        .await
        .unwrap()
}

/// The bench's server as the remote accounts post to it: its inbox, the host it answers as,
/// the accounts' shared key (sent by the server as base64 of its PEM) and a client.
pub struct Target {
    pub inbox: String,
    pub host: String,
    pub key: RsaPrivateKey,
    pub client: reqwest::Client,
}

impl Target {
    pub fn new(port: &str, key_pem_base64: &str, connections: usize) -> Target {
        use rsa::pkcs8::DecodePrivateKey as _;
        let pem = base64::engine::general_purpose::STANDARD.decode(key_pem_base64).unwrap();
        Target {
            inbox: format!("http://127.0.0.1:{port}/inbox"),
            host: format!("localhost:{port}"),
            key: RsaPrivateKey::from_pkcs8_pem(&String::from_utf8(pem).unwrap()).unwrap(),
            client: reqwest::Client::builder().pool_max_idle_per_host(connections).build().unwrap(),
        }
    }

    /// Every (actor, activity) signed by its actor, before any is sent.
    pub async fn sign_all(
        &self,
        activities: impl Iterator<Item = (String, serde_json::Value)>,
    ) -> Vec<reqwest::Request> {
        let mut requests = Vec::new();
        for (actor, activity) in activities {
            requests.push(signed_post(&self.client, &self.inbox, &self.host, &actor, &self.key, &activity).await);
        }
        requests
    }
}

/// What sending a batch at once gave.
pub struct Sent {
    pub accepted: usize,
    pub wall: Duration,
    /// The server's CPU seconds while the batch was answered.
    pub cpu: f64,
    /// When the batch began, and the server's CPU seconds then.
    pub started: Instant,
    pub cpu_before: f64,
}

/// Sends every request at once and counts the 202s; prints the first other answer.
pub async fn send_all(client: &reqwest::Client, server: &Child, requests: Vec<reqwest::Request>) -> Sent {
    let cpu0 = super::cpu_seconds_of(server.id());
    let started = Instant::now();
    let statuses = futures_util::future::join_all(requests.into_iter().map(|r| client.execute(r))).await;
    let wall = started.elapsed();
    let cpu = super::cpu_seconds_of(server.id()) - cpu0;
    let accepted = statuses.iter().filter(|s| s.as_ref().is_ok_and(|r| r.status().as_u16() == 202)).count();
    if let Some(other) = statuses.into_iter().find(|s| !s.as_ref().is_ok_and(|r| r.status().as_u16() == 202)) {
        match other {
            Ok(r) => println!("  a refused activity: {} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => println!("  a failed activity: {e}"),
        }
    }
    Sent { accepted, wall, cpu, started, cpu_before: cpu0 }
}
