//! Who is asking, and what they may see. This is the one place that decides
//! scope: handlers ask the `Viewer` for the subtree to filter on and to check
//! a record against, so they cannot forget it.
//!
//! Until accounts arrive (the access-control issue), every request is served
//! as an administrator of the whole country; that issue replaces
//! `Viewer::from_request_parts` with a session/token look-up and the demo
//! roles, and nothing else needs to change.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::{RegionCode, RegionPath};

use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct Viewer {
    /// The region subtree this viewer may see; `None` means everything.
    pub scope: Option<RegionCode>,
}

impl Viewer {
    /// Whether a region (by code) lies inside the viewer's scope.
    pub fn sees_region(&self, code: &RegionCode) -> bool {
        self.scope.as_ref().is_none_or(|s| code.is_within(s))
    }

    /// A region the viewer may see, or 404 (existence is not revealed).
    pub fn check_region(&self, code: &RegionCode) -> Result<(), AppError> {
        if self.sees_region(code) { Ok(()) } else { Err(AppError::not_found()) }
    }

    /// Narrow a requested subtree to the viewer's scope: the requested one if
    /// inside, else 404.
    pub fn within(&self, requested: Option<&RegionCode>) -> Result<Option<RegionCode>, AppError> {
        match (requested, &self.scope) {
            (Some(r), _) => self.check_region(r).map(|_| Some(r.clone())),
            (None, s) => Ok(s.clone()),
        }
    }

    /// The root path for lists when nothing narrower is asked for.
    pub fn root_path(&self) -> RegionPath {
        match &self.scope {
            Some(s) => s.path(),
            None => RegionPath::from_stored("/".into()),
        }
    }
}

impl Viewer {
    /// A compound the viewer may see, or 404.
    pub async fn compound(&self, db: &db::Db, id: i64) -> Result<db::compounds::Compound, AppError> {
        let c = db::compounds::get(db, id).await?;
        let code = RegionCode::parse(&c.region_code).map_err(|e| AppError::internal(e.to_string()))?;
        self.check_region(&code)?;
        Ok(c)
    }

    /// A building whose compound the viewer may see, or 404.
    pub async fn building(&self, db: &db::Db, id: i64) -> Result<db::compounds::BuildingSummary, AppError> {
        let b = db::compounds::building(db, id).await?;
        self.compound(db, b.compound_id).await?;
        Ok(b)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Viewer { scope: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_narrows_and_hides() {
        let v = Viewer { scope: Some(RegionCode::parse("371402001").unwrap()) };
        assert!(v.sees_region(&RegionCode::parse("371402001001").unwrap()));
        assert!(!v.sees_region(&RegionCode::parse("371402002001").unwrap()));
        assert!(v.within(Some(&RegionCode::parse("3714").unwrap())).is_err());
        assert_eq!(v.within(None).unwrap().unwrap().as_str(), "371402001");
    }
}
