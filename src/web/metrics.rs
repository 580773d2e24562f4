//! `GET /metrics`: what `crate::metrics` recorded, then what is read at scrape time (the
//! delivery queue per remote server, the database pool, statements run, the process's resident
//! memory), in the Prometheus text format. On the main port only with `WEAVE_METRICS_TOKEN`,
//! to requests bearing it; on `WEAVE_METRICS_BIND`'s own listener, also without one unless set.
use std::fmt::Write as _;
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use sea_orm::DbBackend;

use crate::config::ExposeSecret as _;
use crate::db::enums::DeliveryState;
use crate::state::State;

/// Remote servers listed in the delivery gauges (the largest counts).
const MAX_SERVERS: u64 = 100;

const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(main_port));
}

/// Whether the request bears the token (compared in constant time).
fn authorized(req: &HttpRequest, token: &str) -> bool {
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn main_port(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let Some(token) = &state.config.metrics_token else {
        return HttpResponse::NotFound().finish();
    };
    if !authorized(&req, token.expose_secret().trim()) {
        return HttpResponse::Unauthorized()
            .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
            .finish();
    }
    scrape(&state).await
}

async fn own_port(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Some(token) = &state.config.metrics_token {
        if !authorized(&req, token.expose_secret().trim()) {
            return HttpResponse::Unauthorized().finish();
        }
    }
    scrape(&state).await
}

/// The listener of `WEAVE_METRICS_BIND`: `/metrics` and nothing else.
pub fn server(listener: TcpListener, state: State) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        actix_web::App::new().app_data(web::Data::new(state.clone())).route("/metrics", web::get().to(own_port))
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(2)
    .run();
    Ok(server)
}

async fn scrape(state: &State) -> HttpResponse {
    let mut text = crate::metrics::render();
    if let Err(e) = read_now(state, &mut text).await {
        tracing::warn!(error = %e, "metrics: reading the delivery queue");
    }
    HttpResponse::Ok().content_type(TEXT_FORMAT).body(text)
}

/// A label value, escaped as the text format wants.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn gauge_header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// The figures read at scrape time.
async fn read_now(state: &State, out: &mut String) -> Result<(), sea_orm::DbErr> {
    if let Some(rss) = resident_bytes() {
        gauge_header(out, "process_resident_memory_bytes", "Resident memory size in bytes.");
        let _ = writeln!(out, "process_resident_memory_bytes {rss}");
    }
    let (size, idle, max) = pool_use(state);
    gauge_header(out, "weave_db_pool_connections", "Database connections open, by state; max is the pool's limit.");
    let _ = writeln!(out, "weave_db_pool_connections{{state=\"in_use\"}} {}", size.saturating_sub(idle));
    let _ = writeln!(out, "weave_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(out, "weave_db_pool_connections{{state=\"max\"}} {max}");
    let _ =
        writeln!(out, "# HELP weave_db_statements_total SQL statements run.\n# TYPE weave_db_statements_total counter");
    let _ = writeln!(out, "weave_db_statements_total {}", state.statements.get());

    let queue = crate::federation::delivery::by_server(state, MAX_SERVERS).await?;
    gauge_header(
        out,
        "weave_deliveries",
        "Deliveries waiting (pending) or given up on this week (failed), by remote server.",
    );
    for (server, st, n) in queue {
        let st = if st == DeliveryState::Pending { "pending" } else { "failed" };
        let _ = writeln!(out, "weave_deliveries{{server=\"{}\",state=\"{st}\"}} {n}", label(&server));
    }
    let mails = crate::domain::mail::queue_counts(state).await.unwrap_or_default();
    gauge_header(out, "weave_mails", "Mails to members waiting to be sent (pending) or given up on (failed).");
    let _ = writeln!(out, "weave_mails{{state=\"pending\"}} {}", mails.0);
    let _ = writeln!(out, "weave_mails{{state=\"failed\"}} {}", mails.1);
    let status = crate::federation::delivery::status(state).await?;
    gauge_header(out, "weave_deliveries_total_by_state", "Deliveries waiting or given up on, all servers.");
    let _ = writeln!(out, "weave_deliveries_total_by_state{{state=\"pending\"}} {}", status.pending);
    let _ = writeln!(out, "weave_deliveries_total_by_state{{state=\"failed\"}} {}", status.failed);
    gauge_header(out, "weave_federation_server_dead", "Remote servers given up on as dead (1 each).");
    for server in status.dead_servers.iter().take(MAX_SERVERS as usize) {
        let _ = writeln!(out, "weave_federation_server_dead{{server=\"{}\"}} 1", label(server));
    }
    Ok(())
}

/// Open, idle and most connections of the pool.
fn pool_use(state: &State) -> (u32, u32, u32) {
    match state.db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections())
        }
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

/// The process's resident memory (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
