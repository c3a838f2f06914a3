//! Organisations, people and posts. Writes are upserts on natural keys (a
//! company's credit code; another organisation's kind, region and name; a
//! person's phone; a post's person, role, place and start date), so loading
//! the same workbook twice changes nothing. Every change is audited.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::{Paging, RegionPath};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;
use serde_json::json;

use crate::audit::Change;
use crate::sql::{all, exec, insert_id, known, known_opt, one, page_of, scalar_i64};
use crate::{Db, DbError, Result};

/// Whether an upsert added, changed or left a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upsert {
    Added,
    Updated,
    Unchanged,
}

mod orgs;
mod people;
mod posts;
mod relations;

pub use orgs::*;
pub use people::*;
pub use posts::*;
pub use relations::*;
