//! Inboxes: `POST /inbox` (shared) and the per-actor inboxes. Every request is checked in this
//! order: size and JSON shape (400), the `Signature` header's shape — present, its `keyId` on
//! the activity's actor's host, signing `(request-target) host date digest` — (401, before
//! anything is fetched or written), blocked domain (403), `Date` within the clock-skew window
//! and a valid HTTP signature by the activity's actor over a matching `Digest` (401), then
//! deduplication by activity id (a repeat answers 202 and does nothing), then the domain.
use activitypub_federation::actix_web::inbox::{receive_activity_with_hook, ReceiveActivityHook};
use activitypub_federation::error::Error as ApError;
use activitypub_federation::traits::Activity as _;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use url::Url;
use uuid::Uuid;

use super::activities::Inbound;
use super::{FedData, FedError};
use crate::db::inbound_activity;
use crate::domain::actors::ApActor;
use crate::error::AppError;
use crate::state::State;

/// How far in the future a request's `Date` may be (clock skew), as Mastodon allows.
const MAX_FUTURE_SKEW_SECS: i64 = 60 * 60;

/// A claim older than this was left by a request that died; a retry may take it over.
const STALE_CLAIM_SECS: i64 = 120;

/// Claims the activity id after the signature check and before handling. Remembers whether
/// this request holds the claim, so only the holder releases it on failure.
struct Claim(Arc<AtomicBool>);

impl ReceiveActivityHook<Inbound, ApActor, State> for Claim {
    async fn hook(self, activity: &Inbound, actor: &ApActor, data: &FedData<State>) -> Result<(), FedError> {
        let db = &data.app_data().db;
        let now = Utc::now();
        let row = inbound_activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            ap_id: Set(activity.id().to_string()),
            actor_ap_id: Set(actor.id.to_string()),
            kind: Set(activity.kind().chars().take(64).collect()),
            received_at: Set(now),
            handled_at: Set(None),
        };
        match row.insert(db).await {
            Ok(_) => {}
            Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                // Handled already, or being handled: a duplicate. Unless the claim is stale.
                let taken = inbound_activity::Entity::update_many()
                    .col_expr(inbound_activity::Column::ReceivedAt, Expr::value(now))
                    .filter(inbound_activity::Column::ApId.eq(activity.id().as_str()))
                    .filter(inbound_activity::Column::HandledAt.is_null())
                    .filter(inbound_activity::Column::ReceivedAt.lt(now - chrono::Duration::seconds(STALE_CLAIM_SECS)))
                    .exec(db)
                    .await?;
                if taken.rows_affected != 1 {
                    return Err(FedError::Duplicate);
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.0.store(true, Ordering::SeqCst);
        // The library calls this hook only after the actor's signature verified.
        crate::domain::actors::mark_verified(data.app_data(), actor).await?;
        Ok(())
    }
}

async fn mark_handled(state: &crate::state::AppState, id: &Url) {
    let result = inbound_activity::Entity::update_many()
        .col_expr(inbound_activity::Column::HandledAt, Expr::value(Utc::now()))
        .filter(inbound_activity::Column::ApId.eq(id.as_str()))
        .exec(&state.db)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "marking an inbound activity handled");
    }
}

fn status(code: u16, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(super::ErrorBody { error: message })
}

/// Maps a failure to the status remote servers understand: 4xx they should not retry, 5xx
/// they should.
fn respond(e: FedError) -> HttpResponse {
    match e {
        FedError::Duplicate => HttpResponse::Accepted().finish(),
        FedError::Ignored(why) => {
            tracing::debug!(%why, "inbound activity ignored");
            HttpResponse::Accepted().finish()
        }
        FedError::Blocked => status(403, "this server does not accept activities from your domain"),
        FedError::BadRequest(m) => status(400, &m),
        FedError::Json(_) => status(400, "malformed activity"),
        FedError::Url(_) => status(400, "malformed URL in activity"),
        FedError::Federation(inner) => match inner {
            ApError::ActivityBodyDigestInvalid | ApError::ActivitySignatureInvalid => status(401, "invalid signature"),
            ApError::ParseReceivedActivity { .. } => status(400, "malformed activity"),
            ApError::UrlVerificationError(m) => status(400, m),
            ApError::DomainResolveError(_) | ApError::ResolveInternalIpError(..) => status(403, "address not allowed"),
            ApError::ObjectDeleted(_) => HttpResponse::Accepted().finish(),
            ApError::NotFound | ApError::FetchWrongId(_) | ApError::FetchInvalidContentType(_) => {
                status(401, "could not verify the actor")
            }
            ApError::ParseFetchedObject(..) | ApError::WebfingerResolveFailed(_) => {
                status(401, "could not verify the actor")
            }
            // The block list could not be read: a temporary failure, the sender retries.
            ApError::Other(m) if m == super::BLOCKLIST_UNAVAILABLE => {
                status(503, "could not process the activity now; retry later")
            }
            ApError::Other(m) if m == super::DOMAIN_BLOCKED => {
                status(403, "this server does not accept activities from your domain")
            }
            ApError::Other(_) => status(401, "invalid or missing signature"),
            other => {
                tracing::warn!(error = %other, "inbound activity failed");
                status(502, "could not process the activity now")
            }
        },
        FedError::App(super::AppErrorBox(app)) => match app {
            AppError::Forbidden(_) => status(403, "not allowed"),
            AppError::NotFound(_) => HttpResponse::Accepted().finish(),
            AppError::BadInput { .. } => status(400, "the activity cannot be applied"),
            // A reply to a locked thread, and the like: final, not to be retried.
            AppError::Conflict(_) => status(409, "the activity conflicts with the object's state"),
            // Every database connection stayed busy (a burst queued on one row): temporary,
            // the sender retries later instead of counting it as a failure of ours.
            AppError::Internal(cause)
                if matches!(cause.downcast_ref::<sea_orm::DbErr>(), Some(sea_orm::DbErr::ConnectionAcquire(_))) =>
            {
                tracing::warn!("inbound activity: no database connection free; asked the sender to retry");
                HttpResponse::ServiceUnavailable()
                    .insert_header((actix_web::http::header::RETRY_AFTER, "30"))
                    .json(super::ErrorBody { error: "busy; retry later" })
            }
            other => {
                // Logs the cause with an id and answers only the id, as the API does.
                status(500, &other.client_message())
            }
        },
    }
}

/// The headers every accepted signature must cover.
const SIGNED_HEADERS: [&str; 4] = ["(request-target)", "host", "date", "digest"];

/// `key="value",key2="value2"` (draft-cavage `Signature` parameters), keys lowercased.
fn signature_params(header: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start().strip_prefix('"')?;
        let (value, after) = after.split_once('"')?;
        params.push((key.trim().to_ascii_lowercase(), value.to_string()));
        rest = after.trim_start();
        rest = match rest.strip_prefix(',') {
            Some(r) => r.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(params)
}

/// What can be checked of a signature without fetching anything: it is there, its key lives on
/// the actor's host, and it covers the request line, host, date and body digest.
fn precheck_signature(req: &HttpRequest, actor: &Url) -> Result<(), &'static str> {
    let header = header_str(req, "signature").ok_or("a Signature header is required")?;
    let params = signature_params(header).ok_or("the Signature header is malformed")?;
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let key_id = param("keyid").and_then(|k| Url::parse(k).ok()).ok_or("the signature's keyId is not a URL")?;
    if crate::ap::authority(&key_id).is_empty() || crate::ap::authority(&key_id) != crate::ap::authority(actor) {
        return Err("the signature's key is not on the actor's server");
    }
    // Without `headers`, only `Date` would be signed.
    let signed: Vec<String> =
        param("headers").unwrap_or("date").split_whitespace().map(str::to_ascii_lowercase).collect();
    if !SIGNED_HEADERS.iter().all(|h| signed.iter().any(|s| s == h)) {
        return Err("the signature must cover (request-target), host, date and digest");
    }
    if param("signature").is_none_or(str::is_empty) {
        return Err("the Signature header has no signature");
    }
    if header_str(req, "digest").is_none() {
        return Err("a signed request needs a Digest header");
    }
    Ok(())
}

fn header_str<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An inbox POST, counted by activity type and answer status (see `crate::metrics`).
pub async fn post_inbox(req: HttpRequest, body: web::Bytes, data: FedData<State>) -> HttpResponse {
    let mut kind = None;
    let response = receive(req, body, data, &mut kind).await;
    crate::metrics::inbox_activity(kind.as_deref(), response.status().as_u16());
    response
}

/// Checks and handles one activity; `kind` learns its type as soon as it is read.
async fn receive(req: HttpRequest, body: web::Bytes, data: FedData<State>, kind: &mut Option<String>) -> HttpResponse {
    // Shape first: JSON object with id, type and actor.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return status(400, "the body is not JSON");
    };
    if crate::metrics::enabled() {
        *kind = value.get("type").and_then(|t| t.as_str()).map(str::to_string);
    }
    let id = value.get("id").and_then(|v| v.as_str()).and_then(|s| Url::parse(s).ok());
    let actor = value.get("actor").and_then(crate::ap::object_id);
    let (Some(id), Some(actor)) = (id, actor) else {
        return status(400, "an activity needs an id and an actor");
    };
    if value.get("type").and_then(|t| t.as_str()).is_none() {
        return status(400, "an activity needs a type");
    }
    // Before anything is fetched or written: the library would fetch the actor (and its key)
    // before looking at the signature.
    if let Err(why) = precheck_signature(&req, &actor) {
        return status(401, why);
    }
    let state = data.app_data();
    match crate::domain::moderation::is_blocked(&state.db, &actor).await {
        Ok(true) => return respond(FedError::Blocked),
        Ok(false) => {}
        Err(e) => return respond(e.into()),
    }
    // The library refuses stale dates; refuse those from the future as well.
    match header_str(&req, "date").map(httpdate::parse_http_date) {
        Some(Ok(date)) => {
            let date: chrono::DateTime<Utc> = date.into();
            if (date - Utc::now()).num_seconds() > MAX_FUTURE_SKEW_SECS {
                return status(401, "Date is too far in the future");
            }
        }
        Some(Err(_)) | None => return status(401, "a signed request needs a Date header"),
    }
    // Known repeats stop here without any work (the claim below catches concurrent ones).
    let seen = inbound_activity::Entity::find()
        .filter(inbound_activity::Column::ApId.eq(id.as_str()))
        .filter(inbound_activity::Column::HandledAt.is_not_null())
        .count(&state.db)
        .await;
    match seen {
        Ok(0) => {}
        Ok(_) => return HttpResponse::Accepted().finish(),
        Err(e) => return respond(e.into()),
    }
    let claimed = Arc::new(AtomicBool::new(false));
    let result = receive_activity_with_hook::<Inbound, ApActor, State>(req, body, Claim(claimed.clone()), &data).await;
    match result {
        Ok(_) => {
            mark_handled(state, &id).await;
            super::delivery::mark_alive(state, &crate::ap::authority(&actor)).await;
            HttpResponse::Accepted().finish()
        }
        Err(e) => {
            if claimed.load(Ordering::SeqCst) {
                if let FedError::Ignored(_) = e {
                    // Passed the signature check; nothing to do, now or on a retry.
                    mark_handled(state, &id).await;
                } else {
                    // Failed while ours: release the claim so the sender's retry is handled.
                    let _ = inbound_activity::Entity::delete_many()
                        .filter(inbound_activity::Column::ApId.eq(id.as_str()))
                        .filter(inbound_activity::Column::HandledAt.is_null())
                        .exec(&state.db)
                        .await;
                }
            }
            respond(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{respond, signature_params, ApError, FedError};

    #[test]
    fn an_unreadable_block_list_is_a_temporary_failure() {
        let unavailable = FedError::Federation(ApError::Other(super::super::BLOCKLIST_UNAVAILABLE.into()));
        assert_eq!(respond(unavailable).status().as_u16(), 503);
        let blocked = FedError::Federation(ApError::Other("domain is blocked".into()));
        assert_eq!(respond(blocked).status().as_u16(), 403);
    }

    #[test]
    fn no_free_database_connection_asks_the_sender_to_retry() {
        let busy: FedError = sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout).into();
        let r = respond(busy);
        assert_eq!(r.status().as_u16(), 503);
        assert!(r.headers().contains_key(actix_web::http::header::RETRY_AFTER));
        let broken: FedError = sea_orm::DbErr::Custom("disk I/O error".into()).into();
        assert_eq!(respond(broken).status().as_u16(), 500);
    }

    #[test]
    fn signature_parameters_parse() {
        let p = signature_params(
            r#"keyId="https://a.example/u#main-key",algorithm="rsa-sha256", headers="(request-target) host date digest",signature="YWJj==""#,
        );
        let p = p.unwrap_or_default();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], ("keyid".to_string(), "https://a.example/u#main-key".to_string()));
        assert_eq!(p[2].1, "(request-target) host date digest");
        assert!(signature_params(r#"keyId=unquoted"#).is_none());
        assert!(signature_params(r#"keyId="a" signature="b""#).is_none());
        assert_eq!(signature_params("").map(|p| p.len()), Some(0));
    }
}
