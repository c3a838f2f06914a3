//! Residents' problems: report, see, move through the workflow, rate.

use axum::Json;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use db::problems::{Event, Problem};
use domain::access::Action;
use domain::problem::{Category, Queue, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{HotlineCounts, Page};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::problems::{self as ops, CategoryIn, ListIn, ReportIn, act, load, rate_as, save_category, store_photo};

#[derive(Deserialize, ToSchema)]
pub struct ProblemIn {
    pub compound_id: i64,
    /// A category's code (see `/api/v1/problem-categories`).
    pub category: String,
    pub description: String,
    /// Where in the compound (building, entrance, unit, a place).
    #[serde(default)]
    pub location: String,
}

/// A problem as the API shows it, with its timeline.
#[derive(Serialize, ToSchema)]
pub struct ProblemOut {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    /// A category's code.
    pub category: String,
    pub description: String,
    pub location: String,
    /// submitted, accepted, in_progress, resolved, closed, rejected, rejection_review
    pub state: String,
    pub reporter_id: Option<i64>,
    /// `company` (handler_org_id is the company) or `community`.
    pub handler_kind: String,
    pub handler_org_id: Option<i64>,
    /// The level supervising it: community, street (escalated once) or county.
    pub supervised_at: String,
    pub overdue: bool,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub accept_by: chrono::DateTime<chrono::Utc>,
    pub resolve_by: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// satisfied, basically_satisfied, unsatisfied
    pub rating: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub timeline: Vec<EventOut>,
    /// Open problems of the same compound and category from the week before (on creation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<i64>,
}

/// One step of a problem's timeline.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The login of whoever took the step.
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
}

fn out(p: &Problem, events: Vec<Event>) -> ProblemOut {
    let p = p.clone();
    ProblemOut {
        id: p.id,
        compound_id: p.compound_id,
        compound_name: p.compound_name,
        region_path: p.region_path,
        category: p.category,
        description: p.description,
        location: p.location,
        state: p.state.as_str().to_owned(),
        reporter_id: p.reporter_id,
        handler_kind: p.handler_kind.as_str().to_owned(),
        handler_org_id: p.handler_org_id,
        supervised_at: p.supervised_at,
        overdue: p.overdue,
        submitted_at: p.submitted_at,
        accept_by: p.accept_by,
        resolve_by: p.resolve_by,
        resolved_at: p.resolved_at,
        rating: p.rating.map(|r| r.as_str().to_owned()),
        reason: p.reason,
        updated_at: p.updated_at,
        timeline: events
            .into_iter()
            .map(|e| EventOut {
                at: e.at,
                actor: e.actor,
                step: e.step,
                from_state: e.from_state,
                to_state: e.to_state,
                note: e.note,
            })
            .collect(),
        possible_duplicates: vec![],
    }
}

/// The categories of problems with their deadlines (withdrawn ones marked inactive).
#[utoipa::path(get, path = "/api/v1/problem-categories", tag = "problems",
    responses((status = 200, body = Vec<domain::problem::Category>)))]
pub async fn list_categories(AxState(s): AxState<AppState>, _viewer: Viewer) -> Result<Json<Vec<Category>>, AppError> {
    Ok(Json(s.categories.all(&s.db).await?.as_ref().clone()))
}

/// Add or change a category (administrators). New deadlines apply to problems reported from then on.
#[utoipa::path(put, path = "/api/v1/problem-categories/{code}", tag = "problems", request_body = CategoryIn,
    params(("code" = String, Path)),
    responses((status = 200, body = domain::problem::Category), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_category(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<CategoryIn>,
) -> Result<Json<Category>, AppError> {
    Ok(Json(save_category(&s, &viewer, &code, &b).await?))
}

/// Report a problem in a compound the caller can see.
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = ProblemIn,
    responses((status = 201, body = ProblemOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<ProblemIn>,
) -> Result<(StatusCode, Json<ProblemOut>), AppError> {
    let r = ReportIn {
        compound_id: b.compound_id,
        category: &b.category,
        description: &b.description,
        location: &b.location,
        photo: None,
        extra: Default::default(),
    };
    let w = ops::report(&s, &viewer, r).await?;
    let mut o = out(&w.problem, vec![w.event]);
    o.possible_duplicates = w.alike;
    Ok((StatusCode::CREATED, Json(o)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// Which list: work (default: everything not closed, rejections awaiting
    /// review included), new, overdue, review, rate, closed, all.
    #[param(value_type = Option<String>, pattern = "^(work|new|overdue|review|rate|closed|all)$")]
    pub view: Option<String>,
    /// `false` is the same as `view=all` (kept for older clients).
    pub open: Option<bool>,
    /// Only problems in this state.
    pub state: Option<String>,
    /// Only this category (its code).
    pub category: Option<String>,
    pub compound_id: Option<i64>,
    /// Text in the description or location, or the problem's number.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// urgent (default: overdue first, then the nearest deadline), newest, oldest, due.
    #[param(value_type = Option<String>, pattern = "^(urgent|newest|oldest|due)$")]
    pub order: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// The problems the caller handles, supervises or reported; overdue first.
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ProblemQuery),
    responses((status = 200, body = Page<ProblemOut>), (status = 422, body = ErrorBody)))]
pub async fn list(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ProblemQuery>,
) -> Result<Json<Page<ProblemOut>>, AppError> {
    let p = domain::Paging::parse(q.page, q.per_page)?;
    let queue = match (q.view.as_deref(), q.open) {
        (Some(v), _) => Some(Queue::parse(v)?),
        (None, Some(false)) => Some(Queue::All),
        (None, _) => None,
    };
    let list = ListIn {
        queue,
        state: q.state.as_deref().map(State::parse).transpose()?,
        category: q.category,
        compound_id: q.compound_id,
        text: q.q.map(|t| t.chars().take(100).collect()),
        order: q.order.as_deref().map(domain::problem::Order::parse).transpose()?,
    };
    let (rows, total) = ops::list(&s, &viewer, &list, p).await?;
    Ok(Json(Page { items: rows.iter().map(|r| out(r, vec![])).collect(), page: p.page, per_page: p.per_page, total }))
}

/// One problem with its timeline.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)),
    responses((status = 200, body = ProblemOut), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProblemOut>, AppError> {
    let p = load(&s, &viewer, id).await?;
    Ok(Json(out(&p, db::problems::events(&s.db, id).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct StepIn {
    /// accept, start, resolve, reject (with a reason), reopen, close, uphold_rejection, overturn_rejection, withdraw (the reporter, before it is resolved)
    pub step: String,
    #[serde(default)]
    pub note: String,
}

/// Move a problem on: the handler accepts, starts, resolves or rejects; the
/// reporter reopens or closes; the level above reviews a rejection.
#[utoipa::path(post, path = "/api/v1/problems/{id}/steps", tag = "problems", params(("id" = i64, Path)), request_body = StepIn,
    responses((status = 200, body = ProblemOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn step(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StepIn>,
) -> Result<Json<ProblemOut>, AppError> {
    let p = act(&s, &viewer, id, &b.step, &b.note).await?;
    Ok(Json(out(&p, db::problems::events(&s.db, id).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct RatingIn {
    /// satisfied, basically_satisfied, unsatisfied
    pub rating: String,
    /// The resident's word on it (why not satisfied, say); at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// The reporter rates the outcome of a resolved problem.
#[utoipa::path(post, path = "/api/v1/problems/{id}/rating", tag = "problems", params(("id" = i64, Path)), request_body = RatingIn,
    responses((status = 200, body = ProblemOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RatingIn>,
) -> Result<Json<ProblemOut>, AppError> {
    let p = rate_as(&s, &viewer, id, &b.rating, &b.note).await?;
    Ok(Json(out(&p, db::problems::events(&s.db, id).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// Region subtree (default: everything the caller sees by region).
    #[param(pattern = r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?$")]
    pub region: Option<String>,
    /// A company's problems only.
    pub company: Option<i64>,
    /// YYYY-MM (default: this month).
    pub month: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RatesOut {
    pub month: String,
    pub submitted: i64,
    pub response_rate: String,
    pub resolution_rate: String,
    pub on_time_rate: String,
    pub satisfaction_rate: String,
    pub counts: HotlineCounts,
}

/// The hotline rates (响应率, 解决率, 按时办结率, 满意率) of a region or a company for a month.
#[utoipa::path(get, path = "/api/v1/problems/rates", tag = "problems", params(RatesQuery),
    responses((status = 200, body = RatesOut), (status = 404, body = ErrorBody)))]
pub async fn rates(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<Json<RatesOut>, AppError> {
    let month = match q.month.as_deref() {
        Some(m) => report::Month::parse(m)?,
        None => report::Month::of(domain::clock::today()),
    };
    let within = match q.region.as_deref() {
        Some(r) => {
            let code = crate::ops::regions::parse_code(r)?;
            viewer.check_region(Action::Read, &code)?;
            Some(db::regions::require(&s.db, &code).await?.region_path())
        }
        None if viewer.is_admin() => None,
        None => return Err(domain::Invalid::new("region", "name the region").zh("请指定区划").into()),
    };
    if let Some(c) = q.company {
        crate::ops::structure::visible_org(&s, &viewer, c).await?;
    }
    let (from, to) = month.utc_range();
    let r = db::problems::rates(&s.db, within.as_ref(), q.company, from, to).await?;
    Ok(Json(RatesOut {
        month: month.to_string(),
        submitted: r.submitted,
        response_rate: r.response().percent_text(),
        resolution_rate: r.resolution().percent_text(),
        on_time_rate: r.on_time().percent_text(),
        satisfaction_rate: r.satisfaction().percent_text(),
        counts: r,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PhotoOut {
    pub sha256: String,
    pub mime: String,
    /// Where the photo is served (to those who may see the problem).
    pub url: String,
}

/// Attach a photo (JPEG, PNG or WebP, at most 5 MB, checked by content) as the request body.
#[utoipa::path(post, path = "/api/v1/problems/{id}/photos", tag = "problems", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = PhotoOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_photo(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PhotoOut>), AppError> {
    let (sha, mime) = store_photo(&s, &viewer, id, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(PhotoOut { url: crate::links::problem_photo(id, &sha), sha256: sha, mime: mime.into() }),
    ))
}
