//! Finding actors by handle: local ones in the database, remote ones through WebFinger and a
//! signed-fetch-free GET of the actor document (cached; refreshed when stale).
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;

use activitypub_federation::error::Error as ApError;
use futures_util::FutureExt as _;

use super::{FedData, FedError};
use crate::db::{group, member};
use crate::domain::actors::{ActorKind, ActorSource, ApActor};
use crate::domain::viewer::Viewer;
use crate::domain::{actors, handles, visibility};

use crate::error::{AppError, AppResult};
use crate::state::State;

/// How many remote look-ups (WebFinger plus actor fetch) one API request may make.
pub const REMOTE_LOOKUPS_PER_REQUEST: usize = 3;

/// A request's allowance of remote look-ups.
#[derive(Debug)]
pub struct RemoteBudget(std::sync::atomic::AtomicUsize);

impl Default for RemoteBudget {
    fn default() -> Self {
        RemoteBudget(std::sync::atomic::AtomicUsize::new(REMOTE_LOOKUPS_PER_REQUEST))
    }
}

impl RemoteBudget {
    fn take(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
    }
}

/// Whether a look-up may go to the network: anonymous callers see what is cached; signed-in
/// ones may fetch, within their request's budget.
#[derive(Clone, Copy)]
pub enum Lookup<'a> {
    CacheOnly,
    Network(&'a RemoteBudget),
}

/// An actor by handle, fetching remote ones on demand when `lookup` allows. `None` when
/// there is none.
pub async fn actor_by_handle(data: &FedData<State>, handle: &str, lookup: Lookup<'_>) -> AppResult<Option<ApActor>> {
    let state = data.app_data();
    // The name keeps the case it was given in for WebFinger (servers such as Mastodon answer
    // with their canonical case); the database key is lowercase.
    let parsed = handles::parse(handle, &state.config.domain)?;
    let given_name = parsed.name();
    let domain = parsed.server();
    let key = parsed.key();
    if let Some(domain) = domain {
        if let Ok(url) = url::Url::parse(&format!("{}://{domain}/", state.config.scheme())) {
            if crate::domain::moderation::is_blocked(&state.db, &url).await? {
                return Err(FedError::Blocked.into());
            }
        }
    }
    let cached = match member::Entity::find().filter(member::Column::Handle.eq(&key)).one(&state.db).await? {
        Some(m) => Some(ApActor::of_member(&state.db, m).await?),
        None => match group::Entity::find().filter(group::Column::Handle.eq(&key)).one(&state.db).await? {
            Some(g) => Some(ApActor::of_group(&state.db, g).await?),
            None => None,
        },
    };
    let Lookup::Network(budget) = lookup else { return Ok(cached) };
    if let Some(actor) = cached {
        return refresh(data, actor, budget).await.map(Some);
    }
    let Some(domain) = domain else { return Ok(None) };
    if !budget.take() {
        return Err(AppError::RateLimited(format!("at most {REMOTE_LOOKUPS_PER_REQUEST} remote look-ups per request")));
    }
    // A bounded number of look-ups leave this server at once.
    let _permit = state.remote_lookups.acquire().await.map_err(AppError::internal)?;
    // The library asserts (in debug builds only) that the answer's subject repeats the query
    // exactly; a server answering in another case must not take the request down with it.
    let identifier = format!("{given_name}@{domain}");
    let lookup = webfinger_resolve_actor::<State, ApActor>(&identifier, data);
    let outcome = match std::panic::AssertUnwindSafe(lookup).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::info!(%handle, "WebFinger answered for another spelling of the handle");
            return Ok(None);
        }
    };
    match outcome {
        Ok(actor) if actor.kind != ActorKind::Instance => {
            // Fetched from its own server at a member's request: verified.
            actors::mark_verified(state, &actor).await?;
            Ok(Some(actor))
        }
        Ok(_) => Ok(None),
        // No such account there (404, an empty or foreign answer, a deleted actor).
        Err(FedError::Federation(
            ApError::WebfingerResolveFailed(_)
            | ApError::NotFound
            | ApError::ObjectDeleted(_)
            | ApError::ParseFetchedObject(..)
            | ApError::FetchInvalidContentType(_)
            | ApError::FetchWrongId(_),
        )) => Ok(None),
        Err(FedError::Federation(e @ (ApError::Reqwest(_) | ApError::ReqwestMiddleware(_)))) => {
            tracing::info!(error = %e, %handle, "resolving a remote actor failed");
            Err(AppError::NotFound(format!("remote actor at {domain}")))
        }
        Err(e) => {
            tracing::info!(error = %e, %handle, "resolving a remote actor failed");
            Err(e.into())
        }
    }
}

/// Remote actors are refreshed when stale (the library decides; failures keep the cached copy).
async fn refresh(data: &FedData<State>, actor: ApActor, budget: &RemoteBudget) -> AppResult<ApActor> {
    use activitypub_federation::traits::Object as _;
    let stale = actor.last_refreshed_at().is_some_and(|t| chrono::Utc::now() - t > chrono::Duration::hours(24));
    if actor.local || !stale || !budget.take() {
        return Ok(actor);
    }
    let id: ObjectId<ApActor> = actor.id.clone().into();
    match id.dereference(data).await {
        Ok(fresh) => {
            actors::mark_verified(data.app_data(), &fresh).await?;
            Ok(fresh)
        }
        Err(_) => Ok(actor),
    }
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// What a handle names, as the API shows it: a member or a group.
pub enum Found {
    Member(Box<crate::db::member::Model>),
    Group(Box<crate::db::group::Model>),
}

/// A member or group by handle (see [`actor_by_handle`]), if `viewer` may see it.
pub async fn find_by_handle(
    data: &FedData<State>,
    handle: &str,
    lookup: Lookup<'_>,
    viewer: &Viewer,
) -> AppResult<Option<Found>> {
    Ok(actor_by_handle(data, handle, lookup).await?.and_then(|a| match a.source {
        ActorSource::Member(m) if visibility::member_visible(&m, viewer) => Some(Found::Member(m)),
        ActorSource::Group(g) => Some(Found::Group(g)),
        _ => None,
    }))
}

pub async fn member_by_handle(
    data: &FedData<State>,
    handle: &str,
    lookup: Lookup<'_>,
    viewer: &Viewer,
) -> AppResult<Option<crate::db::member::Model>> {
    Ok(match find_by_handle(data, handle, lookup, viewer).await? {
        Some(Found::Member(m)) => Some(*m),
        _ => None,
    })
}

pub async fn group_by_handle(
    data: &FedData<State>,
    handle: &str,
    lookup: Lookup<'_>,
    viewer: &Viewer,
) -> AppResult<Option<crate::db::group::Model>> {
    Ok(match find_by_handle(data, handle, lookup, viewer).await? {
        Some(Found::Group(g)) => Some(*g),
        _ => None,
    })
}
