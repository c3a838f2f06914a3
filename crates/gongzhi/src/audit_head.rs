//! The audit chain's head kept outside the database. Once a minute the
//! server writes the newest row's id and hash to `DATA/audit-head` (and logs
//! it): removing the newest rows of the log, or rewriting the chain with
//! fresh hashes, no longer goes unnoticed by `gongzhi audit verify`, which
//! checks that head. An operator who copies the file or the log elsewhere
//! (a backup, a syslog server) keeps that proof out of an intruder's reach.

use std::path::{Path, PathBuf};
use std::time::Duration;

use db::Db;
use domain::audit::Head;

pub fn path(data: &Path) -> PathBuf {
    data.join("audit-head")
}

/// The file names the database it belongs to (its URL, password hidden), so
/// a data directory shared by two databases never compares one with the other.
fn line(head: &Head, url: &str) -> String {
    format!("{head} {}\n", db::redact(url))
}

/// The head kept for the database at `url`, if the file is there and is its.
pub fn read(data: &Path, url: &str) -> anyhow::Result<Option<Head>> {
    let shown = path(data).display().to_string();
    match std::fs::read_to_string(path(data)) {
        Ok(s) => {
            let (head, of) = s.trim().split_once(' ').unwrap_or((s.trim(), ""));
            if of != db::redact(url) {
                return Ok(None);
            }
            Ok(Some(Head::parse(head).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{shown}: {e}")),
    }
}

/// Write `head` to the file, replacing it whole (a rename, so a reader never sees half a line).
pub fn write(data: &Path, url: &str, head: &Head) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    let tmp = data.join("audit-head.tmp");
    std::fs::write(&tmp, line(head, url))?;
    std::fs::rename(tmp, path(data))
}

/// Forget the head of a database that is being made anew (the demo).
pub fn forget(data: &Path, url: &str) {
    if let Ok(s) = std::fs::read_to_string(path(data))
        && s.trim().split_once(' ').is_some_and(|(_, of)| of == db::redact(url))
    {
        let _ = std::fs::remove_file(path(data));
    }
}

/// What one look at the chain did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// The head moved on from the kept one (or there was none) and was written.
    Moved(Head),
    Unchanged,
    /// The kept head's row is gone or has another hash: the log was cut or
    /// rewritten. The file is left as it is, as the proof.
    Refused {
        kept: Head,
    },
}

/// Move the kept head to the chain's newest row, but only if the kept one is
/// still in the chain, unchanged: otherwise a forged or shortened log would
/// be accepted within the minute.
pub async fn advance(db: &Db, data: &Path, url: &str, kept: &mut Option<Head>) -> anyhow::Result<Advance> {
    let Some(now) = db::audit::head(db).await? else { return Ok(Advance::Unchanged) };
    if kept.as_ref() == Some(&now) {
        return Ok(Advance::Unchanged);
    }
    if let Some(k) = kept.as_ref()
        && db::audit::hash_of(db, k.id).await?.as_deref() != Some(k.hash.as_str())
    {
        return Ok(Advance::Refused { kept: k.clone() });
    }
    write(data, url, &now)?;
    *kept = Some(now.clone());
    Ok(Advance::Moved(now))
}

/// Record the head now and then once a minute whenever it has moved.
pub fn keep(db: Db, data: PathBuf, url: String) {
    tokio::spawn(async move {
        // A head file that is not this database's (or not readable) is someone's
        // proof: it is never overwritten; the head is then only logged.
        let mut kept = match read(&data, &url) {
            Ok(Some(h)) => Some(h),
            Ok(None) if !path(&data).exists() => None,
            Ok(None) => {
                tracing::error!(file = %path(&data).display(), "the kept audit head belongs to another database; it is left as it is and not kept for this one");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "the kept audit head cannot be read; it is left as it is");
                return;
            }
        };
        let mut told = false;
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match advance(&db, &data, &url, &mut kept).await {
                Ok(Advance::Moved(h)) => tracing::info!(head = %h, "audit head"),
                Ok(Advance::Unchanged) => {}
                Ok(Advance::Refused { kept }) if !told => {
                    told = true;
                    tracing::error!(
                        kept = %kept,
                        file = %path(&data).display(),
                        "the audit log no longer holds the kept head: rows were removed or rewritten; \
                         run `gongzhi audit verify` (if the database was restored on purpose, remove the file)"
                    );
                }
                Ok(Advance::Refused { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "cannot keep the audit head"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_head_belongs_to_one_database() {
        let dir = std::env::temp_dir().join(format!("gongzhi_head_{}", std::process::id()));
        let h = Head { id: 7, hash: "a".repeat(64) };
        write(&dir, "postgres://u:secret@h/db", &h).unwrap();
        assert_eq!(read(&dir, "postgres://u:other@h/db").unwrap(), Some(h.clone()), "the password is not part of it");
        assert!(!std::fs::read_to_string(path(&dir)).unwrap().contains("secret"));
        assert_eq!(read(&dir, "sqlite://other.db?mode=rwc").unwrap(), None);
        forget(&dir, "sqlite://other.db?mode=rwc");
        assert!(path(&dir).exists());
        forget(&dir, "postgres://u@h/db");
        assert!(path(&dir).exists(), "redacted URLs differ when one has a password");
        forget(&dir, "postgres://u:x@h/db");
        assert!(!path(&dir).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
