//! Grading: the scheme of a region, a period's grading as the viewer may see
//! it (a company only its own), publication, objections and rulings,
//! recorded facts and talks, inspections due, the public list.

use chrono::{NaiveDate, Utc};
use db::oversight::{
    CompanyGrade, Due, Entry, Fact, Grading, NewEntry, NewTalk, Objection, Publication, Published, SchemeInForce, Talk,
};
use domain::RegionCode;
use domain::access::Action;
use domain::grading::Scheme;
use serde::Deserialize;
use utoipa::ToSchema;

use super::own_companies;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// The scheme in force for a place on a date (readers of the place).
pub async fn scheme(
    s: &AppState,
    v: &Viewer,
    place: Option<&RegionCode>,
    on: NaiveDate,
) -> Result<SchemeInForce, AppError> {
    v.check_place(Action::Read, place)?;
    Ok(db::oversight::scheme_on(&s.db, place, on).await?)
}

/// Choose a place's scheme from a date on: a preset by key, or a scheme of one's own.
pub async fn set_scheme(
    s: &AppState,
    v: &Viewer,
    place: Option<&RegionCode>,
    valid_from: NaiveDate,
    scheme: &Scheme,
) -> Result<(), AppError> {
    v.check_place(Action::Grade, place)?;
    Ok(db::oversight::set_scheme(&s.db, &v.actor(), place, valid_from, scheme, Utc::now()).await?)
}

/// What a viewer may see of a region's grading: readers of the region all
/// of it; a company, its own grade and facts there (and no one else's); 404 to others.
pub async fn grading(s: &AppState, v: &Viewer, region: &RegionCode, on: NaiveDate) -> Result<Grading, AppError> {
    let reads = v.check_region(Action::Read, region).is_ok();
    let own = own_companies(v);
    if !reads && own.is_empty() {
        return Err(AppError::not_found());
    }
    let mut g = db::oversight::grade(&s.db, region, on, Utc::now()).await?;
    if !reads {
        g.companies.retain(|c| own.contains(&c.company_id));
        g.facts.retain(|f| own.contains(&f.company_id));
        if g.companies.is_empty() {
            return Err(AppError::not_found());
        }
    }
    Ok(g)
}

/// One company's grading in a region and period, with the facts behind it,
/// the publication (if published) and the objections to it.
pub struct CompanyPage {
    pub grading: Grading,
    pub company: CompanyGrade,
    pub rank: usize,
    pub of: usize,
    pub facts: Vec<Fact>,
    pub publication: Option<Publication>,
    /// The published place and result, when the period is published.
    pub published: Option<(usize, Published)>,
    pub objections: Vec<Objection>,
    /// The viewer acts for this company (may object).
    pub own: bool,
    /// The viewer may rule on objections and publish.
    pub grades: bool,
}

pub async fn company(
    s: &AppState,
    v: &Viewer,
    region: &RegionCode,
    on: NaiveDate,
    company_id: i64,
) -> Result<CompanyPage, AppError> {
    let reads = v.check_region(Action::Read, region).is_ok();
    let own = own_companies(v).contains(&company_id);
    if !reads && !own {
        return Err(AppError::not_found());
    }
    let mut g = db::oversight::grade(&s.db, region, on, Utc::now()).await?;
    // The rank is among all companies graded; a company learns its place, never the others' names.
    let Some(rank) = g.companies.iter().position(|c| c.company_id == company_id) else {
        return Err(AppError::not_found());
    };
    let of = g.companies.len();
    let company = g.companies[rank].clone();
    g.facts.retain(|f| f.company_id == company_id);
    g.companies.retain(|c| c.company_id == company_id);
    let facts = g.facts.clone();
    let publication = db::oversight::publication_of(&s.db, region, g.period.start).await?;
    let (objections, published) = match &publication {
        Some(p) => (
            db::oversight::objections(&s.db, p.id, Some(company_id)).await?,
            db::oversight::results(&s.db, p.id)
                .await?
                .into_iter()
                .enumerate()
                .find(|(_, r)| r.company_id == company_id),
        ),
        None => (vec![], None),
    };
    let grades = v.check_region(Action::Grade, region).is_ok();
    Ok(CompanyPage {
        rank: rank + 1,
        of,
        grading: g,
        company,
        facts,
        publication,
        published: published.map(|(i, r)| (i + 1, r)),
        objections,
        own,
        grades,
    })
}

/// Publish the grading of a region's period (again, after a ruling).
pub async fn publish(s: &AppState, v: &Viewer, region: &RegionCode, on: NaiveDate) -> Result<Publication, AppError> {
    v.check_region(Action::Grade, region)?;
    let g = db::oversight::grade(&s.db, region, on, Utc::now()).await?;
    Ok(db::oversight::publish(&s.db, &v.actor(), &g, Utc::now()).await?)
}

/// A publication the viewer may read (readers of its region, or a company graded in it).
pub async fn publication(s: &AppState, v: &Viewer, id: i64) -> Result<(Publication, Vec<Published>), AppError> {
    let p = db::oversight::publication(&s.db, id).await?;
    let region = crate::ops::regions::parse_code(&p.region_code)?;
    let mut rows = db::oversight::results(&s.db, id).await?;
    if v.check_region(Action::Read, &region).is_err() {
        let own = own_companies(v);
        rows.retain(|r| own.contains(&r.company_id));
        if rows.is_empty() {
            return Err(AppError::not_found());
        }
    }
    Ok((p, rows))
}

/// An objection as a company files it: to one fact, by its source.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ObjectIn {
    pub company_id: i64,
    /// The item the fact counted in (`problem_overdue`, …).
    pub item_key: String,
    /// The fact's source as the grading lists it (`problem:12`, `notice:3`, …).
    pub source: String,
    pub reason: String,
}

/// A company objects, within the scheme's time, to a fact its published grade counted.
pub async fn object(s: &AppState, v: &Viewer, publication_id: i64, b: &ObjectIn) -> Result<Objection, AppError> {
    let p = db::oversight::publication(&s.db, publication_id).await?;
    let own = own_companies(v);
    if !own.contains(&b.company_id) {
        // Those who read the region learn the publication exists; others do not.
        let region = crate::ops::regions::parse_code(&p.region_code)?;
        return Err(if v.check_region(Action::Read, &region).is_ok() {
            AppError::forbidden()
        } else {
            AppError::not_found()
        });
    }
    let region = crate::ops::regions::parse_code(&p.region_code)?;
    let g = db::oversight::grade(&s.db, &region, p.period_start, Utc::now()).await?;
    let fact = g
        .facts
        .iter()
        .find(|f| f.company_id == b.company_id && f.key == b.item_key.trim() && f.source == b.source.trim())
        .ok_or_else(|| {
            AppError::from(
                domain::Invalid::new(
                    "source",
                    format!("{} is not a fact counted in {} for this company", b.source, b.item_key),
                )
                .zh(format!("“{}”不是该企业本期“{}”项下计入的事实", b.source, b.item_key)),
            )
        })?;
    Ok(db::oversight::object(&s.db, &v.actor(), &p, b.company_id, fact, &b.reason, Utc::now()).await?)
}

/// Rule on an objection: those who grade the publication's region.
pub async fn rule(s: &AppState, v: &Viewer, id: i64, uphold: bool, ruling: &str) -> Result<Objection, AppError> {
    let o = db::oversight::objection(&s.db, id).await?;
    let p = db::oversight::publication(&s.db, o.publication_id).await?;
    let region = crate::ops::regions::parse_code(&p.region_code)?;
    if v.check_region(Action::Grade, &region).is_err() && v.check_region(Action::Supervise, &region).is_err() {
        return Err(if v.check_region(Action::Read, &region).is_ok() || own_companies(v).contains(&o.company_id) {
            AppError::forbidden()
        } else {
            AppError::not_found()
        });
    }
    Ok(db::oversight::rule(&s.db, &v.actor(), id, uphold, ruling, Utc::now()).await?)
}

/// A fact an officer records for grading.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = GradeEntryIn)]
pub struct EntryIn {
    pub company_id: i64,
    /// The compound it concerns; none: the whole company.
    pub compound_id: Option<i64>,
    /// The region it is recorded over (one the officer supervises; the compound's, if one is named).
    pub region: String,
    pub on_date: NaiveDate,
    /// An item of the scheme in force (`honour`, `fund_misuse`, …).
    pub item_key: String,
    #[serde(default = "one")]
    pub count: i64,
    pub reason: String,
    #[serde(default)]
    pub evidence: String,
}

fn one() -> i64 {
    1
}

pub async fn record_entry(s: &AppState, v: &Viewer, b: &EntryIn) -> Result<Entry, AppError> {
    let region = crate::ops::regions::parse_code(&b.region)?;
    v.check_region(Action::Supervise, &region)?;
    company_in(s, b.company_id, &region).await?;
    if let Some(c) = b.compound_id {
        let c = v.compound(&s.db, c, Action::Supervise).await?;
        if !c.region_path.starts_with(region.path().as_str()) {
            return Err(domain::Invalid::new("compound_id", "the compound is not in the region")
                .zh("该小区不在所填区划内")
                .into());
        }
        if db::oversight::company_on(&s.db, c.id, b.on_date).await? != Some(b.company_id) {
            return Err(domain::Invalid::new("compound_id", "the company did not serve the compound that day")
                .zh("该企业当日未服务此小区")
                .into());
        }
    }
    let e = NewEntry {
        company_id: b.company_id,
        compound_id: b.compound_id,
        region,
        on_date: b.on_date,
        item_key: b.item_key.trim().to_owned(),
        count: b.count,
        reason: b.reason.clone(),
        evidence: b.evidence.clone(),
    };
    Ok(db::oversight::record_entry(&s.db, &v.actor(), &e, Utc::now()).await?)
}

/// A recorded fact the viewer may see.
pub async fn entry(s: &AppState, v: &Viewer, id: i64) -> Result<Entry, AppError> {
    let e = db::oversight::entry(&s.db, id).await?;
    let vis = v.problems_visible();
    let sees = vis.all
        || vis.paths.iter().any(|p| e.region_path.starts_with(p.as_str()) || p.as_str().starts_with(&e.region_path))
        || vis.company_ids.contains(&e.company_id);
    if sees { Ok(e) } else { Err(AppError::not_found()) }
}

/// A talk (约谈) as an officer records it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TalkIn {
    pub company_id: i64,
    pub region: String,
    pub held_on: NaiveDate,
    /// Who took part.
    pub people: String,
    pub outcome: String,
    pub notice_id: Option<i64>,
}

pub async fn record_talk(s: &AppState, v: &Viewer, b: &TalkIn) -> Result<Talk, AppError> {
    let region = crate::ops::regions::parse_code(&b.region)?;
    v.check_region(Action::Supervise, &region)?;
    company_in(s, b.company_id, &region).await?;
    if let Some(n) = b.notice_id {
        let (n, _) = super::notices::load(s, v, n).await?;
        if n.company_id != b.company_id {
            return Err(domain::Invalid::new("notice_id", "the notice names another company")
                .zh("该通知单不是发给此企业的")
                .into());
        }
    }
    if b.held_on > domain::clock::today() {
        return Err(domain::Invalid::new("held_on", "a talk is recorded once held").zh("约谈日期不能晚于今天").into());
    }
    let t = NewTalk {
        company_id: b.company_id,
        region,
        held_on: b.held_on,
        people: b.people.clone(),
        outcome: b.outcome.clone(),
        notice_id: b.notice_id,
    };
    Ok(db::oversight::record_talk(&s.db, &v.actor(), &t, Utc::now()).await?)
}

/// A company that has served a compound in `region` (404 otherwise: an
/// officer records facts and talks about the companies of their own region).
async fn company_in(s: &AppState, company_id: i64, region: &RegionCode) -> Result<(), AppError> {
    if db::oversight::serves_within(&s.db, company_id, &region.path()).await? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

pub async fn talks(s: &AppState, v: &Viewer, company_id: Option<i64>) -> Result<Vec<Talk>, AppError> {
    Ok(db::oversight::talks(&s.db, &v.problems_visible(), company_id).await?)
}

/// Inspections due in a region the viewer reads, soonest first.
pub async fn due(s: &AppState, v: &Viewer, region: &RegionCode) -> Result<Vec<Due>, AppError> {
    v.check_region(Action::Read, region)?;
    Ok(db::oversight::due(&s.db, region, domain::clock::today()).await?)
}

/// The published list of a region (anyone, signed in or not, as cities
/// publish it): the latest publication's grades, best first.
pub async fn public(s: &AppState, region: &RegionCode) -> Result<Option<(Publication, Vec<Published>)>, AppError> {
    let Some(p) = db::oversight::latest_publication(&s.db, region, domain::clock::today()).await? else {
        return Ok(None);
    };
    if p.region_code != region.as_str() {
        // Only a region's own list is published under its name.
        let own = db::oversight::publications(&s.db, region).await?;
        return Ok(match own.into_iter().next() {
            Some(p) => {
                let rows = db::oversight::results(&s.db, p.id).await?;
                Some((p, rows))
            }
            None => None,
        });
    }
    let rows = db::oversight::results(&s.db, p.id).await?;
    Ok(Some((p, rows)))
}
