//! WebFinger, NodeInfo 2.1 and host-meta.
use activitypub_federation::fetch::webfinger::{Webfinger, WebfingerLink};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use url::Url;

use super::FedData;
use crate::db::{group, member};
use crate::domain::actors::ApActor;
use crate::domain::{handles, visibility};
use crate::state::State;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

fn jrd(body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body)
}

/// `acct:name@domain` (or the actor's URL) for local members and groups.
pub async fn webfinger(query: web::Query<WebfingerQuery>, data: FedData<State>) -> HttpResponse {
    let state = data.app_data();
    let Some(resource) = query.resource.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return HttpResponse::BadRequest().json(serde_json::json!({"error": "resource is required"}));
    };
    let base = state.base_url();
    // The subject repeats the name as asked (names are case-insensitive here), so that a
    // client comparing them exactly finds its query.
    let mut subject_name = None;
    let name = if let Some(acct) = resource.strip_prefix("acct:") {
        match handles::parse(acct, &state.config.domain) {
            Ok(h) if !h.is_remote() => {
                subject_name = Some(h.name().to_string());
                h.key()
            }
            _ => return HttpResponse::NotFound().finish(),
        }
    } else if let Some(rest) = resource.strip_prefix(&format!("{base}/members/")) {
        rest.to_lowercase()
    } else if let Some(rest) = resource.strip_prefix(&format!("{base}/groups/")) {
        rest.to_lowercase()
    } else {
        return HttpResponse::NotFound().finish();
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let found = match member::Entity::find()
        .filter(member::Column::Handle.eq(&name))
        .filter(member::Column::Local.eq(true))
        .one(&state.db)
        .await
    {
        Ok(Some(m)) if visibility::member_public(&m) => ApActor::from_member(m).ok().map(|a| (a, "Person")),
        Ok(Some(_)) => None,
        Ok(None) => match group::Entity::find()
            .filter(group::Column::Handle.eq(&name))
            .filter(group::Column::Local.eq(true))
            .one(&state.db)
            .await
        {
            Ok(Some(g)) => ApActor::from_group(g).ok().map(|a| (a, "Group")),
            _ => None,
        },
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    };
    let Some((actor, kind)) = found else { return HttpResponse::NotFound().finish() };
    let mut properties = std::collections::HashMap::new();
    if let Ok(type_key) = Url::parse("https://www.w3.org/ns/activitystreams#type") {
        properties.insert(type_key, kind.to_string());
    }
    let body = Webfinger {
        subject: format!("acct:{}@{}", subject_name.as_deref().unwrap_or(&name), state.config.domain),
        aliases: vec![actor.id.clone()],
        links: vec![
            WebfingerLink {
                rel: Some("http://webfinger.net/rel/profile-page".into()),
                kind: Some("text/html".into()),
                href: Some(actor.id.clone()),
                template: None,
                properties: Default::default(),
            },
            WebfingerLink {
                rel: Some("self".into()),
                kind: Some("application/activity+json".into()),
                href: Some(actor.id.clone()),
                template: None,
                properties,
            },
        ],
        properties: Default::default(),
    };
    jrd(&body)
}

pub async fn nodeinfo_links(data: FedData<State>) -> HttpResponse {
    let base = data.app_data().base_url();
    jrd(&serde_json::json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{base}/nodeinfo/2.1")
        }]
    }))
}

pub async fn nodeinfo(data: FedData<State>) -> HttpResponse {
    let state = data.app_data();
    let users = crate::domain::members::count_local(&state.db).await.unwrap_or(0);
    let groups = crate::domain::groups::count_local(&state.db).await.unwrap_or(0);
    HttpResponse::Ok()
        .content_type("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(serde_json::json!({
            "version": "2.1",
            "software": {
                "name": "weave",
                "version": env!("CARGO_PKG_VERSION"),
                "homepage": state.base_url()
            },
            "protocols": ["activitypub"],
            "services": { "inbound": [], "outbound": [] },
            "openRegistrations": state.config.registration_mode == crate::config::RegistrationMode::Open,
            "usage": {
                "users": { "total": users },
                "localPosts": 0
            },
            "metadata": {
                "nodeName": state.config.instance_name,
                "groups": groups
            }
        }))
}

pub async fn host_meta(data: FedData<State>) -> HttpResponse {
    let base = data.app_data().base_url();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    );
    HttpResponse::Ok().content_type("application/xrd+xml; charset=utf-8").body(body)
}
