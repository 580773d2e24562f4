//! Pages of threads, posts and library entries (`GET /threads/{id}`, `/posts/{id}`,
//! `/resources/{id}`): the URL a Mastodon user clicks, with OpenGraph tags, or, for
//! `Accept: application/activity+json`, the `Page`, `Note` or `Document` itself. They show what
//! an anonymous visitor may see.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use maud::html;

use super::pages::{link, page, stored_html, Head};
use crate::db::{post, thread};
use crate::domain::pagination::PageRequest;
use crate::domain::viewer::Viewer;
use crate::domain::{groups, members, publishing, resources, search, threads};
use crate::error::AppError;
use crate::federation::collections::activity_json;
use crate::state::{AppState, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/threads/{id}", web::get().to(thread_page))
        .route("/posts/{id}", web::get().to(post_page))
        .route("/resources/{id}", web::get().to(resource_page));
}

pub(super) fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found")
}

pub(super) fn failed(e: AppError) -> HttpResponse {
    match e {
        AppError::NotFound(_) | AppError::BadInput { .. } => not_found(),
        other => {
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body(other.client_message())
        }
    }
}

pub(super) fn wants_json(req: &HttpRequest) -> bool {
    crate::federation::wants_activity_json(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

pub(super) fn summary(html: &str) -> String {
    let text = search::plain(html);
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().take(300).collect()
}

/// How each shown author is named on a page: "Name (@handle)", for visible accounts only.
pub(super) async fn author_names(state: &AppState, ids: Vec<Uuid>) -> std::collections::HashMap<Uuid, String> {
    members::load_many(&state.db, &ids)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(crate::domain::visibility::member_public)
        .map(|m| (m.id, format!("{} (@{})", m.display_name.clone().unwrap_or_else(|| m.username.clone()), m.handle)))
        .collect()
}

async fn thread_page(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let t = match threads::get(&state.db, &Viewer::Anonymous, id).await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let opening = match threads::opening_post(&state.db, t.id).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    if wants_json(&req) {
        return match publishing::page_of(&state.db, &t, opening.as_ref()).await {
            Ok(Some(doc)) => activity_json(&crate::ap::with_context(doc)),
            Ok(None) => not_found(),
            Err(e) => failed(e),
        };
    }
    render_thread(&state, &t, opening.as_ref()).await
}

async fn render_thread(state: &AppState, t: &thread::Model, opening: Option<&post::Model>) -> HttpResponse {
    let group = groups::get(&state.db, t.group_id).await.ok();
    let posts = threads::posts(&state.db, t.id, PageRequest { first: 100, after: None, count_total: false }, None)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    // Every author of the page in one statement.
    let names = author_names(state, posts.iter().filter_map(|p| p.author_id).collect()).await;
    let body = html! {
        h1 { (t.title) }
        @if let Some(g) = &group {
            p.muted { "In " (g.name) " (@" (g.handle) ")" @if t.locked { " · locked" } }
        }
        @for p in &posts {
            @let who = match (p.deleted, p.author_id.and_then(|a| names.get(&a))) {
                (true, _) => "deleted",
                (false, Some(name)) => name.as_str(),
                (false, None) => "someone",
            };
            article id=(p.id) class=(format!("depth-{}", p.depth.clamp(0, 8))) {
                p.muted { (who) " · " (p.created_at.format("%Y-%m-%d %H:%M UTC")) }
                @if p.deleted {
                    p.muted { "(deleted)" }
                } @else {
                    (stored_html(&p.body_html))
                }
            }
        }
        @if t.post_count > 100 {
            p.muted { (t.post_count - 100) " more posts in the app." }
        }
    };
    let description = opening.map(|p| summary(&p.body_html)).unwrap_or_default();
    page(
        state,
        Head {
            title: &t.title,
            description: &description,
            kind: "article",
            url: &t.ap_id,
            alternates: &[("application/activity+json", &t.ap_id)],
            meta: &[("article:published_time", &t.created_at.to_rfc3339())],
        },
        body,
    )
}

async fn post_page(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let p = match threads::get_post(&state.db, &Viewer::Anonymous, id).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    if wants_json(&req) {
        if p.deleted {
            let tombstone = serde_json::to_value(crate::ap::activities::Tombstone::of(&p.ap_id)).unwrap_or_default();
            return HttpResponse::Gone()
                .content_type("application/activity+json")
                .body(crate::ap::with_context(tombstone).to_string());
        }
        return match publishing::note_of(&state.db, &state, &p).await {
            Ok(Some((note, _))) => activity_json(&crate::ap::with_context(note)),
            Ok(None) => not_found(),
            Err(e) => failed(e),
        };
    }
    // A post's page is its thread's, scrolled to it.
    let thread = threads::thread_url(&state, p.thread_id);
    HttpResponse::SeeOther().insert_header((header::LOCATION, format!("{thread}#{}", p.id))).finish()
}

async fn resource_page(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let r = match resources::get(&state.db, id).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let g = match groups::get(&state.db, r.group_id).await {
        Ok(g) => g,
        Err(e) => return failed(e),
    };
    if wants_json(&req) {
        return activity_json(&crate::ap::with_context(publishing::document_of(&g, &r)));
    }
    let tags = resources::tags(&r);
    let body = html! {
        h1 { (r.title) }
        p.muted {
            "In the library of " (g.name) " (@" (g.handle) ")"
            @if !r.folder.is_empty() { " · " (r.folder) }
        }
        @if let Some(href) = r.link.as_deref().and_then(link) {
            p { a href=(href) rel="nofollow noopener" { (href) } }
        }
        @if let Some(d) = &r.description_html {
            (stored_html(d))
        }
        @if !tags.is_empty() {
            p.muted { (tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" ")) }
        }
    };
    let description = r.description_html.as_deref().map(summary).unwrap_or_default();
    page(
        &state,
        Head {
            title: &r.title,
            description: &description,
            kind: "website",
            url: &r.ap_id,
            alternates: &[("application/activity+json", &r.ap_id)],
            meta: &[],
        },
        body,
    )
}
