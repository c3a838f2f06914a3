//! The owners' money (issue 17, decision 0013): accounts per compound, the
//! chart of accounts, entries appended to each compound's hash chain (in
//! `entries`), approvals and budgets (`approvals`), monthly statements and
//! the bulletin's figures (`statements`). Every write runs under
//! `Db::begin_write`, one at a time, so a compound's chain has one order.

pub mod approvals;
pub mod entries;
pub mod statements;

pub use approvals::*;
pub use entries::*;
pub use statements::*;

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::ledger::{self as l, AccountKind, Model, Side};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;

use crate::audit::Change;
use crate::sql::{all, exec, insert_id, known, one};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub kind: AccountKind,
    pub model: Model,
    pub name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub holder: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub threshold_fen: i64,
    pub three_quotes: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct AccountRow {
    id: i64,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    kind: String,
    model: String,
    name: String,
    bank_name: String,
    bank_account: String,
    holder: String,
    opened_on: NaiveDate,
    closed_on: Option<NaiveDate>,
    threshold_fen: i64,
    three_quotes: i32,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl FromQueryResult for Account {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = AccountRow::from_query_result(res, pre)?;
        let row = format!("ledger account {}", r.id);
        Ok(Account {
            kind: known(&row, "kind", &r.kind, AccountKind::find)?,
            model: known(&row, "model", &r.model, Model::find)?,
            id: r.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            name: r.name,
            bank_name: r.bank_name,
            bank_account: r.bank_account,
            holder: r.holder,
            opened_on: r.opened_on,
            closed_on: r.closed_on,
            threshold_fen: r.threshold_fen,
            three_quotes: r.three_quotes != 0,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.compound_id, c.name AS compound_name, a.region_path, a.kind, a.model, a.name, \
     a.bank_name, a.bank_account, a.holder, a.opened_on, a.closed_on, a.threshold_fen, a.three_quotes, a.created_by, \
     a.created_at FROM ledger_account a JOIN compound c ON c.id = a.compound_id";

impl Account {
    /// Whether the account is open on `d`.
    pub fn open_on(&self, d: NaiveDate) -> bool {
        self.opened_on <= d && self.closed_on.is_none_or(|c| d < c)
    }
}

/// An account as opened.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub compound_id: i64,
    pub kind: AccountKind,
    pub model: Model,
    pub name: String,
    pub bank_name: String,
    pub bank_account: String,
    pub holder: String,
    pub opened_on: NaiveDate,
    pub threshold_fen: i64,
    pub three_quotes: bool,
}

impl NewAccount {
    pub fn check(&self) -> Result<()> {
        l::check_text("name", &self.name, 60, true)?;
        l::check_text("bank_name", &self.bank_name, 60, false)?;
        l::check_text("holder", &self.holder, 60, false)?;
        check_bank_account(&self.bank_account)?;
        check_threshold(self.threshold_fen)?;
        Ok(())
    }
}

fn check_bank_account(s: &str) -> Result<()> {
    let t = s.trim();
    if t.len() > 40 || !t.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return Err(domain::Invalid::new("bank_account", "digits, spaces and dashes only, at most 40")
            .zh("银行账号只能包含数字、空格和短横线，最多 40 位")
            .into());
    }
    Ok(())
}

fn check_threshold(fen: i64) -> Result<()> {
    if !(0..=l::AMOUNT_MAX_FEN).contains(&fen) {
        return Err(domain::Invalid::new("threshold_fen", "out of range").zh("审批限额超出范围").into());
    }
    Ok(())
}

/// Open an account for a compound (audited).
pub async fn open(db: &Db, actor: &Actor, n: &NewAccount, now: DateTime<Utc>) -> Result<Account> {
    n.check()?;
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let id = open_in(&*tx, actor, n, now).await?;
    tx.commit().await?;
    account(db, id).await
}

pub async fn open_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewAccount, now: DateTime<Utc>) -> Result<i64> {
    n.check()?;
    let path = crate::owners::compound_path(c, n.compound_id).await?;
    // One open account of each kind: a second would split the owners' money and its figures.
    let open = crate::sql::scalar_i64(
        c,
        "SELECT COUNT(*) FROM ledger_account WHERE compound_id = $1 AND kind = $2 AND closed_on IS NULL",
        vec![n.compound_id.into(), n.kind.as_str().into()],
    )
    .await?;
    if open > 0 {
        return Err(domain::Invalid::new(
            "kind",
            "the compound already has an open account of this kind: close it first",
        )
        .zh(format!("本小区已有在用的{}，须先销户", n.kind.name_zh()))
        .into());
    }
    let id = insert_id(
        c,
        "INSERT INTO ledger_account (compound_id, region_path, kind, model, name, bank_name, bank_account, holder, \
         opened_on, threshold_fen, three_quotes, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
        vec![
            n.compound_id.into(),
            path.clone().into(),
            n.kind.as_str().into(),
            n.model.as_str().into(),
            n.name.trim().into(),
            n.bank_name.trim().into(),
            n.bank_account.trim().into(),
            n.holder.trim().into(),
            n.opened_on.into(),
            n.threshold_fen.into(),
            (n.three_quotes as i32).into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("open", "ledger_account", id, Some(path))
        .after(serde_json::json!({
            "compound_id": n.compound_id, "kind": n.kind, "model": n.model, "name": n.name.trim(),
            "opened_on": n.opened_on, "threshold_fen": n.threshold_fen, "three_quotes": n.three_quotes,
        }))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

/// What may change of an account: its details and rules, and its closing day.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    pub holder: Option<String>,
    pub threshold_fen: Option<i64>,
    pub three_quotes: Option<bool>,
    pub closed_on: Option<NaiveDate>,
}

pub async fn update(db: &Db, actor: &Actor, id: i64, p: &AccountPatch) -> Result<Account> {
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let before =
        one::<Account>(&*tx, &format!("{SELECT} WHERE a.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)?;
    let mut n = NewAccount {
        compound_id: before.compound_id,
        kind: before.kind,
        model: before.model,
        name: p.name.clone().unwrap_or(before.name.clone()),
        bank_name: p.bank_name.clone().unwrap_or(before.bank_name.clone()),
        bank_account: p.bank_account.clone().unwrap_or(before.bank_account.clone()),
        holder: p.holder.clone().unwrap_or(before.holder.clone()),
        opened_on: before.opened_on,
        threshold_fen: p.threshold_fen.unwrap_or(before.threshold_fen),
        three_quotes: p.three_quotes.unwrap_or(before.three_quotes),
    };
    n.name = n.name.trim().to_owned();
    n.check()?;
    let closed = p.closed_on.or(before.closed_on);
    if let Some(cl) = closed {
        if cl <= before.opened_on {
            return Err(domain::Invalid::new("closed_on", "must be after the day it opened")
                .zh("销户日期须晚于开户日期")
                .into());
        }
        let later = crate::sql::scalar_i64(
            &*tx,
            "SELECT COUNT(*) FROM ledger_entry WHERE account_id = $1 AND entry_date >= $2",
            vec![id.into(), cl.into()],
        )
        .await?;
        if later > 0 {
            return Err(domain::Invalid::new("closed_on", "the account has entries on or after that day")
                .zh("该日期及以后仍有记账，不能销户")
                .into());
        }
    }
    exec(
        &*tx,
        "UPDATE ledger_account SET name = $2, bank_name = $3, bank_account = $4, holder = $5, threshold_fen = $6, \
         three_quotes = $7, closed_on = $8 WHERE id = $1",
        vec![
            id.into(),
            n.name.clone().into(),
            n.bank_name.trim().into(),
            n.bank_account.trim().into(),
            n.holder.trim().into(),
            n.threshold_fen.into(),
            (n.three_quotes as i32).into(),
            closed.into(),
        ],
    )
    .await?;
    Change::new("update", "ledger_account", id, Some(before.region_path.clone()))
        .before(serde_json::json!({
            "name": before.name, "bank_name": before.bank_name, "holder": before.holder,
            "threshold_fen": before.threshold_fen, "three_quotes": before.three_quotes, "closed_on": before.closed_on,
        }))
        .after(serde_json::json!({
            "name": n.name, "bank_name": n.bank_name.trim(), "holder": n.holder.trim(),
            "threshold_fen": n.threshold_fen, "three_quotes": n.three_quotes, "closed_on": closed,
        }))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    account(db, id).await
}

pub async fn account(db: &Db, id: i64) -> Result<Account> {
    account_in(db.conn(), id).await
}

pub(crate) async fn account_in(c: &impl ConnectionTrait, id: i64) -> Result<Account> {
    one(c, &format!("{SELECT} WHERE a.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn accounts(db: &Db, compound_id: i64) -> Result<Vec<Account>> {
    Ok(all(db.conn(), &format!("{SELECT} WHERE a.compound_id = $1 ORDER BY a.kind, a.id"), vec![compound_id.into()])
        .await?)
}

/// The compounds with any account that a list filter lets the reader see (at most 500, by name).
pub async fn compounds_with_accounts(db: &Db, f: &crate::votes::VoteFilter) -> Result<Vec<(i64, String)>> {
    #[derive(FromQueryResult)]
    struct R {
        compound_id: i64,
        compound_name: String,
    }
    let Some((filter, vals)) = f.sql("a") else { return Ok(Vec::new()) };
    let rows: Vec<R> = all(
        db.conn(),
        &format!(
            "SELECT a.compound_id, MIN(c.name) AS compound_name FROM ledger_account a \
             JOIN compound c ON c.id = a.compound_id{filter} GROUP BY a.compound_id ORDER BY MIN(c.name) LIMIT 500"
        ),
        vals,
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.compound_id, r.compound_name)).collect())
}

/// A category of the chart of accounts.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub side: Side,
}

/// The chart: the built-in categories, then those administrators added.
pub async fn chart(db: &Db) -> Result<Vec<Category>> {
    chart_in(db.conn()).await
}

pub(crate) async fn chart_in(c: &impl ConnectionTrait) -> Result<Vec<Category>> {
    #[derive(FromQueryResult)]
    struct R {
        code: String,
        zh: String,
        en: String,
        side: String,
    }
    let mut out: Vec<Category> = l::DEFAULT_CHART
        .iter()
        .map(|d| Category { code: d.code.to_owned(), zh: d.zh.to_owned(), en: d.en.to_owned(), side: d.side })
        .collect();
    let rows: Vec<R> = all(c, "SELECT code, zh, en, side FROM ledger_category ORDER BY code", vec![]).await?;
    for r in rows {
        let side = known(&format!("ledger category {}", r.code), "side", &r.side, Side::find)?;
        out.push(Category { code: r.code, zh: r.zh, en: r.en, side });
    }
    Ok(out)
}

/// Add a category to the chart (administrators; audited).
pub async fn add_category(db: &Db, actor: &Actor, code: &str, zh: &str, en: &str, side: Side) -> Result<Category> {
    l::check_code(code)?;
    l::check_text("zh", zh, 20, true)?;
    l::check_text("en", en, 40, true)?;
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    if chart_in(&*tx).await?.iter().any(|c| c.code == code) {
        return Err(DbError::Conflict(format!("科目 {code} 已存在 · category {code} exists")));
    }
    exec(
        &*tx,
        "INSERT INTO ledger_category (code, zh, en, side, created_at) VALUES ($1,$2,$3,$4,$5)",
        vec![code.into(), zh.trim().into(), en.trim().into(), side.as_str().into(), Utc::now().into()],
    )
    .await?;
    Change::new("create", "ledger_category", code.to_owned(), None)
        .after(serde_json::json!({"zh": zh.trim(), "en": en.trim(), "side": side}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(Category { code: code.to_owned(), zh: zh.trim().to_owned(), en: en.trim().to_owned(), side })
}

/// The balance of an account at the end of `on`: the sum of its entries up to that day.
pub async fn balance(db: &Db, account_id: i64, on: NaiveDate) -> Result<i64> {
    balance_in(db.conn(), account_id, on).await
}

pub(crate) async fn balance_in(c: &impl ConnectionTrait, account_id: i64, on: NaiveDate) -> Result<i64> {
    Ok(crate::sql::scalar_i64(
        c,
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM ledger_entry WHERE account_id = $1 AND entry_date <= $2",
        vec![account_id.into(), on.into()],
    )
    .await?)
}

/// Every account's balance of a compound at the end of `on`.
pub async fn balances(db: &Db, compound_id: i64, on: NaiveDate) -> Result<std::collections::HashMap<i64, i64>> {
    #[derive(FromQueryResult)]
    struct R {
        account_id: i64,
        v: i64,
    }
    let rows: Vec<R> = all(
        db.conn(),
        "SELECT account_id, CAST(SUM(amount_fen) AS BIGINT) AS v FROM ledger_entry WHERE compound_id = $1 \
         AND entry_date <= $2 GROUP BY account_id",
        vec![compound_id.into(), on.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.account_id, r.v)).collect())
}

/// A supervisor read a compound's entries: who, why (audited, so the owners can see it was asked).
pub async fn log_inspection(db: &Db, actor: &Actor, account: &Account, reason: &str) -> Result<()> {
    l::check_text("reason", reason, 200, true)?;
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    Change::new("inspect", "ledger_account", account.id, Some(account.region_path.clone()))
        .after(serde_json::json!({"reason": reason.trim()}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}
