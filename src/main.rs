//! The `weave` command: `serve` (the default), `migrate`, `export-schema`, `create-admin`,
//! `backup`, `restore`.
use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use weave::config::{Config, ExposeSecret as _};

#[derive(Parser)]
#[command(name = "weave", version, about = "Weave: a federated community-of-practice server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations are applied first). The default.
    Serve {
        /// Load the demo community (the two seed events, members, registrations) first, if
        /// the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL), or write it to a file.
    ExportSchema {
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Create the instance admin (or promote an existing account); the admin owns `community`.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// The password; else WEAVE_ADMIN_PASSWORD, else read from standard input.
        #[arg(long, env = "WEAVE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Write a consistent copy of the live SQLite database to a new file (the server may run).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place, into an empty data directory, and migrate it.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

/// Rust's allocations go to mimalloc: a GraphQL answer is thousands of small, short-lived
/// allocations, and glibc's malloc (its free-list consolidation and arena locks) was about a
/// quarter of the events page's CPU profile. SQLite's go there too ([`sqlite_on_mimalloc`]);
/// other C code still uses glibc, tuned below.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Blocks at least this large are always mapped on their own and returned to the system when
/// freed. See [`tune_allocator`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_BYTES: i32 = 4 << 20;

/// glibc raises its mmap threshold to the size of the largest mapped block freed so far (up to
/// 32 MiB). After the first argon2 hash (19 MiB, freed) every later hash's memory comes from
/// the heap arenas instead, where fragmentation keeps it: measured with `cargo bench --bench
/// memory`, 90 registrations took the server from 27 to 942 MiB, with `MALLOC_ARENA_MAX=2` to
/// 1,017 MiB (so not per-thread arenas), with the threshold fixed at 4 MiB to 30 MiB. Fixing
/// the threshold (which turns the adjustment off) is the cure; `MALLOC_MMAP_THRESHOLD_` in the
/// environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: `mallopt` only sets an allocator parameter, under glibc's own lock.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// SQLite's own allocations (a copy of every value it hands sqlx, its statements, its page
/// cache) go to mimalloc as well, without SQLite's global memory statistics (a mutex taken on
/// every allocation, for limits Weave does not set). With glibc they were about a tenth of the
/// signed-in events page's CPU (`malloc_consolidate`, `_int_malloc`), on the connections'
/// threads. Runs before anything opens a database: SQLite takes its configuration only
/// before it initialises; if it refuses, it keeps its defaults.
fn sqlite_on_mimalloc() {
    use libsqlite3_sys as sqlite;
    use std::ffi::{c_int, c_void};

    fn size(n: c_int) -> usize {
        usize::try_from(n).unwrap_or(0)
    }
    unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
        // SAFETY: plain allocation; SQLite checks for null.
        unsafe { libmimalloc_sys::mi_malloc(size(n)) }
    }
    unsafe extern "C" fn x_free(p: *mut c_void) {
        // SAFETY: SQLite frees only what `x_malloc`/`x_realloc` returned.
        unsafe { libmimalloc_sys::mi_free(p) }
    }
    unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        // SAFETY: as for `x_free`; SQLite checks for null.
        unsafe { libmimalloc_sys::mi_realloc(p, size(n)) }
    }
    unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
        // SAFETY: `p` is one of ours (or null, which mimalloc answers with 0).
        c_int::try_from(unsafe { libmimalloc_sys::mi_usable_size(p) }).unwrap_or(c_int::MAX)
    }
    unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
        n.saturating_add(7) & !7
    }
    unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
        sqlite::SQLITE_OK
    }
    unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

    let methods = sqlite::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: called once, before SQLite initialises (no connection exists yet); SQLite copies
    // the methods before returning.
    let off: c_int = 0;
    unsafe {
        sqlite::sqlite3_config(sqlite::SQLITE_CONFIG_MEMSTATUS, off);
        sqlite::sqlite3_config(sqlite::SQLITE_CONFIG_MALLOC, &raw const methods);
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    sqlite_on_mimalloc();
    tune_allocator();
    let cli = Cli::parse();
    if let Some(Command::ExportSchema { out }) = &cli.command {
        let sdl = weave::graphql::sdl();
        match out {
            Some(path) => std::fs::write(path, sdl).with_context(|| format!("writing {}", path.display()))?,
            None => print!("{sdl}"),
        }
        return Ok(());
    }
    let config = Config::load()?;
    weave::telemetry::init(config.log_format);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = weave::Application::build(config).await?;
            // Start-up hashed a dummy password (argon2, 19 MiB): hand that memory back now
            // rather than when this thread next allocates.
            // SAFETY: `mi_collect` only frees unused memory of the allocator's own.
            unsafe { libmimalloc_sys::mi_collect(true) };
            if demo {
                match weave::demo::load(&app.state(), &app.federation()).await {
                    Ok(l) => tracing::info!(
                        members = l.members,
                        groups = l.groups,
                        events = l.events,
                        "demo community loaded; demo accounts sign in with the password \"{}\"",
                        weave::demo::community().map(|c| c.password).unwrap_or_default()
                    ),
                    Err(weave::demo::DemoError::NotEmpty) => {
                        tracing::warn!("--demo: the database is not empty, so the demo was not loaded")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            weave::db::connect(config.database_url.expose_secret(), config.database_pool).await.context("migrating")?;
            println!("migrations applied");
        }
        Command::CreateAdmin { username, email, password } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).context("reading the password from stdin")?;
                    s.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let state = weave::build_state(config).await?;
            weave::domain::groups::ensure_default_group(&state)
                .await
                .map_err(|e| anyhow::anyhow!("creating the default group: {e:?}"))?;
            let admin = weave::domain::members::create_admin(&state, &username, &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.client_message()))?;
            println!("admin {} is ready and owns the community group", admin.handle);
        }
        Command::Backup { out } => {
            let done = weave::backup::backup(&config, &out).await?;
            println!("backup written to {} ({} bytes)", done.file.display(), done.bytes);
            if let Some(media) = done.media_dir {
                println!("copy the pictures too: {} (files never change under their names)", media.display());
            }
        }
        Command::Restore { from } => {
            let done = weave::backup::restore(&config, &from).await?;
            println!("restored into {} ({} bytes)", done.file.display(), done.bytes);
            if let Some(media) = done.media_dir {
                println!("put the pictures back in {}", media.display());
            }
        }
        Command::ExportSchema { .. } => {}
    }
    Ok(())
}
