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
use crate::sql::{all, exec, known, known_opt, one, page_of};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub category: String,
    pub description: String,
    pub location: String,
    pub state: State,
    pub reporter_id: Option<i64>,
    /// `company` (handler_org_id is the company) or `community`.
    pub handler_kind: problem::Handler,
    pub handler_org_id: Option<i64>,
    /// The level supervising it: community, street (escalated once) or county.
    pub supervised_at: String,
    pub overdue: bool,
    pub submitted_at: DateTime<Utc>,
    pub accept_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<Rating>,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A problem as stored: its enumerations as text.
#[derive(FromQueryResult)]
struct ProblemRow {
    id: i64,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    category: String,
    description: String,
    location: String,
    state: String,
    reporter_id: Option<i64>,
    /// `company` (handler_org_id is the company) or `community`.
    handler_kind: String,
    handler_org_id: Option<i64>,
    /// The level supervising it: community, street (escalated once) or county.
    supervised_at: String,
    overdue: bool,
    submitted_at: DateTime<Utc>,
    accept_by: DateTime<Utc>,
    resolve_by: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    rating: Option<String>,
    reason: Option<String>,
    updated_at: DateTime<Utc>,
}

/// Rows become the domain's types as they are read: a value the code never
/// writes is an error here, not a string that later code misreads.
impl FromQueryResult for Problem {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = ProblemRow::from_query_result(res, pre)?;
        let row = format!("problem {}", r.id);
        Ok(Problem {
            state: known(&row, "state", &r.state, State::find)?,
            handler_kind: known(&row, "handler", &r.handler_kind, problem::Handler::find)?,
            rating: known_opt(&row, "rating", r.rating.as_deref(), Rating::find)?,
            id: r.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            category: r.category,
            description: r.description,
            location: r.location,
            reporter_id: r.reporter_id,
            handler_org_id: r.handler_org_id,
            supervised_at: r.supervised_at,
            overdue: r.overdue,
            submitted_at: r.submitted_at,
            accept_by: r.accept_by,
            resolve_by: r.resolve_by,
            resolved_at: r.resolved_at,
            reason: r.reason,
            updated_at: r.updated_at,
        })
    }
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

/// SQL list of the states `keep` picks (`'closed', 'rejected'`), generated
/// from the domain's own predicate so a new state cannot be left out of one.
pub(crate) fn states_sql(keep: impl Fn(State) -> bool) -> String {
    crate::sql::sql_list(State::ALL.iter().filter(|s| keep(**s)).map(|s| s.as_str()))
}

/// SQL list of the ratings that count as satisfied, from the domain's rule.
pub(crate) fn satisfied_sql() -> String {
    crate::sql::sql_list(Rating::ALL.iter().filter(|r| r.satisfied()).map(|r| r.as_str()))
}

mod categories;
mod extra;
mod list;
mod photos;
mod rates;
mod report;
mod supervision;
mod sweep;
mod workflow;

pub use categories::*;
pub use extra::*;
pub use list::*;
pub use photos::*;
pub use rates::*;
pub use report::*;
pub use supervision::*;
pub use sweep::*;
pub use workflow::*;
