//! Coverage KPIs for a region as of a date, and its children ranked.

use axum::Json;
use axum::extract::State;
use chrono::Datelike;
use chrono::NaiveDate;
use domain::access::Action;
use domain::kpi::{Kpi, KpiSet, Target};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::regions::parse_code;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiQuery, AppError, ErrorBody};

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
    pub red_stations: i64,
    pub community_workers: i64,
}

pub(crate) fn kpi_out(set: &KpiSet, targets: &[Target], year: i32, region: &str) -> Vec<KpiOut> {
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

pub(crate) fn set_out(code: &str, name: &str, as_of: NaiveDate, set: &KpiSet, targets: &[Target]) -> KpiSetOut {
    KpiSetOut {
        region_code: code.into(),
        region_name: name.into(),
        as_of,
        compounds: set.compounds,
        kpis: kpi_out(set, targets, as_of.year(), code),
        company_instructor_only: set.company_instructor_only,
        red_stations: set.red_stations,
        community_workers: set.community_workers,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    pub region: String,
    /// YYYY-MM
    pub month: String,
}

/// The monthly dispatch bulletin as data (the same figures as its Excel and Word forms).
#[utoipa::path(get, path = "/api/v1/bulletin", tag = "kpis", params(BulletinQuery),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulletin(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let code = parse_code(&q.region)?;
    viewer.check_region(Action::Read, &code)?;
    let month = report::Month::parse(&q.month)?;
    let b = report::bulletin(&s.db, &code, month).await?;
    let mut v = serde_json::to_value(&b).map_err(|e| AppError::internal(e.to_string()))?;
    v["summary"] = serde_json::json!(b.summary());
    Ok(Json(v))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Region code.
    pub region: String,
    /// Date (YYYY-MM-DD); default today.
    pub as_of: Option<NaiveDate>,
}

/// The KPI set of one region as of a date.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = KpiSetOut), (status = 404, body = ErrorBody)))]
pub async fn region_kpis(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<KpiSetOut>, AppError> {
    let code = parse_code(&q.region)?;
    viewer.check_region(Action::Read, &code)?;
    let r = db::regions::require(&s.db, &code).await?;
    let as_of = q.as_of.unwrap_or_else(crate::api::compounds::today);
    let set = db::kpi::kpis(&s.db, &r.region_path(), as_of).await?;
    Ok(Json(set_out(&r.code, &r.name, as_of, &set, &targets(&s).await?)))
}

/// The KPI sets of a region's children (for ranking), as of a date.
#[utoipa::path(get, path = "/api/v1/kpis/children", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = Vec<KpiSetOut>), (status = 404, body = ErrorBody)))]
pub async fn children_kpis(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<Vec<KpiSetOut>>, AppError> {
    let code = parse_code(&q.region)?;
    viewer.check_region(Action::Read, &code)?;
    let as_of = q.as_of.unwrap_or_else(crate::api::compounds::today);
    Ok(Json(children_sets(&s, &code, as_of).await?))
}

/// The targets of the plan in force.
pub(crate) async fn targets(s: &AppState) -> Result<Vec<Target>, AppError> {
    Ok(db::plans::current(&s.db).await?.map(|(_, t)| t).unwrap_or_default())
}

pub(crate) async fn children_sets(
    s: &AppState,
    code: &domain::RegionCode,
    as_of: NaiveDate,
) -> Result<Vec<KpiSetOut>, AppError> {
    let targets = targets(s).await?;
    let mut out = Vec::new();
    for child in db::regions::children(&s.db, code).await? {
        let set = db::kpi::kpis(&s.db, &child.region.region_path(), as_of).await?;
        out.push(set_out(&child.region.code, &child.region.name, as_of, &set, &targets));
    }
    Ok(out)
}
