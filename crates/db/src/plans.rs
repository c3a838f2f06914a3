//! Plans and their targets (the latest plan is the one in force).

use domain::audit::Actor;
use domain::kpi::{Kpi, Target};
use sea_orm::FromQueryResult;
use serde::Serialize;

use crate::audit::Change;
use crate::sql::{all, exec, one};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub start_year: i32,
    pub end_year: i32,
}

/// The plan in force (the latest) and its targets.
pub async fn current(db: &Db) -> Result<Option<(Plan, Vec<Target>)>> {
    let Some(plan): Option<Plan> =
        one(db.conn(), "SELECT id, name, start_year, end_year FROM plan ORDER BY id DESC LIMIT 1", vec![]).await?
    else {
        return Ok(None);
    };
    #[derive(FromQueryResult)]
    struct Row {
        kpi: String,
        year: i32,
        region_code: Option<String>,
        permille: i64,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        "SELECT kpi, year, region_code, permille FROM plan_target WHERE plan_id = $1 ORDER BY kpi, year, region_code",
        vec![plan.id.into()],
    )
    .await?;
    let targets = rows
        .into_iter()
        .filter_map(|r| {
            Some(Target { kpi: Kpi::parse(&r.kpi)?, year: r.year, region: r.region_code, permille: r.permille })
        })
        .collect();
    Ok(Some((plan, targets)))
}

/// Set (add or replace) one target of a plan; audited under the region it concerns.
pub async fn set_target(db: &Db, actor: &Actor, plan_id: i64, t: &Target) -> Result<()> {
    if !(0..=1000).contains(&t.permille) {
        return Err(domain::Invalid::new("target", "a target is between 0 and 100%")
            .zh("目标须在 0 到 100% 之间")
            .into());
    }
    let tx = db.begin_write().await?;
    let plan: Option<Plan> =
        one(&*tx, "SELECT id, name, start_year, end_year FROM plan WHERE id = $1", vec![plan_id.into()]).await?;
    let plan = plan.ok_or(DbError::NotFound)?;
    if !(plan.start_year..=plan.end_year).contains(&t.year) {
        return Err(domain::Invalid::new("year", format!("the plan runs {}–{}", plan.start_year, plan.end_year))
            .zh(format!("该计划的年份为 {}–{}", plan.start_year, plan.end_year))
            .into());
    }
    exec(
        &*tx,
        "DELETE FROM plan_target WHERE plan_id = $1 AND kpi = $2 AND year = $3 AND COALESCE(region_code, '') = $4",
        vec![plan_id.into(), t.kpi.key().into(), t.year.into(), t.region.clone().unwrap_or_default().into()],
    )
    .await?;
    exec(
        &*tx,
        "INSERT INTO plan_target (plan_id, kpi, year, region_code, permille) VALUES ($1,$2,$3,$4,$5)",
        vec![plan_id.into(), t.kpi.key().into(), t.year.into(), t.region.clone().into(), t.permille.into()],
    )
    .await?;
    let path = match &t.region {
        Some(r) => Some(domain::RegionCode::parse(r)?.path().as_str().to_owned()),
        None => None,
    };
    Change::new("set_target", "plan", plan_id, path).after(serde_json::to_value(t).ok()).append_in(&*tx, actor).await?;
    tx.commit().await?;
    Ok(())
}
