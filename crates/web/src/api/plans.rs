//! The plan in force and its targets.

use axum::Json;
use axum::extract::State;
use domain::access::Action;
use domain::kpi::{Kpi, Target};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::regions::parse_code;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, AppError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct TargetOut {
    pub kpi: String,
    pub year: i32,
    /// A region whose subtree has this stricter target; null for the general one.
    pub region: Option<String>,
    pub permille: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    pub id: i64,
    pub name: String,
    pub start_year: i32,
    pub end_year: i32,
    pub targets: Vec<TargetOut>,
}

/// The plan in force with its targets.
#[utoipa::path(get, path = "/api/v1/plan", tag = "kpis", responses((status = 200, body = PlanOut), (status = 404, body = ErrorBody)))]
pub async fn current(State(s): State<AppState>, _viewer: Viewer) -> Result<Json<PlanOut>, AppError> {
    let (p, targets) = db::plans::current(&s.db).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(PlanOut {
        id: p.id,
        name: p.name,
        start_year: p.start_year,
        end_year: p.end_year,
        targets: targets
            .into_iter()
            .map(|t| TargetOut { kpi: t.kpi.key().into(), year: t.year, region: t.region, permille: t.permille })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TargetIn {
    pub kpi: String,
    pub year: i32,
    /// Omit for the general target (administrators only).
    pub region: Option<String>,
    /// Percent, at most one decimal (e.g. 85 or 82.5).
    pub percent: f64,
}

/// Set one target of the plan in force.
#[utoipa::path(put, path = "/api/v1/plan/targets", tag = "kpis", request_body = TargetIn,
    responses((status = 200, body = PlanOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_target(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<TargetIn>,
) -> Result<Json<PlanOut>, AppError> {
    apply(&s, &viewer, &b.kpi, b.year, b.region.as_deref(), b.percent).await?;
    current(State(s), viewer).await
}

/// Shared by the API and the plan page.
pub(crate) async fn apply(
    s: &AppState,
    viewer: &Viewer,
    kpi: &str,
    year: i32,
    region: Option<&str>,
    percent: f64,
) -> Result<(), AppError> {
    let kpi = Kpi::parse(kpi).ok_or_else(|| {
        AppError::from(domain::Invalid::new("kpi", format!("{kpi:?} is not a KPI")).zh(format!("“{kpi}”不是指标")))
    })?;
    let permille = (percent * 10.0).round() as i64;
    if !percent.is_finite() || (percent * 10.0 - permille as f64).abs() > 1e-6 {
        return Err(domain::Invalid::new("percent", "give the target in percent with at most one decimal")
            .zh("目标请以百分数填写，最多一位小数")
            .into());
    }
    let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let code = parse_code(r)?;
            viewer.check_region(Action::ManagePlans, &code)?;
            Some(code.to_string())
        }
        None if viewer.is_admin() => None,
        None => return Err(AppError::forbidden()),
    };
    let (plan, _) = db::plans::current(&s.db).await?.ok_or_else(AppError::not_found)?;
    db::plans::set_target(&s.db, &viewer.actor(), plan.id, &Target { kpi, year, region, permille }).await?;
    Ok(())
}
