use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use db::Db;
use domain::RegionCode;
use gongzhi::import::{Source, import_divisions};

/// 共治 gongzhi — party-building-led property management and community co-governance.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc (default) or postgres://USER@HOST/DB.
    #[arg(long, env = "GONGZHI_DB", global = true, default_value = db::DEFAULT_URL)]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a database over HTTP.
    Serve {
        #[arg(long, env = "GONGZHI_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
    /// Make a fresh demo database (Dezhou's divisions and a synthetic registry) and serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Where the demo database file goes (replaced if it exists).
        #[arg(long, default_value = "gongzhi-demo.db")]
        file: PathBuf,
        /// Build the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Load data from files.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum Import {
    /// Administrative divisions in the open CSV format (provinces, cities, areas, streets, villages; .csv or .csv.gz).
    Divisions {
        dir: PathBuf,
        /// Import only this region's subtree (and its ancestors), e.g. 3714.
        #[arg(long)]
        only: Option<String>,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GONGZHI_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("gongzhi: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", web::api::openapi().to_pretty_json()?);
        }
        Command::Migrate => {
            let db = Db::open(&cli.db).await?;
            println!("database {} ({}) is up to date", db::redact(&cli.db), db.backend_name());
        }
        Command::Serve { bind } => {
            let db = Db::open(&cli.db).await?;
            serve(db, bind).await?;
        }
        Command::Demo { bind, file, no_serve } => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = file.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(&p);
            }
            let url = format!("sqlite://{}?mode=rwc", file.display());
            let db = Db::open(&url).await?;
            let t0 = std::time::Instant::now();
            eprintln!("building the demo registry (Dezhou, 3714)…");
            let s = gongzhi::demo::build(&db, false).await?;
            let shown = std::fs::canonicalize(&file).unwrap_or(file.clone());
            println!(
                "demo database: {} — {} urban communities, {} compounds, {} buildings, {} units ({:.1} s)",
                shown.display(),
                s.communities,
                s.compounds,
                s.buildings,
                s.units,
                t0.elapsed().as_secs_f64()
            );
            if !no_serve {
                println!("to serve it again later: gongzhi --db '{url}' serve");
                serve(db, bind).await?;
            }
        }
        Command::Import { what: Import::Divisions { dir, only } } => {
            let only = only.map(|o| RegionCode::parse(&o)).transpose().context("--only")?;
            let db = Db::open(&cli.db).await?;
            let t0 = std::time::Instant::now();
            let stats = import_divisions(&db, &Source::Dir(&dir), only.as_ref(), false).await?;
            println!(
                "imported {} into {} in {:.1} s: {} added, {} renamed, {} unchanged",
                dir.display(),
                db.backend_name(),
                t0.elapsed().as_secs_f64(),
                stats.added,
                stats.renamed,
                stats.unchanged
            );
            for (level, n) in db::regions::count(&db).await? {
                println!("  {level}: {n}");
            }
        }
    }
    Ok(())
}

async fn serve(db: Db, bind: SocketAddr) -> anyhow::Result<()> {
    let app = web::router(web::AppState { db });
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    println!("gongzhi is serving http://{}/", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
