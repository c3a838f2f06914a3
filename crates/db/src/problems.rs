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

/// A new problem in a compound, routed and given its deadlines.
pub async fn create(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    category: Category,
    description: &str,
    location: &str,
    now: DateTime<Utc>,
) -> Result<Problem> {
    let description = description.trim();
    let location = location.trim();
    if location.chars().count() > 100 {
        return Err(domain::Invalid::new("location", "the place in the compound is longer than 100 characters").into());
    }
    if description.is_empty() || description.chars().count() > 2000 {
        return Err(domain::Invalid::new("description", "describe the problem in 1–2000 characters").into());
    }
    let compound = crate::compounds::get(db, compound_id).await?;
    let today = (now + Duration::hours(8)).date_naive();
    let company = crate::compounds::facts_as_of(db, compound_id, today)
        .await?
        .into_iter()
        .find(|f| f.kind == "company")
        .and_then(|f| f.ref_id);
    let d = problem::deadlines(category, now);
    let path = compound.region_path.clone();
    let tx = db.begin_write().await?;
    let id: Id = one(
        &*tx,
        "INSERT INTO problem (compound_id, region_path, category, description, state, reporter_id, handler_kind, \
         handler_org_id, supervised_at, overdue, submitted_at, accept_by, resolve_by, updated_at, location) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$11,$14) RETURNING id",
        vec![
            compound_id.into(),
            path.into(),
            category.as_str().into(),
            description.into(),
            State::Submitted.as_str().into(),
            actor.id.into(),
            if company.is_some() { "company" } else { "community" }.into(),
            company.into(),
            Level::Community.as_str().into(),
            false.into(),
            now.into(),
            d.accept_by.into(),
            d.resolve_by.into(),
            location.into(),
        ],
    )
    .await?
    .ok_or(DbError::NotFound)?;
    event(&*tx, id.id, now, actor, "submit", None, State::Submitted, "").await?;
    tx.commit().await?;
    get(db, id.id).await
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
    let tx = db.begin_write().await?;
    let p = get_in(&*tx, id).await?;
    let from = State::parse(&p.state).ok_or_else(|| domain::Invalid::new("state", "unknown stored state"))?;
    let to = problem::next(from, step, by)?;
    if step == Step::Reject && note.trim().is_empty() {
        return Err(domain::Invalid::new("note", "a rejection needs a reason").into());
    }
    let resolved_at = if to == State::Resolved { Some(now) } else { p.resolved_at };
    let reason = if step == Step::Reject { Some(note.trim().to_owned()) } else { p.reason.clone() };
    exec(
        &*tx,
        "UPDATE problem SET state = $1, resolved_at = $2, reason = $3, updated_at = $4 WHERE id = $5",
        vec![to.as_str().into(), resolved_at.into(), reason.into(), now.into(), id.into()],
    )
    .await?;
    event(&*tx, id, now, actor, step.as_str(), Some(from), to, note.trim()).await?;
    tx.commit().await?;
    get(db, id).await
}

/// The resident rates a resolved problem: closed, or reopened when unsatisfied.
pub async fn rate(db: &Db, actor: &Actor, id: i64, rating: Rating, now: DateTime<Utc>) -> Result<Problem> {
    let tx = db.begin_write().await?;
    let p = get_in(&*tx, id).await?;
    if p.state != State::Resolved.as_str() {
        return Err(domain::Invalid::new("rating", "only a resolved problem can be rated").into());
    }
    let to = problem::after_rating(rating);
    exec(
        &*tx,
        "UPDATE problem SET state = $1, rating = $2, updated_at = $3 WHERE id = $4",
        vec![to.as_str().into(), rating.as_str().into(), now.into(), id.into()],
    )
    .await?;
    event(&*tx, id, now, actor, &format!("rate:{}", rating.as_str()), Some(State::Resolved), to, "").await?;
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

pub async fn list(db: &Db, v: &Visible, only_open: bool, page: domain::Paging) -> Result<(Vec<Problem>, u64)> {
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
    if only_open {
        filter.push_str(" AND p.state NOT IN ('closed', 'rejected')");
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
            let tx = db.begin_write().await?;
            exec(
                &*tx,
                "UPDATE problem SET state = 'closed', updated_at = $1 WHERE id = $2",
                vec![now.into(), p.id.into()],
            )
            .await?;
            event(&*tx, p.id, now, &actor, "auto_close", Some(state), State::Closed, "").await?;
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
        let tx = db.begin_write().await?;
        exec(
            &*tx,
            "UPDATE problem SET overdue = $1, supervised_at = $2, updated_at = $3 WHERE id = $4",
            vec![true.into(), level.as_str().into(), now.into(), p.id.into()],
        )
        .await?;
        event(&*tx, p.id, now, &actor, &format!("escalate:{}", level.as_str()), Some(state), state, "").await?;
        tx.commit().await?;
        if !p.overdue {
            s.marked_overdue += 1;
        }
        s.escalated += 1;
    }
    Ok(s)
}

/// Open problems of the same compound and category reported in the seven
/// days before this one: possibly the same problem.
pub async fn possible_duplicates(db: &Db, p: &Problem) -> Result<Vec<i64>> {
    let rows: Vec<Id> = all(
        db.conn(),
        "SELECT id FROM problem WHERE compound_id = $1 AND category = $2 AND id <> $3 \
         AND state NOT IN ('closed', 'rejected') AND submitted_at >= $4 AND submitted_at <= $5 ORDER BY id",
        vec![
            p.compound_id.into(),
            p.category.clone().into(),
            p.id.into(),
            (p.submitted_at - Duration::days(7)).into(),
            p.submitted_at.into(),
        ],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
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
    }
    let sum = |cond: &str| format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let first =
        |step: &str| format!("(SELECT MIN(e.at) FROM problem_event e WHERE e.problem_id = p.id AND e.step = '{step}')");
    #[derive(FromQueryResult)]
    struct Row {
        submitted: i64,
        responded: i64,
        resolved: i64,
        on_time: i64,
        rated: i64,
        satisfied: i64,
    }
    let r: Row = one(
        db.conn(),
        &format!(
            "SELECT COUNT(*) AS submitted, {} AS responded, {} AS resolved, {} AS on_time, {} AS rated, {} AS satisfied \
             FROM problem p{filter}",
            sum(&format!("{} <= p.accept_by", first("accept"))),
            sum(&format!("{} IS NOT NULL", first("resolve"))),
            sum(&format!("{} <= p.resolve_by", first("resolve"))),
            sum("p.rating IS NOT NULL"),
            sum("p.rating IN ('satisfied', 'basically_satisfied')"),
        ),
        vals,
    )
    .await?
    .expect("an aggregate has one row");
    Ok(domain::problem::Rates {
        submitted: r.submitted,
        responded: r.responded,
        resolved: r.resolved,
        on_time: r.on_time,
        rated: r.rated,
        satisfied: r.satisfied,
    })
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
    let tx = db.begin_write().await?;
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
