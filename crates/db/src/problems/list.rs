//! Which problems a reader sees, and the list filtered within it.

use super::*;
use crate::sql::{any_of, id_list, in_subtree};
use domain::problem::Queue;

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
    /// Only problems in one of these states (empty: any).
    pub states: Vec<State>,
    /// Only those past a deadline.
    pub overdue: bool,
    pub category: Option<String>,
    /// Only problems of one of these categories (empty: any).
    pub categories: Vec<String>,
    pub compound_id: Option<i64>,
    /// Text in the description or location, or the problem's number.
    pub text: Option<String>,
    /// Reported at or after / before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only these ids (empty: any).
    pub ids: Vec<i64>,
    /// Not in these subtrees (regions that keep their reports out of a public view).
    pub except: Vec<domain::RegionPath>,
    /// Overdue and nearest deadline first unless asked otherwise.
    pub order: Option<domain::problem::Order>,
}

impl ListFilter {
    pub fn open() -> ListFilter {
        ListFilter { open: Some(true), ..Default::default() }
    }
}

/// The condition that keeps to what `v` may see; its values are pushed on `vals`.
fn visible_sql(v: &Visible, vals: &mut Vec<Value>) -> String {
    let mut any: Vec<String> = Vec::new();
    if v.all {
        any.push("1 = 1".into());
    }
    for p in &v.paths {
        any.push(in_subtree("p.region_path", p, vals));
    }
    if !v.compound_ids.is_empty() {
        any.push(format!("p.compound_id IN ({})", id_list(&v.compound_ids)));
    }
    if !v.company_ids.is_empty() {
        any.push(format!("(p.handler_kind = 'company' AND p.handler_org_id IN ({}))", id_list(&v.company_ids)));
    }
    if let Some(r) = v.reporter_id {
        vals.push(r.into());
        any.push(format!("p.reporter_id = ${}", vals.len()));
    }
    any_of(any)
}

pub async fn list(db: &Db, v: &Visible, f: &ListFilter, page: domain::Paging) -> Result<(Vec<Problem>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut filter = format!(" WHERE {}", visible_sql(v, &mut vals));
    match f.open {
        Some(true) => filter.push_str(&format!(" AND p.state IN ({})", states_sql(State::is_open))),
        Some(false) => filter.push_str(&format!(" AND p.state NOT IN ({})", states_sql(State::is_open))),
        None => {}
    }
    if !f.states.is_empty() {
        let list = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        filter.push_str(&format!(" AND p.state IN ({list})"));
    }
    if f.overdue {
        filter.push_str(" AND p.overdue");
    }
    if let Some(c) = &f.category {
        vals.push(c.clone().into());
        filter.push_str(&format!(" AND p.category = ${}", vals.len()));
    }
    if !f.categories.is_empty() {
        let mut marks = Vec::with_capacity(f.categories.len());
        for c in &f.categories {
            vals.push(c.clone().into());
            marks.push(format!("${}", vals.len()));
        }
        filter.push_str(&format!(" AND p.category IN ({})", marks.join(", ")));
    }
    if let Some(c) = f.compound_id {
        vals.push(c.into());
        filter.push_str(&format!(" AND p.compound_id = ${}", vals.len()));
    }
    if let Some(q) = f.text.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let number = q.trim_start_matches('#').parse::<i64>().ok();
        vals.push(crate::sql::like_contains(q).into());
        let like = vals.len();
        match number {
            Some(n) => {
                vals.push(n.into());
                filter.push_str(&format!(
                    " AND (p.id = ${} OR p.description LIKE ${like} ESCAPE '\\' OR p.location LIKE ${like} ESCAPE '\\')",
                    vals.len()
                ));
            }
            None => filter.push_str(&format!(
                " AND (p.description LIKE ${like} ESCAPE '\\' OR p.location LIKE ${like} ESCAPE '\\')"
            )),
        }
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
        filter.push_str(&format!(" AND p.id IN ({})", id_list(&f.ids)));
    }
    for p in &f.except {
        let cond = in_subtree("p.region_path", p, &mut vals);
        filter.push_str(&format!(" AND NOT {cond}"));
    }
    use domain::problem::Order;
    let order = match f.order.unwrap_or(Order::Urgent) {
        Order::Urgent => "p.overdue DESC, p.resolve_by, p.id",
        Order::Newest => "p.submitted_at DESC, p.id DESC",
        Order::Oldest => "p.submitted_at, p.id",
        Order::Due => "p.resolve_by, p.id",
    };
    Ok(page_of(db.conn(), SELECT, "problem p", &filter, order, vals, page).await?)
}

/// The work waiting among the problems a reader sees: the counts the header
/// and the inbox's tabs show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct WorkCounts {
    /// Not closed: everything still needing someone (including rejections awaiting review).
    pub open: i64,
    /// Submitted or reopened, not yet taken up.
    pub new: i64,
    /// Past a deadline and not closed.
    pub overdue: i64,
    /// Rejected by the handler, awaiting the review of the level above.
    pub review: i64,
    /// Resolved, awaiting the resident's rating.
    pub to_rate: i64,
}

/// Problems open now, and of them past a deadline (everyone's: `/metrics`).
pub async fn open_and_overdue(db: &Db) -> Result<(i64, i64)> {
    #[derive(FromQueryResult)]
    struct C {
        open: i64,
        overdue: i64,
    }
    let sql = format!(
        "SELECT {} AS open, {} AS overdue FROM problem p WHERE p.state IN ({})",
        crate::sql::count_when("1 = 1"),
        crate::sql::count_when("p.overdue"),
        states_sql(State::is_open)
    );
    let c: Option<C> = one(db.conn(), &sql, vec![]).await?;
    Ok(c.map_or((0, 0), |c| (c.open, c.overdue)))
}

pub async fn work_counts(db: &Db, v: &Visible) -> Result<WorkCounts> {
    let mut vals = Vec::new();
    let scope = visible_sql(v, &mut vals);
    // Each count is its list's own states (`domain::problem::Queue`).
    let on = |q: Queue| crate::sql::count_when(&format!("p.state IN ({})", states_sql(|s| q.states().contains(&s))));
    let sql = format!(
        "SELECT {} AS open, {} AS new, {} AS overdue, {} AS review, {} AS to_rate \
         FROM problem p WHERE {scope} AND p.state NOT IN ({})",
        on(Queue::Work),
        on(Queue::New),
        crate::sql::count_when("p.overdue"),
        on(Queue::Review),
        on(Queue::Rate),
        states_sql(State::is_final),
    );
    Ok(one(db.conn(), &sql, vals).await?.unwrap_or_default())
}
