//! Coverage KPIs for a region as of a date, and its children ranked.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use domain::access::Action;
use domain::kpi::KpiSet;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::HotlineCounts;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiQuery, AppError, ErrorBody};
pub use crate::ops::kpi::KpiSetOut;
use crate::ops::kpi::{children_sets, set_out, targets};
use crate::ops::regions::{COUNTRY, parse_place};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinQuery {
    /// Region code, or `all` for the whole country by province (a grant over everything).
    #[param(pattern = r"^(all|[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?)$")]
    pub region: String,
    /// YYYY-MM
    pub month: String,
}

/// The monthly dispatch bulletin as data (the same figures as its Excel and Word forms).
#[utoipa::path(get, path = "/api/v1/bulletin", tag = "kpis", params(BulletinQuery),
    responses((status = 200, body = BulletinOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulletin(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<BulletinQuery>,
) -> Result<Json<BulletinOut>, AppError> {
    let code = parse_place(&q.region)?;
    viewer.check_place(Action::Read, code.as_ref())?;
    let month = report::Month::parse(&q.month)?;
    let b = report::bulletin(&s.db, code.as_ref(), month).await?;
    Ok(Json(BulletinOut::from(&b)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Region code, or `all` for the whole country (a grant over everything).
    #[param(pattern = r"^(all|[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3}([0-9]{3})?)?)?)?)?)$")]
    pub region: String,
    /// Date (YYYY-MM-DD); default today.
    pub as_of: Option<NaiveDate>,
}

/// The KPI set of one region as of a date.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = KpiSetOut), (status = 404, body = ErrorBody)))]
pub async fn region_kpis(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<KpiSetOut>, AppError> {
    let code = parse_place(&q.region)?;
    viewer.check_place(Action::Read, code.as_ref())?;
    let r = match &code {
        Some(c) => Some(db::regions::require(&s.db, c).await?),
        None => None,
    };
    let as_of = q.as_of.unwrap_or_else(domain::clock::today);
    let set = db::kpi::kpis(&s.db, &db::regions::path_or_country(r.as_ref()), as_of).await?;
    let (code, name) = r.map_or_else(|| (COUNTRY.to_owned(), report::COUNTRY.to_owned()), |r| (r.code, r.name));
    Ok(Json(set_out(&code, &name, as_of, &set, &targets(&s).await?)))
}

/// The KPI sets of a region's children (for ranking), as of a date.
#[utoipa::path(get, path = "/api/v1/kpis/children", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = Vec<KpiSetOut>), (status = 404, body = ErrorBody)))]
pub async fn children_kpis(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<Vec<KpiSetOut>>, AppError> {
    let code = parse_place(&q.region)?;
    viewer.check_place(Action::Read, code.as_ref())?;
    let as_of = q.as_of.unwrap_or_else(domain::clock::today);
    Ok(Json(children_sets(&s, code.as_ref(), as_of).await?))
}

/// The monthly bulletin as data.
#[derive(Serialize, ToSchema)]
pub struct BulletinOut {
    pub region_code: String,
    pub region_name: String,
    pub month: MonthOut,
    /// The last day counted.
    pub as_of: NaiveDate,
    pub totals: KpiSetData,
    /// The same figures at the end of the month before.
    pub previous: KpiSetData,
    /// One section per KPI: the region's value, the target, the children ranked.
    pub sections: Vec<SectionOut>,
    /// The hotline's counts for problems reported in the month.
    pub problems: HotlineCounts,
    /// The same per child region (every child)…
    pub problem_regions: Vec<GroupRatesOut>,
    /// …and per property company that handled any, most problems first.
    pub problem_companies: Vec<GroupRatesOut>,
    /// Rectification notices and inspections as of the month's end: the region first, then each child.
    pub oversight: Vec<OversightRowOut>,
    /// Companies at the lowest grade in the latest publication over the region.
    pub red: Vec<RedOut>,
    /// The period of that publication, in words (empty when none).
    pub red_period: String,
    /// Consultation topics and owners' votes in the month: the region first, then each child.
    pub consultation: Vec<ConsultRowOut>,
    /// The owners' money at the month's end: the region first, then each child.
    pub ledger: Vec<LedgerRowOut>,
    /// The bulletin's summary lines (Chinese).
    pub summary: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerRowOut {
    pub name: String,
    /// Compounds with an owners' committee in office (应开) and, of them, with a common-funds account open.
    pub due: i64,
    pub open: i64,
    /// Compounds whose open common account follows each model.
    pub trust: i64,
    pub fee: i64,
    pub lump: i64,
    /// Last month's statements due by the 15th, and of them published by then.
    pub statements_due: i64,
    pub statements_on_time: i64,
    /// Maintenance-fund balance (fen) and the households of the compounds holding a fund account.
    pub fund_fen: i64,
    pub fund_households: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ConsultRowOut {
    pub name: String,
    pub topics_raised: i64,
    pub topics_decided: i64,
    pub topics_done: i64,
    /// Votes whose final result was published in the month.
    pub votes_final: i64,
    pub questions_final: i64,
    pub questions_passed: i64,
    /// Over those final questions: owners who took part, and owners counted.
    pub participating_owners: i64,
    pub electorate_owners: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OversightRowOut {
    pub name: String,
    pub notices_issued: i64,
    pub notices_closed: i64,
    pub notices_overdue: i64,
    pub notices_closed_on_time: i64,
    pub inspections: i64,
    pub campaign_problems_solved: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RedOut {
    pub publication_id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub grade: String,
    /// Tenths of a point.
    pub score: i64,
    pub vetoed: bool,
    pub compounds: i32,
}

#[derive(Serialize, ToSchema)]
pub struct MonthOut {
    pub year: i32,
    pub month: u32,
}

/// A share as numerator and denominator (exact; no rounding).
#[derive(Serialize, ToSchema)]
pub struct RatioOut {
    pub num: i64,
    pub den: i64,
}

impl From<domain::kpi::Ratio> for RatioOut {
    fn from(r: domain::kpi::Ratio) -> Self {
        RatioOut { num: r.num, den: r.den }
    }
}

/// The KPI set of a region on a date, as counts.
#[derive(Serialize, ToSchema)]
pub struct KpiSetData {
    pub compounds: i64,
    pub professional_coverage: RatioOut,
    pub full_coverage: RatioOut,
    pub committee_formation: RatioOut,
    pub company_party_coverage: RatioOut,
    pub company_instructor_only: i64,
    pub committee_party_coverage: RatioOut,
    /// Committees reached by the party's work: an organisation in it, a cross-appointed member or an instructor.
    pub committee_work_coverage: RatioOut,
    pub compound_party_coverage: RatioOut,
    pub servants_two_committees: RatioOut,
    pub servants_building_heads: RatioOut,
    pub cross_appointment: RatioOut,
    pub red_stations: i64,
    pub community_workers: i64,
    pub unrecorded: crate::ops::kpi::UnrecordedOut,
}

impl From<&KpiSet> for KpiSetData {
    fn from(k: &KpiSet) -> Self {
        KpiSetData {
            compounds: k.compounds,
            professional_coverage: k.professional_coverage.into(),
            full_coverage: k.full_coverage.into(),
            committee_formation: k.committee_formation.into(),
            company_party_coverage: k.company_party_coverage.into(),
            company_instructor_only: k.company_instructor_only,
            committee_party_coverage: k.committee_party_coverage.into(),
            committee_work_coverage: k.committee_work_coverage.into(),
            compound_party_coverage: k.compound_party_coverage.into(),
            servants_two_committees: k.servants_two_committees.into(),
            servants_building_heads: k.servants_building_heads.into(),
            cross_appointment: k.cross_appointment.into(),
            red_stations: k.red_stations,
            community_workers: k.community_workers,
            unrecorded: k.unrecorded.into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SectionOut {
    /// The KPI's key (see `/api/v1/kpis`).
    pub kpi: String,
    /// The plan's target in per mille, if any.
    pub target: Option<i64>,
    pub region_value: RatioOut,
    pub rows: Vec<RankedRowOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RankedRowOut {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub now: RatioOut,
    pub before: RatioOut,
    /// Change in per mille since the previous month, when both are defined.
    pub change: Option<i64>,
    /// How far below the target, in per mille (0 when met).
    pub gap: Option<i64>,
    pub laggard: bool,
}

#[derive(Serialize, ToSchema)]
pub struct GroupRatesOut {
    /// The company's id or the region's code.
    pub key: String,
    pub name: String,
    pub rates: HotlineCounts,
}

impl From<&report::Bulletin> for BulletinOut {
    fn from(b: &report::Bulletin) -> Self {
        let groups = |g: &[db::problems::GroupRates]| {
            g.iter().map(|g| GroupRatesOut { key: g.key.clone(), name: g.name.clone(), rates: g.rates }).collect()
        };
        BulletinOut {
            region_code: if b.region_code.is_empty() { COUNTRY.to_owned() } else { b.region_code.clone() },
            region_name: b.region_name.clone(),
            month: MonthOut { year: b.month.year, month: b.month.month },
            as_of: b.as_of,
            totals: (&b.totals).into(),
            previous: (&b.previous).into(),
            sections: b
                .sections
                .iter()
                .map(|s| SectionOut {
                    // The spelling the bulletin has always had (serde's, not `Kpi::key`).
                    kpi: serde_json::to_value(s.kpi)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    target: s.target,
                    region_value: s.region_value.into(),
                    rows: s
                        .rows
                        .iter()
                        .map(|r| RankedRowOut {
                            rank: r.rank,
                            code: r.code.clone(),
                            name: r.name.clone(),
                            now: r.now.into(),
                            before: r.before.into(),
                            change: r.change,
                            gap: r.gap,
                            laggard: r.laggard,
                        })
                        .collect(),
                })
                .collect(),
            problems: b.problems,
            problem_regions: groups(&b.problem_regions),
            problem_companies: groups(&b.problem_companies),
            oversight: b
                .oversight
                .iter()
                .map(|report::OversightRow { name, figures: f }| OversightRowOut {
                    name: name.clone(),
                    notices_issued: f.notices_issued,
                    notices_closed: f.notices_closed,
                    notices_overdue: f.notices_overdue,
                    notices_closed_on_time: f.notices_closed_on_time,
                    inspections: f.inspections,
                    campaign_problems_solved: f.campaign_problems_solved,
                })
                .collect(),
            consultation: b
                .consultation
                .iter()
                .map(|report::ConsultRow { name, figures: f }| ConsultRowOut {
                    name: name.clone(),
                    topics_raised: f.topics_raised,
                    topics_decided: f.topics_decided,
                    topics_done: f.topics_done,
                    votes_final: f.votes_final,
                    questions_final: f.questions_final,
                    questions_passed: f.questions_passed,
                    participating_owners: f.participating_owners,
                    electorate_owners: f.electorate_owners,
                })
                .collect(),
            ledger: b
                .ledger
                .iter()
                .map(|report::LedgerRow { name, figures: f }| LedgerRowOut {
                    name: name.clone(),
                    due: f.due,
                    open: f.open,
                    trust: f.trust,
                    fee: f.fee,
                    lump: f.lump,
                    statements_due: f.statements_due,
                    statements_on_time: f.statements_on_time,
                    fund_fen: f.fund_fen,
                    fund_households: f.fund_households,
                })
                .collect(),
            red: b
                .red
                .iter()
                .map(|r| RedOut {
                    publication_id: r.publication_id,
                    company_id: r.company_id,
                    company_name: r.company_name.clone(),
                    grade: r.grade.clone(),
                    score: r.score,
                    vetoed: r.vetoed,
                    compounds: r.compounds,
                })
                .collect(),
            red_period: b.red_period.clone(),
            summary: b.summary(),
        }
    }
}
