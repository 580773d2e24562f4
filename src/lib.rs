//! Weave: a federated community-of-practice server.
//!
//! [`Application::build`] wires everything for one instance and binds its listener; tests start
//! several in one process (there is no global state).
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod state;
pub mod telemetry;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use anyhow::Context as _;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::state::{AppState, State};

/// A built instance: its listener is bound, its database migrated, its server not yet polled.
pub struct Application {
    port: u16,
    server: Server,
    state: State,
}

impl Application {
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let addr = listener.local_addr()?;
        if config.domain.is_empty() || config.domain.ends_with(":0") {
            config.domain = addr.to_string();
        }
        let state = build_state(config).await?;
        domain::groups::ensure_default_group(&state)
            .await
            .map_err(|e| anyhow::anyhow!("creating the default group: {e:?}"))?;
        let server = web::server(listener, state.clone())?;
        tracing::info!(address = %addr, domain = %state.config.domain, "weave is listening");
        Ok(Application { port: addr.port(), server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> State {
        self.state.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Connects to the database (applying migrations) and prepares the shared state. Also used by
/// the CLI commands that need no HTTP server.
pub async fn build_state(config: Config) -> anyhow::Result<State> {
    let db = db::connect(&config.database_url).await.context("connecting to the database")?;
    let jwt = JwtKeys::new(&config.jwt_secret, &config.domain);
    let dummy_hash = auth::hash_password(auth::random_token(16))
        .await
        .map_err(|e| anyhow::anyhow!("preparing the password hasher: {e:?}"))?;
    Ok(Arc::new(AppState { db, config, jwt, dummy_hash }))
}
