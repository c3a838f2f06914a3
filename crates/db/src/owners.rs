//! Owners of units, dated: who holds each exclusive part on a day (one or
//! several co-owners, or the developer), the parts a vote is counted over,
//! and residents' claims to be an owner, verified by a community worker.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::vote::{AreaSource, ClaimState, Holder, OwnerKind, Part, UnitKind};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;

use crate::audit::Change;
use crate::sql::{Id, all, any_of, exec, in_subtree, insert_id, known, one, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Owner {
    pub id: i64,
    pub compound_id: i64,
    pub name: String,
    pub kind: OwnerKind,
    pub phone: Option<String>,
    pub id_tail: Option<String>,
    pub user_id: Option<i64>,
}

#[derive(FromQueryResult)]
struct OwnerRow {
    id: i64,
    compound_id: i64,
    name: String,
    kind: String,
    phone: Option<String>,
    id_tail: Option<String>,
    user_id: Option<i64>,
}

impl FromQueryResult for Owner {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = OwnerRow::from_query_result(res, pre)?;
        Ok(Owner {
            kind: known(&format!("owner {}", r.id), "kind", &r.kind, OwnerKind::find)?,
            id: r.id,
            compound_id: r.compound_id,
            name: r.name,
            phone: r.phone,
            id_tail: r.id_tail,
            user_id: r.user_id,
        })
    }
}

const OWNER_SELECT: &str = "SELECT id, compound_id, name, kind, phone, id_tail, user_id FROM owner";

pub async fn owner(db: &Db, id: i64) -> Result<Owner> {
    one(db.conn(), &format!("{OWNER_SELECT} WHERE id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// An owner holding a part on `$N` (the day), as SQL over `owner`'s `id`.
fn holds_on(n: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM ownership w WHERE w.owner_id = owner.id AND w.valid_from <= ${n} \
         AND (w.valid_to IS NULL OR w.valid_to > ${n}))"
    )
}

/// The owner records an account is bound to in one compound that hold a
/// part today (an owner who sold is an owner no more).
pub async fn owners_of_user(db: &Db, user_id: i64, compound_id: i64) -> Result<Vec<Owner>> {
    Ok(all(
        db.conn(),
        &format!("{OWNER_SELECT} WHERE user_id = $1 AND compound_id = $2 AND {} ORDER BY id", holds_on(3)),
        vec![user_id.into(), compound_id.into(), domain::clock::today().into()],
    )
    .await?)
}

/// The compounds where an account is bound to an owner record.
pub async fn compounds_of_user(db: &Db, user_id: i64) -> Result<Vec<i64>> {
    #[derive(FromQueryResult)]
    struct R {
        compound_id: i64,
    }
    let rows: Vec<R> = all(
        db.conn(),
        &format!("SELECT DISTINCT compound_id FROM owner WHERE user_id = $1 AND {} ORDER BY compound_id", holds_on(2)),
        vec![user_id.into(), domain::clock::today().into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.compound_id).collect())
}

/// One exclusive part and who holds it on a day.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Holding {
    pub unit_id: i64,
    pub building_id: i64,
    pub building: String,
    pub entrance: String,
    pub number: String,
    pub kind: UnitKind,
    pub area_centi: i64,
    pub area_source: AreaSource,
    /// The owners on the day; empty when none is recorded (counted as the developer's).
    pub owners: Vec<(i64, String, OwnerKind)>,
}

/// The part named as on a ballot or the roll (`1号楼 1单元 301`, or `301`
/// when only one part has that number), among `parts`.
pub fn pick<'a>(parts: &'a [Holding], label: &str) -> std::result::Result<&'a Holding, domain::Invalid> {
    let want: String = label.split_whitespace().collect::<Vec<_>>().join(" ");
    let exact: Vec<&Holding> = parts.iter().filter(|h| h.label() == want).collect();
    let by_number: Vec<&Holding> = parts.iter().filter(|h| h.number == want).collect();
    match (exact.as_slice(), by_number.as_slice()) {
        ([h], _) | ([], [h]) => Ok(h),
        ([], []) => {
            Err(domain::Invalid::new("unit", format!("no unit {want:?} here")).zh(format!("此处没有房屋“{want}”")))
        }
        _ => Err(domain::Invalid::new("unit", "several units have that number: give building and entrance too")
            .zh("多个房屋同号，请写明楼栋和单元，如“1号楼 1单元 301”")),
    }
}

impl Holding {
    /// `1号楼 1单元 301`
    pub fn label(&self) -> String {
        format!("{} {} {}", self.building, self.entrance, self.number)
    }

    /// Who holds it for a count: a part with no recorded owner, or the
    /// developer's, is the developer's (unsold or undelivered).
    pub fn holder(&self) -> Holder {
        if self.owners.is_empty() || self.owners.iter().any(|o| o.2 == OwnerKind::Developer) {
            Holder::Developer
        } else {
            Holder::Owners(self.owners.iter().map(|o| o.0).collect())
        }
    }

    pub fn part(&self) -> Part {
        Part { id: self.unit_id, area: self.area_centi, holder: self.holder() }
    }
}

/// The parts of a compound (or of some of its buildings) on `on`, with their
/// owners; retired buildings are left out.
pub async fn holdings(db: &Db, compound_id: i64, buildings: &[i64], on: NaiveDate) -> Result<Vec<Holding>> {
    #[derive(FromQueryResult)]
    struct Row {
        unit_id: i64,
        building_id: i64,
        building: String,
        entrance: String,
        number: String,
        kind: String,
        area_centi: i64,
        area_source: String,
        owner_id: Option<i64>,
        owner_name: Option<String>,
        owner_kind: Option<String>,
    }
    let within = if buildings.is_empty() {
        String::new()
    } else {
        format!(" AND b.id IN ({})", buildings.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(","))
    };
    let rows: Vec<Row> = all(
        db.conn(),
        &format!(
            "SELECT u.id AS unit_id, b.id AS building_id, b.name AS building, e.name AS entrance, u.number, u.kind, \
             u.area_centi, u.area_source, o.id AS owner_id, o.name AS owner_name, o.kind AS owner_kind \
             FROM unit u JOIN entrance e ON e.id = u.entrance_id JOIN building b ON b.id = e.building_id \
             LEFT JOIN ownership w ON w.unit_id = u.id AND w.valid_from <= $2 AND (w.valid_to IS NULL OR w.valid_to > $2) \
             LEFT JOIN owner o ON o.id = w.owner_id \
             WHERE b.compound_id = $1 AND b.retired_at IS NULL{within} \
             ORDER BY b.id, e.id, u.floor, u.number, u.id, o.id"
        ),
        vec![compound_id.into(), on.into()],
    )
    .await?;
    let mut out: Vec<Holding> = Vec::new();
    for r in rows {
        let label = format!("unit {}", r.unit_id);
        if out.last().is_none_or(|h| h.unit_id != r.unit_id) {
            out.push(Holding {
                unit_id: r.unit_id,
                building_id: r.building_id,
                building: r.building,
                entrance: r.entrance,
                number: r.number,
                kind: known(&label, "kind", &r.kind, UnitKind::find)?,
                area_centi: r.area_centi,
                area_source: known(&label, "area_source", &r.area_source, AreaSource::find)?,
                owners: Vec::new(),
            });
        }
        if let (Some(id), Some(name), Some(kind)) = (r.owner_id, r.owner_name, r.owner_kind) {
            let kind = known(&label, "owner kind", &kind, OwnerKind::find)?;
            out.last_mut().expect("pushed above").owners.push((id, name, kind));
        }
    }
    Ok(out)
}

/// An owner as recorded for a unit.
#[derive(Debug, Clone)]
pub struct NewOwner {
    pub name: String,
    pub kind: OwnerKind,
    pub phone: Option<String>,
    pub id_tail: Option<String>,
}

/// The owner record to use for `o` in a compound: the same name and
/// document tail (or the compound's developer) if recorded, else a new one.
async fn owner_for(c: &impl ConnectionTrait, compound_id: i64, o: &NewOwner, now: DateTime<Utc>) -> Result<i64> {
    let name = domain::vote::owner_name(&o.name)?;
    let tail = o.id_tail.as_deref().map(domain::vote::id_tail).transpose()?;
    #[derive(FromQueryResult)]
    struct R {
        id: i64,
    }
    let found: Option<R> = if o.kind == OwnerKind::Developer {
        one(
            c,
            "SELECT id FROM owner WHERE compound_id = $1 AND kind = 'developer' ORDER BY id LIMIT 1",
            vec![compound_id.into()],
        )
        .await?
    } else {
        one(
            c,
            "SELECT id FROM owner WHERE compound_id = $1 AND name = $2 AND kind <> 'developer' \
             AND (id_tail = $3 OR (id_tail IS NULL AND $3 IS NULL)) ORDER BY id LIMIT 1",
            vec![compound_id.into(), name.into(), tail.clone().into()],
        )
        .await?
    };
    if let Some(r) = found {
        if let Some(p) = &o.phone {
            exec(c, "UPDATE owner SET phone = $1 WHERE id = $2 AND phone IS NULL", vec![p.clone().into(), r.id.into()])
                .await?;
        }
        return Ok(r.id);
    }
    let id = insert_id(
        c,
        "INSERT INTO owner (compound_id, name, kind, phone, id_tail, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        vec![compound_id.into(), name.into(), o.kind.as_str().into(), o.phone.clone().into(), tail.into(), now.into()],
    )
    .await?;
    Ok(id)
}

/// Record who owns a unit from `since`: the previous owners' holding ends
/// that day, the new owners' begins (co-owners together). A record dated
/// before the unit's latest change is refused: history is added in order.
pub async fn record_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    unit_id: i64,
    owners: &[NewOwner],
    since: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if owners.is_empty() || owners.len() > 20 {
        return Err(domain::Invalid::new("owners", "1–20 owners per unit").zh("每户业主 1–20 人").into());
    }
    if owners.iter().any(|o| o.kind == OwnerKind::Developer) && owners.len() > 1 {
        return Err(domain::Invalid::new("owners", "the developer holds a unit alone")
            .zh("开发建设单位持有的房屋不能与他人共有")
            .into());
    }
    let in_compound = scalar_i64(
        c,
        "SELECT COUNT(*) FROM unit u JOIN entrance e ON e.id = u.entrance_id JOIN building b ON b.id = e.building_id \
         WHERE u.id = $1 AND b.compound_id = $2",
        vec![unit_id.into(), compound_id.into()],
    )
    .await?;
    if in_compound == 0 {
        return Err(DbError::NotFound);
    }
    let later = scalar_i64(
        c,
        "SELECT COUNT(*) FROM ownership WHERE unit_id = $1 AND valid_from > $2",
        vec![unit_id.into(), since.into()],
    )
    .await?;
    if later > 0 {
        return Err(domain::Invalid::new("since", "the unit's ownership changed after this date already")
            .zh("该房屋在此日期之后已有产权变更记录")
            .into());
    }
    // The owners a vote counts are those of the day it opened: history up to
    // that day is fixed once it has opened, so a published count stays true.
    let frozen = scalar_i64(
        c,
        "SELECT COUNT(*) FROM vote WHERE compound_id = $1 AND state <> 'cancelled' AND opens_on >= $2 AND opens_on <= $3",
        vec![compound_id.into(), since.into(), domain::clock::china_date(now).into()],
    )
    .await?;
    if frozen > 0 {
        return Err(domain::Invalid::new("since", "a vote has opened since that day: its owners are fixed")
            .zh("该日期之后已有业主表决开始投票，表决时的业主名册不能再改动")
            .into());
    }
    let mut ids = Vec::new();
    for o in owners {
        let id = owner_for(c, compound_id, o, now).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    exec(
        c,
        "UPDATE ownership SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL AND valid_from < $1",
        vec![since.into(), unit_id.into()],
    )
    .await?;
    // Owners recorded on the same day replace that day's record.
    exec(c, "DELETE FROM ownership WHERE unit_id = $1 AND valid_from = $2", vec![unit_id.into(), since.into()]).await?;
    for id in &ids {
        exec(
            c,
            "INSERT INTO ownership (unit_id, owner_id, valid_from) VALUES ($1,$2,$3)",
            vec![unit_id.into(), (*id).into(), since.into()],
        )
        .await?;
    }
    let path = compound_path(c, compound_id).await?;
    Change::new("record", "ownership", unit_id, Some(path))
        .after(serde_json::json!({"owners": ids, "since": since}))
        .append_in(c, actor)
        .await?;
    Ok(ids)
}

pub async fn record(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    unit_id: i64,
    owners: &[NewOwner],
    since: NaiveDate,
) -> Result<Vec<i64>> {
    let tx = db.begin_write().await?;
    let ids = record_in(&*tx, actor, compound_id, unit_id, owners, since, Utc::now()).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Set where a unit's area comes from, and its kind; an area from a weaker
/// source never replaces one from a stronger (SPC art. 8's order).
pub async fn set_unit_area_in(
    c: &impl ConnectionTrait,
    unit_id: i64,
    area_centi: i64,
    source: AreaSource,
    kind: UnitKind,
) -> Result<()> {
    if !(1..=100_000_000).contains(&area_centi) {
        return Err(domain::Invalid::new("area", "an area between 0.01 and 1,000,000 m²")
            .zh("面积须在 0.01–1000000 平方米之间")
            .into());
    }
    #[derive(FromQueryResult)]
    struct R {
        area_source: String,
    }
    let r: R =
        one(c, "SELECT area_source FROM unit WHERE id = $1", vec![unit_id.into()]).await?.ok_or(DbError::NotFound)?;
    let was = AreaSource::find(&r.area_source).unwrap_or(AreaSource::Contract);
    // AreaSource::ALL is in the order the law prefers: a lower index is stronger.
    let rank = |s: AreaSource| AreaSource::ALL.iter().position(|x| *x == s).unwrap_or(usize::MAX);
    if rank(source) <= rank(was) {
        exec(
            c,
            "UPDATE unit SET area_centi = $1, area_source = $2 WHERE id = $3",
            vec![area_centi.into(), source.as_str().into(), unit_id.into()],
        )
        .await?;
    }
    exec(c, "UPDATE unit SET kind = $1 WHERE id = $2", vec![kind.as_str().into(), unit_id.into()]).await?;
    Ok(())
}

/// A unit of a building by its entrance (`1`, `1单元`; empty when the number
/// is unique in the building) and number.
pub async fn find_unit_in(c: &impl ConnectionTrait, building_id: i64, entrance: &str, number: &str) -> Result<i64> {
    let number = number.trim();
    let entrance = entrance.trim();
    let mut vals: Vec<sea_orm::Value> = vec![building_id.into(), number.into()];
    let mut sql =
        "SELECT u.id FROM unit u JOIN entrance e ON e.id = u.entrance_id WHERE e.building_id = $1 AND u.number = $2"
            .to_owned();
    if !entrance.is_empty() {
        let name = if entrance.bytes().all(|b| b.is_ascii_digit()) {
            format!("{}单元", entrance.trim_start_matches('0'))
        } else {
            entrance.to_owned()
        };
        vals.push(name.into());
        sql.push_str(" AND e.name = $3");
    }
    let found: Vec<Id> = all(c, &format!("{sql} LIMIT 2"), vals).await?;
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(domain::Invalid::new("number", format!("no unit {number} in that building or entrance"))
            .zh(format!("该楼栋（单元）没有房号 {number}"))
            .into()),
        _ => Err(domain::Invalid::new("number", format!("several entrances have a unit {number}: name the entrance"))
            .zh(format!("多个单元都有房号 {number}，请填写单元"))
            .into()),
    }
}

pub(crate) async fn compound_path(c: &impl ConnectionTrait, compound_id: i64) -> Result<String> {
    #[derive(FromQueryResult)]
    struct R {
        region_path: String,
    }
    let r: R = one(c, "SELECT region_path FROM compound WHERE id = $1", vec![compound_id.into()])
        .await?
        .ok_or(DbError::NotFound)?;
    Ok(r.region_path)
}

/// A compound's owners with the units they hold today, for its owners page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OwnerUnits {
    pub owner: Owner,
    pub units: Vec<String>,
    pub area_centi: i64,
}

pub async fn roll(db: &Db, compound_id: i64, on: NaiveDate) -> Result<(Vec<OwnerUnits>, Vec<Holding>)> {
    let holdings = holdings(db, compound_id, &[], on).await?;
    let owners: Vec<Owner> =
        all(db.conn(), &format!("{OWNER_SELECT} WHERE compound_id = $1 ORDER BY name, id"), vec![compound_id.into()])
            .await?;
    let mut by: BTreeMap<i64, (Vec<String>, i64)> = BTreeMap::new();
    for h in &holdings {
        for o in &h.owners {
            let e = by.entry(o.0).or_default();
            e.0.push(h.label());
            e.1 += h.area_centi;
        }
    }
    let roll = owners
        .into_iter()
        .filter_map(|o| by.remove(&o.id).map(|(units, area_centi)| OwnerUnits { owner: o, units, area_centi }))
        .collect();
    Ok((roll, holdings))
}

/// A resident's claim to be an owner of their unit.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Claim {
    pub id: i64,
    pub user_id: i64,
    pub login: String,
    pub unit_id: i64,
    /// `1号楼 1单元 101`
    pub unit_label: String,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub name: String,
    pub id_tail: String,
    pub note: String,
    pub state: ClaimState,
    pub owner_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct ClaimRow {
    id: i64,
    user_id: i64,
    login: String,
    unit_id: i64,
    unit_label: String,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    name: String,
    id_tail: String,
    note: String,
    state: String,
    owner_id: Option<i64>,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    reason: String,
    created_at: DateTime<Utc>,
}

impl FromQueryResult for Claim {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = ClaimRow::from_query_result(res, pre)?;
        Ok(Claim {
            state: known(&format!("owner claim {}", r.id), "state", &r.state, ClaimState::find)?,
            id: r.id,
            user_id: r.user_id,
            login: r.login,
            unit_id: r.unit_id,
            unit_label: r.unit_label,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            name: r.name,
            id_tail: r.id_tail,
            note: r.note,
            owner_id: r.owner_id,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            reason: r.reason,
            created_at: r.created_at,
        })
    }
}

const CLAIM_SELECT: &str = "SELECT k.id, k.user_id, a.login, k.unit_id, \
     b.name || ' ' || e.name || ' ' || u.number AS unit_label, k.compound_id, c.name AS compound_name, \
     k.region_path, k.name, k.id_tail, k.note, k.state, k.owner_id, k.decided_by, k.decided_at, k.reason, k.created_at \
     FROM owner_claim k JOIN app_user a ON a.id = k.user_id JOIN compound c ON c.id = k.compound_id \
     JOIN unit u ON u.id = k.unit_id JOIN entrance e ON e.id = u.entrance_id JOIN building b ON b.id = e.building_id";

/// File a claim (one pending per account and unit).
#[allow(clippy::too_many_arguments)]
pub async fn claim(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    unit_id: i64,
    compound_id: i64,
    name: &str,
    id_tail: &str,
    note: &str,
) -> Result<Claim> {
    let name = domain::vote::owner_name(name)?;
    let tail = domain::vote::id_tail(id_tail)?;
    let note = domain::rectify::text("note", note, 500, false)?;
    let tx = db.begin_write_in_scope().await?;
    let pending = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM owner_claim WHERE user_id = $1 AND unit_id = $2 AND state = $3",
        vec![user_id.into(), unit_id.into(), ClaimState::Pending.as_str().into()],
    )
    .await?;
    if pending > 0 {
        return Err(DbError::Conflict("a claim for this unit is already waiting to be verified".into()));
    }
    let bound = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM owner o JOIN ownership w ON w.owner_id = o.id WHERE o.user_id = $1 AND w.unit_id = $2 \
         AND w.valid_to IS NULL",
        vec![user_id.into(), unit_id.into()],
    )
    .await?;
    if bound > 0 {
        return Err(DbError::Conflict("you are a verified owner of this unit already".into()));
    }
    let path = compound_path(&*tx, compound_id).await?;
    let id = insert_id(
        &*tx,
        "INSERT INTO owner_claim (user_id, unit_id, compound_id, region_path, name, id_tail, note, state, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
        vec![
            user_id.into(),
            unit_id.into(),
            compound_id.into(),
            path.clone().into(),
            name.into(),
            tail.into(),
            note.into(),
            ClaimState::Pending.as_str().into(),
            Utc::now().into(),
        ],
    )
    .await?;
    Change::new("claim", "owner_claim", id, Some(path))
        .after(serde_json::json!({"unit_id": unit_id}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    get_claim(db, id).await
}

pub async fn get_claim(db: &Db, id: i64) -> Result<Claim> {
    one(db.conn(), &format!("{CLAIM_SELECT} WHERE k.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// Claims within the subtrees (None: all), pending first; or an account's own.
pub async fn claims(db: &Db, paths: Option<&[String]>, user_id: Option<i64>) -> Result<Vec<Claim>> {
    let mut conds = Vec::new();
    let mut vals: Vec<sea_orm::Value> = Vec::new();
    if let Some(paths) = paths {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let ors = paths
            .iter()
            .map(|p| in_subtree("k.region_path", &domain::RegionPath::from_stored(p.clone()), &mut vals))
            .collect();
        conds.push(any_of(ors));
    }
    if let Some(u) = user_id {
        vals.push(u.into());
        conds.push(format!("k.user_id = ${}", vals.len()));
    }
    let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    Ok(all(
        db.conn(),
        &format!(
            "{CLAIM_SELECT}{filter} ORDER BY CASE WHEN k.state = '{}' THEN 0 ELSE 1 END, k.id DESC LIMIT 200",
            ClaimState::Pending.as_str()
        ),
        vals,
    )
    .await?)
}

/// Verify a claim by binding the account to an owner record of the unit, or
/// reject it with a reason.
pub async fn decide_claim(db: &Db, actor: &Actor, id: i64, owner_id: Option<i64>, reason: &str) -> Result<Claim> {
    let reason = domain::rectify::text("reason", reason, 500, false)?;
    if owner_id.is_none() && reason.is_empty() {
        return Err(domain::Invalid::new("reason", "a rejection needs its reason").zh("驳回须说明理由").into());
    }
    let tx = db.begin_write().await?;
    let k: Claim =
        one(&*tx, &format!("{CLAIM_SELECT} WHERE k.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)?;
    let decided = || DbError::Conflict("the claim was decided already".into());
    if !k.state.awaits_decision() {
        return Err(decided());
    }
    if let Some(oid) = owner_id {
        let today = domain::clock::today();
        let holds = scalar_i64(
            &*tx,
            "SELECT COUNT(*) FROM ownership w JOIN owner o ON o.id = w.owner_id WHERE w.unit_id = $1 AND w.owner_id = $2 \
             AND o.kind <> 'developer' AND w.valid_from <= $3 AND (w.valid_to IS NULL OR w.valid_to > $3)",
            vec![k.unit_id.into(), oid.into(), today.into()],
        )
        .await?;
        if holds == 0 {
            return Err(domain::Invalid::new("owner_id", "that owner does not hold the claimed unit today")
                .zh("该业主目前不持有所申报的房屋")
                .into());
        }
        let bound = exec(
            &*tx,
            "UPDATE owner SET user_id = $1 WHERE id = $2 AND (user_id IS NULL OR user_id = $1)",
            vec![k.user_id.into(), oid.into()],
        )
        .await?;
        if bound.rows_affected() != 1 {
            return Err(DbError::Conflict("that owner record is bound to another account already".into()));
        }
    }
    let state = if owner_id.is_some() { ClaimState::Verified } else { ClaimState::Rejected };
    // Only a claim still pending is decided: of two deciding at once, the second finds it decided.
    let n = exec(
        &*tx,
        "UPDATE owner_claim SET state = $1, owner_id = $2, decided_by = $3, decided_at = $4, reason = $5 \
         WHERE id = $6 AND state = $7",
        vec![
            state.as_str().into(),
            owner_id.into(),
            actor.login.clone().into(),
            Utc::now().into(),
            reason.into(),
            id.into(),
            ClaimState::Pending.as_str().into(),
        ],
    )
    .await?;
    if n.rows_affected() != 1 {
        return Err(decided());
    }
    Change::new(state.as_str(), "owner_claim", id, Some(k.region_path.clone()))
        .before(serde_json::json!({"state": ClaimState::Pending}))
        .after(serde_json::json!({"state": state, "owner_id": owner_id, "reason": reason}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    get_claim(db, id).await
}
