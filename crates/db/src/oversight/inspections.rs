//! Inspections: a visit to a compound with a scored checklist; a line scored
//! below full marks is a finding. A re-inspection (回头看) names the one it
//! follows; a notice can be issued from the findings in the same step.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::rectify::{self, Check, InspectionKind};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use super::{NewItem, NewNotice, row_visible};
use crate::audit::Change;
use crate::problems::Visible;
use crate::sql::{Id, all, exec, insert_id, known, one, page_of};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub campaign_id: Option<i64>,
    pub follows_id: Option<i64>,
    pub kind: InspectionKind,
    pub visited_on: NaiveDate,
    pub inspector: String,
    pub score: i64,
    pub max: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    company_id: Option<i64>,
    company_name: Option<String>,
    campaign_id: Option<i64>,
    follows_id: Option<i64>,
    kind: String,
    visited_on: NaiveDate,
    inspector: String,
    score: i64,
    max: i64,
    note: String,
    created_at: DateTime<Utc>,
}

impl FromQueryResult for Inspection {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = Row::from_query_result(res, pre)?;
        Ok(Inspection {
            kind: known(&format!("inspection {}", r.id), "kind", &r.kind, InspectionKind::find)?,
            id: r.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            company_id: r.company_id,
            company_name: r.company_name,
            campaign_id: r.campaign_id,
            follows_id: r.follows_id,
            visited_on: r.visited_on,
            inspector: r.inspector,
            score: r.score,
            max: r.max,
            note: r.note,
            created_at: r.created_at,
        })
    }
}

const SELECT: &str = "SELECT i.id, i.compound_id, c.name AS compound_name, i.region_path, i.company_id, \
     o.name AS company_name, i.campaign_id, i.follows_id, i.kind, i.visited_on, i.inspector, i.score, i.max, i.note, \
     i.created_at FROM inspection i JOIN compound c ON c.id = i.compound_id LEFT JOIN organisation o ON o.id = i.company_id";

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct InspectionItem {
    pub id: i64,
    pub position: i32,
    pub label: String,
    pub max: i64,
    pub score: i64,
    pub finding: String,
}

/// A visit as recorded; the caller has checked scope, the compound's path
/// and the company serving it that day.
#[derive(Debug, Clone)]
pub struct NewInspection {
    pub compound_id: i64,
    pub region_path: String,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub follows_id: Option<i64>,
    pub kind: InspectionKind,
    pub visited_on: NaiveDate,
    pub note: String,
    /// Each checklist line with its score and what was found.
    pub lines: Vec<(Check, i64, String)>,
}

/// A notice to issue from the findings, in the same step.
#[derive(Debug, Clone)]
pub struct FromFindings {
    pub region: domain::RegionCode,
    pub requirement: String,
    pub deadline: NaiveDate,
}

/// Record an inspection (and, when asked, issue a notice whose items are its
/// findings), all or nothing. Returns the inspection's id and the notice's.
pub async fn record(
    db: &Db,
    actor: &Actor,
    n: &NewInspection,
    notice: Option<&FromFindings>,
    now: DateTime<Utc>,
) -> Result<(i64, Option<i64>)> {
    if n.lines.is_empty() || n.lines.len() > rectify::ITEMS_MAX {
        return Err(domain::Invalid::new("checklist", format!("1–{} lines", rectify::ITEMS_MAX))
            .zh(format!("检查表须有 1–{} 项", rectify::ITEMS_MAX))
            .into());
    }
    for (c, score, finding) in &n.lines {
        rectify::scored(c, *score, finding)?;
    }
    let note = rectify::text("note", &n.note, rectify::TEXT_MAX, false)?;
    if (n.kind == InspectionKind::FollowUp) != n.follows_id.is_some() {
        return Err(domain::Invalid::new("follows", "a re-inspection, and only one, names the inspection it follows")
            .zh("回头看须注明所复查的督导，其他督导不填")
            .into());
    }
    let tx = db.begin_write().await?;
    let id = record_in(&*tx, actor, n, note, now).await?;
    let notice_id = match notice {
        Some(f) => {
            let findings: Vec<InspectionItem> =
                items_in(&*tx, id).await?.into_iter().filter(|i| i.score < i.max).collect();
            let company = n.company_id.ok_or_else(|| {
                domain::Invalid::new("notice", "no company served the compound that day")
                    .zh("当日该小区无物业企业服务，无法下发整改通知单")
            })?;
            if findings.is_empty() {
                return Err(domain::Invalid::new("notice", "no findings to issue a notice for")
                    .zh("本次督导没有发现问题，无需下发整改通知单")
                    .into());
            }
            let nn = NewNotice {
                region: f.region.clone(),
                company_id: company,
                compounds: vec![(n.compound_id, n.region_path.clone())],
                campaign_id: n.campaign_id,
                inspection_id: Some(id),
                requirement: f.requirement.clone(),
                issued_on: n.visited_on,
                deadline: f.deadline,
                items: findings
                    .iter()
                    .map(|i| NewItem {
                        text: format!("{}：{}", i.label, i.finding),
                        problem_id: None,
                        finding_id: Some(i.id),
                    })
                    .collect(),
            };
            Some(super::issue_in(&*tx, actor, &nn, now).await?)
        }
        None => None,
    };
    tx.commit().await?;
    Ok((id, notice_id))
}

/// [`record`]'s writes inside a transaction the caller holds (the demo's loader too).
pub async fn record_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    n: &NewInspection,
    note: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let score: i64 = n.lines.iter().map(|(_, s, _)| s).sum();
    let max: i64 = n.lines.iter().map(|(c, _, _)| c.max).sum();
    let id = insert_id(
        c,
        "INSERT INTO inspection (compound_id, region_path, company_id, campaign_id, follows_id, kind, visited_on, \
         inspector, score, max, note, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
        vec![
            n.compound_id.into(),
            n.region_path.clone().into(),
            n.company_id.into(),
            n.campaign_id.into(),
            n.follows_id.into(),
            n.kind.as_str().into(),
            n.visited_on.into(),
            actor.login.clone().into(),
            score.into(),
            max.into(),
            note.into(),
            now.into(),
        ],
    )
    .await?;
    for (i, (check, s, finding)) in n.lines.iter().enumerate() {
        exec(
            c,
            "INSERT INTO inspection_item (inspection_id, position, label, max, score, finding) VALUES ($1,$2,$3,$4,$5,$6)",
            vec![
                id.into(),
                (i as i32 + 1).into(),
                check.label.clone().into(),
                check.max.into(),
                (*s).into(),
                finding.trim().into(),
            ],
        )
        .await?;
    }
    Change::new("inspect", "inspection", id, Some(n.region_path.clone()))
        .after(serde_json::json!({
            "compound_id": n.compound_id, "kind": n.kind.as_str(), "visited_on": n.visited_on,
            "score": score, "max": max, "findings": n.lines.iter().filter(|(c, s, _)| s < &c.max).count(),
        }))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

pub async fn inspection(db: &Db, id: i64) -> Result<Inspection> {
    one(db.conn(), &format!("{SELECT} WHERE i.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn inspection_items(db: &Db, id: i64) -> Result<Vec<InspectionItem>> {
    items_in(db.conn(), id).await
}

async fn items_in(c: &impl ConnectionTrait, id: i64) -> Result<Vec<InspectionItem>> {
    Ok(all(
        c,
        "SELECT id, position, label, max, score, finding FROM inspection_item WHERE inspection_id = $1 ORDER BY position",
        vec![id.into()],
    )
    .await?)
}

/// Re-inspections of an inspection.
pub async fn follow_ups(db: &Db, id: i64) -> Result<Vec<i64>> {
    let rows: Vec<Id> =
        all(db.conn(), "SELECT id FROM inspection WHERE follows_id = $1 ORDER BY id", vec![id.into()]).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub compound_id: Option<i64>,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

/// A page of inspections the reader may see, latest first.
pub async fn inspections(
    db: &Db,
    v: &Visible,
    f: &InspectionFilter,
    page: domain::Paging,
) -> Result<(Vec<Inspection>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut filter = format!(" WHERE {}", row_visible("i", v, &mut vals, true));
    for (col, val) in
        [("i.compound_id", f.compound_id), ("i.company_id", f.company_id), ("i.campaign_id", f.campaign_id)]
    {
        if let Some(x) = val {
            vals.push(x.into());
            filter.push_str(&format!(" AND {col} = ${}", vals.len()));
        }
    }
    Ok(page_of(db.conn(), SELECT, "inspection i", &filter, "i.visited_on DESC, i.id DESC", vals, page).await?)
}

/// The company serving a compound on a day, if any.
pub async fn company_on(db: &Db, compound_id: i64, on: NaiveDate) -> Result<Option<i64>> {
    let row: Option<Id> = one(
        db.conn(),
        "SELECT ref_id AS id FROM compound_fact WHERE compound_id = $1 AND kind = 'company' AND ref_id IS NOT NULL \
         AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY valid_from DESC LIMIT 1",
        vec![compound_id.into(), on.into()],
    )
    .await?;
    Ok(row.map(|r| r.id))
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct InspectionPhoto {
    pub position: i32,
    pub sha256: String,
    pub mime: String,
}

/// Photos one inspection may carry.
pub const INSPECTION_PHOTOS_MAX: i64 = 30;

/// Record a photo (stored by hash by the caller) of one line of an inspection.
pub async fn add_inspection_photo(
    db: &Db,
    id: i64,
    position: i32,
    sha256: &str,
    mime: &str,
    bytes: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = db.begin_write_in_scope().await?;
    let n =
        crate::sql::scalar_i64(&*tx, "SELECT COUNT(*) FROM inspection_photo WHERE inspection_id = $1", vec![id.into()])
            .await?;
    if n >= INSPECTION_PHOTOS_MAX {
        return Err(domain::Invalid::new("photo", format!("at most {INSPECTION_PHOTOS_MAX} photos on an inspection"))
            .zh(format!("每次督导最多 {INSPECTION_PHOTOS_MAX} 张照片"))
            .into());
    }
    exec(
        &*tx,
        "INSERT INTO inspection_photo (inspection_id, position, sha256, mime, bytes, at) VALUES ($1,$2,$3,$4,$5,$6)",
        vec![id.into(), position.into(), sha256.into(), mime.into(), bytes.into(), now.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn inspection_photos(db: &Db, id: i64) -> Result<Vec<InspectionPhoto>> {
    Ok(all(
        db.conn(),
        "SELECT position, sha256, mime FROM inspection_photo WHERE inspection_id = $1 ORDER BY position, id",
        vec![id.into()],
    )
    .await?)
}
