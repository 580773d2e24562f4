//! WebFinger, NodeInfo 2.1 and host-meta.
use activitypub_federation::fetch::webfinger::{Webfinger, WebfingerLink};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use url::Url;

use super::FedData;
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
        return HttpResponse::BadRequest().json(super::ErrorBody { error: "resource is required" });
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
    let found = match ApActor::local_by_name(&state.db, None, &name).await {
        Ok(Some(a)) if visibility::actor_public(&a) => {
            let kind = if a.kind == crate::domain::actors::ActorKind::Group { "Group" } else { "Person" };
            Some((a, kind))
        }
        Ok(_) => None,
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

/// `/.well-known/nodeinfo`: where the NodeInfo document is.
#[derive(Serialize)]
struct NodeInfoLinks {
    links: [NodeInfoLink; 1],
}

#[derive(Serialize)]
struct NodeInfoLink {
    rel: &'static str,
    href: String,
}

/// NodeInfo 2.1.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeInfo<'a> {
    version: &'static str,
    software: Software<'a>,
    protocols: [&'static str; 1],
    services: Services,
    open_registrations: bool,
    usage: Usage,
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Software<'a> {
    name: &'static str,
    version: &'static str,
    homepage: &'a str,
}

#[derive(Serialize)]
struct Services {
    inbound: [&'static str; 0],
    outbound: [&'static str; 0],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    users: Users,
    local_posts: u64,
}

#[derive(Serialize)]
struct Users {
    total: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    node_name: &'a str,
    /// The admins' description, as written (Markdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    node_description: Option<String>,
    /// The server's rules, in order (as Mastodon lists them).
    rules: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintainer: Option<Maintainer>,
    groups: u64,
}

#[derive(Serialize)]
struct Maintainer {
    email: String,
}

pub async fn nodeinfo_links(data: FedData<State>) -> HttpResponse {
    let base = data.app_data().base_url();
    jrd(&NodeInfoLinks {
        links: [NodeInfoLink {
            rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
            href: format!("{base}/nodeinfo/2.1"),
        }],
    })
}

pub async fn nodeinfo(data: FedData<State>) -> HttpResponse {
    let state = data.app_data();
    let users = crate::domain::members::count_local(&state.db).await.unwrap_or(0);
    let groups = crate::domain::groups::count_local(&state.db).await.unwrap_or(0);
    let profile = crate::domain::instance::profile(&state.db).await.unwrap_or_default();
    let base = state.base_url();
    HttpResponse::Ok()
        .content_type("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(NodeInfo {
            version: "2.1",
            software: Software { name: "weave", version: env!("CARGO_PKG_VERSION"), homepage: &base },
            protocols: ["activitypub"],
            services: Services { inbound: [], outbound: [] },
            open_registrations: state.config.registration_mode == crate::config::RegistrationMode::Open,
            usage: Usage { users: Users { total: users }, local_posts: 0 },
            metadata: Metadata {
                node_name: &state.config.instance_name,
                node_description: profile.description,
                rules: profile.rules,
                maintainer: profile.contact_email.map(|email| Maintainer { email }),
                groups,
            },
        })
}

pub async fn host_meta(data: FedData<State>) -> HttpResponse {
    let base = data.app_data().base_url();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    );
    HttpResponse::Ok().content_type("application/xrd+xml; charset=utf-8").body(body)
}
