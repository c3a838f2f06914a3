//! Organisations and people as the caller may see them: the scope look-ups
//! every face uses (an organisation, a person, a region subtree).

use domain::access::Action;
use domain::{RegionCode, RegionPath};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::ops::regions::parse_code;

pub async fn within(s: &AppState, viewer: &Viewer, region: Option<&str>) -> Result<Option<RegionPath>, AppError> {
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let code: RegionCode = parse_code(r)?;
            viewer.check_region(Action::Read, &code)?;
            Ok(Some(db::regions::require(&s.db, &code).await?.region_path()))
        }
        None => Ok(None),
    }
}

/// An organisation the viewer may see, or 404.
pub async fn visible_org(s: &AppState, viewer: &Viewer, id: i64) -> Result<db::structure::Org, AppError> {
    if !db::structure::org_visible(&s.db, &viewer.org_filter(), id).await? {
        return Err(AppError::not_found());
    }
    Ok(db::structure::org(&s.db, id).await?)
}

#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub name: String,
    /// Masked (138****1234) unless the caller's role needs it in this region; empty when not recorded.
    pub phone: String,
    pub is_party_member: bool,
    pub is_public_servant: bool,
    pub employer: String,
    pub region_code: String,
    pub region_name: String,
    /// Posts currently held.
    pub posts: i64,
}

pub fn person_out(viewer: &Viewer, p: db::structure::Person) -> PersonOut {
    PersonOut {
        phone: viewer.phone(&p.phone, &p.region_path),
        id: p.id,
        name: p.name,
        is_party_member: p.is_party_member,
        is_public_servant: p.is_public_servant,
        employer: p.employer,
        region_code: p.region_code,
        region_name: p.region_name,
        posts: p.posts,
    }
}

pub async fn visible_person(s: &AppState, viewer: &Viewer, id: i64) -> Result<db::structure::Person, AppError> {
    let p = db::structure::person(&s.db, id).await?;
    if db::structure::person_visible(&s.db, &viewer.people_filter(), id).await? {
        Ok(p)
    } else {
        Err(AppError::not_found())
    }
}

pub async fn cross_paths(
    s: &AppState,
    viewer: &Viewer,
    region: Option<&str>,
) -> Result<Option<Vec<RegionPath>>, AppError> {
    Ok(match within(s, viewer, region).await? {
        Some(p) => Some(vec![p]),
        None => viewer.people_paths(),
    })
}
