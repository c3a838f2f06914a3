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

/// The kept head, if the file is there.
pub fn read(data: &Path) -> anyhow::Result<Option<Head>> {
    match std::fs::read_to_string(path(data)) {
        Ok(s) => Ok(Some(Head::parse(&s).map_err(|e| anyhow::anyhow!("{}: {e}", path(data).display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path(data).display())),
    }
}

/// Write `head` to the file, replacing it whole (a rename, so a reader never sees half a line).
pub fn write(data: &Path, head: &Head) -> std::io::Result<()> {
    std::fs::create_dir_all(data)?;
    let tmp = data.join("audit-head.tmp");
    std::fs::write(&tmp, format!("{head}\n"))?;
    std::fs::rename(tmp, path(data))
}

/// Record the head now and then once a minute whenever it has moved.
pub fn keep(db: Db, data: PathBuf) {
    tokio::spawn(async move {
        let mut last: Option<Head> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match db::audit::head(&db).await {
                Ok(Some(h)) if last.as_ref() != Some(&h) => match write(&data, &h) {
                    Ok(()) => {
                        tracing::info!(head = %h, "audit head");
                        last = Some(h);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot keep the audit head"),
                },
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the audit head"),
            }
        }
    });
}
