//! `careloop`: the one binary. Parses the command line, loads settings and hands over to the
//! library; nothing else lives here.

use anyhow::Context;
use careloop::settings::Settings;
use careloop::{App, demo, open_db, shutdown_signal};
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_synth::{DEMO_PASSWORD, STAFF};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use time::OffsetDateTime;

/// CareLoop — 智能患者随访与健康管理系统 (patient follow-up and health management).
#[derive(Parser)]
#[command(name = "careloop", version)]
struct Cli {
    /// Configuration file (default: ./careloop.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and API.
    Serve,
    /// Create the database if needed, load a synthetic demo population, then serve.
    Demo {
        /// Number of synthetic patients to enrol.
        #[arg(long, default_value_t = 500)]
        patients: usize,
        /// Seed of the synthetic population (the same seed gives the same people).
        #[arg(long, default_value_t = 20261122)]
        seed: u64,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage departments.
    Department {
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Manage organisations.
    Organisation {
        #[command(subcommand)]
        command: OrganisationCommand,
    },
    /// Import and export follow-up protocols (JSON documents).
    Protocol {
        #[command(subcommand)]
        command: ProtocolCommand,
    },
    /// Evaluate a risk model (china-par, cdrs, pce, findrisc) on JSON inputs; prints the result.
    Risk {
        model: String,
        /// The inputs, e.g. '{"sex": "male", "age": 60, ...}' (same names as the API).
        #[arg(long)]
        json: String,
    },
    /// Classify measurements (BP, BMI, waist, glucose, lipids) given as JSON; prints one category each.
    Classify {
        #[arg(long)]
        json: String,
    },
    /// Import results from a hospital system (FHIR Bundles / NDJSON), with a progress bar.
    Import(careloop::import_cli::ImportArgs),
    /// Run one follow-up scheduler pass as of an instant (catch-up, cron, tests).
    Tick {
        /// The instant to run as of, RFC 3339 (e.g. 2026-12-01T09:00:00+08:00); default now.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProtocolCommand {
    /// Validate a protocol file and store it as the next version of its id.
    Import {
        /// Path of the JSON document.
        file: std::path::PathBuf,
    },
    /// Print a protocol's JSON document (the newest version unless --version is given).
    Export {
        id: String,
        #[arg(long)]
        version: Option<i32>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// admin | doctor | nurse | health_manager | psychologist
        #[arg(long)]
        role: String,
        /// Department code (required for clinical roles).
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum DepartmentCommand {
    /// Add a department.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Organisation code (default: the installation's default organisation).
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Subcommand)]
enum OrganisationCommand {
    /// Add an organisation (hospital or centre of a medical alliance).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// Set where an organisation is: the default region and residence of its patients'
    /// records (China-PAR inputs). Left out: not set.
    Location {
        #[arg(long, default_value = staff::DEFAULT_ORGANISATION)]
        code: String,
        /// north / south (of the Yangtze).
        #[arg(long)]
        region: Option<String>,
        /// urban / rural.
        #[arg(long)]
        residence: Option<String>,
    },
}

/// Bulk imports allocate and free large buffers (statement text, bound values) per batch;
/// mimalloc handles that pattern far better than glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    careloop_service::outreach::use_ring_for_tls();
    let cli = Cli::parse();
    let loaded = Settings::load(cli.config.as_deref())?;
    let settings = loaded.settings;
    // Logs go to standard error: standard output is the commands' own (an exported protocol is
    // JSON there, and a warning in the middle of it would spoil it).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&settings.log).unwrap_or_else(|_| "info".into()))
        .init();
    for name in &loaded.unknown_env {
        tracing::warn!(variable = %name, "an environment variable names no setting; it is ignored");
    }
    let now = OffsetDateTime::now_utc();
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Demo { patients, seed } => {
            let db = open_db(&settings).await?;
            if demo::is_loaded(&db).await? {
                println!("Demo data already present; serving it as it is.");
            } else {
                println!("Loading {patients} synthetic patients (seed {seed})...");
                demo::load_organisation(&db, now).await?;
                demo::load_patients(&db, patients, seed, now).await?;
                demo::load_replies(&db, &settings.public_url, now).await?;
            }
            db.close().await;
            println!("\nDemo logins (password {DEMO_PASSWORD}):");
            for (user, name, role, dept) in STAFF {
                println!("  {user:<12} {role:<15} {:<8} {name}", dept.unwrap_or("-"));
            }
            let mut app = App::build(settings).await?;
            app.link_to_bound_address()?;
            start(app).await
        }
        Command::Migrate => {
            open_db(&settings).await?.close().await;
            println!("Migrations applied.");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    password,
                    role,
                    department,
                    display_name,
                },
        } => {
            let db = open_db(&settings).await?;
            let input = NewUserInput {
                username,
                password,
                display_name,
                role,
                department,
            };
            let u = staff::create_user(&db, &system_actor(), &input, now)
                .await
                .map_err(explain)?;
            println!("Created user {} ({}).", u.username, u.role);
            Ok(())
        }
        Command::Organisation {
            command: OrganisationCommand::Add { code, name },
        } => {
            let db = open_db(&settings).await?;
            let o = staff::create_organisation(&db, &system_actor(), &code, &name, now)
                .await
                .map_err(explain)?;
            println!("Created organisation {} ({}).", o.code, o.name);
            Ok(())
        }
        Command::Organisation {
            command:
                OrganisationCommand::Location {
                    code,
                    region,
                    residence,
                },
        } => {
            let db = open_db(&settings).await?;
            let found = staff::list_organisations(&db).await.map_err(explain)?;
            let Some(o) = found.into_iter().find(|o| o.code.eq_ignore_ascii_case(code.trim())) else {
                anyhow::bail!("no organisation with code {code}");
            };
            let l = careloop_domain::record::Location { region, residence };
            let o = staff::set_organisation_location(&db, &system_actor(), o.id, &l, now)
                .await
                .map_err(explain)?;
            println!(
                "Organisation {}: region {}, residence {}; its patients' tiers are refreshed.",
                o.code,
                o.location.region.as_deref().unwrap_or("-"),
                o.location.residence.as_deref().unwrap_or("-")
            );
            Ok(())
        }
        Command::Department {
            command:
                DepartmentCommand::Add {
                    code,
                    name,
                    organisation,
                },
        } => {
            let db = open_db(&settings).await?;
            let d = staff::create_department(&db, &system_actor(), &code, &name, organisation.as_deref(), now)
                .await
                .map_err(explain)?;
            println!("Created department {} ({}).", d.code, d.name);
            Ok(())
        }
        Command::Protocol {
            command: ProtocolCommand::Import { file },
        } => {
            let json = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let db = open_db(&settings).await?;
            let out = careloop_service::followup::protocols::import_protocol(&db, &system_actor(), &json, now)
                .await
                .map_err(explain)?;
            let (id, version) = (&out.document["id"], &out.document["version"]);
            if out.created {
                println!("Stored protocol {id} version {version}.");
            } else {
                println!("Protocol {id} version {version} is identical; nothing stored.");
            }
            Ok(())
        }
        Command::Protocol {
            command: ProtocolCommand::Export { id, version },
        } => {
            let db = open_db(&settings).await?;
            let doc = careloop_service::followup::protocols::export_protocol(&db, &id, version)
                .await
                .map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Command::Import(args) => careloop::import_cli::run(&settings, args).await,
        Command::Risk { model, json } => {
            let input = serde_json::from_str(&json).context("--json is not valid risk-model input")?;
            let out = careloop_service::risk::models::evaluate(&model, &input).map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        Command::Classify { json } => {
            let input = serde_json::from_str(&json).context("--json is not valid classification input")?;
            let out = careloop_service::risk::models::classify(&input).map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        Command::Tick { now: at } => {
            let at = match at {
                Some(s) => time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                    .with_context(|| format!("--now '{s}' is not an RFC 3339 time"))?,
                None => now,
            };
            let db = open_db(&settings).await?;
            let delivery = settings.delivery(&db)?;
            let (t, s) = careloop::scheduler_pass(&db, &delivery, at).await.map_err(explain)?;
            db.close().await;
            println!(
                "Scheduler pass as of {at}: {} task(s) opened, {} overdue, {} retried, {} alert(s) escalated; {} message(s) queued, {} sent, {} failed, {} held for quiet hours, {} left to another process.",
                t.opened, t.overdue, t.retried, t.escalated, s.queued, s.sent, s.failed, s.held_quiet, s.lost
            );
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    start(App::build(settings).await?).await
}

async fn start(app: App) -> anyhow::Result<()> {
    let addr = app.local_addr()?;
    println!("CareLoop is running at http://{addr}  (API docs: http://{addr}/api/docs)");
    app.serve(shutdown_signal()).await.context("serving")
}

fn explain(e: careloop_service::ServiceError) -> anyhow::Error {
    match e {
        careloop_service::ServiceError::Invalid(f) => anyhow::anyhow!("{}: {}", f.field, f.message),
        other => anyhow::anyhow!("{other}"),
    }
}
