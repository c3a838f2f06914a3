//! Buildings, entrances and units: listing, creating, renaming, retiring, unit areas.

use super::*;

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
/// Units are counted entrance by entrance (a subquery per entrance, by the
/// unit's entrance index), not by a join of unit and entrance: without fresh
/// statistics — right after a bulk import, say — PostgreSQL planned the join
/// as a scan of every unit, 12 ms per building instead of 0.2 ms.
pub(super) const BUILDING_SELECT: &str = "SELECT b.id, b.compound_id, b.name, b.floors, b.retired_at, \
     (SELECT COUNT(*) FROM entrance e WHERE e.building_id = b.id) AS entrances, \
     (SELECT CAST(COALESCE(SUM((SELECT COUNT(*) FROM unit u WHERE u.entrance_id = e.id)), 0) AS BIGINT) \
      FROM entrance e WHERE e.building_id = b.id) AS units, \
     (SELECT CAST(COALESCE(SUM((SELECT SUM(CASE WHEN u.area_centi > 1000000 THEN 1000000 WHEN u.area_centi < 0 THEN 0 ELSE u.area_centi END) \
      FROM unit u WHERE u.entrance_id = e.id)), 0) AS BIGINT) FROM entrance e WHERE e.building_id = b.id) AS area_centi \
     FROM building b";

pub async fn buildings(db: &Db, compound_id: i64) -> Result<Vec<BuildingSummary>> {
    Ok(all(db.conn(), &format!("{BUILDING_SELECT} WHERE b.compound_id = $1 ORDER BY b.id"), vec![compound_id.into()])
        .await?)
}

pub async fn building(db: &Db, id: i64) -> Result<BuildingSummary> {
    building_in(db.conn(), id).await
}

pub(super) async fn building_in(c: &impl ConnectionTrait, id: i64) -> Result<BuildingSummary> {
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

/// A unit as a picker shows it: where it is, in words.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct UnitPick {
    pub id: i64,
    pub compound: String,
    pub building: String,
    pub entrance: String,
    pub number: String,
}

impl UnitPick {
    /// "东风小区 1号楼 1单元 301".
    pub fn words(&self) -> String {
        format!("{} {} {} {}", self.compound, self.building, self.entrance, self.number)
    }
}

const UNIT_PICK: &str = "SELECT u.id, c.name AS compound, b.name AS building, e.name AS entrance, u.number FROM unit u \
     JOIN entrance e ON e.id = u.entrance_id JOIN building b ON b.id = e.building_id JOIN compound c ON c.id = b.compound_id";

/// Units of compounds in `visible` whose compound name holds `compound`,
/// building name holds `building` and number starts with `number` (blank
/// parts match anything); at most `limit`.
pub async fn search_units(
    db: &Db,
    visible: &Visible,
    compound: &str,
    building: &str,
    number: &str,
    limit: u64,
) -> Result<Vec<UnitPick>> {
    let f = Filter { visible: visible.clone(), ..Default::default() };
    let (mut w, mut vals) = where_clause(&f);
    w.push_str(" AND b.retired_at IS NULL");
    for (col, v) in [("c.name", compound), ("b.name", building)] {
        if !v.trim().is_empty() {
            vals.push(crate::sql::like_contains(v.trim()).into());
            w.push_str(&format!(" AND {col} LIKE ${} ESCAPE '\\'", vals.len()));
        }
    }
    if !number.trim().is_empty() {
        vals.push(format!("{}%", number.trim().replace(['%', '_', '\\'], "")).into());
        w.push_str(&format!(" AND u.number LIKE ${}", vals.len()));
    }
    vals.push((limit.min(200) as i64).into());
    let sql = format!("{UNIT_PICK}{w} ORDER BY c.name, b.name, e.id, u.floor, u.number LIMIT ${}", vals.len());
    Ok(all(db.conn(), &sql, vals).await?)
}

/// One unit in words, whatever its compound.
pub async fn unit_pick(db: &Db, id: i64) -> Result<Option<UnitPick>> {
    Ok(one(db.conn(), &format!("{UNIT_PICK} WHERE u.id = $1"), vec![id.into()]).await?)
}
