//! What the running server reports about its own upkeep (the administrator's
//! page, `/readyz`, `/metrics`): the last scheduled backup. The binary's
//! background tasks write it; the faces read it.

use std::sync::RwLock;

use chrono::{DateTime, Utc};

/// The last scheduled backup's outcome.
#[derive(Debug, Clone)]
pub struct Backup {
    pub at: DateTime<Utc>,
    /// The archive written, or why none was.
    pub outcome: Result<String, String>,
}

#[derive(Debug, Default)]
pub struct Status {
    /// Where scheduled backups go, when they are on.
    pub backup_dir: RwLock<Option<String>>,
    pub last_backup: RwLock<Option<Backup>>,
}

impl Status {
    pub fn backup_dir(&self) -> Option<String> {
        self.backup_dir.read().ok().and_then(|d| d.clone())
    }

    pub fn last_backup(&self) -> Option<Backup> {
        self.last_backup.read().ok().and_then(|b| b.clone())
    }

    pub fn set_backup_dir(&self, dir: String) {
        if let Ok(mut d) = self.backup_dir.write() {
            *d = Some(dir);
        }
    }

    pub fn record_backup(&self, b: Backup) {
        if let Ok(mut l) = self.last_backup.write() {
            *l = Some(b);
        }
    }
}
