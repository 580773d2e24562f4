//! Event pages and calendar feeds: `GET /events/{id}` (the page a Mastodon user clicks, with
//! OpenGraph tags), `GET /events/{id}.ics`, `GET /groups/{slug}/events.ics` and the personal
//! `GET /calendar/{token}.ics`. They show what an anonymous visitor may see (the personal feed:
//! what its owner may see).
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use uuid::Uuid;

use super::ical;
use super::pages::escape;
use crate::db::enums::EventStatus;
use crate::db::event;
use crate::domain::events::{self, EventFilter, EventPage};
use crate::domain::viewer::Viewer;
use crate::domain::{calendar, groups, registrations};
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

fn entry<'a>(state: &AppState, e: &'a event::Model, show_online_url: bool) -> ical::Entry<'a> {
    ical::Entry { event: e, url: e.url.clone().unwrap_or_else(|| events::event_url(state, e.id)), show_online_url }
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
        let body = ical::calendar(&e.title, &state.config.domain, &[entry(&state, &e, false)]);
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
    let organizer = match events::organizer(&state.db, e).await {
        Ok(m) => m.filter(crate::domain::visibility::member_public),
        Err(err) => return failed(err),
    };
    let contributors = match crate::domain::event_federation::confirmed_cohosts(&state.db, e).await {
        Ok(c) => c,
        Err(err) => return failed(err),
    };
    match events::document(state, e, &group, organizer.as_ref(), &contributors) {
        Ok(doc) => crate::federation::collections::activity_json(&doc),
        Err(err) => failed(err),
    }
}

/// The event's RSVP poll (`Question`), which Mastodon fetches to show current counts.
async fn poll(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&path.into_inner()) else { return not_found() };
    let e = match events::get(&state, &Viewer::Anonymous, id).await {
        Ok(e) if e.local && e.visibility == crate::db::enums::Visibility::Public => e,
        Ok(_) => return not_found(),
        Err(e) => return failed(e),
    };
    let g = match groups::get(&state.db, e.group_id).await {
        Ok(g) => g,
        Err(err) => return failed(err),
    };
    match crate::domain::event_federation::poll_of(&state.db, &e, &g).await {
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
        let p = match events::list(&state, &Viewer::Anonymous, filter.clone(), page).await {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        page.after = p.items.last().map(|e| (e.starts_at, e.id));
        let more = p.has_next && rows.len() + p.items.len() < 500;
        rows.extend(p.items);
        if !more {
            break;
        }
    }
    let entries: Vec<_> = rows.iter().map(|e| entry(&state, e, false)).collect();
    ics(ical::calendar(&g.name, &state.config.domain, &entries), &format!("{}-events.ics", g.slug))
}

async fn personal_feed(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let raw = path.into_inner();
    let Some(token) = raw.strip_suffix(".ics") else { return not_found() };
    let (member, rows) = match calendar::feed(&state, token).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    // Registrants who are GOING see the online link.
    let entries: Vec<_> = rows.iter().map(|e| entry(&state, e, true)).collect();
    let name =
        format!("{} — {}", member.display_name.as_deref().unwrap_or(&member.username), state.config.instance_name);
    ics(ical::calendar(&name, &state.config.domain, &entries), "weave-calendar.ics")
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
    let hosts = {
        let ids = events::host_ids(e);
        let mut found = groups::load_many(&state.db, &ids).await.unwrap_or_default();
        found.sort_by_key(|g| ids.iter().position(|id| *id == g.id));
        found
    };
    let host_names: Vec<String> = hosts.iter().map(|g| escape(&g.name)).collect();
    let when = events::when(e);
    let description_text: String = e
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} · {}", when.first().cloned().unwrap_or_default(), events::place(e)))
        .chars()
        .take(300)
        .collect();
    let mut body = String::new();
    if e.status == EventStatus::Cancelled {
        body.push_str(&format!(
            "<p class=\"cancelled\"><strong>Cancelled.</strong> {}</p>\n",
            escape(e.cancel_reason.as_deref().unwrap_or(""))
        ));
    }
    body.push_str("<h2>When</h2>\n<ul>\n");
    for w in &when {
        body.push_str(&format!("<li>{}</li>\n", escape(w)));
    }
    body.push_str(&format!("</ul>\n<p class=\"muted\">Times in {}.</p>\n", escape(&e.timezone)));
    body.push_str(&format!("<h2>Where</h2>\n<p>{}</p>\n", escape(&events::place(e))));
    body.push_str(&format!("<h2>Hosts</h2>\n<p>{}</p>\n", host_names.join(", ")));
    if let Ok(f) = events::facilitators(e) {
        if !f.is_empty() {
            body.push_str("<h2>Facilitators</h2>\n<ul>\n");
            for x in f {
                let role = x.role.map(|r| format!(" — {}", escape(&r))).unwrap_or_default();
                body.push_str(&format!("<li>{}{role}</li>\n", escape(&x.name)));
            }
            body.push_str("</ul>\n");
        }
    }
    body.push_str(&format!("<h2>Seats</h2>\n<p>{}</p>\n", escape(&seats(e))));
    if let (Some(a), Some(c)) = (&e.price_amount, &e.price_currency) {
        body.push_str(&format!("<p>Price: {} {}</p>\n", escape(a), escape(c)));
    }
    if let Some(r) = &e.refund_policy {
        body.push_str(&format!("<p>Refund policy: {}</p>\n", escape(r)));
    }
    if let Some(u) = &e.external_registration_url {
        body.push_str(&format!("<p><a href=\"{}\" rel=\"nofollow noopener\">Main registration</a></p>\n", escape(u)));
    }
    if let Some(d) = &e.description_html {
        // Sanitised when it was written.
        body.push_str(&format!("<h2>About</h2>\n{d}\n"));
    }
    if let Ok(items) = events::agenda(e) {
        if !items.is_empty() {
            body.push_str("<h2>Agenda</h2>\n<ol>\n");
            for a in items {
                let d = a.description.map(|d| format!(": {}", escape(&d))).unwrap_or_default();
                body.push_str(&format!("<li>{}{d}</li>\n", escape(&a.title)));
            }
            body.push_str("</ol>\n");
        }
    }
    if let Ok(items) = events::faq(e) {
        if !items.is_empty() {
            body.push_str("<h2>Frequently asked questions</h2>\n<dl>\n");
            for f in items {
                body.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(&f.question), escape(&f.answer)));
            }
            body.push_str("</dl>\n");
        }
    }
    if let Ok(Some(a)) = registrations::attendance(&state.db, e).await {
        let countries: Vec<String> = a.by_country.iter().map(|(k, n)| format!("{} ({n})", escape(k))).collect();
        body.push_str(&format!(
            "<h2>Who will be there?</h2>\n<p>{} going, from {}.</p>\n",
            a.going,
            countries.join(", ")
        ));
    }
    let url = e.url.clone().unwrap_or_else(|| events::event_url(state, e.id));
    let ics_url = format!("{url}.ics");
    let body =
        format!("<h1>{}</h1>\n{body}<p><a href=\"{}\">Add to calendar</a></p>\n", escape(&e.title), escape(&ics_url));
    super::pages::page(
        state,
        super::pages::Head {
            title: &e.title,
            description: &description_text,
            kind: "event",
            url: &url,
            alternates: &[("text/calendar", &ics_url), ("application/activity+json", &url)],
            meta: &[("event:start_time", &e.starts_at.to_rfc3339())],
        },
        &body,
    )
}
