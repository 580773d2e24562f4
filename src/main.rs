//! The `weave` command: `serve` (the default), `migrate`, `export-schema`, `create-admin`.
use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use weave::config::Config;

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
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
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
            weave::db::connect(&config.database_url).await.context("migrating")?;
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
        Command::ExportSchema { .. } => {}
    }
    Ok(())
}
