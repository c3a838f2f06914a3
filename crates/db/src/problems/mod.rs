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

mod categories;
mod list;
mod photos;
mod rates;
mod report;
mod supervision;
mod sweep;
mod workflow;

pub use categories::*;
pub use list::*;
pub use photos::*;
pub use rates::*;
pub use report::*;
pub use supervision::*;
pub use sweep::*;
pub use workflow::*;
