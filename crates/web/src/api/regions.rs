use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::access::Action;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::regions::{PublicReads, parse_code};

#[derive(Serialize, ToSchema)]
pub struct RegionOut {
    /// GB/T 2260 / statistical division code (2, 4, 6, 9, 12 or 15 digits).
    pub code: String,
    pub name: String,
    /// province, city, county, street, community or grid
    pub level: String,
    pub parent_code: Option<String>,
    /// Materialised path, e.g. `/37/3714/371402/`.
    pub path: String,
    pub child_count: i64,
    /// Compounds in the whole subtree (retired ones left out).
    pub compound_count: i64,
}

impl From<db::regions::RegionSummary> for RegionOut {
    fn from(s: db::regions::RegionSummary) -> Self {
        RegionOut {
            code: s.region.code,
            name: s.region.name,
            level: s.region.level,
            parent_code: s.region.parent_code,
            path: s.region.path,
            child_count: s.child_count,
            compound_count: s.compound_count,
        }
    }
}

/// Top-level regions the caller may see (provinces, or the caller's own scope).
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions",
    responses((status = 200, body = Vec<RegionOut>)))]
pub async fn roots(State(s): State<AppState>, viewer: Viewer) -> Result<Json<Vec<RegionOut>>, AppError> {
    let out = match viewer.region_roots() {
        Some(codes) => {
            let mut v = Vec::with_capacity(codes.len());
            for c in codes {
                v.push(db::regions::summary(&s.db, &c).await?.into());
            }
            v
        }
        None => db::regions::roots(&s.db).await?.into_iter().map(Into::into).collect(),
    };
    Ok(Json(out))
}

/// One region with its child and compound counts.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "region code, e.g. 3714")),
    responses((status = 200, body = RegionOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_region(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<RegionOut>, AppError> {
    let code = parse_code(&code)?;
    viewer.check_region(Action::Read, &code)?;
    Ok(Json(db::regions::summary(&s.db, &code).await?.into()))
}

/// The children of a region, each with its counts, in code order.
#[utoipa::path(get, path = "/api/v1/regions/{code}/children", tag = "regions",
    params(("code" = String, Path, description = "region code"), PageQuery),
    responses((status = 200, body = Page<RegionOut>), (status = 404, body = ErrorBody)))]
pub async fn children(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<RegionOut>>, AppError> {
    let code = parse_code(&code)?;
    viewer.check_region(Action::Read, &code)?;
    let p = q.paging()?;
    let all = db::regions::children(&s.db, &code).await?;
    let total = all.len() as u64;
    let items = all.into_iter().skip(p.offset() as usize).take(p.per_page as usize).map(Into::into).collect();
    Ok(Json(Page { items, page: p.page, per_page: p.per_page, total }))
}

#[derive(Deserialize, ToSchema)]
pub struct GridIn {
    pub name: String,
}

/// Create a grid (网格) under a community; its code is the community's plus a 3-digit suffix.
#[utoipa::path(post, path = "/api/v1/regions/{code}/grids", tag = "regions",
    params(("code" = String, Path, description = "community code (12 digits)")),
    request_body = GridIn,
    responses((status = 201, body = RegionOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_grid(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<GridIn>,
) -> Result<(StatusCode, Json<RegionOut>), AppError> {
    let code = parse_code(&code)?;
    viewer.check_region(Action::WriteRegistry, &code)?;
    let grid = db::regions::create_grid(&s.db, &viewer.actor(), &code, &body.name).await?;
    let code = parse_code(&grid.code)?;
    Ok((StatusCode::CREATED, Json(db::regions::summary(&s.db, &code).await?.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct PublicReadsIn {
    /// true: Open311 shows the region's reports without a key (no personal data); false: only with a key.
    pub public: bool,
}

/// Whether Open311's public view (no key) shows this region's reports.
#[utoipa::path(get, path = "/api/v1/regions/{code}/open311", tag = "regions",
    params(("code" = String, Path, description = "region code")),
    responses((status = 200, body = PublicReads), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_open311(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<PublicReads>, AppError> {
    Ok(Json(crate::ops::regions::open311_public(&s, &viewer, &code).await?))
}

/// Open or close Open311's public view of this region's reports (its subtree follows).
#[utoipa::path(put, path = "/api/v1/regions/{code}/open311", tag = "regions",
    params(("code" = String, Path, description = "region code")), request_body = PublicReadsIn,
    responses((status = 200, body = PublicReads), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn put_open311(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<PublicReadsIn>,
) -> Result<Json<PublicReads>, AppError> {
    Ok(Json(crate::ops::regions::set_open311_public(&s, &viewer, &code, b.public).await?))
}
