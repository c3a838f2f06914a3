//! Monthly statements: the sum of an account's entries of a month on its
//! opening balance, published once and kept as published (with the chain's
//! head at that moment). No entry may be dated in or before a published
//! month (`entries::first_open_day`), so the entries a statement lists stay
//! what they were; a later correction appears in a later month. The
//! bulletin's figures per region and month are here too.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::ledger::{self as l, Head, Side, Summary};
use sea_orm::FromQueryResult;
use serde::Serialize;

use super::{Account, account_in, balance_in, chart_in};
use crate::audit::Change;
use crate::sql::{all, insert_id, one, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerStatement))]
pub struct Statement {
    /// None for a month not yet published (a draft, computed now).
    pub id: Option<i64>,
    pub account_id: i64,
    pub compound_id: i64,
    pub month: NaiveDate,
    pub summary: Summary,
    /// The compound's chain head when it was published (`SEQ:HASH`).
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub head: Option<Head>,
    pub due_on: NaiveDate,
    pub published_on: Option<NaiveDate>,
    pub published_by: Option<String>,
}

impl Statement {
    pub fn on_time(&self) -> bool {
        self.published_on.is_some_and(|p| p <= self.due_on)
    }
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    account_id: i64,
    compound_id: i64,
    month: NaiveDate,
    opening_fen: i64,
    income_fen: i64,
    spending_fen: i64,
    closing_fen: i64,
    entries: i64,
    lines: String,
    head_seq: i64,
    head_hash: String,
    due_on: NaiveDate,
    published_on: NaiveDate,
    published_by: String,
}

impl TryFrom<Row> for Statement {
    type Error = DbError;
    fn try_from(r: Row) -> Result<Statement> {
        let lines = serde_json::from_str(&r.lines)
            .map_err(|e| DbError::Internal(sea_orm::DbErr::Type(format!("ledger statement {}: lines: {e}", r.id))))?;
        Ok(Statement {
            id: Some(r.id),
            account_id: r.account_id,
            compound_id: r.compound_id,
            month: r.month,
            summary: Summary {
                opening_fen: r.opening_fen,
                income_fen: r.income_fen,
                spending_fen: r.spending_fen,
                closing_fen: r.closing_fen,
                entries: r.entries,
                lines,
            },
            head: (r.head_seq > 0).then_some(Head { seq: r.head_seq, hash: r.head_hash }),
            due_on: r.due_on,
            published_on: Some(r.published_on),
            published_by: Some(r.published_by),
        })
    }
}

const SELECT: &str = "SELECT id, account_id, compound_id, month, opening_fen, income_fen, spending_fen, closing_fen, \
     entries, lines, head_seq, head_hash, due_on, published_on, published_by FROM ledger_statement";

/// A month's statement computed from the entries now.
async fn compute(c: &impl sea_orm::ConnectionTrait, a: &Account, month: NaiveDate) -> Result<Summary> {
    #[derive(FromQueryResult)]
    struct E {
        category: String,
        amount_fen: i64,
    }
    let chart = chart_in(c).await?;
    let opening = match month.pred_opt() {
        Some(d) => balance_in(c, a.id, d).await?,
        None => 0,
    };
    let rows: Vec<E> = all(
        c,
        "SELECT category, amount_fen FROM ledger_entry WHERE account_id = $1 AND entry_date >= $2 AND entry_date < $3 \
         ORDER BY entry_date, seq",
        vec![a.id.into(), month.into(), l::next_month(month).into()],
    )
    .await?;
    let side = |code: &str| chart.iter().find(|k| k.code == code).map_or(Side::Income, |k| k.side);
    Ok(l::summarise(opening, rows.iter().map(|r| (r.category.as_str(), side(&r.category), r.amount_fen))))
}

/// The statement of a month: as published, else a draft computed now.
pub async fn statement_of(db: &Db, account_id: i64, month: NaiveDate, today: NaiveDate) -> Result<Statement> {
    let month = l::month_of(month);
    let kept: Option<Row> = one(
        db.conn(),
        &format!("{SELECT} WHERE account_id = $1 AND month = $2"),
        vec![account_id.into(), month.into()],
    )
    .await?;
    if let Some(r) = kept {
        return r.try_into();
    }
    let a = account_in(db.conn(), account_id).await?;
    // A draft only for a month the account was open in, up to this one.
    if month > l::month_of(today) || l::next_month(month) <= a.opened_on || a.closed_on.is_some_and(|c| c <= month) {
        return Err(DbError::NotFound);
    }
    Ok(Statement {
        id: None,
        account_id,
        compound_id: a.compound_id,
        month,
        summary: compute(db.conn(), &a, month).await?,
        head: None,
        due_on: l::statement_due(month),
        published_on: None,
        published_by: None,
    })
}

pub async fn statement(db: &Db, id: i64) -> Result<Statement> {
    let r: Row = one(db.conn(), &format!("{SELECT} WHERE id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)?;
    r.try_into()
}

/// The published statements of an account (or of every account of a compound), newest first.
pub async fn statements(db: &Db, account_id: Option<i64>, compound_id: i64, limit: u64) -> Result<Vec<Statement>> {
    let rows: Vec<Row> = match account_id {
        Some(a) => {
            all(
                db.conn(),
                &format!("{SELECT} WHERE account_id = $1 AND compound_id = $2 ORDER BY month DESC LIMIT {limit}"),
                vec![a.into(), compound_id.into()],
            )
            .await?
        }
        None => {
            all(
                db.conn(),
                &format!("{SELECT} WHERE compound_id = $1 ORDER BY month DESC, account_id LIMIT {limit}"),
                vec![compound_id.into()],
            )
            .await?
        }
    };
    rows.into_iter().map(Statement::try_from).collect()
}

/// Publish a month's statement once the month has ended; kept as published.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    month: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Statement> {
    let month = l::month_of(month);
    if l::next_month(month) > today {
        return Err(domain::Invalid::new("month", "a month's statement is published after the month ends")
            .zh("月度收支报告须在当月结束后公开")
            .into());
    }
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let a = account_in(&*tx, account_id).await?;
    if l::next_month(month) <= a.opened_on || a.closed_on.is_some_and(|c| c <= month) {
        return Err(domain::Invalid::new("month", "the account was not open that month").zh("该月账户未开立").into());
    }
    let exists = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM ledger_statement WHERE account_id = $1 AND month = $2",
        vec![account_id.into(), month.into()],
    )
    .await?;
    if exists > 0 {
        return Err(DbError::Conflict(format!(
            "{m} 的月报已公开 · the statement of {m} is already published",
            m = month.format("%Y-%m")
        )));
    }
    let s = compute(&*tx, &a, month).await?;
    #[derive(FromQueryResult)]
    struct H {
        seq: i64,
        hash: String,
    }
    let head: Option<H> = one(
        &*tx,
        "SELECT seq, hash FROM ledger_entry WHERE compound_id = $1 ORDER BY seq DESC LIMIT 1",
        vec![a.compound_id.into()],
    )
    .await?;
    let (hseq, hhash) = head.map_or((0, String::new()), |h| (h.seq, h.hash));
    let lines = serde_json::to_string(&s.lines).map_err(|e| DbError::Conflict(e.to_string()))?;
    let id = insert_id(
        &*tx,
        "INSERT INTO ledger_statement (account_id, compound_id, region_path, month, opening_fen, income_fen, \
         spending_fen, closing_fen, entries, lines, head_seq, head_hash, due_on, published_on, published_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) RETURNING id",
        vec![
            a.id.into(),
            a.compound_id.into(),
            a.region_path.clone().into(),
            month.into(),
            s.opening_fen.into(),
            s.income_fen.into(),
            s.spending_fen.into(),
            s.closing_fen.into(),
            s.entries.into(),
            lines.into(),
            hseq.into(),
            hhash.clone().into(),
            l::statement_due(month).into(),
            today.into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DbError::Conflict("该月报已公开 · the statement is already published".into()),
        _ => DbError::Internal(e),
    })?;
    crate::notify::statement_published_in(&*tx, id, a.compound_id, now).await?;
    Change::new("publish", "ledger_statement", id, Some(a.region_path.clone()))
        .after(serde_json::json!({
            "account_id": a.id, "month": month, "closing_fen": s.closing_fen, "head": format!("{hseq}:{hhash}"),
        }))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    statement(db, id).await
}

/// The bulletin's ledger figures for a region subtree (`path`) and month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerFigures {
    /// Compounds with an owners' committee in office at the month's end (应开) and, of them,
    /// with a common-funds account open (已开); 未开 is the difference.
    pub due: i64,
    pub open: i64,
    /// Compounds whose open common account follows each model.
    pub lump: i64,
    pub fee: i64,
    pub trust: i64,
    /// Statements of the month before that were due by the 15th of this month, and of them published by then.
    pub statements_due: i64,
    pub statements_on_time: i64,
    /// Maintenance-fund balance at the month's end over the households of the compounds holding a fund account.
    pub fund_fen: i64,
    pub fund_households: i64,
}

impl LedgerFigures {
    pub fn not_open(&self) -> i64 {
        (self.due - self.open).max(0)
    }
    pub fn disclosure_permille(&self) -> Option<i64> {
        (self.statements_due > 0).then(|| self.statements_on_time * 1000 / self.statements_due)
    }
    /// Fen per household, rounded down.
    pub fn fund_per_household(&self) -> Option<i64> {
        (self.fund_households > 0).then(|| self.fund_fen / self.fund_households)
    }
}

/// The figures of a region (`code`, its subtree `path`) for `month`: the
/// account counts from the figures engine (`figures::counted`), the
/// disclosure and the fund from the records.
pub async fn figures(db: &Db, code: &str, path: &str, month: NaiveDate) -> Result<LedgerFigures> {
    use domain::figures::Counter;
    let month = l::month_of(month);
    let end = l::next_month(month).pred_opt().unwrap_or(month);
    let k = crate::figures::counted(db, code, path, end).await?;
    let g = |c: Counter| k.get(&c).copied().unwrap_or(0);
    let mut f = LedgerFigures {
        due: g(Counter::Committee),
        open: g(Counter::LedgerOpen),
        lump: g(Counter::ModelLump),
        fee: g(Counter::ModelFee),
        trust: g(Counter::ModelTrust),
        ..Default::default()
    };
    let (path, upper) = domain::RegionPath::from_stored(path.to_owned()).subtree_range();
    let path = path.as_str();
    let prev = l::month_of(month.pred_opt().unwrap_or(month));
    let due = l::statement_due(prev);
    f.statements_due = scalar_i64(
        db.conn(),
        "SELECT COUNT(*) FROM ledger_account WHERE region_path >= $1 AND region_path < $2 AND opened_on < $3 \
         AND (closed_on IS NULL OR closed_on > $4)",
        vec![path.into(), upper.clone().into(), month.into(), prev.into()],
    )
    .await?;
    f.statements_on_time = scalar_i64(
        db.conn(),
        "SELECT COUNT(*) FROM ledger_statement WHERE region_path >= $1 AND region_path < $2 AND month = $3 \
         AND published_on <= $4",
        vec![path.into(), upper.clone().into(), prev.into(), due.into()],
    )
    .await?;
    f.fund_fen = scalar_i64(
        db.conn(),
        "SELECT CAST(COALESCE(SUM(e.amount_fen), 0) AS BIGINT) FROM ledger_entry e JOIN ledger_account a \
         ON a.id = e.account_id WHERE a.kind = 'fund' AND a.region_path >= $1 AND a.region_path < $2 AND e.entry_date <= $3",
        vec![path.into(), upper.clone().into(), end.into()],
    )
    .await?;
    f.fund_households = scalar_i64(
        db.conn(),
        "SELECT CAST(COALESCE(SUM(c.households), 0) AS BIGINT) FROM compound c WHERE c.id IN \
         (SELECT a.compound_id FROM ledger_account a WHERE a.kind = 'fund' AND a.region_path >= $1 \
         AND a.region_path < $2 AND a.opened_on <= $3)",
        vec![path.into(), upper.into(), end.into()],
    )
    .await?;
    Ok(f)
}

/// A compound's disclosure as supervisors see it: per account, the last
/// published month and how many published statements were late.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerDisclosure))]
pub struct Disclosure {
    pub account_id: i64,
    pub published: i64,
    pub late: i64,
    pub last_month: Option<NaiveDate>,
}

pub async fn disclosure(db: &Db, compound_id: i64) -> Result<Vec<Disclosure>> {
    Ok(all(
        db.conn(),
        &format!(
            "SELECT account_id, COUNT(*) AS published, {} AS late, MAX(month) AS last_month FROM ledger_statement \
             WHERE compound_id = $1 GROUP BY account_id ORDER BY account_id",
            crate::sql::count_when("published_on > due_on")
        ),
        vec![compound_id.into()],
    )
    .await?)
}
