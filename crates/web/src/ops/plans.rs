//! The plan's targets, set by supervisors within their scope.

use domain::access::Action;
use domain::kpi::{Kpi, Target};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::ops::regions::parse_code;

/// Shared by the API and the plan page.
pub async fn apply(
    s: &AppState,
    viewer: &Viewer,
    kpi: &str,
    year: i32,
    region: Option<&str>,
    percent: f64,
) -> Result<(), AppError> {
    let kpi = Kpi::parse(kpi).ok_or_else(|| {
        AppError::from(domain::Invalid::new("kpi", format!("{kpi:?} is not a KPI")).zh(format!("“{kpi}”不是指标")))
    })?;
    let permille = (percent * 10.0).round() as i64;
    if !percent.is_finite() || (percent * 10.0 - permille as f64).abs() > 1e-6 {
        return Err(domain::Invalid::new("percent", "give the target in percent with at most one decimal")
            .zh("目标请以百分数填写，最多一位小数")
            .into());
    }
    let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let code = parse_code(r)?;
            viewer.check_region(Action::ManagePlans, &code)?;
            Some(code.to_string())
        }
        None if viewer.is_admin() => None,
        None => return Err(AppError::forbidden()),
    };
    let (plan, _) = db::plans::current(&s.db).await?.ok_or_else(AppError::not_found)?;
    db::plans::set_target(&s.db, &viewer.actor(), plan.id, &Target { kpi, year, region, permille }).await?;
    Ok(())
}
