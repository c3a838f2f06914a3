//! Coverage KPIs for a region as of a date, and its children ranked.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use domain::access::Action;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiQuery, AppError, ErrorBody};
pub use crate::ops::kpi::KpiSetOut;
use crate::ops::kpi::{children_sets, set_out, targets};
use crate::ops::regions::parse_code;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
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
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
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
    let as_of = q.as_of.unwrap_or_else(domain::clock::today);
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
    let as_of = q.as_of.unwrap_or_else(domain::clock::today);
    Ok(Json(children_sets(&s, &code, as_of).await?))
}
