//! Regions as the caller names them.

use domain::RegionCode;
use domain::access::Action;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

pub fn parse_code(s: &str) -> Result<RegionCode, AppError> {
    RegionCode::parse(s).map_err(|e| AppError::bad_request(format!("region code: {}", e.reason)))
}

/// How the whole country is named where a region code would stand (`region=all`).
pub const COUNTRY: &str = "all";

/// A region code, or `all` for the whole country (`None`).
pub fn parse_place(s: &str) -> Result<Option<RegionCode>, AppError> {
    if s.trim() == COUNTRY { Ok(None) } else { parse_code(s.trim()).map(Some) }
}

/// Whether Open311's public view shows a region's reports.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicReads {
    pub code: String,
    /// Shown to anyone (no reporter, no exact place) through Open311 without a key.
    pub public: bool,
    /// The region whose switch keeps it closed (itself or an ancestor), if closed.
    pub closed_by: Option<String>,
}

async fn public_reads(s: &AppState, code: &RegionCode) -> Result<PublicReads, AppError> {
    let here = db::regions::require(&s.db, code).await?;
    let closed = db::regions::open311_closed(&s.db).await?;
    let by = closed.into_iter().find(|(_, p)| here.path.starts_with(p.as_str())).map(|(c, _)| c);
    Ok(PublicReads { code: here.code, public: by.is_none(), closed_by: by })
}

/// A region's Open311 public view, as anyone who may read the region sees it.
pub async fn open311_public(s: &AppState, viewer: &Viewer, code: &str) -> Result<PublicReads, AppError> {
    let code = parse_code(code)?;
    viewer.check_region(Action::Read, &code)?;
    public_reads(s, &code).await
}

/// Open or close Open311's public view of a region's reports (with its
/// subtree): the region's officers (the government side that supervises it)
/// or an administrator decide, not the community's workers.
pub async fn set_open311_public(
    s: &AppState,
    viewer: &Viewer,
    code: &str,
    public: bool,
) -> Result<PublicReads, AppError> {
    let code = parse_code(code)?;
    viewer.check_region(Action::Supervise, &code)?;
    let region = db::regions::require(&s.db, &code).await?;
    db::regions::set_open311_public(&s.db, &viewer.actor(), &region, public).await?;
    public_reads(s, &code).await
}
