//! Finding a compound by where it is: the points near a reported one, the
//! names and addresses a typed address may mean. The store gives a first
//! cut; the domain (`domain::geo`) decides.

use super::*;

/// Compounds inside `f` (its visibility, not retired) whose point lies in the
/// box of micro-degrees `lat` × `lng` (see `GeoPoint::box_around`).
pub async fn located_in_box(
    db: &Db,
    f: &Filter,
    near: GeoPoint,
    lat: (i32, i32),
    lng: (i32, i32),
) -> Result<Vec<(i64, GeoPoint)>> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        lat_e6: Option<i64>,
        lng_e6: Option<i64>,
    }
    let (w, mut vals) = where_clause(f);
    let n = vals.len();
    // Nearest first (a flat approximation in integers, longitude scaled by the
    // latitude's cosine in thousandths), so the cut keeps the closest.
    let cos = (near.lat().to_radians().cos() * 1000.0).round() as i64;
    vals.extend([
        lat.0.into(),
        lat.1.into(),
        lng.0.into(),
        lng.1.into(),
        i64::from(near.lat_e6).into(),
        i64::from(near.lng_e6).into(),
    ]);
    let and = if w.is_empty() { " WHERE" } else { " AND" };
    let sql = format!(
        "SELECT c.id, c.lat_e6, c.lng_e6 FROM compound c{w}{and} c.lat_e6 BETWEEN ${} AND ${} \
         AND c.lng_e6 BETWEEN ${} AND ${} \
         ORDER BY ((c.lat_e6 - ${p}) * 1000) * ((c.lat_e6 - ${p}) * 1000) \
         + ((c.lng_e6 - ${q}) * {cos}) * ((c.lng_e6 - ${q}) * {cos}), c.id LIMIT 500",
        n + 1,
        n + 2,
        n + 3,
        n + 4,
        p = n + 5,
        q = n + 6
    );
    let rows: Vec<Row> = all(db.conn(), &sql, vals).await?;
    Ok(rows.into_iter().filter_map(|r| Some((r.id, GeoPoint::from_stored(r.lat_e6, r.lng_e6)?))).collect())
}

/// A compound that might be what someone typed: its id, name and address.
#[derive(Debug, Clone, FromQueryResult)]
pub struct NamedPlace {
    pub id: i64,
    pub name: String,
    pub address: String,
}

/// Compounds inside `f` whose name or address holds `typed`, or whose name
/// `typed` holds (spaces ignored, letters without case): at most 50, an
/// exact name first, then the longest names (the domain's order of preference).
pub async fn address_candidates(db: &Db, f: &Filter, typed: &str) -> Result<Vec<NamedPlace>> {
    let t: String = typed.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    if t.chars().count() < 2 {
        return Ok(vec![]);
    }
    let (w, mut vals) = where_clause(f);
    let n = vals.len();
    vals.push(crate::sql::like_contains(&t).into());
    vals.push(t.into());
    let and = if w.is_empty() { " WHERE" } else { " AND" };
    // The last test over-approximates where a name holds % or _: the domain decides.
    let sql = format!(
        "SELECT c.id, c.name, c.address FROM compound c{w}{and} \
         (REPLACE(LOWER(c.name), ' ', '') LIKE ${a} ESCAPE '\\' OR REPLACE(LOWER(c.address), ' ', '') LIKE ${a} ESCAPE '\\' \
         OR ${b} LIKE '%' || REPLACE(LOWER(c.name), ' ', '') || '%') \
         ORDER BY CASE WHEN REPLACE(LOWER(c.name), ' ', '') = ${b} THEN 0 ELSE 1 END, LENGTH(c.name) DESC, c.id LIMIT 50",
        a = n + 1,
        b = n + 2
    );
    Ok(all(db.conn(), &sql, vals).await?)
}
