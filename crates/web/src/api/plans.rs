//! The plan in force and its targets.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, AppError, ErrorBody};
use crate::ops::plans::apply;

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
