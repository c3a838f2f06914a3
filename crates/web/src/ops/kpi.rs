//! The figures as the caller may see them: a region's KPI set against the
//! plan's targets, and its children ranked.

use chrono::{Datelike, NaiveDate};
use domain::kpi::{Kpi, KpiSet, Target};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::AppError;

#[derive(Serialize, ToSchema)]
pub struct KpiOut {
    pub key: String,
    pub numerator: i64,
    pub denominator: i64,
    /// Per mille, rounded; null when the denominator is 0.
    pub permille: Option<i64>,
    /// "82.5%" or "—".
    pub text: String,
    /// The plan's target in per mille, if the plan sets one.
    pub target_permille: Option<i64>,
    pub meets_target: Option<bool>,
    /// How far below the target, in per mille (0 when met).
    pub gap_permille: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct KpiSetOut {
    pub region_code: String,
    pub region_name: String,
    pub as_of: NaiveDate,
    /// Compounds existing on the date.
    pub compounds: i64,
    pub kpis: Vec<KpiOut>,
    pub company_instructor_only: i64,
    /// Owners' committees reached by the party's work (an organisation in
    /// it, a cross-appointed member or an instructor) over those in office.
    pub committee_work_coverage: KpiRatioOut,
    pub red_stations: i64,
    pub community_workers: i64,
    /// Compounds of the base with each fact not recorded (unknown, not zero).
    pub unrecorded: UnrecordedOut,
}

/// Compounds of the base whose year built, old-compound flag, households or floor area is not recorded.
#[derive(Serialize, ToSchema)]
pub struct UnrecordedOut {
    pub year_built: i64,
    pub is_old: i64,
    pub households: i64,
    pub floor_area: i64,
}

impl From<domain::kpi::Unrecorded> for UnrecordedOut {
    fn from(u: domain::kpi::Unrecorded) -> Self {
        UnrecordedOut { year_built: u.year_built, is_old: u.is_old, households: u.households, floor_area: u.floor_area }
    }
}

/// A figure with no target: how many of how many.
#[derive(Serialize, ToSchema)]
pub struct KpiRatioOut {
    pub numerator: i64,
    pub denominator: i64,
    pub permille: Option<i64>,
    pub text: String,
}

impl From<domain::kpi::Ratio> for KpiRatioOut {
    fn from(r: domain::kpi::Ratio) -> Self {
        KpiRatioOut { numerator: r.num, denominator: r.den, permille: r.permille(), text: r.percent_text() }
    }
}

pub fn kpi_out(set: &KpiSet, targets: &[Target], year: i32, region: &str) -> Vec<KpiOut> {
    Kpi::ALL
        .into_iter()
        .map(|k| {
            let r = set.get(k);
            let target = domain::kpi::target_for(targets, k, year, region);
            KpiOut {
                key: k.key().into(),
                numerator: r.num,
                denominator: r.den,
                permille: r.permille(),
                text: r.percent_text(),
                target_permille: target,
                meets_target: target.and_then(|t| r.meets(t)),
                gap_permille: target.zip(r.permille()).map(|(t, v)| (t - v).max(0)),
            }
        })
        .collect()
}

pub fn set_out(code: &str, name: &str, as_of: NaiveDate, set: &KpiSet, targets: &[Target]) -> KpiSetOut {
    KpiSetOut {
        region_code: code.into(),
        region_name: name.into(),
        as_of,
        compounds: set.compounds,
        kpis: kpi_out(set, targets, as_of.year(), code),
        company_instructor_only: set.company_instructor_only,
        committee_work_coverage: set.committee_work_coverage.into(),
        unrecorded: set.unrecorded.into(),
        red_stations: set.red_stations,
        community_workers: set.community_workers,
    }
}

/// The targets of the plan in force.
pub async fn targets(s: &AppState) -> Result<Vec<Target>, AppError> {
    Ok(db::plans::current(&s.db).await?.map(|(_, t)| t).unwrap_or_default())
}

pub async fn children_sets(
    s: &AppState,
    code: Option<&domain::RegionCode>,
    as_of: NaiveDate,
) -> Result<Vec<KpiSetOut>, AppError> {
    let targets = targets(s).await?;
    let children = db::regions::kids(&s.db, code).await?;
    let paths: Vec<_> = children.iter().map(|c| c.region_path()).collect();
    let sets = db::kpi::kpis_many(&s.db, &paths, as_of).await?;
    Ok(children.iter().zip(sets).map(|(child, set)| set_out(&child.code, &child.name, as_of, &set, &targets)).collect())
}
