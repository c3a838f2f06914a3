//! The owners' money: accounts, entries, vouchers, approvals, budgets and
//! monthly statements. Each handler translates HTTP to one operation of
//! `ops::ledger`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::ledger::{
    self as ops, AccountIn, AccountPatchIn, AccountView, ApprovalIn, BudgetIn, CategoryIn, EntryIn, Overview,
    ReverseIn, StatementView,
};

/// A compound's ledger: its accounts with balances (bank numbers masked to
/// those who do not manage them), the chain head to publish, the published
/// statements, approvals and disclosure, and what the caller may do.
#[utoipa::path(get, path = "/api/v1/compounds/{id}/ledger", tag = "ledger", params(("id" = i64, Path)),
    responses((status = 200, body = Overview), (status = 404, body = ErrorBody)))]
pub async fn overview(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Overview>, AppError> {
    Ok(Json(ops::overview(&s, &viewer, id).await?))
}

/// Open an account (the committee or the community side).
#[utoipa::path(post, path = "/api/v1/compounds/{id}/ledger/accounts", tag = "ledger", params(("id" = i64, Path)),
    request_body = AccountIn, responses((status = 201, body = AccountView), (status = 404, body = ErrorBody)))]
pub async fn open_account(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AccountIn>,
) -> Result<(StatusCode, Json<AccountView>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::open_account(&s, &viewer, id, &b).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnQuery {
    /// The balance at the end of this day (default today).
    pub on: Option<NaiveDate>,
}

/// An account and its balance at the end of a day: the sum of its entries up to it.
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}", tag = "ledger", params(("id" = i64, Path), OnQuery),
    responses((status = 200, body = AccountView), (status = 404, body = ErrorBody)))]
pub async fn get_account(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OnQuery>,
) -> Result<Json<AccountView>, AppError> {
    Ok(Json(ops::account(&s, &viewer, id, q.on).await?))
}

/// Change an account's details or rules, or close it.
#[utoipa::path(patch, path = "/api/v1/ledger/accounts/{id}", tag = "ledger", params(("id" = i64, Path)),
    request_body = AccountPatchIn, responses((status = 200, body = AccountView), (status = 404, body = ErrorBody)))]
pub async fn patch_account(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AccountPatchIn>,
) -> Result<Json<AccountView>, AppError> {
    Ok(Json(ops::update_account(&s, &viewer, id, &b).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Supervisors outside the compound give the reason of their request (logged).
    pub reason: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// An account's entries, newest first, each with its place in the chain, its
/// hash and vouchers. Supervisors read them only with a reason, which is logged.
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}/entries", tag = "ledger",
    params(("id" = i64, Path), EntriesQuery),
    responses((status = 200, body = Page<serde_json::Value>), (status = 404, body = ErrorBody)))]
pub async fn entries(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EntriesQuery>,
) -> Result<Json<Page<db::ledger::Entry>>, AppError> {
    let paging = PageQuery { page: q.page, per_page: q.per_page }.paging()?;
    let (items, total) = ops::entries(&s, &viewer, id, q.from, q.to, q.reason.as_deref(), paging).await?;
    Ok(Json(Page { items, page: paging.page, per_page: paging.per_page, total }))
}

/// Enter an income or spending (the company or the committee). Spending
/// above the account's threshold needs an approval; from the maintenance
/// fund, a passed owners' vote or the emergency procedure. Append-only.
#[utoipa::path(post, path = "/api/v1/ledger/accounts/{id}/entries", tag = "ledger", params(("id" = i64, Path)),
    request_body = EntryIn, responses((status = 201, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn enter(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EntryIn>,
) -> Result<(StatusCode, Json<db::ledger::Entry>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::enter(&s, &viewer, id, &b).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct VoucherOut {
    pub sha256: String,
    pub mime: String,
    pub bytes: i64,
}

/// Upload a voucher (a photo or a PDF, at most 5 MB, checked by content) as
/// the request body; name its hash in the entry's `vouchers`.
#[utoipa::path(post, path = "/api/v1/ledger/accounts/{id}/vouchers", tag = "ledger", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = VoucherOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_voucher(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<VoucherOut>), AppError> {
    let (sha256, mime, bytes) = ops::upload_voucher(&s, &viewer, id, &body).await?;
    Ok((StatusCode::CREATED, Json(VoucherOut { sha256, mime, bytes })))
}

/// Correct an entry by a reversing entry that names it (the original stays).
#[utoipa::path(post, path = "/api/v1/ledger/entries/{id}/reverse", tag = "ledger", params(("id" = i64, Path)),
    request_body = ReverseIn,
    responses((status = 201, body = serde_json::Value), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reverse(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReverseIn>,
) -> Result<(StatusCode, Json<db::ledger::Entry>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::reverse(&s, &viewer, id, &b).await?)))
}

/// Record an approval of spending: a committee resolution, a passed question
/// of an owners' vote, or the emergency procedure with who authorised it.
#[utoipa::path(post, path = "/api/v1/ledger/approvals", tag = "ledger", request_body = ApprovalIn,
    responses((status = 201, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn approve(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<ApprovalIn>,
) -> Result<(StatusCode, Json<db::ledger::Approval>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::approve(&s, &viewer, &b).await?)))
}

/// A year's budget of an account, with the year's actual figures per line.
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}/budget/{year}", tag = "ledger",
    params(("id" = i64, Path), ("year" = i32, Path, minimum = 2000, maximum = 2100)),
    responses((status = 200, body = Vec<serde_json::Value>), (status = 404, body = ErrorBody)))]
pub async fn get_budget(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath((id, year)): ApiPath<(i64, i32)>,
) -> Result<Json<Vec<db::ledger::BudgetLine>>, AppError> {
    Ok(Json(ops::budget(&s, &viewer, id, year).await?))
}

/// Set a year's budget on the authority of a committee resolution or a vote (the committee).
#[utoipa::path(put, path = "/api/v1/ledger/accounts/{id}/budget/{year}", tag = "ledger",
    params(("id" = i64, Path), ("year" = i32, Path, minimum = 2000, maximum = 2100)), request_body = BudgetIn,
    responses((status = 200, body = Vec<serde_json::Value>), (status = 404, body = ErrorBody)))]
pub async fn put_budget(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath((id, year)): ApiPath<(i64, i32)>,
    ApiJson(b): ApiJson<BudgetIn>,
) -> Result<Json<Vec<db::ledger::BudgetLine>>, AppError> {
    Ok(Json(ops::set_budget(&s, &viewer, id, year, &b).await?))
}

/// An account's published statements, newest first.
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}/statements", tag = "ledger", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<serde_json::Value>), (status = 404, body = ErrorBody)))]
pub async fn statements(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<db::ledger::Statement>>, AppError> {
    Ok(Json(ops::statements(&s, &viewer, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MonthIn {
    /// The month, `YYYY-MM`.
    pub month: String,
}

/// Publish a month's statement once the month has ended (the company or the
/// committee). It is kept as published: a later correction appears in a later month.
#[utoipa::path(post, path = "/api/v1/ledger/accounts/{id}/statements", tag = "ledger", params(("id" = i64, Path)),
    request_body = MonthIn,
    responses((status = 201, body = StatementView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MonthIn>,
) -> Result<(StatusCode, Json<StatementView>), AppError> {
    let month = domain::ledger::parse_month("month", &b.month)?;
    Ok((StatusCode::CREATED, Json(ops::publish(&s, &viewer, id, month).await?)))
}

/// A month's statement: as published, else a draft computed from the entries now.
#[utoipa::path(get, path = "/api/v1/ledger/accounts/{id}/statements/{month}", tag = "ledger",
    params(("id" = i64, Path), ("month" = String, Path, description = "YYYY-MM", pattern = r"^\d{4}-\d{2}$")),
    responses((status = 200, body = StatementView), (status = 404, body = ErrorBody)))]
pub async fn statement(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiPath((id, month)): ApiPath<(i64, String)>,
) -> Result<Json<StatementView>, AppError> {
    let month = domain::ledger::parse_month("month", &month)?;
    Ok(Json(ops::statement(&s, &viewer, id, month).await?))
}

/// The chart of accounts: the built-in categories and those administrators added.
#[utoipa::path(get, path = "/api/v1/ledger/chart", tag = "ledger",
    responses((status = 200, body = Vec<serde_json::Value>)))]
pub async fn chart(
    AxState(s): AxState<AppState>,
    _viewer: Viewer,
) -> Result<Json<Vec<db::ledger::Category>>, AppError> {
    Ok(Json(ops::chart(&s).await?))
}

/// Add a category to the chart (administrators).
#[utoipa::path(post, path = "/api/v1/ledger/chart", tag = "ledger", request_body = CategoryIn,
    responses((status = 201, body = serde_json::Value), (status = 409, body = ErrorBody)))]
pub async fn add_category(
    AxState(s): AxState<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<CategoryIn>,
) -> Result<(StatusCode, Json<db::ledger::Category>), AppError> {
    Ok((StatusCode::CREATED, Json(ops::add_category(&s, &viewer, &b).await?)))
}
