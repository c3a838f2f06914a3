//! Campaigns (专项整治): a named round over a region with dates and a
//! checklist; notices and inspections belong to it. Its figures are counted
//! by child region from the notices and problems of its region and dates.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::audit::Actor;
use domain::rectify::{self, Check};
use domain::{RegionCode, RegionPath};
use sea_orm::{FromQueryResult, Value};
use serde::Serialize;

use super::{instants, range};
use crate::audit::Change;
use crate::sql::{all, insert_id, one};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub region_path: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub checklist: Vec<Check>,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    region_code: String,
    region_name: String,
    region_path: String,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    checklist: String,
    note: String,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl FromQueryResult for Campaign {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = Row::from_query_result(res, pre)?;
        let checklist = serde_json::from_str(&r.checklist)
            .map_err(|e| sea_orm::DbErr::Type(format!("campaign {}: checklist: {e}", r.id)))?;
        Ok(Campaign {
            id: r.id,
            region_code: r.region_code,
            region_name: r.region_name,
            region_path: r.region_path,
            name: r.name,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            checklist,
            note: r.note,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT g.id, g.region_code, r.name AS region_name, g.region_path, g.name, g.starts_on, g.ends_on, \
     g.checklist, g.note, g.created_by, g.created_at FROM campaign g JOIN region r ON r.code = g.region_code";

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub region: RegionCode,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// None: the quarterly checklist.
    pub checklist: Option<Vec<Check>>,
    pub note: String,
}

pub async fn create_campaign(db: &Db, actor: &Actor, c: &NewCampaign, now: DateTime<Utc>) -> Result<Campaign> {
    let name = rectify::text("name", &c.name, rectify::LABEL_MAX, true)?;
    let note = rectify::text("note", &c.note, rectify::TEXT_MAX, false)?;
    if c.ends_on < c.starts_on || (c.ends_on - c.starts_on).num_days() > 3 * 366 {
        return Err(domain::Invalid::new("ends_on", "a campaign ends after it starts, within three years")
            .zh("结束日期须晚于开始日期，且不超过三年")
            .into());
    }
    let checklist = match &c.checklist {
        Some(l) => rectify::checklist(l)?,
        None => rectify::default_checklist(),
    };
    let tx = db.begin_write().await?;
    let path = c.region.path();
    let id = insert_id(
        &*tx,
        "INSERT INTO campaign (region_code, region_path, name, starts_on, ends_on, checklist, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
        vec![
            c.region.as_str().into(),
            path.as_str().into(),
            name.into(),
            c.starts_on.into(),
            c.ends_on.into(),
            serde_json::to_string(&checklist).expect("a checklist serialises").into(),
            note.into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("create", "campaign", id, Some(path.as_str().to_owned()))
        .after(serde_json::json!({"name": name, "starts_on": c.starts_on, "ends_on": c.ends_on}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    campaign(db, id).await
}

pub async fn campaign(db: &Db, id: i64) -> Result<Campaign> {
    one(db.conn(), &format!("{SELECT} WHERE g.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// Campaigns over a region the reader covers, or over one of its ancestors
/// (a city's campaign runs in each of its streets): latest first.
pub async fn campaigns(db: &Db, roots: Option<&[RegionPath]>) -> Result<Vec<Campaign>> {
    let rows: Vec<Campaign> = all(db.conn(), &format!("{SELECT} ORDER BY g.starts_on DESC, g.id DESC"), vec![]).await?;
    Ok(match roots {
        None => rows,
        Some(roots) => rows
            .into_iter()
            .filter(|c| {
                roots.iter().any(|r| r.as_str().starts_with(&c.region_path) || c.region_path.starts_with(r.as_str()))
            })
            .collect(),
    })
}

/// A campaign's figures over one region (its own, or a child's).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = CampaignCountsOut))]
pub struct CampaignCounts {
    pub code: String,
    pub name: String,
    pub notices_issued: i64,
    pub notices_closed: i64,
    /// Owed past their deadline today.
    pub notices_overdue: i64,
    pub inspections: i64,
    /// Residents' problems resolved in the region during the campaign.
    pub problems_solved: i64,
}

/// The campaign's counts for each of `places` (code, name, path), as of `today`.
pub async fn campaign_counts(
    db: &Db,
    c: &Campaign,
    places: &[(String, String, RegionPath)],
    today: NaiveDate,
) -> Result<Vec<CampaignCounts>> {
    let mut out = Vec::with_capacity(places.len());
    let (t0, t1) = instants(c.starts_on, c.ends_on + Duration::days(1));
    for (code, name, path) in places {
        let (lo, hi) = range(path);
        let in_campaign = "n.campaign_id = $1 AND EXISTS (SELECT 1 FROM rect_compound rc WHERE rc.notice_id = n.id \
                           AND rc.region_path >= $2 AND rc.region_path < $3)";
        let n =
            super::figures::notice_counts(db, in_campaign, vec![c.id.into(), lo.clone(), hi.clone()], today).await?;
        let inspections = crate::sql::scalar_i64(
            db.conn(),
            "SELECT COUNT(*) FROM inspection WHERE campaign_id = $1 AND region_path >= $2 AND region_path < $3",
            vec![c.id.into(), lo.clone(), hi.clone()],
        )
        .await?;
        let solved = crate::sql::scalar_i64(
            db.conn(),
            "SELECT COUNT(*) FROM problem WHERE region_path >= $1 AND region_path < $2 AND resolved_at >= $3 AND resolved_at < $4",
            vec![lo, hi, Value::from(t0), Value::from(t1)],
        )
        .await?;
        out.push(CampaignCounts {
            code: code.clone(),
            name: name.clone(),
            notices_issued: n.issued,
            notices_closed: n.closed,
            notices_overdue: n.overdue,
            inspections,
            problems_solved: solved,
        });
    }
    Ok(out)
}
