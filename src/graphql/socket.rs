//! GraphQL over WebSocket on `/graphql`: `graphql-transport-ws` (and the older `graphql-ws`).
//!
//! async-graphql's protocol engine ([`WebSocket`]) speaks the protocol; [`serve`] stands
//! between it and the socket, and [`SocketExecutor`] between it and the schema. Together they
//! hold every operation to the HTTP path's rules:
//!
//! - **Identity.** The client signs in with `connection_init` (`{"Authorization": "Bearer …"}`
//!   or `{"authToken": "…"}`); a token that does not verify closes the socket with 4403. The
//!   sign-in is checked again, as the HTTP path checks a token ([`resolve_viewer`]: signature,
//!   expiry, member still active), before every operation, before a subscription delivers an
//!   event (unless checked within [`RECHECK_ON_EVENT`]), and every [`RECHECK_EVERY`] while
//!   operations are live. An expired token or a suspended, deleted or vanished member closes the
//!   socket with 4403; each operation runs as the viewer just found.
//! - **Rate.** Each operation (`subscribe`) takes a token from the client address's `/graphql`
//!   bucket (`WEAVE_RATE_LIMIT_GRAPHQL_PER_MINUTE`); when none is left the operation is answered
//!   with an `error` message whose code is `RATE_LIMITED`.
//! - **Width.** At most [`MAX_IN_FLIGHT`] operations (live subscriptions included) per socket;
//!   past that, `RATE_LIMITED` for the operation. A second operation under an id still in use
//!   closes the socket with 4409, as the protocol says.
use std::collections::HashSet;
use std::str::FromStr as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use async_graphql::http::{WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::http::resolve_viewer;
use super::{Loaders, WeaveSchema};
use crate::domain::viewer::Viewer;
use crate::state::State;
use crate::web::ratelimit::{client_addr, ClientAddr, RateLimits};

/// Operations (queries, mutations, live subscriptions) one socket may have at once.
pub const MAX_IN_FLIGHT: usize = 32;
/// How often a socket with live operations checks its sign-in without being asked anything.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// An event is delivered without checking the sign-in again if it was checked this recently.
pub const RECHECK_ON_EVENT: Duration = Duration::from_secs(1);
/// Protocol pings: one every this long; a client silent for [`CLIENT_TIMEOUT`] is gone.
const HEARTBEAT: Duration = Duration::from_secs(5);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
/// Client messages accepted but not yet taken by the protocol engine.
const QUEUE: usize = 16;

/// `graphql-transport-ws` close codes.
const FORBIDDEN: u16 = 4403;
const DUPLICATE_ID: u16 = 4409;

/// What the socket knows of its sign-in, shared by the loop, `connection_init` and the executor.
struct SignIn {
    /// The `Authorization` value of `connection_init` (`None`: anonymous, or not yet signed in).
    authorization: Option<String>,
    /// `connection_init` was refused.
    refused: bool,
    /// When the sign-in was last found valid.
    checked_at: Instant,
}

type Shared = Arc<Mutex<SignIn>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, SignIn> {
    // A poisoned lock only means a panic elsewhere mid-update: the value is still usable.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why a socket must close.
struct Close(u16, String);

/// The schema for one socket. Each operation first checks the sign-in again and runs as the
/// viewer found, with its own budget of remote look-ups (as an HTTP request has); a
/// subscription checks again before delivering an event. These checks run inside the
/// operation's stream, which the engine polls alongside the others: the loop itself never
/// waits on the database while operations it should be polling hold connections.
#[derive(Clone)]
struct SocketExecutor {
    schema: WeaveSchema,
    state: State,
    sign_in: Shared,
    /// Tells the loop to close the socket.
    closer: tokio::sync::mpsc::Sender<Close>,
}

impl SocketExecutor {
    /// The sign-in checked as the HTTP path checks a token: the viewer to run as (`None`: an
    /// anonymous socket, which has nothing to lose), or why the socket must close.
    async fn check(&self) -> Result<Option<Viewer>, Close> {
        let authorization = lock(&self.sign_in).authorization.clone();
        let Some(authorization) = authorization else { return Ok(None) };
        match resolve_viewer(&self.state, Some(&authorization)).await {
            Viewer::Invalid(why) => Err(Close(FORBIDDEN, why)),
            viewer => {
                lock(&self.sign_in).checked_at = Instant::now();
                Ok(Some(viewer))
            }
        }
    }

    /// Checks again unless the last check is more recent than `fresh`.
    async fn check_if_older(&self, fresh: Duration) -> Result<(), Close> {
        if lock(&self.sign_in).checked_at.elapsed() < fresh {
            return Ok(());
        }
        self.check().await.map(|_| ())
    }

    /// Has the loop close the socket; the operation then waits for the socket to go.
    async fn close(&self, close: Close) {
        let _ = self.closer.try_send(close);
        futures_util::future::pending::<()>().await;
    }

    fn prepare(request: Request, viewer: Option<Viewer>) -> Request {
        let request = request.data(crate::federation::resolve::RemoteBudget::default());
        match viewer {
            Some(viewer) => request.data(viewer),
            None => request,
        }
    }
}

impl Executor for SocketExecutor {
    /// Not used by the engine (every operation is a stream); checks all the same.
    async fn execute(&self, request: Request) -> Response {
        match self.check().await {
            Ok(viewer) => super::execute(&self.schema, Self::prepare(request, viewer)).await,
            Err(Close(_, why)) => Response::from_errors(vec![async_graphql::ServerError::new(why, None)]),
        }
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let this = self.clone();
        let start = async move {
            let viewer = match this.check().await {
                Ok(viewer) => viewer,
                Err(close) => {
                    this.close(close).await;
                    return None;
                }
            };
            let request = Self::prepare(request, viewer);
            let responses = super::execute_stream(&this.schema, request, session_data.unwrap_or_default());
            Some(futures_util::stream::unfold((responses, this), |(mut responses, this)| async move {
                let response = responses.next().await?;
                if let Err(close) = this.check_if_older(RECHECK_ON_EVENT).await {
                    this.close(close).await;
                }
                Some((response, (responses, this)))
            }))
        };
        futures_util::stream::once(start).filter_map(futures_util::future::ready).flatten().boxed()
    }
}

/// Upgrades the request and serves the socket on this worker.
pub fn start(
    state: State,
    schema: WeaveSchema,
    req: &HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get_all(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| Protocols::from_str(p.trim()).ok())
        .ok_or_else(|| actix_web::error::ErrorBadRequest("name graphql-transport-ws in Sec-WebSocket-Protocol"))?;
    let (response, session, messages) =
        actix_ws::handle_with_protocols(req, payload, &[protocol.sec_websocket_protocol()])?;
    let max = state.config.max_body_bytes;
    let messages = messages.max_frame_size(max).aggregate_continuations().max_continuation_size(max);
    let client = client_addr(&state.config, req);
    // Operations count against the `/graphql` limit (`web::server` gives every app its limits).
    let limits = req
        .app_data::<web::Data<RateLimits>>()
        .map(|l| l.clone().into_inner())
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("no rate limits"))?;
    actix_web::rt::spawn(serve(state, schema, limits, protocol, client, session, messages));
    Ok(response)
}

/// The fields of a protocol message the loop looks at.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
}

fn peek(text: &str) -> Peek {
    serde_json::from_str(text).unwrap_or(Peek { kind: None, id: None })
}

/// One socket, from upgrade to close.
async fn serve(
    state: State,
    schema: WeaveSchema,
    limits: Arc<RateLimits>,
    protocol: Protocols,
    client: ClientAddr,
    session: Session,
    mut messages: actix_ws::AggregatedMessageStream,
) {
    let sign_in: Shared =
        Arc::new(Mutex::new(SignIn { authorization: None, refused: false, checked_at: Instant::now() }));
    let (to_engine, from_client) = tokio::sync::mpsc::channel::<String>(QUEUE);
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let (closer, mut closes) = tokio::sync::mpsc::channel::<Close>(1);
    let executor = SocketExecutor { schema, state: state.clone(), sign_in: sign_in.clone(), closer };
    let init = {
        let state = state.clone();
        let sign_in = sign_in.clone();
        let client = client.clone();
        move |payload: serde_json::Value| async move {
            let authorization = payload
                .get("Authorization")
                .or_else(|| payload.get("authorization"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or_else(|| payload.get("authToken").and_then(|v| v.as_str()).map(|t| format!("Bearer {t}")));
            let viewer = resolve_viewer(&state, authorization.as_deref()).await;
            if let Viewer::Invalid(why) = &viewer {
                lock(&sign_in).refused = true;
                return Err(async_graphql::Error::new(why.clone()));
            }
            {
                let mut s = lock(&sign_in);
                s.authorization = authorization;
                s.checked_at = Instant::now();
            }
            let mut data = Data::default();
            data.insert(viewer);
            data.insert(Loaders::uncached(&state.db));
            data.insert(client);
            Ok(data)
        }
    };
    let mut engine = Box::pin(WebSocket::new(executor.clone(), input, protocol).on_connection_init(init));
    let mut socket = Socket { limits, protocol, client, session, in_flight: HashSet::new() };
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard_at = Instant::now();
    // A client message admitted while the engine's queue was full: the socket is not read
    // again until it is queued.
    let mut held: Option<String> = None;

    let close = loop {
        tokio::select! {
            Some(close) = closes.recv() => break Some(close),
            permit = to_engine.reserve(), if held.is_some() => match (permit, held.take()) {
                (Ok(permit), Some(text)) => permit.send(text),
                _ => break None,
            },
            message = messages.recv(), if held.is_none() => {
                let text = match message {
                    Some(Ok(AggregatedMessage::Text(t))) => t.to_string(),
                    Some(Ok(AggregatedMessage::Binary(b))) => match String::from_utf8(b.to_vec()) {
                        Ok(t) => t,
                        Err(_) => break Some(Close(1007, "messages are UTF-8 JSON".into())),
                    },
                    Some(Ok(AggregatedMessage::Ping(p))) => {
                        heard_at = Instant::now();
                        if socket.session.pong(&p).await.is_err() {
                            break None;
                        }
                        continue;
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {
                        heard_at = Instant::now();
                        continue;
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                    Some(Err(_)) => break Some(Close(1002, "protocol error".into())),
                };
                heard_at = Instant::now();
                match socket.admit(&text).await {
                    Ok(true) => match to_engine.try_send(text) {
                        Ok(()) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Full(text)) => held = Some(text),
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => break None,
                    },
                    Ok(false) => {}
                    Err(close) => break Some(close),
                }
            }
            out = engine.next() => match out {
                Some(WsMessage::Text(text)) => {
                    socket.sent(&text);
                    if socket.session.text(text).await.is_err() {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // A refused `connection_init` is Forbidden, as graphql-transport-ws asks.
                    let code = if lock(&sign_in).refused { FORBIDDEN } else { code };
                    break Some(Close(code, reason));
                }
                None => break Some(Close(1000, String::new())),
            },
            _ = heartbeat.tick() => {
                if heard_at.elapsed() > CLIENT_TIMEOUT {
                    break None;
                }
                // Live subscriptions may deliver nothing for long: check without waiting here.
                if !socket.in_flight.is_empty() && lock(&sign_in).checked_at.elapsed() >= RECHECK_EVERY {
                    let executor = executor.clone();
                    actix_web::rt::spawn(async move {
                        if let Err(close) = executor.check_if_older(RECHECK_EVERY).await {
                            executor.close(close).await;
                        }
                    });
                }
                if socket.session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    let reason = close.map(|Close(code, description)| CloseReason {
        code: CloseCode::Other(code),
        description: Some(description).filter(|d| !d.is_empty()),
    });
    let _ = socket.session.close(reason).await;
}

struct Socket {
    limits: Arc<RateLimits>,
    protocol: Protocols,
    client: ClientAddr,
    session: Session,
    /// Ids of the operations started and not yet completed.
    in_flight: HashSet<String>,
}

impl Socket {
    /// A client message: whether it goes on to the engine (`Ok(false)`: answered here).
    async fn admit(&mut self, text: &str) -> Result<bool, Close> {
        let Peek { kind, id } = peek(text);
        match (kind.as_deref(), id) {
            (Some("subscribe" | "start"), Some(id)) => {
                if self.in_flight.contains(&id) {
                    return Err(Close(DUPLICATE_ID, format!("Subscriber for {id} already exists")));
                }
                if let Err(wait) = self.limits.graphql.check(&self.client) {
                    let secs = crate::web::ratelimit::retry_after_secs(wait);
                    self.refuse(&id, &format!("too many requests; retry in {secs} s")).await;
                    return Ok(false);
                }
                if self.in_flight.len() >= MAX_IN_FLIGHT {
                    let message = format!("at most {MAX_IN_FLIGHT} operations may run at once on one connection");
                    self.refuse(&id, &message).await;
                    return Ok(false);
                }
                self.in_flight.insert(id);
                Ok(true)
            }
            (Some("complete" | "stop"), Some(id)) => {
                self.in_flight.remove(&id);
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    /// Answers one operation with a `RATE_LIMITED` error (which also ends it).
    async fn refuse(&mut self, id: &str, message: &str) {
        let error = serde_json::json!({ "message": message, "extensions": { "code": "RATE_LIMITED" } });
        let payload = match self.protocol {
            Protocols::GraphQLWS => serde_json::json!([error]),
            Protocols::SubscriptionsTransportWS => error,
        };
        let answer = serde_json::json!({ "id": id, "type": "error", "payload": payload });
        let _ = self.session.text(answer.to_string()).await;
    }

    /// Notes an engine message going out: an ended operation frees its place.
    fn sent(&mut self, text: &str) {
        let Peek { kind, id } = peek(text);
        if let (Some("complete" | "error"), Some(id)) = (kind.as_deref(), id) {
            self.in_flight.remove(&id);
        }
    }
}
