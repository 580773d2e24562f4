//! Pages of learning questions and reflections (`GET /questions/{id}`, `/reflections/{id}`):
//! what a Mastodon user clicks, or, for `Accept: application/activity+json`, the `Page` or
//! `Note` itself. Only PUBLIC records are shown here; partners have theirs delivered, and
//! everything else answers 404 as if it did not exist.
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

use super::library::{author_names, failed, not_found, summary, wants_json};
use super::pages::{page, stored_html, Head};
use crate::domain::groups;
use crate::domain::learning::{self, ReflectionFilter};
use crate::domain::pagination::PageRequest;
use crate::domain::viewer::Viewer;
use crate::federation::collections::activity_json;
use crate::state::State;

/// Reflections shown under a question's page.
const SHOWN: u64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/questions/{id}", web::get().to(question_page))
        .route("/reflections/{id}", web::get().to(reflection_page));
}

async fn question_page(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let q = match learning::get_question(&state, &Viewer::Anonymous, id).await {
        Ok(q) => q,
        Err(e) => return failed(e),
    };
    if wants_json(&req) {
        return match learning::public_question(&state.db, &q).await {
            Ok(Some(doc)) => activity_json(&crate::ap::with_context(doc)),
            Ok(None) => not_found(),
            Err(e) => failed(e),
        };
    }
    let group = groups::get(&state.db, q.group_id).await.ok();
    let filter = ReflectionFilter { question_id: Some(q.id), ..Default::default() };
    let shown = PageRequest { first: SHOWN, after: None, count_total: false };
    let reflections =
        learning::reflections(&state, &Viewer::Anonymous, filter, shown).await.map(|p| p.items).unwrap_or_default();
    let names = author_names(&state, reflections.iter().filter_map(|r| r.author_id).collect()).await;
    let status = match q.status {
        crate::db::enums::QuestionStatus::Open => "open",
        crate::db::enums::QuestionStatus::Answered => "answered",
        crate::db::enums::QuestionStatus::Retired => "retired",
    };
    let body = html! {
        h1 { (q.title) }
        @if let Some(g) = &group {
            p.muted { "A learning question of " (g.name) " (@" (g.handle) ") · " (status) }
        }
        @if let Some(why) = &q.why_it_matters_html { (stored_html(why)) }
        @if let Some(u) = &q.understanding {
            h2 { "What we understand now" }
            p { (u) }
        }
        h2 { "Reflections" }
        @if reflections.is_empty() { p.muted { "None shared yet." } }
        @for r in &reflections {
            article id=(r.id) {
                p.muted {
                    (r.author_id.and_then(|a| names.get(&a)).map(String::as_str).unwrap_or("someone"))
                    " · " (r.created_at.format("%Y-%m-%d"))
                }
                (stored_html(&learning::readable_reflection(r)))
            }
        }
    };
    let description = q.why_it_matters_html.as_deref().map(summary).unwrap_or_default();
    page(
        &state,
        Head {
            title: &q.title,
            description: &description,
            kind: "article",
            url: &q.ap_id,
            alternates: &[("application/activity+json", &q.ap_id)],
            meta: &[],
        },
        body,
    )
}

async fn reflection_page(req: HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let r = match learning::get_reflection(&state, &Viewer::Anonymous, id).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    if wants_json(&req) {
        return match learning::public_reflection(&state.db, &r).await {
            Ok(Some(doc)) => activity_json(&crate::ap::with_context(doc)),
            Ok(None) => not_found(),
            Err(e) => failed(e),
        };
    }
    let names = author_names(&state, r.author_id.into_iter().collect()).await;
    let who = r.author_id.and_then(|a| names.get(&a)).cloned().unwrap_or_else(|| "someone".into());
    let title = format!("A reflection by {who}");
    let html = learning::readable_reflection(&r);
    let body = html! {
        h1 { (title) }
        p.muted { (r.created_at.format("%Y-%m-%d")) }
        (stored_html(&html))
    };
    page(
        &state,
        Head {
            title: &title,
            description: &summary(&html),
            kind: "article",
            url: &r.ap_id,
            alternates: &[("application/activity+json", &r.ap_id)],
            meta: &[],
        },
        body,
    )
}
