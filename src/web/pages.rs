//! Small HTML pages for people who open an actor's URL (from Mastodon, say): name, handle,
//! summary, OpenGraph tags for link previews.
//!
//! Every page is a `maud` template: text is escaped wherever it goes, so a forgotten escape
//! cannot happen. Two kinds of value need more than escaping:
//! - links: an attribute that holds a URL gets it through [`link`] (the one rule for links,
//!   `ap::web_url`); a stored link that fails it is left out, never rendered;
//! - stored HTML (descriptions, bios, summaries, post bodies) was sanitised when it was written
//!   and is inserted as it is, through [`stored_html`] only.
//!
//! Every page answer carries [`CSP`] (no script at all; the one inline style sheet by hash) and
//! `X-Content-Type-Options: nosniff` (see `web::server`, which sets it on every answer).
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::HttpResponse;
use base64::Engine as _;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::Digest as _;

use crate::domain::actors::{ActorSource, ApActor};
use crate::state::AppState;

/// The pages' only style sheet, inline and allowed by its hash.
const STYLE: &str = "
body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; overflow-wrap: anywhere; }
.handle, .muted { color: #6e6e73; }
.cancelled { background: #fff3f3; padding: .5rem 1rem; border-left: 4px solid #c00; }
footer { margin-top: 3rem; color: #6e6e73; font-size: .9rem; }
ul.list { padding-left: 1.2rem; } ul.list li { margin: .6rem 0; }
dl.profile dt { font-weight: 600; } dl.profile dd { margin: 0 0 .5rem 0; }
img { max-width: 100%; height: auto; }
.depth-1 { margin-left: 2em; } .depth-2 { margin-left: 4em; } .depth-3 { margin-left: 6em; }
.depth-4 { margin-left: 8em; } .depth-5 { margin-left: 10em; } .depth-6 { margin-left: 12em; }
.depth-7 { margin-left: 14em; } .depth-8 { margin-left: 16em; }
";

/// The `Content-Security-Policy` of every page: nothing runs, nothing loads but images over
/// http(s) and the style sheet above; no form posts, no framing, no `<base>`.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; script-src 'none'; style-src 'sha256-{hash}'; img-src https: http:; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
});

/// A stored link as an attribute value, when it passes the rule for links; `None` otherwise
/// (the caller leaves the attribute, or the whole element, out).
pub fn link(stored: &str) -> Option<String> {
    crate::ap::web_url(stored).map(String::from)
}

/// HTML sanitised when it was written (descriptions, bios, summaries, post bodies).
pub fn stored_html(html: &str) -> PreEscaped<&str> {
    PreEscaped(html)
}

fn strip_tags(html: &str) -> String {
    ammonia::Builder::empty().clean(html).to_string()
}

/// What a page's head says: its title, and the OpenGraph tags link previews show.
pub struct Head<'a> {
    pub title: &'a str,
    /// Plain text.
    pub description: &'a str,
    /// `og:type`: `profile`, `website`, `event`.
    pub kind: &'a str,
    /// The page's canonical address (`og:url`); left out unless it passes [`link`].
    pub url: &'a str,
    /// `(type, href)` of `<link rel="alternate">`s; each left out unless it passes [`link`].
    pub alternates: &'a [(&'a str, &'a str)],
    /// Extra `(property, content)` meta tags (plain text, never links).
    pub meta: &'a [(&'a str, &'a str)],
}

/// An HTML answer with the pages' security headers.
pub fn html_response(markup: Markup) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept"))
        .body(markup.into_string());
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res.headers_mut().insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    res
}

/// A whole page: the head and the body.
pub fn page(state: &AppState, head: Head<'_>, body: Markup) -> HttpResponse {
    let site = state.config.instance_name.as_str();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (head.title) }
                meta name="description" content=(head.description);
                meta property="og:type" content=(head.kind);
                meta property="og:title" content=(head.title);
                meta property="og:description" content=(head.description);
                @if let Some(url) = link(head.url) {
                    meta property="og:url" content=(url);
                }
                meta property="og:site_name" content=(site);
                @for (kind, href) in head.alternates {
                    @if let Some(href) = link(href) {
                        link rel="alternate" type=(kind) href=(href);
                    }
                }
                @for (property, content) in head.meta {
                    meta property=(property) content=(content);
                }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main { (body) }
                footer { (site) " · powered by Weave" }
            }
        }
    };
    html_response(markup)
}

/// A local actor's page: a member's public profile; a group's upcoming events, discussions,
/// library and followers; the instance actor's is the front page.
pub async fn actor_page(state: &AppState, actor: &ApActor, query: &str) -> HttpResponse {
    let domain = &state.config.domain;
    let cursors = super::community::Cursors::from_query(query);
    let (title, handle, summary_html, kind, extra) = match &actor.source {
        ActorSource::Member(m) => (
            m.display_name.clone().unwrap_or_else(|| m.username.clone()),
            format!("@{}@{domain}", m.username),
            m.bio_html.clone().unwrap_or_default(),
            "profile",
            Ok(profile(m)),
        ),
        ActorSource::Group(g) => (
            g.name.clone(),
            format!("@{}@{domain}", g.slug),
            g.summary_html.clone().unwrap_or_default(),
            "website",
            group_sections(state, g, &cursors).await,
        ),
        ActorSource::Instance => return front_page(state, &cursors).await,
    };
    let extra = match extra {
        Ok(markup) => markup,
        Err(e) => return listing_failed(e),
    };
    let description: String = strip_tags(&summary_html).chars().take(300).collect();
    let url = actor.id.to_string();
    let body = html! {
        h1 { (title) }
        p.handle { (handle) }
        section { (stored_html(&summary_html)) }
        p { "Follow " strong { (handle) } " from Mastodon or any ActivityPub server by searching for it there." }
        (extra)
    };
    page(
        state,
        Head {
            title: &format!("{title} ({handle})"),
            description: &description,
            kind,
            url: &url,
            alternates: &[("application/activity+json", &url)],
            meta: &[],
        },
        body,
    )
}

/// A page's listing could not be read: a cursor that is not one is "not found", as elsewhere.
fn listing_failed(e: crate::error::AppError) -> HttpResponse {
    match e {
        crate::error::AppError::BadInput { .. } | crate::error::AppError::NotFound(_) => {
            HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found")
        }
        other => {
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body(other.client_message())
        }
    }
}

/// A member's public profile: what anyone may see of it through the API.
fn profile(m: &crate::db::member::Model) -> Markup {
    use crate::domain::members::listed;
    let (interests, links) = (listed(&m.interests), listed(&m.links));
    html! {
        dl.profile {
            @if let Some(p) = &m.pronouns { dt { "Pronouns" } dd { (p) } }
            @if let Some(o) = &m.organization { dt { "Organization" } dd { (o) } }
            @if let Some(s) = &m.sector { dt { "Sector" } dd { (s) } }
            @if let Some(c) = &m.country { dt { "Country" } dd { (c) } }
            @if !interests.is_empty() { dt { "Interests" } dd { (interests.join(", ")) } }
            @if !links.is_empty() {
                dt { "Links" }
                @for l in &links {
                    @if let Some(url) = link(l) {
                        dd { a href=(url) rel="me nofollow noopener" { (l) } }
                    }
                }
            }
        }
    }
}

/// A group's sections: its followers, upcoming events, discussions and library.
async fn group_sections(
    state: &AppState,
    g: &crate::db::group::Model,
    c: &super::community::Cursors,
) -> crate::error::AppResult<Markup> {
    use super::community;
    let followers = crate::domain::follows::followers_count(&state.db, g.id).await?;
    let events = community::events(state, Some(&g.slug), c.events.as_deref()).await?;
    let threads = community::threads(state, Some(&g.slug), c.threads.as_deref()).await?;
    let library = community::library(state, &g.slug, c.library.as_deref()).await?;
    Ok(html! {
        p.muted { (followers) @if followers == 1 { " follower" } @else { " followers" } }
        (events) (threads) (library)
    })
}

/// The instance's front page: what it is, its rules, upcoming events, the newest discussions,
/// its public groups, where the API is.
pub async fn home(req: actix_web::HttpRequest, state: actix_web::web::Data<crate::state::State>) -> HttpResponse {
    front_page(&state, &super::community::Cursors::from_query(req.query_string())).await
}

async fn front_page(state: &AppState, c: &super::community::Cursors) -> HttpResponse {
    use super::community;
    let groups = crate::domain::groups::list_local_public(&state.db, 50).await.unwrap_or_default();
    let profile = crate::domain::instance::profile(&state.db).await.unwrap_or_default();
    let listed = async {
        Ok::<_, crate::error::AppError>((
            community::events(state, None, c.events.as_deref()).await?,
            community::threads(state, None, c.threads.as_deref()).await?,
        ))
    };
    let (events, threads) = match listed.await {
        Ok(sections) => sections,
        Err(e) => return listing_failed(e),
    };
    let domain = state.config.domain.as_str();
    let about = profile.description.as_deref().map(|d| d.chars().take(300).collect::<String>());
    let body = html! {
        h1 { (state.config.instance_name) }
        @if let Some(about) = profile.description_html() {
            div.about { (PreEscaped(about)) }
        }
        p { "A Weave community of practice. Follow its groups from Mastodon or any ActivityPub server." }
        @if !profile.rules.is_empty() {
            h2 { "Rules" }
            ol.rules {
                @for rule in &profile.rules {
                    li { (rule) }
                }
            }
        }
        @if let Some(email) = &profile.contact_email {
            p { "Contact: " a href={ "mailto:" (email) } { (email) } }
        }
        (events)
        (threads)
        h2 { "Groups" }
        ul.list {
            @for g in &groups {
                li {
                    @if let Some(url) = link(&g.ap_id) {
                        a href=(url) { (g.name) }
                    } @else {
                        (g.name)
                    }
                    " "
                    span.handle { "@" (g.slug) "@" (domain) }
                }
            }
        }
        p { "Apps use the GraphQL API at " a href="/graphql" { "/graphql" } "." }
    };
    let base = state.base_url();
    page(
        state,
        Head {
            title: &state.config.instance_name,
            description: about.as_deref().unwrap_or("A Weave community of practice."),
            kind: "website",
            url: &base,
            alternates: &[],
            meta: &[],
        },
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_rendered() {
        assert_eq!(link("https://example.org/a?b=c").as_deref(), Some("https://example.org/a?b=c"));
        for bad in ["javascript:alert(1)", "data:text/html,x", "//evil.example/", "vbscript:x", "file:///etc/passwd"] {
            assert_eq!(link(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_policy_allows_no_script_and_hashes_the_style() {
        assert!(CSP.contains("script-src 'none'"));
        assert!(CSP.contains("style-src 'sha256-"));
        assert!(!CSP.contains("unsafe"));
    }
}
