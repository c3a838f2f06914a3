//! Entries: appended to the compound's chain (seq, previous hash, own hash
//! over every column and the vouchers), never changed or deleted; a
//! correction is a reversing entry naming the one it reverses. `verify`
//! walks each chain and names the first entry that does not fit.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use domain::audit::Actor;
use domain::ledger::{self as l, Authority, Head, Side};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;

use super::{Account, account_in, chart_in};
use crate::audit::Change;
use crate::sql::{all, exec, insert_id, one, page_of, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerVoucher))]
pub struct Voucher {
    pub entry_id: i64,
    pub position: i32,
    pub sha256: String,
    pub mime: String,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerEntry))]
pub struct Entry {
    pub id: i64,
    pub compound_id: i64,
    pub seq: i64,
    pub account_id: i64,
    pub entry_date: NaiveDate,
    pub category: String,
    /// Signed: income adds, spending takes away.
    pub amount_fen: i64,
    pub counterparty: String,
    pub description: String,
    pub reverses: Option<i64>,
    pub reversed_by: Option<i64>,
    pub approval_id: Option<i64>,
    pub building_id: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
    pub entered_by: String,
    pub entered_at: DateTime<Utc>,
    #[sea_orm(skip)]
    pub vouchers: Vec<Voucher>,
}

const SELECT: &str = "SELECT e.id, e.compound_id, e.seq, e.account_id, e.entry_date, e.category, e.amount_fen, \
     e.counterparty, e.description, e.reverses, (SELECT r.id FROM ledger_entry r WHERE r.reverses = e.id) AS reversed_by, \
     e.approval_id, e.building_id, e.prev_hash, e.hash, e.entered_by, e.entered_at FROM ledger_entry e";

/// An entry as a person gives it. `amount_fen` is positive; the category's
/// side gives its sign (an opening balance may be negative).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub account_id: i64,
    pub entry_date: NaiveDate,
    pub category: String,
    pub amount_fen: i64,
    pub counterparty: String,
    pub description: String,
    pub approval_id: Option<i64>,
    pub building_id: Option<i64>,
    /// Files already kept by hash: (sha256, mime, bytes).
    pub vouchers: Vec<(String, String, i64)>,
    /// Through the approval gates (false only for imported history, whose approvals were on paper).
    pub gated: bool,
}

/// Append an entry after its checks and gates (one writer at a time).
pub async fn enter(db: &Db, actor: &Actor, n: &NewEntry, today: NaiveDate, now: DateTime<Utc>) -> Result<Entry> {
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let id = enter_in(&*tx, actor, n, today, now).await?;
    tx.commit().await?;
    entry(db, id).await
}

/// The first day an account may take an entry: after the last month whose statement is published.
pub(crate) async fn first_open_day(c: &impl ConnectionTrait, a: &Account) -> Result<NaiveDate> {
    #[derive(FromQueryResult)]
    struct R {
        month: Option<NaiveDate>,
    }
    let r: Option<R> =
        one(c, "SELECT MAX(month) AS month FROM ledger_statement WHERE account_id = $1", vec![a.id.into()]).await?;
    Ok(match r.and_then(|r| r.month) {
        Some(m) => l::next_month(m).max(a.opened_on),
        None => a.opened_on,
    })
}

/// What an approval has left: its amount less what its entries spent (net of reversals).
pub(crate) async fn approval_left(c: &impl ConnectionTrait, approval_id: i64, amount_fen: i64) -> Result<i64> {
    let spent = scalar_i64(
        c,
        "SELECT CAST(COALESCE(SUM(e.amount_fen), 0) + COALESCE((SELECT SUM(r.amount_fen) FROM ledger_entry r \
         JOIN ledger_entry o ON o.id = r.reverses WHERE o.approval_id = $1), 0) AS BIGINT) \
         FROM ledger_entry e WHERE e.approval_id = $1",
        vec![approval_id.into()],
    )
    .await?;
    Ok(amount_fen + spent)
}

pub async fn enter_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    n: &NewEntry,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64> {
    let a = account_in(c, n.account_id).await?;
    l::check_text("counterparty", &n.counterparty, 100, false)?;
    l::check_text("description", &n.description, 500, true)?;
    if n.vouchers.len() > l::VOUCHERS_MAX {
        return Err(domain::Invalid::new("vouchers", format!("at most {} vouchers", l::VOUCHERS_MAX))
            .zh(format!("凭证最多 {} 个", l::VOUCHERS_MAX))
            .into());
    }
    let chart = chart_in(c).await?;
    let cat = chart.iter().find(|k| k.code == n.category.trim()).ok_or_else(|| {
        domain::Invalid::new("category", format!("{:?} is not in the chart of accounts", n.category))
            .zh(format!("“{}”不是会计科目", n.category))
    })?;
    if !l::fits(a.kind, &cat.code) {
        return Err(domain::Invalid::new(
            "category",
            format!("{} is not a category of this kind of account", cat.code),
        )
        .zh(format!("“{}”不是{}的科目", cat.zh, a.kind.name_zh()))
        .into());
    }
    let opening = cat.code == l::OPENING;
    if opening {
        l::check_amount(n.amount_fen.abs())?;
    } else {
        l::check_amount(n.amount_fen)?;
    }
    if n.entry_date > today {
        return Err(domain::Invalid::new("entry_date", "cannot be in the future").zh("记账日期不能晚于今天").into());
    }
    if !a.open_on(n.entry_date) {
        return Err(domain::Invalid::new("entry_date", "the account is not open on that day")
            .zh("该日期账户未开立或已销户")
            .into());
    }
    let first = first_open_day(c, &a).await?;
    if n.entry_date < first {
        return Err(domain::Invalid::new(
            "entry_date",
            format!(
                "statements up to {} are published: date the entry on or after {first}",
                l::month_of(first).pred_opt().unwrap_or(first).format("%Y-%m")
            ),
        )
        .zh(format!(
            "{} 及以前的月报已公开，请记在 {first} 或以后（更正以冲销分录记入当月）",
            l::month_of(first).pred_opt().unwrap_or(first).format("%Y-%m")
        ))
        .into());
    }
    if let Some(b) = n.building_id {
        let ok = scalar_i64(
            c,
            "SELECT COUNT(*) FROM building WHERE id = $1 AND compound_id = $2",
            vec![b.into(), a.compound_id.into()],
        )
        .await?;
        if ok == 0 {
            return Err(domain::Invalid::new("building_id", "is not a building of this compound")
                .zh("楼栋不属于本小区")
                .into());
        }
    }
    let amount = if opening { n.amount_fen } else { l::signed(cat.side, n.amount_fen) };
    // The gates: spending only; an approval only for spending, of this account.
    let auth = match n.approval_id {
        Some(id) if cat.side == Side::Spending && !opening => {
            let ap = super::approval_in(c, id).await?;
            if ap.account_id != a.id {
                return Err(domain::Invalid::new("approval_id", "the approval is for another account")
                    .zh("该审批不属于本账户")
                    .into());
            }
            Some(Authority {
                basis: ap.basis,
                quotes: ap.quotes,
                remaining_fen: approval_left(c, id, ap.amount_fen).await?,
            })
        }
        Some(_) => {
            return Err(domain::Invalid::new("approval_id", "only spending is approved").zh("只有支出需要审批").into());
        }
        None => None,
    };
    if n.gated && cat.side == Side::Spending && !opening {
        l::gate(a.kind, n.amount_fen, a.threshold_fen, a.three_quotes, auth.as_ref())?;
    }
    write_in(
        c,
        actor,
        &a,
        Write {
            entry_date: n.entry_date,
            category: cat.code.clone(),
            amount_fen: amount,
            counterparty: n.counterparty.trim().to_owned(),
            description: n.description.trim().to_owned(),
            reverses: None,
            approval_id: n.approval_id,
            building_id: n.building_id,
            vouchers: n.vouchers.clone(),
        },
        now,
    )
    .await
}

struct Write {
    entry_date: NaiveDate,
    category: String,
    amount_fen: i64,
    counterparty: String,
    description: String,
    reverses: Option<i64>,
    approval_id: Option<i64>,
    building_id: Option<i64>,
    vouchers: Vec<(String, String, i64)>,
}

/// Put one entry at the end of the compound's chain.
async fn write_in(c: &impl ConnectionTrait, actor: &Actor, a: &Account, w: Write, now: DateTime<Utc>) -> Result<i64> {
    let now = now.trunc_subsecs(0);
    let (seq, prev) = match head_in(c, a.compound_id).await? {
        Some(h) => (h.seq + 1, h.hash),
        None => (1, l::GENESIS.to_owned()),
    };
    let shas: Vec<String> = w.vouchers.iter().map(|v| v.0.clone()).collect();
    let at = stamp(now);
    let hash = l::entry_hash(
        &prev,
        &l::Chained {
            compound_id: a.compound_id,
            seq,
            account_id: a.id,
            entry_date: w.entry_date,
            category: &w.category,
            amount_fen: w.amount_fen,
            counterparty: &w.counterparty,
            description: &w.description,
            reverses: w.reverses,
            approval_id: w.approval_id,
            building_id: w.building_id,
            vouchers: &shas,
            entered_by: &actor.login,
            entered_at: &at,
        },
    );
    let id = insert_id(
        c,
        "INSERT INTO ledger_entry (compound_id, seq, account_id, entry_date, category, amount_fen, counterparty, \
         description, reverses, approval_id, building_id, prev_hash, hash, entered_by, entered_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
        vec![
            a.compound_id.into(),
            seq.into(),
            a.id.into(),
            w.entry_date.into(),
            w.category.clone().into(),
            w.amount_fen.into(),
            w.counterparty.clone().into(),
            w.description.clone().into(),
            w.reverses.into(),
            w.approval_id.into(),
            w.building_id.into(),
            prev.into(),
            hash.clone().into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    for (i, (sha, mime, bytes)) in w.vouchers.iter().enumerate() {
        exec(
            c,
            "INSERT INTO ledger_voucher (entry_id, position, sha256, mime, bytes) VALUES ($1,$2,$3,$4,$5)",
            vec![id.into(), (i as i32 + 1).into(), sha.clone().into(), mime.clone().into(), (*bytes).into()],
        )
        .await?;
    }
    Change::new(
        if w.reverses.is_some() { "reverse" } else { "enter" },
        "ledger_entry",
        id,
        Some(a.region_path.clone()),
    )
    .after(serde_json::json!({
        "account_id": a.id, "seq": seq, "entry_date": w.entry_date, "category": w.category,
        "amount_fen": w.amount_fen, "reverses": w.reverses, "approval_id": w.approval_id, "hash": hash,
    }))
    .append_in(c, actor)
    .await?;
    Ok(id)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reverse an entry on `on` (default today): the same category and the opposite amount, naming it.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    entry_id: i64,
    on: NaiveDate,
    reason: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Entry> {
    l::check_text("reason", reason, 300, true)?;
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    let e = entry_in(&*tx, entry_id).await?;
    if e.reverses.is_some() {
        return Err(DbError::Conflict(
            "冲销分录不能再冲销，请重新记一笔 · a reversal is not reversed: enter the entry again".into(),
        ));
    }
    if e.reversed_by.is_some() {
        return Err(DbError::Conflict(format!("第 {} 笔已冲销 · entry {} is already reversed", e.seq, e.seq)));
    }
    let a = account_in(&*tx, e.account_id).await?;
    if on > today || on < e.entry_date || !a.open_on(on) {
        return Err(domain::Invalid::new("entry_date", "between the entry's day and today, while the account is open")
            .zh("冲销日期须在原分录日期与今天之间，且账户处于开立状态")
            .into());
    }
    let first = first_open_day(&*tx, &a).await?;
    if on < first {
        return Err(domain::Invalid::new(
            "entry_date",
            format!("statements are published up to {first}: reverse on or after it"),
        )
        .zh(format!("已公开月报之内不能记账：请在 {first} 或以后冲销"))
        .into());
    }
    let id = write_in(
        &*tx,
        actor,
        &a,
        Write {
            entry_date: on,
            category: e.category.clone(),
            amount_fen: -e.amount_fen,
            counterparty: e.counterparty.clone(),
            description: format!("冲销第 {} 笔：{}", e.seq, reason.trim()),
            reverses: Some(e.id),
            approval_id: None,
            building_id: e.building_id,
            vouchers: Vec::new(),
        },
        now,
    )
    .await
    .map_err(|err| match err {
        // Two reversals racing: the unique index keeps one.
        DbError::Internal(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            DbError::Conflict("该分录已冲销 · the entry is already reversed".into())
        }
        other => other,
    })?;
    tx.commit().await?;
    entry(db, id).await
}

pub async fn entry(db: &Db, id: i64) -> Result<Entry> {
    entry_in(db.conn(), id).await
}

async fn entry_in(c: &impl ConnectionTrait, id: i64) -> Result<Entry> {
    let mut e: Entry = one(c, &format!("{SELECT} WHERE e.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)?;
    e.vouchers = all(
        c,
        "SELECT entry_id, position, sha256, mime, bytes FROM ledger_voucher WHERE entry_id = $1 ORDER BY position",
        vec![id.into()],
    )
    .await?;
    Ok(e)
}

async fn with_vouchers(c: &impl ConnectionTrait, mut rows: Vec<Entry>) -> Result<Vec<Entry>> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let ids = rows.iter().map(|e| e.id.to_string()).collect::<Vec<_>>().join(",");
    let vs: Vec<Voucher> = all(
        c,
        &format!(
            "SELECT entry_id, position, sha256, mime, bytes FROM ledger_voucher WHERE entry_id IN ({ids}) \
             ORDER BY entry_id, position"
        ),
        vec![],
    )
    .await?;
    for v in vs {
        if let Some(e) = rows.iter_mut().find(|e| e.id == v.entry_id) {
            e.vouchers.push(v);
        }
    }
    Ok(rows)
}

/// An account's entries dated in `[from, to]`, newest first, a page at a time.
pub async fn entries(
    db: &Db,
    account_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: domain::Paging,
) -> Result<(Vec<Entry>, u64)> {
    let mut vals: Vec<sea_orm::Value> = vec![account_id.into()];
    let mut filter = " WHERE e.account_id = $1".to_owned();
    if let Some(f) = from {
        vals.push(f.into());
        filter.push_str(&format!(" AND e.entry_date >= ${}", vals.len()));
    }
    if let Some(t) = to {
        vals.push(t.into());
        filter.push_str(&format!(" AND e.entry_date <= ${}", vals.len()));
    }
    let (rows, total) =
        page_of(db.conn(), SELECT, "ledger_entry e", &filter, "e.entry_date DESC, e.seq DESC", vals, page).await?;
    Ok((with_vouchers(db.conn(), rows).await?, total))
}

/// An account's entries of one month, in order: what its statement lists.
pub async fn month_entries(db: &Db, account_id: i64, month: NaiveDate) -> Result<Vec<Entry>> {
    let rows: Vec<Entry> = all(
        db.conn(),
        &format!(
            "{SELECT} WHERE e.account_id = $1 AND e.entry_date >= $2 AND e.entry_date < $3 ORDER BY e.entry_date, e.seq"
        ),
        vec![account_id.into(), month.into(), l::next_month(month).into()],
    )
    .await?;
    with_vouchers(db.conn(), rows).await
}

/// The compound's chain head: its last entry's place and hash.
pub async fn head(db: &Db, compound_id: i64) -> Result<Option<Head>> {
    head_in(db.conn(), compound_id).await
}

async fn head_in(c: &impl ConnectionTrait, compound_id: i64) -> Result<Option<Head>> {
    #[derive(FromQueryResult)]
    struct R {
        seq: i64,
        hash: String,
    }
    let r: Option<R> = one(
        c,
        "SELECT seq, hash FROM ledger_entry WHERE compound_id = $1 ORDER BY seq DESC LIMIT 1",
        vec![compound_id.into()],
    )
    .await?;
    Ok(r.map(|r| Head { seq: r.seq, hash: r.hash }))
}

/// Every compound's chain head, for `gongzhi ledger head`.
pub async fn heads(db: &Db) -> Result<Vec<(i64, Head)>> {
    #[derive(FromQueryResult)]
    struct R {
        compound_id: i64,
        seq: i64,
        hash: String,
    }
    let rows: Vec<R> = all(
        db.conn(),
        "SELECT e.compound_id, e.seq, e.hash FROM ledger_entry e WHERE e.seq = \
         (SELECT MAX(x.seq) FROM ledger_entry x WHERE x.compound_id = e.compound_id) ORDER BY e.compound_id",
        vec![],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.compound_id, Head { seq: r.seq, hash: r.hash })).collect())
}

/// What `verify` found for one compound.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub compound_id: i64,
    pub entries: i64,
    pub head: Option<Head>,
    /// The first entry that does not fit: (seq, what is wrong).
    pub broken: Option<(i64, String)>,
}

/// Walk each compound's chain (one, or all) and check it against the heads
/// its published statements recorded and any heads given from outside.
pub async fn verify(db: &Db, compound: Option<i64>, given: &[(i64, Head)]) -> Result<Vec<Checked>> {
    #[derive(FromQueryResult)]
    struct C {
        compound_id: i64,
    }
    let mut ids: Vec<i64> = match compound {
        Some(c) => vec![c],
        None => all::<C>(
            db.conn(),
            "SELECT DISTINCT compound_id FROM ledger_entry UNION SELECT DISTINCT compound_id FROM ledger_statement",
            vec![],
        )
        .await?
        .into_iter()
        .map(|r| r.compound_id)
        .collect(),
    };
    ids.extend(given.iter().map(|(c, _)| *c).filter(|c| compound.is_none_or(|x| x == *c)));
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for cid in ids {
        out.push(verify_one(db, cid, given).await?);
    }
    Ok(out)
}

async fn verify_one(db: &Db, cid: i64, given: &[(i64, Head)]) -> Result<Checked> {
    let rows: Vec<Entry> =
        all(db.conn(), &format!("{SELECT} WHERE e.compound_id = $1 ORDER BY e.seq"), vec![cid.into()]).await?;
    let vs: Vec<Voucher> = all(
        db.conn(),
        "SELECT v.entry_id, v.position, v.sha256, v.mime, v.bytes FROM ledger_voucher v \
         JOIN ledger_entry e ON e.id = v.entry_id WHERE e.compound_id = $1 ORDER BY v.entry_id, v.position",
        vec![cid.into()],
    )
    .await?;
    let mut by_entry: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for v in vs {
        by_entry.entry(v.entry_id).or_default().push(v.sha256);
    }
    let mut out = Checked { compound_id: cid, entries: rows.len() as i64, head: None, broken: None };
    let mut prev = l::GENESIS.to_owned();
    let none = Vec::new();
    for (i, e) in rows.iter().enumerate() {
        let want_seq = i as i64 + 1;
        let fail = |why: String| Some((want_seq.min(e.seq), why));
        if e.seq != want_seq {
            out.broken = fail(format!("entry {want_seq} is missing (the chain goes on at {})", e.seq));
            return Ok(out);
        }
        if e.prev_hash != prev {
            out.broken = fail(format!("entry {} does not follow entry {} (previous hash differs)", e.seq, e.seq - 1));
            return Ok(out);
        }
        let at = stamp(e.entered_at);
        let h = l::entry_hash(
            &prev,
            &l::Chained {
                compound_id: e.compound_id,
                seq: e.seq,
                account_id: e.account_id,
                entry_date: e.entry_date,
                category: &e.category,
                amount_fen: e.amount_fen,
                counterparty: &e.counterparty,
                description: &e.description,
                reverses: e.reverses,
                approval_id: e.approval_id,
                building_id: e.building_id,
                vouchers: by_entry.get(&e.id).unwrap_or(&none),
                entered_by: &e.entered_by,
                entered_at: &at,
            },
        );
        if h != e.hash {
            out.broken = fail(format!("entry {} (id {}) was changed after it was written", e.seq, e.id));
            return Ok(out);
        }
        prev = e.hash.clone();
    }
    out.head = rows.last().map(|e| Head { seq: e.seq, hash: e.hash.clone() });
    // Heads recorded when statements were published, and any given: each must still be in the chain.
    #[derive(FromQueryResult)]
    struct S {
        head_seq: i64,
        head_hash: String,
    }
    let mut heads: Vec<Head> = all::<S>(
        db.conn(),
        "SELECT head_seq, head_hash FROM ledger_statement WHERE compound_id = $1 AND head_seq > 0",
        vec![cid.into()],
    )
    .await?
    .into_iter()
    .map(|s| Head { seq: s.head_seq, hash: s.head_hash })
    .collect();
    heads.extend(given.iter().filter(|(c, _)| *c == cid).map(|(_, h)| h.clone()));
    heads.sort_by_key(|h| h.seq);
    for h in heads {
        match rows.get((h.seq - 1) as usize) {
            Some(e) if e.hash == h.hash => {}
            Some(_) => {
                out.broken =
                    Some((h.seq, format!("entry {} differs from the head published as {}:{}", h.seq, h.seq, h.hash)));
                return Ok(out);
            }
            None => {
                out.broken = Some((
                    h.seq,
                    format!("entry {} is gone: the chain ends at {}, but {} was published", h.seq, rows.len(), h.seq),
                ));
                return Ok(out);
            }
        }
    }
    Ok(out)
}
