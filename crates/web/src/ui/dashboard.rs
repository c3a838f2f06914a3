//! The KPI dashboard of a region, and the page that explains each KPI.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use domain::access::Action;
use serde::Deserialize;

use super::{Me, OrPage, Page, Pager, UiError, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::i18n::Tr;
use crate::ops::kpi::{KpiSetOut, children_sets, set_out, targets};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/dashboard/bulletin.xlsx", get(bulletin_xlsx))
        .route("/dashboard/bulletin.docx", get(bulletin_docx))
        .route("/dashboard/drill", get(drill))
        .route("/kpis", get(explain))
        .route("/plan", get(plan_page).post(plan_set))
}

#[derive(Deserialize)]
struct Params {
    region: Option<String>,
    as_of: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    t: Tr,
    me: Option<Me>,
    here: KpiSetOut,
    children: Vec<KpiSetOut>,
    as_of: String,
    month: String,
    /// Server-drawn SVG (our own markup; its text is escaped where it is made).
    chart: String,
    /// Per KPI (in `Kpi::ALL` order): the change in percentage points since `before`.
    changes: Vec<String>,
    before: String,
    /// (label key, rate text, numerator/denominator) of the month's hotline rates.
    rates: Vec<(&'static str, String, String)>,
    /// The month's rates per child region and per company (name, link, cells under `report::RATE_HEADS`).
    rate_regions: Vec<(String, String, [String; 5])>,
    rate_companies: Vec<(String, String, [String; 5])>,
    /// Open, overdue and escalated problems by child region, worst first.
    supervision: Vec<db::problems::Supervision>,
    /// The viewer may see the whole country's figures (and is not looking at them).
    country: bool,
    /// Rectification notices and inspections as of the date (none for the country).
    oversight: Option<db::oversight::OversightFigures>,
    /// The owners' money: accounts due and open, models, disclosure on time, the fund per household.
    ledger: Option<db::ledger::LedgerFigures>,
    /// Companies by grade in the latest publication over the region, and those at the lowest grade.
    by_grade: Vec<(String, i64)>,
    red: Vec<db::oversight::Published>,
    /// Compounds whose inspection (by their company's grade) was due by the date, and how many were not done.
    due: (usize, usize),
}

/// The KPIs shown in the ranking (those with plan targets first).
const RANKED: [&str; 6] = [
    "professional_coverage",
    "full_coverage",
    "committee_formation",
    "company_party_coverage",
    "committee_party_coverage",
    "compound_party_coverage",
];

impl DashboardPage {
    fn disclosure(&self) -> String {
        report::pct(self.ledger.as_ref().and_then(|f| f.disclosure_permille()))
    }

    fn per_household(&self) -> String {
        self.ledger.as_ref().and_then(|f| f.fund_per_household()).map_or_else(|| "—".to_owned(), domain::ledger::yuan)
    }

    /// (title key, first column key, rows) of the month's rate tables that have any problem.
    #[allow(clippy::type_complexity)]
    fn rate_tables(&self) -> Vec<(&'static str, &'static str, &Vec<(String, String, [String; 5])>)> {
        [
            ("rate.by_region", "rate.col_region", &self.rate_regions),
            ("rate.by_company", "rate.col_company", &self.rate_companies),
        ]
        .into_iter()
        .filter(|(_, _, rows)| rows.iter().any(|(_, _, c)| c[0] != "0"))
        .collect()
    }
    fn on_time(&self) -> String {
        report::pct(self.oversight.as_ref().and_then(|f| f.on_time_permille()))
    }
    fn grade_class(&self, g: &str) -> &'static str {
        super::oversight::grade_class(g)
    }
    fn any_open(&self) -> bool {
        self.supervision.iter().any(|x| x.open > 0)
    }
    fn ranked(&self) -> &'static [&'static str] {
        &RANKED
    }
    fn cell(&self, row: &KpiSetOut, key: &str) -> (String, bool) {
        row.kpis
            .iter()
            .find(|k| k.key == key)
            .map(|k| (k.text.clone(), k.meets_target == Some(false)))
            .unwrap_or_else(|| ("—".into(), false))
    }
}

async fn dashboard(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<Params>,
) -> Result<Response, UiError> {
    let code = match p.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => crate::ops::regions::parse_place(r).page(t)?,
        None => {
            let first = match viewer.region_roots() {
                Some(codes) => codes.into_iter().next(),
                None => db::regions::roots(&s.db)
                    .await
                    .page(t)?
                    .first()
                    .and_then(|r| domain::RegionCode::parse(&r.region.code).ok()),
            };
            let Some(c) = first else { return Ok(Redirect::to("/compounds").into_response()) };
            Some(c)
        }
    };
    viewer.check_place(Action::Read, code.as_ref()).page(t)?;
    let as_of: NaiveDate = match p.as_of.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse()
            .map_err(|_| {
                domain::Invalid::new("as_of", format!("{d:?} is not a date (YYYY-MM-DD)"))
                    .zh(format!("“{d}”不是日期（格式 YYYY-MM-DD）"))
            })
            .page(t)?,
        None => domain::clock::today(),
    };
    // `None`: the whole country, its children the provinces.
    let r = match &code {
        Some(c) => Some(db::regions::require(&s.db, c).await.page(t)?),
        None => None,
    };
    let path = db::regions::path_or_country(r.as_ref());
    let set = db::kpi::kpis(&s.db, &path, as_of).await.page(t)?;
    let mut children = children_sets(&s, code.as_ref(), as_of).await.page(t)?;
    // Ranked by professional coverage, best first; regions without compounds last.
    children.sort_by_key(|c| std::cmp::Reverse(c.kpis[0].permille.unwrap_or(-1)));
    let (here_code, here_name) = match &r {
        Some(r) => (r.code.clone(), r.name.clone()),
        None => (crate::ops::regions::COUNTRY.to_owned(), t.get("region.country").to_owned()),
    };
    let here = set_out(&here_code, &here_name, as_of, &set, &targets(&s).await.page(t)?);
    // The month's hotline rates.
    let (from, to) = report::Month::of(as_of).utc_range();
    let pr = db::problems::rates(&s.db, code.as_ref().map(|_| &path), None, from, to).await.page(t)?;
    let frac = |x: domain::kpi::Ratio| format!("{} / {}", x.num, x.den);
    let rates = vec![
        ("rate.response", pr.response().percent_text(), frac(pr.response())),
        ("rate.resolution", pr.resolution().percent_text(), frac(pr.resolution())),
        ("rate.on_time", pr.on_time().percent_text(), frac(pr.on_time())),
        ("rate.satisfaction", pr.satisfaction().percent_text(), frac(pr.satisfaction())),
    ];
    // Children with reports this month, most first (the bulletin lists them all).
    let mut by_child = db::problems::rates_by_child(&s.db, code.as_ref(), from, to).await.page(t)?;
    by_child.retain(|g| g.rates.submitted > 0);
    by_child.sort_by_key(|g| std::cmp::Reverse(g.rates.submitted));
    let rate_regions = by_child
        .into_iter()
        .map(|g| (g.name, format!("/dashboard?region={}&as_of={as_of}", g.key), report::rate_cells(&g.rates)))
        .collect();
    let rate_companies = db::problems::rates_by_company(&s.db, &path, from, to)
        .await
        .page(t)?
        .into_iter()
        .map(|g| (g.name, format!("/organisations/{}", g.key), report::rate_cells(&g.rates)))
        .collect();
    let supervision = db::problems::supervision(&s.db, code.as_ref()).await.page(t)?;
    // Change since the end of the month before.
    let before = report::Month::of(as_of).previous().end();
    let prev = db::kpi::kpis(&s.db, &path, before).await.page(t)?;
    let changes: Vec<String> = domain::kpi::Kpi::ALL
        .iter()
        .map(|k| report::signed(set.get(*k).permille().zip(prev.get(*k).permille()).map(|(a, b)| a - b)))
        .collect();
    let month = report::Month::of(as_of);
    // The plan's three years, or the last three years up to the chosen month.
    let from = report::Month { year: (month.year - 2).min(2020), month: 1 };
    let name = |k: domain::kpi::Kpi| t.of("kpi.", k.key()).to_owned();
    let chart = report::trend_svg(&s.db, code.as_ref(), from, month, name, t.get("dash.trend")).await.page(t)?;
    // Oversight of companies: notices, inspections, the latest grades and the red list.
    let (mut oversight, mut by_grade, mut red, mut due) = (None, Vec::new(), Vec::new(), (0, 0));
    let ledger =
        Some(db::ledger::figures(&s.db, code.as_ref().map_or("", |c| c.as_str()), path.as_str(), as_of).await.page(t)?)
            .filter(|f| f.due + f.open > 0);
    if let Some(c) = &code {
        oversight = Some(db::oversight::oversight_figures(&s.db, Some(&path), as_of).await.page(t)?);
        let list = db::oversight::due(&s.db, c, as_of).await.page(t)?;
        due = (list.len(), list.iter().filter(|d| d.due_on < as_of).count());
        if let Some(p) = db::oversight::latest_publication(&s.db, c, as_of).await.page(t)? {
            let scheme = p.scheme().page(t)?;
            let results = db::oversight::results(&s.db, p.id).await.page(t)?;
            by_grade = scheme
                .grades()
                .into_iter()
                .map(|g| {
                    let n = results.iter().filter(|r| r.grade == g).count() as i64;
                    (g, n)
                })
                .collect();
            let lowest = scheme.lowest();
            red = results.into_iter().filter(|r| r.grade == lowest).collect();
        }
    }
    Ok(render(&DashboardPage {
        t,
        me: Me::of(&viewer),
        here,
        children,
        as_of: as_of.to_string(),
        month: month.to_string(),
        chart,
        changes,
        before: before.to_string(),
        rates,
        rate_regions,
        rate_companies,
        supervision,
        country: code.is_some() && viewer.check_place(Action::Read, None).is_ok(),
        oversight,
        ledger,
        by_grade,
        red,
        due,
    })
    .into_response())
}

#[derive(Deserialize)]
struct BulletinParams {
    region: String,
    month: String,
}

async fn bulletin_xlsx(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<BulletinParams>,
) -> Result<Response, UiError> {
    bulletin_file(&s, &viewer, t, &p, "xlsx").await
}

async fn bulletin_docx(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<BulletinParams>,
) -> Result<Response, UiError> {
    bulletin_file(&s, &viewer, t, &p, "docx").await
}

async fn bulletin_file(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    p: &BulletinParams,
    ext: &str,
) -> Result<Response, UiError> {
    let code = crate::ops::regions::parse_place(&p.region).page(t)?;
    viewer.check_place(Action::Read, code.as_ref()).page(t)?;
    let month = report::Month::parse(&p.month).page(t)?;
    let b = report::bulletin(&s.db, code.as_ref(), month).await.page(t)?;
    let internal = |e: String| crate::error::AppError::internal(e);
    let (bytes, mime) = if ext == "xlsx" {
        (
            report::bulletin_xlsx(&b).map_err(|e| internal(e.to_string())).page(t)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        (
            report::bulletin_docx(&b, &format!("{}红色物业工作专班", b.region_name)).map_err(internal).page(t)?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    };
    // ASCII file name plus the UTF-8 one (RFC 6266) so Excel, WPS and browsers all name it well.
    let disposition = format!(
        "attachment; filename=\"bulletin-{}-{}.{ext}\"; filename*=UTF-8''{}",
        if b.region_code.is_empty() { crate::ops::regions::COUNTRY } else { &b.region_code },
        b.month,
        crate::links::urlencode(&format!("{}月度调度通报-{}.{ext}", b.region_name, b.month))
    );
    Ok((
        [(axum::http::header::CONTENT_TYPE, mime.to_owned()), (axum::http::header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct DrillParams {
    region: String,
    as_of: String,
    kpi: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "drill.html")]
struct DrillPage {
    t: Tr,
    me: Option<Me>,
    region_name: String,
    region_code: String,
    as_of: String,
    kpi: String,
    /// Where a failing record's page is: `/compounds/`, `/organisations/` or `/people/`.
    link: &'static str,
    rows: Vec<db::kpi::Failing>,
    pager: Pager,
}

/// From a KPI to the compounds (or companies) that fail it.
async fn drill(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<DrillParams>,
) -> Result<Page, UiError> {
    let code = crate::ops::regions::parse_place(&p.region).page(t)?;
    viewer.check_place(Action::Read, code.as_ref()).page(t)?;
    let kpi = domain::kpi::Kpi::parse(&p.kpi).ok_or_else(crate::error::AppError::not_found).page(t)?;
    let as_of: NaiveDate = p
        .as_of
        .trim()
        .parse()
        .map_err(|_| {
            domain::Invalid::new("as_of", format!("{:?} is not a date (YYYY-MM-DD)", p.as_of))
                .zh(format!("“{:?}”不是日期（格式 YYYY-MM-DD）", p.as_of))
        })
        .page(t)?;
    let r = match &code {
        Some(c) => Some(db::regions::require(&s.db, c).await.page(t)?),
        None => None,
    };
    let paging = domain::Paging::new(p.page, Some(100));
    let path = db::regions::path_or_country(r.as_ref());
    let (rows, total) = db::kpi::failing(&s.db, &path, as_of, kpi, paging).await.page(t)?;
    let (r_code, r_name) = match r {
        Some(r) => (r.code, r.name),
        None => (crate::ops::regions::COUNTRY.to_owned(), t.get("region.country").to_owned()),
    };
    use domain::kpi::Kpi;
    let link = match kpi {
        Kpi::CompanyPartyCoverage | Kpi::CommitteePartyCoverage => "/organisations/",
        Kpi::ServantsInTwoCommittees | Kpi::ServantsAmongBuildingHeads => "/people/",
        _ => "/compounds/",
    };
    let as_of = as_of.to_string();
    let pager = Pager::new(
        "/dashboard/drill",
        &[("region", r_code.as_str()), ("as_of", as_of.as_str()), ("kpi", kpi.key())],
        paging,
        total,
    );
    Ok(render(&DrillPage {
        t,
        me: Me::of(&viewer),
        region_name: r_name,
        region_code: r_code,
        as_of,
        kpi: kpi.key().into(),
        link,
        rows,
        pager,
    }))
}

#[derive(Template)]
#[template(path = "kpis.html")]
struct ExplainPage {
    t: Tr,
    me: Option<Me>,
    keys: Vec<&'static str>,
}

async fn explain(viewer: Viewer, t: Tr) -> Page {
    let keys = domain::kpi::Kpi::ALL.iter().map(|k| k.key()).collect();
    render(&ExplainPage { t, me: Me::of(&viewer), keys })
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    t: Tr,
    me: Option<Me>,
    name: String,
    years: Vec<i32>,
    /// (kpi key, per year: the general target in percent text)
    general: Vec<(&'static str, Vec<String>)>,
    /// (kpi key, year, region, target text) of the regions' stricter targets
    regional: Vec<(&'static str, i32, String, String)>,
    can_manage: bool,
}

fn pct(p: i64) -> String {
    report::pct(Some(p))
}

async fn plan_page(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    let (plan, targets) =
        db::plans::current(&s.db).await.page(t)?.ok_or_else(crate::error::AppError::not_found).page(t)?;
    let years: Vec<i32> = (plan.start_year..=plan.end_year).collect();
    let general = domain::kpi::Kpi::ALL
        .iter()
        .filter(|k| targets.iter().any(|x| x.kpi == **k))
        .map(|k| {
            let row = years
                .iter()
                .map(|y| {
                    targets
                        .iter()
                        .find(|x| x.kpi == *k && x.year == *y && x.region.is_none())
                        .map(|x| pct(x.permille))
                        .unwrap_or_else(|| "—".into())
                })
                .collect();
            (k.key(), row)
        })
        .collect();
    let regional =
        targets.iter().filter_map(|x| x.region.clone().map(|r| (x.kpi.key(), x.year, r, pct(x.permille)))).collect();
    Ok(render(&PlanPage {
        t,
        me: Me::of(&viewer),
        name: plan.name,
        years,
        general,
        regional,
        can_manage: viewer.may(Action::ManagePlans),
    }))
}

#[derive(Deserialize)]
struct TargetForm {
    kpi: String,
    year: String,
    region: String,
    percent: String,
}

async fn plan_set(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    axum::extract::Form(f): axum::extract::Form<TargetForm>,
) -> Result<Redirect, UiError> {
    let year: i32 =
        f.year.trim().parse().map_err(|_| domain::Invalid::new("year", "not a year").zh("不是年份")).page(t)?;
    let percent: f64 =
        f.percent.trim().parse().map_err(|_| domain::Invalid::new("percent", "not a number").zh("不是数字")).page(t)?;
    crate::ops::plans::apply(
        &s,
        &viewer,
        &f.kpi,
        year,
        Some(f.region.as_str()).filter(|r| !r.trim().is_empty()),
        percent,
    )
    .await
    .page(t)?;
    Ok(Redirect::to("/plan"))
}
