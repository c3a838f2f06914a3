//! The region tree: look-ups by code, children with their counts, subtree
//! ranges, and the all-or-nothing import of the open division files.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use domain::audit::Actor;
use domain::{Level, RegionCode, RegionPath};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use crate::audit::Change;
use crate::sql::{all, exec, one, placeholders, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub path: String,
}

impl Region {
    pub fn level(&self) -> Option<Level> {
        Level::parse(&self.level)
    }
    pub fn region_path(&self) -> RegionPath {
        RegionPath::from_stored(self.path.clone())
    }
}

/// A region with how much lies directly and wholly under it.
#[derive(Debug, Clone, Serialize)]
pub struct RegionSummary {
    #[serde(flatten)]
    pub region: Region,
    pub child_count: i64,
    /// Compounds in the whole subtree (retired ones left out).
    pub compound_count: i64,
}

const COLS: &str = "code, name, level, parent_code, path";

pub async fn get(db: &Db, code: &RegionCode) -> Result<Option<Region>> {
    Ok(one(db.conn(), &format!("SELECT {COLS} FROM region WHERE code = $1"), vec![code.as_str().into()]).await?)
}

pub async fn require(db: &Db, code: &RegionCode) -> Result<Region> {
    get(db, code).await?.ok_or(DbError::NotFound)
}

/// Regions whose name holds `q`, or whose code starts with it; the higher
/// levels first. For pickers: at most `limit`.
pub async fn search(db: &Db, q: &str, limit: u64) -> Result<Vec<Region>> {
    let q = q.trim();
    let digits = !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit());
    let (cond, v) = if digits {
        ("code LIKE $1", format!("{q}%"))
    } else {
        ("name LIKE $1 ESCAPE '\\'", crate::sql::like_contains(q))
    };
    Ok(all(
        db.conn(),
        &format!("SELECT {COLS} FROM region WHERE {cond} ORDER BY LENGTH(code), code LIMIT $2"),
        vec![v.into(), (limit.min(200) as i64).into()],
    )
    .await?)
}

/// The region and its ancestors, from the province down.
pub async fn lineage(db: &Db, code: &RegionCode) -> Result<Vec<Region>> {
    let codes = code.lineage();
    let ph: Vec<String> = (1..=codes.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT {COLS} FROM region WHERE code IN ({}) ORDER BY path", ph.join(","));
    Ok(all(db.conn(), &sql, codes.iter().map(|c| Value::from(c.as_str())).collect()).await?)
}

pub async fn summary(db: &Db, code: &RegionCode) -> Result<RegionSummary> {
    let region = require(db, code).await?;
    let child_count =
        scalar_i64(db.conn(), "SELECT COUNT(*) FROM region WHERE parent_code = $1", vec![code.as_str().into()]).await?;
    let compound_count = count_compounds(db, &region.region_path()).await?;
    Ok(RegionSummary { region, child_count, compound_count })
}

pub async fn count_compounds(db: &Db, path: &RegionPath) -> Result<i64> {
    let (lo, hi) = path.subtree_range();
    Ok(scalar_i64(
        db.conn(),
        "SELECT COUNT(*) FROM compound WHERE region_path >= $1 AND region_path < $2 AND retired_at IS NULL",
        vec![lo.into(), hi.into()],
    )
    .await?)
}

/// Children of a region, each with its own child count and compound count.
/// Two grouped queries, whatever the number of children.
pub async fn children(db: &Db, code: &RegionCode) -> Result<Vec<RegionSummary>> {
    let parent = require(db, code).await?;
    let kids: Vec<Region> = all(
        db.conn(),
        &format!("SELECT {COLS} FROM region WHERE parent_code = $1 ORDER BY code"),
        vec![code.as_str().into()],
    )
    .await?;
    if kids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(FromQueryResult)]
    struct Count {
        k: String,
        n: i64,
    }
    let grand: Vec<Count> = all(
        db.conn(),
        "SELECT c.parent_code AS k, COUNT(*) AS n FROM region c JOIN region p ON c.parent_code = p.code \
         WHERE p.parent_code = $1 GROUP BY c.parent_code",
        vec![code.as_str().into()],
    )
    .await?;
    let grand: HashMap<String, i64> = grand.into_iter().map(|c| (c.k, c.n)).collect();
    // Children of one level share one path length, so a prefix groups the subtree.
    let plen = kids[0].path.len() as i32;
    let (lo, hi) = parent.region_path().subtree_range();
    let comp: Vec<Count> = all(
        db.conn(),
        "SELECT substr(region_path, 1, $3) AS k, COUNT(*) AS n FROM compound \
         WHERE region_path >= $1 AND region_path < $2 AND retired_at IS NULL GROUP BY substr(region_path, 1, $3)",
        vec![lo.into(), hi.into(), plen.into()],
    )
    .await?;
    let comp: HashMap<String, i64> = comp.into_iter().map(|c| (c.k, c.n)).collect();
    Ok(kids
        .into_iter()
        .map(|r| RegionSummary {
            child_count: grand.get(&r.code).copied().unwrap_or(0),
            compound_count: comp.get(&r.path).copied().unwrap_or(0),
            region: r,
        })
        .collect())
}

/// Create a grid under a community; its code is the next free 3-digit suffix.
pub async fn create_grid(db: &Db, actor: &Actor, community: &RegionCode, name: &str) -> Result<Region> {
    let name = domain::compound::check_name(name)?;
    let parent = require(db, community).await?;
    let tx = db.begin_write().await?;
    let existing: Vec<Region> =
        all(&*tx, &format!("SELECT {COLS} FROM region WHERE parent_code = $1"), vec![parent.code.clone().into()])
            .await?;
    let codes: Vec<RegionCode> = existing.iter().filter_map(|r| RegionCode::parse(&r.code).ok()).collect();
    let code = RegionCode::next_grid(community, &codes)?;
    let now = Utc::now();
    exec(
        &*tx,
        "INSERT INTO region (code, name, level, parent_code, path, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6)",
        vec![
            code.as_str().into(),
            name.clone().into(),
            Level::Grid.as_str().into(),
            parent.code.clone().into(),
            code.path().as_str().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("create", "region", &code, Some(code.path().as_str().to_owned()))
        .after(serde_json::json!({"code": code.as_str(), "name": name, "level": "grid"}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    require(db, &code).await
}

/// A grid as a workbook gives it (its own 15-digit code under a stored
/// community, and a name), inside the caller's transaction: added, renamed,
/// or left as it is. A code that is not a grid's is refused.
pub async fn upsert_grid_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    code: &RegionCode,
    name: &str,
) -> Result<crate::structure::Upsert> {
    use crate::structure::Upsert;
    if code.level() != Level::Grid {
        return Err(domain::Invalid::new("code", format!("{code} is not a 15-digit grid code"))
            .zh(format!("{code} 不是 15 位网格代码"))
            .into());
    }
    let name = domain::compound::check_name(name)?;
    let parent = code.parent().expect("a grid has a community");
    if get_in(c, parent.as_str()).await?.is_none() {
        return Err(DbError::NotFound);
    }
    let path = code.path();
    let change = |action: &'static str| {
        Change::new(action, "region", code, Some(path.as_str().to_owned()))
            .after(serde_json::json!({"code": code.as_str(), "name": name, "level": "grid"}))
    };
    match get_in(c, code.as_str()).await? {
        Some(r) if r.name == name => Ok(Upsert::Unchanged),
        Some(r) => {
            exec(
                c,
                "UPDATE region SET name = $1, updated_at = $2 WHERE code = $3",
                vec![name.clone().into(), Utc::now().into(), code.as_str().into()],
            )
            .await?;
            change("rename").before(serde_json::json!({"name": r.name})).append_in(c, actor).await?;
            Ok(Upsert::Updated)
        }
        None => {
            let now = Utc::now();
            exec(
                c,
                "INSERT INTO region (code, name, level, parent_code, path, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6)",
                vec![
                    code.as_str().into(),
                    name.clone().into(),
                    Level::Grid.as_str().into(),
                    parent.as_str().into(),
                    path.as_str().into(),
                    now.into(),
                ],
            )
            .await?;
            change("create").append_in(c, actor).await?;
            Ok(Upsert::Added)
        }
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    pub added: u64,
    pub renamed: u64,
    pub unchanged: u64,
}

/// Rows per INSERT: 7 values a row keeps each statement well under SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters.
const BATCH: usize = 1000;

/// Write checked divisions, parents before children, in one transaction:
/// new codes are added, changed names are updated, nothing is duplicated.
/// Every parent must be among `rows` or already stored; otherwise nothing is
/// written and the orphans are named.
pub async fn import(
    db: &Db,
    actor: &Actor,
    rows: &[domain::divisions::Division],
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportStats> {
    let in_set: HashSet<&str> = rows.iter().map(|d| d.code.as_str()).collect();
    let needed: HashSet<String> = rows
        .iter()
        .filter_map(|d| d.code.parent())
        .filter(|p| !in_set.contains(p.as_str()))
        .map(|p| p.as_str().to_owned())
        .collect();

    let tx = db.begin_write().await?;
    // Existing names of the codes in question, to tell added from renamed
    // from unchanged and to write only what differs.
    let mut existing: HashMap<String, String> = HashMap::new();
    #[derive(FromQueryResult)]
    struct CodeName {
        code: String,
        name: String,
    }
    let tops: HashSet<&str> = rows.iter().map(|d| &d.code.as_str()[..2]).collect();
    for top in tops {
        let (lo, hi) = RegionCode::parse(top)?.path().subtree_range();
        let got: Vec<CodeName> =
            all(&*tx, "SELECT code, name FROM region WHERE path >= $1 AND path < $2", vec![lo.into(), hi.into()])
                .await?;
        existing.extend(got.into_iter().map(|r| (r.code, r.name)));
    }
    let mut orphans: Vec<&String> = needed.iter().filter(|p| !existing.contains_key(*p)).collect();
    if !orphans.is_empty() {
        orphans.sort();
        orphans.truncate(10);
        let list: Vec<&str> = orphans.iter().map(|s| s.as_str()).collect();
        return Err(DbError::Invalid(
            domain::Invalid::new(
                "parent",
                format!("parent regions missing from the files and the database: {}", list.join(", ")),
            )
            .zh(format!("文件和数据库中都没有这些上级区划：{}", list.join(", "))),
        ));
    }

    let mut stats = ImportStats::default();
    let total = rows.len() as u64;
    let now = Utc::now();
    let mut batch: Vec<Value> = Vec::with_capacity(BATCH * 7);
    let mut in_batch = 0usize;
    let mut done = 0u64;
    for d in rows {
        match existing.get(d.code.as_str()) {
            Some(name) if *name == d.name => stats.unchanged += 1,
            Some(_) => {
                exec(
                    &*tx,
                    "UPDATE region SET name = $1, updated_at = $2 WHERE code = $3",
                    vec![d.name.clone().into(), now.into(), d.code.as_str().into()],
                )
                .await?;
                stats.renamed += 1;
            }
            None => {
                let level = d.code.level();
                batch.extend([
                    Value::from(d.code.as_str()),
                    d.name.clone().into(),
                    level.as_str().into(),
                    d.code.parent().map(|p| p.as_str().to_owned()).into(),
                    d.code.path().as_str().into(),
                    now.into(),
                    now.into(),
                ]);
                in_batch += 1;
                stats.added += 1;
                if in_batch == BATCH {
                    flush(&*tx, &mut batch, in_batch).await?;
                    in_batch = 0;
                }
            }
        }
        done += 1;
        if done.is_multiple_of(20_000) {
            progress(done, total);
        }
    }
    if in_batch > 0 {
        flush(&*tx, &mut batch, in_batch).await?;
    }
    progress(total, total);
    if stats.added + stats.renamed > 0 {
        Change::new("import", "region", "divisions", None)
            .after(serde_json::json!(stats))
            .append_in(&*tx, actor)
            .await?;
    }
    tx.commit().await?;
    Ok(stats)
}

async fn flush(c: &impl ConnectionTrait, batch: &mut Vec<Value>, n: usize) -> Result<()> {
    let sql = format!(
        "INSERT INTO region (code, name, level, parent_code, path, created_at, updated_at) VALUES {}",
        placeholders(c.get_database_backend(), n, 7)
    );
    exec(c, &sql, std::mem::take(batch)).await?;
    Ok(())
}

pub async fn count(db: &Db) -> Result<Vec<(String, i64)>> {
    #[derive(FromQueryResult)]
    struct LevelCount {
        level: String,
        n: i64,
    }
    let rows: Vec<LevelCount> =
        all(db.conn(), "SELECT level, COUNT(*) AS n FROM region GROUP BY level", vec![]).await?;
    let mut out: Vec<(String, i64)> = rows.into_iter().map(|r| (r.level, r.n)).collect();
    out.sort_by_key(|(l, _)| Level::parse(l));
    Ok(out)
}

/// The children of a region, or the provinces under the country (`None`),
/// without counts: what the figures and the bulletin rank.
pub async fn kids(db: &Db, parent: Option<&RegionCode>) -> Result<Vec<Region>> {
    Ok(match parent {
        Some(code) => {
            all(
                db.conn(),
                &format!("SELECT {COLS} FROM region WHERE parent_code = $1 ORDER BY code"),
                vec![code.as_str().into()],
            )
            .await?
        }
        None => {
            all(db.conn(), &format!("SELECT {COLS} FROM region WHERE parent_code IS NULL ORDER BY code"), vec![])
                .await?
        }
    })
}

/// The regions that hold compounds directly (communities and grids), for sampling.
pub async fn with_compounds(db: &Db) -> Result<Vec<String>> {
    #[derive(FromQueryResult)]
    struct C {
        region_code: String,
    }
    let rows: Vec<C> = all(db.conn(), "SELECT DISTINCT region_code FROM compound ORDER BY region_code", vec![]).await?;
    Ok(rows.into_iter().map(|c| c.region_code).collect())
}

/// The path of a region, or the country's (`/`, which holds every path).
pub fn path_or_country(r: Option<&Region>) -> RegionPath {
    r.map_or_else(|| RegionPath::from_stored("/".into()), Region::region_path)
}

/// Regions without a parent (the provinces), with their counts.
pub async fn roots(db: &Db) -> Result<Vec<RegionSummary>> {
    let tops: Vec<Region> =
        all(db.conn(), &format!("SELECT {COLS} FROM region WHERE parent_code IS NULL ORDER BY code"), vec![]).await?;
    let mut out = Vec::with_capacity(tops.len());
    for r in tops {
        let code = RegionCode::parse(&r.code)?;
        out.push(summary(db, &code).await?);
    }
    Ok(out)
}

/// Which of `codes` are stored.
pub async fn existing(db: &Db, codes: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    #[derive(FromQueryResult)]
    struct C {
        code: String,
    }
    for chunk in codes.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT code FROM region WHERE code IN ({})", ph.join(","));
        let got: Vec<C> = all(db.conn(), &sql, chunk.iter().map(|c| Value::from(c.as_str())).collect()).await?;
        out.extend(got.into_iter().map(|c| c.code));
    }
    Ok(out)
}

/// A region inside the caller's transaction.
pub async fn get_in(c: &impl ConnectionTrait, code: &str) -> Result<Option<Region>> {
    Ok(one(c, &format!("SELECT {COLS} FROM region WHERE code = $1"), vec![code.into()]).await?)
}

/// The regions whose residents' reports stay out of Open311's public view
/// (each with its subtree): code and path.
pub async fn open311_closed(db: &Db) -> Result<Vec<(String, RegionPath)>> {
    #[derive(FromQueryResult)]
    struct Row {
        region_code: String,
        region_path: String,
    }
    let rows: Vec<Row> =
        all(db.conn(), "SELECT region_code, region_path FROM open311_closed ORDER BY region_path", vec![]).await?;
    Ok(rows.into_iter().map(|r| (r.region_code, RegionPath::from_stored(r.region_path))).collect())
}

/// Whether the public view is closed over `path` (by its own region or one above).
pub async fn open311_closed_over(db: &Db, path: &str) -> Result<bool> {
    Ok(open311_closed(db).await?.iter().any(|(_, p)| {
        let (lo, hi) = p.subtree_range();
        path >= lo.as_str() && path < hi.as_str()
    }))
}

/// Open or close Open311's public view of a region's reports (its subtree
/// follows; a closed ancestor closes it whatever it says itself).
pub async fn set_open311_public(db: &Db, actor: &Actor, region: &Region, public: bool) -> Result<()> {
    let tx = db.begin_write().await?;
    let was_closed = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM open311_closed WHERE region_code = $1",
        vec![region.code.clone().into()],
    )
    .await?
        > 0;
    // Already as asked: nothing to change or log.
    if was_closed != public {
        return Ok(());
    }
    if public {
        exec(&*tx, "DELETE FROM open311_closed WHERE region_code = $1", vec![region.code.clone().into()]).await?;
    } else {
        exec(
            &*tx,
            "INSERT INTO open311_closed (region_code, region_path, closed_by, closed_at) VALUES ($1,$2,$3,$4)",
            vec![region.code.clone().into(), region.path.clone().into(), actor.login.clone().into(), Utc::now().into()],
        )
        .await?;
    }
    let state = |open: bool| Some(serde_json::json!({"open311_public": open}));
    Change::new("update", "region", region.code.clone(), Some(region.path.clone()))
        .before(state(!public))
        .after(state(public))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}
