//! The append-only audit log. Each row's hash covers its content and the
//! previous row's hash (`domain::audit`); appends are serialised so the
//! chain has one order, and happen inside the transaction of the change.

use std::future::Future;

use chrono::Utc;
use domain::audit::{Actor, Entry, GENESIS, Head, hash, hash_v1};
use domain::{Paging, RegionPath};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use serde::Serialize;

use crate::sql::{all, any_of, exec, in_subtree, one, page_of, placeholders};
use crate::{Db, Result};

/// One change to record.
pub struct Change<'a> {
    action: &'a str,
    entity: &'a str,
    entity_id: String,
    /// The region path of the record, so scoped readers see their own changes.
    region_path: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    /// `action` on `entity` number `id`, in the region at `region_path`;
    /// what it was and became are added with [`Change::before`] and [`Change::after`].
    pub fn new(action: &'a str, entity: &'a str, id: impl ToString, region_path: Option<String>) -> Self {
        Change { action, entity, entity_id: id.to_string(), region_path, before: None, after: None }
    }

    pub fn before(self, v: impl Into<Option<serde_json::Value>>) -> Self {
        Change { before: v.into(), ..self }
    }

    pub fn after(self, v: impl Into<Option<serde_json::Value>>) -> Self {
        Change { after: v.into(), ..self }
    }

    /// Append this change in the caller's transaction `c`: now, or at the end of a
    /// bulk load that holds changes back (see [`held_in`]).
    pub async fn append_in(self, c: &impl ConnectionTrait, actor: &Actor) -> Result<()> {
        append_in(c, actor, self).await
    }
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
    pub hash_version: i16,
}

impl AuditRow {
    fn entry(&self) -> Entry<'_> {
        Entry {
            id: self.id,
            at: &self.at,
            actor_id: self.actor_id,
            actor: &self.actor,
            region_path: self.region_path.as_deref(),
            action: &self.action,
            entity: &self.entity,
            entity_id: &self.entity_id,
            before: &self.before,
            after: &self.after,
        }
    }
}

const COLUMNS: &str =
    "id, at, actor_id, actor, action, entity, entity_id, region_path, before, after, prev_hash, hash, hash_version";

/// Key of the PostgreSQL advisory lock that orders appends across processes.
const CHAIN_LOCK: i64 = 0x0067_7a61_7564_6974; // "gzaudit"

async fn append_in(c: &impl ConnectionTrait, actor: &Actor, ch: Change<'_>) -> Result<()> {
    if HELD.try_with(|h| h.borrow_mut().push((actor.clone(), Held::of(&ch)))).is_ok() {
        return Ok(());
    }
    append_all_in(c, vec![(actor.clone(), ch)]).await
}

/// A change held back by `held_in`.
struct Held {
    action: String,
    entity: String,
    entity_id: String,
    region_path: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Held {
    fn of(ch: &Change<'_>) -> Held {
        Held {
            action: ch.action.to_owned(),
            entity: ch.entity.to_owned(),
            entity_id: ch.entity_id.clone(),
            region_path: ch.region_path.clone(),
            before: ch.before.clone(),
            after: ch.after.clone(),
        }
    }
}

tokio::task_local! {
    /// Changes of a bulk load, appended together at its end (see `held_in`).
    static HELD: std::cell::RefCell<Vec<(Actor, Held)>>;
}

/// Run `load` — many changes inside transaction `c` — with its audit rows held
/// back, and append them at the end in a few statements, in the order they
/// were made, if it succeeds. A registry import holds the write lock while it
/// runs; two statements per row saved is time nobody else waits.
pub async fn held_in<T, E>(c: &impl ConnectionTrait, load: impl Future<Output = Result<T, E>>) -> Result<Result<T, E>> {
    if HELD.try_with(|_| ()).is_ok() {
        return Ok(load.await);
    }
    let (out, rows) = HELD
        .scope(Default::default(), async {
            let out = load.await;
            (out, HELD.with(|h| h.take()))
        })
        .await;
    if out.is_ok() {
        // Bounded statements: 13 values a row stay well inside SQLite's 32,766.
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<(Actor, Held)> = rows.by_ref().take(1000).collect();
            let changes = chunk
                .iter()
                .map(|(a, h)| {
                    (
                        a.clone(),
                        Change {
                            action: &h.action,
                            entity: &h.entity,
                            entity_id: h.entity_id.clone(),
                            region_path: h.region_path.clone(),
                            before: h.before.clone(),
                            after: h.after.clone(),
                        },
                    )
                })
                .collect();
            append_all_in(c, changes).await?;
        }
    }
    Ok(out)
}

/// Append several changes in one statement (a batch of residents' reports).
async fn append_all_in(c: &impl ConnectionTrait, changes: Vec<(Actor, Change<'_>)>) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if c.get_database_backend() == DbBackend::Postgres {
        exec(c, "SELECT pg_advisory_xact_lock($1)", vec![CHAIN_LOCK.into()]).await?;
    }
    #[derive(FromQueryResult)]
    struct Last {
        id: i64,
        hash: String,
    }
    let last: Option<Last> = one(c, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", vec![]).await?;
    let (mut id, mut prev) = match last {
        Some(l) => (l.id, l.hash),
        None => (0, GENESIS.to_owned()),
    };
    let at = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let mut vals: Vec<Value> = Vec::with_capacity(changes.len() * 13);
    let n = changes.len();
    for (actor, ch) in changes {
        id += 1;
        let before = ch.before.map(|v| v.to_string()).unwrap_or_default();
        let after = ch.after.map(|v| v.to_string()).unwrap_or_default();
        let e = Entry {
            id,
            at: &at,
            actor_id: actor.id,
            actor: &actor.login,
            region_path: ch.region_path.as_deref(),
            action: ch.action,
            entity: ch.entity,
            entity_id: &ch.entity_id,
            before: &before,
            after: &after,
        };
        let h = hash(&prev, &e);
        vals.extend([
            id.into(),
            at.clone().into(),
            actor.id.into(),
            actor.login.clone().into(),
            ch.action.into(),
            ch.entity.into(),
            ch.entity_id.clone().into(),
            ch.region_path.clone().into(),
            before.into(),
            after.into(),
            std::mem::replace(&mut prev, h.clone()).into(),
            h.into(),
            domain::audit::VERSION.into(),
        ]);
    }
    exec(
        c,
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES {}", placeholders(c.get_database_backend(), n, 13)),
        vals,
    )
    .await?;
    Ok(())
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { rows: u64, head: Option<Head> },
    Broken { id: i64, reason: String },
}

/// The newest row's id and hash: what an operator writes down (or the server
/// keeps outside the database) so that a later `verify` can tell if rows were
/// removed from the end or the chain was rewritten.
pub async fn head(db: &Db) -> Result<Option<Head>> {
    #[derive(FromQueryResult)]
    struct Last {
        id: i64,
        hash: String,
    }
    let last: Option<Last> = one(db.conn(), "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", vec![]).await?;
    Ok(last.map(|l| Head { id: l.id, hash: l.hash }))
}

/// The hash of row `id`, if there is one.
pub async fn hash_of(db: &Db, id: i64) -> Result<Option<String>> {
    #[derive(FromQueryResult)]
    struct H {
        hash: String,
    }
    let h: Option<H> = one(db.conn(), "SELECT hash FROM audit_log WHERE id = $1", vec![id.into()]).await?;
    Ok(h.map(|h| h.hash))
}

/// Walk the whole chain in id order and name the first row that does not
/// fit; then check that every head recorded earlier is still in it.
pub async fn verify(db: &Db, heads: &[Head]) -> Result<Verdict> {
    let mut prev = GENESIS.to_owned();
    let mut expect_id = 1i64;
    let mut rows = 0u64;
    let mut seen_v2 = false;
    let mut found: Vec<Option<String>> = vec![None; heads.len()];
    loop {
        let page: Vec<AuditRow> = all(
            db.conn(),
            &format!("SELECT {COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 5000"),
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
            let expected = match r.hash_version {
                1 if !seen_v2 => hash_v1(&prev, &r.entry()),
                2 => {
                    seen_v2 = true;
                    hash(&prev, &r.entry())
                }
                v => {
                    return Ok(Verdict::Broken {
                        id: r.id,
                        reason: format!("hash version {v} cannot follow the rows before it"),
                    });
                }
            };
            if expected != r.hash {
                return Ok(Verdict::Broken {
                    id: r.id,
                    reason: "its content does not match its hash (changed after writing)".into(),
                });
            }
            for (i, h) in heads.iter().enumerate() {
                if h.id == r.id {
                    found[i] = Some(r.hash.clone());
                }
            }
            prev = r.hash.clone();
            expect_id += 1;
            rows += 1;
        }
    }
    for (h, f) in heads.iter().zip(found) {
        match f {
            None => {
                return Ok(Verdict::Broken {
                    id: h.id,
                    reason: format!("row {} of the recorded head is gone: rows were removed from the end", h.id),
                });
            }
            Some(x) if x != h.hash => {
                return Ok(Verdict::Broken {
                    id: h.id,
                    reason: format!("row {} no longer has the recorded hash: the chain was rewritten", h.id),
                });
            }
            Some(_) => {}
        }
    }
    let head = if rows == 0 { None } else { Some(Head { id: expect_id - 1, hash: prev }) };
    Ok(Verdict::Intact { rows, head })
}

/// Audit rows a reader may see, newest first: all (`None`), or those whose
/// record lies in one of the given subtrees.
pub async fn list(db: &Db, within: Option<&[RegionPath]>, page: Paging) -> Result<(Vec<AuditRow>, u64)> {
    list_filtered(db, within, &AuditFilter::default(), page).await
}

/// Which rows of the log a reader looks for (empty fields: any).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The kind of record (`compound`, `organisation`, `user`, …).
    pub entity: Option<String>,
    pub action: Option<String>,
    /// Who did it (their login, or `system:…`).
    pub actor: Option<String>,
    /// From the start of this China day, and before the end of that one.
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// [`list`] narrowed by `f`.
pub async fn list_filtered(
    db: &Db,
    within: Option<&[RegionPath]>,
    f: &AuditFilter,
    page: Paging,
) -> Result<(Vec<AuditRow>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    match within {
        None => {}
        Some([]) => conds.push("1 = 0".into()),
        Some(paths) => {
            let parts = paths.iter().map(|p| in_subtree("region_path", p, &mut vals)).collect();
            conds.push(any_of(parts));
        }
    }
    for (col, v) in [("entity", &f.entity), ("action", &f.action), ("actor", &f.actor)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            vals.push(v.to_owned().into());
            conds.push(format!("{col} = ${}", vals.len()));
        }
    }
    // `at` is fixed-width RFC 3339 UTC text, so instants compare as text.
    let stamp = |d: chrono::NaiveDate| domain::clock::start_of(d).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    if let Some(d) = f.from {
        vals.push(stamp(d).into());
        conds.push(format!("at >= ${}", vals.len()));
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        vals.push(stamp(d).into());
        conds.push(format!("at < ${}", vals.len()));
    }
    let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let select = format!("SELECT {COLUMNS} FROM audit_log");
    Ok(page_of(db.conn(), &select, "audit_log", &filter, "id DESC", vals, page).await?)
}

impl AuditRow {
    /// What changed, field by field: (field, before, after) for every field
    /// whose value differs (a created record: every field, before empty).
    pub fn changes(&self) -> Vec<(String, String, String)> {
        let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or(serde_json::Value::Null);
        let (before, after) = (parse(&self.before), parse(&self.after));
        let text = |v: Option<&serde_json::Value>| match v {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        let mut keys: Vec<&String> = Vec::new();
        for v in [&before, &after] {
            if let serde_json::Value::Object(m) = v {
                keys.extend(m.keys().filter(|k| !keys.contains(k)).collect::<Vec<_>>());
            }
        }
        keys.into_iter()
            .filter_map(|k| {
                let (b, a) = (text(before.get(k)), text(after.get(k)));
                (b != a).then(|| (k.clone(), b, a))
            })
            .collect()
    }
}
