use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use db::Db;
use domain::RegionCode;
use domain::audit::Actor;
use gongzhi::import::{Source, import_divisions};

/// 共治 gongzhi — party-building-led property management and community co-governance.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc (default) or postgres://USER@HOST/DB.
    #[arg(long, env = "GONGZHI_DB", global = true, default_value = db::DEFAULT_URL)]
    db: String,
    /// Read the database URL from this file instead (a password in it stays out of the process list).
    #[arg(long, env = "GONGZHI_DB_FILE", global = true)]
    db_file: Option<PathBuf>,
    /// Settings from a TOML file (docs/deploy.md); flags and environment variables win over it.
    #[arg(long, env = "GONGZHI_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Where uploaded files (problem photos) are kept.
    #[arg(long, env = "GONGZHI_DATA", global = true, default_value = "gongzhi-data")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a database over HTTP.
    Serve {
        #[arg(long, env = "GONGZHI_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        net: Net,
        #[command(flatten)]
        backups: Backups,
        /// Serve /metrics (Prometheus) to scrapers sending `Authorization: Bearer` and the token in this file.
        #[arg(long, env = "GONGZHI_METRICS_TOKEN_FILE")]
        metrics_token_file: Option<PathBuf>,
    },
    /// Make a fresh demo database (Dezhou's divisions and a synthetic registry) and serve it.
    /// With `--db postgres://…` it is built there instead (the database must be empty).
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Where the demo database file goes (replaced if it exists).
        #[arg(long, default_value = "gongzhi-demo.db")]
        file: PathBuf,
        /// Build the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        net: Net,
    },
    /// Bring the database schema up to date.
    Migrate {
        /// Only say which migrations would run (and refuse a newer database); change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Write a consistent backup (database and uploaded files) to one archive while the server runs.
    Backup {
        /// The archive to write (.zip).
        out: PathBuf,
    },
    /// Put a backup back into an empty database (--db) and an empty directory (--data), then verify it.
    Restore {
        /// An archive written by `gongzhi backup`.
        archive: PathBuf,
    },
    /// Load data from files.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        what: UserCmd,
    },
    /// Issue an API token for a user (printed once).
    Token {
        #[command(subcommand)]
        what: TokenCmd,
    },
    /// Make documents: the monthly bulletin.
    Report {
        #[command(subcommand)]
        what: ReportCmd,
    },
    /// Benchmarks that print figures (see docs/performance.md).
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        what: AuditCmd,
    },
    /// The kept figures behind the KPIs (decision 0010).
    Figures {
        #[command(subcommand)]
        what: FiguresCmd,
    },
    /// Owners' votes (decision 0012).
    Vote {
        #[command(subcommand)]
        what: VoteCmd,
    },
    /// The owners' money: trust ledgers chained by hash (decision 0013).
    Ledger {
        #[command(subcommand)]
        what: LedgerCmd,
    },
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Walk each compound's chain of entries (or one compound's) and check
    /// it against the heads its published statements recorded and any given;
    /// exit 1 and name the first broken entry if any.
    Verify {
        #[arg(long)]
        compound: Option<i64>,
        /// A head published earlier (COMPOUND:SEQ:HASH, as `ledger head` prints); may be repeated.
        #[arg(long)]
        head: Vec<String>,
    },
    /// Print every compound's head (COMPOUND:SEQ:HASH) to write down or publish.
    Head,
    /// Load a compound's existing ledger from a workbook (accounts with their
    /// opening balances, then entries): all or nothing.
    Import {
        #[arg(long)]
        compound: i64,
        file: PathBuf,
        /// The login the entries are recorded under.
        #[arg(long, default_value = "import")]
        by: String,
    },
}

#[derive(Subcommand)]
enum VoteCmd {
    /// Count a vote again from its stored ballots and print each question's
    /// tally with the hash of its ballot set, beside what was published;
    /// exits 1 if a published result differs.
    Tally { id: i64 },
}

#[derive(Subcommand)]
enum FiguresCmd {
    /// Count every kept figure again from the dated facts.
    Rebuild,
    /// Compare the kept figures with a count from the facts; exits 1 on any difference.
    Check,
}

/// How the server meets the network.
#[derive(clap::Args)]
struct Net {
    /// Proxies (IP addresses or CIDR blocks, comma-separated) whose
    /// X-Forwarded-For header names the client; without it, no header is
    /// believed and the peer address counts (sign-in throttling).
    #[arg(long = "trusted-proxy", env = "GONGZHI_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxy: Vec<String>,
    /// Connections served at once; at the cap new ones wait to be accepted.
    #[arg(long, env = "GONGZHI_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send a complete request header (also the
    /// longest a keep-alive connection may sit idle).
    #[arg(long, env = "GONGZHI_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Connections one client address may hold at once (0: no bound);
    /// trusted proxies are exempt.
    #[arg(long, env = "GONGZHI_MAX_PER_ADDRESS", default_value_t = 64)]
    max_per_address: usize,
}

/// Scheduled backups inside `serve` (off unless a directory is given).
#[derive(clap::Args)]
struct Backups {
    /// Write a backup archive here at every interval (the same archive as `gongzhi backup`).
    #[arg(long, env = "GONGZHI_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Hours between scheduled backups (the first due an interval after the newest one in the directory).
    #[arg(long, env = "GONGZHI_BACKUP_EVERY", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=8760))]
    backup_every: u64,
    /// How many scheduled backups to keep (the oldest are removed).
    #[arg(long, env = "GONGZHI_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=10000))]
    backup_keep: u64,
}

impl Net {
    fn proxies(&self) -> anyhow::Result<web::client::TrustedProxies> {
        web::client::TrustedProxies::parse(&self.trusted_proxy).map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))
    }
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user. The password is read from standard input when it is not
    /// a terminal; otherwise one is generated and printed once.
    Create {
        #[arg(long)]
        login: String,
        #[command(flatten)]
        grant: GrantArgs,
        /// The name shown in pages (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// A mobile number to call back on (optional).
        #[arg(long)]
        phone: Option<String>,
    },
    /// Set a user's password: read from standard input when it is not a
    /// terminal, else generated and printed once. Their sessions end and their
    /// API tokens are revoked, as with an administrator's reset.
    Passwd {
        #[arg(long)]
        login: String,
    },
    /// Give an existing user another role.
    Grant {
        #[arg(long)]
        login: String,
        #[command(flatten)]
        grant: GrantArgs,
    },
}

/// A role and where it holds, checked as the web checks a grant.
#[derive(clap::Args)]
struct GrantArgs {
    /// admin, supervisor, officer, worker, company, committee or resident.
    #[arg(long)]
    role: String,
    /// all, a region code, company:ID, compound:ID or unit:ID (must fit the role).
    #[arg(long)]
    scope: String,
}

#[derive(Subcommand)]
enum TokenCmd {
    Create {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// Days the token lives (1–365; default 90).
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ReportCmd {
    /// The monthly dispatch bulletin of a region (每月调度通报).
    Bulletin {
        #[arg(long)]
        region: String,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        /// FILE.xlsx or FILE.docx
        #[arg(long)]
        out: PathBuf,
    },
    /// A period's grades of the property companies serving a region (四色评价), as a workbook.
    Grades {
        #[arg(long)]
        region: String,
        /// 2021Q3, 2021H2, 2021, or a day in the period.
        #[arg(long)]
        period: String,
        /// FILE.xlsx
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Report problems over HTTP on a loopback port and compare with raw single-row inserts.
    Intake {
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// Time a web-sized registry import in --db (use an empty database) and what other writers wait meanwhile.
    Import {
        /// Rows in the workbook (the web takes at most 10,000).
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
    /// Sign in to --db (the demo's) and time every page reachable by links, as that reader.
    Pages {
        #[arg(long, default_value = "dezhou")]
        login: String,
        #[arg(long, default_value = gongzhi::demo::PASSWORD)]
        password: String,
        /// Stop after this many pages.
        #[arg(long, default_value_t = 300)]
        max: usize,
        /// Times each page is asked for (the median is shown).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Build a province-scale registry in --db (use an empty database) and time the figures.
    Kpi {
        /// The open division files.
        #[arg(long, default_value = "../shared/data/divisions")]
        divisions: PathBuf,
        #[arg(long, default_value = "37")]
        province: String,
        #[arg(long, default_value = "3714")]
        city: String,
        #[arg(long, default_value = "371402")]
        county: String,
    },
    /// Build the national synthetic registry in --db (use an empty database)
    /// and time the KPI sets, dashboards and bulletins at every level.
    National {
        /// The open division files.
        #[arg(long, default_value = "../shared/data/divisions")]
        divisions: PathBuf,
        /// Regions sampled per level.
        #[arg(long, default_value_t = 30)]
        samples: usize,
        /// Compounds per urban community, as a multiple of the demo's five (10: the 10× simulation).
        #[arg(long, default_value_t = 1)]
        scale: usize,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the hash chain and check it against recorded heads; exit 1 and
    /// name the first broken row if any. The head the server keeps in the
    /// data directory (DATA/audit-head) is checked when it is there.
    Verify {
        /// A head written down earlier with `audit head` (ID:HASH); may be repeated.
        #[arg(long)]
        head: Vec<String>,
    },
    /// Print the newest row's id and hash (ID:HASH). Write it down outside
    /// the database: a later `audit verify --head ID:HASH` then detects rows
    /// removed from the end and a chain rewritten with fresh hashes.
    Head,
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
    /// A registry workbook (.xlsx, or a folder of CSV files named after the sheets): see docs/import-format.md.
    Registry { file: PathBuf },
    /// Write the empty registry template workbook.
    Template { out: PathBuf },
}

fn main() {
    // Settings from a file become environment variables before anything else
    // runs (one thread yet: setting them is safe), so flags and the
    // environment keep their precedence over the file.
    if let Err(e) = gongzhi::config::apply_from_args(std::env::args_os()) {
        eprintln!("gongzhi: {e:#}");
        std::process::exit(2);
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("GONGZHI_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("GONGZHI_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().init(),
        Ok("text") | Err(_) => logs.init(),
        Ok(other) => {
            eprintln!("gongzhi: GONGZHI_LOG_FORMAT is text or json, not {other:?}");
            std::process::exit(2);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the async runtime starts");
    let code = runtime.block_on(async {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches();
        let cli = match Cli::from_arg_matches(&matches) {
            Ok(c) => c,
            Err(e) => e.exit(),
        };
        // --db on the command line wins; else a URL kept in a file; else GONGZHI_DB or the default.
        let typed = matches.value_source("db") == Some(clap::parser::ValueSource::CommandLine);
        let cli = match cli.db_file.as_deref().filter(|_| !typed).map(gongzhi::config::secret).transpose() {
            Ok(Some(url)) => Cli { db: url, ..cli },
            Ok(None) => cli,
            Err(e) => {
                eprintln!("gongzhi: {e:#}");
                return 1;
            }
        };
        match run(cli).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("gongzhi: {e:#}");
                1
            }
        }
    });
    std::process::exit(code);
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", web::api::openapi().to_pretty_json()?);
        }
        Command::User { what } => {
            let db = Db::open(&cli.db).await?;
            let actor = Actor::system("cli");
            match what {
                UserCmd::Create { login, grant: GrantArgs { role, scope }, name, phone } => {
                    let phone = phone.as_deref().map(domain::org::Phone::parse).transpose()?;
                    // The same checks as the web: the role fits the scope, and the scope exists.
                    let grant = web::ops::users::grant_of(&db, &role, &scope).await.map_err(refused)?;
                    let (password, generated) = read_or_generate_password(&login)?;
                    web::auth::check_password(&password, &login)?;
                    let hash = web::auth::hash_password(&password).await;
                    let id = db::accounts::create_user(
                        &db,
                        &actor,
                        &login,
                        name.as_deref().unwrap_or(&login),
                        &hash,
                        phone.as_ref(),
                        &[grant],
                    )
                    .await?;
                    println!("created user {login} (id {id}) as {role} of {scope}");
                    if generated {
                        println!("password (shown once): {password}");
                    }
                }
                UserCmd::Passwd { login } => {
                    let user = db::accounts::user_by_login(&db, &login).await?.context("no such user")?;
                    let (password, generated) = read_or_generate_password(&user.login)?;
                    web::auth::check_password(&password, &user.login)?;
                    let hash = web::auth::hash_password(&password).await;
                    let revoked = db::accounts::set_password(&db, &actor, user.id, &hash, None, true).await?;
                    println!("password of {login} set; their sessions ended and {revoked} API token(s) were revoked");
                    if generated {
                        println!("password (shown once): {password}");
                    }
                }
                UserCmd::Grant { login, grant: GrantArgs { role, scope } } => {
                    let grant = web::ops::users::grant_of(&db, &role, &scope).await.map_err(refused)?;
                    let user = db::accounts::user_by_login(&db, &login).await?.context("no such user")?;
                    db::accounts::add_grant(&db, &actor, user.id, &grant).await?;
                    println!("{login} is now also {role} of {scope}");
                }
            }
        }
        Command::Token { what: TokenCmd::Create { login, name, days } } => {
            let db = Db::open(&cli.db).await?;
            let user = db::accounts::user_by_login(&db, &login).await?.context("no such user")?;
            let secret = web::auth::new_secret("gz_");
            let (_, expires) = db::accounts::create_token_for(
                &db,
                &Actor::system("cli"),
                user.id,
                &name,
                &web::auth::secret_hash(&secret),
                days,
            )
            .await?;
            println!("{secret}");
            eprintln!(
                "API token for {login} ({name}), valid until {} UTC; shown once. Use it as: Authorization: Bearer <token>",
                expires.format("%Y-%m-%d %H:%M")
            );
        }
        Command::Report { what: ReportCmd::Bulletin { region, month, out } } => {
            let region = RegionCode::parse(&region).context("--region")?;
            let month = report::Month::parse(&month)?;
            let ext = out.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if ext != "xlsx" && ext != "docx" {
                anyhow::bail!("--out {}: name a .xlsx or .docx file", out.display());
            }
            let db = Db::open(&cli.db).await?;
            let b = report::bulletin(&db, Some(&region), month).await?;
            let bytes = if ext == "xlsx" {
                report::bulletin_xlsx(&b)?
            } else {
                report::bulletin_docx(&b, &format!("{}红色物业工作专班", b.region_name))
                    .map_err(|e| anyhow::anyhow!(e))?
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} {}, as of {})", out.display(), b.region_name, b.month, b.as_of);
        }
        Command::Report { what: ReportCmd::Grades { region, period, out } } => {
            let region = RegionCode::parse(&region).context("--region")?;
            let on = domain::grading::period_day(&period).map_err(|e| anyhow::anyhow!("--period: {}", e.reason))?;
            if out.extension().map(|e| e.to_string_lossy().to_lowercase()).as_deref() != Some("xlsx") {
                anyhow::bail!("--out {}: name a .xlsx file", out.display());
            }
            let db = Db::open(&cli.db).await?;
            db::regions::require(&db, &region).await?;
            let g = db::oversight::grade(&db, &region, on, chrono::Utc::now()).await?;
            let (heads, rows) = report::grades_table(&g, true);
            let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
            let bytes = report::table_xlsx(&format!("物业企业评价{}", g.period.name()), &heads, &rows)?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            let published = db::oversight::publication_of(&db, &region, g.period.start).await?.is_some();
            println!(
                "wrote {} ({} companies, {}, {}{})",
                out.display(),
                g.companies.len(),
                g.scheme.scheme.name,
                g.period.name(),
                if published { ", published" } else { ", not published: computed now" }
            );
        }
        Command::Bench { what: BenchCmd::Intake { requests, clients } } => {
            let db = Db::open(&cli.db).await?;
            gongzhi::bench::intake(&db, requests.clamp(1, 100_000), clients.clamp(1, 64)).await?;
        }
        Command::Bench { what: BenchCmd::Import { rows } } => {
            let db = Db::open(&cli.db).await?;
            gongzhi::bench::import(&db, rows.clamp(10, 1_000_000)).await?;
        }
        Command::Bench { what: BenchCmd::Pages { login, password, max, runs } } => {
            let db = Db::open(&cli.db).await?;
            gongzhi::bench::pages(&db, &cli.data, &login, &password, max.clamp(1, 10_000), runs.clamp(1, 20)).await?;
        }
        Command::Bench { what: BenchCmd::Kpi { divisions, province, city, county } } => {
            let db = Db::open(&cli.db).await?;
            gongzhi::bench::kpi(
                &db,
                &divisions,
                &RegionCode::parse(&province)?,
                &RegionCode::parse(&city)?,
                &RegionCode::parse(&county)?,
            )
            .await?;
        }
        Command::Bench { what: BenchCmd::National { divisions, samples, scale } } => {
            let db = Db::open(&cli.db).await?;
            gongzhi::bench::national(&db, &divisions, &cli.data, samples.clamp(1, 1000), scale.clamp(1, 50)).await?;
        }
        Command::Audit { what: AuditCmd::Verify { head } } => {
            let db = Db::open(&cli.db).await?;
            let mut heads = head
                .iter()
                .map(|h| domain::audit::Head::parse(h).map_err(|e| anyhow::anyhow!("--head: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(kept) = gongzhi::audit_head::read(&cli.data, &cli.db)? {
                println!("checking the head kept in {}: {kept}", gongzhi::audit_head::path(&cli.data).display());
                heads.push(kept);
            }
            match db::audit::verify(&db, &heads).await? {
                db::audit::Verdict::Intact { rows, head } => {
                    println!("audit log intact: {rows} rows");
                    if let Some(h) = head {
                        println!("head: {h}");
                    }
                }
                db::audit::Verdict::Broken { id, reason } => {
                    println!("audit log BROKEN at row {id}: {reason}");
                    std::process::exit(1);
                }
            }
        }
        Command::Audit { what: AuditCmd::Head } => {
            let db = Db::open(&cli.db).await?;
            match db::audit::head(&db).await? {
                Some(h) => println!("{h}"),
                None => println!("the audit log is empty"),
            }
        }
        Command::Ledger { what: LedgerCmd::Verify { compound, head } } => {
            let db = Db::open(&cli.db).await?;
            let mut given = Vec::new();
            for h in &head {
                let (c, rest) = h.split_once(':').ok_or_else(|| anyhow::anyhow!("--head {h}: COMPOUND:SEQ:HASH"))?;
                let c: i64 = c.parse().map_err(|_| anyhow::anyhow!("--head {h}: COMPOUND:SEQ:HASH"))?;
                given.push((c, rest.parse::<domain::ledger::Head>().map_err(|e| anyhow::anyhow!("--head {h}: {e}"))?));
            }
            let checked = db::ledger::verify(&db, compound, &given).await?;
            let mut broken = false;
            for c in &checked {
                match &c.broken {
                    None => println!(
                        "compound {}: {} entries intact{}",
                        c.compound_id,
                        c.entries,
                        c.head.as_ref().map(|h| format!(", head {}:{}", h.seq, h.hash)).unwrap_or_default()
                    ),
                    Some((seq, why)) => {
                        broken = true;
                        println!("compound {}: BROKEN at entry {seq}: {why}", c.compound_id);
                    }
                }
            }
            if checked.is_empty() {
                println!("no ledger entries");
            }
            if broken {
                std::process::exit(1);
            }
        }
        Command::Ledger { what: LedgerCmd::Head } => {
            let db = Db::open(&cli.db).await?;
            for (c, h) in db::ledger::heads(&db).await? {
                println!("{c}:{}:{}", h.seq, h.hash);
            }
        }
        Command::Ledger { what: LedgerCmd::Import { compound, file, by } } => {
            let db = Db::open(&cli.db).await?;
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let actor = domain::audit::Actor { id: None, login: by };
            match import::ledger::load(&db, &actor, compound, &bytes, domain::clock::today()).await? {
                Ok(r) => println!("{} accounts opened, {} entries loaded", r.accounts, r.entries),
                Err(errors) => {
                    for e in &errors {
                        println!("{e}");
                    }
                    std::process::exit(1);
                }
            }
        }
        Command::Vote { what: VoteCmd::Tally { id } } => {
            let db = Db::open(&cli.db).await?;
            if !print_tally(&db, id).await? {
                std::process::exit(1);
            }
        }
        Command::Figures { what } => {
            let db = Db::open(&cli.db).await?;
            let t0 = std::time::Instant::now();
            match what {
                FiguresCmd::Rebuild => {
                    let n = db::figures::rebuild(&db).await?;
                    println!("figures rebuilt from the facts of {n} entities in {:.1} s", t0.elapsed().as_secs_f64());
                }
                FiguresCmd::Check => {
                    let c = db::figures::check(&db).await?;
                    println!("checked {} entities in {:.1} s", c.entities, t0.elapsed().as_secs_f64());
                    if c.ok() {
                        println!("the kept figures agree with the facts");
                    } else {
                        println!(
                            "{} contributions and {} step sums differ from the facts (run `gongzhi figures rebuild`)",
                            c.parts.differing, c.steps_differing
                        );
                        for e in c.parts.examples.iter().chain(&c.step_examples) {
                            println!("  {e}");
                        }
                        std::process::exit(1);
                    }
                }
            }
        }
        Command::Migrate { check: true } => {
            let db = existing(&cli.db).await?;
            let state = db::backup::schema_state(&db).await?;
            if let Some(newest) = state.unknown.last() {
                anyhow::bail!(
                    "database {} was made by a newer gongzhi (schema {newest}): this one must not run on it",
                    db::redact(&cli.db)
                );
            }
            if state.pending.is_empty() {
                println!("database {} ({}) is up to date; nothing would run", db::redact(&cli.db), db.backend_name());
            } else {
                println!("{} migration(s) would run on {}:", state.pending.len(), db::redact(&cli.db));
                for m in &state.pending {
                    println!("  {m}");
                }
            }
        }
        Command::Migrate { check: false } => {
            let db = Db::open(&cli.db).await?;
            println!("database {} ({}) is up to date", db::redact(&cli.db), db.backend_name());
        }
        Command::Backup { out } => {
            // Never migrate what is being backed up: connect, and refuse a schema this binary does not know.
            let db = existing(&cli.db).await?;
            if let Some(newest) = db::backup::schema_state(&db).await?.unknown.last() {
                anyhow::bail!("the database is a newer gongzhi's (schema {newest}): back it up with that version");
            }
            let m = gongzhi::backup::backup(&db, &cli.data, &out, None).await?;
            let rows: i64 = m.counts.values().sum();
            println!(
                "backup written to {}: schema {}, {rows} rows in {} tables, {} files ({} bytes), audit head {}",
                out.display(),
                m.schema(),
                m.counts.len(),
                m.files,
                m.file_bytes,
                m.audit_head.as_deref().unwrap_or("(none)")
            );
        }
        Command::Restore { archive } => {
            let r = gongzhi::backup::restore(&archive, &cli.db, &cli.data).await?;
            let m = &r.manifest;
            println!(
                "restored {} (gongzhi {}, schema {}, taken {}) into {} and {}",
                archive.display(),
                m.version,
                m.schema(),
                m.created_at.to_rfc3339(),
                db::redact(&cli.db),
                cli.data.display()
            );
            for c in &r.count_mismatches {
                println!("  rows differ: {c}");
            }
            match &r.audit {
                db::audit::Verdict::Intact { rows, .. } => println!("  audit log intact: {rows} rows"),
                db::audit::Verdict::Broken { id, reason } => println!("  audit log BROKEN at row {id}: {reason}"),
            }
            for (c, seq, why) in &r.ledgers_broken {
                println!("  ledger of compound {c} BROKEN at entry {seq}: {why}");
            }
            if r.ok() {
                println!("  ledgers intact: {} chains", m.ledger_heads.len());
            } else {
                anyhow::bail!("the restored database does not verify: see above");
            }
        }
        Command::Serve { bind, net, backups, metrics_token_file } => {
            net.proxies()?;
            let token = metrics_token_file.as_deref().map(gongzhi::config::secret).transpose()?;
            let db = Db::open(&cli.db).await?;
            serve(db, &cli.db, bind, cli.data, &net, Some(&backups), token.as_deref()).await?;
        }
        Command::Demo { bind, file, no_serve, net } => {
            net.proxies()?;
            let url = if cli.db.starts_with("postgres") {
                // A PostgreSQL demo (for measuring the same data on both backends) goes
                // into the database named, which must hold nothing yet.
                let db = Db::open(&cli.db).await?;
                if db::regions::get(&db, &RegionCode::parse("37")?).await?.is_some() {
                    anyhow::bail!("{} is not empty: the demo builds into an empty database", db::redact(&cli.db));
                }
                cli.db.clone()
            } else {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = file.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(&p);
                }
                format!("sqlite://{}?mode=rwc", file.display())
            };
            gongzhi::audit_head::forget(&cli.data, &url);
            let db = Db::open(&url).await?;
            let t0 = std::time::Instant::now();
            eprintln!("building the demo registry (Dezhou, 3714)…");
            let s = gongzhi::demo::build(&db, false).await?;
            eprintln!("adding companies, committees, party branches, people and posts (2020–2022)…");
            let st = gongzhi::demo::structure(&db, &RegionCode::parse("3714")?, false).await?;
            eprintln!("  {} rows loaded", st.changed());
            eprintln!("adding three years of problems, inspections, campaigns, notices and grades (2020–2022)…");
            let story = gongzhi::story::build(&db, false).await?;
            eprintln!(
                "  {} problems, {} inspections, {} notices, {} quarters published, {} talks",
                story.problems, story.inspections, story.notices, story.publications, story.talks
            );
            // Statistics for everything loaded since the registry (structure, story): PostgreSQL
            // planned the city's cross-appointments at 2 s without them, 0.1 s with.
            db.refresh_statistics().await?;
            let users = gongzhi::demo::users(&db).await?;
            eprintln!("adding owners, consultation topics and owners' votes (2021–today)…");
            let c = gongzhi::council::build(&db, domain::clock::today()).await?;
            eprintln!("  {} units' owners, {} topics, {} votes, {} ballots", c.owners, c.topics, c.votes, c.ballots);
            eprintln!("adding trust accounts: two years of entries, vouchers and monthly statements…");
            let m = gongzhi::money::build(&db, &cli.data, domain::clock::today()).await?;
            eprintln!("  {} compounds, {} entries, {} statements", m.compounds, m.entries, m.statements);
            let o = gongzhi::demo::open311_this_week(&db, chrono::Utc::now()).await?;
            eprintln!("  {o} reports this week through Open311 (its public view shows them)");
            let shown = if url.starts_with("postgres") {
                db::redact(&url)
            } else {
                std::fs::canonicalize(&file).unwrap_or(file.clone()).display().to_string()
            };
            println!(
                "demo database: {} — {} urban communities, {} compounds, {} buildings, {} units ({:.1} s)",
                shown,
                s.communities,
                s.compounds,
                s.buildings,
                s.units,
                t0.elapsed().as_secs_f64()
            );
            println!("sign in as any of these (password: {}):", gongzhi::demo::PASSWORD);
            for (login, what) in users {
                println!("  {login:<12} {what}");
            }
            if !no_serve {
                println!("to serve it again later: gongzhi --db '{url}' serve");
                serve(db, &url, bind, cli.data, &net, None, None).await?;
            }
        }
        Command::Import { what: Import::Template { out } } => {
            std::fs::write(&out, import::template_xlsx()?).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
        }
        Command::Import { what: Import::Registry { file } } => {
            let wb = import::read_path(&file).map_err(|e| anyhow::anyhow!(e))?;
            let db = Db::open(&cli.db).await?;
            let t0 = std::time::Instant::now();
            let tx = db.begin_write().await?;
            let report =
                import::load(&*tx, &Actor::system("import"), &wb, &import::Reach::All, |sheet, done, total| {
                    eprintln!("  {sheet}: {done}/{total}");
                })
                .await;
            match report {
                Ok(r) => {
                    tx.commit().await?;
                    println!("imported {} in {:.1} s", file.display(), t0.elapsed().as_secs_f64());
                    for (sheet, c) in &r.sheets {
                        println!("  {sheet}: {} added, {} updated, {} unchanged", c.added, c.updated, c.unchanged);
                    }
                }
                Err(rejected) => {
                    drop(tx);
                    return Err(rejected.into());
                }
            }
        }
        Command::Import { what: Import::Divisions { dir, only } } => {
            let only = only.map(|o| RegionCode::parse(&o)).transpose().context("--only")?;
            let db = Db::open(&cli.db).await?;
            let t0 = std::time::Instant::now();
            let stats =
                import_divisions(&db, &Actor::system("import"), &Source::Dir(&dir), only.as_ref(), false).await?;
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

async fn serve(
    db: Db,
    url: &str,
    bind: SocketAddr,
    data: PathBuf,
    net: &Net,
    backups: Option<&Backups>,
    metrics_token: Option<&str>,
) -> anyhow::Result<()> {
    let proxies = net.proxies()?;
    if net.max_connections == 0 || net.header_timeout == 0 {
        anyhow::bail!("--max-connections and --header-timeout must be at least 1");
    }
    gongzhi::audit_head::keep(db.clone(), data.clone(), url.to_owned());
    // Deadlines, escalation and auto-close run in the same process, once a minute.
    let sweeper = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match db::problems::sweep(&sweeper, chrono::Utc::now()).await {
                Ok(s) if s.escalated + s.auto_closed > 0 => tracing::info!(?s, "problem deadlines swept"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "problem sweep failed"),
            }
            match db::oversight::sweep(&sweeper, chrono::Utc::now()).await {
                Ok(s) if s.escalated > 0 => tracing::info!(?s, "rectification notices escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notice sweep failed"),
            }
        }
    });
    // The figures follow writes within a second, so readers seldom count (a read settles anyway).
    let settler = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = db::figures::settle(&settler).await {
                tracing::warn!(error = %e, "settling the figures failed");
            }
        }
    });
    // Notices to webhooks: whatever is due, every few seconds, retried and logged.
    web::notify::spawn(db.clone());
    let exempt = proxies.clone();
    let mut state = web::AppState::new(db.clone(), data.clone()).with_trusted_proxies(proxies);
    if let Some(t) = metrics_token {
        state = state.with_metrics_token(t);
    }
    if let Some(Backups { backup_dir: Some(dir), backup_every, backup_keep }) = backups {
        schedule_backups(db, data, dir.clone(), *backup_every, *backup_keep as usize, state.status.clone());
    }
    let app = web::router(state);
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    println!("gongzhi is serving http://{}/", listener.local_addr()?);
    // Header-read timeout, connection cap, the peer's address for the
    // sign-in throttle, graceful shutdown on Ctrl-C or SIGTERM.
    let limits = gongzhi::net::Limits {
        header_timeout: std::time::Duration::from_secs(net.header_timeout),
        max_connections: net.max_connections,
        per_address: net.max_per_address,
        ..Default::default()
    };
    let exempt = move |ip| exempt.contains(ip);
    gongzhi::net::serve_with(listener, app, limits, exempt, gongzhi::net::shutdown_signal()).await?;
    Ok(())
}

/// A backup every `hours` into `dir` (the first due an interval after the newest one there), keeping `keep`; each outcome logged and
/// shown on the administrators' page.
fn schedule_backups(
    db: Db,
    data: PathBuf,
    dir: PathBuf,
    hours: u64,
    keep: usize,
    status: std::sync::Arc<web::status::Status>,
) {
    status.set_backup_dir(dir.display().to_string());
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(hours * 3600);
        // Due an interval after the newest backup already there (a minute after start at the
        // soonest): a server restarted more often than the interval still backs up.
        let due = gongzhi::backup::next_due(&dir, every);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + due, every);
        loop {
            tick.tick().await;
            let outcome = match gongzhi::backup::scheduled(&db, &data, &dir, keep).await {
                Ok((path, m)) => {
                    tracing::info!(archive = %path.display(), schema = m.schema(), files = m.files, "scheduled backup written");
                    Ok(path.display().to_string())
                }
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "scheduled backup failed");
                    Err(format!("{e:#}"))
                }
            };
            status.record_backup(web::status::Backup { at: chrono::Utc::now(), outcome });
        }
    });
}

/// A gongzhi database that is there already (never a new, empty one made by
/// connecting to a mistyped path), without migrating it.
async fn existing(url: &str) -> anyhow::Result<Db> {
    if url.starts_with("sqlite:") {
        let path = gongzhi::backup::sqlite_file(url)?;
        if !path.exists() {
            anyhow::bail!("no database at {}: check --db (or GONGZHI_DB / the settings file)", path.display());
        }
    }
    let db = Db::connect(url).await?;
    if db::backup::applied(&db).await?.is_empty() {
        anyhow::bail!("{} holds no gongzhi database (no schema): check --db", db::redact(url));
    }
    Ok(db)
}

/// A refusal of the web's checks, as one line for the terminal.
fn refused(e: web::AppError) -> anyhow::Error {
    let why: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect();
    anyhow::anyhow!("{}", if why.is_empty() { e.message } else { why.join("; ") })
}

fn read_or_generate_password(login: &str) -> anyhow::Result<(String, bool)> {
    use std::io::{IsTerminal, Read};
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok((web::auth::generate_password(login), true));
    }
    let mut s = String::new();
    stdin.read_to_string(&mut s)?;
    let p = s.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() { Ok((web::auth::generate_password(login), true)) } else { Ok((p, false)) }
}

/// Print a vote's count from its ballots beside its published results; false
/// when a published result differs from the count.
async fn print_tally(db: &Db, id: i64) -> anyhow::Result<bool> {
    let v = db::votes::get(db, id).await.map_err(|e| anyhow::anyhow!("vote {id}: {e}"))?;
    let counts = db::votes::recount(db, &v).await?;
    let published = db::votes::results(db, id).await?;
    let questions = db::votes::questions(db, id).await?;
    println!("vote {id} · {} · {} · {} – {} · {}", v.compound_name, v.title, v.opens_on, v.closes_on, v.state.as_str());
    let m2 = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    let mut same = true;
    for c in &counts {
        let q = questions.iter().find(|q| q.id == c.question_id);
        println!();
        println!("question {} ({}): {}", c.position, c.category.as_str(), q.map(|q| q.text.as_str()).unwrap_or(""));
        for k in c.tally.conditions(c.category) {
            let (n, d) = if k.key.ends_with("area") {
                (m2(k.num), format!("{} m²", m2(k.den)))
            } else {
                (k.num.to_string(), k.den.to_string())
            };
            println!("  {:<14} {n} / {d}  {}  {}", k.key, k.bound, if k.met { "met" } else { "NOT met" });
        }
        println!(
            "  agree {} · disagree {} · abstain {} → {}",
            c.tally.agree_owners,
            c.tally.disagree_owners,
            c.tally.abstain_owners,
            if c.tally.passed { "PASSED" } else { "NOT PASSED" }
        );
        println!("  ballots sha256 {}", c.ballots_sha256);
        if let Some(d) = &c.deemed {
            println!(
                "  (covenant's deemed consent, not the legal count: {})",
                if d.passed { "would pass" } else { "would fail" }
            );
        }
        for p in published.iter().filter(|p| p.question_id == c.question_id) {
            let agrees = p.tally == c.tally && p.ballots_sha256 == c.ballots_sha256;
            same &= agrees;
            println!(
                "  published {} on {}: {}",
                p.kind.as_str(),
                p.published_on,
                if agrees { "matches this count" } else { "DIFFERS from this count" }
            );
        }
    }
    Ok(same)
}
