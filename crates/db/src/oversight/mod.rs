//! Oversight of property companies (issue 15): rectification notices,
//! on-site inspections, campaigns, grading (schemes, counted facts,
//! publication, objections) and talks. The rules are `domain::rectify` and
//! `domain::grading`; this is their storage. Every time is passed in, so
//! tests move the clock.

mod campaigns;
mod figures;
mod grading;
mod inspections;
mod notices;

pub use campaigns::*;
pub use figures::*;
pub use grading::*;
pub use inspections::*;
pub use notices::*;

use chrono::{DateTime, NaiveDate, Utc};
use domain::RegionPath;
use domain::rectify::NoticeState;
use sea_orm::Value;

use crate::problems::Visible;
use crate::sql::{any_of, id_list, in_subtree, sql_list};

/// The condition keeping notices (alias `n`) to what `v` may see: their
/// compounds' subtrees, the compounds of a committee, the company's own.
fn notice_visible(v: &Visible, vals: &mut Vec<Value>) -> String {
    let mut any: Vec<String> = Vec::new();
    if v.all {
        any.push("1 = 1".into());
    }
    let mut inner: Vec<String> = Vec::new();
    for p in &v.paths {
        inner.push(in_subtree("rc.region_path", p, vals));
    }
    if !v.compound_ids.is_empty() {
        inner.push(format!("rc.compound_id IN ({})", id_list(&v.compound_ids)));
    }
    if !inner.is_empty() {
        any.push(format!(
            "EXISTS (SELECT 1 FROM rect_compound rc WHERE rc.notice_id = n.id AND ({}))",
            inner.join(" OR ")
        ));
    }
    if !v.company_ids.is_empty() {
        any.push(format!("n.company_id IN ({})", id_list(&v.company_ids)));
    }
    any_of(any)
}

/// The same for rows with a compound and a path of their own (inspections
/// `i`, talks and entries with `alias`): subtrees, compounds, the company's.
fn row_visible(alias: &str, v: &Visible, vals: &mut Vec<Value>, has_compound: bool) -> String {
    let mut any: Vec<String> = Vec::new();
    if v.all {
        any.push("1 = 1".into());
    }
    for p in &v.paths {
        any.push(in_subtree(&format!("{alias}.region_path"), p, vals));
    }
    if has_compound && !v.compound_ids.is_empty() {
        any.push(format!("{alias}.compound_id IN ({})", id_list(&v.compound_ids)));
    }
    if !v.company_ids.is_empty() {
        any.push(format!("{alias}.company_id IN ({})", id_list(&v.company_ids)));
    }
    any_of(any)
}

/// `{alias}.state IN (…)`: the notices the company still owes an answer,
/// from the domain's rule.
fn owed(alias: &str) -> String {
    let states = NoticeState::ALL.iter().filter(|s| s.awaits_company()).map(|s| s.as_str());
    format!("{alias}.state IN ({})", sql_list(states))
}

/// `[lo, hi)` of a subtree as bound values.
fn range(p: &RegionPath) -> (Value, Value) {
    let (lo, hi) = p.subtree_range();
    (lo.into(), hi.into())
}

/// The UTC instants bounding China's days `[from, to)`.
fn instants(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (domain::clock::start_of(from), domain::clock::start_of(to))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_owed_states_come_from_the_domain() {
        assert_eq!(super::owed("n"), "n.state IN ('issued', 'received', 'returned')");
    }
}
