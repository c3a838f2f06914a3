//! Building blocks for registry imports: finding and upserting by natural key inside the caller's transaction.

use super::*;

/// A compound's columns from `region_code` to `lng_e6`, in table order.
pub(super) fn compound_values(d: &CompoundDraft, region_path: &str) -> Vec<Value> {
    vec![
        d.region.as_str().into(),
        d.region.as_str()[..12].to_owned().into(),
        region_path.into(),
        d.name.clone().into(),
        d.address.clone().into(),
        d.year_built.into(),
        d.is_old.unwrap_or(false).into(),
        d.households.unwrap_or(0).into(),
        d.floor_area.map_or(0, |a| a.centi()).into(),
        d.unrecorded().into(),
        d.location.map(|p| p.lat_e6).into(),
        d.location.map(|p| p.lng_e6).into(),
    ]
}

/// Insert a compound row; its id.
pub(super) async fn insert_in(c: &impl ConnectionTrait, d: &CompoundDraft, region_path: &str) -> Result<i64, DbErr> {
    let now = Utc::now();
    insert_id(
        c,
        "INSERT INTO compound (region_code, community_code, region_path, name, address, year_built, is_old, households, \
         floor_area_centi, unrecorded, lat_e6, lng_e6, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13) RETURNING id",
        {
            let mut v = compound_values(d, region_path);
            v.push(now.into());
            v
        },
    )
    .await
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
                && x.floor_area_centi == d.floor_area.map(|a| a.centi())
                && (d.location.is_none() || x.location() == d.location) =>
        {
            Ok((x.id, Upsert::Unchanged))
        }
        Some(x) => {
            exec(
                c,
                "UPDATE compound SET region_code=$1, region_path=$2, address=$3, year_built=$4, is_old=$5, households=$6, \
                 floor_area_centi=$7, unrecorded=$8, updated_at=$9, lat_e6=COALESCE($11, lat_e6), \
                 lng_e6=COALESCE($12, lng_e6) WHERE id=$10",
                vec![
                    d.region.as_str().into(),
                    region_path.into(),
                    d.address.clone().into(),
                    d.year_built.into(),
                    d.is_old.unwrap_or(false).into(),
                    d.households.unwrap_or(0).into(),
                    d.floor_area.map_or(0, |a| a.centi()).into(),
                    d.unrecorded().into(),
                    Utc::now().into(),
                    x.id.into(),
                    // A sheet without a point leaves the recorded one.
                    d.location.map(|p| p.lat_e6).into(),
                    d.location.map(|p| p.lng_e6).into(),
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

/// An entrance (单元) of a building by its name; a bare number `2` is the
/// entrance `2单元`, as buildings are laid out.
pub async fn find_entrance_in(c: &impl ConnectionTrait, building_id: i64, name: &str) -> Result<Option<i64>> {
    let name = name.trim();
    let name = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}单元", name.trim_start_matches('0'))
    } else {
        name.to_owned()
    };
    let found: Option<Id> =
        one(c, "SELECT id FROM entrance WHERE building_id = $1 AND name = $2", vec![building_id.into(), name.into()])
            .await?;
    Ok(found.map(|f| f.id))
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
    let bid = insert_id(
        c,
        "INSERT INTO building (compound_id, name, floors) VALUES ($1,$2,$3) RETURNING id",
        vec![compound_id.into(), spec.name.clone().into(), spec.floors.into()],
    )
    .await?;
    for e in 1..=spec.entrances {
        let eid = insert_id(
            c,
            "INSERT INTO entrance (building_id, name) VALUES ($1,$2) RETURNING id",
            vec![bid.into(), format!("{e}单元").into()],
        )
        .await?;
        let n = (spec.floors * spec.units_per_floor) as usize;
        if n > 0 {
            let mut vals: Vec<Value> = Vec::with_capacity(n * 4);
            for f in 1..=spec.floors {
                for u in 1..=spec.units_per_floor {
                    vals.extend([eid.into(), format!("{f}{u:02}").into(), f.into(), spec.unit_area.centi().into()]);
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
    audit(c, actor, "create", "building", bid, compound_id, None, Some(after)).await?;
    Ok((bid, Upsert::Added))
}

/// The fact an organisation's own row implies (a compound branch from its
/// establishment, a committee from its term's start), recorded only when the
/// compound has no fact of that kind at all: history rows, where given, say
/// more and win. Whether it was recorded.
pub async fn imply_fact_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    org_id: i64,
    from: NaiveDate,
) -> Result<bool> {
    let any = scalar_i64(
        c,
        "SELECT COUNT(*) FROM compound_fact WHERE compound_id = $1 AND kind = $2",
        vec![compound_id.into(), kind.as_str().into()],
    )
    .await?;
    if any > 0 {
        return Ok(false);
    }
    set_fact_in(c, actor, compound_id, kind, None, Some(org_id), from).await?;
    Ok(true)
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
