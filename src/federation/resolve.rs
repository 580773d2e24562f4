//! Finding actors by handle: local ones in the database, remote ones through WebFinger and a
//! signed-fetch-free GET of the actor document (cached; refreshed when stale).
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;

use activitypub_federation::error::Error as ApError;

use super::actors::{ActorKind, ApActor};
use super::{FedData, FedError};
use crate::db::{group, member};
use crate::domain::members::normalize_handle;
use crate::error::{AppError, AppResult};
use crate::state::State;

/// Splits `name@host[:port]`; a bare `name` (or our own domain) is local.
pub fn split_handle<'a>(handle: &'a str, local_domain: &str) -> AppResult<(&'a str, Option<&'a str>)> {
    match handle.split_once('@') {
        None => Ok((handle, None)),
        Some((name, domain)) if !name.is_empty() && !domain.is_empty() && !domain.contains('@') => {
            if domain.eq_ignore_ascii_case(local_domain) {
                Ok((name, None))
            } else {
                Ok((name, Some(domain)))
            }
        }
        _ => Err(AppError::bad_input("handle", "a handle is name or name@server")),
    }
}

/// An actor by handle, fetching remote ones on demand. `None` when there is none.
pub async fn actor_by_handle(data: &FedData<State>, handle: &str) -> AppResult<Option<ApActor>> {
    let state = data.app_data();
    let handle = normalize_handle(handle);
    let (name, domain) = split_handle(&handle, &state.config.domain)?;
    let key = match domain {
        None => name.to_string(),
        Some(d) => format!("{name}@{d}"),
    };
    if let Some(m) = member::Entity::find().filter(member::Column::Handle.eq(&key)).one(&state.db).await? {
        return refresh(data, ApActor::from_member(m).map_err(AppError::from)?).await.map(Some);
    }
    if let Some(g) = group::Entity::find().filter(group::Column::Handle.eq(&key)).one(&state.db).await? {
        return refresh(data, ApActor::from_group(g).map_err(AppError::from)?).await.map(Some);
    }
    let Some(domain) = domain else { return Ok(None) };
    if let Ok(url) = url::Url::parse(&format!("{}://{domain}/", state.config.scheme())) {
        if super::is_blocked(&state.db, &url).await? {
            return Err(FedError::Blocked.into());
        }
    }
    match webfinger_resolve_actor::<State, ApActor>(&format!("{name}@{domain}"), data).await {
        Ok(actor) if actor.kind != ActorKind::Instance => Ok(Some(actor)),
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
async fn refresh(data: &FedData<State>, actor: ApActor) -> AppResult<ApActor> {
    if actor.local {
        return Ok(actor);
    }
    let id: ObjectId<ApActor> = actor.id.clone().into();
    match id.dereference(data).await {
        Ok(fresh) => Ok(fresh),
        Err(_) => Ok(actor),
    }
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
