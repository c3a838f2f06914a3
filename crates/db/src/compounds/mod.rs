//! Compounds, their buildings, entrances and units, and their dated facts.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::compound::{CompoundDraft, CompoundPatch};
use domain::history::{FactKind, check_succession};
use domain::{Area, GeoPoint, Paging, RegionPath, ServiceModel};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, SqlErr, Value};
use serde::Serialize;

use crate::audit::Change;
use crate::sql::Id;
use crate::sql::{all, exec, insert_id, like_contains, one, page_of, placeholders, scalar_i64};
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
    /// Not recorded: `None` (never read as "no" or 0).
    pub is_old: Option<bool>,
    pub households: Option<i32>,
    pub floor_area_centi: Option<i64>,
    /// The service model in force now (the open interval), if any was set.
    pub service_model: Option<String>,
    /// Its point on the map in micro-degrees (see `location`).
    pub lat_e6: Option<i64>,
    pub lng_e6: Option<i64>,
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Compound {
    /// The keys of the facts not recorded (as the store lists them).
    fn unrecorded(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.is_old.is_none() {
            v.push("is_old");
        }
        if self.households.is_none() {
            v.push("households");
        }
        if self.floor_area_centi.is_none() {
            v.push("floor_area");
        }
        v
    }

    pub fn floor_area(&self) -> Option<Area> {
        self.floor_area_centi.map(Area::from_centi)
    }

    /// Its point on the map (WGS-84), where recorded.
    pub fn location(&self) -> Option<GeoPoint> {
        GeoPoint::from_stored(self.lat_e6, self.lng_e6)
    }
}

const SELECT: &str = "SELECT c.id, c.region_code, c.community_code, c.region_path, r.name AS region_name, c.name, c.address, \
     c.year_built, CASE WHEN c.unrecorded LIKE '%is_old%' THEN NULL ELSE c.is_old END AS is_old, \
     CASE WHEN c.unrecorded LIKE '%households%' THEN NULL ELSE c.households END AS households, \
     CASE WHEN c.unrecorded LIKE '%floor_area%' THEN NULL ELSE c.floor_area_centi END AS floor_area_centi, \
     (SELECT f.value FROM compound_fact f WHERE f.compound_id = c.id AND f.kind = 'service_model' AND f.valid_to IS NULL) AS service_model, \
     c.lat_e6, c.lng_e6, c.retired_at, c.created_at, c.updated_at \
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
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub within: Option<RegionPath>,
    pub visible: Visible,
    pub name: Option<String>,
    pub include_retired: bool,
    pub order: Option<domain::compound::CompoundOrder>,
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
    use domain::compound::CompoundOrder as O;
    let order = match f.order.unwrap_or(O::Place) {
        O::Place => "c.region_path, c.name, c.id",
        O::Name => "c.name, c.id",
        O::Households => "c.households DESC, c.id",
        // Unknown years last on both backends.
        O::Built => "c.year_built IS NULL, c.year_built DESC, c.id",
    };
    Ok(page_of(db.conn(), SELECT, "compound c", &w, order, vals, page).await?)
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
    Change::new(action, entity, entity_id, p.map(|p| p.region_path))
        .before(before)
        .after(after)
        .append_in(c, actor)
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
    // A fact made unknown keeps a placeholder in its column and is listed as not recorded.
    let mut unrecorded: Vec<&str> = before.unrecorded();
    let mut mark = |key: &'static str, known: bool| {
        unrecorded.retain(|k| *k != key);
        if !known {
            unrecorded.push(key);
        }
    };
    if let Some(o) = p.is_old {
        set("is_old", o.unwrap_or(false).into());
        mark("is_old", o.is_some());
    }
    if let Some(h) = p.households {
        set("households", h.unwrap_or(0).into());
        mark("households", h.is_some());
    }
    if let Some(a) = p.floor_area {
        set("floor_area_centi", a.map_or(0, |a| a.centi()).into());
        mark("floor_area", a.is_some());
    }
    if let Some(l) = p.location {
        set("lat_e6", l.map(|p| p.lat_e6).into());
        set("lng_e6", l.map(|p| p.lng_e6).into());
    }
    let unrecorded = (!unrecorded.is_empty()).then(|| unrecorded.join(","));
    set("unrecorded", unrecorded.into());
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

mod buildings;
pub mod bulk;
mod facts;
mod import;
mod place;

pub use buildings::*;
pub use facts::*;
pub use import::*;
pub use place::*;
