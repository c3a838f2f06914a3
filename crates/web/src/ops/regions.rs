//! Regions as the caller names them.

use domain::RegionCode;

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
