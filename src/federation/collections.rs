//! Actor documents (content-negotiated with HTML pages), outboxes and followers collections,
//! and stored activities by id.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use super::{wants_activity_json, FedData};
use crate::db::outbound_activity;
use crate::domain::actors::{self, ActorKind, ApActor};
use crate::domain::pagination::{encode_cursor, PageRequest};
use crate::domain::{follows, published, visibility};
use crate::state::State;

pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";
const OUTBOX_PAGE: u64 = 20;

pub fn activity_json(body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header((header::VARY, "Accept"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(body.to_string())
}

fn accepts_ap(req: &HttpRequest) -> bool {
    wants_activity_json(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

use crate::ap::collection::Collection;
use crate::ap::with_context;

async fn local_actor(data: &FedData<State>, kind: ActorKind, name: &str) -> Option<ApActor> {
    let state = data.app_data();
    match kind {
        ActorKind::Instance => actors::instance(state).await.ok(),
        _ => ApActor::local_by_name(&state.db, Some(kind), name).await.ok().flatten(),
    }
}

/// A local actor as its URL and collections show it, or the answer when they do not: 404 when
/// there is none or it is hidden (`visibility::actor_public`), 410 Gone with a `Tombstone` once
/// deleted.
async fn shown_actor(data: &FedData<State>, kind: ActorKind, name: &str) -> Result<ApActor, HttpResponse> {
    let not_found = || HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found");
    let Some(actor) = local_actor(data, kind, name).await else { return Err(not_found()) };
    if actor.is_deleted() {
        let tombstone = crate::ap::object::to_value(crate::ap::activities::Tombstone::of(actor.id.as_str()));
        return Err(HttpResponse::Gone().content_type(ACTIVITY_JSON).body(with_context(tombstone).to_string()));
    }
    if !visibility::actor_public(&actor) {
        return Err(not_found());
    }
    Ok(actor)
}

async fn actor_response(req: HttpRequest, data: FedData<State>, kind: ActorKind, name: &str) -> HttpResponse {
    let actor = match shown_actor(&data, kind, name).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    if !accepts_ap(&req) {
        return crate::web::pages::actor_page(data.app_data(), &actor, req.query_string()).await;
    }
    use activitypub_federation::traits::Object as _;
    match actor.into_json(&data).await.map(serde_json::to_value) {
        Ok(Ok(json)) => activity_json(&with_context(json)),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "serialising an actor");
            HttpResponse::InternalServerError().finish()
        }
        Err(e) => {
            tracing::error!(error = %e, "building an actor document");
            HttpResponse::InternalServerError().finish()
        }
    }
}

pub async fn member(req: HttpRequest, path: web::Path<String>, data: FedData<State>) -> HttpResponse {
    actor_response(req, data, ActorKind::Member, &path).await
}

pub async fn group(req: HttpRequest, path: web::Path<String>, data: FedData<State>) -> HttpResponse {
    actor_response(req, data, ActorKind::Group, &path).await
}

pub async fn instance(req: HttpRequest, data: FedData<State>) -> HttpResponse {
    if !accepts_ap(&req) {
        return HttpResponse::Found().insert_header((header::LOCATION, "/")).finish();
    }
    actor_response(req, data, ActorKind::Instance, "").await
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    max_id: Option<Uuid>,
}

/// An actor's public activities, newest first, each carrying its object as it is now
/// (`domain::published`): what was deleted is a `Tombstone`, what is no longer public is left
/// out (`totalItems` counts what was published).
async fn outbox(data: FedData<State>, kind: ActorKind, name: &str, q: PageQuery) -> HttpResponse {
    let actor = match shown_actor(&data, kind, name).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let state = data.app_data();
    let outbox_url = format!("{}/outbox", actor.id);
    let base = outbound_activity::Entity::find()
        .filter(outbound_activity::Column::ActorId.eq(actor.row_id))
        .filter(outbound_activity::Column::Public.eq(true));
    let Ok(total) = base.clone().count(&state.db).await else { return HttpResponse::ServiceUnavailable().finish() };
    if q.page.is_none() {
        let first = format!("{outbox_url}?page=true");
        return activity_json(
            &Collection::<serde_json::Value>::summary(outbox_url, total, Some(first)).into_document(),
        );
    }
    let mut page = base.order_by_desc(outbound_activity::Column::Id).limit(OUTBOX_PAGE + 1);
    if let Some(max) = q.max_id {
        page = page.filter(outbound_activity::Column::Id.lt(max));
    }
    let Ok(mut rows) = page.all(&state.db).await else { return HttpResponse::ServiceUnavailable().finish() };
    let more = rows.len() as u64 > OUTBOX_PAGE;
    rows.truncate(OUTBOX_PAGE as usize);
    let mut items = Vec::with_capacity(rows.len());
    for stored in rows.iter().filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.payload).ok()) {
        match published::as_now(&state.db, state, stored).await {
            Ok(Some(mut v)) => {
                if let Some(o) = v.as_object_mut() {
                    o.remove("@context");
                }
                items.push(v);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = ?e, "reading an outbox item as it is now");
                return HttpResponse::ServiceUnavailable().finish();
            }
        }
    }
    let id = match q.max_id {
        Some(m) => format!("{outbox_url}?page=true&max_id={m}"),
        None => format!("{outbox_url}?page=true"),
    };
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!("{outbox_url}?page=true&max_id={}", last.id)),
        _ => None,
    };
    activity_json(&Collection::page(id, outbox_url, total, items, next).into_document())
}

pub async fn member_outbox(path: web::Path<String>, q: web::Query<PageQuery>, data: FedData<State>) -> HttpResponse {
    outbox(data, ActorKind::Member, &path, q.into_inner()).await
}

pub async fn group_outbox(path: web::Path<String>, q: web::Query<PageQuery>, data: FedData<State>) -> HttpResponse {
    outbox(data, ActorKind::Group, &path, q.into_inner()).await
}

#[derive(Deserialize)]
pub struct FollowersQuery {
    page: Option<String>,
    after: Option<String>,
}

/// Followers collections say how many; groups that choose to (`publicFollowers`) also say who,
/// in pages.
async fn followers(data: FedData<State>, kind: ActorKind, name: &str, q: FollowersQuery) -> HttpResponse {
    let actor = match shown_actor(&data, kind, name).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let db = &data.app_data().db;
    let id = format!("{}/followers", actor.id);
    let public = matches!(&actor.source, actors::ActorSource::Group(g) if g.public_followers);
    if !public || q.page.is_none() {
        let Ok(total) = follows::followers_count(db, actor.row_id).await else {
            return HttpResponse::ServiceUnavailable().finish();
        };
        let first = public.then(|| format!("{id}?page=true"));
        return activity_json(&Collection::<String>::summary(id, total, first).into_document());
    }
    let Ok(page) = PageRequest::new(Some(50), q.after.as_deref()) else {
        return HttpResponse::BadRequest().finish();
    };
    let Ok(rows) = follows::follower_ids(db, actor.row_id, page).await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let page_id = match &q.after {
        Some(a) => format!("{id}?page=true&after={a}"),
        None => format!("{id}?page=true"),
    };
    let next = match (rows.has_next, rows.items.last()) {
        (true, Some((last, _))) => Some(format!("{id}?page=true&after={}", encode_cursor(*last))),
        _ => None,
    };
    let items = rows.items.iter().map(|(_, ap_id)| ap_id.clone()).collect::<Vec<_>>();
    activity_json(&Collection::page(page_id, id, rows.total, items, next).into_document())
}

pub async fn member_followers(
    path: web::Path<String>,
    q: web::Query<FollowersQuery>,
    data: FedData<State>,
) -> HttpResponse {
    followers(data, ActorKind::Member, &path, q.into_inner()).await
}

pub async fn group_followers(
    path: web::Path<String>,
    q: web::Query<FollowersQuery>,
    data: FedData<State>,
) -> HttpResponse {
    followers(data, ActorKind::Group, &path, q.into_inner()).await
}

/// Following collections say how many, not whom.
async fn following(data: FedData<State>, kind: ActorKind, name: &str) -> HttpResponse {
    let actor = match shown_actor(&data, kind, name).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let Ok(total) = follows::following_count(&data.app_data().db, actor.row_id).await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let id = format!("{}/following", actor.id);
    activity_json(&Collection::<String>::summary(id, total, None).into_document())
}

pub async fn member_following(path: web::Path<String>, data: FedData<State>) -> HttpResponse {
    following(data, ActorKind::Member, &path).await
}

pub async fn group_following(path: web::Path<String>, data: FedData<State>) -> HttpResponse {
    following(data, ActorKind::Group, &path).await
}

/// A public activity we published, by its id, as its actor's outbox serves it: its object as it
/// is now, nothing once that is no longer public or its actor is hidden.
pub async fn activity(req: HttpRequest, data: FedData<State>) -> HttpResponse {
    let state = data.app_data();
    let id = format!("{}{}", state.base_url(), req.path());
    let a = match outbound_activity::Entity::find().filter(outbound_activity::Column::ApId.eq(id)).one(&state.db).await
    {
        Ok(Some(a)) if a.public => a,
        Ok(_) => return HttpResponse::NotFound().finish(),
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    };
    match ApActor::by_id(&state.db, a.actor_id).await {
        Ok(Some(actor)) if visibility::actor_public(&actor) => {}
        Ok(_) => return HttpResponse::NotFound().finish(),
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    }
    let Ok(stored) = serde_json::from_str::<serde_json::Value>(&a.payload) else {
        return HttpResponse::InternalServerError().finish();
    };
    match published::as_now(&state.db, state, stored).await {
        Ok(Some(v)) => activity_json(&v),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// All federation routes; they need the library's middleware (see `web::server`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::{inbox, wellknown};
    cfg.route("/.well-known/webfinger", web::get().to(wellknown::webfinger))
        .route("/.well-known/nodeinfo", web::get().to(wellknown::nodeinfo_links))
        .route("/.well-known/host-meta", web::get().to(wellknown::host_meta))
        .route("/nodeinfo/2.1", web::get().to(wellknown::nodeinfo))
        .route("/inbox", web::post().to(inbox::post_inbox))
        .route("/actor", web::get().to(instance))
        .route("/actor/inbox", web::post().to(inbox::post_inbox))
        .route("/members/{name}", web::get().to(member))
        .route("/members/{name}/inbox", web::post().to(inbox::post_inbox))
        .route("/members/{name}/outbox", web::get().to(member_outbox))
        .route("/members/{name}/followers", web::get().to(member_followers))
        .route("/members/{name}/following", web::get().to(member_following))
        .route("/groups/{slug}", web::get().to(group))
        .route("/groups/{slug}/inbox", web::post().to(inbox::post_inbox))
        .route("/groups/{slug}/outbox", web::get().to(group_outbox))
        .route("/groups/{slug}/followers", web::get().to(group_followers))
        .route("/groups/{slug}/following", web::get().to(group_following))
        .route("/activities/{kind}/{id}", web::get().to(activity));
}
