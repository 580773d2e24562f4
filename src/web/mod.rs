//! The HTTP surface: routes, middleware, health check, HTML pages.
pub mod account;
pub mod community;
pub mod events;
pub mod export;
pub mod ical;
pub mod learning;
pub mod library;
pub mod mail;
pub mod media;
pub mod metrics;
pub mod pages;
pub mod ratelimit;
pub mod report;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::dev::Service as _;
use actix_web::{web as aw, App, HttpMessage as _, HttpResponse, HttpServer};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};

use activitypub_federation::config::FederationMiddleware;

use crate::federation::Federation;
use crate::graphql;
use crate::state::State;

pub fn server(listener: TcpListener, state: State, federation: Federation) -> anyhow::Result<Server> {
    // The per-address limits are this layer's own: the middleware below, the sign-in resolvers
    // (through the schema's data) and the GraphQL WebSocket (through the app's) count against them.
    let limits = Arc::new(ratelimit::RateLimits::new(&state.config));
    let schema = graphql::served_schema(state.clone(), federation.clone(), limits.clone());
    let limits = aw::Data::from(limits);
    let max_body = state.config.max_body_bytes;
    let responses = aw::Data::new(graphql::cache::ResponseCache::default());
    // This server's rows that read the same whoever asks (`domain::shared_rows`).
    let shared_rows = aw::Data::new(crate::domain::shared_rows::SharedRows::default());
    let server = HttpServer::new(move || {
        App::new()
            // Innermost: per-address limits on `/graphql`, the pages and calendars, and the
            // inboxes, and the inboxes' concurrency cap (see `ratelimit`).
            .wrap(actix_web::middleware::from_fn(limit_requests))
            .wrap_fn(|req, srv| {
                let id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
                let timed = crate::metrics::enabled().then(|| (std::time::Instant::now(), req.method().clone()));
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some((start, method)) = timed {
                        let route = res.request().match_pattern();
                        crate::metrics::http_request(route, method.as_str(), res.status().as_u16(), start.elapsed());
                    }
                    // No answer of Weave's is to be sniffed into something else.
                    res.headers_mut().insert(
                        actix_web::http::header::X_CONTENT_TYPE_OPTIONS,
                        actix_web::http::header::HeaderValue::from_static("nosniff"),
                    );
                    if let Some(value) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id).ok()) {
                        res.headers_mut()
                            .insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<SecretFreeSpans>::new())
            .app_data(aw::Data::new(state.clone()))
            .app_data(aw::Data::new(schema.clone()))
            .app_data(responses.clone())
            .app_data(shared_rows.clone())
            .app_data(limits.clone())
            .app_data(aw::PayloadConfig::new(max_body))
            .app_data(aw::JsonConfig::default().limit(max_body))
            .route("/healthz", aw::get().to(healthz))
            .route("/", aw::get().to(pages::home))
            .configure(graphql::http::configure)
            .configure(events::configure)
            .configure(library::configure)
            .configure(learning::configure)
            .configure(media::configure)
            .configure(export::configure)
            .configure(account::configure)
            .configure(report::configure)
            .configure(metrics::configure)
            .configure(mail::configure)
            .service(
                aw::scope("")
                    .wrap(FederationMiddleware::new(federation.config().clone()))
                    .configure(crate::federation::collections::configure),
            )
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}

/// Per-address limits on `/graphql`, pages and calendars, and the inboxes (429 with `Retry-After`); inbox POSTs then
/// wait for one of the inbox's processing slots (503 when none frees up in time).
async fn limit_requests(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let (Some(state), Some(limits)) = (
        req.app_data::<aw::Data<State>>().map(|d| d.get_ref().clone()),
        req.app_data::<aw::Data<ratelimit::RateLimits>>().cloned(),
    ) else {
        return next.call(req).await.map(|res| res.map_into_boxed_body());
    };
    let path = req.path();
    let inbox = req.method() == actix_web::http::Method::POST && path.ends_with("/inbox");
    let limiter = if path == "/graphql" {
        Some(&limits.graphql)
    } else if is_page_request(&req) {
        Some(&limits.pages)
    } else if inbox {
        Some(&limits.inbox)
    } else {
        None
    };
    if let Some(limiter) = limiter {
        let client = ratelimit::client_addr(&state.config, req.request());
        if let Err(wait) = limiter.check(&client) {
            let resp = too_busy(
                HttpResponse::TooManyRequests(),
                ratelimit::retry_after_secs(wait),
                "too many requests; retry later",
            );
            return Ok(req.into_response(resp));
        }
    }
    let _permit = if inbox {
        let slots = limits.inbox_in_flight.clone();
        match tokio::time::timeout(ratelimit::INBOX_QUEUE_WAIT, slots.acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => {
                let resp = too_busy(HttpResponse::ServiceUnavailable(), 30, "the inbox is busy; retry later");
                return Ok(req.into_response(resp));
            }
        }
    } else {
        None
    };
    next.call(req).await.map(|res| res.map_into_boxed_body())
}

/// A `GET` for a person or a calendar app: the front page, event, thread, post, resource and
/// actor pages, and every calendar (`.ics`). Federating servers' `GET`s (asking for
/// `application/activity+json`), discovery (`/.well-known`, `/nodeinfo`) and `/healthz` are not.
fn is_page_request(req: &actix_web::dev::ServiceRequest) -> bool {
    if req.method() != actix_web::http::Method::GET {
        return false;
    }
    let path = req.path();
    if path == "/graphql" || path == "/healthz" || path.starts_with("/.well-known/") || path.starts_with("/nodeinfo") {
        return false;
    }
    if path.ends_with(".ics") {
        return true;
    }
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    !crate::federation::wants_activity_json(accept)
}

/// A refusal with `Retry-After` and a GraphQL-shaped body.
fn too_busy(mut builder: actix_web::HttpResponseBuilder, retry_after: u64, message: &str) -> HttpResponse {
    builder
        .insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()))
        .json(serde_json::json!({"errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}]}))
}

/// Liveness and readiness: answers 200 when the database answers.
async fn healthz(state: aw::Data<State>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}

/// Request spans without secrets: the default span of tracing-actix-web records the path with
/// its query string, which would put share-link tokens (`?token=`) and personal calendar tokens
/// (`/calendar/{token}`) into every log line of the request. This one records the path without
/// the query, and a route's template instead of its path where the route holds a token.
pub struct SecretFreeSpans;

impl RootSpanBuilder for SecretFreeSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let target = if route.contains("{token}") { route.clone() } else { request.path().to_owned() };
        let request_id = request.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            request_id = %request_id.unwrap_or_default(),
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_actix_web::RootSpanBuilder as _;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn request_spans_leave_query_strings_out_of_the_logs() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            let request = actix_web::test::TestRequest::with_uri("/groups/circle/report?token=s3cr3t&format=csv")
                .to_srv_request();
            let span = super::SecretFreeSpans::on_request_start(&request);
            let _entered = span.enter();
            tracing::info!("inside the request");
        });
        let logged = String::from_utf8(lines.0.lock().map(|l| l.clone()).unwrap_or_default()).unwrap_or_default();
        assert!(logged.contains("/groups/circle/report"), "{logged}");
        assert!(!logged.contains("s3cr3t"), "{logged}");
    }
}
