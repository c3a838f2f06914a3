//! What a client sent beside a report (Open311): the point it was reported
//! at and a link to its media. The link is kept as given and never fetched.

use std::collections::HashMap;

use domain::GeoPoint;

use super::*;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extra {
    pub point: Option<GeoPoint>,
    pub media_url: Option<String>,
}

/// Keep what the client sent with report `id` (nothing when there is nothing).
pub async fn put_extra(db: &Db, id: i64, x: &Extra) -> Result<()> {
    if *x == Extra::default() {
        return Ok(());
    }
    let tx = db.begin_write().await?;
    exec(
        &*tx,
        "INSERT INTO problem_extra (problem_id, lat_e6, lng_e6, media_url) VALUES ($1,$2,$3,$4)",
        vec![id.into(), x.point.map(|p| p.lat_e6).into(), x.point.map(|p| p.lng_e6).into(), x.media_url.clone().into()],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn ids_sql(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// What was sent beside each of these reports, by id (only those with something).
pub async fn extras(db: &Db, ids: &[i64]) -> Result<HashMap<i64, Extra>> {
    #[derive(FromQueryResult)]
    struct Row {
        problem_id: i64,
        lat_e6: Option<i64>,
        lng_e6: Option<i64>,
        media_url: Option<String>,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Ids are numbers the server read back, never text from the request.
    let sql = format!(
        "SELECT problem_id, lat_e6, lng_e6, media_url FROM problem_extra WHERE problem_id IN ({})",
        ids_sql(ids)
    );
    let rows: Vec<Row> = all(db.conn(), &sql, vec![]).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.problem_id, Extra { point: GeoPoint::from_stored(r.lat_e6, r.lng_e6), media_url: r.media_url }))
        .collect())
}

/// The first photo (its hash) of each of these reports that has one.
pub async fn first_photos(db: &Db, ids: &[i64]) -> Result<HashMap<i64, String>> {
    #[derive(FromQueryResult)]
    struct Row {
        problem_id: i64,
        sha256: String,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT problem_id, sha256 FROM problem_photo WHERE id IN \
         (SELECT MIN(id) FROM problem_photo WHERE problem_id IN ({}) GROUP BY problem_id)",
        ids_sql(ids)
    );
    let rows: Vec<Row> = all(db.conn(), &sql, vec![]).await?;
    Ok(rows.into_iter().map(|r| (r.problem_id, r.sha256)).collect())
}

/// Where a report lies and who answers for it, as Open311 shows them.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The company handling it, else its community.
    pub agency: String,
    /// The compound's point, where recorded.
    pub compound_point: Option<GeoPoint>,
}

/// `Placed` for each of these reports, by id.
pub async fn placed(db: &Db, ids: &[i64]) -> Result<HashMap<i64, Placed>> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        org_name: Option<String>,
        community_name: String,
        lat_e6: Option<i64>,
        lng_e6: Option<i64>,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT p.id, o.name AS org_name, r.name AS community_name, c.lat_e6, c.lng_e6 FROM problem p \
         JOIN compound c ON c.id = p.compound_id JOIN region r ON r.code = c.community_code \
         LEFT JOIN organisation o ON o.id = p.handler_org_id AND p.handler_kind = 'company' \
         WHERE p.id IN ({})",
        ids_sql(ids)
    );
    let rows: Vec<Row> = all(db.conn(), &sql, vec![]).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let agency = r.org_name.unwrap_or(r.community_name);
            (r.id, Placed { agency, compound_point: GeoPoint::from_stored(r.lat_e6, r.lng_e6) })
        })
        .collect())
}

/// Since when reports may be shown in Open311's public view, if not since
/// always: a database that existed before this schema (m0025, which brought
/// the report form's notice that a description may be public) shows only
/// reports filed after it came in; one made at or after it, all.
pub async fn public_since(db: &Db) -> Result<Option<DateTime<Utc>>> {
    #[derive(FromQueryResult)]
    struct A {
        version: String,
        applied_at: i64,
    }
    let rows: Vec<A> = all(
        db.conn(),
        "SELECT version, applied_at FROM seaql_migrations WHERE version IN ('m0001_registry', 'm0025_places')",
        vec![],
    )
    .await?;
    let at = |v: &str| rows.iter().find(|r| r.version == v).map(|r| r.applied_at);
    Ok(match (at("m0001_registry"), at("m0025_places")) {
        // Made in one go (a new database, or a demo): everything was filed under the notice.
        (Some(first), Some(notice)) if notice - first <= 3600 => None,
        (_, Some(notice)) => DateTime::from_timestamp(notice, 0),
        // Not recorded (cannot happen after migrating): nothing is public.
        _ => Some(Utc::now()),
    })
}
