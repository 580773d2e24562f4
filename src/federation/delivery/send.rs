//! Sending one delivery (signed by `sign.rs`), and what came of it.
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::traits::Activity;
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::Serialize;
use url::Url;

use super::servers::{dead_since, DEAD_PROBE_SECS, GIVE_UP_ON_DEAD_SECS};
use super::sign::PostError;
use crate::db::{delivery, outbound_activity};
use crate::domain::actors::ApActor;
use crate::federation::{FedData, FedError, Federation};
use crate::state::{AppState, State};

/// A stored activity, re-serialised exactly as it was written.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    id: Url,
    actor: Url,
    json: serde_json::Value,
}

impl Serialize for Stored {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

#[async_trait::async_trait]
impl Activity for Stored {
    type DataType = State;
    type Error = FedError;
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
    async fn verify(&self, _: &FedData<State>) -> Result<(), FedError> {
        Ok(())
    }
    async fn receive(self, _: &FedData<State>) -> Result<(), FedError> {
        Ok(())
    }
}

#[derive(Clone)]
pub(super) enum Outcome {
    Sent,
    Retry(String),
    Skipped(String),
    /// The receiving server answered with a permanent 4xx: failed, with its status kept.
    Rejected(String),
    Postpone(DateTime<Utc>),
}

/// Why the library dropped an inbox before sending: a local or disallowed address is final;
/// anything else (the name does not resolve, or resolves to a private address) may change, so
/// the delivery is retried.
fn classify_dropped_inbox(state: &AppState, inbox: &Url) -> Outcome {
    if crate::ap::authority(inbox) == state.config.domain.to_lowercase() {
        return Outcome::Skipped("the inbox is on this server".into());
    }
    let debug = state.config.federation_debug;
    let permanent = match inbox.scheme() {
        "https" => None,
        "http" if debug => None,
        _ => Some("the inbox URL's scheme is not allowed"),
    }
    .or_else(|| inbox.domain().is_none().then_some("the inbox URL has no domain name"))
    .or_else(|| (!debug && inbox.port().is_some()).then_some("the inbox URL has an explicit port"));
    match permanent {
        Some(why) => Outcome::Skipped(why.into()),
        None => Outcome::Retry("the inbox's server name did not resolve to a public address".into()),
    }
}

/// An activity ready to sign: its document and its signer. Loaded once per round for all the
/// deliveries of that activity (a group's post goes to many inboxes).
pub(super) type Ready = Result<(Stored, ApActor), Outcome>;

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
    let (Ok(json), Ok(id)) =
        (serde_json::from_str::<serde_json::Value>(&activity.payload), Url::parse(&activity.ap_id))
    else {
        return Err(Outcome::Skipped("stored activity is malformed".into()));
    };
    Ok((Stored { id, actor: signer.id.clone(), json }, signer))
}

pub(super) async fn send(fed: &Federation, row: &delivery::Model, ready: &Ready, now: DateTime<Utc>) -> Outcome {
    let state: &AppState = fed;
    if let Some((dead_since, failing_since)) = dead_since(state, &row.domain).await {
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
    match crate::domain::moderation::is_blocked(&state.db, &inbox).await {
        Ok(true) => return Outcome::Skipped("the receiving domain is blocked".into()),
        Ok(false) => {}
        Err(e) => return Outcome::Retry(format!("checking the block list: {e}")),
    }
    let (stored, signer) = match ready {
        Ok(r) => r,
        Err(outcome) => return outcome.clone(),
    };
    // The library decides which inboxes may be sent to (not ours, allowed schemes, resolvable
    // to a public address, not blocked); the signature and the POST are `sign.rs`'s.
    let data = fed.to_request_data();
    let kept = match SendActivityTask::prepare(stored, signer, vec![inbox.clone()], &data).await {
        Ok(tasks) => !tasks.is_empty(),
        Err(e) => return Outcome::Retry(format!("preparing: {e}")),
    };
    if !kept {
        return classify_dropped_inbox(state, &inbox);
    }
    let Ok(body) = serde_json::to_vec(&stored.json) else {
        return Outcome::Skipped("stored activity is malformed".into());
    };
    match fed.outbound().post(signer, &inbox, body).await {
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
