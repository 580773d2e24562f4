//! What the public pages show of the community: upcoming events, recent threads and library
//! entries, each a section of ten with a link to the next ten. They read through the same
//! domain queries as the API, as an anonymous visitor (so the same visibility rule decides:
//! public events and threads of public groups only), and page with the API's cursors, carried
//! in the page's query string (`?events=…`, `?threads=…`, `?library=…`).
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::link;
use crate::domain::events::{self, EventFilter, EventPage};
use crate::domain::pagination::PageRequest;
use crate::domain::resources::{self, ResourceFilter};
use crate::domain::threads::{self, ThreadFilter};
use crate::domain::viewer::Viewer;
use crate::error::AppResult;
use crate::state::AppState;

/// Items per section.
const PAGE: i32 = 10;

/// Where each section of a page starts: the cursors of its "more" links.
#[derive(Debug, Default, Deserialize)]
pub struct Cursors {
    pub events: Option<String>,
    pub threads: Option<String>,
    pub library: Option<String>,
}

impl Cursors {
    /// The cursors in a page's query string; an unreadable query string reads as none.
    pub fn from_query(query: &str) -> Cursors {
        actix_web::web::Query::<Cursors>::from_query(query).map(|q| q.into_inner()).unwrap_or_default()
    }
}

/// A section's "more" link: the page itself with this section's cursor.
fn more(param: &str, cursor: Option<String>) -> Markup {
    html! {
        @if let Some(c) = cursor {
            p.more { a href={ "?" (param) "=" (c) } { "More" } }
        }
    }
}

/// Upcoming events (of one group, or of the whole instance), soonest first.
pub async fn events(state: &AppState, group: Option<&str>, after: Option<&str>) -> AppResult<Markup> {
    let filter = EventFilter { group_handle: group.map(str::to_string), from: Some(Utc::now()), ..Default::default() };
    let mut page = EventPage::new(Some(PAGE), after)?;
    page.count_total = false;
    let listed = events::list(state, &Viewer::Anonymous, filter, page).await?;
    let next = listed.page.has_next.then(|| listed.last.map(|k| k.cursor())).flatten();
    let found = listed.page;
    Ok(html! {
        h2 { "Upcoming events" }
        @if found.items.is_empty() {
            p.muted { "Nothing planned yet." }
        }
        ul.list {
            @for e in &found.items {
                li {
                    a href=(events::event_url(state, e.id)) { (e.title) }
                    br;
                    span.muted { (events::when(e).first().cloned().unwrap_or_default()) " · " (events::place(e)) }
                }
            }
        }
        (more("events", next))
    })
}

/// The newest threads (of one group, or of the instance's groups), pinned first in a group.
pub async fn threads(state: &AppState, group: Option<&str>, after: Option<&str>) -> AppResult<Markup> {
    let filter = ThreadFilter { group_handle: group.map(str::to_string), ..Default::default() };
    let page = PageRequest::new(Some(PAGE), None)?.count_total(false);
    let after = after.map(threads::decode_cursor).transpose()?;
    let found = threads::list(state, &Viewer::Anonymous, filter, page, after).await?;
    let next = found.has_next.then(|| found.items.last().map(threads::cursor)).flatten();
    Ok(html! {
        h2 { "Discussions" }
        @if found.items.is_empty() {
            p.muted { "No discussions yet." }
        }
        ul.list {
            @for t in &found.items {
                li {
                    @if let Some(url) = link(&t.ap_id) {
                        a href=(url) { (t.title) }
                    } @else {
                        (t.title)
                    }
                    " "
                    span.muted { "· " (t.post_count) @if t.post_count == 1 { " post" } @else { " posts" } }
                }
            }
        }
        (more("threads", next))
    })
}

/// A group's library, as the API lists it.
pub async fn library(state: &AppState, group: &str, after: Option<&str>) -> AppResult<Markup> {
    let filter = ResourceFilter { group_handle: Some(group.to_string()), ..Default::default() };
    let page = PageRequest::new(Some(PAGE), after)?.count_total(false);
    let found = resources::list(state, filter, page).await?;
    let next =
        found.has_next.then(|| found.items.last().map(|r| crate::domain::pagination::encode_cursor(r.id))).flatten();
    Ok(html! {
        h2 { "Library" }
        @if found.items.is_empty() {
            p.muted { "Nothing shared yet." }
        }
        ul.list {
            @for r in &found.items {
                li {
                    @if let Some(url) = link(&r.ap_id) {
                        a href=(url) { (r.title) }
                    } @else {
                        (r.title)
                    }
                }
            }
        }
        (more("library", next))
    })
}
