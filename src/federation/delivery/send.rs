//! Sending one delivery (signed by `sign.rs`), and what came of it.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use url::Url;

use super::servers::{dead_since, health, DEAD_PROBE_SECS, GIVE_UP_ON_DEAD_SECS};
use super::sign::PostError;
use crate::db::{delivery, outbound_activity, remote_instance};
use crate::domain::actors::ApActor;
use crate::domain::moderation::Blocks;
use crate::federation::Federation;
use crate::state::AppState;

#[derive(Clone)]
pub(super) enum Outcome {
    Sent,
    Retry(String),
    Skipped(String),
    /// The receiving server answered with a permanent 4xx: failed, with its status kept.
    Rejected(String),
    Postpone(DateTime<Utc>),
}

/// Which inboxes may be sent to at all, whatever they answer: not on this server, https (http
/// too in the tests' debug mode), named by a domain (an address literal never is), and without
/// an explicit port outside debug mode. That the name resolves to a public address is checked
/// when connecting, by the client's resolver (so a name cannot change between the check and
/// the connection).
fn refused_inbox(state: &AppState, inbox: &Url) -> Option<&'static str> {
    let debug = state.config.federation_debug;
    if crate::ap::authority(inbox) == state.config.domain.to_lowercase() {
        return Some("the inbox is on this server");
    }
    match inbox.scheme() {
        "https" => {}
        "http" if debug => {}
        _ => return Some("the inbox URL's scheme is not allowed"),
    }
    let Some(domain) = inbox.domain() else { return Some("the inbox URL has no domain name") };
    if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') {
        return Some("the inbox URL's domain name is malformed");
    }
    if !debug && inbox.port().is_some() {
        return Some("the inbox URL has an explicit port");
    }
    None
}

/// An activity ready to sign: its document as stored (shared by its deliveries, not copied)
/// and its signer. Loaded once per
/// round for all the deliveries of that activity (a group's post goes to many inboxes).
pub(super) type Ready = Result<(bytes::Bytes, ApActor), Outcome>;

pub(super) async fn load_activity(state: &AppState, activity_id: uuid::Uuid) -> Ready {
    let activity = match outbound_activity::Entity::find_by_id(activity_id).one(&state.db).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(Outcome::Skipped("activity no longer exists".into())),
        Err(e) => return Err(Outcome::Retry(format!("database: {e}"))),
    };
    let signer = match ApActor::by_id(&state.db, activity.actor_id).await {
        Ok(Some(a)) if a.private_key_pem.is_some() => a,
        Ok(_) => return Err(Outcome::Skipped("the signing actor has no key".into())),
        Err(e) => return Err(Outcome::Retry(format!("loading the signer: {e:?}"))),
    };
    // Sent exactly as stored; it must still be one JSON object.
    match serde_json::from_str::<serde_json::Value>(&activity.payload) {
        Ok(serde_json::Value::Object(_)) => Ok((bytes::Bytes::from(activity.payload), signer)),
        _ => Err(Outcome::Skipped("stored activity is malformed".into())),
    }
}

/// What a round knows of the servers it sends to, read once for all its deliveries: their
/// health and the block-list entries that bear on their inboxes.
pub(super) struct Round {
    pub(super) health: HashMap<String, remote_instance::Model>,
    blocks: Result<Blocks, String>,
}

impl Round {
    pub(super) async fn load(state: &AppState, rows: &[delivery::Model]) -> Result<Round, sea_orm::DbErr> {
        let mut domains: Vec<&str> = rows.iter().map(|r| r.domain.as_str()).collect();
        domains.sort_unstable();
        domains.dedup();
        let health = health(state, &domains).await?;
        let inboxes: Vec<Url> = rows.iter().filter_map(|r| Url::parse(&r.inbox_url).ok()).collect();
        let blocks = Blocks::load(&state.db, &inboxes).await.map_err(|e| format!("checking the block list: {e}"));
        Ok(Round { health, blocks })
    }
}

pub(super) async fn send(
    fed: &Federation,
    round: &Round,
    row: &delivery::Model,
    ready: &Ready,
    now: DateTime<Utc>,
) -> Outcome {
    let state: &AppState = fed;
    if let Some((dead_since, failing_since)) = dead_since(round.health.get(&row.domain)) {
        let probe_at = dead_since + chrono::Duration::seconds(DEAD_PROBE_SECS);
        if now < probe_at {
            if (now - failing_since).num_seconds() > GIVE_UP_ON_DEAD_SECS {
                return Outcome::Skipped("the receiving server has been dead for a week".into());
            }
            return Outcome::Postpone(probe_at);
        }
    }
    let Ok(inbox) = Url::parse(&row.inbox_url) else {
        return Outcome::Skipped("the inbox URL is malformed".into());
    };
    if let Some(why) = refused_inbox(state, &inbox) {
        return Outcome::Skipped(why.into());
    }
    match &round.blocks {
        Ok(blocks) if blocks.covers(&inbox) => return Outcome::Skipped("the receiving domain is blocked".into()),
        Ok(_) => {}
        Err(e) => return Outcome::Retry(e.clone()),
    }
    let (body, signer) = match ready {
        Ok(r) => r,
        Err(outcome) => return outcome.clone(),
    };
    match fed.outbound().post(signer, &inbox, body.clone()).await {
        Ok(response) => answered(response).await,
        Err(PostError::Key) => Outcome::Skipped("the signing actor's key cannot be read".into()),
        Err(PostError::Failed(e)) => Outcome::Retry(e),
    }
}

/// What an answer means (as Mastodon reads its own deliveries' answers): 2xx delivered; a
/// 4xx other than 408 and 429 a permanent refusal; anything else worth another try. The
/// first KiB of a refusal's body is kept with it (the remote's explanation).
async fn answered(response: reqwest::Response) -> Outcome {
    let status = response.status();
    if status.is_success() {
        return Outcome::Sent;
    }
    let said = first_kib(response).await;
    if status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
    {
        Outcome::Rejected(format!("refused by the receiving server: HTTP {status}{said}"))
    } else {
        Outcome::Retry(format!("the receiving server answered HTTP {status}{said}"))
    }
}

/// Up to 1 KiB of an answer's body as text (read at most 4 KiB of it), prefixed ": ".
async fn first_kib(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < 4096 {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&body).chars().filter(|c| !c.is_control()).take(1024).collect();
    if text.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", text.trim())
    }
}
