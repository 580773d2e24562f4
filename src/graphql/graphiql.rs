//! GraphiQL for browsers that open `/graphql`, served by Weave itself: the release bundles of
//! GraphiQL and React are embedded in the binary (`src/graphql/graphiql/`, with their MIT
//! licences; `refresh.sh` there fetches the pinned versions again), so the page works on a
//! server without internet access and under its own strict Content-Security-Policy (no inline
//! script: the start-up code is a file too). `WEAVE_GRAPHIQL_CDN` loads the bundles from a CDN
//! instead (`https://unpkg.com`, `https://cdn.jsdelivr.net/npm`: any base under which
//! `<package>@<version>/<path>` resolves).
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use maud::{html, DOCTYPE};

use crate::config::Config;

/// The embedded GraphiQL release (see `graphiql/refresh.sh`).
pub const GRAPHIQL_VERSION: &str = "4.1.2";
/// The embedded React release GraphiQL runs on.
pub const REACT_VERSION: &str = "18.3.1";

/// Where the assets are served: a path that changes with the versions, so they may be kept for
/// a year.
const ASSET_PATH: &str = "/graphiql/4.1.2-18.3.1";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

const ASSETS: [Asset; 7] = [
    Asset { name: "graphiql.min.js", content_type: JS, body: include_bytes!("graphiql/graphiql.min.js") },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: JS,
        body: include_bytes!("graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JS,
        body: include_bytes!("graphiql/react-dom.production.min.js"),
    },
    Asset { name: "weave-graphiql.js", content_type: JS, body: include_bytes!("graphiql/weave-graphiql.js") },
    Asset { name: "LICENSE.graphiql", content_type: TEXT, body: include_bytes!("graphiql/LICENSE.graphiql") },
    Asset { name: "LICENSE.react", content_type: TEXT, body: include_bytes!("graphiql/LICENSE.react") },
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(&format!("{ASSET_PATH}/{{file}}"), web::get().to(asset));
}

async fn asset(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == file.as_str()) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(a.body),
        None => HttpResponse::NotFound().finish(),
    }
}

/// The bundles' addresses: React, ReactDOM, GraphiQL's script and its style sheet.
fn bundles(cdn: &str) -> [String; 4] {
    let cdn = cdn.trim_end_matches('/');
    if cdn.is_empty() {
        return ["react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css"]
            .map(|f| format!("{ASSET_PATH}/{f}"));
    }
    [
        format!("{cdn}/react@{REACT_VERSION}/umd/react.production.min.js"),
        format!("{cdn}/react-dom@{REACT_VERSION}/umd/react-dom.production.min.js"),
        format!("{cdn}/graphiql@{GRAPHIQL_VERSION}/graphiql.min.js"),
        format!("{cdn}/graphiql@{GRAPHIQL_VERSION}/graphiql.min.css"),
    ]
}

/// The origin of the CDN base, for the Content-Security-Policy (`None`: served here).
fn cdn_origin(cdn: &str) -> Option<String> {
    let url = url::Url::parse(cdn).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The GraphiQL page, with a Content-Security-Policy that allows this server (and the CDN, when
/// one is set) and nothing else.
pub fn page(config: &Config) -> HttpResponse {
    let [react, react_dom, script, style] = bundles(&config.graphiql_cdn);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "GraphiQL · " (config.instance_name) }
                link rel="stylesheet" href=(style);
            }
            body style="margin:0" {
                div #graphiql style="height:100vh" { "Loading…" }
                script src=(react) {}
                script src=(react_dom) {}
                script src=(script) {}
                script src={ (ASSET_PATH) "/weave-graphiql.js" } {}
            }
        }
    };
    let ws = if config.scheme() == "https" { "wss" } else { "ws" };
    let extra = cdn_origin(&config.graphiql_cdn).map(|o| format!(" {o}")).unwrap_or_default();
    let csp = format!(
        "default-src 'none'; script-src 'self'{extra}; style-src 'self' 'unsafe-inline'{extra}; \
         img-src 'self' data:; font-src 'self' data:{extra}; connect-src 'self' {ws}://{domain}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        domain = config.domain
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .body(markup.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_come_from_here_or_the_cdn() {
        assert_eq!(bundles("")[2], format!("{ASSET_PATH}/graphiql.min.js"));
        assert_eq!(bundles("https://unpkg.com/")[0], "https://unpkg.com/react@18.3.1/umd/react.production.min.js");
        assert_eq!(cdn_origin("https://cdn.jsdelivr.net/npm").as_deref(), Some("https://cdn.jsdelivr.net"));
        assert_eq!(cdn_origin(""), None);
        assert!(ASSET_PATH.ends_with(&format!("{GRAPHIQL_VERSION}-{REACT_VERSION}")));
    }
}
