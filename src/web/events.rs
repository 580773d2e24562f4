//! Event pages and calendar feeds: `GET /events/{id}` (the page a Mastodon user clicks, with
//! OpenGraph tags), `GET /events/{id}.ics`, `GET /groups/{slug}/events.ics` and the personal
//! `GET /calendar/{token}.ics`. They show what an anonymous visitor may see (the personal feed:
//! what its owner may see).
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use maud::html;
use uuid::Uuid;

use super::ical;
use super::pages::{self, link, stored_html};
use crate::db::enums::{EventStatus, RegistrationStatus};
use crate::db::event;
use crate::domain::events::{self, EventFilter, EventPage};
use crate::domain::viewer::Viewer;
use crate::domain::{events::calendar, events::registrations, groups, visibility};
use crate::error::AppError;
use crate::state::{AppState, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{id}", web::get().to(event_or_ics))
        .route("/events/{id}/poll", web::get().to(poll))
        .route("/groups/{slug}/events.ics", web::get().to(group_feed))
        .route("/calendar/{token}", web::get().to(personal_feed));
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found")
}

fn failed(e: AppError) -> HttpResponse {
    match e {
        AppError::NotFound(_) | AppError::BadInput { .. } => not_found(),
        other => {
            let message = other.client_message();
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body(message)
        }
    }
}

fn ics(body: String, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(body)
}

/// The address an event is known by: its stored `url` when that passes the rule for links,
/// else its page here. A stored link that fails the rule is never rendered.
fn page_url(state: &AppState, e: &event::Model) -> String {
    e.url.as_deref().and_then(link).unwrap_or_else(|| events::event_url(state, e.id))
}

fn entry(state: &AppState, e: event::Model, show_online_url: bool) -> ical::Entry {
    ical::Entry { url: page_url(state, &e), event: e, show_online_url }
}

async fn event_or_ics(req: actix_web::HttpRequest, path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let raw = path.into_inner();
    let (id, want_ics) = match raw.strip_suffix(".ics") {
        Some(id) => (id.to_string(), true),
        None => (raw, false),
    };
    let Ok(id) = Uuid::parse_str(&id) else { return not_found() };
    let e = match events::get(&state, &Viewer::Anonymous, id).await {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    if want_ics {
        let body =
            ical::event_calendar(&state.config.domain, entry(&state, e, visibility::online_link_visible(None, false)))
                .await;
        return ics(body, &format!("{id}.ics"));
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if crate::federation::wants_activity_json(accept) {
        return activity(&state, &e).await;
    }
    page(&state, &e).await
}

/// The event's ActivityPub document (content negotiation on its URL).
async fn activity(state: &AppState, e: &event::Model) -> HttpResponse {
    let group = match groups::get(&state.db, e.group_id).await {
        Ok(g) => g,
        Err(err) => return failed(err),
    };
    match crate::domain::events::federation::document_of(&state.db, state, e, &group).await {
        Ok(doc) => crate::federation::collections::activity_json(&doc),
        Err(err) => failed(err),
    }
}

/// The event's RSVP poll (`Question`), which Mastodon fetches to show current counts.
async fn poll(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let e = match events::get(&state, &Viewer::Anonymous, id).await {
        // The poll is served for the events that are public on the wire (see `shown_publicly`).
        Ok(e) if crate::domain::events::federation::shown_publicly(&e) => e,
        Ok(_) => return not_found(),
        Err(e) => return failed(e),
    };
    let g = match groups::get(&state.db, e.group_id).await {
        Ok(g) => g,
        Err(err) => return failed(err),
    };
    match crate::domain::events::federation::poll_of(&state.db, &e, &g).await {
        Ok(q) => crate::federation::collections::activity_json(&crate::ap::with_context(q)),
        Err(err) => failed(err),
    }
}

async fn group_feed(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let slug = path.into_inner();
    let g = match groups::find_local(&state.db, &slug.to_lowercase()).await {
        Ok(Some(g)) => g,
        Ok(None) => return not_found(),
        Err(e) => return failed(e),
    };
    // The last 30 days and everything ahead, at most 500 events.
    let filter = EventFilter {
        group_handle: Some(g.handle.clone()),
        from: Some(Utc::now() - chrono::Duration::days(30)),
        include_remote: true,
        ..Default::default()
    };
    let mut rows = Vec::new();
    let mut page = EventPage { first: 100, after: None, count_total: false };
    loop {
        let (p, last) = match events::list(&state, &Viewer::Anonymous, filter.clone(), page).await {
            Ok(listed) => (listed.page, listed.last),
            Err(e) => return failed(e),
        };
        page.after = last.map(|k| (k.starts_at, k.id));
        let more = p.has_next && rows.len() + p.items.len() < 500;
        rows.extend(p.items);
        if !more {
            break;
        }
    }
    let shown = visibility::online_link_visible(None, false);
    let entries: Vec<_> = rows.into_iter().map(|e| entry(&state, e, shown)).collect();
    let body = ical::calendar_blocking(g.name.clone(), state.config.domain.clone(), entries).await;
    ics(body, &format!("{}-events.ics", g.slug))
}

async fn personal_feed(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let raw = path.into_inner();
    let Some(token) = raw.strip_suffix(".ics") else { return not_found() };
    let (member, rows) = match calendar::feed(&state, token).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    // The feed lists the events its owner is GOING to.
    let shown = visibility::online_link_visible(Some(RegistrationStatus::Going), false);
    let entries: Vec<_> = rows.into_iter().map(|e| entry(&state, e, shown)).collect();
    let name =
        format!("{} — {}", member.display_name.as_deref().unwrap_or(&member.username), state.config.instance_name);
    let body = ical::calendar_blocking(name, state.config.domain.clone(), entries).await;
    ics(body, "weave-calendar.ics")
}

fn seats(e: &event::Model) -> String {
    match (e.capacity, events::open_seats(e)) {
        (None, _) | (_, None) => "Open to all".into(),
        (Some(c), Some(open)) => {
            if open > 0 {
                format!("{open} of {c} seats left")
            } else if e.held_seats > 0 {
                "Sold out — the hosts hold a few seats: sign in and register to ask for one".into()
            } else if e.waitlist_enabled {
                format!("Sold out — {} on the waitlist", e.waitlist_count)
            } else {
                "Sold out".into()
            }
        }
    }
}

async fn page(state: &AppState, e: &event::Model) -> HttpResponse {
    let hosts = events::hosts(&state.db, e).await.unwrap_or_default();
    let host_names: Vec<&str> = hosts.iter().map(|g| g.name.as_str()).collect();
    let when = events::when(e);
    let description_text: String = e
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} · {}", when.first().cloned().unwrap_or_default(), events::place(e)))
        .chars()
        .take(300)
        .collect();
    let facilitators = events::facilitators(e).unwrap_or_default();
    let agenda = events::agenda(e).unwrap_or_default();
    let faq = events::faq(e).unwrap_or_default();
    let attendance = registrations::attendance(&state.db, e).await.ok().flatten();
    let url = page_url(state, e);
    let ics_url = format!("{}.ics", events::event_url(state, e.id));
    let body = html! {
        h1 { (e.title) }
        @if e.status == EventStatus::Cancelled {
            p.cancelled { strong { "Cancelled." } " " (e.cancel_reason.as_deref().unwrap_or("")) }
        }
        h2 { "When" }
        ul { @for w in &when { li { (w) } } }
        p.muted { "Times in " (e.timezone) "." }
        h2 { "Where" }
        p { (events::place(e)) }
        h2 { "Hosts" }
        p { (host_names.join(", ")) }
        @if !facilitators.is_empty() {
            h2 { "Facilitators" }
            ul {
                @for x in &facilitators {
                    li { (x.name) @if let Some(r) = &x.role { " — " (r) } }
                }
            }
        }
        h2 { "Seats" }
        p { (seats(e)) }
        @if let (Some(a), Some(c)) = (&e.price_amount, &e.price_currency) {
            p { "Price: " (a) " " (c) }
        }
        @if let Some(r) = &e.refund_policy {
            p { "Refund policy: " (r) }
        }
        @if let Some(u) = e.external_registration_url.as_deref().and_then(link) {
            p { a href=(u) rel="nofollow noopener" { "Main registration" } }
        }
        @if let Some(d) = &e.description_html {
            h2 { "About" }
            (stored_html(d))
        }
        @if !agenda.is_empty() {
            h2 { "Agenda" }
            ol {
                @for a in &agenda {
                    li { (a.title) @if let Some(d) = &a.description { ": " (d) } }
                }
            }
        }
        @if !faq.is_empty() {
            h2 { "Frequently asked questions" }
            dl { @for f in &faq { dt { (f.question) } dd { (f.answer) } } }
        }
        @if let Some(a) = &attendance {
            h2 { "Who will be there?" }
            p {
                (a.going) " going"
                @if !a.by_country.is_empty() {
                    ", from "
                    (a.by_country.iter().map(|(k, n)| format!("{k} ({n})")).collect::<Vec<_>>().join(", "))
                }
                "."
            }
        }
        @if let Some(ics) = link(&ics_url) {
            p { a href=(ics) { "Add to calendar" } }
        }
    };
    pages::page(
        state,
        pages::Head {
            title: &e.title,
            description: &description_text,
            kind: "event",
            url: &url,
            alternates: &[("text/calendar", &ics_url), ("application/activity+json", &e.ap_id)],
            meta: &[("event:start_time", &e.starts_at.to_rfc3339())],
        },
        body,
    )
}
