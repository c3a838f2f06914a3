//! Approvals of spending and yearly budgets. An approval is a committee
//! resolution, a passed question of an owners' vote (checked against the
//! vote's final, kept result), or the emergency procedure (who authorised
//! it, published with the rest); spending entries draw on it up to its amount.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::ledger::{self as l, AccountKind, Basis};
use domain::vote::Matter;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;

use super::{account_in, chart_in};
use crate::audit::Change;
use crate::sql::{all, exec, insert_id, known, one, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerApproval))]
pub struct Approval {
    pub id: i64,
    pub compound_id: i64,
    pub account_id: i64,
    pub basis: Basis,
    pub purpose: String,
    pub amount_fen: i64,
    /// What entries drew on it, net of reversals.
    pub used_fen: i64,
    pub quotes: i32,
    pub vote_id: Option<i64>,
    pub question_id: Option<i64>,
    pub authorised_by: String,
    pub decided_on: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    compound_id: i64,
    account_id: i64,
    basis: String,
    purpose: String,
    amount_fen: i64,
    quotes: i32,
    vote_id: Option<i64>,
    question_id: Option<i64>,
    authorised_by: String,
    decided_on: NaiveDate,
    created_by: String,
    created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, compound_id, account_id, basis, purpose, amount_fen, quotes, vote_id, question_id, \
     authorised_by, decided_on, created_by, created_at FROM ledger_approval";

async fn finish(c: &impl ConnectionTrait, r: Row) -> Result<Approval> {
    let left = super::approval_left(c, r.id, r.amount_fen).await?;
    Ok(Approval {
        basis: known(&format!("ledger approval {}", r.id), "basis", &r.basis, Basis::find)?,
        used_fen: r.amount_fen - left,
        id: r.id,
        compound_id: r.compound_id,
        account_id: r.account_id,
        purpose: r.purpose,
        amount_fen: r.amount_fen,
        quotes: r.quotes,
        vote_id: r.vote_id,
        question_id: r.question_id,
        authorised_by: r.authorised_by,
        decided_on: r.decided_on,
        created_by: r.created_by,
        created_at: r.created_at,
    })
}

pub(crate) async fn approval_in(c: &impl ConnectionTrait, id: i64) -> Result<Approval> {
    let r: Row = one(c, &format!("{SELECT} WHERE id = $1"), vec![id.into()]).await?.ok_or_else(|| {
        DbError::Invalid(
            domain::Invalid::new("approval_id", format!("approval {id} does not exist"))
                .zh(format!("审批 {id} 不存在")),
        )
    })?;
    finish(c, r).await
}

pub async fn approval(db: &Db, id: i64) -> Result<Approval> {
    let r: Row = one(db.conn(), &format!("{SELECT} WHERE id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)?;
    finish(db.conn(), r).await
}

/// A compound's approvals, newest first.
pub async fn approvals(db: &Db, compound_id: i64) -> Result<Vec<Approval>> {
    let rows: Vec<Row> = all(
        db.conn(),
        &format!("{SELECT} WHERE compound_id = $1 ORDER BY decided_on DESC, id DESC"),
        vec![compound_id.into()],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(finish(db.conn(), r).await?);
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct NewApproval {
    pub account_id: i64,
    pub basis: Basis,
    pub purpose: String,
    pub amount_fen: i64,
    pub quotes: i32,
    pub vote_id: Option<i64>,
    pub question_id: Option<i64>,
    pub authorised_by: String,
    pub decided_on: NaiveDate,
}

/// Record an approval. A vote's must be a question of a vote of the same
/// compound whose final result passed; for the maintenance fund, a question
/// on using the fund. An emergency names who authorised it.
pub async fn approve(
    db: &Db,
    actor: &Actor,
    n: &NewApproval,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Approval> {
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let id = approve_in(&*tx, actor, n, today, now).await?;
    tx.commit().await?;
    approval(db, id).await
}

pub async fn approve_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    n: &NewApproval,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64> {
    let a = account_in(c, n.account_id).await?;
    l::check_text("purpose", &n.purpose, 300, true)?;
    l::check_amount(n.amount_fen)?;
    l::check_text("authorised_by", &n.authorised_by, 100, n.basis == Basis::Emergency)?;
    if !(0..=20).contains(&n.quotes) {
        return Err(domain::Invalid::new("quotes", "0 to 20").zh("报价数须在 0 至 20 之间").into());
    }
    if n.decided_on < a.opened_on {
        return Err(domain::Invalid::new("decided_on", "before the account was opened")
            .zh("决定日期早于开户日期")
            .into());
    }
    if n.decided_on > today {
        return Err(domain::Invalid::new("decided_on", "cannot be in the future").zh("决定日期不能晚于今天").into());
    }
    let (mut vote_id, mut question_id) = (None, None);
    match n.basis {
        Basis::Vote => {
            let (Some(v), Some(q)) = (n.vote_id, n.question_id) else {
                return Err(domain::Invalid::new("question_id", "name the vote and its question")
                    .zh("须指明表决及其事项")
                    .into());
            };
            #[derive(FromQueryResult)]
            struct Q {
                compound_id: i64,
                matter: String,
                passed: Option<bool>,
            }
            let q_row: Option<Q> = one(
                c,
                "SELECT v.compound_id, q.matter, (SELECT r.passed FROM vote_result r WHERE r.question_id = q.id \
                 AND r.kind = $3) AS passed FROM vote_question q JOIN vote v ON v.id = q.vote_id \
                 WHERE q.id = $1 AND v.id = $2",
                vec![q.into(), v.into(), domain::vote::VoteState::Final.as_str().into()],
            )
            .await?;
            let Some(qr) = q_row.filter(|r| r.compound_id == a.compound_id) else {
                return Err(domain::Invalid::new("question_id", "is not a question of this compound's votes")
                    .zh("不是本小区表决的事项")
                    .into());
            };
            if qr.passed != Some(true) {
                return Err(domain::Invalid::new("question_id", "the question has no final result that passed")
                    .zh("该事项尚无通过的最终表决结果")
                    .into());
            }
            if a.kind == AccountKind::Fund && Matter::find(&qr.matter) != Some(Matter::UseFund) {
                return Err(domain::Invalid::new(
                    "question_id",
                    "the maintenance fund needs a question on using the fund",
                )
                .zh("使用维修资金须经“使用维修资金”事项表决通过")
                .into());
            }
            vote_id = Some(v);
            question_id = Some(q);
        }
        Basis::Committee | Basis::Emergency => {}
    }
    let id = insert_id(
        c,
        "INSERT INTO ledger_approval (compound_id, account_id, basis, purpose, amount_fen, quotes, vote_id, question_id, \
         authorised_by, decided_on, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
        vec![
            a.compound_id.into(),
            a.id.into(),
            n.basis.as_str().into(),
            n.purpose.trim().into(),
            n.amount_fen.into(),
            n.quotes.into(),
            vote_id.into(),
            question_id.into(),
            n.authorised_by.trim().into(),
            n.decided_on.into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("approve", "ledger_approval", id, Some(a.region_path.clone()))
        .after(serde_json::json!({
            "account_id": a.id, "basis": n.basis, "purpose": n.purpose.trim(), "amount_fen": n.amount_fen,
            "quotes": n.quotes, "vote_id": vote_id, "question_id": question_id,
            "authorised_by": n.authorised_by.trim(), "decided_on": n.decided_on,
        }))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

/// A line of a year's budget, with what was spent or received against it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetLine {
    pub category: String,
    pub amount_fen: i64,
    pub approval_id: i64,
    /// The year's entries in the category so far (income positive, spending positive).
    pub actual_fen: i64,
}

/// Set a year's budget of an account: every line at once, on the authority
/// of one decision (a committee resolution or a vote, never an emergency).
pub async fn set_budget(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    year: i32,
    lines: &[(String, i64)],
    approval_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<BudgetLine>> {
    if !(2000..=2100).contains(&year) {
        return Err(domain::Invalid::new("year", "out of range").zh("年度超出范围").into());
    }
    if lines.len() > 60 {
        return Err(domain::Invalid::new("lines", "at most 60 lines").zh("预算最多 60 行").into());
    }
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let a = account_in(&*tx, account_id).await?;
    let ap = approval_in(&*tx, approval_id).await?;
    if ap.compound_id != a.compound_id || ap.basis == Basis::Emergency {
        return Err(domain::Invalid::new(
            "approval_id",
            "a budget is approved by a committee resolution or a vote of this compound",
        )
        .zh("预算须经本小区业委会决议或业主表决批准")
        .into());
    }
    let chart = chart_in(&*tx).await?;
    for (cat, fen) in lines {
        if !chart.iter().any(|k| &k.code == cat) {
            return Err(domain::Invalid::new("category", format!("{cat:?} is not in the chart of accounts"))
                .zh(format!("“{cat}”不是会计科目"))
                .into());
        }
        if !(0..=l::AMOUNT_MAX_FEN).contains(fen) {
            return Err(domain::Invalid::new("amount_fen", "out of range").zh("金额超出范围").into());
        }
    }
    exec(&*tx, "DELETE FROM ledger_budget WHERE account_id = $1 AND year = $2", vec![account_id.into(), year.into()])
        .await?;
    for (cat, fen) in lines {
        exec(
            &*tx,
            "INSERT INTO ledger_budget (account_id, year, category, amount_fen, approval_id, set_by, set_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
            vec![
                account_id.into(),
                year.into(),
                cat.clone().into(),
                (*fen).into(),
                approval_id.into(),
                actor.login.clone().into(),
                now.into(),
            ],
        )
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DbError::Invalid(
                domain::Invalid::new("category", format!("{cat} is given twice")).zh(format!("科目 {cat} 重复")),
            ),
            _ => DbError::Internal(e),
        })?;
    }
    Change::new("budget", "ledger_account", account_id, Some(a.region_path.clone()))
        .after(serde_json::json!({"year": year, "approval_id": approval_id, "lines": lines}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    budget(db, account_id, year).await
}

pub async fn budget(db: &Db, account_id: i64, year: i32) -> Result<Vec<BudgetLine>> {
    #[derive(FromQueryResult)]
    struct R {
        category: String,
        amount_fen: i64,
        approval_id: i64,
    }
    let rows: Vec<R> = all(
        db.conn(),
        "SELECT category, amount_fen, approval_id FROM ledger_budget WHERE account_id = $1 AND year = $2 ORDER BY category",
        vec![account_id.into(), year.into()],
    )
    .await?;
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default(),
    );
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let net = scalar_i64(
            db.conn(),
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM ledger_entry WHERE account_id = $1 \
             AND category = $2 AND entry_date >= $3 AND entry_date < $4",
            vec![account_id.into(), r.category.clone().into(), from.into(), to.into()],
        )
        .await?;
        out.push(BudgetLine {
            category: r.category,
            amount_fen: r.amount_fen,
            approval_id: r.approval_id,
            actual_fen: net.abs(),
        });
    }
    Ok(out)
}
