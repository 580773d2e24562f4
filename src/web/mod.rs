//! The HTTP surface: routes, middleware, health check, HTML pages.
pub mod events;
pub mod ical;
pub mod pages;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::dev::Service as _;
use actix_web::{web as aw, App, HttpMessage as _, HttpResponse, HttpServer};
use tracing_actix_web::TracingLogger;

use activitypub_federation::config::FederationMiddleware;

use crate::federation::Federation;
use crate::graphql;
use crate::state::State;

pub fn server(listener: TcpListener, state: State, federation: Federation) -> anyhow::Result<Server> {
    let schema = graphql::build_schema(Some(state.clone()), Some(federation.clone()));
    let max_body = state.config.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            // Inner: copies the request id (made by TracingLogger, outer) into the response.
            .wrap_fn(|req, srv| {
                let id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(value) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id).ok()) {
                        res.headers_mut()
                            .insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::default())
            .app_data(aw::Data::new(state.clone()))
            .app_data(aw::Data::new(schema.clone()))
            .app_data(aw::PayloadConfig::new(max_body))
            .app_data(aw::JsonConfig::default().limit(max_body))
            .route("/healthz", aw::get().to(healthz))
            .route("/", aw::get().to(pages::home))
            .configure(graphql::http::configure)
            .configure(events::configure)
            .service(
                aw::scope("")
                    .wrap(FederationMiddleware::new(federation.clone()))
                    .configure(crate::federation::collections::configure),
            )
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
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
