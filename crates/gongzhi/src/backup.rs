//! `gongzhi backup` and `gongzhi restore` (docs/deploy.md): one zip archive
//! holding `manifest.json`, the database (SQLite: `gongzhi.db`, a consistent
//! copy; PostgreSQL: `tables/NAME.jsonl`, every row from one snapshot) and the
//! uploaded files under `data/`. The manifest is read from the copy itself,
//! so its counts and chain heads are exactly what the archive holds.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use db::Db;
use sea_orm::DbBackend;
use serde::{Deserialize, Serialize};

/// The archive's layout version: a restore refuses layouts it does not know.
const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    /// The gongzhi that wrote it.
    pub version: String,
    /// `sqlite` or `postgres`: a backup goes back into the same kind of database.
    pub backend: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The schema: the migrations applied, oldest first (the last names it).
    pub migrations: Vec<String>,
    /// Rows per table.
    pub counts: BTreeMap<String, i64>,
    /// The audit chain's head (`ID:HASH`), if any row.
    pub audit_head: Option<String>,
    /// Each compound's ledger head (`COMPOUND:SEQ:HASH`).
    pub ledger_heads: Vec<String>,
    pub files: u64,
    pub file_bytes: u64,
}

impl Manifest {
    pub fn schema(&self) -> &str {
        self.migrations.last().map_or("(empty)", String::as_str)
    }
}

fn backend_name(db: &Db) -> &'static str {
    match db.backend() {
        DbBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

/// Every file under `dir`, as (path, name inside the archive), leaving out `skip` (a backup
/// directory inside the data directory) and half-written files.
fn files_under(dir: &Path, skip: Option<&Path>) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    let skip = skip.and_then(|s| s.canonicalize().ok());
    while let Some(d) = todo.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| d.display().to_string()),
        };
        for e in entries {
            let p = e?.path();
            if skip.as_ref().is_some_and(|s| p.canonicalize().ok().as_ref() == Some(s)) {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_none_or(|x| x != "tmp") {
                let rel = p.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
                out.push((p, rel));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The heads and counts of a database (the SQLite copy).
async fn read_facts(db: &Db) -> anyhow::Result<(BTreeMap<String, i64>, Option<String>, Vec<String>)> {
    let counts = db::backup::counts(db).await?.into_iter().collect();
    let audit = db::audit::head(db).await?.map(|h| h.to_string());
    let ledger = db::ledger::heads(db).await?.into_iter().map(|(c, h)| format!("{c}:{}:{}", h.seq, h.hash)).collect();
    Ok((counts, audit, ledger))
}

/// Write a consistent backup of `db` and the files under `data` to `out`
/// (written beside it and renamed into place whole), while others go on writing.
pub async fn backup(db: &Db, data: &Path, out: &Path, skip: Option<&Path>) -> anyhow::Result<Manifest> {
    let written = write_backup(db, data, out, skip).await;
    if written.is_err() {
        // A failed backup leaves nothing behind (a full disk must not fill up with half copies).
        for tmp in [out.with_extension("zip.tmp"), out.with_extension("db.tmp")] {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = tmp.clone().into_os_string();
                p.push(suffix);
                std::fs::remove_file(p).ok();
            }
        }
    }
    written
}

async fn write_backup(db: &Db, data: &Path, out: &Path, skip: Option<&Path>) -> anyhow::Result<Manifest> {
    let tmp = out.with_extension("zip.tmp");
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    // The archive holds everything, password hashes too: readable by its owner only.
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let file = open.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let migrations = db::backup::applied(db).await?;
    let (counts, audit_head, ledger_heads) = match db.backend() {
        DbBackend::Postgres => {
            // Rows stream into one entry per table, in the snapshot's order.
            let mut current = String::new();
            let d = db::backup::pg_rows(db, |table, line| {
                if table != current {
                    zip.start_file(format!("tables/{table}.jsonl"), opts).map_err(std::io::Error::other)?;
                    current = table.to_owned();
                }
                zip.write_all(line.as_bytes())?;
                zip.write_all(b"\n")
            })
            .await?;
            (d.counts.into_iter().collect(), d.audit_head, d.ledger_heads)
        }
        _ => {
            let copy = out.with_extension("db.tmp");
            let _ = std::fs::remove_file(&copy);
            db::backup::sqlite_copy(db, &copy).await?;
            // Archived as copied, before anything opens it; then read for the manifest.
            zip.start_file("gongzhi.db", opts)?;
            // Long blocking file work: off the async workers' backs (the server goes on answering).
            tokio::task::block_in_place(|| std::io::copy(&mut File::open(&copy)?, &mut zip))?;
            let url = format!("sqlite://{}?mode=rwc", copy.display());
            let facts = {
                let snap = Db::connect(&url).await?;
                let f = read_facts(&snap).await;
                snap.conn().clone().close().await.ok();
                f
            };
            for suffix in ["", "-wal", "-shm"] {
                let mut p = copy.clone().into_os_string();
                p.push(suffix);
                std::fs::remove_file(p).ok();
            }
            facts?
        }
    };
    // Files after the database: a photo is stored before the row naming it, so every row copied has its file.
    let mut files = 0;
    let mut file_bytes = 0;
    tokio::task::block_in_place(|| -> anyhow::Result<()> {
        for (path, name) in files_under(data, skip.or(Some(out.parent().unwrap_or(Path::new(".")))))? {
            let mut f = match File::open(&path) {
                Ok(f) => f,
                // Removed since it was listed (a temporary file): not part of the backup.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| path.display().to_string()),
            };
            zip.start_file(format!("data/{name}"), opts)?;
            file_bytes += std::io::copy(&mut f, &mut zip)?;
            files += 1;
        }
        Ok(())
    })?;
    let m = Manifest {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: backend_name(db).to_owned(),
        created_at: chrono::Utc::now(),
        migrations,
        counts,
        audit_head,
        ledger_heads,
        files,
        file_bytes,
    };
    zip.start_file("manifest.json", opts)?;
    zip.write_all(serde_json::to_string_pretty(&m)?.as_bytes())?;
    let mut w = zip.finish()?.into_inner().map_err(|e| anyhow!("{e}"))?;
    w.flush()?;
    w.sync_all()?;
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(m)
}

/// The manifest of an archive.
pub fn read_manifest(archive: &Path) -> anyhow::Result<Manifest> {
    let mut zip = zip::ZipArchive::new(File::open(archive).with_context(|| archive.display().to_string())?)
        .with_context(|| format!("{} is not a gongzhi backup (not a zip archive)", archive.display()))?;
    let mut s = String::new();
    zip.by_name("manifest.json")
        .with_context(|| format!("{} is not a gongzhi backup (no manifest.json)", archive.display()))?
        .take(1 << 24)
        .read_to_string(&mut s)?;
    let m: Manifest = serde_json::from_str(&s).context("manifest.json")?;
    if m.format != FORMAT {
        bail!("the archive's layout {} is not one this gongzhi reads ({FORMAT})", m.format);
    }
    Ok(m)
}

/// What a restore found.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub audit: db::audit::Verdict,
    pub ledgers_broken: Vec<(i64, i64, String)>,
    pub count_mismatches: Vec<String>,
}

impl Restored {
    pub fn ok(&self) -> bool {
        matches!(self.audit, db::audit::Verdict::Intact { .. })
            && self.ledgers_broken.is_empty()
            && self.count_mismatches.is_empty()
    }
}

/// The file a `sqlite://FILE?…` URL names.
pub fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| anyhow!("not a SQLite URL"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("restore needs a database file: --db sqlite://FILE");
    }
    Ok(PathBuf::from(path))
}

fn empty_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut e) => {
            if e.next().is_some() {
                bail!("{} is not empty: restore the files into a new, empty directory (--data)", dir.display());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(std::fs::create_dir_all(dir)?),
        Err(e) => Err(e).with_context(|| dir.display().to_string()),
    }
}

/// Put `archive` back into the empty database at `url` and the empty
/// directory `data`, then verify it: counts as the manifest says, the audit
/// chain and every ledger chain intact up to the heads it records.
pub async fn restore(archive: &Path, url: &str, data: &Path) -> anyhow::Result<Restored> {
    let m = read_manifest(archive)?;
    let known = db::backup::known();
    if let Some(newer) = m.migrations.iter().find(|x| !known.contains(x)) {
        bail!(
            "the backup is from a newer gongzhi ({}, schema {newer}): restore it with that version or a later one",
            m.version
        );
    }
    let postgres = url.starts_with("postgres");
    if postgres != (m.backend == "postgres") {
        bail!("the backup is of a {} database: restore it into one of the same kind", m.backend);
    }
    empty_dir(data)?;
    let mut zip = zip::ZipArchive::new(File::open(archive)?)?;
    let db = if postgres {
        let db = Db::connect(url).await?;
        // One transaction from schema to sequences: a failure leaves the database empty.
        let tx = db::backup::pg_restore_begin(&db, &m.migrations).await?;
        for i in 0..zip.len() {
            let entry = zip.by_index(i)?;
            let name = entry.name()?.into_owned();
            let Some(table) = name.strip_prefix("tables/").and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            let table = table.to_owned();
            let mut batch = Vec::with_capacity(500);
            for line in BufReader::new(entry).lines() {
                batch.push(line?);
                if batch.len() == 500 {
                    db::backup::pg_put_rows_in(&tx, &table, &batch).await?;
                    batch.clear();
                }
            }
            db::backup::pg_put_rows_in(&tx, &table, &batch).await?;
        }
        db::backup::pg_reset_sequences_in(&tx).await?;
        tx.commit().await?;
        db
    } else {
        let file = sqlite_file(url)?;
        if std::fs::metadata(&file).is_ok_and(|f| f.len() > 0) {
            bail!("{} exists: restore into a new database file", file.display());
        }
        // A journal left by another database would be replayed onto the restored one.
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = file.clone().into_os_string();
            p.push(suffix);
            if Path::new(&p).exists() {
                bail!("{} exists (left by another database): remove it or restore elsewhere", Path::new(&p).display());
            }
        }
        let part = file.with_extension("restoring");
        let mut out = File::create(&part).with_context(|| part.display().to_string())?;
        let copied =
            std::io::copy(&mut zip.by_name("gongzhi.db").context("the archive holds no gongzhi.db")?, &mut out)
                .and_then(|_| out.sync_all());
        if let Err(e) = copied {
            std::fs::remove_file(&part).ok();
            return Err(e.into());
        }
        std::fs::rename(&part, &file).with_context(|| file.display().to_string())?;
        Db::connect(url).await?
    };
    // Counts before any newer migration adds rows of its own.
    let counts: BTreeMap<String, i64> = db::backup::counts(&db).await?.into_iter().collect();
    let count_mismatches = m
        .counts
        .iter()
        .filter(|(t, n)| counts.get(*t) != Some(n))
        .map(|(t, n)| format!("{t}: {n} in the backup, {} restored", counts.get(t).copied().unwrap_or(0)))
        .collect();
    db.migrate().await?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let Some(name) = entry.name()?.strip_prefix("data/").map(str::to_owned) else { continue };
        // Only plain relative names: nothing may land outside the data directory.
        let Some(rel) = entry.enclosed_name().and_then(|p| p.strip_prefix("data").ok().map(Path::to_path_buf)) else {
            bail!("the archive names a file outside its data directory: {name}");
        };
        let to = data.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::io::copy(&mut entry, &mut File::create(&to).with_context(|| to.display().to_string())?)?;
    }
    let heads: Vec<domain::audit::Head> =
        m.audit_head.iter().map(|h| domain::audit::Head::parse(h).map_err(|e| anyhow!(e))).collect::<Result<_, _>>()?;
    let audit = db::audit::verify(&db, &heads).await?;
    let mut given = Vec::new();
    for h in &m.ledger_heads {
        let (c, head) = h.split_once(':').ok_or_else(|| anyhow!("ledger head {h:?}"))?;
        given.push((c.parse::<i64>()?, head.parse::<domain::ledger::Head>()?));
    }
    let ledgers_broken = db::ledger::verify(&db, None, &given)
        .await?
        .into_iter()
        .filter_map(|c| c.broken.map(|(seq, why)| (c.compound_id, seq, why)))
        .collect();
    db.conn().clone().close().await.ok();
    Ok(Restored { manifest: m, audit, ledgers_broken, count_mismatches })
}

/// Backups named by their time, oldest first.
pub fn kept(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("gongzhi-") && n.ends_with(".zip"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// How long until the next scheduled backup is due: `every` after the newest
/// backup in `dir` (by its time of writing), at least a minute from now.
pub fn next_due(dir: &Path, every: std::time::Duration) -> std::time::Duration {
    let soonest = std::time::Duration::from_secs(60);
    let age = kept(dir)
        .last()
        .and_then(|p| std::fs::metadata(p).ok())
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.elapsed().ok());
    match age {
        Some(age) => every.saturating_sub(age).max(soonest),
        None => soonest,
    }
}

/// One scheduled backup into `dir`, keeping the newest `keep`.
pub async fn scheduled(db: &Db, data: &Path, dir: &Path, keep: usize) -> anyhow::Result<(PathBuf, Manifest)> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let out = dir.join(format!("gongzhi-{}.zip", chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ")));
    let m = backup(db, data, &out, Some(dir)).await?;
    let all = kept(dir);
    for old in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        std::fs::remove_file(old).ok();
    }
    Ok((out, m))
}
