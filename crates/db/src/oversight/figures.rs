//! The oversight figures of a region as of a date: notices issued, closed,
//! overdue and closed on time; inspections; companies by grade in the
//! latest publication; problems solved in campaigns. Notices and inspections
//! are hundreds to thousands a city (the report's 169 over three years), so
//! these are counted from the records on an index of their paths rather than
//! kept in the figures engine (decision 0011).

use chrono::{Duration, NaiveDate};
use domain::RegionPath;
use sea_orm::{FromQueryResult, Value};
use serde::Serialize;

use super::{owed, range};
use crate::sql::{count_when, one, scalar_i64};
use crate::{Db, Result};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OversightFigures {
    pub notices_issued: i64,
    pub notices_closed: i64,
    /// Owed past their deadline on the date.
    pub notices_overdue: i64,
    /// Of those closed by the date, answered by their deadline.
    pub notices_closed_on_time: i64,
    /// Inspections in the year to the date.
    pub inspections: i64,
    /// Problems resolved during a campaign over the region (or a region holding it), by the date.
    pub campaign_problems_solved: i64,
}

impl OversightFigures {
    /// Share of closed notices closed on time, in per mille.
    pub fn on_time_permille(&self) -> Option<i64> {
        (self.notices_closed > 0).then(|| self.notices_closed_on_time * 1000 / self.notices_closed)
    }
}

/// Notices issued, closed, and owed past their deadline as of `on`, of those
/// the condition `cond` (over notices `n`, binding `$1…` of `vals`) keeps.
#[derive(FromQueryResult, Default)]
pub(super) struct NoticeCounts {
    pub issued: i64,
    pub closed: i64,
    pub overdue: i64,
}

pub(super) async fn notice_counts(db: &Db, cond: &str, mut vals: Vec<Value>, on: NaiveDate) -> Result<NoticeCounts> {
    vals.push(domain::clock::start_of(on + Duration::days(1)).into());
    let end = format!("${}", vals.len());
    let on_lit = format!("'{}'", on.format("%Y-%m-%d"));
    let n: Option<NoticeCounts> = one(
        db.conn(),
        &format!(
            "SELECT {} AS issued, {} AS closed, {} AS overdue FROM rect_notice n WHERE {cond}",
            count_when(&format!("n.issued_on <= {on_lit}")),
            count_when(&format!("n.closed_at < {end}")),
            // Owed on the date: issued, deadline passed, not answered (nor closed) by then.
            count_when(&format!(
                "n.issued_on <= {on_lit} AND n.deadline < {on_lit} AND (n.closed_at IS NULL OR n.closed_at >= {end}) \
                 AND (n.answered_at IS NULL OR n.answered_at >= {end} OR {})",
                owed("n")
            )),
        ),
        vals,
    )
    .await?;
    Ok(n.unwrap_or_default())
}

/// The figures of the subtree `path` (None: the whole country) as of `on`.
pub async fn oversight_figures(db: &Db, path: Option<&RegionPath>, on: NaiveDate) -> Result<OversightFigures> {
    let root = RegionPath::from_stored("/".into());
    let (lo, hi) = match path {
        Some(p) => range(p),
        None => ("/".to_owned().into(), "0".to_owned().into()),
    };
    let end = domain::clock::start_of(on + Duration::days(1));
    let on_lit = format!("'{}'", on.format("%Y-%m-%d"));
    let in_tree = "EXISTS (SELECT 1 FROM rect_compound rc WHERE rc.notice_id = n.id AND rc.region_path >= $1 AND rc.region_path < $2)";
    let n = notice_counts(db, in_tree, vec![lo.clone(), hi.clone()], on).await?;
    // On time is answered by the deadline's day, in China: judged per row.
    let closed_rows: Vec<ClosedRow> = crate::sql::all(
        db.conn(),
        &format!("SELECT n.deadline, n.answered_at FROM rect_notice n WHERE {in_tree} AND n.closed_at < $3"),
        vec![lo.clone(), hi.clone(), end.into()],
    )
    .await?;
    let closed_on_time = closed_rows
        .iter()
        .filter(|r| r.answered_at.is_some_and(|a| domain::clock::china_date(a) <= r.deadline))
        .count() as i64;
    let year_start = NaiveDate::from_ymd_opt(chrono::Datelike::year(&on), 1, 1).expect("1 January");
    let inspections = scalar_i64(
        db.conn(),
        &format!(
            "SELECT COUNT(*) FROM inspection WHERE region_path >= $1 AND region_path < $2 AND visited_on >= $3 AND visited_on <= {on_lit}"
        ),
        vec![lo.clone(), hi.clone(), year_start.into()],
    )
    .await?;
    // Problems resolved during campaigns over (or above) the region, each once.
    let campaigns = super::campaigns(db, Some(std::slice::from_ref(path.unwrap_or(&root)))).await?;
    let mut windows: Vec<String> = Vec::new();
    let mut vals: Vec<sea_orm::Value> = vec![lo.clone(), hi.clone(), end.into()];
    for c in campaigns.iter().filter(|c| c.starts_on <= on) {
        let (t0, t1) = super::instants(c.starts_on, c.ends_on + Duration::days(1));
        let (clo, chi) = RegionPath::from_stored(c.region_path.clone()).subtree_range();
        vals.extend([t0.into(), t1.into(), clo.into(), chi.into()]);
        let k = vals.len();
        windows.push(format!(
            "(p.resolved_at >= ${} AND p.resolved_at < ${} AND p.region_path >= ${} AND p.region_path < ${})",
            k - 3,
            k - 2,
            k - 1,
            k
        ));
    }
    let campaign_problems_solved = if windows.is_empty() {
        0
    } else {
        scalar_i64(
            db.conn(),
            &format!(
                "SELECT COUNT(*) FROM problem p WHERE p.region_path >= $1 AND p.region_path < $2 AND p.resolved_at < $3 AND ({})",
                windows.join(" OR ")
            ),
            vals,
        )
        .await?
    };
    Ok(OversightFigures {
        notices_issued: n.issued,
        notices_closed: n.closed,
        notices_overdue: n.overdue,
        notices_closed_on_time: closed_on_time,
        inspections,
        campaign_problems_solved,
    })
}

#[derive(FromQueryResult)]
struct ClosedRow {
    deadline: NaiveDate,
    answered_at: Option<chrono::DateTime<chrono::Utc>>,
}
