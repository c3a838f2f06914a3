//! Residents' problems: routed on creation to the compound's serving company
//! (else its community), moved through the workflow with a timeline, rated,
//! and swept for deadlines. Every time is passed in, so tests move the clock.

use chrono::{DateTime, Duration, Utc};
use domain::Level;
use domain::audit::Actor;
use domain::problem::{self, By, Category, Rating, State, Step};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use crate::sql::Id;
use crate::sql::{all, exec, one, page_of};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Problem {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub category: String,
    pub description: String,
    pub location: String,
    pub state: String,
    pub reporter_id: Option<i64>,
    /// `company` (handler_org_id is the company) or `community`.
    pub handler_kind: String,
    pub handler_org_id: Option<i64>,
    /// The level supervising it: community, street (escalated once) or county.
    pub supervised_at: String,
    pub overdue: bool,
    pub submitted_at: DateTime<Utc>,
    pub accept_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<String>,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT p.id, p.compound_id, c.name AS compound_name, p.region_path, p.category, p.description, p.location, p.state, \
     p.reporter_id, p.handler_kind, p.handler_org_id, p.supervised_at, p.overdue, p.submitted_at, p.accept_by, p.resolve_by, \
     p.resolved_at, p.rating, p.reason, p.updated_at FROM problem p JOIN compound c ON c.id = p.compound_id";

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
}

pub async fn get(db: &Db, id: i64) -> Result<Problem> {
    get_in(db.conn(), id).await
}

async fn get_in(c: &impl ConnectionTrait, id: i64) -> Result<Problem> {
    one(c, &format!("{SELECT} WHERE p.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>> {
    Ok(all(
        db.conn(),
        "SELECT at, actor, step, from_state, to_state, note FROM problem_event WHERE problem_id = $1 ORDER BY id",
        vec![id.into()],
    )
    .await?)
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &impl ConnectionTrait,
    id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    step: &str,
    from: Option<State>,
    to: State,
    note: &str,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO problem_event (problem_id, at, actor, step, from_state, to_state, note) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            id.into(),
            at.into(),
            actor.login.clone().into(),
            step.into(),
            from.map(|s| s.as_str().to_owned()).into(),
            to.as_str().into(),
            note.into(),
        ],
    )
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct CategoryRow {
    code: String,
    name_zh: String,
    name_en: String,
    accept_hours: i64,
    resolve_hours: i64,
    active: bool,
}

/// Every category, withdrawn ones too, in the order forms offer them.
pub async fn categories(db: &Db) -> Result<Vec<Category>> {
    let rows: Vec<CategoryRow> = all(
        db.conn(),
        "SELECT code, name_zh, name_en, accept_hours, resolve_hours, active FROM problem_category \
         ORDER BY position, code",
        vec![],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Category {
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            accept_hours: r.accept_hours,
            resolve_hours: r.resolve_hours,
            active: r.active,
        })
        .collect())
}

/// Add a category or change one (names, deadlines, withdrawn or offered);
/// audited. New deadlines apply to problems reported from now on.
pub async fn save_category(db: &Db, actor: &Actor, c: &Category) -> Result<()> {
    let tx = db.begin_write().await?;
    let before: Option<CategoryRow> = one(
        &*tx,
        "SELECT code, name_zh, name_en, accept_hours, resolve_hours, active FROM problem_category WHERE code = $1",
        vec![c.code.clone().into()],
    )
    .await?;
    let vals = vec![
        c.code.clone().into(),
        c.name_zh.clone().into(),
        c.name_en.clone().into(),
        c.accept_hours.into(),
        c.resolve_hours.into(),
        c.active.into(),
    ];
    let before_json = match before {
        Some(b) => {
            exec(
                &*tx,
                "UPDATE problem_category SET name_zh = $2, name_en = $3, accept_hours = $4, resolve_hours = $5, \
                 active = $6 WHERE code = $1",
                vals,
            )
            .await?;
            Some(serde_json::json!({"name_zh": b.name_zh, "name_en": b.name_en, "accept_hours": b.accept_hours,
                "resolve_hours": b.resolve_hours, "active": b.active}))
        }
        None => {
            exec(
                &*tx,
                "INSERT INTO problem_category (code, name_zh, name_en, accept_hours, resolve_hours, active, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 10 FROM problem_category))",
                vals,
            )
            .await?;
            None
        }
    };
    crate::audit::append(
        &*tx,
        actor,
        crate::audit::Change {
            action: if before_json.is_some() { "update" } else { "create" },
            entity: "problem_category",
            entity_id: c.code.clone(),
            region_path: None,
            before: before_json,
            after: serde_json::to_value(c).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A report ready to write: checked, its compound loaded (and the caller's
/// scope over it checked), its clock read.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub actor: Actor,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub category: String,
    pub description: String,
    pub location: String,
    /// Kept to microseconds, as both backends store it.
    pub now: DateTime<Utc>,
    /// From the category's deadlines at the time of the report.
    pub deadlines: problem::Deadlines,
}

impl NewReport {
    pub fn new(
        actor: &Actor,
        compound: &crate::compounds::Compound,
        category: &Category,
        description: &str,
        location: &str,
        now: DateTime<Utc>,
    ) -> Result<NewReport, domain::Invalid> {
        use chrono::SubsecRound;
        let description = description.trim();
        let location = location.trim();
        if location.chars().count() > 100 {
            return Err(domain::Invalid::new("location", "the place in the compound is longer than 100 characters")
                .zh("小区内位置不能超过 100 个字"));
        }
        if description.is_empty() || description.chars().count() > 2000 {
            return Err(domain::Invalid::new("description", "describe the problem in 1–2000 characters")
                .zh("请用 1–2000 个字描述问题"));
        }
        domain::text::check("description", description)?;
        domain::text::check("location", location)?;
        if compound.retired_at.is_some() {
            return Err(domain::Invalid::new("compound_id", "this compound is retired").zh("该小区已注销"));
        }
        if !category.active {
            return Err(domain::Invalid::new("category", "this category is no longer offered").zh("该类别已停用"));
        }
        let now = now.trunc_subsecs(6);
        Ok(NewReport {
            actor: actor.clone(),
            compound_id: compound.id,
            compound_name: compound.name.clone(),
            region_path: compound.region_path.clone(),
            category: category.code.clone(),
            description: description.to_owned(),
            location: location.to_owned(),
            now,
            deadlines: problem::deadlines(category, now),
        })
    }
}

/// A report as written: the problem, its first timeline event, and the
/// possible duplicates pointed out to the reporter.
#[derive(Debug, Clone)]
pub struct Written {
    pub problem: Problem,
    pub event: Event,
    /// See `possible_duplicates`.
    pub alike: Vec<i64>,
}

/// Report one problem (see `write_reports`).
pub async fn create(db: &Db, report: &NewReport) -> Result<Written> {
    let mut out = write_reports(db, std::slice::from_ref(report)).await?;
    out.pop().ok_or(DbError::NotFound)
}

/// Write reports in one transaction: each routed, as it is inserted, to the
/// company serving its compound that day (China time), else to its
/// community, with its first timeline event and its possible duplicates.
/// Three statements whatever the number of reports (`Intake` gathers those
/// that arrive together). The answer is built from what was written: nothing
/// is read back.
pub async fn write_reports(db: &Db, reports: &[NewReport]) -> Result<Vec<Written>> {
    if reports.is_empty() {
        return Ok(vec![]);
    }
    const COLS: usize = 10;
    let mut vals: Vec<Value> = Vec::with_capacity(reports.len() * COLS);
    for r in reports {
        let d = r.deadlines;
        vals.extend([
            r.compound_id.into(),
            r.region_path.clone().into(),
            r.category.clone().into(),
            r.description.clone().into(),
            r.actor.id.into(),
            r.now.into(),
            d.accept_by.into(),
            d.resolve_by.into(),
            r.location.clone().into(),
            domain::clock::china_date(r.now).into(),
        ]);
    }
    // VALUES columns are named column1… on both backends.
    let sql = format!(
        "INSERT INTO problem (compound_id, region_path, category, description, state, reporter_id, handler_kind, \
         handler_org_id, supervised_at, overdue, submitted_at, accept_by, resolve_by, updated_at, location) \
         SELECT r.column1, r.column2, r.column3, r.column4, 'submitted', r.column5, \
         CASE WHEN r.org IS NULL THEN 'community' ELSE 'company' END, r.org, 'community', FALSE, \
         r.column6, r.column7, r.column8, r.column6, r.column9 \
         FROM (SELECT v.*, (SELECT f.ref_id FROM compound_fact f WHERE f.compound_id = v.column1 \
         AND f.kind = 'company' AND f.valid_from <= v.column10 AND (f.valid_to IS NULL OR f.valid_to > v.column10)) \
         AS org FROM (VALUES {}) AS v) AS r \
         RETURNING id, compound_id, reporter_id, category, description, location, submitted_at, accept_by, \
         resolve_by, handler_kind, handler_org_id",
        crate::sql::placeholders(db.backend(), reports.len(), COLS)
    );
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        compound_id: i64,
        reporter_id: Option<i64>,
        category: String,
        description: String,
        location: String,
        submitted_at: DateTime<Utc>,
        accept_by: DateTime<Utc>,
        resolve_by: DateTime<Utc>,
        handler_kind: String,
        handler_org_id: Option<i64>,
    }
    let tx = db.begin_write_in_scope().await?;
    let mut rows: Vec<Option<Row>> = all::<Row>(&*tx, &sql, vals).await?.into_iter().map(Some).collect();
    // RETURNING promises no order: each report takes the written row that
    // carries its own values. Reports alike in every value get rows alike in
    // all but the id, so which of them takes which id does not matter.
    let mut out = Vec::with_capacity(reports.len());
    for r in reports {
        let row = rows
            .iter_mut()
            .find(|w| {
                w.as_ref().is_some_and(|w| {
                    w.compound_id == r.compound_id
                        && w.reporter_id == r.actor.id
                        && w.category == r.category
                        && w.description == r.description
                        && w.location == r.location
                        && w.submitted_at == r.now
                })
            })
            .and_then(Option::take)
            .ok_or_else(|| DbError::Internal(sea_orm::DbErr::Custom("a written report was not returned".into())))?;
        let p = Problem {
            id: row.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name.clone(),
            region_path: r.region_path.clone(),
            category: row.category,
            description: row.description,
            location: row.location,
            state: State::Submitted.as_str().to_owned(),
            reporter_id: row.reporter_id,
            handler_kind: row.handler_kind,
            handler_org_id: row.handler_org_id,
            supervised_at: Level::Community.as_str().to_owned(),
            overdue: false,
            submitted_at: row.submitted_at,
            accept_by: row.accept_by,
            resolve_by: row.resolve_by,
            resolved_at: None,
            rating: None,
            reason: None,
            updated_at: row.submitted_at,
        };
        let e = Event {
            at: r.now,
            actor: r.actor.login.clone(),
            step: "submit".into(),
            from_state: None,
            to_state: State::Submitted.as_str().into(),
            note: String::new(),
        };
        out.push(Written { problem: p, event: e, alike: vec![] });
    }
    let mut ev: Vec<Value> = Vec::with_capacity(out.len() * 3);
    for w in &out {
        ev.extend([w.problem.id.into(), w.event.at.into(), w.event.actor.clone().into()]);
    }
    exec(
        &*tx,
        &format!(
            "INSERT INTO problem_event (problem_id, at, actor, step, from_state, to_state, note) \
             SELECT e.column1, e.column2, e.column3, 'submit', NULL, 'submitted', '' FROM (VALUES {}) AS e",
            crate::sql::placeholders(db.backend(), out.len(), 3)
        ),
        ev,
    )
    .await?;
    alike_in_batch(&*tx, &mut out).await?;
    // Reports are not in the audit chain: the chain is one sequence, and its
    // lock held to each commit made intake on PostgreSQL 2.2× slower (its
    // writers could no longer commit side by side). The report row and its
    // `submit` event (who, when) are the record; every later change of a
    // problem is audited (decision 0006).
    tx.commit().await?;
    Ok(out)
}

fn problem_change<'a>(
    action: &'a str,
    p: &Problem,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> crate::audit::Change<'a> {
    crate::audit::Change {
        action,
        entity: "problem",
        entity_id: p.id.to_string(),
        region_path: Some(p.region_path.clone()),
        before,
        after,
    }
}

/// Fill in each written report's possible duplicates (see `possible_duplicates`) with
/// one statement for the batch: per compound and category, the latest open
/// reports of the week, enough to leave five for each report.
async fn alike_in_batch(c: &impl ConnectionTrait, out: &mut [Written]) -> Result<()> {
    /// The reports of one compound and category in the batch.
    struct Group<'a> {
        compound_id: i64,
        category: &'a str,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        n: i64,
    }
    let mut groups: Vec<Group> = Vec::new();
    for w in out.iter() {
        let p = &w.problem;
        match groups.iter_mut().find(|g| g.compound_id == p.compound_id && g.category == p.category) {
            Some(g) => {
                g.first = g.first.min(p.submitted_at);
                g.last = g.last.max(p.submitted_at);
                g.n += 1;
            }
            None => groups.push(Group {
                compound_id: p.compound_id,
                category: &p.category,
                first: p.submitted_at,
                last: p.submitted_at,
                n: 1,
            }),
        }
    }
    let mut parts = Vec::with_capacity(groups.len());
    let mut vals: Vec<Value> = Vec::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().enumerate() {
        let k = vals.len();
        parts.push(format!(
            "SELECT * FROM (SELECT id, compound_id, category, submitted_at FROM problem WHERE compound_id = ${} \
             AND category = ${} AND state NOT IN ('closed', 'rejected') AND submitted_at >= ${} AND submitted_at <= ${} \
             ORDER BY submitted_at DESC LIMIT ${}) AS a{i}",
            k + 1,
            k + 2,
            k + 3,
            k + 4,
            k + 5,
        ));
        vals.extend([
            g.compound_id.into(),
            g.category.to_owned().into(),
            (g.first - Duration::days(7)).into(),
            g.last.into(),
            (5 + g.n).into(),
        ]);
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        compound_id: i64,
        category: String,
        submitted_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = all(c, &parts.join(" UNION ALL "), vals).await?;
    for w in out.iter_mut() {
        let p = &w.problem;
        let mut alike: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.compound_id == p.compound_id
                    && r.category == p.category
                    && r.id != p.id
                    && r.submitted_at <= p.submitted_at
                    && r.submitted_at >= p.submitted_at - Duration::days(7)
            })
            .collect();
        alike.sort_by_key(|r| (std::cmp::Reverse(r.submitted_at), std::cmp::Reverse(r.id)));
        w.alike = alike.iter().take(5).rev().map(|r| r.id).collect();
    }
    Ok(())
}

/// Someone else changed the problem between our read and our write.
fn moved_on() -> DbError {
    DbError::Conflict("the problem was changed by someone else meanwhile; reload and try again".into())
}

/// Take a workflow step (see `domain::problem::next`).
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    step: Step,
    by: By,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Problem> {
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    let from = State::parse(&p.state)
        .ok_or_else(|| domain::Invalid::new("state", "unknown stored state").zh("存储的状态无法识别"))?;
    let to = problem::next(from, step, by)?;
    if step == Step::Reject && note.trim().is_empty() {
        return Err(domain::Invalid::new("note", "a rejection needs a reason").zh("退回须说明理由").into());
    }
    let resolved_at = if to == State::Resolved { Some(now) } else { p.resolved_at };
    let reason = if step == Step::Reject { Some(note.trim().to_owned()) } else { p.reason.clone() };
    // Only from the state read above: of two concurrent steps one wins, the other is told.
    let n = exec(
        &*tx,
        "UPDATE problem SET state = $1, resolved_at = $2, reason = $3, updated_at = $4 WHERE id = $5 AND state = $6",
        vec![to.as_str().into(), resolved_at.into(), reason.into(), now.into(), id.into(), from.as_str().into()],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(moved_on());
    }
    event(&*tx, id, now, actor, step.as_str(), Some(from), to, note.trim()).await?;
    let change = problem_change(
        step.as_str(),
        &p,
        Some(serde_json::json!({"state": from.as_str()})),
        Some(serde_json::json!({"state": to.as_str(), "note": note.trim()})),
    );
    crate::audit::append(&*tx, actor, change).await?;
    tx.commit().await?;
    get(db, id).await
}

/// The resident rates a resolved problem: closed, or reopened when unsatisfied.
pub async fn rate(db: &Db, actor: &Actor, id: i64, rating: Rating, now: DateTime<Utc>) -> Result<Problem> {
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    if p.state != State::Resolved.as_str() {
        return Err(domain::Invalid::new("rating", "only a resolved problem can be rated")
            .zh("只有已办结的诉求才能评价")
            .into());
    }
    let to = problem::after_rating(rating);
    let n = exec(
        &*tx,
        "UPDATE problem SET state = $1, rating = $2, updated_at = $3 WHERE id = $4 AND state = $5",
        vec![to.as_str().into(), rating.as_str().into(), now.into(), id.into(), State::Resolved.as_str().into()],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(moved_on());
    }
    event(&*tx, id, now, actor, &format!("rate:{}", rating.as_str()), Some(State::Resolved), to, "").await?;
    let change = problem_change(
        "rate",
        &p,
        Some(serde_json::json!({"state": State::Resolved.as_str()})),
        Some(serde_json::json!({"state": to.as_str(), "rating": rating.as_str()})),
    );
    crate::audit::append(&*tx, actor, change).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Who may see which problems: subtrees, compounds, a company's, or one reporter's own.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub all: bool,
    pub paths: Vec<domain::RegionPath>,
    pub compound_ids: Vec<i64>,
    pub company_ids: Vec<i64>,
    pub reporter_id: Option<i64>,
}

/// Which of the visible problems a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Open ones only (`Some(true)`), closed or rejected ones only (`Some(false)`), or all.
    pub open: Option<bool>,
    pub category: Option<String>,
    /// Reported at or after / before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only these ids (empty: any).
    pub ids: Vec<i64>,
}

impl ListFilter {
    pub fn open() -> ListFilter {
        ListFilter { open: Some(true), ..Default::default() }
    }
}

pub async fn list(db: &Db, v: &Visible, f: &ListFilter, page: domain::Paging) -> Result<(Vec<Problem>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut any: Vec<String> = Vec::new();
    if v.all {
        any.push("1 = 1".into());
    }
    for p in &v.paths {
        let (lo, hi) = p.subtree_range();
        vals.push(lo.into());
        vals.push(hi.into());
        any.push(format!("(p.region_path >= ${} AND p.region_path < ${})", vals.len() - 1, vals.len()));
    }
    let ids = |xs: &[i64]| xs.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    if !v.compound_ids.is_empty() {
        any.push(format!("p.compound_id IN ({})", ids(&v.compound_ids)));
    }
    if !v.company_ids.is_empty() {
        any.push(format!("(p.handler_kind = 'company' AND p.handler_org_id IN ({}))", ids(&v.company_ids)));
    }
    if let Some(r) = v.reporter_id {
        vals.push(r.into());
        any.push(format!("p.reporter_id = ${}", vals.len()));
    }
    if any.is_empty() {
        any.push("1 = 0".into());
    }
    let mut filter = format!(" WHERE ({})", any.join(" OR "));
    match f.open {
        Some(true) => filter.push_str(" AND p.state NOT IN ('closed', 'rejected')"),
        Some(false) => filter.push_str(" AND p.state IN ('closed', 'rejected')"),
        None => {}
    }
    if let Some(c) = &f.category {
        vals.push(c.clone().into());
        filter.push_str(&format!(" AND p.category = ${}", vals.len()));
    }
    if let Some(t) = f.from {
        vals.push(t.into());
        filter.push_str(&format!(" AND p.submitted_at >= ${}", vals.len()));
    }
    if let Some(t) = f.to {
        vals.push(t.into());
        filter.push_str(&format!(" AND p.submitted_at < ${}", vals.len()));
    }
    if !f.ids.is_empty() {
        filter.push_str(&format!(" AND p.id IN ({})", ids(&f.ids)));
    }
    // Overdue first, then the nearest deadline.
    Ok(page_of(db.conn(), SELECT, "problem p", &filter, "p.overdue DESC, p.resolve_by, p.id", vals, page).await?)
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub marked_overdue: u64,
    pub escalated: u64,
    pub auto_closed: u64,
}

/// Mark overdue problems and escalate them one level per missed period
/// (community → street → county); close problems resolved and left unrated.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<Sweep> {
    let actor = Actor::system("deadline");
    let open: Vec<Problem> =
        all(db.conn(), &format!("{SELECT} WHERE p.state NOT IN ('closed', 'rejected')"), vec![]).await?;
    let mut s = Sweep::default();
    for p in open {
        let state = State::parse(&p.state).unwrap_or(State::Submitted);
        let d = problem::Deadlines { accept_by: p.accept_by, resolve_by: p.resolve_by };
        if problem::auto_closes(state, p.resolved_at, now) {
            let tx = db.begin_write_in_scope().await?;
            // Only if nobody rated it since it was read.
            let n = exec(
                &*tx,
                "UPDATE problem SET state = 'closed', updated_at = $1 WHERE id = $2 AND state = $3",
                vec![now.into(), p.id.into(), state.as_str().into()],
            )
            .await?
            .rows_affected();
            if n != 1 {
                continue;
            }
            event(&*tx, p.id, now, &actor, "auto_close", Some(state), State::Closed, "").await?;
            let change = problem_change(
                "auto_close",
                &p,
                Some(serde_json::json!({"state": state.as_str()})),
                Some(serde_json::json!({"state": State::Closed.as_str()})),
            );
            crate::audit::append(&*tx, &actor, change).await?;
            tx.commit().await?;
            s.auto_closed += 1;
            continue;
        }
        if !problem::overdue(state, d, now) {
            continue;
        }
        // One level up for each full resolve period missed.
        let period = (p.resolve_by - p.submitted_at).max(Duration::hours(1));
        let levels = if now > p.resolve_by + period { 2 } else { 1 };
        let mut level = Level::Community;
        for _ in 0..levels {
            level = problem::escalate(level);
        }
        if p.overdue && p.supervised_at == level.as_str() {
            continue;
        }
        let tx = db.begin_write_in_scope().await?;
        // Only while it is still open in the state read: a step taken meanwhile wins.
        let n = exec(
            &*tx,
            "UPDATE problem SET overdue = $1, supervised_at = $2, updated_at = $3 WHERE id = $4 AND state = $5",
            vec![true.into(), level.as_str().into(), now.into(), p.id.into(), state.as_str().into()],
        )
        .await?
        .rows_affected();
        if n != 1 {
            continue;
        }
        let step = format!("escalate:{}", level.as_str());
        event(&*tx, p.id, now, &actor, &step, Some(state), state, "").await?;
        let change = problem_change(
            &step,
            &p,
            Some(serde_json::json!({"overdue": p.overdue, "supervised_at": p.supervised_at})),
            Some(serde_json::json!({"overdue": true, "supervised_at": level.as_str()})),
        );
        crate::audit::append(&*tx, &actor, change).await?;
        tx.commit().await?;
        if !p.overdue {
            s.marked_overdue += 1;
        }
        s.escalated += 1;
    }
    Ok(s)
}

/// Possibly the same problem: the latest few (at most 5) open problems of the
/// same compound and category reported in the seven days up to this one,
/// oldest first. (A report being written gets them from `write_reports`.)
pub async fn possible_duplicates(db: &Db, p: &Problem) -> Result<Vec<i64>> {
    let rows: Vec<Id> = all(
        db.conn(),
        "SELECT id FROM problem WHERE compound_id = $1 AND category = $2 AND id <> $3 \
         AND state NOT IN ('closed', 'rejected') AND submitted_at >= $4 AND submitted_at <= $5 ORDER BY submitted_at DESC LIMIT 5",
        vec![
            p.compound_id.into(),
            p.category.clone().into(),
            p.id.into(),
            (p.submitted_at - Duration::days(7)).into(),
            p.submitted_at.into(),
        ],
    )
    .await?;
    Ok(rows.into_iter().rev().map(|r| r.id).collect())
}

/// The hotline rates of the problems reported in `[from, to)` in a subtree
/// and/or routed to a company.
pub async fn rates(
    db: &Db,
    within: Option<&domain::RegionPath>,
    company: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<domain::problem::Rates> {
    let rows = rates_grouped(db, within, company, None, from, to).await?;
    Ok(rows.into_iter().next().map(|(_, r)| r).unwrap_or_default())
}

/// The rates of one group: a company or a child region.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRates {
    /// The company's id or the region's code.
    pub key: String,
    pub name: String,
    pub rates: domain::problem::Rates,
}

/// The hotline rates per company that handled problems reported in `[from, to)`
/// in a subtree, most problems first. Problems the community handled (no serving
/// company) are not in any row.
pub async fn rates_by_company(
    db: &Db,
    within: &domain::RegionPath,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupRates>> {
    let rows = rates_grouped(db, Some(within), None, Some("CAST(p.handler_org_id AS TEXT)"), from, to).await?;
    let ids: Vec<i64> = rows.iter().filter_map(|(k, _)| k.parse().ok()).collect();
    let names = crate::structure::org_names(db, &ids).await?;
    let mut out: Vec<GroupRates> = rows
        .into_iter()
        .filter_map(|(key, rates)| {
            let id: i64 = key.parse().ok()?;
            Some(GroupRates { name: names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")), key, rates })
        })
        .collect();
    out.sort_by(|a, b| b.rates.submitted.cmp(&a.rates.submitted).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// The hotline rates per child region of `parent` for problems reported in
/// `[from, to)`, every child listed (those without problems show zeros).
pub async fn rates_by_child(
    db: &Db,
    parent: &domain::RegionCode,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupRates>> {
    let children = crate::regions::children(db, parent).await?;
    let Some(first) = children.first() else { return Ok(vec![]) };
    // Every child's path has the same length: its code's length is fixed by level.
    let key = format!("substr(p.region_path, 1, {})", first.region.path.len());
    let rows = rates_grouped(db, Some(&parent.path()), None, Some(&key), from, to).await?;
    let by: std::collections::HashMap<String, domain::problem::Rates> = rows.into_iter().collect();
    Ok(children
        .into_iter()
        .map(|c| GroupRates {
            rates: by.get(&c.region.path).copied().unwrap_or_default(),
            key: c.region.code,
            name: c.region.name,
        })
        .collect())
}

/// The rates of the problems reported in `[from, to)` (in a subtree, routed
/// to a company) grouped by the SQL expression `group` (our own text, never
/// user input), or not at all (one row). Only the `handler_kind = 'company'` problems count when
/// grouping by company, so `group` over `handler_org_id` sees no NULL key.
async fn rates_grouped(
    db: &Db,
    within: Option<&domain::RegionPath>,
    company: Option<i64>,
    group: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, domain::problem::Rates)>> {
    let mut vals: Vec<Value> = vec![from.into(), to.into()];
    let mut filter = String::from(" WHERE p.submitted_at >= $1 AND p.submitted_at < $2");
    if let Some(w) = within {
        let (lo, hi) = w.subtree_range();
        vals.push(lo.into());
        vals.push(hi.into());
        filter.push_str(&format!(" AND p.region_path >= ${} AND p.region_path < ${}", vals.len() - 1, vals.len()));
    }
    if let Some(c) = company {
        vals.push(c.into());
        filter.push_str(&format!(" AND p.handler_kind = 'company' AND p.handler_org_id = ${}", vals.len()));
    } else if group.is_some_and(|g| g.contains("handler_org_id")) {
        filter.push_str(" AND p.handler_kind = 'company'");
    }
    let sum = |cond: &str| format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let first =
        |step: &str| format!("(SELECT MIN(e.at) FROM problem_event e WHERE e.problem_id = p.id AND e.step = '{step}')");
    #[derive(FromQueryResult)]
    struct Row {
        k: String,
        submitted: i64,
        responded: i64,
        resolved: i64,
        on_time: i64,
        rated: i64,
        satisfied: i64,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        &format!(
            "SELECT {} AS k, COUNT(*) AS submitted, {} AS responded, {} AS resolved, {} AS on_time, {} AS rated, \
             {} AS satisfied FROM problem p{filter}{}",
            group.unwrap_or("''"),
            sum(&format!("{} <= p.accept_by", first("accept"))),
            sum(&format!("{} IS NOT NULL", first("resolve"))),
            sum(&format!("{} <= p.resolve_by", first("resolve"))),
            sum("p.rating IS NOT NULL"),
            sum("p.rating IN ('satisfied', 'basically_satisfied')"),
            group.map(|g| format!(" GROUP BY {g}")).unwrap_or_default(),
        ),
        vals,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let rates = domain::problem::Rates {
                submitted: r.submitted,
                responded: r.responded,
                resolved: r.resolved,
                on_time: r.on_time,
                rated: r.rated,
                satisfied: r.satisfied,
            };
            (r.k, rates)
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Photo {
    pub sha256: String,
    pub mime: String,
    pub bytes: i64,
}

/// Record a photo of a problem (the file is stored by the caller, by hash).
pub async fn add_photo(
    db: &Db,
    actor: &Actor,
    id: i64,
    sha256: &str,
    mime: &str,
    bytes: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    let known = crate::sql::scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM problem_photo WHERE problem_id = $1 AND sha256 = $2",
        vec![id.into(), sha256.into()],
    )
    .await?;
    if known == 0 {
        exec(
            &*tx,
            "INSERT INTO problem_photo (problem_id, sha256, mime, bytes, added_at) VALUES ($1,$2,$3,$4,$5)",
            vec![id.into(), sha256.into(), mime.into(), bytes.into(), now.into()],
        )
        .await?;
        let state = State::parse(&p.state).unwrap_or(State::Submitted);
        event(&*tx, id, now, actor, "photo", Some(state), state, sha256).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn photos(db: &Db, id: i64) -> Result<Vec<Photo>> {
    Ok(all(
        db.conn(),
        "SELECT sha256, mime, bytes FROM problem_photo WHERE problem_id = $1 ORDER BY id",
        vec![id.into()],
    )
    .await?)
}

/// Open, overdue and escalated problems per child region of `parent` (for supervision).
#[derive(Debug, Clone, Serialize)]
pub struct Supervision {
    pub code: String,
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
}

pub async fn supervision(db: &Db, parent: &domain::RegionCode) -> Result<Vec<Supervision>> {
    let children = crate::regions::children(db, parent).await?;
    let Some(first) = children.first() else { return Ok(vec![]) };
    let plen = first.region.path.len() as i32;
    let (lo, hi) = parent.path().subtree_range();
    #[derive(FromQueryResult)]
    struct Row {
        k: String,
        open: i64,
        overdue: i64,
        escalated: i64,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        "SELECT substr(region_path, 1, $3) AS k, COUNT(*) AS open, \
         CAST(COALESCE(SUM(CASE WHEN overdue = TRUE THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue, \
         CAST(COALESCE(SUM(CASE WHEN supervised_at <> 'community' THEN 1 ELSE 0 END), 0) AS BIGINT) AS escalated \
         FROM problem WHERE region_path >= $1 AND region_path < $2 AND state NOT IN ('closed', 'rejected') \
         GROUP BY substr(region_path, 1, $3)",
        vec![lo.into(), hi.into(), plen.into()],
    )
    .await?;
    let by: std::collections::HashMap<String, Row> = rows.into_iter().map(|r| (r.k.clone(), r)).collect();
    let mut out: Vec<Supervision> = children
        .into_iter()
        .map(|c| {
            let r = by.get(&c.region.path);
            Supervision {
                code: c.region.code,
                name: c.region.name,
                open: r.map_or(0, |r| r.open),
                overdue: r.map_or(0, |r| r.overdue),
                escalated: r.map_or(0, |r| r.escalated),
            }
        })
        .collect();
    out.sort_by_key(|s| (std::cmp::Reverse(s.overdue), std::cmp::Reverse(s.open), s.code.clone()));
    Ok(out)
}
