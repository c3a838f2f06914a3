//! Inspections (quarterly on-site supervision, campaign checks,
//! re-inspections) and campaigns: record with a notice from the findings in
//! one step, see within scope, count a campaign by child region.

use chrono::{NaiveDate, Utc};
use db::oversight::{
    Campaign, CampaignCounts, FromFindings, Inspection, InspectionFilter, InspectionItem, NewCampaign, NewInspection,
};
use domain::Paging;
use domain::access::Action;
use domain::rectify::{Check, InspectionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::issuing_region;
use super::notices::{campaign_for, sees_campaign};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// An inspection as an officer records it: one score (and what was found)
/// per line of the checklist, in its order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InspectIn {
    pub compound_id: i64,
    /// quarterly, campaign or follow_up
    pub kind: String,
    pub campaign_id: Option<i64>,
    /// The inspection a re-inspection (回头看) follows up.
    pub follows_id: Option<i64>,
    /// The day of the visit (default: today); not in the future.
    pub visited_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<LineIn>,
    /// Issue a notice from the findings in the same step.
    pub notice: Option<FindingsNoticeIn>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LineIn {
    pub score: i64,
    /// Required when the score is below full marks.
    #[serde(default)]
    pub finding: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FindingsNoticeIn {
    pub requirement: String,
    pub deadline: NaiveDate,
}

/// The checklist an inspection is scored on: the campaign's, or the quarterly one.
pub async fn checklist(s: &AppState, v: &Viewer, campaign_id: Option<i64>) -> Result<Vec<Check>, AppError> {
    Ok(match campaign_id {
        Some(id) => campaign_for(s, v, id).await?.checklist,
        None => domain::rectify::default_checklist(),
    })
}

/// Record an inspection of a compound the officer supervises.
pub async fn inspect(s: &AppState, v: &Viewer, b: &InspectIn) -> Result<(i64, Option<i64>), AppError> {
    inspect_with_photos(s, v, b, &[]).await
}

/// The same with photos of the findings, `(line index, bytes)`: every photo is
/// checked by its content before anything is written, and kept once the
/// inspection is.
pub async fn inspect_with_photos(
    s: &AppState,
    v: &Viewer,
    b: &InspectIn,
    photos: &[(usize, Vec<u8>)],
) -> Result<(i64, Option<i64>), AppError> {
    if photos.len() as i64 > db::oversight::INSPECTION_PHOTOS_MAX {
        return Err(domain::Invalid::new("photo", format!("at most {} photos", db::oversight::INSPECTION_PHOTOS_MAX))
            .zh(format!("最多 {} 张照片", db::oversight::INSPECTION_PHOTOS_MAX))
            .into());
    }
    for (i, p) in photos {
        if *i >= b.lines.len() {
            return Err(domain::Invalid::new("photo", "a photo of a line the checklist does not have")
                .zh("照片对应的检查项不存在")
                .into());
        }
        domain::problem::photo_type(p)?;
    }
    let (id, notice) = record(s, v, b).await?;
    for (i, p) in photos {
        let (sha, mime) = crate::ops::problems::keep_photo(s, p).await?;
        db::oversight::add_inspection_photo(&s.db, id, *i as i32 + 1, &sha, mime, p.len() as i64, Utc::now()).await?;
    }
    Ok((id, notice))
}

async fn record(s: &AppState, v: &Viewer, b: &InspectIn) -> Result<(i64, Option<i64>), AppError> {
    let c = v.compound(&s.db, b.compound_id, Action::Supervise).await?;
    let kind = InspectionKind::parse(&b.kind)?;
    let today = domain::clock::today();
    let visited_on = b.visited_on.unwrap_or(today);
    if visited_on > today || chrono::Datelike::year(&visited_on) < 2000 {
        return Err(domain::Invalid::new("visited_on", "the visit is on a day between 2000 and today")
            .zh("督导日期须在 2000 年至今天之间")
            .into());
    }
    let list = checklist(s, v, b.campaign_id).await?;
    if b.lines.len() != list.len() {
        return Err(domain::Invalid::new(
            "lines",
            format!("one score for each of the {} lines of the checklist", list.len()),
        )
        .zh(format!("须为检查表的 {} 项逐项打分", list.len()))
        .into());
    }
    if let Some(f) = b.follows_id {
        let first = load(s, v, f).await?.0;
        if first.compound_id != c.id {
            return Err(domain::Invalid::new("follows_id", "a re-inspection follows one of the same compound")
                .zh("回头看须复查同一小区的督导")
                .into());
        }
        if visited_on < first.visited_on {
            return Err(domain::Invalid::new("visited_on", "a re-inspection comes after the inspection it follows")
                .zh("回头看日期不能早于所复查的督导")
                .into());
        }
    }
    // A campaign check belongs to a campaign and falls within its dates; a quarterly visit to none.
    match (kind, b.campaign_id) {
        (InspectionKind::Campaign, None) => {
            return Err(domain::Invalid::new("campaign_id", "a campaign check names its campaign")
                .zh("专项整治检查须注明所属专项整治")
                .into());
        }
        (InspectionKind::Quarterly, Some(_)) => {
            return Err(domain::Invalid::new(
                "campaign_id",
                "a quarterly visit belongs to no campaign (use kind campaign)",
            )
            .zh("季度督导不属于专项整治（请选择专项整治检查）")
            .into());
        }
        (_, Some(id)) => {
            let g = campaign_for(s, v, id).await?;
            if visited_on < g.starts_on || visited_on > g.ends_on || !c.region_path.starts_with(&g.region_path) {
                return Err(domain::Invalid::new("campaign_id", "the visit is outside the campaign's region or dates")
                    .zh("督导日期或小区不在该专项整治的范围内")
                    .into());
            }
        }
        _ => {}
    }
    let lines: Vec<(Check, i64, String)> =
        list.into_iter().zip(&b.lines).map(|(c, l)| (c, l.score, l.finding.clone())).collect();
    let company_id = db::oversight::company_on(&s.db, c.id, visited_on).await?;
    let n = NewInspection {
        compound_id: c.id,
        region_path: c.region_path.clone(),
        company_id,
        campaign_id: b.campaign_id,
        follows_id: b.follows_id,
        kind,
        visited_on,
        note: b.note.clone(),
        lines,
    };
    let notice = match &b.notice {
        Some(f) => Some(FromFindings {
            region: issuing_region(v, &[crate::ops::regions::parse_code(&c.region_code)?])?,
            requirement: f.requirement.clone(),
            deadline: f.deadline,
        }),
        None => None,
    };
    Ok(db::oversight::record(&s.db, &v.actor(), &n, notice.as_ref(), Utc::now()).await?)
}

/// An inspection the viewer may see, with its lines (404 otherwise).
pub async fn load(s: &AppState, v: &Viewer, id: i64) -> Result<(Inspection, Vec<InspectionItem>), AppError> {
    let i = db::oversight::inspection(&s.db, id).await?;
    let vis = v.problems_visible();
    let sees = vis.all
        || vis.paths.iter().any(|p| i.region_path.starts_with(p.as_str()))
        || vis.compound_ids.contains(&i.compound_id)
        || i.company_id.is_some_and(|c| vis.company_ids.contains(&c));
    if !sees {
        return Err(AppError::not_found());
    }
    let items = db::oversight::inspection_items(&s.db, id).await?;
    Ok((i, items))
}

pub async fn list(
    s: &AppState,
    v: &Viewer,
    f: &InspectionFilter,
    page: Paging,
) -> Result<(Vec<Inspection>, u64), AppError> {
    Ok(db::oversight::inspections(&s.db, &v.problems_visible(), f, page).await?)
}

/// A campaign as an officer opens it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CampaignIn {
    /// The region it runs over (one the officer supervises).
    pub region: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The checklist of its inspections (default: the quarterly one).
    pub checklist: Option<Vec<CheckIn>>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CheckIn {
    pub label: String,
    pub max: i64,
}

pub async fn open_campaign(s: &AppState, v: &Viewer, b: &CampaignIn) -> Result<Campaign, AppError> {
    let region = crate::ops::regions::parse_code(&b.region)?;
    v.check_region(Action::Supervise, &region)?;
    let c = NewCampaign {
        region,
        name: b.name.clone(),
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        checklist: b
            .checklist
            .as_ref()
            .map(|l| l.iter().map(|c| Check { label: c.label.clone(), max: c.max }).collect()),
        note: b.note.clone(),
    };
    Ok(db::oversight::create_campaign(&s.db, &v.actor(), &c, Utc::now()).await?)
}

/// The campaigns over what the viewer reads.
pub async fn campaigns(s: &AppState, v: &Viewer) -> Result<Vec<Campaign>, AppError> {
    let all = db::oversight::campaigns(&s.db, None).await?;
    Ok(all.into_iter().filter(|c| sees_campaign(v, c)).collect())
}

/// A campaign's counts: the whole (first) and each child region the viewer reads.
pub async fn campaign_page(s: &AppState, v: &Viewer, id: i64) -> Result<(Campaign, Vec<CampaignCounts>), AppError> {
    let c = campaign_for(s, v, id).await?;
    let code = crate::ops::regions::parse_code(&c.region_code)?;
    let mut places = Vec::new();
    if v.check_region(Action::Read, &code).is_ok() {
        places.push((c.region_code.clone(), c.region_name.clone(), code.path()));
        for k in db::regions::kids(&s.db, Some(&code)).await? {
            places.push((k.code.clone(), k.name.clone(), k.region_path()));
        }
    } else {
        // A reader below the campaign's region sees their own part.
        for root in v.region_roots().unwrap_or_default() {
            if root.is_within(&code)
                && let Some(r) = db::regions::get(&s.db, &root).await?
            {
                places.push((r.code.clone(), r.name.clone(), r.region_path()));
            }
        }
    }
    let counts = db::oversight::campaign_counts(&s.db, &c, &places, domain::clock::today()).await?;
    Ok((c, counts))
}
