//! A consistent copy of the whole database while the server runs, putting
//! one back into an empty database, and the schema's version (issue 19,
//! docs/deploy.md). The archive around these is the binary's (`gongzhi
//! backup`); here is only what speaks SQL.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy of the file while writers
//! go on (WAL). PostgreSQL: every table's rows as JSON lines read in one
//! REPEATABLE READ snapshot; put back with `json_populate_recordset`, which
//! turns each JSON value into its column's type, triggers off
//! (`session_replication_role = replica`) so that rows go in in any order and
//! the figures' marks are not made twice.

use migration::{Migrator, MigratorTrait};
use sea_orm::{AccessMode, ConnectionTrait, DbBackend, FromQueryResult, IsolationLevel, TransactionTrait};

use crate::sql::{all, exec};
use crate::{Db, DbError, Result};

/// The table SeaORM keeps applied migrations in.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// The migrations this binary knows, oldest first.
pub fn known() -> Vec<String> {
    Migrator::migrations().iter().map(|m| m.name().to_owned()).collect()
}

/// The migrations applied to the database, oldest first (none on an empty one).
pub async fn applied(db: &Db) -> Result<Vec<String>> {
    #[derive(FromQueryResult)]
    struct V {
        version: String,
    }
    if !table_names(db).await?.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Ok(vec![]);
    }
    let rows: Vec<V> = all(db.conn(), "SELECT version FROM seaql_migrations ORDER BY version", vec![]).await?;
    Ok(rows.into_iter().map(|v| v.version).collect())
}

/// Where the database's schema stands against this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// Known to this binary and not applied yet: what `migrate` would run.
    pub pending: Vec<String>,
    /// Applied but unknown to this binary: the database is a newer gongzhi's.
    pub unknown: Vec<String>,
}

pub async fn schema_state(db: &Db) -> Result<SchemaState> {
    let applied = applied(db).await?;
    let known = known();
    Ok(SchemaState {
        pending: known.iter().filter(|k| !applied.contains(k)).cloned().collect(),
        unknown: applied.iter().filter(|a| !known.contains(a)).cloned().collect(),
    })
}

/// The database's own tables (not SQLite's internals), by name.
pub async fn table_names(db: &Db) -> Result<Vec<String>> {
    table_names_in(db.conn()).await
}

/// The tables as `c` (a connection or a transaction) sees them.
async fn table_names_in(c: &impl ConnectionTrait) -> Result<Vec<String>> {
    #[derive(FromQueryResult)]
    struct T {
        name: String,
    }
    let sql = match c.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    };
    Ok(all::<T>(c, sql, vec![]).await?.into_iter().map(|t| t.name).collect())
}

/// A table name fit to quote: the schema's own names are lower-case words.
fn checked(table: &str) -> Result<&str> {
    if !table.is_empty() && table.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        Ok(table)
    } else {
        Err(DbError::Internal(sea_orm::DbErr::Custom(format!("unexpected table name {table:?}"))))
    }
}

/// Rows per table.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for t in table_names(db).await? {
        let n =
            crate::sql::scalar_i64(db.conn(), &format!("SELECT COUNT(*) FROM \"{}\"", checked(&t)?), vec![]).await?;
        out.push((t, n));
    }
    Ok(out)
}

/// SQLite: a consistent copy of the whole database at `to` (which must not exist), taken while others write.
pub async fn sqlite_copy(db: &Db, to: &std::path::Path) -> Result<()> {
    let path = to.to_str().ok_or_else(|| DbError::Internal(sea_orm::DbErr::Custom("path is not UTF-8".into())))?;
    exec(db.conn(), "VACUUM INTO $1", vec![path.into()]).await?;
    Ok(())
}

/// What `pg_rows` read: rows per table and the chains' heads, all from its snapshot.
#[derive(Debug, Default)]
pub struct Dumped {
    pub counts: Vec<(String, i64)>,
    /// The audit log's newest row (`ID:HASH`).
    pub audit_head: Option<String>,
    /// Each compound's newest ledger entry (`COMPOUND:SEQ:HASH`).
    pub ledger_heads: Vec<String>,
}

/// PostgreSQL: every table's rows as JSON lines, all from one snapshot:
/// `sink(table, line)` for each row.
pub async fn pg_rows(db: &Db, mut sink: impl FnMut(&str, &str) -> std::io::Result<()>) -> Result<Dumped> {
    #[derive(FromQueryResult)]
    struct J {
        j: String,
    }
    #[derive(FromQueryResult)]
    struct Head {
        k: i64,
        seq: i64,
        hash: String,
    }
    let tables = table_names(db).await?;
    let tx = db.conn().begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
    let mut out = Dumped::default();
    for t in &tables {
        let t = checked(t)?;
        exec(
            &tx,
            &format!("DECLARE rows_{t} NO SCROLL CURSOR FOR SELECT row_to_json(x)::text AS j FROM \"{t}\" x"),
            vec![],
        )
        .await?;
        let mut n = 0i64;
        loop {
            let page: Vec<J> = all(&tx, &format!("FETCH 2000 FROM rows_{t}"), vec![]).await?;
            if page.is_empty() {
                break;
            }
            for r in &page {
                sink(t, &r.j).map_err(|e| DbError::Internal(sea_orm::DbErr::Custom(e.to_string())))?;
            }
            n += page.len() as i64;
        }
        exec(&tx, &format!("CLOSE rows_{t}"), vec![]).await?;
        out.counts.push((t.to_owned(), n));
    }
    // The heads, read in the same snapshot as the rows.
    let audit: Option<Head> =
        crate::sql::one(&tx, "SELECT id AS k, id AS seq, hash FROM audit_log ORDER BY id DESC LIMIT 1", vec![]).await?;
    out.audit_head = audit.map(|h| format!("{}:{}", h.k, h.hash));
    let ledger: Vec<Head> = all(
        &tx,
        "SELECT e.compound_id AS k, e.seq, e.hash FROM ledger_entry e \
         WHERE e.seq = (SELECT MAX(x.seq) FROM ledger_entry x WHERE x.compound_id = e.compound_id) ORDER BY e.compound_id",
        vec![],
    )
    .await?;
    out.ledger_heads = ledger.into_iter().map(|h| format!("{}:{}:{}", h.k, h.seq, h.hash)).collect();
    tx.commit().await?;
    Ok(out)
}

/// PostgreSQL: begin putting a backup back into an empty database, all in
/// one transaction (PostgreSQL's DDL is transactional), so a restore that
/// fails leaves the database as empty as it found it: triggers off for the
/// load (`session_replication_role`, which needs a superuser or a role granted
/// it), the schema of `migrations` (a backup's) created as the database's
/// owner (so the service's role owns its tables whoever restores), and the
/// rows the migrations seed removed (the backup holds them). Then
/// `pg_put_rows_in`, `pg_reset_sequences_in` and commit.
pub async fn pg_restore_begin(db: &Db, migrations: &[String]) -> Result<sea_orm::DatabaseTransaction> {
    if !table_names(db).await?.is_empty() {
        return Err(DbError::Conflict("the database is not empty: restore into a new, empty database".into()));
    }
    let known = known();
    if migrations.iter().enumerate().any(|(i, m)| known.get(i) != Some(m)) {
        return Err(DbError::Conflict("the backup's schema is not one this gongzhi knows".into()));
    }
    let tx = db.conn().begin().await?;
    exec(&tx, "SET LOCAL session_replication_role = replica", vec![]).await.map_err(|e| {
        DbError::Conflict(format!(
            "restoring on PostgreSQL needs a role that may set session_replication_role              (a superuser, or GRANT SET ON PARAMETER session_replication_role TO the role): {e}"
        ))
    })?;
    #[derive(FromQueryResult)]
    struct Owner {
        owner: String,
    }
    let owner: Option<Owner> = crate::sql::one(
        &tx,
        "SELECT pg_get_userbyid(datdba)::text AS owner FROM pg_database WHERE datname = current_database()",
        vec![],
    )
    .await?;
    if let Some(o) = owner {
        // Quoted as an identifier: the owner's name comes from the catalogue, not from the archive.
        exec(&tx, &format!("SET LOCAL ROLE \"{}\"", o.owner.replace('"', "\"\"")), vec![]).await?;
    }
    Migrator::up(&tx, Some(migrations.len() as u32)).await?;
    // Every row goes: the backup's own, migrations' record included (when each was applied), come back.
    for t in table_names_in(&tx).await? {
        exec(&tx, &format!("DELETE FROM \"{}\"", checked(&t)?), vec![]).await?;
    }
    Ok(tx)
}

/// PostgreSQL: put back rows read by `pg_rows`, one table's batch at a time,
/// inside the transaction of `pg_restore_begin`.
pub async fn pg_put_rows_in(tx: &impl ConnectionTrait, table: &str, lines: &[String]) -> Result<()> {
    let t = checked(table)?;
    if lines.is_empty() {
        return Ok(());
    }
    let array = format!("[{}]", lines.join(","));
    exec(
        tx,
        &format!("INSERT INTO \"{t}\" SELECT * FROM json_populate_recordset(NULL::\"{t}\", $1::json)"),
        vec![array.into()],
    )
    .await?;
    Ok(())
}

/// PostgreSQL: after rows went back with their ids, each id sequence (serial or identity) continues above the highest.
pub async fn pg_reset_sequences_in(tx: &impl ConnectionTrait) -> Result<()> {
    #[derive(FromQueryResult)]
    struct S {
        t: String,
        c: String,
    }
    let seqs: Vec<S> = all(
        tx,
        "SELECT c.table_name AS t, c.column_name AS c FROM information_schema.columns c \
         WHERE c.table_schema = current_schema() AND (c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES')",
        vec![],
    )
    .await?;
    for s in seqs {
        let (t, c) = (checked(&s.t)?, checked(&s.c)?);
        exec(
            tx,
            &format!(
                "SELECT setval(pg_get_serial_sequence('\"{t}\"', '{c}'), COALESCE((SELECT MAX(\"{c}\") FROM \"{t}\"), 0) + 1, false)"
            ),
            vec![],
        )
        .await?;
    }
    Ok(())
}
