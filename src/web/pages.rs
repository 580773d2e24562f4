//! Small HTML pages for people who open an actor's URL (from Mastodon, say): name, handle,
//! summary, OpenGraph tags for link previews.
use actix_web::HttpResponse;

use crate::domain::actors::{ActorSource, ApActor};
use crate::state::AppState;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
    pub url: &'a str,
    /// `(type, href)` of `<link rel="alternate">`s.
    pub alternates: &'a [(&'a str, &'a str)],
    /// Extra `(property, content)` meta tags.
    pub meta: &'a [(&'a str, &'a str)],
}

/// A whole page: the head (escaped here) and the body (HTML the caller escaped or sanitised).
pub fn page(state: &AppState, head: Head<'_>, body: &str) -> HttpResponse {
    let site = escape(&state.config.instance_name);
    let mut extra = String::new();
    for (kind, href) in head.alternates {
        extra.push_str(&format!("<link rel=\"alternate\" type=\"{}\" href=\"{}\">\n", escape(kind), escape(href)));
    }
    for (property, content) in head.meta {
        extra.push_str(&format!("<meta property=\"{}\" content=\"{}\">\n", escape(property), escape(content)));
    }
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="description" content="{description}">
<meta property="og:type" content="{kind}">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{site}">
{extra}<style>
body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; }}
.handle, .muted {{ color: #6e6e73; }}
.cancelled {{ background: #fff3f3; padding: .5rem 1rem; border-left: 4px solid #c00; }}
footer {{ margin-top: 3rem; color: #6e6e73; font-size: .9rem; }}
</style>
</head>
<body>
<main>
{body}</main>
<footer>{site} · powered by Weave</footer>
</body>
</html>
"#,
        title = escape(head.title),
        description = escape(head.description),
        kind = escape(head.kind),
        url = escape(head.url),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .body(html)
}

pub async fn actor_page(state: &AppState, actor: &ApActor) -> HttpResponse {
    let domain = &state.config.domain;
    let (title, handle, summary_html, kind) = match &actor.source {
        ActorSource::Member(m) => (
            m.display_name.clone().unwrap_or_else(|| m.username.clone()),
            format!("@{}@{domain}", m.username),
            m.bio_html.clone().unwrap_or_default(),
            "profile",
        ),
        ActorSource::Group(g) => {
            (g.name.clone(), format!("@{}@{domain}", g.slug), g.summary_html.clone().unwrap_or_default(), "website")
        }
        ActorSource::Instance => (state.config.instance_name.clone(), domain.clone(), String::new(), "website"),
    };
    let description: String = strip_tags(&summary_html).chars().take(300).collect();
    let url = actor.id.to_string();
    // The summary was sanitised when it was written.
    let body = format!(
        "<h1>{title}</h1>\n<p class=\"handle\">{handle}</p>\n<section>{summary_html}</section>\n<p>Follow <strong>{handle}</strong> from Mastodon or any ActivityPub server by searching for it there.</p>\n",
        title = escape(&title),
        handle = escape(&handle),
    );
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
        &body,
    )
}

/// The instance's front page: what it is, its public groups, where the API is.
pub async fn home(state: actix_web::web::Data<crate::state::State>) -> HttpResponse {
    let groups = crate::domain::groups::list_local_public(&state.db, 50).await.unwrap_or_default();
    let items: String = groups
        .iter()
        .map(|g| {
            format!(
                "<li><a href=\"{url}\">{name}</a> <span class=\"handle\">@{slug}@{domain}</span></li>\n",
                url = escape(&g.ap_id),
                name = escape(&g.name),
                slug = escape(&g.slug),
                domain = escape(&state.config.domain)
            )
        })
        .collect();
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{site}</title>
<meta property="og:title" content="{site}">
<meta property="og:type" content="website">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; line-height: 1.5; }}
.handle {{ color: #6e6e73; }}
</style>
</head>
<body>
<h1>{site}</h1>
<p>A Weave community of practice. Follow its groups from Mastodon or any ActivityPub server.</p>
<h2>Groups</h2>
<ul>
{items}</ul>
<p>Apps use the GraphQL API at <a href="/graphql">/graphql</a>.</p>
</body>
</html>
"#,
        site = escape(&state.config.instance_name),
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page)
}
