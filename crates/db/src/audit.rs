//! The append-only audit log. Each row's hash covers its content and the
//! previous row's hash (`domain::audit`); appends are serialised so the
//! chain has one order, and happen inside the transaction of the change.

use chrono::Utc;
use domain::audit::{Actor, Entry, GENESIS, hash};
use domain::{Paging, RegionPath};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use serde::Serialize;

use crate::sql::{all, exec, one, page_of};
use crate::{Db, Result};

/// One change to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    /// The region path of the record, so scoped readers see their own changes.
    pub region_path: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub region_path: Option<String>,
    pub before: String,
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    fn entry(&self) -> Entry<'_> {
        Entry {
            id: self.id,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            entity: &self.entity,
            entity_id: &self.entity_id,
            before: &self.before,
            after: &self.after,
        }
    }
}

/// Key of the PostgreSQL advisory lock that orders appends across processes.
const CHAIN_LOCK: i64 = 0x0067_7a61_7564_6974; // "gzaudit"

pub async fn append(c: &impl ConnectionTrait, actor: &Actor, ch: Change<'_>) -> Result<()> {
    if c.get_database_backend() == DbBackend::Postgres {
        exec(c, "SELECT pg_advisory_xact_lock($1)", vec![CHAIN_LOCK.into()]).await?;
    }
    #[derive(FromQueryResult)]
    struct Last {
        id: i64,
        hash: String,
    }
    let last: Option<Last> = one(c, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", vec![]).await?;
    let (id, prev) = match last {
        Some(l) => (l.id + 1, l.hash),
        None => (1, GENESIS.to_owned()),
    };
    let at = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let before = ch.before.map(|v| v.to_string()).unwrap_or_default();
    let after = ch.after.map(|v| v.to_string()).unwrap_or_default();
    let e = Entry {
        id,
        at: &at,
        actor: &actor.login,
        action: ch.action,
        entity: ch.entity,
        entity_id: &ch.entity_id,
        before: &before,
        after: &after,
    };
    let h = hash(&prev, &e);
    exec(
        c,
        "INSERT INTO audit_log (id, at, actor_id, actor, action, entity, entity_id, region_path, before, after, prev_hash, hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
        vec![
            id.into(),
            at.clone().into(),
            actor.id.into(),
            actor.login.clone().into(),
            ch.action.into(),
            ch.entity.into(),
            ch.entity_id.clone().into(),
            ch.region_path.into(),
            before.into(),
            after.into(),
            prev.into(),
            h.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { rows: u64 },
    Broken { id: i64, reason: String },
}

/// Walk the whole chain in id order and name the first row that does not fit.
pub async fn verify(db: &Db) -> Result<Verdict> {
    let mut prev = GENESIS.to_owned();
    let mut expect_id = 1i64;
    let mut rows = 0u64;
    loop {
        let page: Vec<AuditRow> = all(
            db.conn(),
            "SELECT id, at, actor_id, actor, action, entity, entity_id, region_path, before, after, prev_hash, hash \
             FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 5000",
            vec![expect_id.into()],
        )
        .await?;
        if page.is_empty() {
            break;
        }
        for r in &page {
            if r.id != expect_id {
                return Ok(Verdict::Broken {
                    id: expect_id,
                    reason: format!("row {expect_id} is missing (next is {})", r.id),
                });
            }
            if r.prev_hash != prev {
                return Ok(Verdict::Broken {
                    id: r.id,
                    reason: "its previous-hash does not match the row before".into(),
                });
            }
            if hash(&prev, &r.entry()) != r.hash {
                return Ok(Verdict::Broken {
                    id: r.id,
                    reason: "its content does not match its hash (changed after writing)".into(),
                });
            }
            prev = r.hash.clone();
            expect_id += 1;
            rows += 1;
        }
    }
    Ok(Verdict::Intact { rows })
}

/// Audit rows a reader may see, newest first: all (`None`), or those whose
/// record lies in one of the given subtrees.
pub async fn list(db: &Db, within: Option<&[RegionPath]>, page: Paging) -> Result<(Vec<AuditRow>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let filter = match within {
        None => String::new(),
        Some([]) => " WHERE 1 = 0".into(),
        Some(paths) => {
            let mut parts = Vec::new();
            for p in paths {
                let (lo, hi) = p.subtree_range();
                vals.push(lo.into());
                vals.push(hi.into());
                parts.push(format!("(region_path >= ${} AND region_path < ${})", vals.len() - 1, vals.len()));
            }
            format!(" WHERE {}", parts.join(" OR "))
        }
    };
    let select = "SELECT id, at, actor_id, actor, action, entity, entity_id, region_path, before, after, prev_hash, hash \
                  FROM audit_log";
    Ok(page_of(db.conn(), select, "audit_log", &filter, "id DESC", vals, page).await?)
}
