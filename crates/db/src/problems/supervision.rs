//! Open, overdue and escalated problems per child region, for supervisors.

use super::*;

/// Open, overdue and escalated problems per child region of `parent` (for supervision).
#[derive(Debug, Clone, Serialize)]
pub struct Supervision {
    pub code: String,
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

/// `parent` `None` is the country (its children the provinces).
pub async fn supervision(db: &Db, parent: Option<&domain::RegionCode>) -> Result<Vec<Supervision>> {
    let children = crate::regions::kids(db, parent).await?;
    let Some(first) = children.first() else { return Ok(vec![]) };
    let plen = first.path.len() as i32;
    let (lo, hi) = parent.map_or_else(|| domain::RegionPath::from_stored("/".into()), |p| p.path()).subtree_range();
    #[derive(FromQueryResult)]
    struct Row {
        k: String,
        open: i64,
        overdue: i64,
        escalated: i64,
    }
    let open = states_sql(State::is_open);
    let rows: Vec<Row> = all(
        db.conn(),
        &format!(
            "SELECT substr(region_path, 1, $3) AS k, COUNT(*) AS open, \
         CAST(COALESCE(SUM(CASE WHEN overdue = TRUE THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue, \
         CAST(COALESCE(SUM(CASE WHEN supervised_at <> 'community' THEN 1 ELSE 0 END), 0) AS BIGINT) AS escalated \
         FROM problem WHERE region_path >= $1 AND region_path < $2 AND state IN ({open}) \
         GROUP BY substr(region_path, 1, $3)"
        ),
        vec![lo.into(), hi.into(), plen.into()],
    )
    .await?;
    let by: std::collections::HashMap<String, Row> = rows.into_iter().map(|r| (r.k.clone(), r)).collect();
    let mut out: Vec<Supervision> = children
        .into_iter()
        .map(|c| {
            let r = by.get(&c.path);
            Supervision {
                code: c.code,
                name: c.name,
                open: r.map_or(0, |r| r.open),
                overdue: r.map_or(0, |r| r.overdue),
                escalated: r.map_or(0, |r| r.escalated),
            }
        })
        .collect();
    out.sort_by_key(|s| (std::cmp::Reverse(s.overdue), std::cmp::Reverse(s.open), s.code.clone()));
    Ok(out)
}
