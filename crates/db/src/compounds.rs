//! Compounds, their buildings, entrances and units, and their dated facts.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::compound::{CompoundDraft, CompoundPatch};
use domain::history::{FactKind, check_succession};
use domain::{Area, Paging, RegionPath, ServiceModel};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, SqlErr, Value};
use serde::Serialize;

use crate::audit::{Change, append};
use crate::sql::Id;
use crate::sql::{all, exec, like_contains, one, page_of, placeholders, scalar_i64};
use crate::{Db, DbError, Result, regions};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Compound {
    pub id: i64,
    pub region_code: String,
    pub community_code: String,
    /// The materialised path of its community or grid (for subtree checks).
    pub region_path: String,
    pub region_name: String,
    pub name: String,
    pub address: String,
    pub year_built: Option<i32>,
    pub is_old: bool,
    pub households: i32,
    pub floor_area_centi: i64,
    /// The service model in force now (the open interval), if any was set.
    pub service_model: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Compound {
    pub fn floor_area(&self) -> Area {
        Area::from_centi(self.floor_area_centi)
    }
}

const SELECT: &str = "SELECT c.id, c.region_code, c.community_code, c.region_path, r.name AS region_name, c.name, c.address, \
     c.year_built, c.is_old, c.households, c.floor_area_centi, \
     (SELECT f.value FROM compound_fact f WHERE f.compound_id = c.id AND f.kind = 'service_model' AND f.valid_to IS NULL) AS service_model, \
     c.retired_at, c.created_at, c.updated_at \
     FROM compound c JOIN region r ON r.code = c.region_code";

/// The compounds a reader may see: everything, or those under some region
/// paths or with some ids (decided by the web layer's `Viewer`).
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub all: bool,
    pub paths: Vec<RegionPath>,
    pub ids: Vec<i64>,
}

/// What a list asks for: a subtree, an optional name fragment, retired or not,
/// always inside what the reader may see.
#[derive(Debug, Clone)]
pub struct Filter {
    pub within: Option<RegionPath>,
    pub visible: Visible,
    pub name: Option<String>,
    pub include_retired: bool,
}

fn where_clause(f: &Filter) -> (String, Vec<Value>) {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    let range = |vals: &mut Vec<Value>, p: &RegionPath| {
        let (lo, hi) = p.subtree_range();
        vals.push(lo.into());
        vals.push(hi.into());
        format!("(c.region_path >= ${} AND c.region_path < ${})", vals.len() - 1, vals.len())
    };
    if let Some(p) = &f.within {
        conds.push(range(&mut vals, p));
    }
    if !f.visible.all {
        let mut any: Vec<String> = f.visible.paths.iter().map(|p| range(&mut vals, p)).collect();
        if !f.visible.ids.is_empty() {
            // Ids come from the server (grants), never from the request.
            let ids: Vec<String> = f.visible.ids.iter().map(|i| i.to_string()).collect();
            any.push(format!("c.id IN ({})", ids.join(",")));
        }
        if any.is_empty() {
            any.push("1 = 0".into());
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    if !f.include_retired {
        conds.push("c.retired_at IS NULL".into());
    }
    if let Some(q) = f.name.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        vals.push(like_contains(&q.to_lowercase()).into());
        conds.push(format!("LOWER(c.name) LIKE ${} ESCAPE '\\'", vals.len()));
    }
    if conds.is_empty() {
        return (String::new(), vals);
    }
    (format!(" WHERE {}", conds.join(" AND ")), vals)
}

pub async fn list(db: &Db, f: &Filter, page: Paging) -> Result<(Vec<Compound>, u64)> {
    let (w, vals) = where_clause(f);
    Ok(page_of(db.conn(), SELECT, "compound c", &w, "c.region_path, c.name, c.id", vals, page).await?)
}

pub async fn get(db: &Db, id: i64) -> Result<Compound> {
    get_in(db.conn(), id).await
}

async fn get_in(c: &impl ConnectionTrait, id: i64) -> Result<Compound> {
    one(c, &format!("{SELECT} WHERE c.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// Record a change of a compound (or of something inside it) in the audit log.
#[allow(clippy::too_many_arguments)]
async fn audit(
    c: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: i64,
    compound_id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    #[derive(FromQueryResult)]
    struct P {
        region_path: String,
    }
    let p: Option<P> = one(c, "SELECT region_path FROM compound WHERE id = $1", vec![compound_id.into()]).await?;
    append(
        c,
        actor,
        Change {
            action,
            entity,
            entity_id: entity_id.to_string(),
            region_path: p.map(|p| p.region_path),
            before,
            after,
        },
    )
    .await
}

fn to_json(v: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

fn conflict_on_unique(e: DbErr, what: &str) -> DbError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DbError::Conflict(what.to_owned()),
        _ => DbError::Internal(e),
    }
}

const DUP_NAME: &str = "a compound of this name already exists in this community";

/// Create a compound; `model` optionally records its service model from a date.
pub async fn create(
    db: &Db,
    actor: &Actor,
    d: &CompoundDraft,
    model: Option<(ServiceModel, NaiveDate)>,
) -> Result<Compound> {
    domain::compound::check_region(&d.region)?;
    if let Some((_, from)) = model {
        domain::history::check_plausible("service_model_from", from, domain::clock::today())?;
    }
    let region = regions::get(db, &d.region).await?.ok_or_else(|| {
        domain::Invalid::new("region", format!("region {} does not exist", d.region))
            .zh(format!("区划 {} 不存在", d.region))
    })?;
    let tx = db.begin_write().await?;
    let id = insert_in(&*tx, d, &region.path).await.map_err(|e| conflict_on_unique(e, DUP_NAME))?;
    if let Some((m, from)) = model {
        insert_fact(&*tx, id, FactKind::ServiceModel, Some(m.as_str()), None, from).await?;
    }
    let after = get_in(&*tx, id).await?;
    audit(&*tx, actor, "create", "compound", id, id, None, to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn update(db: &Db, actor: &Actor, id: i64, p: &CompoundPatch) -> Result<Compound> {
    let tx = db.begin_write().await?;
    let before = get_in(&*tx, id).await?;
    let mut sets: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    let mut set = |col: &str, v: Value| {
        vals.push(v);
        sets.push(format!("{col} = ${}", vals.len()));
    };
    if let Some(n) = &p.name {
        set("name", n.clone().into());
    }
    if let Some(a) = &p.address {
        set("address", a.clone().into());
    }
    if let Some(y) = p.year_built {
        set("year_built", y.into());
    }
    if let Some(o) = p.is_old {
        set("is_old", o.into());
    }
    if let Some(h) = p.households {
        set("households", h.into());
    }
    if let Some(a) = p.floor_area {
        set("floor_area_centi", a.centi().into());
    }
    set("updated_at", Utc::now().into());
    vals.push(id.into());
    let sql = format!("UPDATE compound SET {} WHERE id = ${}", sets.join(", "), vals.len());
    exec(&*tx, &sql, vals).await.map_err(|e| conflict_on_unique(e, DUP_NAME))?;
    let after = get_in(&*tx, id).await?;
    audit(&*tx, actor, "update", "compound", id, id, to_json(&before), to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Retire (never delete): the compound leaves lists and counts from now on,
/// but its history stays for past figures.
pub async fn retire(db: &Db, actor: &Actor, id: i64) -> Result<Compound> {
    let tx = db.begin_write().await?;
    let before = get_in(&*tx, id).await?;
    if before.retired_at.is_some() {
        return Ok(before);
    }
    let now = Utc::now();
    exec(&*tx, "UPDATE compound SET retired_at = $1, updated_at = $1 WHERE id = $2", vec![now.into(), id.into()])
        .await?;
    let after = get_in(&*tx, id).await?;
    audit(&*tx, actor, "retire", "compound", id, id, to_json(&before), to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

// ---- dated facts -------------------------------------------------------

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Fact {
    pub id: i64,
    pub kind: String,
    pub value: Option<String>,
    pub ref_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

async fn insert_fact(
    c: &impl ConnectionTrait,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    from: NaiveDate,
) -> Result<(), DbErr> {
    exec(
        c,
        "INSERT INTO compound_fact (compound_id, kind, value, ref_id, valid_from, recorded_at) VALUES ($1,$2,$3,$4,$5,$6)",
        vec![
            compound_id.into(),
            kind.as_str().into(),
            value.map(str::to_owned).into(),
            ref_id.into(),
            from.into(),
            Utc::now().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The whole timeline of a compound, newest first within each kind.
pub async fn facts(db: &Db, compound_id: i64) -> Result<Vec<Fact>> {
    Ok(all(
        db.conn(),
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 ORDER BY valid_from DESC, id DESC",
        vec![compound_id.into()],
    )
    .await?)
}

/// The facts in force on `date`.
pub async fn facts_as_of(db: &Db, compound_id: i64, date: NaiveDate) -> Result<Vec<Fact>> {
    Ok(all(
        db.conn(),
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY kind",
        vec![compound_id.into(), date.into()],
    )
    .await?)
}

/// Give `kind` a new value from `effective` on: the open interval closes
/// there and a new one opens. Both writes or neither.
pub async fn set_fact(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    effective: NaiveDate,
) -> Result<Vec<Fact>> {
    let tx = db.begin_write().await?;
    set_fact_in(&*tx, actor, compound_id, kind, value, ref_id, effective).await?;
    tx.commit().await?;
    facts(db, compound_id).await
}

/// `set_fact` inside the caller's transaction.
pub async fn set_fact_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    effective: NaiveDate,
) -> Result<()> {
    get_in(c, compound_id).await?;
    domain::history::check_plausible("effective_from", effective, domain::clock::today())?;
    #[derive(FromQueryResult)]
    struct Open {
        id: i64,
        valid_from: NaiveDate,
    }
    let open: Option<Open> = one(
        c,
        "SELECT id, valid_from FROM compound_fact WHERE compound_id = $1 AND kind = $2 AND valid_to IS NULL",
        vec![compound_id.into(), kind.as_str().into()],
    )
    .await?;
    check_succession(open.as_ref().map(|o| o.valid_from), effective)?;
    if let Some(o) = open {
        let n = exec(
            c,
            "UPDATE compound_fact SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL",
            vec![effective.into(), o.id.into()],
        )
        .await?
        .rows_affected();
        if n != 1 {
            return Err(DbError::Conflict("the compound's history was changed meanwhile; reload and try again".into()));
        }
    }
    // The unique index on open intervals refuses a second one whatever happened above.
    insert_fact(c, compound_id, kind, value, ref_id, effective)
        .await
        .map_err(|e| conflict_on_unique(e, "the compound's history was changed meanwhile; reload and try again"))?;
    let after = serde_json::json!({"kind": kind.as_str(), "value": value, "ref_id": ref_id, "valid_from": effective});
    audit(c, actor, "set_fact", "compound", compound_id, compound_id, None, Some(after)).await?;
    Ok(())
}

/// Correct a recorded fact: when it took effect and/or its value. The fact
/// before it is moved to end on the new date. Audited with before and after.
#[allow(clippy::too_many_arguments)]
pub async fn correct_fact(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    fact_id: i64,
    new_from: NaiveDate,
    value: Option<&str>,
    ref_id: Option<i64>,
) -> Result<Vec<Fact>> {
    let tx = db.begin_write().await?;
    let all_facts: Vec<Fact> = all(
        &*tx,
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 ORDER BY valid_from, id",
        vec![compound_id.into()],
    )
    .await?;
    let Some(f) = all_facts.iter().find(|f| f.id == fact_id).cloned() else {
        return Err(DbError::NotFound);
    };
    let prev = all_facts.iter().rev().find(|x| x.kind == f.kind && x.valid_from < f.valid_from).cloned();
    domain::history::check_plausible("valid_from", new_from, domain::clock::today())?;
    domain::history::check_correction(prev.as_ref().map(|p| p.valid_from), f.valid_to, new_from)?;
    if let Some(p) = &prev {
        exec(&*tx, "UPDATE compound_fact SET valid_to = $1 WHERE id = $2", vec![new_from.into(), p.id.into()]).await?;
    }
    exec(
        &*tx,
        "UPDATE compound_fact SET valid_from = $1, value = $2, ref_id = $3 WHERE id = $4",
        vec![new_from.into(), value.map(str::to_owned).into(), ref_id.into(), fact_id.into()],
    )
    .await?;
    let after =
        serde_json::json!({"fact": fact_id, "kind": f.kind, "value": value, "ref_id": ref_id, "valid_from": new_from});
    audit(&*tx, actor, "correct_fact", "compound", compound_id, compound_id, to_json(&f), Some(after)).await?;
    tx.commit().await?;
    facts(db, compound_id).await
}

// ---- buildings, entrances, units ---------------------------------------

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct BuildingSummary {
    pub id: i64,
    pub compound_id: i64,
    pub name: String,
    pub floors: i32,
    pub retired_at: Option<DateTime<Utc>>,
    pub entrances: i64,
    pub units: i64,
    pub area_centi: i64,
}

// Each unit's area counts at most domain::area::UNIT_MAX (1,000,000 hundredths
// of m²), so no stored value, however it got there, can overflow the total.
const BUILDING_SELECT: &str = "SELECT b.id, b.compound_id, b.name, b.floors, b.retired_at, \
     (SELECT COUNT(*) FROM entrance e WHERE e.building_id = b.id) AS entrances, \
     (SELECT COUNT(*) FROM unit u JOIN entrance e ON u.entrance_id = e.id WHERE e.building_id = b.id) AS units, \
     (SELECT CAST(COALESCE(SUM(CASE WHEN u.area_centi > 1000000 THEN 1000000 WHEN u.area_centi < 0 THEN 0 ELSE u.area_centi END), 0) AS BIGINT) FROM unit u JOIN entrance e ON u.entrance_id = e.id \
      WHERE e.building_id = b.id) AS area_centi \
     FROM building b";

pub async fn buildings(db: &Db, compound_id: i64) -> Result<Vec<BuildingSummary>> {
    Ok(all(db.conn(), &format!("{BUILDING_SELECT} WHERE b.compound_id = $1 ORDER BY b.id"), vec![compound_id.into()])
        .await?)
}

pub async fn building(db: &Db, id: i64) -> Result<BuildingSummary> {
    building_in(db.conn(), id).await
}

async fn building_in(c: &impl ConnectionTrait, id: i64) -> Result<BuildingSummary> {
    one(c, &format!("{BUILDING_SELECT} WHERE b.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct UnitRow {
    pub id: i64,
    pub entrance_id: i64,
    pub entrance: String,
    pub number: String,
    pub floor: i32,
    pub area_centi: i64,
}

pub async fn units(db: &Db, building_id: i64) -> Result<Vec<UnitRow>> {
    Ok(all(
        db.conn(),
        "SELECT u.id, u.entrance_id, e.name AS entrance, u.number, u.floor, u.area_centi FROM unit u \
         JOIN entrance e ON e.id = u.entrance_id WHERE e.building_id = $1 ORDER BY e.id, u.floor, u.number",
        vec![building_id.into()],
    )
    .await?)
}

pub async fn unit(db: &Db, id: i64) -> Result<(UnitRow, i64)> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        entrance_id: i64,
        entrance: String,
        number: String,
        floor: i32,
        area_centi: i64,
        building_id: i64,
    }
    let r: Row = one(
        db.conn(),
        "SELECT u.id, u.entrance_id, e.name AS entrance, u.number, u.floor, u.area_centi, e.building_id FROM unit u \
         JOIN entrance e ON e.id = u.entrance_id WHERE u.id = $1",
        vec![id.into()],
    )
    .await?
    .ok_or(DbError::NotFound)?;
    Ok((
        UnitRow {
            id: r.id,
            entrance_id: r.entrance_id,
            entrance: r.entrance,
            number: r.number,
            floor: r.floor,
            area_centi: r.area_centi,
        },
        r.building_id,
    ))
}

/// Which compound a building belongs to (for scope checks and links).
pub async fn building_compound(db: &Db, building_id: i64) -> Result<i64> {
    Ok(building(db, building_id).await?.compound_id)
}

/// A building described the way a surveyor counts it: entrances, floors and
/// units per floor; units are numbered floor × 100 + n ("1201").
#[derive(Debug, Clone)]
pub struct BuildingSpec {
    pub name: String,
    pub floors: i32,
    pub entrances: i32,
    pub units_per_floor: i32,
    pub unit_area: Area,
}

impl BuildingSpec {
    pub fn check(&self) -> Result<(), domain::Invalid> {
        domain::compound::check_name(&self.name)?;
        if !(1..=100).contains(&self.floors) {
            return Err(domain::Invalid::new("floors", "floors must be 1–100").zh("层数须为 1–100"));
        }
        if !(1..=20).contains(&self.entrances) {
            return Err(domain::Invalid::new("entrances", "entrances must be 1–20").zh("单元数须为 1–20"));
        }
        if !(0..=20).contains(&self.units_per_floor) {
            return Err(domain::Invalid::new("units_per_floor", "units per floor must be 0–20").zh("每层户数须为 0–20"));
        }
        self.unit_area.unit("unit_area")?;
        Ok(())
    }
}

pub async fn create_building(db: &Db, actor: &Actor, compound_id: i64, spec: &BuildingSpec) -> Result<BuildingSummary> {
    spec.check()?;
    get(db, compound_id).await?;
    let mut w = bulk::Writer::new(db, actor.clone()).await?;
    let name = domain::compound::check_name(&spec.name)?;
    let id = w.building(compound_id, &name, spec.floors).await?;
    for e in 1..=spec.entrances {
        let eid = w.entrance(id, &format!("{e}单元")).await?;
        for f in 1..=spec.floors {
            for n in 1..=spec.units_per_floor {
                w.unit(eid, &format!("{}{:02}", f, n), f, spec.unit_area).await?;
            }
        }
    }
    w.record(
        "create",
        "building",
        id,
        compound_id,
        serde_json::json!({"name": name, "floors": spec.floors, "entrances": spec.entrances,
                           "units_per_floor": spec.units_per_floor, "unit_area": spec.unit_area.to_string()}),
    );
    w.finish().await.map_err(|e| match e {
        DbError::Internal(e) => conflict_on_unique(e, "a building of this name already exists in this compound"),
        e => e,
    })?;
    building(db, id).await
}

pub async fn update_building(
    db: &Db,
    actor: &Actor,
    id: i64,
    name: Option<&str>,
    floors: Option<i32>,
) -> Result<BuildingSummary> {
    let name = name.map(domain::compound::check_name).transpose()?;
    if floors.is_some_and(|f| !(1..=100).contains(&f)) {
        return Err(domain::Invalid::new("floors", "floors must be 1–100").zh("层数须为 1–100").into());
    }
    let tx = db.begin_write().await?;
    let before = building_in(&*tx, id).await?;
    if let Some(n) = name {
        exec(&*tx, "UPDATE building SET name = $1 WHERE id = $2", vec![n.into(), id.into()])
            .await
            .map_err(|e| conflict_on_unique(e, "a building of this name already exists in this compound"))?;
    }
    if let Some(f) = floors {
        exec(&*tx, "UPDATE building SET floors = $1 WHERE id = $2", vec![f.into(), id.into()]).await?;
    }
    let after = building_in(&*tx, id).await?;
    audit(&*tx, actor, "update", "building", id, before.compound_id, to_json(&before), to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn retire_building(db: &Db, actor: &Actor, id: i64) -> Result<BuildingSummary> {
    let tx = db.begin_write().await?;
    let before = building_in(&*tx, id).await?;
    if before.retired_at.is_some() {
        return Ok(before);
    }
    exec(&*tx, "UPDATE building SET retired_at = $1 WHERE id = $2", vec![Utc::now().into(), id.into()]).await?;
    let after = building_in(&*tx, id).await?;
    audit(&*tx, actor, "retire", "building", id, before.compound_id, to_json(&before), to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn set_unit_area(db: &Db, actor: &Actor, id: i64, area: Area) -> Result<UnitRow> {
    let area = area.unit("area_m2")?;
    let (before, building_id) = unit(db, id).await?;
    let compound_id = building(db, building_id).await?.compound_id;
    let tx = db.begin_write().await?;
    exec(&*tx, "UPDATE unit SET area_centi = $1 WHERE id = $2", vec![area.centi().into(), id.into()]).await?;
    let mut after = before.clone();
    after.area_centi = area.centi();
    audit(&*tx, actor, "update", "unit", id, compound_id, to_json(&before), to_json(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Bulk loading with ids assigned here, so a whole registry (compounds,
/// buildings, entrances, units, facts) goes in as multi-row INSERTs inside
/// one transaction: all or nothing, and fast on both backends.
pub mod bulk {
    use super::*;
    use crate::WriteTx;

    const ROWS: usize = 500;

    struct Table {
        name: &'static str,
        cols: &'static [&'static str],
        next_id: i64,
        vals: Vec<Value>,
        rows: usize,
    }

    impl Table {
        async fn start(tx: &WriteTx, name: &'static str, cols: &'static [&'static str]) -> Result<Table> {
            let max = scalar_i64(&**tx, &format!("SELECT MAX(id) FROM {name}"), vec![]).await?;
            Ok(Table { name, cols, next_id: max + 1, vals: Vec::new(), rows: 0 })
        }

        fn push(&mut self, vals: Vec<Value>) -> i64 {
            let id = self.next_id;
            self.next_id += 1;
            self.vals.push(id.into());
            self.vals.extend(vals);
            self.rows += 1;
            id
        }

        async fn flush(&mut self, tx: &WriteTx) -> Result<()> {
            if self.rows == 0 {
                return Ok(());
            }
            let sql = format!(
                "INSERT INTO {} (id, {}) VALUES {}",
                self.name,
                self.cols.join(", "),
                placeholders(tx.get_database_backend(), self.rows, self.cols.len() + 1)
            );
            exec(&**tx, &sql, std::mem::take(&mut self.vals)).await?;
            self.rows = 0;
            Ok(())
        }
    }

    pub struct Writer {
        tx: WriteTx,
        conn: sea_orm::DatabaseConnection,
        actor: Actor,
        /// Audit rows to append at the end: (action, entity, id, compound, after).
        changes: Vec<(&'static str, &'static str, i64, i64, serde_json::Value)>,
        postgres: bool,
        compounds: Table,
        facts: Table,
        buildings: Table,
        entrances: Table,
        units: Table,
        now: DateTime<Utc>,
    }

    impl Writer {
        pub async fn new(db: &Db, actor: Actor) -> Result<Writer> {
            let tx = db.begin_write().await?;
            Ok(Writer {
                compounds: Table::start(
                    &tx,
                    "compound",
                    &[
                        "region_code",
                        "community_code",
                        "region_path",
                        "name",
                        "address",
                        "year_built",
                        "is_old",
                        "households",
                        "floor_area_centi",
                        "created_at",
                        "updated_at",
                    ],
                )
                .await?,
                facts: Table::start(
                    &tx,
                    "compound_fact",
                    &["compound_id", "kind", "value", "ref_id", "valid_from", "valid_to", "recorded_at"],
                )
                .await?,
                buildings: Table::start(&tx, "building", &["compound_id", "name", "floors"]).await?,
                entrances: Table::start(&tx, "entrance", &["building_id", "name"]).await?,
                units: Table::start(&tx, "unit", &["entrance_id", "number", "floor", "area_centi"]).await?,
                postgres: db.backend() == sea_orm::DbBackend::Postgres,
                conn: db.conn().clone(),
                now: Utc::now(),
                actor,
                changes: Vec::new(),
                tx,
            })
        }

        /// Parents are flushed before children, so foreign keys hold at
        /// every statement; any table reaching a batch flushes them all.
        async fn after_push(&mut self, rows: usize) -> Result<()> {
            if rows >= ROWS {
                self.flush_all().await?;
            }
            Ok(())
        }

        async fn flush_all(&mut self) -> Result<()> {
            for t in [&mut self.compounds, &mut self.facts, &mut self.buildings, &mut self.entrances, &mut self.units] {
                t.flush(&self.tx).await?;
            }
            Ok(())
        }

        /// `region_path` must be the stored path of `d.region`.
        pub async fn compound(&mut self, d: &CompoundDraft, region_path: &str) -> Result<i64> {
            let now = self.now;
            let mut v = compound_values(d, region_path);
            v.extend([now.into(), now.into()]);
            let id = self.compounds.push(v);
            self.after_push(self.compounds.rows).await?;
            Ok(id)
        }

        /// Note a change for the audit log, written when the load finishes.
        pub fn record(
            &mut self,
            action: &'static str,
            entity: &'static str,
            id: i64,
            compound_id: i64,
            after: serde_json::Value,
        ) {
            self.changes.push((action, entity, id, compound_id, after));
        }

        #[allow(clippy::too_many_arguments)]
        pub async fn fact(
            &mut self,
            compound_id: i64,
            kind: FactKind,
            value: Option<&str>,
            ref_id: Option<i64>,
            from: NaiveDate,
            to: Option<NaiveDate>,
        ) -> Result<i64> {
            let now = self.now;
            let id = self.facts.push(vec![
                compound_id.into(),
                kind.as_str().into(),
                value.map(str::to_owned).into(),
                ref_id.into(),
                from.into(),
                to.into(),
                now.into(),
            ]);
            self.after_push(self.facts.rows).await?;
            Ok(id)
        }

        pub async fn building(&mut self, compound_id: i64, name: &str, floors: i32) -> Result<i64> {
            let id = self.buildings.push(vec![compound_id.into(), name.into(), floors.into()]);
            self.after_push(self.buildings.rows).await?;
            Ok(id)
        }

        pub async fn entrance(&mut self, building_id: i64, name: &str) -> Result<i64> {
            let id = self.entrances.push(vec![building_id.into(), name.into()]);
            self.after_push(self.entrances.rows).await?;
            Ok(id)
        }

        pub async fn unit(&mut self, entrance_id: i64, number: &str, floor: i32, area: Area) -> Result<i64> {
            let id = self.units.push(vec![entrance_id.into(), number.into(), floor.into(), area.centi().into()]);
            self.after_push(self.units.rows).await?;
            Ok(id)
        }

        /// Write what is left and commit. Dropping a writer without this
        /// rolls everything back.
        pub async fn finish(mut self) -> Result<()> {
            self.flush_all().await?;
            for (action, entity, id, compound_id, after) in std::mem::take(&mut self.changes) {
                audit(&*self.tx, &self.actor, action, entity, id, compound_id, None, Some(after)).await?;
            }
            for t in [&self.compounds, &self.facts, &self.buildings, &self.entrances, &self.units] {
                if self.postgres {
                    // Ids were given explicitly: move the sequence past them.
                    exec(
                        &*self.tx,
                        &format!("SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {0}))", t.name),
                        vec![],
                    )
                    .await?;
                }
            }
            self.tx.commit().await?;
            if self.postgres {
                // Fresh statistics after a bulk load, or the planner guesses an
                // empty table and scans half a million units per building look-up.
                for t in ["compound", "compound_fact", "building", "entrance", "unit"] {
                    exec(&self.conn, &format!("ANALYZE {t}"), vec![]).await?;
                }
            }
            Ok(())
        }
    }
}

// ---- building blocks for imports (inside the caller's transaction) ----------

/// A compound's columns from `region_code` to `floor_area_centi`, in table order.
fn compound_values(d: &CompoundDraft, region_path: &str) -> Vec<Value> {
    vec![
        d.region.as_str().into(),
        d.region.as_str()[..12].to_owned().into(),
        region_path.into(),
        d.name.clone().into(),
        d.address.clone().into(),
        d.year_built.into(),
        d.is_old.into(),
        d.households.into(),
        d.floor_area.centi().into(),
    ]
}

/// Insert a compound row; its id.
async fn insert_in(c: &impl ConnectionTrait, d: &CompoundDraft, region_path: &str) -> Result<i64, DbErr> {
    let now = Utc::now();
    let id: Option<Id> = one(
        c,
        "INSERT INTO compound (region_code, community_code, region_path, name, address, year_built, is_old, households, \
         floor_area_centi, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
        {
            let mut v = compound_values(d, region_path);
            v.push(now.into());
            v
        },
    )
    .await?;
    id.map(|i| i.id).ok_or_else(|| DbErr::RecordNotInserted)
}

/// A compound by its natural key: its community and its name.
pub async fn find_in(c: &impl ConnectionTrait, community_code: &str, name: &str) -> Result<Option<Compound>> {
    Ok(one(
        c,
        &format!("{SELECT} WHERE c.community_code = $1 AND c.name = $2"),
        vec![community_code.into(), name.into()],
    )
    .await?)
}

/// Add or update a compound by natural key. `region_path` is the stored path of `d.region`.
pub async fn upsert_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    d: &CompoundDraft,
    region_path: &str,
) -> Result<(i64, crate::structure::Upsert)> {
    use crate::structure::Upsert;
    let community = &d.region.as_str()[..12];
    match find_in(c, community, &d.name).await? {
        Some(x)
            if x.region_code == d.region.as_str()
                && x.address == d.address
                && x.year_built == d.year_built
                && x.is_old == d.is_old
                && x.households == d.households
                && x.floor_area_centi == d.floor_area.centi() =>
        {
            Ok((x.id, Upsert::Unchanged))
        }
        Some(x) => {
            exec(
                c,
                "UPDATE compound SET region_code=$1, region_path=$2, address=$3, year_built=$4, is_old=$5, households=$6, \
                 floor_area_centi=$7, updated_at=$8 WHERE id=$9",
                vec![
                    d.region.as_str().into(),
                    region_path.into(),
                    d.address.clone().into(),
                    d.year_built.into(),
                    d.is_old.into(),
                    d.households.into(),
                    d.floor_area.centi().into(),
                    Utc::now().into(),
                    x.id.into(),
                ],
            )
            .await?;
            let after = get_in(c, x.id).await?;
            audit(c, actor, "update", "compound", x.id, x.id, to_json(&x), to_json(&after)).await?;
            Ok((x.id, Upsert::Updated))
        }
        None => {
            let id = insert_in(c, d, region_path).await.map_err(|e| conflict_on_unique(e, DUP_NAME))?;
            let after = get_in(c, id).await?;
            audit(c, actor, "create", "compound", id, id, None, to_json(&after)).await?;
            Ok((id, Upsert::Added))
        }
    }
}

/// A building of a compound by name.
pub async fn find_building_in(
    c: &impl ConnectionTrait,
    compound_id: i64,
    name: &str,
) -> Result<Option<BuildingSummary>> {
    Ok(one(
        c,
        &format!("{BUILDING_SELECT} WHERE b.compound_id = $1 AND b.name = $2"),
        vec![compound_id.into(), name.into()],
    )
    .await?)
}

/// Add a building with its entrances and units unless one of that name exists.
pub async fn ensure_building_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    spec: &BuildingSpec,
) -> Result<(i64, crate::structure::Upsert)> {
    use crate::structure::Upsert;
    spec.check()?;
    if let Some(b) = find_building_in(c, compound_id, &spec.name).await? {
        return Ok((b.id, Upsert::Unchanged));
    }
    let bid: Id = one(
        c,
        "INSERT INTO building (compound_id, name, floors) VALUES ($1,$2,$3) RETURNING id",
        vec![compound_id.into(), spec.name.clone().into(), spec.floors.into()],
    )
    .await?
    .ok_or(DbError::NotFound)?;
    for e in 1..=spec.entrances {
        let eid: Id = one(
            c,
            "INSERT INTO entrance (building_id, name) VALUES ($1,$2) RETURNING id",
            vec![bid.id.into(), format!("{e}单元").into()],
        )
        .await?
        .ok_or(DbError::NotFound)?;
        let n = (spec.floors * spec.units_per_floor) as usize;
        if n > 0 {
            let mut vals: Vec<Value> = Vec::with_capacity(n * 4);
            for f in 1..=spec.floors {
                for u in 1..=spec.units_per_floor {
                    vals.extend([eid.id.into(), format!("{f}{u:02}").into(), f.into(), spec.unit_area.centi().into()]);
                }
            }
            exec(
                c,
                &format!(
                    "INSERT INTO unit (entrance_id, number, floor, area_centi) VALUES {}",
                    placeholders(c.get_database_backend(), n, 4)
                ),
                vals,
            )
            .await?;
        }
    }
    let after = serde_json::json!({"name": spec.name, "floors": spec.floors, "entrances": spec.entrances,
        "units_per_floor": spec.units_per_floor, "unit_area": spec.unit_area.to_string()});
    audit(c, actor, "create", "building", bid.id, compound_id, None, Some(after)).await?;
    Ok((bid.id, Upsert::Added))
}

/// Record a dated fact unless the same one is already recorded; otherwise as `set_fact`.
pub async fn record_fact_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    effective: NaiveDate,
) -> Result<crate::structure::Upsert> {
    use crate::structure::Upsert;
    let same = scalar_i64(
        c,
        "SELECT COUNT(*) FROM compound_fact WHERE compound_id = $1 AND kind = $2 AND valid_from = $3 \
         AND COALESCE(value, '') = $4 AND COALESCE(ref_id, 0) = $5",
        vec![
            compound_id.into(),
            kind.as_str().into(),
            effective.into(),
            value.unwrap_or("").into(),
            ref_id.unwrap_or(0).into(),
        ],
    )
    .await?;
    if same > 0 {
        return Ok(Upsert::Unchanged);
    }
    set_fact_in(c, actor, compound_id, kind, value, ref_id, effective).await?;
    Ok(Upsert::Added)
}
