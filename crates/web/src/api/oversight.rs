//! Oversight of property companies: rectification notices, inspections,
//! campaigns, grading (schemes, grades, publication, objections), recorded
//! facts and talks. Each handler translates HTTP to one operation of
//! `ops::oversight`.

use axum::Json;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use db::oversight::NoticeFilter;
use domain::rectify::NoticeState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::oversight::grading::{self as grading_ops, EntryIn, ObjectIn, TalkIn};
use crate::ops::oversight::inspections::{self as inspection_ops, CampaignIn, InspectIn};
use crate::ops::oversight::notices::{self as notice_ops, IssueIn, NoticeOut};
use crate::ops::regions::{parse_code, parse_place};

// ---- notices -------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// issued, received, answered, returned or closed
    pub state: Option<String>,
    /// Only those past their deadline with the answer owed.
    pub overdue: Option<bool>,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// Issued from this inspection's findings.
    pub inspection_id: Option<i64>,
    pub compound_id: Option<i64>,
    /// Only notices naming a compound within this region.
    pub region: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// One notice in a list.
#[derive(Serialize, ToSchema)]
pub struct NoticeRow {
    pub id: i64,
    pub number: String,
    pub company_id: i64,
    pub company_name: String,
    pub region_code: String,
    pub level_code: String,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    pub state: String,
    pub overdue: bool,
}

/// Rectification notices the caller sees, overdue first, then by deadline.
#[utoipa::path(get, path = "/api/v1/rectification-notices", tag = "oversight", params(NoticeQuery),
    responses((status = 200, body = Page<NoticeRow>), (status = 404, body = ErrorBody)))]
pub async fn list_notices(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Json<Page<NoticeRow>>, AppError> {
    let paging = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let within = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let code = parse_code(r)?;
            viewer.check_region(domain::access::Action::Read, &code)?;
            Some(code.path())
        }
        None => None,
    };
    let f = NoticeFilter {
        states: q.state.as_deref().map(NoticeState::parse).transpose()?.into_iter().collect(),
        overdue: q.overdue.unwrap_or(false),
        company_id: q.company_id,
        campaign_id: q.campaign_id,
        inspection_id: q.inspection_id,
        compound_id: q.compound_id,
        within,
    };
    let (rows, total) = notice_ops::list(&s, &viewer, &f, paging).await?;
    let today = domain::clock::today();
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|n| NoticeRow {
                overdue: n.overdue(today),
                id: n.id,
                number: n.number,
                company_id: n.company_id,
                company_name: n.company_name,
                region_code: n.region_code,
                level_code: n.level_code,
                issued_on: n.issued_on,
                deadline: n.deadline,
                state: n.state.as_str().to_owned(),
            })
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

/// Issue a notice to a company for compounds the caller supervises (officers).
#[utoipa::path(post, path = "/api/v1/rectification-notices", tag = "oversight", request_body = IssueIn,
    responses((status = 201, body = NoticeOut), (status = 404, body = ErrorBody)))]
pub async fn issue_notice(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<IssueIn>,
) -> Result<(StatusCode, Json<NoticeOut>), AppError> {
    let n = notice_ops::issue(&s, &viewer, &b, None).await?;
    Ok((StatusCode::CREATED, Json(notice_ops::full(&s, &viewer, n.id).await?)))
}

/// One notice: its compounds, items, timeline and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/rectification-notices/{id}", tag = "oversight", params(("id" = i64, Path)),
    responses((status = 200, body = NoticeOut)))]
pub async fn get_notice(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoticeOut>, AppError> {
    Ok(Json(notice_ops::full(&s, &viewer, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NoticeStepIn {
    /// receive, answer (the company); return, close (the issuer)
    pub step: String,
    /// What was done (an answer), or why it is returned.
    #[serde(default)]
    pub note: String,
}

/// Take a step on a notice.
#[utoipa::path(post, path = "/api/v1/rectification-notices/{id}/steps", tag = "oversight", request_body = NoticeStepIn,
    params(("id" = i64, Path)), responses((status = 200, body = NoticeOut)))]
pub async fn notice_step(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NoticeStepIn>,
) -> Result<Json<NoticeOut>, AppError> {
    notice_ops::act(&s, &viewer, id, &b.step, &b.note, None).await?;
    Ok(Json(notice_ops::full(&s, &viewer, id).await?))
}

/// Close one item, verified (逐项销号); the last closes the notice.
#[utoipa::path(post, path = "/api/v1/rectification-notices/{id}/items/{item_id}/close", tag = "oversight",
    params(("id" = i64, Path), ("item_id" = i64, Path)),
    responses((status = 200, body = NoticeOut), (status = 422, body = ErrorBody)))]
pub async fn close_item(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath((id, item)): ApiPath<(i64, i64)>,
) -> Result<Json<NoticeOut>, AppError> {
    notice_ops::close_item(&s, &viewer, id, item).await?;
    Ok(Json(notice_ops::full(&s, &viewer, id).await?))
}

// ---- inspections and campaigns ------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct InspectionOut {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub campaign_id: Option<i64>,
    pub follows_id: Option<i64>,
    /// quarterly, campaign or follow_up
    pub kind: String,
    pub visited_on: NaiveDate,
    pub inspector: String,
    pub score: i64,
    pub max: i64,
    pub note: String,
    /// Empty in lists.
    pub lines: Vec<InspectionLineOut>,
}

#[derive(Serialize, ToSchema)]
pub struct InspectionLineOut {
    /// The finding's id (a notice's item may name it).
    pub id: i64,
    pub label: String,
    pub max: i64,
    pub score: i64,
    pub finding: String,
}

fn inspection_out(i: db::oversight::Inspection, lines: Vec<db::oversight::InspectionItem>) -> InspectionOut {
    InspectionOut {
        id: i.id,
        compound_id: i.compound_id,
        compound_name: i.compound_name,
        company_id: i.company_id,
        company_name: i.company_name,
        campaign_id: i.campaign_id,
        follows_id: i.follows_id,
        kind: i.kind.as_str().to_owned(),
        visited_on: i.visited_on,
        inspector: i.inspector,
        score: i.score,
        max: i.max,
        note: i.note,
        lines: lines
            .into_iter()
            .map(|l| InspectionLineOut { id: l.id, label: l.label, max: l.max, score: l.score, finding: l.finding })
            .collect(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    pub compound_id: Option<i64>,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// Inspections the caller sees, latest first.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "oversight", params(InspectionQuery),
    responses((status = 200, body = Page<InspectionOut>)))]
pub async fn list_inspections(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<InspectionQuery>,
) -> Result<Json<Page<InspectionOut>>, AppError> {
    let paging = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let f = db::oversight::InspectionFilter {
        compound_id: q.compound_id,
        company_id: q.company_id,
        campaign_id: q.campaign_id,
    };
    let (rows, total) = inspection_ops::list(&s, &viewer, &f, paging).await?;
    Ok(Json(Page {
        items: rows.into_iter().map(|i| inspection_out(i, vec![])).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Inspected {
    pub id: i64,
    /// The notice issued from the findings, when asked for.
    pub notice_id: Option<i64>,
}

/// Record an inspection of a compound the caller supervises, scored line by
/// line on the checklist (see `/api/v1/inspection-checklist`); optionally
/// issue a notice from its findings in the same step.
#[utoipa::path(post, path = "/api/v1/inspections", tag = "oversight", request_body = InspectIn,
    responses((status = 201, body = Inspected), (status = 404, body = ErrorBody)))]
pub async fn inspect(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<InspectIn>,
) -> Result<(StatusCode, Json<Inspected>), AppError> {
    let (id, notice_id) = inspection_ops::inspect(&s, &viewer, &b).await?;
    Ok((StatusCode::CREATED, Json(Inspected { id, notice_id })))
}

/// One inspection with its scored lines.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "oversight", params(("id" = i64, Path)),
    responses((status = 200, body = InspectionOut)))]
pub async fn get_inspection(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InspectionOut>, AppError> {
    let (i, lines) = inspection_ops::load(&s, &viewer, id).await?;
    Ok(Json(inspection_out(i, lines)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    pub campaign_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckOut {
    pub label: String,
    pub max: i64,
}

/// The checklist an inspection is scored on: a campaign's, or the quarterly one.
#[utoipa::path(get, path = "/api/v1/inspection-checklist", tag = "oversight", params(ChecklistQuery),
    responses((status = 200, body = Vec<CheckOut>), (status = 404, body = ErrorBody)))]
pub async fn checklist(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ChecklistQuery>,
) -> Result<Json<Vec<CheckOut>>, AppError> {
    let list = inspection_ops::checklist(&s, &viewer, q.campaign_id).await?;
    Ok(Json(list.into_iter().map(|c| CheckOut { label: c.label, max: c.max }).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub checklist: Vec<CheckOut>,
    pub note: String,
    /// The campaign's region first, then each child region (on `GET /campaigns/{id}` only).
    pub counts: Vec<db::oversight::CampaignCounts>,
}

fn campaign_out(c: db::oversight::Campaign, counts: Vec<db::oversight::CampaignCounts>) -> CampaignOut {
    CampaignOut {
        id: c.id,
        region_code: c.region_code,
        region_name: c.region_name,
        name: c.name,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        checklist: c.checklist.into_iter().map(|c| CheckOut { label: c.label, max: c.max }).collect(),
        note: c.note,
        counts,
    }
}

/// Campaigns over what the caller reads, latest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "oversight", responses((status = 200, body = Vec<CampaignOut>)))]
pub async fn list_campaigns(AxState(s): AxState<AppState>, viewer: Viewer) -> Result<Json<Vec<CampaignOut>>, AppError> {
    let rows = inspection_ops::campaigns(&s, &viewer).await?;
    Ok(Json(rows.into_iter().map(|c| campaign_out(c, vec![])).collect()))
}

/// Open a campaign (专项整治) over a region the caller supervises (officers).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "oversight", request_body = CampaignIn,
    responses((status = 201, body = CampaignOut), (status = 404, body = ErrorBody)))]
pub async fn open_campaign(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<CampaignIn>,
) -> Result<(StatusCode, Json<CampaignOut>), AppError> {
    let c = inspection_ops::open_campaign(&s, &viewer, &b).await?;
    Ok((StatusCode::CREATED, Json(campaign_out(c, vec![]))))
}

/// One campaign with its counts, for its region and each child region.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "oversight", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignOut)))]
pub async fn get_campaign(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CampaignOut>, AppError> {
    let (c, counts) = inspection_ops::campaign_page(&s, &viewer, id).await?;
    Ok(Json(campaign_out(c, counts)))
}

// ---- grading ---------------------------------------------------------------------

/// The presets a supervisor may choose from (each a whole scheme).
#[utoipa::path(get, path = "/api/v1/grading/presets", tag = "oversight",
    responses((status = 200, body = Vec<domain::grading::Scheme>)))]
pub async fn presets(_viewer: Viewer) -> Json<Vec<domain::grading::Scheme>> {
    Json(domain::grading::presets())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchemeQuery {
    /// A region code, or `all` for the country's default.
    pub region: String,
    /// The day (default: today).
    pub on: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct SchemeInForceOut {
    /// The scheme: items (key, label, effect), cadence, bands, inspection intervals.
    pub scheme: domain::grading::Scheme,
    /// The region that chose it; null: the country's default or the built-in four colours.
    pub region_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
}

/// The grading scheme in force for a region on a day.
#[utoipa::path(get, path = "/api/v1/grading/scheme", tag = "oversight", params(SchemeQuery),
    responses((status = 200, body = SchemeInForceOut), (status = 404, body = ErrorBody)))]
pub async fn get_scheme(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<SchemeQuery>,
) -> Result<Json<SchemeInForceOut>, AppError> {
    let place = parse_place(&q.region)?;
    let on = q.on.unwrap_or_else(domain::clock::today);
    let f = grading_ops::scheme(&s, &viewer, place.as_ref(), on).await?;
    Ok(Json(SchemeInForceOut { scheme: f.scheme, region_code: f.region_code, valid_from: f.valid_from }))
}

#[derive(Deserialize, ToSchema)]
pub struct SchemeIn {
    /// A region code, or `all` for the country's default (administrators).
    pub region: String,
    /// In force from this day (earlier periods keep the scheme they had).
    pub valid_from: NaiveDate,
    /// A preset's key (`four_colour`, `shandong_credit`, `ranked`) …
    pub preset: Option<String>,
    /// … or a whole scheme of the region's own.
    pub scheme: Option<domain::grading::Scheme>,
}

/// Choose a region's grading scheme from a day on (supervisors).
#[utoipa::path(put, path = "/api/v1/grading/scheme", tag = "oversight", request_body = SchemeIn,
    responses((status = 200, body = SchemeInForceOut), (status = 404, body = ErrorBody)))]
pub async fn put_scheme(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<SchemeIn>,
) -> Result<Json<SchemeInForceOut>, AppError> {
    let place = parse_place(&b.region)?;
    let scheme = match (&b.preset, b.scheme) {
        (Some(k), None) => domain::grading::preset(k.trim()).ok_or_else(|| {
            AppError::from(
                domain::Invalid::new("preset", format!("{k:?} is not a preset (four_colour, shandong_credit, ranked)"))
                    .zh(format!("“{k}”不是预置方案（four_colour、shandong_credit、ranked）")),
            )
        })?,
        (None, Some(s)) => s,
        _ => {
            return Err(domain::Invalid::new("preset", "give a preset or a scheme, one of the two")
                .zh("须给出预置方案或自定方案之一")
                .into());
        }
    };
    grading_ops::set_scheme(&s, &viewer, place.as_ref(), b.valid_from, &scheme).await?;
    let f = grading_ops::scheme(&s, &viewer, place.as_ref(), b.valid_from).await?;
    Ok(Json(SchemeInForceOut { scheme: f.scheme, region_code: f.region_code, valid_from: f.valid_from }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GradesQuery {
    pub region: String,
    /// 2021Q3, 2021H2, 2021, or a day in the period (default: today's period).
    pub period: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GradingOut {
    pub region_code: String,
    pub scheme_key: String,
    pub scheme_name: String,
    /// 2021Q3, 2021H2 or 2021.
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Best first; a company sees only its own.
    pub companies: Vec<CompanyGradeOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyGradeOut {
    pub company_id: i64,
    pub name: String,
    /// Points, one decimal (the compounds' scores weighted by households).
    pub score: f64,
    pub grade: String,
    pub vetoed: bool,
    pub compounds: Vec<CompoundScoreOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CompoundScoreOut {
    pub compound_id: i64,
    pub name: String,
    /// The weight (null: not recorded, weighs 1).
    pub households: Option<i64>,
    pub score: f64,
    pub lines: Vec<LineOut>,
}

#[derive(Serialize, ToSchema)]
pub struct LineOut {
    pub key: String,
    pub label: String,
    /// Facts counted.
    pub count: i64,
    /// Points moved (negative: a deduction).
    pub points: f64,
    pub capped: bool,
    pub veto: bool,
}

fn points(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

fn grading_out(g: &db::oversight::Grading, companies: &[db::oversight::CompanyGrade]) -> GradingOut {
    GradingOut {
        region_code: g.region_code.clone(),
        scheme_key: g.scheme.scheme.key.clone(),
        scheme_name: g.scheme.scheme.name.clone(),
        period: g.period.name(),
        period_start: g.period.start,
        period_end: g.period.end,
        companies: companies
            .iter()
            .map(|c| CompanyGradeOut {
                company_id: c.company_id,
                name: c.name.clone(),
                score: points(c.score),
                grade: c.grade.clone(),
                vetoed: c.vetoed,
                compounds: c
                    .compounds
                    .iter()
                    .map(|x| CompoundScoreOut {
                        compound_id: x.compound_id,
                        name: x.name.clone(),
                        households: x.households,
                        score: points(x.score.total),
                        lines: x
                            .score
                            .lines
                            .iter()
                            .map(|l| LineOut {
                                key: l.key.clone(),
                                label: l.label.clone(),
                                count: l.count,
                                points: points(l.points),
                                capped: l.capped,
                                veto: l.veto,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn period_on(p: Option<&str>) -> Result<NaiveDate, AppError> {
    match p.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Ok(domain::grading::period_day(p)?),
        None => Ok(domain::clock::today()),
    }
}

/// The grades of every company serving a region in a period, computed now
/// from the records (a company sees only its own).
#[utoipa::path(get, path = "/api/v1/grades", tag = "oversight", params(GradesQuery),
    responses((status = 200, body = GradingOut), (status = 404, body = ErrorBody)))]
pub async fn grades(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<GradesQuery>,
) -> Result<Json<GradingOut>, AppError> {
    let region = parse_code(&q.region)?;
    let g = grading_ops::grading(&s, &viewer, &region, period_on(q.period.as_deref())?).await?;
    Ok(Json(grading_out(&g, &g.companies)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyGradeQuery {
    pub region: String,
    pub period: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyScoreOut {
    pub grading: GradingOut,
    /// Its place among the companies graded, and how many there are.
    pub rank: usize,
    pub of: usize,
    /// Every fact behind the score, with its source and a link to it.
    pub facts: Vec<db::oversight::Fact>,
    pub publication_id: Option<i64>,
    /// Until when the company may object (once published).
    pub objections_until: Option<DateTime<Utc>>,
    pub objections: Vec<db::oversight::Objection>,
}

/// One company's score in a region and period, every point with the fact it came from.
#[utoipa::path(get, path = "/api/v1/grades/companies/{id}", tag = "oversight", params(("id" = i64, Path), CompanyGradeQuery),
    responses((status = 200, body = CompanyScoreOut)))]
pub async fn company_grade(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CompanyGradeQuery>,
) -> Result<Json<CompanyScoreOut>, AppError> {
    let region = parse_code(&q.region)?;
    let p = grading_ops::company(&s, &viewer, &region, period_on(q.period.as_deref())?, id).await?;
    let until = match &p.publication {
        Some(x) => Some(x.objections_until()?),
        None => None,
    };
    Ok(Json(CompanyScoreOut {
        grading: grading_out(&p.grading, std::slice::from_ref(&p.company)),
        rank: p.rank,
        of: p.of,
        facts: p.facts,
        publication_id: p.publication.as_ref().map(|x| x.id),
        objections_until: until,
        objections: p.objections,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PublishIn {
    pub region: String,
    /// 2021Q3, 2021H2, 2021, or a day in the period.
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicationOut {
    pub id: i64,
    pub region_code: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub scheme_key: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
    pub objections_until: DateTime<Utc>,
    /// Best first; a company sees only its own.
    pub results: Vec<PublishedOut>,
}

#[derive(Serialize, ToSchema)]
pub struct PublishedOut {
    pub company_id: i64,
    pub company_name: String,
    pub score: f64,
    pub grade: String,
    pub vetoed: bool,
    pub compounds: i32,
}

fn publication_out(
    p: db::oversight::Publication,
    rows: Vec<db::oversight::Published>,
) -> Result<PublicationOut, AppError> {
    Ok(PublicationOut {
        objections_until: p.objections_until()?,
        scheme_key: p.scheme()?.key,
        id: p.id,
        region_code: p.region_code,
        period_start: p.period_start,
        period_end: p.period_end,
        published_by: p.published_by,
        published_at: p.published_at,
        results: rows
            .into_iter()
            .map(|r| PublishedOut {
                company_id: r.company_id,
                company_name: r.company_name,
                score: points(r.score),
                grade: r.grade,
                vetoed: r.vetoed,
                compounds: r.compounds,
            })
            .collect(),
    })
}

/// Publish a region's grades for a period that has ended (supervisors); again only after a ruling upheld an objection (else 409).
#[utoipa::path(post, path = "/api/v1/grade-publications", tag = "oversight", request_body = PublishIn,
    responses((status = 201, body = PublicationOut), (status = 404, body = ErrorBody)))]
pub async fn publish(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<PublishIn>,
) -> Result<(StatusCode, Json<PublicationOut>), AppError> {
    let region = parse_code(&b.region)?;
    let p = grading_ops::publish(&s, &viewer, &region, domain::grading::period_day(&b.period)?).await?;
    let (p, rows) = grading_ops::publication(&s, &viewer, p.id).await?;
    Ok((StatusCode::CREATED, Json(publication_out(p, rows)?)))
}

/// A publication and its grades.
#[utoipa::path(get, path = "/api/v1/grade-publications/{id}", tag = "oversight", params(("id" = i64, Path)),
    responses((status = 200, body = PublicationOut)))]
pub async fn get_publication(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PublicationOut>, AppError> {
    let (p, rows) = grading_ops::publication(&s, &viewer, id).await?;
    Ok(Json(publication_out(p, rows)?))
}

/// A company objects to one fact counted against it, within the scheme's time.
#[utoipa::path(post, path = "/api/v1/grade-publications/{id}/objections", tag = "oversight", request_body = ObjectIn,
    params(("id" = i64, Path)), responses((status = 201, body = db::oversight::Objection)))]
pub async fn object(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ObjectIn>,
) -> Result<(StatusCode, Json<db::oversight::Objection>), AppError> {
    Ok((StatusCode::CREATED, Json(grading_ops::object(&s, &viewer, id, &b).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct RulingIn {
    /// true: the fact no longer counts; false: the objection is dismissed.
    pub uphold: bool,
    pub ruling: String,
}

/// Rule on an objection (those who grade or supervise the region).
#[utoipa::path(post, path = "/api/v1/grade-objections/{id}/ruling", tag = "oversight", request_body = RulingIn,
    params(("id" = i64, Path)), responses((status = 200, body = db::oversight::Objection)))]
pub async fn rule(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RulingIn>,
) -> Result<Json<db::oversight::Objection>, AppError> {
    Ok(Json(grading_ops::rule(&s, &viewer, id, b.uphold, &b.ruling).await?))
}

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    pub id: i64,
    pub company_id: i64,
    pub compound_id: Option<i64>,
    pub region_code: String,
    pub on_date: NaiveDate,
    pub item_key: String,
    pub count: i64,
    pub reason: String,
    pub evidence: String,
    pub recorded_by: String,
}

/// Record a fact for grading with its reason (an honour, a veto, a fault no record shows): officers.
#[utoipa::path(post, path = "/api/v1/grade-entries", tag = "oversight", request_body = EntryIn,
    responses((status = 201, body = EntryOut), (status = 404, body = ErrorBody)))]
pub async fn record_entry(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<EntryIn>,
) -> Result<(StatusCode, Json<EntryOut>), AppError> {
    let e = grading_ops::record_entry(&s, &viewer, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(EntryOut {
            id: e.id,
            company_id: e.company_id,
            compound_id: e.compound_id,
            region_code: e.region_code,
            on_date: e.on_date,
            item_key: e.item_key,
            count: e.count,
            reason: e.reason,
            evidence: e.evidence,
            recorded_by: e.recorded_by,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TalkOut {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub region_code: String,
    pub held_on: NaiveDate,
    pub people: String,
    pub outcome: String,
    pub notice_id: Option<i64>,
    pub recorded_by: String,
}

fn talk_out(t: db::oversight::Talk) -> TalkOut {
    TalkOut {
        id: t.id,
        company_id: t.company_id,
        company_name: t.company_name,
        region_code: t.region_code,
        held_on: t.held_on,
        people: t.people,
        outcome: t.outcome,
        notice_id: t.notice_id,
        recorded_by: t.recorded_by,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TalkQuery {
    pub company_id: Option<i64>,
}

/// Talks (约谈) the caller sees, latest first (at most 500).
#[utoipa::path(get, path = "/api/v1/talks", tag = "oversight", params(TalkQuery),
    responses((status = 200, body = Vec<TalkOut>)))]
pub async fn list_talks(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<TalkQuery>,
) -> Result<Json<Vec<TalkOut>>, AppError> {
    Ok(Json(grading_ops::talks(&s, &viewer, q.company_id).await?.into_iter().map(talk_out).collect()))
}

/// Record a talk (约谈) held with a company: officers.
#[utoipa::path(post, path = "/api/v1/talks", tag = "oversight", request_body = TalkIn,
    responses((status = 201, body = TalkOut), (status = 404, body = ErrorBody)))]
pub async fn record_talk(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<TalkIn>,
) -> Result<(StatusCode, Json<TalkOut>), AppError> {
    Ok((StatusCode::CREATED, Json(talk_out(grading_ops::record_talk(&s, &viewer, &b).await?))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    pub region: String,
}

#[derive(Serialize, ToSchema)]
pub struct DueOut {
    pub compound_id: i64,
    pub compound_name: String,
    pub company_id: i64,
    pub company_name: String,
    /// The company's grade in the latest publication over the region.
    pub grade: String,
    pub every_months: u32,
    pub last: Option<NaiveDate>,
    pub due_on: NaiveDate,
}

/// Inspections due in a region, soonest first: each compound's last visit
/// plus the interval its company's grade sets.
#[utoipa::path(get, path = "/api/v1/inspections-due", tag = "oversight", params(DueQuery),
    responses((status = 200, body = Vec<DueOut>), (status = 404, body = ErrorBody)))]
pub async fn inspections_due(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<Vec<DueOut>>, AppError> {
    let region = parse_code(&q.region)?;
    Ok(Json(
        grading_ops::due(&s, &viewer, &region)
            .await?
            .into_iter()
            .map(|d| DueOut {
                compound_id: d.compound_id,
                compound_name: d.compound_name,
                company_id: d.company_id,
                company_name: d.company_name,
                grade: d.grade,
                every_months: d.every_months,
                last: d.last,
                due_on: d.due_on,
            })
            .collect(),
    ))
}
