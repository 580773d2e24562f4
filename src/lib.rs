//! Weave: a federated community-of-practice server.
//!
//! [`Application::build`] wires everything for one instance and binds its listener; tests start
//! several in one process (there is no global state).
pub mod ap;
pub mod auth;
pub mod backup;
pub mod bus;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod federation;
pub mod graphql;
pub mod mail;
pub mod media_store;
pub mod metrics;
pub mod state;
pub mod telemetry;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use anyhow::Context as _;

use crate::auth::JwtKeys;
use crate::config::{Config, ExposeSecret as _};
use crate::federation::Federation;
use crate::state::{AppState, State};

/// A built instance: its listener is bound, its database migrated, its server not yet polled.
pub struct Application {
    port: u16,
    server: Server,
    /// `WEAVE_METRICS_BIND`'s listener: its port and server.
    metrics: Option<(u16, Server)>,
    state: State,
    federation: Federation,
}

impl Application {
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        if config.domain.is_empty() || config.domain.ends_with(":0") {
            // ActivityPub peers need a host name, not an IP literal: in debug mode a loopback
            // server calls itself `localhost:PORT`.
            config.domain = if config.federation_debug && addr.ip().is_loopback() {
                format!("localhost:{}", addr.port())
            } else {
                addr.to_string()
            };
        }
        let state = build_state(config).await?;
        domain::groups::ensure_default_group(&state)
            .await
            .map_err(|e| anyhow::anyhow!("creating the default group: {e:?}"))?;
        let federation = federation::build(state.clone()).await?;
        if state.config.metrics_enabled() && crate::metrics::install().is_none() {
            tracing::warn!(
                "metrics: another recorder was installed first; /metrics shows only what is read at scrape time"
            );
        }
        let server = web::server(listener, state.clone(), federation.clone())?;
        let metrics = match state.config.metrics_bind.as_str() {
            "" => None,
            addr => {
                let listener = bind(addr).with_context(|| format!("binding {addr} (WEAVE_METRICS_BIND)"))?;
                let port = listener.local_addr()?.port();
                Some((port, web::metrics::server(listener, state.clone())?))
            }
        };
        state.bus.spawn_listener(&state.db);
        // SQLite has one writer: one worker. PostgreSQL workers share the queue (SKIP LOCKED).
        let workers = if state.config.database_url.is_sqlite() {
            state.config.delivery_workers.min(1)
        } else {
            state.config.delivery_workers
        };
        if workers > 0 {
            federation::delivery::spawn_workers(federation.clone(), workers);
        }
        mail::spawn(state.clone())?;
        if state.config.prompt_interval_secs > 0 {
            domain::learning::spawn_prompts(state.clone());
        }
        tracing::info!(address = %addr, domain = %state.config.domain, "weave is listening");
        Ok(Application { port: addr.port(), server, metrics, state, federation })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `WEAVE_METRICS_BIND`'s listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> State {
        self.state.clone()
    }

    /// The federation context (tests drain the delivery queue with it).
    pub fn federation(&self) -> Federation {
        self.federation.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs until the main server stops (the metrics listener stops with the process).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some((_, metrics)) = self.metrics {
            tokio::spawn(metrics);
        }
        self.server.await
    }
}

/// Binds with SO_REUSEADDR so that a restarted server gets its port back at once.
fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    use std::net::ToSocketAddrs as _;
    let addr = addr.to_socket_addrs()?.next().ok_or_else(|| anyhow::anyhow!("{addr} names no address"))?;
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Connects to the database (applying migrations) and prepares the shared state. Also used by
/// the CLI commands that need no HTTP server.
pub async fn build_state(config: Config) -> anyhow::Result<State> {
    config::check_jwt_secret(config.jwt_secret.expose_secret())?;
    let (db, statements) = db::connect_counted(config.database_url.expose_secret(), config.database_pool)
        .await
        .context("connecting to the database")?;
    let jwt = JwtKeys::new(config.jwt_secret.expose_secret(), &config.domain);
    let dummy_hash = auth::hash_password(auth::random_token(16))
        .await
        .map_err(|e| anyhow::anyhow!("preparing the password hasher: {e:?}"))?;
    let bus = bus::Bus::new(&db);
    let data_version = if config.response_cache {
        db::version::DataVersion::open(config.database_url.expose_secret())
            .await
            .context("opening the data-version probe")?
    } else {
        None
    };
    let media = media_store::MediaStore::open(&config)?;
    Ok(Arc::new(AppState {
        db,
        config,
        jwt,
        dummy_hash,
        remote_lookups: tokio::sync::Semaphore::new(8),
        bus,
        statements,
        data_version,
        media,
    }))
}
