//! The owners' money as pages (phone first): the ledgers a reader may open;
//! a compound's accounts with balances, the chain head, statements and
//! approvals; an account's entries with vouchers and the forms to enter,
//! reverse and publish; a month's statement with its downloads.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use db::files::Holder;
use db::ledger::{Category, Entry};
use domain::Paging;
use domain::ledger::{AccountKind, Basis, Model, Side, yuan};
use serde::Deserialize;

use super::{FormData, Me, OrPage, Page, Pager, UiError, date, error_text, kept_file, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ops::ledger::{
    self as ops, AccountIn, AccountView, ApprovalIn, EntryIn, Overview, ReverseIn, StatementView,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger", get(index))
        .route("/compounds/{id}/ledger", get(overview_page))
        .route("/compounds/{id}/ledger/accounts", post(open_account))
        .route("/compounds/{id}/ledger/approvals", post(approve))
        .route("/ledger/accounts/{id}", get(account_page))
        .route("/ledger/accounts/{id}/entries", post(enter))
        .route("/ledger/accounts/{id}/close", post(close))
        .route("/ledger/accounts/{id}/statements", post(publish))
        .route("/ledger/accounts/{id}/statements/{month}", get(statement_page))
        .route("/ledger/statements/{id}", get(statement_by_id))
        .route("/ledger/accounts/{id}/statements/{month}/xlsx", get(statement_xlsx))
        .route("/ledger/accounts/{id}/statements/{month}/docx", get(statement_docx))
        .route("/ledger/entries/{id}/reverse", post(reverse))
        .route("/ledger/entries/{id}/vouchers/{sha}", kept_file(Holder::Voucher))
}

fn to_form(e: &AppError) -> bool {
    matches!(e.code, "invalid_input" | "bad_request" | "conflict")
}

/// Fen as yuan, on every ledger page (`self.money(x)` in the templates).
trait Money {
    fn money(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

impl Money for OverviewPage {}
impl Money for AccountPage {}
impl Money for StatementPage {}

// ---- the index ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ledgers.html")]
struct IndexPage {
    t: Tr,
    me: Option<Me>,
    compounds: Vec<(i64, String)>,
}

async fn index(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Response, UiError> {
    let compounds = ops::compounds(&s, &viewer).await.page(t)?;
    if let [(id, _)] = compounds.as_slice() {
        // An owner of one compound goes straight to it.
        return Ok(Redirect::to(&format!("/compounds/{id}/ledger")).into_response());
    }
    Ok(render(&IndexPage { t, me: Me::of(&viewer), compounds }).into_response())
}

// ---- a compound ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ledger.html")]
struct OverviewPage {
    t: Tr,
    me: Option<Me>,
    o: Overview,
    error: String,
    today: NaiveDate,
    kinds: &'static [AccountKind],
    models: &'static [Model],
    bases: Vec<Basis>,
}

impl OverviewPage {
    fn account_name(&self, id: &i64) -> String {
        self.o.accounts.iter().find(|a| a.id == *id).map_or_else(|| format!("#{id}"), |a| a.name.clone())
    }
}

async fn overview(s: &AppState, viewer: &Viewer, t: Tr, id: i64, error: String) -> Result<OverviewPage, UiError> {
    let o = ops::overview(s, viewer, id).await.page(t)?;
    let mut bases = Vec::new();
    if o.can.approve {
        bases.extend([Basis::Committee, Basis::Vote]);
    }
    if o.can.emergency {
        bases.push(Basis::Emergency);
    }
    Ok(OverviewPage {
        t,
        me: Me::of(viewer),
        o,
        error,
        today: domain::clock::today(),
        kinds: AccountKind::ALL,
        models: Model::ALL,
        bases,
    })
}

async fn overview_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    Ok(render(&overview(&s, &viewer, t, id, String::new()).await?))
}

/// A money field of a form in yuan, as positive fen.
fn yuan_field(field: &'static str, v: &str) -> Result<i64, AppError> {
    Ok(domain::ledger::parse_yuan(field, v)?)
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    bank_name: String,
    #[serde(default)]
    bank_account: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    opened_on: String,
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    three_quotes: Option<String>,
}

async fn open_account(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<AccountForm>,
) -> Result<Response, UiError> {
    let r: Result<AccountView, AppError> = async {
        let b = AccountIn {
            kind: AccountKind::parse(&f.kind)?,
            model: Model::parse(&f.model)?,
            name: f.name.clone(),
            bank_name: f.bank_name.clone(),
            bank_account: f.bank_account.clone(),
            holder: f.holder.clone(),
            opened_on: date("opened_on", &f.opened_on)?,
            threshold_fen: if f.threshold.trim().is_empty() {
                None
            } else {
                Some(yuan_field("threshold_fen", &f.threshold)?)
            },
            three_quotes: f.three_quotes.is_some(),
        };
        ops::open_account(&s, &viewer, id, &b).await
    }
    .await;
    match r {
        Ok(a) => Ok(Redirect::to(&format!("/ledger/accounts/{}", a.id)).into_response()),
        Err(e) if to_form(&e) => {
            Ok(render(&overview(&s, &viewer, t, id, error_text(t, &e)).await?).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Deserialize)]
struct ApprovalForm {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    quotes: String,
    #[serde(default)]
    vote_id: String,
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    authorised_by: String,
    #[serde(default)]
    decided_on: String,
}

async fn approve(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<ApprovalForm>,
) -> Result<Response, UiError> {
    let num = |field: &'static str, v: &str| -> Result<Option<i64>, AppError> {
        let v = v.trim().trim_start_matches('#');
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| domain::Invalid::new(field, "a whole number").zh("须为整数").into())
    };
    let r = async {
        let b = ApprovalIn {
            account_id: num("account_id", &f.account_id)?.unwrap_or(0),
            basis: Basis::parse(&f.basis)?,
            purpose: f.purpose.clone(),
            amount_fen: yuan_field("amount_fen", &f.amount)?,
            quotes: num("quotes", &f.quotes)?.unwrap_or(0).clamp(-1, 100) as i32,
            vote_id: num("vote_id", &f.vote_id)?,
            question_id: num("question_id", &f.question_id)?,
            authorised_by: f.authorised_by.clone(),
            decided_on: date("decided_on", &f.decided_on)?,
        };
        // The account must be this compound's (ops checks the reader's standing on it).
        let (a, _) = ops::load_account(&s, &viewer, b.account_id).await?;
        if a.compound_id != id {
            return Err(AppError::not_found());
        }
        ops::approve(&s, &viewer, &b).await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/compounds/{id}/ledger#approvals")).into_response()),
        Err(e) if to_form(&e) => {
            Ok(render(&overview(&s, &viewer, t, id, error_text(t, &e)).await?).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

// ---- an account ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ledger_account.html")]
struct AccountPage {
    t: Tr,
    me: Option<Me>,
    a: AccountView,
    can: ops::Can,
    /// None until a supervisor gives a reason.
    entries: Option<Vec<Entry>>,
    pager: Pager,
    chart: Vec<Category>,
    approvals: Vec<db::ledger::Approval>,
    statements: Vec<db::ledger::Statement>,
    /// What was typed into the entry form, given back when it is refused.
    draft: EntryDraft,
    /// The error belongs to the entry form (shown there, the form open).
    entry_error: bool,
    /// The month the publish form offers: after the last published, up to last month.
    to_publish: Option<String>,
    /// This year's budget lines with the year's actual figures.
    budget: Vec<db::ledger::BudgetLine>,
    year: i32,
    error: String,
}

impl AccountPage {
    fn category(&self, code: &str) -> String {
        let c = self.chart.iter().find(|c| c.code == code);
        match c {
            Some(c) if self.t.is_zh() => c.zh.clone(),
            Some(c) => c.en.clone(),
            None => code.to_owned(),
        }
    }
    fn income(&self, e: &Entry) -> bool {
        self.chart.iter().find(|c| c.code == e.category).is_none_or(|c| c.side == Side::Income)
    }
    fn spending_categories(&self) -> Vec<&Category> {
        self.chart.iter().filter(|c| c.code != domain::ledger::OPENING).collect()
    }
    fn month(&self, d: &NaiveDate) -> String {
        d.format("%Y-%m").to_string()
    }
    fn open_approvals(&self) -> Vec<&db::ledger::Approval> {
        self.approvals.iter().filter(|a| a.used_fen < a.amount_fen).collect()
    }
}

#[derive(Default)]
struct EntryDraft {
    entry_date: String,
    category: String,
    amount: String,
    counterparty: String,
    description: String,
    approval_id: String,
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    page: Option<u64>,
    reason: Option<String>,
}

async fn account(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    id: i64,
    q: AccountQuery,
    error: String,
    draft: Option<EntryDraft>,
) -> Result<AccountPage, UiError> {
    let paging = Paging::new(q.page, Some(30));
    let reason = q.reason.clone().unwrap_or_default();
    let p = ops::account_page(s, viewer, id, Some(&reason), paging).await.page(t)?;
    let total = p.entries.as_ref().map_or(0, |(_, n)| *n);
    let today = domain::clock::today();
    Ok(AccountPage {
        t,
        me: Me::of(viewer),
        entry_error: draft.is_some(),
        draft: draft.unwrap_or_else(|| EntryDraft { entry_date: today.to_string(), ..Default::default() }),
        to_publish: p.to_publish.map(|m| m.format("%Y-%m").to_string()),
        statements: p.statements,
        year: today.year(),
        budget: p.budget,
        pager: Pager::new(&format!("/ledger/accounts/{id}"), &[("reason", &reason)], paging, total),
        a: p.account,
        can: p.can,
        entries: p.entries.map(|(e, _)| e),
        chart: ops::chart(s).await.page(t)?,
        approvals: p.approvals,
        error,
    })
}

async fn account_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Query(q): Query<AccountQuery>,
) -> Result<Page, UiError> {
    Ok(render(&account(&s, &viewer, t, id, q, String::new(), None).await?))
}

async fn enter(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, UiError> {
    let mut d = EntryDraft::default();
    let r: Result<Entry, AppError> = async {
        let mut f = FormData::read(req, &s).await?;
        d = EntryDraft {
            entry_date: f.text("entry_date"),
            category: f.text("category"),
            amount: f.text("amount"),
            counterparty: f.text("counterparty"),
            description: f.text("description"),
            approval_id: f.text("approval_id"),
        };
        let mut vouchers = Vec::new();
        if let Some(bytes) = f.file("voucher") {
            vouchers.push(ops::upload_voucher(&s, &viewer, id, &bytes).await?.0);
        }
        let approval = d.approval_id.clone();
        let b = EntryIn {
            entry_date: date("entry_date", &d.entry_date)?,
            category: d.category.clone(),
            amount_fen: yuan_field("amount_fen", &d.amount)?,
            counterparty: d.counterparty.clone(),
            description: d.description.clone(),
            approval_id: if approval.trim().is_empty() {
                None
            } else {
                Some(
                    approval
                        .trim()
                        .parse()
                        .map_err(|_| domain::Invalid::new("approval_id", "a number").zh("须为编号"))?,
                )
            },
            building_id: None,
            vouchers,
        };
        ops::enter(&s, &viewer, id, &b).await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/ledger/accounts/{id}")).into_response()),
        Err(e) if to_form(&e) => {
            Ok(render(&account(&s, &viewer, t, id, AccountQuery::default(), error_text(t, &e), Some(d)).await?)
                .status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    closed_on: String,
}

/// Close an account on a day (no entries on or after it); a new account of its kind may then be opened.
async fn close(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<CloseForm>,
) -> Result<Response, UiError> {
    let r = async {
        let on = date("closed_on", &f.closed_on)?;
        ops::update_account(&s, &viewer, id, &ops::AccountPatchIn { closed_on: Some(on), ..Default::default() }).await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/ledger/accounts/{id}")).into_response()),
        Err(e) if to_form(&e) => {
            Ok(render(&account(&s, &viewer, t, id, AccountQuery::default(), error_text(t, &e), None).await?)
                .status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Deserialize)]
struct ReverseForm {
    #[serde(default)]
    reason: String,
}

async fn reverse(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<ReverseForm>,
) -> Result<Response, UiError> {
    let e = ops::entry(&s, &viewer, id).await.page(t)?;
    match ops::reverse(&s, &viewer, id, &ReverseIn { entry_date: None, reason: f.reason }).await {
        Ok(_) => Ok(Redirect::to(&format!("/ledger/accounts/{}", e.account_id)).into_response()),
        Err(err) if to_form(&err) => Ok(render(
            &account(&s, &viewer, t, e.account_id, AccountQuery::default(), error_text(t, &err), None).await?,
        )
        .status(StatusCode::UNPROCESSABLE_ENTITY)),
        Err(err) => Err(UiError(err, t)),
    }
}

#[derive(Deserialize)]
struct PublishForm {
    #[serde(default)]
    month: String,
}

async fn publish(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<PublishForm>,
) -> Result<Response, UiError> {
    let r = async {
        let month = domain::ledger::parse_month("month", &f.month)?;
        ops::publish(&s, &viewer, id, month).await
    }
    .await;
    match r {
        Ok(sv) => Ok(Redirect::to(&format!("/ledger/accounts/{id}/statements/{}", sv.statement.month.format("%Y-%m")))
            .into_response()),
        Err(e) if to_form(&e) => {
            Ok(render(&account(&s, &viewer, t, id, AccountQuery::default(), error_text(t, &e), None).await?)
                .status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

// ---- a statement ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ledger_statement.html")]
struct StatementPage {
    t: Tr,
    me: Option<Me>,
    sv: StatementView,
    chart: Vec<Category>,
    month: String,
}

impl StatementPage {
    fn category(&self, code: &str) -> String {
        match self.chart.iter().find(|c| c.code == code) {
            Some(c) if self.t.is_zh() => c.zh.clone(),
            Some(c) => c.en.clone(),
            None => code.to_owned(),
        }
    }
    fn income(&self, e: &Entry) -> bool {
        self.chart.iter().find(|c| c.code == e.category).is_none_or(|c| c.side == Side::Income)
    }
    fn is_income(&self, side: &Side) -> bool {
        *side == Side::Income
    }
}

async fn load_statement(s: &AppState, viewer: &Viewer, t: Tr, id: i64, month: &str) -> Result<StatementView, UiError> {
    // A month that is not one is a page that does not exist.
    let month = domain::ledger::parse_month("month", month).map_err(|_| AppError::not_found()).page(t)?;
    ops::statement(s, viewer, id, month).await.page(t)
}

async fn statement_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Page, UiError> {
    let sv = load_statement(&s, &viewer, t, id, &month).await?;
    Ok(render(&StatementPage {
        t,
        me: Me::of(&viewer),
        month: sv.statement.month.format("%Y-%m").to_string(),
        sv,
        chart: ops::chart(&s).await.page(t)?,
    }))
}

/// A published statement by its number (from a notice): to its page.
async fn statement_by_id(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let sv = ops::statement_by_id(&s, &viewer, id).await.page(t)?;
    Ok(Redirect::to(&format!("/ledger/accounts/{}/statements/{}", sv.account.id, sv.statement.month.format("%Y-%m")))
        .into_response())
}

async fn statement_doc(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    id: i64,
    month: &str,
    xlsx: bool,
) -> Result<Response, UiError> {
    let sv = load_statement(s, viewer, t, id, month).await?;
    let chart = ops::chart(s).await.page(t)?;
    let doc = report::StatementDoc {
        compound: &sv.account.compound_name,
        account: &sv.account.name,
        kind_zh: sv.account.kind.name_zh(),
        model_zh: sv.account.model.name_zh(),
        bank: format!("{} {}", sv.account.bank_name, sv.account.bank_account).trim().to_owned(),
        statement: &sv.statement,
        entries: &sv.entries,
        chart: &chart,
    };
    let (bytes, mime, ext) = if xlsx {
        (
            report::statement_xlsx(&doc).map_err(|e| AppError::internal(e.to_string())).page(t)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (
            report::statement_docx(&doc).map_err(AppError::internal).page(t)?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        )
    };
    let name = format!("{}.{ext}", ops::statement_file(&sv));
    let disposition =
        format!("attachment; filename=\"statement.{ext}\"; filename*=UTF-8''{}", crate::links::urlencode(&name));
    Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

async fn statement_xlsx(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Response, UiError> {
    statement_doc(&s, &viewer, t, id, &month, true).await
}

async fn statement_docx(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, month)): Path<(i64, String)>,
) -> Result<Response, UiError> {
    statement_doc(&s, &viewer, t, id, &month, false).await
}
