//! SQL lives here: pool setup (the backend is picked from the URL), and one
//! repository module per feature. Queries are written once with `$N`
//! placeholders, which both SQLite and PostgreSQL accept.

pub mod accounts;
pub mod audit;
pub mod backfill;
pub mod backup;
pub mod compounds;
pub mod figures;
pub mod files;
pub mod intake;
pub mod kpi;
pub mod ledger;
pub mod notify;
pub mod oversight;
pub mod owners;
pub mod plans;
pub mod problems;
pub mod regions;
mod sql;
pub mod structure;
pub mod votes;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use domain::audit::Actor;

/// For crates that run repository calls inside a transaction they hold.
pub use sea_orm::ConnectionTrait;
pub use sea_orm::DbErr as RawDbErr;

/// The default database: one file beside the binary's working directory.
pub const DEFAULT_URL: &str = "sqlite://gongzhi.db?mode=rwc";

#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite has one writer at a time, and a deferred transaction that reads
    /// then writes can fail with SQLITE_BUSY instead of waiting; writes from
    /// this process therefore queue here. PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// PostgreSQL: registry writers of this process queue here before they
    /// take a pooled connection, so writers waiting for the advisory lock
    /// (behind an import) cannot hold every connection and starve readers.
    registry_lock: Arc<Mutex<()>>,
    /// Counts committed changes that may alter who sees what (accounts,
    /// grants, sessions, the registry) or how the system is configured
    /// (problem categories). Callers that cache such things (the web layer's
    /// signed-in users and categories) keep them only while this is
    /// unchanged. Changes made by another process are not counted here.
    scope_epoch: Arc<AtomicU64>,
}

/// Key of the PostgreSQL advisory lock that serialises `Db::begin_write`
/// transactions across processes ("gzwrite").
const WRITE_LOCK: i64 = 0x0067_7a77_7269_7465;

/// A transaction for changes: on SQLite it holds the process's write lock
/// until it commits or drops (rolling back).
pub struct WriteTx {
    tx: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    /// Set unless the change is known not to alter anyone's scope.
    epoch: Option<Arc<AtomicU64>>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await?;
        if let Some(e) = self.epoch {
            e.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Why a database could not be opened. Display is one line for the operator,
/// with any password in the URL redacted.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0}: use sqlite://FILE or postgres://USER@HOST/DB")]
    Scheme(String),
    #[error("cannot open database {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("cannot migrate database {url}: {reason}")]
    Migrate { url: String, reason: String },
    #[error(
        "database {url} was made by a newer gongzhi (schema {newest}, unknown to this one): run that version or a later one"
    )]
    Newer { url: String, newest: String },
}

/// Errors of repository calls, in terms the web layer can map to a status.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] domain::Invalid),
    #[error("database error: {0}")]
    Internal(#[from] DbErr),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Hide the password of `scheme://user:password@host/db` before it is shown.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Db {
    /// Open the database named by `url` (sqlite:// or postgres://) and bring
    /// its schema up to date.
    pub async fn open(url: &str) -> Result<Db, ConnectError> {
        let db = Db::connect(url).await?;
        // Never run an older binary's code on a newer schema: refuse before touching it.
        let state = backup::schema_state(&db)
            .await
            .map_err(|e| ConnectError::Migrate { url: redact(url), reason: e.to_string() })?;
        if let Some(newest) = state.unknown.last() {
            return Err(ConnectError::Newer { url: redact(url), newest: newest.clone() });
        }
        db.migrate().await.map_err(|e| ConnectError::Migrate { url: redact(url), reason: e.to_string() })?;
        Ok(db)
    }

    /// Open without migrating.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        let shown = redact(url);
        let backend = if url.starts_with("sqlite:") {
            DbBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbBackend::Postgres
        } else {
            return Err(ConnectError::Scheme(shown));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(10));
        if backend == DbBackend::Sqlite {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            // WAL lets readers go on while one writer writes; NORMAL sync is
            // durable in WAL mode except for the last commits on power loss.
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // 64 MiB of page cache per connection (SQLite's default is 2 MiB):
                    // a bulk load or a national recount otherwise spills the same
                    // pages to the WAL over and over (29 GB written for a 6 GB file).
                    .pragma("cache_size", "-65536")
            });
            opts.max_connections(8);
        } else {
            opts.max_connections(16);
        }
        let conn = Database::connect(opts)
            .await
            .map_err(|e| ConnectError::Open { url: shown.clone(), reason: one_line(&e) })?;
        let write_lock = (backend == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db { conn, write_lock, registry_lock: Default::default(), scope_epoch: Default::default() })
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// Begin a transaction that will change the registry, accounts or
    /// configuration (see `WriteTx`). Such transactions run one at a time on
    /// both backends, from their first statement: on SQLite through the
    /// process's write lock (and SQLite's own), on PostgreSQL through a
    /// transaction-scoped advisory lock that every process takes. A value
    /// read inside one therefore cannot change before it commits, so "read,
    /// check, write" is safe in every repository function that runs in one
    /// (two concurrent edits of one compound's facts can no longer both close
    /// the same interval). Changes to the registry are rare next to reads; the
    /// audit chain serialises them at their end anyway. Its commit counts as a
    /// possible change of scope (see `scope_epoch`).
    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        if self.backend() == DbBackend::Postgres {
            let queued = self.registry_lock.clone().lock_owned().await;
            let tx = self.conn.begin().await?;
            sql::exec(&tx, "SELECT pg_advisory_xact_lock($1)", vec![WRITE_LOCK.into()]).await?;
            return Ok(WriteTx { tx, _guard: Some(queued), epoch: Some(self.scope_epoch.clone()) });
        }
        let mut tx = self.begin_write_in_scope().await?;
        tx.epoch = Some(self.scope_epoch.clone());
        Ok(tx)
    }

    /// [`Db::begin_write`] without queueing behind a long writer: tries for
    /// up to `wait`, then gives up (`None`). The transaction counts as no
    /// change of scope. For work a reader may do on the way (settling the
    /// kept figures), which must not make a page wait for an import.
    pub async fn try_begin_write(&self, wait: Duration) -> Result<Option<WriteTx>, DbErr> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            if let Some(tx) = self.try_begin_write_once().await? {
                return Ok(Some(tx));
            }
            if std::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn try_begin_write_once(&self) -> Result<Option<WriteTx>, DbErr> {
        if self.backend() == DbBackend::Postgres {
            let Ok(queued) = self.registry_lock.clone().try_lock_owned() else { return Ok(None) };
            let tx = self.conn.begin().await?;
            #[derive(sea_orm::FromQueryResult)]
            struct Got {
                got: bool,
            }
            let got: Option<Got> =
                sql::one(&tx, "SELECT pg_try_advisory_xact_lock($1) AS got", vec![WRITE_LOCK.into()]).await?;
            if !got.is_some_and(|g| g.got) {
                tx.rollback().await?;
                return Ok(None);
            }
            return Ok(Some(WriteTx { tx, _guard: Some(queued), epoch: None }));
        }
        let guard = match &self.write_lock {
            Some(l) => match l.clone().try_lock_owned() {
                Ok(g) => Some(g),
                Err(_) => return Ok(None),
            },
            None => None,
        };
        Ok(Some(WriteTx { tx: self.conn.begin().await?, _guard: guard, epoch: None }))
    }

    /// Begin a transaction whose changes cannot alter anyone's scope
    /// (residents' problems and their timelines): cached scopes stay valid.
    /// On PostgreSQL these run side by side (problem intake is the hot path),
    /// so each change in one is a conditional update checked by the rows it
    /// touched (see `problems::step`).
    pub async fn begin_write_in_scope(&self) -> Result<WriteTx, DbErr> {
        let guard = match &self.write_lock {
            Some(l) => Some(l.clone().lock_owned().await),
            None => None,
        };
        Ok(WriteTx { tx: self.conn.begin().await?, _guard: guard, epoch: None })
    }

    /// See the field of the same name.
    pub fn scope_epoch(&self) -> u64 {
        self.scope_epoch.load(Ordering::SeqCst)
    }

    /// Count a change of scope made outside `begin_write` (ending sessions).
    pub fn scope_changed(&self) {
        self.scope_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Fresh planner statistics after a bulk load (PostgreSQL; its autovacuum
    /// would get there within a minute or so, after the first pages were slow:
    /// the demo's organisation list took 3.5 s before, 50 ms after). SQLite's
    /// plans are left as they are.
    pub async fn refresh_statistics(&self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Postgres {
            self.conn.execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The connection pool: connections open, and of them idle (`/metrics`).
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.backend() {
            DbBackend::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
            _ => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            DbBackend::Postgres => "postgresql",
            _ => "sqlite",
        }
    }

    /// Run SQL text as is (administration and tests: creating databases,
    /// simulating tampering). Never with user input.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<u64, DbErr> {
        use sea_orm::ConnectionTrait;
        Ok(self.conn.execute_unprepared(sql).await?.rows_affected())
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

fn one_line(e: &DbErr) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://gongzhi.db?mode=rwc"), "sqlite://gongzhi.db?mode=rwc");
    }

    #[tokio::test]
    async fn unknown_scheme_is_one_clear_line() {
        let e = Db::connect("mysql://root:pw@localhost/x").await.unwrap_err().to_string();
        assert!(e.contains("unsupported database URL mysql://root:***@localhost/x"), "{e}");
        assert!(!e.contains("pw"));
    }
}
