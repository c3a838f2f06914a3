//! The owners' money (issue 17), each operation once. Who stands where in
//! the compound (`ops::votes::standing`) decides:
//! - **inside** — the owners, the committee and the company — read every
//!   account, entry, statement and voucher;
//! - the **company** and the **committee** enter and publish; the committee
//!   approves spending and budgets; the committee or the community side
//!   opens accounts and records an emergency's authority;
//! - **supervisors** (region grants over the compound) read accounts,
//!   statements' totals and disclosure; entries and vouchers only on a
//!   request whose reason is logged in the audit trail.
//!
//! Bank account numbers are shown whole only to those who manage the
//! account (committee, company, community side).

use chrono::{Datelike, NaiveDate, Utc};
use db::ledger::{Account, Approval, BudgetLine, Entry, NewAccount, NewApproval, NewEntry, Statement};
use domain::ledger::{self as l, AccountKind, Basis, Head, Model};
use domain::{Paging, clock};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::ops::votes::{Standing, standing};

/// What a viewer may do with a compound's ledger.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Can {
    /// Reads every entry and voucher (owners, committee, company).
    pub read_entries: bool,
    /// Reads entries only on a request with a reason, logged (supervisors).
    pub inspect: bool,
    pub open_accounts: bool,
    pub enter: bool,
    pub approve: bool,
    pub emergency: bool,
    pub publish: bool,
    /// Sees bank account numbers whole.
    pub unmasked: bool,
}

impl Can {
    pub fn of(st: &Standing) -> Can {
        let inside = st.committee || st.company || !st.owners.is_empty();
        Can {
            read_entries: inside,
            inspect: !inside && st.observe,
            open_accounts: st.manage,
            enter: st.committee || st.company,
            approve: st.committee,
            emergency: st.manage,
            publish: st.committee || st.company,
            unmasked: st.manage || st.company,
        }
    }

    fn reads(&self) -> bool {
        self.read_entries || self.inspect || self.open_accounts
    }
}

/// A compound's ledger standing, or 404 for those with none.
pub async fn can(s: &AppState, v: &Viewer, compound_id: i64) -> Result<(db::compounds::Compound, Can), AppError> {
    let (c, st) = standing(s, v, compound_id).await?;
    let can = Can::of(&st);
    if !can.reads() {
        return Err(AppError::not_found());
    }
    Ok((c, can))
}

/// An account as a reader sees it, with its balance today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    #[schema(value_type = String)]
    pub kind: AccountKind,
    #[schema(value_type = String)]
    pub model: Model,
    pub name: String,
    pub bank_name: String,
    /// Whole for those who manage it, else the last four digits.
    pub bank_account: String,
    pub holder: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub threshold_fen: i64,
    pub three_quotes: bool,
    pub balance_fen: i64,
}

fn view(a: Account, balance_fen: i64, can: &Can) -> AccountView {
    AccountView {
        bank_account: if can.unmasked { a.bank_account } else { l::mask_account(&a.bank_account) },
        id: a.id,
        compound_id: a.compound_id,
        compound_name: a.compound_name,
        kind: a.kind,
        model: a.model,
        name: a.name,
        bank_name: a.bank_name,
        holder: a.holder,
        opened_on: a.opened_on,
        closed_on: a.closed_on,
        threshold_fen: a.threshold_fen,
        three_quotes: a.three_quotes,
        balance_fen,
    }
}

/// A compound's ledger at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    pub compound_id: i64,
    pub compound_name: String,
    pub accounts: Vec<AccountView>,
    /// The chain's head to publish (`SEQ:HASH`): truncation below it shows.
    #[schema(value_type = Option<String>)]
    pub head: Option<Head>,
    pub statements: Vec<Statement>,
    pub approvals: Vec<Approval>,
    pub disclosure: Vec<db::ledger::Disclosure>,
    pub can: Can,
}

pub async fn overview(s: &AppState, v: &Viewer, compound_id: i64) -> Result<Overview, AppError> {
    let (c, can) = can(s, v, compound_id).await?;
    let today = clock::today();
    let bal = db::ledger::balances(&s.db, c.id, today).await?;
    let accounts = db::ledger::accounts(&s.db, c.id)
        .await?
        .into_iter()
        .map(|a| {
            let b = bal.get(&a.id).copied().unwrap_or(0);
            view(a, b, &can)
        })
        .collect();
    Ok(Overview {
        compound_id: c.id,
        compound_name: c.name.clone(),
        accounts,
        head: db::ledger::head(&s.db, c.id).await?,
        statements: db::ledger::statements(&s.db, None, c.id, 12).await?,
        approvals: db::ledger::approvals(&s.db, c.id).await?,
        disclosure: db::ledger::disclosure(&s.db, c.id).await?,
        can,
    })
}

/// An account as opened from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccountIn {
    #[schema(value_type = String)]
    pub kind: AccountKind,
    #[schema(value_type = String)]
    pub model: Model,
    pub name: String,
    #[serde(default)]
    pub bank_name: String,
    #[serde(default)]
    pub bank_account: String,
    #[serde(default)]
    pub holder: String,
    pub opened_on: NaiveDate,
    /// Spending above this needs the committee's approval (default 5,000 yuan).
    pub threshold_fen: Option<i64>,
    #[serde(default)]
    pub three_quotes: bool,
}

pub async fn open_account(s: &AppState, v: &Viewer, compound_id: i64, b: &AccountIn) -> Result<AccountView, AppError> {
    let (c, can) = can(s, v, compound_id).await?;
    if !can.open_accounts {
        return Err(AppError::forbidden());
    }
    domain::history::check_plausible("opened_on", b.opened_on, clock::today())?;
    let a = db::ledger::open(
        &s.db,
        &v.actor(),
        &NewAccount {
            compound_id: c.id,
            kind: b.kind,
            model: b.model,
            name: b.name.clone(),
            bank_name: b.bank_name.clone(),
            bank_account: b.bank_account.clone(),
            holder: b.holder.clone(),
            opened_on: b.opened_on,
            threshold_fen: b.threshold_fen.unwrap_or(l::DEFAULT_THRESHOLD_FEN),
            three_quotes: b.three_quotes,
        },
        Utc::now(),
    )
    .await?;
    Ok(view(a, 0, &can))
}

/// An account a viewer may read, with what they may do (404 otherwise).
pub async fn load_account(s: &AppState, v: &Viewer, id: i64) -> Result<(Account, Can), AppError> {
    let a = db::ledger::account(&s.db, id).await?;
    let (_, can) = can(s, v, a.compound_id).await?;
    Ok((a, can))
}

pub async fn account(s: &AppState, v: &Viewer, id: i64, on: Option<NaiveDate>) -> Result<AccountView, AppError> {
    let (a, can) = load_account(s, v, id).await?;
    let b = db::ledger::balance(&s.db, a.id, on.unwrap_or_else(clock::today)).await?;
    Ok(view(a, b, &can))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AccountPatchIn {
    pub name: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub holder: Option<String>,
    pub threshold_fen: Option<i64>,
    pub three_quotes: Option<bool>,
    /// The day the account closes (no entries on or after it).
    pub closed_on: Option<NaiveDate>,
}

pub async fn update_account(s: &AppState, v: &Viewer, id: i64, p: &AccountPatchIn) -> Result<AccountView, AppError> {
    let (a, can) = load_account(s, v, id).await?;
    if !can.open_accounts {
        return Err(AppError::forbidden());
    }
    if let Some(d) = p.closed_on {
        domain::history::check_plausible("closed_on", d, clock::today())?;
    }
    let a = db::ledger::update(
        &s.db,
        &v.actor(),
        a.id,
        &db::ledger::AccountPatch {
            name: p.name.clone(),
            bank_name: p.bank_name.clone(),
            bank_account: p.bank_account.clone(),
            holder: p.holder.clone(),
            threshold_fen: p.threshold_fen,
            three_quotes: p.three_quotes,
            closed_on: p.closed_on,
        },
    )
    .await?;
    let b = db::ledger::balance(&s.db, a.id, clock::today()).await?;
    Ok(view(a, b, &can))
}

/// Entries of an account: inside readers freely; supervisors with a reason, logged.
pub async fn entries(
    s: &AppState,
    v: &Viewer,
    id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    reason: Option<&str>,
    page: Paging,
) -> Result<(Vec<Entry>, u64), AppError> {
    let (a, can) = load_account(s, v, id).await?;
    inspect(s, v, &a, &can, reason).await?;
    Ok(db::ledger::entries(&s.db, a.id, from, to, page).await?)
}

/// Inside readers pass; a supervisor passes with a reason, which is logged; others get 403.
async fn inspect(s: &AppState, v: &Viewer, a: &Account, can: &Can, reason: Option<&str>) -> Result<(), AppError> {
    if can.read_entries {
        return Ok(());
    }
    let reason = reason.map(str::trim).unwrap_or("");
    if reason.is_empty() {
        return Err(domain::Invalid::new(
            "reason",
            "supervisors read entries on a request: give its reason (it is logged)",
        )
        .zh("监管人员查阅明细须说明事由（将记录在案）")
        .into());
    }
    db::ledger::log_inspection(&s.db, &v.actor(), a, reason).await?;
    Ok(())
}

/// An entry as given from any face; vouchers are files kept before (`keep_voucher`), by hash.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EntryIn {
    pub entry_date: NaiveDate,
    pub category: String,
    /// Positive; the category's side gives the sign.
    pub amount_fen: i64,
    #[serde(default)]
    pub counterparty: String,
    pub description: String,
    pub approval_id: Option<i64>,
    pub building_id: Option<i64>,
    /// SHA-256 of vouchers uploaded to `POST /api/v1/ledger/vouchers`.
    #[serde(default)]
    pub vouchers: Vec<String>,
}

pub async fn enter(s: &AppState, v: &Viewer, account_id: i64, b: &EntryIn) -> Result<Entry, AppError> {
    let (a, can) = load_account(s, v, account_id).await?;
    if !can.enter {
        return Err(AppError::forbidden());
    }
    if b.vouchers.len() > l::VOUCHERS_MAX {
        return Err(domain::Invalid::new("vouchers", format!("at most {} vouchers", l::VOUCHERS_MAX))
            .zh(format!("凭证最多 {} 个", l::VOUCHERS_MAX))
            .into());
    }
    let mut vouchers = Vec::new();
    for sha in &b.vouchers {
        vouchers.push(kept_voucher(s, sha).await?);
    }
    let n = NewEntry {
        account_id: a.id,
        entry_date: b.entry_date,
        category: b.category.clone(),
        amount_fen: b.amount_fen,
        counterparty: b.counterparty.clone(),
        description: b.description.clone(),
        approval_id: b.approval_id,
        building_id: b.building_id,
        vouchers,
        gated: true,
    };
    Ok(db::ledger::enter(&s.db, &v.actor(), &n, clock::today(), Utc::now()).await?)
}

/// A voucher's type by its content: a photo (JPEG, PNG, WebP) or a PDF.
pub fn voucher_type(bytes: &[u8]) -> Result<&'static str, domain::Invalid> {
    if bytes.len() > l::VOUCHER_MAX_BYTES {
        return Err(domain::Invalid::new("voucher", "a voucher may be at most 5 MB").zh("凭证文件不能超过 5 MB"));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    domain::problem::photo_type(bytes).map_err(|_| {
        domain::Invalid::new("voucher", "only photos (JPEG, PNG, WebP) or PDF files are accepted")
            .zh("凭证只接受照片（JPEG、PNG、WebP）或 PDF 文件")
    })
}

/// Check a voucher by its content and keep it by its hash (as problem photos are).
pub async fn keep_voucher(s: &AppState, bytes: &[u8]) -> Result<(String, String, i64), AppError> {
    let mime = voucher_type(bytes)?;
    let sha = crate::ops::problems::keep_bytes(s, bytes).await?;
    Ok((sha, mime.to_owned(), bytes.len() as i64))
}

/// Upload a voucher for an account's next entries (those who enter only).
pub async fn upload_voucher(
    s: &AppState,
    v: &Viewer,
    account_id: i64,
    bytes: &[u8],
) -> Result<(String, String, i64), AppError> {
    let (_, can) = load_account(s, v, account_id).await?;
    if !can.enter {
        return Err(AppError::forbidden());
    }
    keep_voucher(s, bytes).await
}

/// A voucher kept before, named by its hash: its type and size, read from the file.
async fn kept_voucher(s: &AppState, sha: &str) -> Result<(String, String, i64), AppError> {
    let sha = sha.trim().to_ascii_lowercase();
    let missing = || {
        domain::Invalid::new("vouchers", format!("{sha:?} is not an uploaded voucher"))
            .zh(format!("“{sha}”不是已上传的凭证"))
    };
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing().into());
    }
    let bytes = tokio::fs::read(crate::ops::problems::photo_path(s, &sha)).await.map_err(|_| missing())?;
    let mime = voucher_type(&bytes)?;
    Ok((sha, mime.to_owned(), bytes.len() as i64))
}

/// A voucher file of an entry the viewer may read: its path and type
/// (served through `ops::files::kept`).
pub(super) async fn voucher(
    s: &AppState,
    v: &Viewer,
    entry_id: i64,
    sha: &str,
) -> Result<(std::path::PathBuf, String), AppError> {
    let e = db::ledger::entry(&s.db, entry_id).await?;
    let (a, can) = load_account(s, v, e.account_id).await?;
    let mime =
        db::files::mime(&s.db, db::files::Holder::Voucher, entry_id, sha).await?.ok_or_else(AppError::not_found)?;
    if !can.read_entries {
        inspect(s, v, &a, &can, Some(&format!("查看凭证（第 {} 笔）", e.seq))).await?;
    }
    Ok((crate::ops::problems::photo_path(s, sha), mime))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReverseIn {
    /// The day of the reversing entry (default today).
    pub entry_date: Option<NaiveDate>,
    pub reason: String,
}

pub async fn reverse(s: &AppState, v: &Viewer, entry_id: i64, b: &ReverseIn) -> Result<Entry, AppError> {
    let e = db::ledger::entry(&s.db, entry_id).await?;
    let (_, can) = load_account(s, v, e.account_id).await?;
    if !can.enter {
        return Err(AppError::forbidden());
    }
    let today = clock::today();
    Ok(db::ledger::reverse(&s.db, &v.actor(), e.id, b.entry_date.unwrap_or(today), &b.reason, today, Utc::now())
        .await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApprovalIn {
    pub account_id: i64,
    #[schema(value_type = String)]
    pub basis: Basis,
    pub purpose: String,
    pub amount_fen: i64,
    #[serde(default)]
    pub quotes: i32,
    /// For a vote: the vote and its passed question.
    pub vote_id: Option<i64>,
    pub question_id: Option<i64>,
    /// Who authorised it (required for an emergency).
    #[serde(default)]
    pub authorised_by: String,
    pub decided_on: NaiveDate,
}

/// Record an approval: the committee's resolutions and votes; an emergency by the committee or the community side.
pub async fn approve(s: &AppState, v: &Viewer, b: &ApprovalIn) -> Result<Approval, AppError> {
    let (a, can) = load_account(s, v, b.account_id).await?;
    let may = match b.basis {
        Basis::Emergency => can.emergency,
        Basis::Committee | Basis::Vote => can.approve,
    };
    if !may {
        return Err(AppError::forbidden());
    }
    let n = NewApproval {
        account_id: a.id,
        basis: b.basis,
        purpose: b.purpose.clone(),
        amount_fen: b.amount_fen,
        quotes: b.quotes,
        vote_id: b.vote_id,
        question_id: b.question_id,
        authorised_by: b.authorised_by.clone(),
        decided_on: b.decided_on,
    };
    Ok(db::ledger::approve(&s.db, &v.actor(), &n, clock::today(), Utc::now()).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BudgetIn {
    /// The approval (a committee resolution or a vote) the budget rests on.
    pub approval_id: i64,
    pub lines: Vec<BudgetLineIn>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BudgetLineIn {
    pub category: String,
    pub amount_fen: i64,
}

pub async fn budget(s: &AppState, v: &Viewer, account_id: i64, year: i32) -> Result<Vec<BudgetLine>, AppError> {
    let (a, _) = load_account(s, v, account_id).await?;
    Ok(db::ledger::budget(&s.db, a.id, year).await?)
}

pub async fn set_budget(
    s: &AppState,
    v: &Viewer,
    account_id: i64,
    year: i32,
    b: &BudgetIn,
) -> Result<Vec<BudgetLine>, AppError> {
    let (a, can) = load_account(s, v, account_id).await?;
    if !can.approve {
        return Err(AppError::forbidden());
    }
    let lines: Vec<(String, i64)> = b.lines.iter().map(|x| (x.category.trim().to_owned(), x.amount_fen)).collect();
    Ok(db::ledger::set_budget(&s.db, &v.actor(), a.id, year, &lines, b.approval_id, Utc::now()).await?)
}

/// A statement with what the reader may see of it: the entries for inside readers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub account: AccountView,
    pub statement: Statement,
    /// The month's entries (empty for supervisors, who read the totals).
    pub entries: Vec<Entry>,
    pub on_time: bool,
}

/// An account's statement of a month: as published, else a draft computed now.
pub async fn statement(s: &AppState, v: &Viewer, account_id: i64, month: NaiveDate) -> Result<StatementView, AppError> {
    let (a, can) = load_account(s, v, account_id).await?;
    let st = db::ledger::statement_of(&s.db, a.id, month, clock::today()).await?;
    finish_statement(s, a, can, st).await
}

pub async fn statement_by_id(s: &AppState, v: &Viewer, id: i64) -> Result<StatementView, AppError> {
    let st = db::ledger::statement(&s.db, id).await?;
    let (a, can) = load_account(s, v, st.account_id).await?;
    finish_statement(s, a, can, st).await
}

async fn finish_statement(s: &AppState, a: Account, can: Can, st: Statement) -> Result<StatementView, AppError> {
    let entries = if can.read_entries { db::ledger::month_entries(&s.db, a.id, st.month).await? } else { Vec::new() };
    let b = db::ledger::balance(&s.db, a.id, clock::today()).await?;
    Ok(StatementView { on_time: st.on_time(), account: view(a, b, &can), statement: st, entries })
}

pub async fn statements(s: &AppState, v: &Viewer, account_id: i64) -> Result<Vec<Statement>, AppError> {
    let (a, _) = load_account(s, v, account_id).await?;
    Ok(db::ledger::statements(&s.db, Some(a.id), a.compound_id, 120).await?)
}

pub async fn publish(s: &AppState, v: &Viewer, account_id: i64, month: NaiveDate) -> Result<StatementView, AppError> {
    let (a, can) = load_account(s, v, account_id).await?;
    if !can.publish {
        return Err(AppError::forbidden());
    }
    let st = db::ledger::publish(&s.db, &v.actor(), a.id, month, clock::today(), Utc::now()).await?;
    finish_statement(s, a, can, st).await
}

/// Everything an account's page shows, from one look-up of the reader's standing.
pub struct AccountPage {
    pub account: AccountView,
    pub can: Can,
    /// The page of entries and their total; None for a supervisor who gave no reason.
    pub entries: Option<(Vec<Entry>, u64)>,
    pub approvals: Vec<Approval>,
    pub statements: Vec<Statement>,
    pub budget: Vec<BudgetLine>,
    /// The month due to be published next (`domain::ledger::next_to_publish`).
    pub to_publish: Option<NaiveDate>,
}

pub async fn account_page(
    s: &AppState,
    v: &Viewer,
    id: i64,
    reason: Option<&str>,
    page: Paging,
) -> Result<AccountPage, AppError> {
    let (a, can) = load_account(s, v, id).await?;
    let today = clock::today();
    let entries = if can.read_entries || reason.is_some_and(|r| !r.trim().is_empty()) {
        inspect(s, v, &a, &can, reason).await?;
        Some(db::ledger::entries(&s.db, a.id, None, None, page).await?)
    } else {
        None
    };
    let approvals = if can.read_entries || can.open_accounts {
        db::ledger::approvals(&s.db, a.compound_id).await?.into_iter().filter(|x| x.account_id == a.id).collect()
    } else {
        Vec::new()
    };
    let statements = db::ledger::statements(&s.db, Some(a.id), a.compound_id, 120).await?;
    let to_publish = l::next_to_publish(a.opened_on, a.closed_on, statements.first().map(|st| st.month), today);
    let budget = db::ledger::budget(&s.db, a.id, today.year()).await?;
    let balance = db::ledger::balance(&s.db, a.id, today).await?;
    Ok(AccountPage { account: view(a, balance, &can), can, entries, approvals, statements, budget, to_publish })
}

/// An entry the viewer may read (404 otherwise).
pub async fn entry(s: &AppState, v: &Viewer, id: i64) -> Result<Entry, AppError> {
    let e = db::ledger::entry(&s.db, id).await?;
    let (a, can) = load_account(s, v, e.account_id).await?;
    inspect(s, v, &a, &can, Some(&format!("查看分录（第 {} 笔）", e.seq))).await?;
    Ok(e)
}

/// The chart of accounts (anyone signed in may read it).
pub async fn chart(s: &AppState) -> Result<Vec<db::ledger::Category>, AppError> {
    Ok(db::ledger::chart(&s.db).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = LedgerCategoryIn)]
pub struct CategoryIn {
    pub code: String,
    pub zh: String,
    pub en: String,
    #[schema(value_type = String)]
    pub side: l::Side,
}

/// Add a category (administrators).
pub async fn add_category(s: &AppState, v: &Viewer, b: &CategoryIn) -> Result<db::ledger::Category, AppError> {
    if !v.is_admin() {
        return Err(AppError::forbidden());
    }
    Ok(db::ledger::add_category(&s.db, &v.actor(), b.code.trim(), &b.zh, &b.en, b.side).await?)
}

/// The compounds whose ledgers the viewer may read.
pub async fn compounds(s: &AppState, v: &Viewer) -> Result<Vec<(i64, String)>, AppError> {
    let f = crate::ops::votes::filter(s, v, None, true).await?;
    Ok(db::ledger::compounds_with_accounts(&s.db, &f).await?)
}

/// The statement's name for downloads: `丰华小区-共有资金账户-2026-10`.
pub fn statement_file(sv: &StatementView) -> String {
    format!("{}-{}-{}", sv.account.compound_name, sv.account.name, sv.statement.month.format("%Y-%m"))
}
