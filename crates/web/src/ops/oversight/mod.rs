//! Oversight of property companies (issue 15), each operation once:
//! rectification notices, inspections and campaigns, grading. Who may do
//! what: officers (`Action::Supervise`) issue and verify notices, inspect,
//! run campaigns and record talks and facts within their regions;
//! supervisors (`Action::Grade`) choose their region's scheme, publish
//! grades and rule on objections; a company sees, answers and objects to
//! what concerns it alone; everyone else reads within their scope.

pub mod grading;
pub mod inspections;
pub mod notices;

use domain::access::{Action, Scope};
use domain::{Level, RegionCode};

use crate::auth::Viewer;
use crate::error::AppError;

/// The region a notice from this viewer about compounds in `codes` is
/// issued in: the narrowest of the viewer's regions that may supervise all
/// of them (a street, county or city); for a grant over everything, their
/// common street, county or city.
pub fn issuing_region(v: &Viewer, codes: &[RegionCode]) -> Result<RegionCode, AppError> {
    let mut best: Option<RegionCode> = None;
    for g in v.grants.iter().filter(|g| g.role.may(Action::Supervise)) {
        match &g.scope {
            Scope::All => {
                let common = common_ancestor(codes).ok_or_else(AppError::not_found)?;
                let at = common.lineage().into_iter().rfind(|c| c.level() <= Level::Street).unwrap_or(common);
                best = Some(best.map_or(at.clone(), |b| if at.as_str().len() > b.as_str().len() { at } else { b }));
            }
            Scope::Region(r)
                if r.level() <= Level::Street
                    && codes.iter().all(|c| c.is_within(r))
                    && best.as_ref().is_none_or(|b| r.as_str().len() > b.as_str().len()) =>
            {
                best = Some(r.clone());
            }
            _ => {}
        }
    }
    best.ok_or_else(|| {
        AppError::from(
            domain::Invalid::new("compound_ids", "no street, county or city of yours holds all these compounds")
                .zh("这些小区不在您所辖的同一街道、县区或市内"),
        )
    })
}

/// The deepest region holding every one of `codes`.
fn common_ancestor(codes: &[RegionCode]) -> Option<RegionCode> {
    let first = codes.first()?;
    first.lineage().into_iter().rev().find(|a| codes.iter().all(|c| c.is_within(a)))
}

/// The companies a viewer acts for (company grants).
pub fn own_companies(v: &Viewer) -> Vec<i64> {
    v.grants
        .iter()
        .filter_map(|g| match (&g.role, &g.scope) {
            (domain::access::Role::Company, Scope::Company(id)) => Some(*id),
            _ => None,
        })
        .collect()
}
