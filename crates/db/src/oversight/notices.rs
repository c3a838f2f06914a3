//! Rectification notices: issued with their compounds and items, moved
//! through `domain::rectify::next` by conditional updates, items closed one
//! by one, swept for deadlines (escalated one level, then another).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::audit::Actor;
use domain::rectify::{self, NoticeBy, NoticeState, NoticeStep};
use domain::{Level, RegionCode};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use super::{notice_visible, owed};
use crate::audit::Change;
use crate::problems::Visible;
use crate::sql::{all, exec, id_list, in_subtree, insert_id, known, one, page_of, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: i64,
    pub number: String,
    /// The issuing region (street, county or city).
    pub region_code: String,
    pub region_name: String,
    pub region_path: String,
    /// The region supervising it now: the issuer's, or above once escalated.
    pub level_code: String,
    pub company_id: i64,
    pub company_name: String,
    pub campaign_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub requirement: String,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    pub state: NoticeState,
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Notice {
    /// Past its deadline with the company's answer still owed, on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        rectify::overdue(self.state, self.deadline, today)
    }

    /// Missed its deadline (what the grading counts), as seen on `today`.
    pub fn missed(&self, today: NaiveDate) -> bool {
        rectify::missed(self.state, self.deadline, self.answered_at.map(domain::clock::china_date), today)
    }

    pub fn escalated(&self) -> bool {
        self.level_code != self.region_code
    }
}

#[derive(FromQueryResult)]
struct NoticeRow {
    id: i64,
    number: String,
    region_code: String,
    region_name: String,
    region_path: String,
    level_code: String,
    company_id: i64,
    company_name: String,
    campaign_id: Option<i64>,
    inspection_id: Option<i64>,
    requirement: String,
    issued_on: NaiveDate,
    deadline: NaiveDate,
    state: String,
    issued_by: String,
    issued_at: DateTime<Utc>,
    received_at: Option<DateTime<Utc>>,
    answered_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl FromQueryResult for Notice {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = NoticeRow::from_query_result(res, pre)?;
        Ok(Notice {
            state: known(&format!("notice {}", r.id), "state", &r.state, NoticeState::find)?,
            id: r.id,
            number: r.number,
            region_code: r.region_code,
            region_name: r.region_name,
            region_path: r.region_path,
            level_code: r.level_code,
            company_id: r.company_id,
            company_name: r.company_name,
            campaign_id: r.campaign_id,
            inspection_id: r.inspection_id,
            requirement: r.requirement,
            issued_on: r.issued_on,
            deadline: r.deadline,
            issued_by: r.issued_by,
            issued_at: r.issued_at,
            received_at: r.received_at,
            answered_at: r.answered_at,
            closed_at: r.closed_at,
            updated_at: r.updated_at,
        })
    }
}

const SELECT: &str = "SELECT n.id, n.number, n.region_code, r.name AS region_name, n.region_path, n.level_code, \
     n.company_id, o.name AS company_name, n.campaign_id, n.inspection_id, n.requirement, n.issued_on, n.deadline, \
     n.state, n.issued_by, n.issued_at, n.received_at, n.answered_at, n.closed_at, n.updated_at \
     FROM rect_notice n JOIN region r ON r.code = n.region_code JOIN organisation o ON o.id = n.company_id";

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct NoticeItem {
    pub id: i64,
    pub position: i32,
    pub text: String,
    pub problem_id: Option<i64>,
    /// The inspection finding (an `inspection_item`) it came from.
    pub finding_id: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct NoticeCompound {
    pub compound_id: i64,
    pub name: String,
    pub region_path: String,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct NoticeEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct NoticePhoto {
    pub stage: String,
    pub sha256: String,
    pub mime: String,
    pub at: DateTime<Utc>,
}

/// One item of a new notice: what is wrong, and the problem or finding it came from.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub text: String,
    pub problem_id: Option<i64>,
    pub finding_id: Option<i64>,
}

/// A notice as issued; the caller has checked who may issue it, for which
/// compounds (each with its path) and that the company serves them.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub region: RegionCode,
    pub company_id: i64,
    pub compounds: Vec<(i64, String)>,
    pub campaign_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub requirement: String,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    pub items: Vec<NewItem>,
}

impl NewNotice {
    /// Check the notice's own rules (texts, counts, deadline).
    pub fn check(&self) -> Result<(), domain::Invalid> {
        use domain::Invalid;
        rectify::text("requirement", &self.requirement, rectify::TEXT_MAX, true)?;
        rectify::deadline(self.issued_on, self.deadline)?;
        if self.compounds.is_empty() || self.compounds.len() > rectify::COMPOUNDS_MAX {
            return Err(Invalid::new("compounds", format!("1–{} compounds", rectify::COMPOUNDS_MAX))
                .zh(format!("须指定 1–{} 个小区", rectify::COMPOUNDS_MAX)));
        }
        if self.items.is_empty() || self.items.len() > rectify::ITEMS_MAX {
            return Err(Invalid::new("items", format!("1–{} items", rectify::ITEMS_MAX))
                .zh(format!("整改事项须为 1–{} 项", rectify::ITEMS_MAX)));
        }
        for it in &self.items {
            rectify::text("items", &it.text, rectify::TEXT_MAX, true)?;
        }
        if self.region.level() > Level::Street {
            return Err(Invalid::new("region", "a street, county or city issues notices")
                .zh("整改通知单由街道、县区或市级下发"));
        }
        Ok(())
    }
}

/// Issue a notice: numbered within its region and year, its compounds and
/// items stored, its first step on the timeline, audited.
pub async fn issue(db: &Db, actor: &Actor, n: &NewNotice, now: DateTime<Utc>) -> Result<Notice> {
    n.check()?;
    let tx = db.begin_write().await?;
    let id = issue_in(&*tx, actor, n, now).await?;
    tx.commit().await?;
    get(db, id).await
}

/// [`issue`] inside a transaction the caller holds (an inspection issuing from its findings).
pub async fn issue_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewNotice, now: DateTime<Utc>) -> Result<i64> {
    n.check()?;
    let year = n.issued_on.year();
    let prefix = format!("{}-{year}-", n.region.as_str());
    let seq = scalar_i64(
        c,
        "SELECT COUNT(*) FROM rect_notice WHERE region_code = $1 AND number >= $2 AND number < $3",
        vec![n.region.as_str().into(), prefix.clone().into(), format!("{}-{year}.", n.region.as_str()).into()],
    )
    .await?
        + 1;
    let number = rectify::number(n.region.as_str(), year, seq);
    let path = n.region.path();
    let id = insert_id(
        c,
        "INSERT INTO rect_notice (number, region_code, region_path, level_code, company_id, campaign_id, inspection_id, \
         requirement, issued_on, deadline, state, issued_by, issued_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
        vec![
            number.clone().into(),
            n.region.as_str().into(),
            path.as_str().into(),
            n.region.as_str().into(),
            n.company_id.into(),
            n.campaign_id.into(),
            n.inspection_id.into(),
            n.requirement.trim().into(),
            n.issued_on.into(),
            n.deadline.into(),
            NoticeState::Issued.as_str().into(),
            actor.login.clone().into(),
            now.into(),
            now.into(),
        ],
    )
    .await?;
    for (cid, cpath) in &n.compounds {
        exec(
            c,
            "INSERT INTO rect_compound (notice_id, compound_id, region_path) VALUES ($1,$2,$3)",
            vec![id.into(), (*cid).into(), cpath.clone().into()],
        )
        .await?;
    }
    for (i, it) in n.items.iter().enumerate() {
        exec(
            c,
            "INSERT INTO rect_item (notice_id, position, text, problem_id, finding_id) VALUES ($1,$2,$3,$4,$5)",
            vec![id.into(), (i as i32 + 1).into(), it.text.trim().into(), it.problem_id.into(), it.finding_id.into()],
        )
        .await?;
    }
    event(c, id, now, actor, "issue", None, NoticeState::Issued, "").await?;
    Change::new("issue", "rect_notice", id, Some(path.as_str().to_owned()))
        .after(serde_json::json!({
            "number": number, "company_id": n.company_id,
            "compounds": n.compounds.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            "deadline": n.deadline, "items": n.items.len(),
        }))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &impl ConnectionTrait,
    id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    step: &str,
    from: Option<NoticeState>,
    to: NoticeState,
    note: &str,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO rect_event (notice_id, at, actor, step, from_state, to_state, note) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            id.into(),
            at.into(),
            actor.login.clone().into(),
            step.into(),
            from.map(|f| f.as_str()).into(),
            to.as_str().into(),
            note.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> Result<Notice> {
    get_in(db.conn(), id).await
}

async fn get_in(c: &impl ConnectionTrait, id: i64) -> Result<Notice> {
    one(c, &format!("{SELECT} WHERE n.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn items(db: &Db, id: i64) -> Result<Vec<NoticeItem>> {
    Ok(all(
        db.conn(),
        "SELECT id, position, text, problem_id, finding_id, closed_at, closed_by FROM rect_item WHERE notice_id = $1 ORDER BY position",
        vec![id.into()],
    )
    .await?)
}

pub async fn compounds(db: &Db, id: i64) -> Result<Vec<NoticeCompound>> {
    Ok(all(
        db.conn(),
        "SELECT rc.compound_id, c.name, rc.region_path FROM rect_compound rc JOIN compound c ON c.id = rc.compound_id \
         WHERE rc.notice_id = $1 ORDER BY c.name, c.id",
        vec![id.into()],
    )
    .await?)
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<NoticeEvent>> {
    Ok(all(
        db.conn(),
        "SELECT at, actor, step, from_state, to_state, note FROM rect_event WHERE notice_id = $1 ORDER BY id",
        vec![id.into()],
    )
    .await?)
}

pub async fn photos(db: &Db, id: i64) -> Result<Vec<NoticePhoto>> {
    Ok(all(
        db.conn(),
        "SELECT stage, sha256, mime, at FROM rect_photo WHERE notice_id = $1 ORDER BY id",
        vec![id.into()],
    )
    .await?)
}

/// Which notices a list shows within what the reader may see.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub states: Vec<NoticeState>,
    /// Only those past their deadline with the answer owed (on `today`).
    pub overdue: bool,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// Issued from this inspection's findings.
    pub inspection_id: Option<i64>,
    pub compound_id: Option<i64>,
    /// Only notices naming a compound in this subtree.
    pub within: Option<domain::RegionPath>,
}

/// A page of notices, overdue first, then by deadline.
pub async fn list(
    db: &Db,
    v: &Visible,
    f: &NoticeFilter,
    today: NaiveDate,
    page: domain::Paging,
) -> Result<(Vec<Notice>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut filter = format!(" WHERE {}", notice_visible(v, &mut vals));
    if !f.states.is_empty() {
        let list: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        filter.push_str(&format!(" AND n.state IN ({})", list.join(",")));
    }
    let owed_n = owed("n");
    // A date gongzhi formats itself, as a literal both backends compare with a date column.
    let today = format!("'{}'", today.format("%Y-%m-%d"));
    if f.overdue {
        filter.push_str(&format!(" AND {owed_n} AND n.deadline < {today}"));
    }
    if let Some(c) = f.company_id {
        vals.push(c.into());
        filter.push_str(&format!(" AND n.company_id = ${}", vals.len()));
    }
    for (col, val) in [("n.campaign_id", f.campaign_id), ("n.inspection_id", f.inspection_id)] {
        if let Some(x) = val {
            vals.push(x.into());
            filter.push_str(&format!(" AND {col} = ${}", vals.len()));
        }
    }
    if let Some(c) = f.compound_id {
        vals.push(c.into());
        filter.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM rect_compound x WHERE x.notice_id = n.id AND x.compound_id = ${})",
            vals.len()
        ));
    }
    if let Some(p) = &f.within {
        let cond = in_subtree("x.region_path", p, &mut vals);
        filter.push_str(&format!(" AND EXISTS (SELECT 1 FROM rect_compound x WHERE x.notice_id = n.id AND {cond})"));
    }
    let order = format!(
        "CASE WHEN {owed_n} AND n.deadline < {today} THEN 0 WHEN n.state = 'closed' THEN 2 ELSE 1 END, n.deadline, n.id"
    );
    let (rows, total) = page_of(
        db.conn(),
        SELECT,
        "rect_notice n JOIN region r ON r.code = n.region_code JOIN organisation o ON o.id = n.company_id",
        &filter,
        &order,
        vals,
        page,
    )
    .await?;
    Ok((rows, total))
}

/// Who moved the notice on meanwhile.
fn moved_on() -> DbError {
    DbError::Conflict("the notice was changed by someone else meanwhile; reload and try again".into())
}

/// Take a step (see `domain::rectify::next`); a return needs its reason, an
/// answer says what was done.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    step: NoticeStep,
    by: NoticeBy,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Notice> {
    let note = rectify::text("note", note, rectify::TEXT_MAX, false)?;
    if step == NoticeStep::Return && note.is_empty() {
        return Err(domain::Invalid::new("note", "a return needs its reason").zh("退回须说明理由").into());
    }
    if step == NoticeStep::Answer && note.is_empty() {
        return Err(domain::Invalid::new("note", "say what was done").zh("须写明整改情况").into());
    }
    let tx = db.begin_write_in_scope().await?;
    let n = get_in(&*tx, id).await?;
    let from = n.state;
    let to = rectify::next(from, step, by)?;
    // The moment each step stamps (a return stamps only the update itself).
    let stamp = match step {
        NoticeStep::Receive => ", received_at = $1",
        NoticeStep::Answer => ", answered_at = $1, received_at = COALESCE(received_at, $1)",
        NoticeStep::Return => "",
        NoticeStep::Close => ", closed_at = $1",
    };
    let sql = format!("UPDATE rect_notice SET state = $2, updated_at = $1{stamp} WHERE id = $3 AND state = $4");
    let n_rows =
        exec(&*tx, &sql, vec![now.into(), to.as_str().into(), id.into(), from.as_str().into()]).await?.rows_affected();
    if n_rows != 1 {
        return Err(moved_on());
    }
    if step == NoticeStep::Close {
        exec(
            &*tx,
            "UPDATE rect_item SET closed_at = $1, closed_by = $2 WHERE notice_id = $3 AND closed_at IS NULL",
            vec![now.into(), actor.login.clone().into(), id.into()],
        )
        .await?;
    }
    event(&*tx, id, now, actor, step.as_str(), Some(from), to, note).await?;
    audit_step(&*tx, actor, &n, step.as_str(), from, to, note).await?;
    tx.commit().await?;
    get(db, id).await
}

async fn audit_step(
    c: &impl ConnectionTrait,
    actor: &Actor,
    n: &Notice,
    action: &str,
    from: NoticeState,
    to: NoticeState,
    note: &str,
) -> Result<()> {
    Change::new(action, "rect_notice", n.id, Some(n.region_path.clone()))
        .before(serde_json::json!({"state": from.as_str()}))
        .after(serde_json::json!({"state": to.as_str(), "note": note}))
        .append_in(c, actor)
        .await
}

/// Close one item after verifying it (逐项销号), while the company's answer
/// is before the issuer; the last item closed closes the notice.
pub async fn close_item(db: &Db, actor: &Actor, id: i64, item_id: i64, now: DateTime<Utc>) -> Result<Notice> {
    let tx = db.begin_write_in_scope().await?;
    let n = get_in(&*tx, id).await?;
    if n.state == NoticeState::Closed {
        return Err(DbError::Conflict("the notice is closed already".into()));
    }
    if n.state != NoticeState::Answered {
        return Err(domain::Invalid::new("item", "items are closed when the company's answer is verified")
            .zh("须在企业回复整改情况后逐项销号")
            .into());
    }
    let done = exec(
        &*tx,
        "UPDATE rect_item SET closed_at = $1, closed_by = $2 WHERE id = $3 AND notice_id = $4 AND closed_at IS NULL",
        vec![now.into(), actor.login.clone().into(), item_id.into(), id.into()],
    )
    .await?
    .rows_affected();
    if done != 1 {
        let exists = scalar_i64(
            &*tx,
            "SELECT COUNT(*) FROM rect_item WHERE id = $1 AND notice_id = $2",
            vec![item_id.into(), id.into()],
        )
        .await?;
        return Err(if exists == 0 {
            DbError::NotFound
        } else {
            DbError::Conflict("the item is closed already".into())
        });
    }
    event(&*tx, id, now, actor, &format!("close_item:{item_id}"), Some(n.state), n.state, "").await?;
    let open =
        scalar_i64(&*tx, "SELECT COUNT(*) FROM rect_item WHERE notice_id = $1 AND closed_at IS NULL", vec![id.into()])
            .await?;
    if open == 0 {
        let rows = exec(
            &*tx,
            "UPDATE rect_notice SET state = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2 AND state = 'answered'",
            vec![now.into(), id.into()],
        )
        .await?
        .rows_affected();
        if rows != 1 {
            return Err(moved_on());
        }
        event(&*tx, id, now, actor, "close", Some(n.state), NoticeState::Closed, "").await?;
        audit_step(&*tx, actor, &n, "close", n.state, NoticeState::Closed, "").await?;
    } else {
        exec(&*tx, "UPDATE rect_notice SET updated_at = $1 WHERE id = $2", vec![now.into(), id.into()]).await?;
        Change::new("close_item", "rect_notice", id, Some(n.region_path.clone()))
            .after(serde_json::json!({"item": item_id}))
            .append_in(&*tx, actor)
            .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// Record a photo (stored by hash by the caller) on a notice: `issue` with
/// it, `answer` as the company's evidence.
#[allow(clippy::too_many_arguments)]
pub async fn add_photo(
    db: &Db,
    actor: &Actor,
    id: i64,
    stage: &str,
    sha256: &str,
    mime: &str,
    bytes: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = db.begin_write_in_scope().await?;
    let n = get_in(&*tx, id).await?;
    let known = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM rect_photo WHERE notice_id = $1 AND sha256 = $2",
        vec![id.into(), sha256.into()],
    )
    .await?;
    if known == 0 {
        let count = scalar_i64(&*tx, "SELECT COUNT(*) FROM rect_photo WHERE notice_id = $1", vec![id.into()]).await?;
        if count >= PHOTOS_MAX {
            return Err(domain::Invalid::new("photo", format!("at most {PHOTOS_MAX} photos on a notice"))
                .zh(format!("每张通知单最多 {PHOTOS_MAX} 张照片"))
                .into());
        }
        exec(
            &*tx,
            "INSERT INTO rect_photo (notice_id, stage, sha256, mime, bytes, at) VALUES ($1,$2,$3,$4,$5,$6)",
            vec![id.into(), stage.into(), sha256.into(), mime.into(), bytes.into(), now.into()],
        )
        .await?;
        event(&*tx, id, now, actor, "photo", Some(n.state), n.state, sha256).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Photos one notice may carry.
pub const PHOTOS_MAX: i64 = 20;

/// What a sweep of notices did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticeSweep {
    pub escalated: u64,
}

/// Escalate notices past their deadline with the answer still owed: one
/// level above the issuer, and one more when late by their own span again.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<NoticeSweep> {
    let actor = Actor::system("deadline");
    let today = domain::clock::china_date(now);
    let owed: Vec<Notice> =
        all(db.conn(), &format!("{SELECT} WHERE {} AND n.deadline < $1", owed("n")), vec![today.into()]).await?;
    let mut s = NoticeSweep::default();
    for n in owed {
        let region = RegionCode::parse(&n.region_code)?;
        let level = rectify::escalated(region.level(), n.issued_on, n.deadline, today);
        let target = region.lineage().into_iter().find(|c| c.level() == level).unwrap_or_else(|| region.clone());
        if target.as_str() == n.level_code || target.as_str().len() >= n.level_code.len() {
            continue;
        }
        let tx = db.begin_write_in_scope().await?;
        let rows = exec(
            &*tx,
            "UPDATE rect_notice SET level_code = $1, updated_at = $2 WHERE id = $3 AND level_code = $4 AND state = $5",
            vec![target.as_str().into(), now.into(), n.id.into(), n.level_code.clone().into(), n.state.as_str().into()],
        )
        .await?
        .rows_affected();
        if rows != 1 {
            continue;
        }
        event(&*tx, n.id, now, &actor, &format!("escalate:{}", level.as_str()), Some(n.state), n.state, "").await?;
        Change::new("escalate", "rect_notice", n.id, Some(n.region_path.clone()))
            .before(serde_json::json!({"level": n.level_code}))
            .after(serde_json::json!({"level": target.as_str()}))
            .append_in(&*tx, &actor)
            .await?;
        tx.commit().await?;
        s.escalated += 1;
    }
    Ok(s)
}

/// The notices of these ids (for a page's rows): their compounds' names joined.
pub async fn compound_names(db: &Db, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    #[derive(FromQueryResult)]
    struct Row {
        notice_id: i64,
        name: String,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        &format!(
            "SELECT rc.notice_id, c.name FROM rect_compound rc JOIN compound c ON c.id = rc.compound_id \
             WHERE rc.notice_id IN ({}) ORDER BY rc.notice_id, c.name",
            id_list(ids)
        ),
        vec![],
    )
    .await?;
    for r in rows {
        let e: &mut String = out.entry(r.notice_id).or_default();
        if !e.is_empty() {
            e.push('、');
        }
        e.push_str(&r.name);
    }
    Ok(out)
}
