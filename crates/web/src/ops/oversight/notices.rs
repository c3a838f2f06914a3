//! Rectification notices: issue, see within scope, take a step (with photos
//! as evidence), close items one by one, list overdue first.

use chrono::{NaiveDate, Utc};
use db::oversight::{NewItem, NewNotice, Notice, NoticeCompound, NoticeFilter};
use domain::Paging;
use domain::access::Action;
use domain::rectify::{NoticeBy, NoticeStep};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{issuing_region, own_companies};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// A notice as an officer issues it, from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IssueIn {
    pub company_id: i64,
    /// The compounds it concerns (1–100), each served by the company today.
    pub compound_ids: Vec<i64>,
    pub campaign_id: Option<i64>,
    /// What the company must do.
    pub requirement: String,
    /// The last day (China) to answer.
    pub deadline: NaiveDate,
    pub items: Vec<ItemIn>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemIn {
    pub text: String,
    /// A residents' problem it concerns (one the issuer can see, in the notice's compounds).
    pub problem_id: Option<i64>,
}

/// Issue a notice to a company for compounds the officer supervises.
pub async fn issue(s: &AppState, v: &Viewer, b: &IssueIn, photo: Option<&[u8]>) -> Result<Notice, AppError> {
    let today = domain::clock::today();
    if b.compound_ids.len() > domain::rectify::COMPOUNDS_MAX {
        return Err(domain::Invalid::new("compound_ids", format!("1–{} compounds", domain::rectify::COMPOUNDS_MAX))
            .zh(format!("须指定 1–{} 个小区", domain::rectify::COMPOUNDS_MAX))
            .into());
    }
    let mut ids = b.compound_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > domain::rectify::COMPOUNDS_MAX {
        return Err(domain::Invalid::new("compound_ids", format!("1–{} compounds", domain::rectify::COMPOUNDS_MAX))
            .zh(format!("须指定 1–{} 个小区", domain::rectify::COMPOUNDS_MAX))
            .into());
    }
    if b.items.len() > domain::rectify::ITEMS_MAX {
        return Err(domain::Invalid::new("items", format!("at most {} items", domain::rectify::ITEMS_MAX))
            .zh(format!("整改事项不超过 {} 项", domain::rectify::ITEMS_MAX))
            .into());
    }
    let mut compounds = Vec::new();
    let mut codes = Vec::new();
    for id in &ids {
        let c = v.compound(&s.db, *id, Action::Supervise).await?;
        codes.push(crate::ops::regions::parse_code(&c.region_code)?);
        compounds.push((c.id, c.region_path.clone()));
    }
    let served = db::accounts::company_compounds(&s.db, b.company_id, today).await?;
    if let Some(c) = ids.iter().find(|c| !served.contains(c)) {
        return Err(domain::Invalid::new("company_id", format!("the company does not serve compound {c} today"))
            .zh(format!("该企业目前未服务小区 {c}"))
            .into());
    }
    for it in &b.items {
        if let Some(pid) = it.problem_id {
            let p = crate::ops::problems::load(s, v, pid).await?;
            if !ids.contains(&p.compound_id) {
                return Err(domain::Invalid::new("items", format!("problem {pid} is not in the notice's compounds"))
                    .zh(format!("诉求 {pid} 不在所列小区内"))
                    .into());
            }
        }
    }
    if let Some(cid) = b.campaign_id {
        let c = campaign_for(s, v, cid).await?;
        if !compounds.iter().all(|(_, p)| p.starts_with(&c.region_path)) {
            return Err(domain::Invalid::new("campaign_id", "the campaign does not cover these compounds")
                .zh("该专项整治不覆盖所列小区")
                .into());
        }
    }
    if let Some(p) = photo {
        domain::problem::photo_type(p)?;
    }
    let region = issuing_region(v, &codes)?;
    let n = NewNotice {
        region,
        company_id: b.company_id,
        compounds,
        campaign_id: b.campaign_id,
        inspection_id: None,
        requirement: b.requirement.clone(),
        issued_on: today,
        deadline: b.deadline,
        items: b
            .items
            .iter()
            .map(|i| NewItem { text: i.text.clone(), problem_id: i.problem_id, finding_id: None })
            .collect(),
    };
    let notice = db::oversight::issue(&s.db, &v.actor(), &n, Utc::now()).await?;
    if let Some(p) = photo {
        add_photo(s, v, &notice, "issue", p).await?;
    }
    Ok(notice)
}

/// A campaign the viewer may see (404 otherwise).
pub async fn campaign_for(s: &AppState, v: &Viewer, id: i64) -> Result<db::oversight::Campaign, AppError> {
    let c = db::oversight::campaign(&s.db, id).await?;
    if sees_campaign(v, &c) { Ok(c) } else { Err(AppError::not_found()) }
}

/// A campaign runs over its region: those who read any part of it see it.
pub fn sees_campaign(v: &Viewer, c: &db::oversight::Campaign) -> bool {
    let vis = v.problems_visible();
    vis.all || vis.paths.iter().any(|p| p.as_str().starts_with(&c.region_path) || c.region_path.starts_with(p.as_str()))
}

/// A notice the viewer may see, with its compounds (404 otherwise).
pub async fn load(s: &AppState, v: &Viewer, id: i64) -> Result<(Notice, Vec<NoticeCompound>), AppError> {
    let n = db::oversight::get(&s.db, id).await?;
    let compounds = db::oversight::compounds(&s.db, id).await?;
    let vis = v.problems_visible();
    let sees = vis.all
        || vis.company_ids.contains(&n.company_id)
        || compounds.iter().any(|c| {
            vis.compound_ids.contains(&c.compound_id) || vis.paths.iter().any(|p| c.region_path.starts_with(p.as_str()))
        });
    if sees { Ok((n, compounds)) } else { Err(AppError::not_found()) }
}

/// The part the viewer plays on a notice: the company it names, or its issuer
/// (an officer over the issuing region or the level it was escalated to).
pub fn role(v: &Viewer, n: &Notice) -> Option<NoticeBy> {
    let issuer = [&n.region_code, &n.level_code]
        .iter()
        .any(|code| domain::RegionCode::parse(code).is_ok_and(|c| v.check_region(Action::Supervise, &c).is_ok()));
    if issuer {
        Some(NoticeBy::Issuer)
    } else if own_companies(v).contains(&n.company_id) {
        Some(NoticeBy::Company)
    } else {
        None
    }
}

/// The steps the viewer may take now (the page's buttons).
pub fn offered(v: &Viewer, n: &Notice) -> Vec<NoticeStep> {
    let Some(by) = role(v, n) else { return vec![] };
    NoticeStep::ALL.iter().copied().filter(|st| domain::rectify::next(n.state, *st, by).is_ok()).collect()
}

/// Take a step, with a photo as evidence (an answer's) if given: the photo
/// is checked before the step, stored after it.
pub async fn act(
    s: &AppState,
    v: &Viewer,
    id: i64,
    step: &str,
    note: &str,
    photo: Option<&[u8]>,
) -> Result<Notice, AppError> {
    let (n, _) = load(s, v, id).await?;
    let step = NoticeStep::parse(step)?;
    let by = role(v, &n).ok_or_else(AppError::forbidden)?;
    // A step the caller's side never takes is refused as such, whatever the state.
    let theirs = match by {
        NoticeBy::Company => matches!(step, NoticeStep::Receive | NoticeStep::Answer),
        NoticeBy::Issuer => matches!(step, NoticeStep::Return | NoticeStep::Close),
    };
    if !theirs {
        return Err(AppError::forbidden());
    }
    if let Some(p) = photo {
        domain::problem::photo_type(p)?;
    }
    let n = db::oversight::step(&s.db, &v.actor(), id, step, by, note, Utc::now()).await?;
    if let Some(p) = photo {
        add_photo(s, v, &n, if by == NoticeBy::Company { "answer" } else { "issue" }, p).await?;
    }
    Ok(n)
}

async fn add_photo(s: &AppState, v: &Viewer, n: &Notice, stage: &str, bytes: &[u8]) -> Result<(), AppError> {
    let (sha, mime) = crate::ops::problems::keep_photo(s, bytes).await?;
    db::oversight::add_photo(&s.db, &v.actor(), n.id, stage, &sha, mime, bytes.len() as i64, Utc::now()).await?;
    Ok(())
}

/// Close one item, verified (逐项销号): the issuer's to do.
pub async fn close_item(s: &AppState, v: &Viewer, id: i64, item_id: i64) -> Result<Notice, AppError> {
    let (n, _) = load(s, v, id).await?;
    if role(v, &n) != Some(NoticeBy::Issuer) {
        return Err(AppError::forbidden());
    }
    Ok(db::oversight::close_item(&s.db, &v.actor(), id, item_id, Utc::now()).await?)
}

/// Notices the viewer sees that the filter picks, overdue first.
pub async fn list(s: &AppState, v: &Viewer, f: &NoticeFilter, page: Paging) -> Result<(Vec<Notice>, u64), AppError> {
    Ok(db::oversight::list(&s.db, &v.problems_visible(), f, domain::clock::today(), page).await?)
}

/// A notice as the API and the printable copy show it.
#[derive(Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: i64,
    /// `371402-2021-0007`: the issuing region, the year, the sequence.
    pub number: String,
    pub region_code: String,
    pub region_name: String,
    /// The region supervising it now (the issuer's, or above once escalated).
    pub level_code: String,
    pub company_id: i64,
    pub company_name: String,
    pub campaign_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub requirement: String,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    /// issued, received, answered, returned, closed
    pub state: String,
    pub overdue: bool,
    pub issued_by: String,
    pub issued_at: chrono::DateTime<Utc>,
    pub received_at: Option<chrono::DateTime<Utc>>,
    pub answered_at: Option<chrono::DateTime<Utc>>,
    pub closed_at: Option<chrono::DateTime<Utc>>,
    pub compounds: Vec<CompoundRef>,
    pub items: Vec<ItemOut>,
    pub timeline: Vec<EventOut>,
    /// Steps the caller may take now.
    pub steps: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CompoundRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    pub id: i64,
    pub position: i32,
    pub text: String,
    pub problem_id: Option<i64>,
    pub finding_id: Option<i64>,
    pub closed_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = NoticeEventOut)]
pub struct EventOut {
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    /// issue, receive, answer, return, close, close_item:ID, escalate:LEVEL, photo
    pub step: String,
    pub to_state: String,
    pub note: String,
}

/// Everything about one notice, as the viewer may see it.
pub async fn full(s: &AppState, v: &Viewer, id: i64) -> Result<NoticeOut, AppError> {
    let (n, compounds) = load(s, v, id).await?;
    let items = db::oversight::items(&s.db, id).await?;
    let events = db::oversight::events(&s.db, id).await?;
    let steps = offered(v, &n).into_iter().map(|st| st.as_str().to_owned()).collect();
    Ok(NoticeOut {
        overdue: n.overdue(domain::clock::today()),
        id: n.id,
        number: n.number,
        region_code: n.region_code,
        region_name: n.region_name,
        level_code: n.level_code,
        company_id: n.company_id,
        company_name: n.company_name,
        campaign_id: n.campaign_id,
        inspection_id: n.inspection_id,
        requirement: n.requirement,
        issued_on: n.issued_on,
        deadline: n.deadline,
        state: n.state.as_str().to_owned(),
        issued_by: n.issued_by,
        issued_at: n.issued_at,
        received_at: n.received_at,
        answered_at: n.answered_at,
        closed_at: n.closed_at,
        compounds: compounds.into_iter().map(|c| CompoundRef { id: c.compound_id, name: c.name }).collect(),
        items: items
            .into_iter()
            .map(|i| ItemOut {
                id: i.id,
                position: i.position,
                text: i.text,
                problem_id: i.problem_id,
                finding_id: i.finding_id,
                closed_at: i.closed_at,
            })
            .collect(),
        timeline: events
            .into_iter()
            .map(|e| EventOut { at: e.at, actor: e.actor, step: e.step, to_state: e.to_state, note: e.note })
            .collect(),
        steps,
    })
}
