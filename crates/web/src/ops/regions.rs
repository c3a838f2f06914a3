//! Regions as the caller names them.

use domain::RegionCode;

use crate::error::AppError;

pub fn parse_code(s: &str) -> Result<RegionCode, AppError> {
    RegionCode::parse(s).map_err(|e| AppError::bad_request(format!("region code: {}", e.reason)))
}
