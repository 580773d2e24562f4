//! GraphQL over HTTP (POST and GET on `/graphql`), GraphiQL for browsers, and the
//! `graphql-transport-ws` subscription transport on the same path.
//!
//! The request handling follows the GraphQL-over-HTTP specification rather than a library
//! default: `application/json` and `application/graphql-response+json` are both served (chosen by
//! `Accept`), mutations over GET are refused with 405, malformed requests answer 400, and with
//! `application/graphql-response+json` a request that fails before execution answers 400 too.
//!
//! Over 400 lines and kept whole: it is one concern (one request's way from the HTTP layer to
//! the schema and back: content negotiation, the viewer, the anonymous answer cache, GET and
//! POST), and splitting it would scatter that one path over several files.
use actix_web::http::header::{self, HeaderMap};
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::parser::types::OperationType;
use async_graphql::Variables;
use serde::Deserialize;

use super::cache::{Key, ResponseCache};
use super::{Loaders, WeaveSchema};
use crate::domain::viewer::Viewer;
use crate::state::{AppState, State};
use crate::web::ratelimit::client_addr;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Deserialize)]
struct RequestBody {
    query: Option<serde_json::Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<serde_json::Value>,
    variables: Option<serde_json::Value>,
    extensions: Option<serde_json::Value>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    super::graphiql::configure(cfg);
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(post))
            .route(web::get().to(get))
            .route(web::route().to(method_not_allowed)),
    );
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .json(serde_json::json!({"errors": [{"message": "use GET or POST"}]}))
}

/// Which media type to answer with, from `Accept`. `None`: nothing we can produce. No `Accept`
/// and wildcards answer `application/json`; `application/graphql-response+json` only when named.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(JSON);
    };
    let mut best: Option<(&'static str, f32)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => GRAPHQL_RESPONSE_JSON,
            JSON => JSON,
            // GraphQL over HTTP: wildcards (legacy clients, curl) get `application/json`.
            "application/*" | "*/*" => JSON,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((b, bq)) => q > bq || (q == bq && candidate == GRAPHQL_RESPONSE_JSON && b != candidate),
        };
        if better {
            best = Some((candidate, q));
        }
    }
    best.map(|(m, _)| m)
}

fn request_error(media: &str, status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    coded_error(media, status, "BAD_REQUEST", message)
}

fn coded_error(media: &str, status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    let status = if media == JSON && status.is_success() { actix_web::http::StatusCode::BAD_REQUEST } else { status };
    HttpResponse::build(status)
        .content_type(format!("{media}; charset=utf-8"))
        .json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string())
}

/// Turns an `Authorization` value (or `None`) into the viewer. A token that does not verify,
/// names no member, or names a suspended one makes an `Invalid` viewer: an error wherever
/// identity matters, never anonymous.
pub async fn resolve_viewer(state: &AppState, authorization: Option<&str>) -> Viewer {
    resolve_viewer_at(state, authorization, None).await
}

/// [`resolve_viewer`], reading the member through a query's shared rows (the row as of the
/// data version the request began at, so a suspension committed before it counts).
async fn resolve_viewer_at(
    state: &AppState,
    authorization: Option<&str>,
    shared: Option<&crate::domain::shared_rows::SharedAt>,
) -> Viewer {
    let Some(raw) = authorization.map(str::trim).filter(|s| !s.is_empty()) else { return Viewer::Anonymous };
    let Some(token) = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")) else {
        return Viewer::Invalid("Authorization must be `Bearer <accessToken>`".into());
    };
    let claims = match state.jwt.verify(token.trim()) {
        Ok(c) => c,
        Err(crate::error::AppError::Unauthenticated(why)) => return Viewer::Invalid(why),
        Err(_) => return Viewer::Invalid("invalid access token".into()),
    };
    let found = crate::domain::shared_rows::through(
        shared,
        |s| &s.members,
        &[claims.sub],
        |ids| async move { crate::domain::members::by_ids(&state.db, &ids).await },
    )
    .await
    .map(|mut found| found.remove(&claims.sub));
    match found {
        Ok(Some(m)) if crate::domain::visibility::may_sign_in(&m) => {
            Viewer::Member(Box::new(std::sync::Arc::unwrap_or_clone(m)))
        }
        Ok(Some(_)) => Viewer::Invalid("this account is suspended or deleted".into()),
        Ok(None) => Viewer::Invalid("the access token's account no longer exists".into()),
        Err(_) => Viewer::Invalid("could not check the access token".into()),
    }
}

async fn execute(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    cache: web::Data<ResponseCache>,
    req: HttpRequest,
    media: &'static str,
    body: RequestBody,
    is_get: bool,
) -> HttpResponse {
    let query = match body.query {
        Some(serde_json::Value::String(q)) => q,
        Some(_) => return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "`query` must be a string"),
        None => return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "`query` is required"),
    };
    let operation_name = match body.operation_name {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => {
            return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "`operationName` must be a string")
        }
    };
    let variables = match body.variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(v @ serde_json::Value::Object(_)) => Variables::from_json(v),
        Some(_) => {
            return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "`variables` must be an object")
        }
    };
    if !matches!(body.extensions, None | Some(serde_json::Value::Null) | Some(serde_json::Value::Object(_))) {
        return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "`extensions` must be an object");
    }
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    super::documents::prepare(&mut request).await;
    // GET must not change anything: find the operation that would run.
    if is_get && matches!(operation(&mut request), Some(OperationType::Mutation) | Some(OperationType::Subscription)) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(format!("{media}; charset=utf-8"))
            .json(serde_json::json!({"errors": [{"message": "only queries may be sent with GET; use POST"}]}));
    }
    execute_request(state, schema, cache, req, media, request, true).await
}

/// Runs a request that passed the transport's checks, its document prepared
/// (`documents::prepare`). `cacheable`: an anonymous query may be
/// answered from the cache (see `cache`), or by the identical request already computing it.
async fn execute_request(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    cache: web::Data<ResponseCache>,
    req: HttpRequest,
    media: &'static str,
    mut request: async_graphql::Request,
    cacheable: bool,
) -> HttpResponse {
    let authorization = bearer(req.headers());
    let is_query = operation(&mut request) == Some(OperationType::Query);
    // The data version: for the anonymous cache, and for queries' shared rows.
    let version = match &state.data_version {
        Some(data) if is_query || (authorization.is_none() && cacheable) => data.current().await,
        _ => None,
    };
    let mut cached = None;
    if let (None, Some(version), true) = (&authorization, &version, cacheable) {
        if let Some(key) = Key::new(media, &request.query, request.operation_name.as_deref(), &request.variables) {
            cached = Some((key, version.clone()));
        }
    }
    let rows = req.app_data::<web::Data<crate::domain::shared_rows::SharedRows>>();
    let shared = match (rows, &version, &state.data_version) {
        (Some(rows), Some(at), Some(data)) if is_query => {
            Some(crate::domain::shared_rows::SharedAt::new(rows.clone().into_inner(), at.clone(), data.tables()))
        }
        _ => None,
    };
    let request = request
        .data(Loaders::reading(&state.db, shared.clone()))
        .data(client_addr(&state.config, &req))
        .data(crate::federation::resolve::RemoteBudget::default());
    let answered = match cached {
        None => run(&state, &schema, authorization.as_deref(), shared.as_ref(), media, request).await,
        // Run apart from this request, so that the requests waiting for this computation
        // still get its answer if this one's client goes away.
        Some((key, at)) => {
            let anonymous = Anonymous { key, at, is_query, shared };
            let task = actix_web::rt::spawn(answer_anonymous(state, schema, cache, anonymous, media, request));
            task.await.unwrap_or(Err(()))
        }
    };
    match answered {
        Ok(a) => answer(a.status, media, a.body),
        Err(()) => HttpResponse::InternalServerError().finish(),
    }
}

/// An answer to a request: its status, body, and whether it may be kept (no errors).
struct Answered {
    status: actix_web::http::StatusCode,
    body: web::Bytes,
    keepable: bool,
}

/// What an anonymous request brings to the cache: its key, the data as it saw it when it
/// began, whether it runs a query, and the shared rows it reads.
struct Anonymous {
    key: Key,
    at: std::sync::Arc<crate::db::version::Snapshot>,
    is_query: bool,
    shared: Option<crate::domain::shared_rows::SharedAt>,
}

/// An anonymous request's answer: the kept one, the one an identical request is computing, or
/// its own (kept when it is a query's and the data did not change while it was computed).
async fn answer_anonymous(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    cache: web::Data<ResponseCache>,
    anonymous: Anonymous,
    media: &'static str,
    request: async_graphql::Request,
) -> Result<Answered, ()> {
    let Anonymous { key, at, is_query, shared } = anonymous;
    let Some(data) = &state.data_version else {
        return run(&state, &schema, None, shared.as_ref(), media, request).await;
    };
    let mut request = Some(request);
    let mut own = None;
    let kept = cache
        .get_or_compute(key, &at, async {
            let request = request.take()?;
            let (answered, reads) = crate::db::version::recording(data.tables(), async {
                run(&state, &schema, None, shared.as_ref(), media, request).await
            })
            .await;
            let keep = match &answered {
                Ok(a) if a.keepable && is_query => {
                    // Kept only if what it read did not change while it was computed.
                    let now = data.current().await;
                    now.filter(|now| now.pick(reads) == at.pick(reads))
                        .map(|_| crate::graphql::cache::Computed { body: a.body.clone(), reads })
                }
                _ => None,
            };
            own = Some(answered);
            keep
        })
        .await;
    crate::metrics::response_cache(own.is_none());
    match (own, kept) {
        (Some(answered), _) => answered,
        (None, Ok(body)) => Ok(Answered { status: actix_web::http::StatusCode::OK, body, keepable: true }),
        // The computation waited for kept nothing: compute this request's own answer.
        (None, Err(_)) => match request {
            Some(request) => run(&state, &schema, None, shared.as_ref(), media, request).await,
            None => Err(()),
        },
    }
}

/// Runs a request as the holder of `authorization` (anonymous without one). `Err`: the answer
/// could not be serialised.
async fn run(
    state: &web::Data<State>,
    schema: &WeaveSchema,
    authorization: Option<&str>,
    shared: Option<&crate::domain::shared_rows::SharedAt>,
    media: &'static str,
    request: async_graphql::Request,
) -> Result<Answered, ()> {
    let viewer = resolve_viewer_at(state, authorization, shared).await;
    let operation = crate::metrics::enabled()
        .then(|| request.operation_name.clone().or_else(|| crate::metrics::first_operation_name(&request.query)));
    let response = super::execute(schema, request.data(viewer)).await;
    // A response with errors but no data, whose errors have no path, failed before execution
    // (syntax, validation, unknown operation): a request error.
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if let Some(name) = operation {
        let outcome = match (request_failed, response.errors.is_empty()) {
            (true, _) => "request_error",
            (false, true) => "ok",
            (false, false) => "error",
        };
        crate::metrics::graphql_operation(name.as_deref(), outcome);
    }
    let status = if media == GRAPHQL_RESPONSE_JSON && request_failed {
        actix_web::http::StatusCode::BAD_REQUEST
    } else {
        actix_web::http::StatusCode::OK
    };
    // Request errors have no `data` entry at all (GraphQL over HTTP).
    let body = if request_failed {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    match body {
        Ok(body) => Ok(Answered {
            status,
            body: web::Bytes::from(body),
            keepable: status == actix_web::http::StatusCode::OK && response.errors.is_empty(),
        }),
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response");
            Err(())
        }
    }
}

/// The operation a request runs, read from its parsed document (the engine runs that one).
fn operation(request: &mut async_graphql::Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    request.parsed_query().ok().and_then(|doc| type_in(doc, name.as_deref()))
}

fn type_in(
    doc: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    match (operation_name, &doc.operations) {
        (_, DocumentOperations::Single(op)) => Some(op.node.ty),
        (Some(name), DocumentOperations::Multiple(ops)) => ops.get(name).map(|op| op.node.ty),
        (None, DocumentOperations::Multiple(ops)) => {
            ops.values().next().filter(|_| ops.len() == 1).map(|op| op.node.ty)
        }
    }
}

fn answer(status: actix_web::http::StatusCode, media: &'static str, body: web::Bytes) -> HttpResponse {
    HttpResponse::build(status).content_type(format!("{media}; charset=utf-8")).body(body)
}

async fn post(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    cache: web::Data<ResponseCache>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(media) = negotiate(req.headers()) else {
        return HttpResponse::NotAcceptable().body("accept application/graphql-response+json or application/json");
    };
    let full_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = full_type.as_deref().map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let body = match content_type.as_deref() {
        Some("application/json") | Some("application/graphql-response+json") => {
            match super::upload::read_body(payload, state.config.max_body_bytes).await {
                Ok(body) => body,
                Err(status) => return request_error(media, status, "the request body is too large or was cut short"),
            }
        }
        // Files (`uploadMedia`): the GraphQL multipart request specification.
        Some("multipart/form-data") => {
            // Files are for signed-in members: nobody else's body is read.
            let signed_in = bearer(req.headers())
                .and_then(|b| b.strip_prefix("Bearer ").map(|t| state.jwt.verify(t.trim()).is_ok()))
                .unwrap_or(false);
            if !signed_in {
                return coded_error(
                    media,
                    actix_web::http::StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    "sign in to upload files",
                );
            }
            return match super::upload::receive(payload, full_type.as_deref(), state.config.max_body_bytes).await {
                Ok(mut request) => {
                    super::documents::prepare(&mut request).await;
                    execute_request(state, schema, cache, req, media, request, false).await
                }
                Err((status, message)) => request_error(media, status, message),
            };
        }
        None => {
            return request_error(
                media,
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send Content-Type: application/json",
            )
        }
        Some(_) => {
            return request_error(
                media,
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send Content-Type: application/json",
            )
        }
    };
    let parsed: RequestBody = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v @ serde_json::Value::Object(_)) => match serde_json::from_value(v) {
            Ok(b) => b,
            Err(_) => {
                return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "malformed GraphQL request")
            }
        },
        Ok(_) => {
            return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "the body must be a JSON object")
        }
        Err(_) => return request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "the body is not valid JSON"),
    };
    execute(state, schema, cache, req, media, parsed, false).await
}

#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

async fn get(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    cache: web::Data<ResponseCache>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let headers = req.headers();
    let is_upgrade =
        headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return websocket(state, schema, req, payload).await;
    }
    let params = web::Query::<GetParams>::from_query(req.query_string()).ok().map(|q| q.into_inner());
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let no_query = params.as_ref().and_then(|p| p.query.as_ref()).is_none();
    if wants_html && no_query {
        return Ok(super::graphiql::page(&state.config));
    }
    let Some(media) = negotiate(headers) else {
        return Ok(HttpResponse::NotAcceptable().body("accept application/graphql-response+json or application/json"));
    };
    let Some(params) = params else {
        return Ok(request_error(media, actix_web::http::StatusCode::BAD_REQUEST, "malformed query string"));
    };
    let parse_json = |s: Option<String>| -> Result<Option<serde_json::Value>, ()> {
        s.map(|s| serde_json::from_str::<serde_json::Value>(&s).map_err(|_| ())).transpose()
    };
    let (Ok(variables), Ok(extensions)) = (parse_json(params.variables), parse_json(params.extensions)) else {
        return Ok(request_error(
            media,
            actix_web::http::StatusCode::BAD_REQUEST,
            "`variables` and `extensions` must be JSON",
        ));
    };
    let body = RequestBody {
        query: params.query.map(serde_json::Value::String),
        operation_name: params.operation_name.map(serde_json::Value::String),
        variables,
        extensions,
    };
    Ok(execute(state, schema, cache, req, media, body, true).await)
}

/// The WebSocket transport (see `socket`).
async fn websocket(
    state: web::Data<State>,
    schema: web::Data<WeaveSchema>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    super::socket::start(state.get_ref().clone(), schema.get_ref().clone(), &req, payload)
}
