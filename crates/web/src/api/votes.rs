//! Owners, consultation topics and owners' votes. Each handler translates
//! HTTP to one operation of `ops::votes`. Paper ballots carry a photo and
//! are entered from the vote's page.

use axum::Json;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::votes::owners::{self as owner_ops, ClaimIn, RecordIn};
use crate::ops::votes::topics::{self as topic_ops, StepIn, TopicIn};
use crate::ops::votes::{self as vote_ops, CastIn, Receipt, VoteIn, VoteOut};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this compound's.
    pub compound_id: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// One vote in a list.
#[derive(Serialize, ToSchema)]
pub struct VoteRow {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub title: String,
    /// notice, open, closed, objection, finalising, final or cancelled
    pub phase: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

/// The votes the caller reads: their compounds' as an owner or its
/// committee, their regions' as the community, street and above.
#[utoipa::path(get, path = "/api/v1/votes", tag = "votes", params(ListQuery),
    responses((status = 200, body = Page<VoteRow>), (status = 404, body = ErrorBody)))]
pub async fn list_votes(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<VoteRow>>, AppError> {
    let paging = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let (rows, total) = vote_ops::list(&s, &viewer, q.compound_id, paging).await?;
    let today = domain::clock::today();
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|v| VoteRow {
                phase: v.phase(today).as_str().to_owned(),
                id: v.id,
                compound_id: v.compound_id,
                compound_name: v.compound_name,
                title: v.title,
                opens_on: v.opens_on,
                closes_on: v.closes_on,
            })
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

/// Announce an owners' vote (the compound's committee or the community):
/// at least 15 days' notice, open 5–60 days; each question's category is
/// proposed by its matter and confirmed (a special matter stays special).
#[utoipa::path(post, path = "/api/v1/votes", tag = "votes", request_body = VoteIn,
    responses((status = 201, body = VoteOut), (status = 404, body = ErrorBody)))]
pub async fn announce(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<VoteIn>,
) -> Result<(StatusCode, Json<VoteOut>), AppError> {
    let v = vote_ops::announce(&s, &viewer, &b).await?;
    Ok((StatusCode::CREATED, Json(vote_ops::view(&s, &viewer, v.id).await?)))
}

/// A vote: its questions, electorate, participation, published results
/// with their four fractions, objections, and the caller's own ballots with
/// receipts. Nobody is shown who voted how.
#[utoipa::path(get, path = "/api/v1/votes/{id}", tag = "votes", params(("id" = i64, Path)),
    responses((status = 200, body = VoteOut)))]
pub async fn get_vote(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VoteOut>, AppError> {
    Ok(Json(vote_ops::view(&s, &viewer, id).await?))
}

/// Cast or change one's ballot while voting is open (owners only).
#[utoipa::path(post, path = "/api/v1/votes/{id}/ballot", tag = "votes", request_body = CastIn,
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Receipt>), (status = 409, body = ErrorBody)))]
pub async fn cast(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CastIn>,
) -> Result<Json<Vec<Receipt>>, AppError> {
    Ok(Json(vote_ops::cast(&s, &viewer, id, &b).await?))
}

/// Publish the preliminary result once voting has closed, or the final one
/// once the objection window has passed (the managers).
#[utoipa::path(post, path = "/api/v1/votes/{id}/publish", tag = "votes", params(("id" = i64, Path)),
    responses((status = 200, body = VoteOut), (status = 409, body = ErrorBody)))]
pub async fn publish(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VoteOut>, AppError> {
    vote_ops::publish(&s, &viewer, id).await?;
    Ok(Json(vote_ops::view(&s, &viewer, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TextIn {
    pub text: String,
}

/// Call a vote off before it opens, with the reason.
#[utoipa::path(post, path = "/api/v1/votes/{id}/cancel", tag = "votes", request_body = TextIn,
    params(("id" = i64, Path)), responses((status = 200, body = VoteOut), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TextIn>,
) -> Result<Json<VoteOut>, AppError> {
    vote_ops::cancel(&s, &viewer, id, &b.text).await?;
    Ok(Json(vote_ops::view(&s, &viewer, id).await?))
}

/// Object to the preliminary result within the window (owners).
#[utoipa::path(post, path = "/api/v1/votes/{id}/objections", tag = "votes", request_body = TextIn,
    params(("id" = i64, Path)), responses((status = 201, body = VoteOut), (status = 409, body = ErrorBody)))]
pub async fn object(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TextIn>,
) -> Result<(StatusCode, Json<VoteOut>), AppError> {
    vote_ops::object(&s, &viewer, id, &b.text).await?;
    Ok((StatusCode::CREATED, Json(vote_ops::view(&s, &viewer, id).await?)))
}

/// Rule on an objection (the managers), once.
#[utoipa::path(post, path = "/api/v1/votes/{id}/objections/{item_id}/ruling", tag = "votes", request_body = TextIn,
    params(("id" = i64, Path), ("item_id" = i64, Path)),
    responses((status = 200, body = VoteOut), (status = 409, body = ErrorBody)))]
pub async fn rule(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath((id, oid)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<TextIn>,
) -> Result<Json<VoteOut>, AppError> {
    vote_ops::rule(&s, &viewer, id, oid, &b.text).await?;
    Ok(Json(vote_ops::view(&s, &viewer, id).await?))
}

// ---- topics ------------------------------------------------------------------------

/// A topic with its timeline and the steps the caller may take.
#[derive(Serialize, ToSchema)]
pub struct TopicOut {
    pub topic: db::votes::topics::Topic,
    pub events: Vec<db::votes::topics::TopicEvent>,
    /// Steps open to the caller now.
    pub steps: Vec<String>,
    /// Residents' ratings: how many, and the sum of their stars.
    pub ratings: i64,
    pub stars: i64,
}

async fn topic_out(s: &AppState, v: &Viewer, id: i64) -> Result<TopicOut, AppError> {
    let (mut t, st) = topic_ops::load(s, v, id).await?;
    let (ratings, stars) = db::votes::topics::ratings(&s.db, id).await?;
    let mut events = topic_ops::events(s, id).await?;
    let steps = topic_ops::offered(&st, &t).into_iter().map(|s| s.as_str().to_owned()).collect();
    topic_ops::redact(&st, &mut t, &mut events);
    Ok(TopicOut { steps, events, topic: t, ratings, stars })
}

/// The consultation topics the caller reads (the company reads its compounds').
#[utoipa::path(get, path = "/api/v1/topics", tag = "votes", params(ListQuery),
    responses((status = 200, body = Page<db::votes::topics::Topic>), (status = 404, body = ErrorBody)))]
pub async fn list_topics(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<db::votes::topics::Topic>>, AppError> {
    let paging = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let (items, total) = topic_ops::list(&s, &viewer, q.compound_id, paging).await?;
    Ok(Json(Page { items, page: paging.page, per_page: paging.per_page, total }))
}

/// Raise a topic (an owner, the committee, the company or the community);
/// a matter art. 278 reserves to the owners, or one marked major, is
/// reviewed by the leading party organisation once collected.
#[utoipa::path(post, path = "/api/v1/topics", tag = "votes", request_body = TopicIn,
    responses((status = 201, body = TopicOut), (status = 404, body = ErrorBody)))]
pub async fn propose(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<TopicIn>,
) -> Result<(StatusCode, Json<TopicOut>), AppError> {
    let t = topic_ops::propose(&s, &viewer, &b).await?;
    Ok((StatusCode::CREATED, Json(topic_out(&s, &viewer, t.id).await?)))
}

#[utoipa::path(get, path = "/api/v1/topics/{id}", tag = "votes", params(("id" = i64, Path)),
    responses((status = 200, body = TopicOut)))]
pub async fn get_topic(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TopicOut>, AppError> {
    Ok(Json(topic_out(&s, &viewer, id).await?))
}

/// Take a step: accept, approve/return/reject (the party review), resubmit,
/// meeting (with kind, day, attendance), decide, publish, follow_up, complete.
#[utoipa::path(post, path = "/api/v1/topics/{id}/steps", tag = "votes", request_body = StepIn,
    params(("id" = i64, Path)), responses((status = 200, body = TopicOut), (status = 409, body = ErrorBody)))]
pub async fn topic_step(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StepIn>,
) -> Result<Json<TopicOut>, AppError> {
    topic_ops::step(&s, &viewer, id, &b, None).await?;
    Ok(Json(topic_out(&s, &viewer, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = TopicRatingIn)]
pub struct RatingIn {
    /// 1–5
    pub stars: i32,
    #[serde(default)]
    pub comment: String,
}

/// Evaluate a topic carried out (owners; a second rating replaces the first).
#[utoipa::path(post, path = "/api/v1/topics/{id}/rating", tag = "votes", request_body = RatingIn,
    params(("id" = i64, Path)), responses((status = 200, body = TopicOut), (status = 409, body = ErrorBody)))]
pub async fn rate(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RatingIn>,
) -> Result<Json<TopicOut>, AppError> {
    topic_ops::rate(&s, &viewer, id, b.stars, &b.comment).await?;
    Ok(Json(topic_out(&s, &viewer, id).await?))
}

// ---- owners ------------------------------------------------------------------------

/// A compound's owners and parts today.
#[derive(Serialize, ToSchema)]
pub struct OwnersOut {
    pub owners: Vec<db::owners::OwnerUnits>,
    /// Each part: its area in hundredths of a m², where the area comes from, its owners.
    pub parts: Vec<db::owners::Holding>,
}

/// A compound's owners (its managers only: names are personal data).
#[utoipa::path(get, path = "/api/v1/compounds/{id}/owners", tag = "votes", params(("id" = i64, Path)),
    responses((status = 200, body = OwnersOut)))]
pub async fn owners(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OwnersOut>, AppError> {
    let (owners, parts) = owner_ops::roll(&s, &viewer, id).await?;
    Ok(Json(OwnersOut { owners, parts }))
}

/// Record who owns a unit from a day (co-owners together; the developer
/// alone); the previous owners' holding ends that day.
#[utoipa::path(post, path = "/api/v1/compounds/{id}/owners", tag = "votes", request_body = RecordIn,
    params(("id" = i64, Path)), responses((status = 200, body = OwnersOut)))]
pub async fn record(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecordIn>,
) -> Result<Json<OwnersOut>, AppError> {
    owner_ops::record(&s, &viewer, id, &b).await?;
    let (owners, parts) = owner_ops::roll(&s, &viewer, id).await?;
    Ok(Json(OwnersOut { owners, parts }))
}

/// Claims to be an owner: those the caller decides (the community), or
/// their own.
#[utoipa::path(get, path = "/api/v1/owner-claims", tag = "votes",
    responses((status = 200, body = Vec<db::owners::Claim>)))]
pub async fn claims(AxState(s): AxState<AppState>, viewer: Viewer) -> Result<Json<Vec<db::owners::Claim>>, AppError> {
    Ok(Json(owner_ops::claims(&s, &viewer).await?))
}

/// A resident claims to own the unit their account is granted.
#[utoipa::path(post, path = "/api/v1/owner-claims", tag = "votes", request_body = ClaimIn,
    responses((status = 201, body = db::owners::Claim), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<ClaimIn>,
) -> Result<(StatusCode, Json<db::owners::Claim>), AppError> {
    Ok((StatusCode::CREATED, Json(owner_ops::claim(&s, &viewer, &b).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct DecisionIn {
    /// The owner record the account is bound to; absent: the claim is rejected.
    pub owner_id: Option<i64>,
    /// Why (required for a rejection).
    #[serde(default)]
    pub reason: String,
}

/// Verify a claim (binding the account to one of the unit's owner records)
/// or reject it with a reason: the community.
#[utoipa::path(post, path = "/api/v1/owner-claims/{id}/decision", tag = "votes", request_body = DecisionIn,
    params(("id" = i64, Path)), responses((status = 200, body = db::owners::Claim), (status = 409, body = ErrorBody)))]
pub async fn decide(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionIn>,
) -> Result<Json<db::owners::Claim>, AppError> {
    Ok(Json(owner_ops::decide(&s, &viewer, id, b.owner_id, &b.reason).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    /// A region code.
    pub region: String,
}

/// The vote rules in force for a region: its own or the nearest above's
/// (`region_code` null: the law's 15 days' notice and 3 days for objections).
#[utoipa::path(get, path = "/api/v1/vote-rules", tag = "votes", params(RuleQuery),
    responses((status = 200, body = db::votes::Rule), (status = 404, body = ErrorBody)))]
pub async fn get_rule(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<RuleQuery>,
) -> Result<Json<db::votes::Rule>, AppError> {
    let code = crate::ops::regions::parse_code(&q.region)?;
    Ok(Json(vote_ops::rules(&s, &viewer, &code).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RuleIn {
    pub region: String,
    /// 15–90: days of notice before voting opens.
    pub notice_days: i64,
    /// 1–30: days for objections after the preliminary result.
    pub objection_days: i64,
}

/// Set a region's notice period and objection window (its supervisors).
#[utoipa::path(put, path = "/api/v1/vote-rules", tag = "votes", request_body = RuleIn,
    responses((status = 200, body = db::votes::Rule), (status = 404, body = ErrorBody)))]
pub async fn put_rule(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<RuleIn>,
) -> Result<Json<db::votes::Rule>, AppError> {
    let code = crate::ops::regions::parse_code(&b.region)?;
    Ok(Json(vote_ops::set_rule(&s, &viewer, &code, b.notice_days, b.objection_days).await?))
}
