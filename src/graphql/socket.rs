//! GraphQL over WebSocket on `/graphql`: `graphql-transport-ws` (and the older `graphql-ws`).
//!
//! async-graphql's protocol engine ([`WebSocket`]) speaks the protocol; the loop in [`serve`]
//! stands between it and the socket and holds the HTTP path's rules for every operation:
//!
//! - **Identity.** The client signs in with `connection_init` (`{"Authorization": "Bearer …"}`
//!   or `{"authToken": "…"}`); a token that does not verify closes the socket with 4403. The
//!   sign-in is checked again, as the HTTP path checks a token ([`resolve_viewer`]: signature,
//!   expiry, member still active), before every operation and, while operations are live,
//!   before delivering an event (at most once per [`RECHECK_ON_EVENT`]) and every
//!   [`RECHECK_EVERY`]. An expired token or a suspended, deleted or vanished member closes the
//!   socket with 4403; each operation runs as the viewer just resolved.
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
use crate::web::ratelimit::{client_addr, ClientAddr};

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
#[derive(Default)]
struct SignIn {
    /// The `Authorization` value of `connection_init` (`None`: anonymous, or not yet signed in).
    authorization: Option<String>,
    /// `connection_init` was refused.
    refused: bool,
    /// The viewer as last checked: what the next operation runs as.
    viewer: Option<Viewer>,
}

type Shared = Arc<Mutex<SignIn>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, SignIn> {
    // A poisoned lock only means a panic elsewhere mid-update: the value is still usable.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The schema, running each operation as the viewer the loop checked last, with its own budget
/// of remote look-ups (as an HTTP request has).
#[derive(Clone)]
struct SocketExecutor {
    schema: WeaveSchema,
    sign_in: Shared,
}

impl SocketExecutor {
    fn prepare(&self, request: Request) -> Request {
        let request = request.data(crate::federation::resolve::RemoteBudget::default());
        match lock(&self.sign_in).viewer.clone() {
            Some(viewer) => request.data(viewer),
            None => request,
        }
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.schema.execute(self.prepare(request)).await
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        self.schema.execute_stream_with_session_data(self.prepare(request), session_data.unwrap_or_default())
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
    actix_web::rt::spawn(serve(state, schema, protocol, client, session, messages));
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

/// Why a socket must close.
struct Close(u16, String);

/// One socket, from upgrade to close.
async fn serve(
    state: State,
    schema: WeaveSchema,
    protocol: Protocols,
    client: ClientAddr,
    session: Session,
    mut messages: actix_ws::AggregatedMessageStream,
) {
    let sign_in: Shared = Arc::default();
    let (to_engine, from_client) = tokio::sync::mpsc::channel::<String>(QUEUE);
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let executor = SocketExecutor { schema, sign_in: sign_in.clone() };
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
                s.viewer = Some(viewer.clone());
            }
            let mut data = Data::default();
            data.insert(viewer);
            data.insert(Loaders::uncached(&state.db));
            data.insert(client);
            Ok(data)
        }
    };
    let mut engine = Box::pin(WebSocket::new(executor, input, protocol).on_connection_init(init));
    let mut socket =
        Socket { state, protocol, client, sign_in, session, in_flight: HashSet::new(), checked_at: Instant::now() };
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard_at = Instant::now();

    let close = loop {
        tokio::select! {
            message = messages.recv(), if to_engine.capacity() > 0 => {
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
                    Ok(true) => {
                        if to_engine.try_send(text).is_err() {
                            break None;
                        }
                    }
                    Ok(false) => {}
                    Err(close) => break Some(close),
                }
            }
            out = engine.next() => match out {
                Some(WsMessage::Text(text)) => match socket.deliver(&text).await {
                    Ok(()) => {
                        if socket.session.text(text).await.is_err() {
                            break None;
                        }
                    }
                    Err(close) => break Some(close),
                },
                Some(WsMessage::Close(code, reason)) => {
                    // A refused `connection_init` is Forbidden, as graphql-transport-ws asks.
                    let code = if lock(&socket.sign_in).refused { FORBIDDEN } else { code };
                    break Some(Close(code, reason));
                }
                None => break Some(Close(1000, String::new())),
            },
            _ = heartbeat.tick() => {
                if heard_at.elapsed() > CLIENT_TIMEOUT {
                    break None;
                }
                if !socket.in_flight.is_empty() && socket.checked_at.elapsed() >= RECHECK_EVERY {
                    if let Err(close) = socket.recheck().await {
                        break Some(close);
                    }
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
    state: State,
    protocol: Protocols,
    client: ClientAddr,
    sign_in: Shared,
    session: Session,
    /// Ids of the operations started and not yet completed.
    in_flight: HashSet<String>,
    /// When the sign-in was last checked.
    checked_at: Instant,
}

impl Socket {
    /// Checks the sign-in again; the viewer found is what the next operation runs as.
    async fn recheck(&mut self) -> Result<(), Close> {
        let authorization = lock(&self.sign_in).authorization.clone();
        self.checked_at = Instant::now();
        // Anonymous sockets have nothing to lose.
        let Some(authorization) = authorization else { return Ok(()) };
        let viewer = resolve_viewer(&self.state, Some(&authorization)).await;
        if let Viewer::Invalid(why) = viewer {
            return Err(Close(FORBIDDEN, why));
        }
        lock(&self.sign_in).viewer = Some(viewer);
        Ok(())
    }

    /// A client message: whether it goes on to the engine (`Ok(false)`: answered here).
    async fn admit(&mut self, text: &str) -> Result<bool, Close> {
        let Peek { kind, id } = peek(text);
        match (kind.as_deref(), id) {
            (Some("subscribe" | "start"), Some(id)) => {
                if self.in_flight.contains(&id) {
                    return Err(Close(DUPLICATE_ID, format!("Subscriber for {id} already exists")));
                }
                self.recheck().await?;
                if let Err(wait) = self.state.limits.graphql.check(&self.client) {
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

    /// A message from the engine, before it goes out.
    async fn deliver(&mut self, text: &str) -> Result<(), Close> {
        let Peek { kind, id } = peek(text);
        match kind.as_deref() {
            Some("complete" | "error") => {
                if let Some(id) = id {
                    self.in_flight.remove(&id);
                }
            }
            Some("next" | "data") if self.checked_at.elapsed() >= RECHECK_ON_EVENT => self.recheck().await?,
            _ => {}
        }
        Ok(())
    }
}
