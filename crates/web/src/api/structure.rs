//! Organisations, people, posts and cross-appointments; the registry import.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use chrono::NaiveDate;
use domain::Paging;
use domain::org::OrgKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Page;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::import::{load_workbook, may_import, read_upload};
pub use crate::ops::structure::PersonOut;
use crate::ops::structure::{cross_paths, person_out, visible_org, visible_person, within};

#[derive(Serialize, ToSchema)]
pub struct OrgOut {
    pub id: i64,
    /// party_org, company, owners_committee, sponsor_unit, cooperative, red_station
    pub kind: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub compound_id: Option<i64>,
    pub compound_name: Option<String>,
    pub parent_id: Option<i64>,
    pub party_level: Option<String>,
    pub covers_org_id: Option<i64>,
    pub credit_code: Option<String>,
    pub party_coverage: Option<String>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub status: Option<String>,
    pub is_pmc: bool,
    /// A party organisation's founding date, if known.
    pub established: Option<NaiveDate>,
}

impl From<db::structure::Org> for OrgOut {
    fn from(o: db::structure::Org) -> Self {
        OrgOut {
            id: o.id,
            kind: o.kind.as_str().to_owned(),
            name: o.name,
            region_code: o.region_code,
            region_name: o.region_name,
            compound_id: o.compound_id,
            compound_name: o.compound_name,
            parent_id: o.parent_id,
            party_level: o.party_level.map(|v| v.as_str().to_owned()),
            covers_org_id: o.covers_org_id,
            credit_code: o.credit_code,
            party_coverage: o.party_coverage.map(|v| v.as_str().to_owned()),
            term_start: o.term_start,
            term_end: o.term_end,
            status: o.status.map(|v| v.as_str().to_owned()),
            is_pmc: o.is_pmc,
            established: o.established,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PostOut {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub org_kind: Option<String>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub region_code: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl From<db::structure::PostRow> for PostOut {
    fn from(p: db::structure::PostRow) -> Self {
        PostOut {
            id: p.id,
            person_id: p.person_id,
            person_name: p.person_name,
            role: p.role.as_str().to_owned(),
            org_id: p.org_id,
            org_name: p.org_name,
            org_kind: p.org_kind.map(|k| k.as_str().to_owned()),
            building_id: p.building_id,
            building_name: p.building_name,
            region_code: p.region_code,
            start_date: p.start_date,
            end_date: p.end_date,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgDetail {
    #[serde(flatten)]
    pub org: OrgOut,
    pub posts: Vec<PostOut>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    #[param(pattern = "^(party_org|company|owners_committee|sponsor_unit|cooperative|red_station)$")]
    pub kind: Option<String>,
    /// Region subtree (organisations there, and companies serving compounds there).
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
    pub region: Option<String>,
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// Organisations of every kind in scope, filtered.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "structure", params(OrgQuery),
    responses((status = 200, body = Page<OrgOut>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_orgs(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<Page<OrgOut>>, AppError> {
    let mut f = viewer.org_filter();
    f.kind = q.kind.as_deref().filter(|k| !k.trim().is_empty()).map(OrgKind::parse).transpose()?;
    f.within = within(&s, &viewer, q.region.as_deref()).await?;
    f.name = q.q;
    let p = Paging::parse(q.page, q.per_page)?;
    let (rows, total) = db::structure::list_orgs(&s.db, &f, p).await?;
    Ok(Json(Page { items: rows.into_iter().map(Into::into).collect(), page: p.page, per_page: p.per_page, total }))
}

/// One organisation with its posts.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "structure", params(("id" = i64, Path)),
    responses((status = 200, body = OrgDetail), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrgDetail>, AppError> {
    let org = visible_org(&s, &viewer, id).await?;
    let posts = db::structure::posts_of_org(&s.db, id).await?.into_iter().map(Into::into).collect();
    Ok(Json(OrgDetail { org: org.into(), posts }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
    pub region: Option<String>,
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// People in scope.
#[utoipa::path(get, path = "/api/v1/people", tag = "structure", params(PeopleQuery),
    responses((status = 200, body = Page<PersonOut>), (status = 404, body = ErrorBody)))]
pub async fn list_people(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<Page<PersonOut>>, AppError> {
    let mut f = viewer.people_filter();
    f.within = within(&s, &viewer, q.region.as_deref()).await?;
    f.name = q.q;
    let p = Paging::parse(q.page, q.per_page)?;
    let (rows, total) = db::structure::list_people(&s.db, &f, p).await?;
    Ok(Json(Page {
        items: rows.into_iter().map(|r| person_out(&viewer, r)).collect(),
        page: p.page,
        per_page: p.per_page,
        total,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub person: PersonOut,
    pub post_list: Vec<PostOut>,
}

/// One person with their posts.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "structure", params(("id" = i64, Path)),
    responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonDetail>, AppError> {
    let p = visible_person(&s, &viewer, id).await?;
    let posts = db::structure::posts_of_person(&s.db, id).await?.into_iter().map(Into::into).collect();
    Ok(Json(PersonDetail { person: person_out(&viewer, p), post_list: posts }))
}

#[derive(Serialize, ToSchema)]
pub struct CrossOut {
    pub person_id: i64,
    pub person_name: String,
    pub compound_id: i64,
    pub compound_name: String,
    pub party_org: String,
    /// Which level leads: compound_branch, building_group, community_committee, street_working_committee, town_committee…
    pub party_level: Option<String>,
    pub party_role: String,
    pub other_org: String,
    pub other_kind: String,
    pub other_role: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrossQuery {
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
    pub region: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// People holding posts both in a party organisation leading a compound (its own, or over its place at any level) and in its owners' committee or serving company (交叉任职).
#[utoipa::path(get, path = "/api/v1/cross-appointments", tag = "structure", params(CrossQuery),
    responses((status = 200, body = Page<CrossOut>), (status = 404, body = ErrorBody)))]
pub async fn cross(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<CrossQuery>,
) -> Result<Json<Page<CrossOut>>, AppError> {
    let paths = cross_paths(&s, &viewer, q.region.as_deref()).await?;
    let p = Paging::parse(q.page, q.per_page)?;
    let (rows, total) = db::structure::cross_appointments(&s.db, paths.as_deref(), p).await?;
    let items = rows
        .into_iter()
        .map(|r| CrossOut {
            person_id: r.person_id,
            person_name: r.person_name,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            party_org: r.party_org,
            party_level: r.party_level,
            party_role: r.party_role,
            other_org: r.other_org,
            other_kind: r.other_kind,
            other_role: r.other_role,
        })
        .collect();
    Ok(Json(Page { items, page: p.page, per_page: p.per_page, total }))
}

#[derive(Serialize, ToSchema)]
pub struct ImportReport {
    /// Per sheet: rows added, updated and unchanged.
    pub sheets: std::collections::BTreeMap<String, SheetCounts>,
}

#[derive(Serialize, ToSchema)]
pub struct SheetCounts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl From<import::Report> for ImportReport {
    fn from(r: import::Report) -> Self {
        let sheets = r
            .sheets
            .into_iter()
            .map(|(k, c)| (k, SheetCounts { added: c.added, updated: c.updated, unchanged: c.unchanged }))
            .collect();
        ImportReport { sheets }
    }
}

/// Load a registry workbook (.xlsx as the request body, at most 10,000 rows).
/// All rows are checked; if any is wrong nothing is written and every error
/// is listed by sheet, row and column.
#[utoipa::path(post, path = "/api/v1/import/registry", tag = "structure",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = ImportReport), (status = 422, body = ErrorBody)))]
pub async fn import_registry(
    State(s): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Json<ImportReport>, AppError> {
    may_import(&viewer)?;
    let wb = read_upload(body).await?;
    let report = load_workbook(&s, &viewer, &wb, |_, _, _| {}).await?;
    Ok(Json(report.into()))
}

/// Add or update registry records of one kind — a sheet of the workbook format
/// (grids, compounds, buildings, companies, owners_committees, party_orgs, other_orgs,
/// people, posts, compound_history) — as JSON objects keyed by its columns.
/// The same checks and natural keys as the workbook import; all or nothing.
#[utoipa::path(post, path = "/api/v1/registry/{sheet}", tag = "structure",
    params(("sheet" = String, Path, description = "a sheet of docs/import-format.md")),
    request_body = Vec<serde_json::Value>,
    responses((status = 200, body = ImportReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn registry_rows(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(sheet): ApiPath<String>,
    crate::error::ApiJson(rows): crate::error::ApiJson<Vec<serde_json::Map<String, serde_json::Value>>>,
) -> Result<Json<ImportReport>, AppError> {
    may_import(&viewer)?;
    let Some(spec) = import::SHEETS.iter().find(|x| x.name == sheet) else {
        return Err(AppError::not_found());
    };
    let max = import::Limits::WEB.rows;
    if rows.len() > max {
        return Err(domain::Invalid::new("rows", format!("{} rows; at most {max} are taken at once", rows.len()))
            .zh(format!("共 {} 行，一次最多 {max} 行", rows.len()))
            .into());
    }
    let header: Vec<&str> = spec.cols.iter().map(|c| c.key).collect();
    let mut cells = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if let Some(k) = row.keys().find(|k| !header.contains(&k.as_str())) {
            let k = domain::text::printable(k).chars().take(100).collect::<String>();
            return Err(AppError::invalid(vec![
                domain::Invalid::new("row", format!("row {}: unknown field {k:?}", i + 1))
                    .zh(format!("第 {} 行：未知字段“{k}”", i + 1)),
            ]));
        }
        cells.push(
            header
                .iter()
                .map(|k| match row.get(*k) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(v)) => v.clone(),
                    Some(serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
                    Some(v) => v.to_string(),
                })
                .collect(),
        );
    }
    let wb = import::Workbook { sheets: vec![import::RawSheet::new(spec.name, &header, cells)] };
    let report = load_workbook(&s, &viewer, &wb, |_, _, _| {}).await?;
    Ok(Json(report.into()))
}
