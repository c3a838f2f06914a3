use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use db::compounds::{self as repo};
use domain::access::Action;
use domain::{Area, CompoundInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::compounds::{self as ops, correct, filter_for};
pub use crate::ops::compounds::{AreaIn, BuildingIn, CompoundPatchIn};

#[derive(Serialize, ToSchema)]
pub struct CompoundOut {
    pub id: i64,
    /// The community (12 digits) or grid (15 digits) the compound lies in.
    pub region_code: String,
    pub region_name: String,
    pub community_code: String,
    pub name: String,
    pub address: String,
    pub year_built: Option<i32>,
    /// null: not recorded (unknown is not "no").
    pub is_old: Option<bool>,
    /// null: not recorded (unknown is not 0).
    pub households: Option<i32>,
    /// Exact decimal string, e.g. "28000.50"; null: not recorded.
    pub floor_area_m2: Option<String>,
    /// Service model in force today, if recorded.
    pub service_model: Option<String>,
    /// Latitude (WGS-84, decimal degrees); null: not recorded.
    pub lat: Option<f64>,
    /// Longitude (WGS-84, decimal degrees); null: not recorded.
    pub long: Option<f64>,
    pub retired: bool,
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<repo::Compound> for CompoundOut {
    fn from(c: repo::Compound) -> Self {
        CompoundOut {
            floor_area_m2: c.floor_area().map(|a| a.to_string()),
            lat: c.location().map(|p| p.lat()),
            long: c.location().map(|p| p.lng()),
            retired: c.retired_at.is_some(),
            id: c.id,
            region_code: c.region_code,
            region_name: c.region_name,
            community_code: c.community_code,
            name: c.name,
            address: c.address,
            year_built: c.year_built,
            is_old: c.is_old,
            households: c.households,
            service_model: c.service_model,
            retired_at: c.retired_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CompoundIn {
    /// Community (12 digits) or grid (15 digits) code.
    pub region: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub year_built: Option<i32>,
    /// Omitted or null: not recorded.
    pub is_old: Option<bool>,
    /// Omitted or null: not recorded.
    pub households: Option<i32>,
    pub floor_area_m2: Option<AreaIn>,
    /// Latitude (WGS-84, decimal degrees), with `long`; omitted: not recorded.
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// professional, party_led, cooperative, soe_backstop, self_managed or none.
    pub service_model: Option<String>,
    /// When the service model took effect (default: today).
    pub service_model_from: Option<NaiveDate>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Region subtree to list (any level); default: everything in scope.
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
    pub region: Option<String>,
    /// Part of the compound's name.
    pub q: Option<String>,
    /// Also list retired compounds.
    pub include_retired: Option<bool>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// Compounds in a region subtree, filtered by name, paged.
#[utoipa::path(get, path = "/api/v1/compounds", tag = "compounds", params(ListQuery),
    responses((status = 200, body = Page<CompoundOut>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<CompoundOut>>, AppError> {
    let f = filter_for(&s, &viewer, q.region.as_deref(), q.q, q.include_retired.unwrap_or(false)).await?;
    let p = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let (rows, total) = repo::list(&s.db, &f, p).await?;
    Ok(Json(Page { items: rows.into_iter().map(Into::into).collect(), page: p.page, per_page: p.per_page, total }))
}

/// Create a compound.
#[utoipa::path(post, path = "/api/v1/compounds", tag = "compounds", request_body = CompoundIn,
    responses((status = 201, body = CompoundOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<CompoundIn>,
) -> Result<(StatusCode, Json<CompoundOut>), AppError> {
    let n = ops::NewCompound {
        input: CompoundInput {
            region: b.region,
            name: b.name,
            address: b.address,
            year_built: b.year_built.map(|y| y.to_string()).unwrap_or_default(),
            is_old: b.is_old,
            households: b.households.map(|h| h.to_string()).unwrap_or_default(),
            floor_area: b.floor_area_m2.map(|a| a.text()).unwrap_or_default(),
            lat: b.lat.map(|v| v.to_string()).unwrap_or_default(),
            lng: b.long.map(|v| v.to_string()).unwrap_or_default(),
        },
        service_model: b.service_model,
        service_model_from: b.service_model_from.map(|d| d.to_string()).unwrap_or_default(),
    };
    let c = ops::create(&s, &viewer, n).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// One compound.
#[utoipa::path(get, path = "/api/v1/compounds/{id}", tag = "compounds", params(("id" = i64, Path)),
    responses((status = 200, body = CompoundOut), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CompoundOut>, AppError> {
    Ok(Json(viewer.compound(&s.db, id, Action::Read).await?.into()))
}

/// Change a compound's fields; fields left out stay as they are.
#[utoipa::path(patch, path = "/api/v1/compounds/{id}", tag = "compounds", params(("id" = i64, Path)),
    request_body = CompoundPatchIn,
    responses((status = 200, body = CompoundOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CompoundPatchIn>,
) -> Result<Json<CompoundOut>, AppError> {
    Ok(Json(ops::update(&s, &viewer, id, &b).await?.into()))
}

/// Retire a compound (it is never deleted: past figures keep it).
#[utoipa::path(post, path = "/api/v1/compounds/{id}/retire", tag = "compounds", params(("id" = i64, Path)),
    responses((status = 200, body = CompoundOut), (status = 404, body = ErrorBody)))]
pub async fn retire(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CompoundOut>, AppError> {
    Ok(Json(ops::retire(&s, &viewer, id).await?.into()))
}

/// A compound's dated value, as the db holds it.
pub use repo::Fact as FactOut;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Only the facts in force on this date (YYYY-MM-DD); default: the whole timeline.
    pub as_of: Option<NaiveDate>,
}

/// The dated facts of a compound: the whole timeline, or those in force on a date.
#[utoipa::path(get, path = "/api/v1/compounds/{id}/facts", tag = "compounds", params(("id" = i64, Path), AsOfQuery),
    responses((status = 200, body = Vec<FactOut>), (status = 404, body = ErrorBody)))]
pub async fn facts(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<Json<Vec<FactOut>>, AppError> {
    viewer.compound(&s.db, id, Action::Read).await?;
    let rows = match q.as_of {
        Some(d) => repo::facts_as_of(&s.db, id, d).await?,
        None => repo::facts(&s.db, id).await?,
    };
    Ok(Json(rows))
}

#[derive(Deserialize, ToSchema)]
pub struct FactIn {
    /// service_model, company, owners_committee, party_branch, red_station or sponsor_unit.
    pub kind: String,
    /// The service model (for `service_model`).
    #[serde(default)]
    pub value: Option<String>,
    /// The organisation (for the other kinds).
    #[serde(default)]
    pub org_id: Option<i64>,
    pub effective_from: NaiveDate,
}

/// Record a new value of a dated fact from a date on; the previous value ends there.
#[utoipa::path(post, path = "/api/v1/compounds/{id}/facts", tag = "compounds", params(("id" = i64, Path)),
    request_body = FactIn,
    responses((status = 201, body = Vec<FactOut>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_fact(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FactIn>,
) -> Result<(StatusCode, Json<Vec<FactOut>>), AppError> {
    let rows = ops::set_fact(&s, &viewer, id, &b.kind, b.value.as_deref(), b.org_id, b.effective_from).await?;
    Ok((StatusCode::CREATED, Json(rows)))
}

#[derive(Deserialize, ToSchema)]
pub struct FactCorrectionIn {
    /// When the value really took effect.
    pub valid_from: NaiveDate,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub org_id: Option<i64>,
}

/// Correct a recorded fact (when it took effect, and its value); the fact
/// before it is moved to end on the new date. Audited.
#[utoipa::path(patch, path = "/api/v1/compounds/{id}/facts/{fact_id}", tag = "compounds",
    params(("id" = i64, Path), ("fact_id" = i64, Path)), request_body = FactCorrectionIn,
    responses((status = 200, body = Vec<FactOut>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct_fact(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath((id, fact_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<FactCorrectionIn>,
) -> Result<Json<Vec<FactOut>>, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    let rows = correct(&s, &viewer, id, fact_id, b.valid_from, b.value.as_deref(), b.org_id).await?;
    Ok(Json(rows))
}

#[derive(Serialize, ToSchema)]
pub struct BuildingOut {
    pub id: i64,
    pub compound_id: i64,
    pub name: String,
    pub floors: i32,
    pub retired: bool,
    pub entrances: i64,
    pub units: i64,
    /// Sum of the units' exclusive areas.
    pub area_m2: String,
}

impl From<repo::BuildingSummary> for BuildingOut {
    fn from(b: repo::BuildingSummary) -> Self {
        BuildingOut {
            area_m2: Area::from_centi(b.area_centi).to_string(),
            retired: b.retired_at.is_some(),
            id: b.id,
            compound_id: b.compound_id,
            name: b.name,
            floors: b.floors,
            entrances: b.entrances,
            units: b.units,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitOut {
    pub id: i64,
    pub entrance: String,
    pub number: String,
    pub floor: i32,
    pub area_m2: String,
}

impl From<repo::UnitRow> for UnitOut {
    fn from(u: repo::UnitRow) -> Self {
        UnitOut {
            area_m2: Area::from_centi(u.area_centi).to_string(),
            id: u.id,
            entrance: u.entrance,
            number: u.number,
            floor: u.floor,
        }
    }
}

/// A building with its units. The number of units is `unit_count` here, so
/// that `units` names one thing (the list).
#[derive(Serialize, ToSchema)]
pub struct BuildingDetail {
    pub id: i64,
    pub compound_id: i64,
    pub name: String,
    pub floors: i32,
    pub retired: bool,
    pub entrances: i64,
    pub unit_count: i64,
    /// Sum of the units' exclusive areas.
    pub area_m2: String,
    pub units: Vec<UnitOut>,
}

impl BuildingDetail {
    fn new(b: BuildingOut, units: Vec<UnitOut>) -> Self {
        BuildingDetail {
            id: b.id,
            compound_id: b.compound_id,
            name: b.name,
            floors: b.floors,
            retired: b.retired,
            entrances: b.entrances,
            unit_count: b.units,
            area_m2: b.area_m2,
            units,
        }
    }
}

/// The buildings of a compound with their entrance and unit counts.
#[utoipa::path(get, path = "/api/v1/compounds/{id}/buildings", tag = "compounds", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<BuildingOut>), (status = 404, body = ErrorBody)))]
pub async fn buildings(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<BuildingOut>>, AppError> {
    viewer.compound(&s.db, id, Action::Read).await?;
    Ok(Json(repo::buildings(&s.db, id).await?.into_iter().map(Into::into).collect()))
}

/// Add a building with its entrances and units (numbered floor × 100 + n).
#[utoipa::path(post, path = "/api/v1/compounds/{id}/buildings", tag = "compounds", params(("id" = i64, Path)),
    request_body = BuildingIn,
    responses((status = 201, body = BuildingOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_building(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<BuildingIn>,
) -> Result<(StatusCode, Json<BuildingOut>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::create_building(&s, &viewer, id, &b).await?.into())))
}

/// A building with all its units.
#[utoipa::path(get, path = "/api/v1/buildings/{id}", tag = "compounds", params(("id" = i64, Path)),
    responses((status = 200, body = BuildingDetail), (status = 404, body = ErrorBody)))]
pub async fn get_building(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BuildingDetail>, AppError> {
    let b = viewer.building(&s.db, id, Action::Read).await?;
    let units = repo::units(&s.db, id).await?.into_iter().map(Into::into).collect();
    Ok(Json(BuildingDetail::new(b.into(), units)))
}

#[derive(Deserialize, ToSchema)]
pub struct BuildingPatchIn {
    pub name: Option<String>,
    pub floors: Option<i32>,
}

/// Rename a building or correct its number of floors.
#[utoipa::path(patch, path = "/api/v1/buildings/{id}", tag = "compounds", params(("id" = i64, Path)),
    request_body = BuildingPatchIn,
    responses((status = 200, body = BuildingOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_building(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<BuildingPatchIn>,
) -> Result<Json<BuildingOut>, AppError> {
    viewer.building(&s.db, id, Action::WriteRegistry).await?;
    Ok(Json(repo::update_building(&s.db, &viewer.actor(), id, b.name.as_deref(), b.floors).await?.into()))
}

/// Retire a building (kept for history).
#[utoipa::path(post, path = "/api/v1/buildings/{id}/retire", tag = "compounds", params(("id" = i64, Path)),
    responses((status = 200, body = BuildingOut), (status = 404, body = ErrorBody)))]
pub async fn retire_building(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BuildingOut>, AppError> {
    viewer.building(&s.db, id, Action::WriteRegistry).await?;
    Ok(Json(repo::retire_building(&s.db, &viewer.actor(), id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct UnitPatchIn {
    pub area_m2: AreaIn,
}

/// Correct a unit's registered exclusive area.
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "compounds", params(("id" = i64, Path)),
    request_body = UnitPatchIn,
    responses((status = 200, body = UnitOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_unit(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UnitPatchIn>,
) -> Result<Json<UnitOut>, AppError> {
    let (_, building_id) = repo::unit(&s.db, id).await?;
    viewer.building(&s.db, building_id, Action::WriteRegistry).await?;
    let area = b.area_m2.parse("area_m2")?;
    Ok(Json(repo::set_unit_area(&s.db, &viewer.actor(), id, area).await?.into()))
}
