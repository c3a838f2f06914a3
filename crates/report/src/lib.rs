//! The monthly dispatch bulletin (每月调度通报): for a region and a month, each
//! KPI's child regions ranked with the change since last month, the gap to the
//! plan's target and the laggards, plus the counts. Built from month-end KPI
//! sets, so a past month's bulletin gives the same figures whenever it is made.

mod docx;
pub mod ledger;
pub use ledger::{StatementDoc, statement_xlsx};
mod png;
pub mod svg;
mod table;
mod xlsx;

use chrono::{Datelike, NaiveDate};
use db::Db;
use domain::RegionCode;
use domain::kpi::{Kpi, KpiSet, RankedRow, rank};
use serde::Serialize;

pub use docx::{NoticeDoc, bulletin_docx, notice_docx, statement_docx};
pub use table::{Cell, table_xlsx};
pub use xlsx::bulletin_xlsx;

/// A month as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, domain::Invalid> {
        let bad = || {
            domain::Invalid::new("month", format!("{s:?} is not a month (YYYY-MM)"))
                .zh(format!("“{s}”不是月份（格式 YYYY-MM）"))
        };
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let (year, month): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&month) || !(1990..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The last day of the month: the bulletin's "as of" date.
    pub fn end(self) -> NaiveDate {
        let next = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        NaiveDate::from_ymd_opt(next.0, next.1, 1).and_then(|d| d.pred_opt()).expect("valid month")
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// The month as an instant range in UTC, the days being China Standard Time (UTC+8).
    pub fn utc_range(self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let start = |y: i32, m: u32| domain::clock::start_of(NaiveDate::from_ymd_opt(y, m, 1).expect("valid month"));
        let next = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        (start(self.year, self.month), start(next.0, next.1))
    }

    pub fn of(d: NaiveDate) -> Month {
        Month { year: d.year(), month: d.month() }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub kpi: Kpi,
    pub target: Option<i64>,
    pub region_value: domain::kpi::Ratio,
    pub rows: Vec<RankedRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bulletin {
    pub region_code: String,
    pub region_name: String,
    pub month: Month,
    pub as_of: NaiveDate,
    pub totals: KpiSet,
    pub previous: KpiSet,
    pub sections: Vec<Section>,
    /// The hotline rates of the problems reported in the month.
    pub problems: domain::problem::Rates,
    /// The same per child region (every child) ...
    pub problem_regions: Vec<db::problems::GroupRates>,
    /// ... and per property company that handled any, most problems first.
    pub problem_companies: Vec<db::problems::GroupRates>,
    /// Rectification notices and inspections: the region first, then each child.
    pub oversight: Vec<OversightRow>,
    /// Companies at the lowest grade in the latest publication over the region
    /// (the red list), with the period's name; empty when none is published.
    pub red: Vec<db::oversight::Published>,
    pub red_period: String,
    /// Consultation topics and owners' votes in the month: the region first, then each child.
    pub consultation: Vec<ConsultRow>,
    /// The owners' money at the month's end: the region first, then each child.
    pub ledger: Vec<LedgerRow>,
}

/// One row of the ledger section: a region and its figures.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub name: String,
    #[serde(flatten)]
    pub figures: db::ledger::LedgerFigures,
}

/// The column heads of the ledger section after its first column.
pub const LEDGER_HEADS: [&str; 6] =
    ["应开共有资金账户", "已开", "未开", "信托制/酬金制/包干制", "信息公开率", "户均维修资金（元）"];

/// A row of the ledger section under `LEDGER_HEADS`.
pub fn ledger_cells(f: &db::ledger::LedgerFigures) -> [String; 6] {
    [
        f.due.to_string(),
        f.open.to_string(),
        f.not_open().to_string(),
        format!("{}/{}/{}", f.trust, f.fee, f.lump),
        pct(f.disclosure_permille()),
        f.fund_per_household().map_or_else(|| "—".to_owned(), domain::ledger::yuan),
    ]
}

/// One row of the consultation section: a region and its month's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultRow {
    pub name: String,
    #[serde(flatten)]
    pub figures: db::votes::Figures,
}

/// The column heads of the consultation section after its first column.
pub const CONSULT_HEADS: [&str; 6] =
    ["新提议题", "已作出决定", "已办结", "完成业主表决", "通过事项/表决事项", "业主参与率"];

/// A row of the consultation section under `CONSULT_HEADS`.
pub fn consult_cells(f: &db::votes::Figures) -> [String; 6] {
    [
        f.topics_raised.to_string(),
        f.topics_decided.to_string(),
        f.topics_done.to_string(),
        f.votes_final.to_string(),
        format!("{}/{}", f.questions_passed, f.questions_final),
        pct(f.participation_permille()),
    ]
}

/// One row of the oversight section: a region and its figures.
#[derive(Debug, Clone, Serialize)]
pub struct OversightRow {
    pub name: String,
    #[serde(flatten)]
    pub figures: db::oversight::OversightFigures,
}

/// The column heads of the oversight section after its first column.
pub const OVERSIGHT_HEADS: [&str; 6] =
    ["下发整改通知单", "已销号", "逾期未整改", "按期整改率", "本年督导", "专项整治解决诉求"];

/// A row of the oversight section under `OVERSIGHT_HEADS`.
pub fn oversight_cells(f: &db::oversight::OversightFigures) -> [String; 6] {
    [
        f.notices_issued.to_string(),
        f.notices_closed.to_string(),
        f.notices_overdue.to_string(),
        pct(f.on_time_permille()),
        f.inspections.to_string(),
        f.campaign_problems_solved.to_string(),
    ]
}

/// A period's grades as a table (heads, rows) for a workbook: rank, company,
/// grade, score, compounds, then each compound's score and the facts counted.
pub fn grades_table(g: &db::oversight::Grading, zh: bool) -> (Vec<String>, Vec<Vec<Cell>>) {
    let heads: Vec<String> = if zh {
        ["排名", "物业企业", "等级", "得分", "服务小区", "一票否决", "扣分事实", "加分事实", "评价方案", "周期"]
    } else {
        ["Rank", "Company", "Grade", "Score", "Compounds", "Vetoed", "Faults", "Merits", "Scheme", "Period"]
    }
    .iter()
    .map(|h| h.to_string())
    .collect();
    let rows = g
        .companies
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let facts: Vec<&db::oversight::Fact> = g.facts.iter().filter(|f| f.company_id == c.company_id).collect();
            let bad = |f: &db::oversight::Fact| {
                g.scheme
                    .scheme
                    .items
                    .iter()
                    .any(|it| it.key == f.key && !matches!(it.effect, domain::grading::Effect::Bonus { .. }))
            };
            vec![
                Cell::Int(i as i64 + 1),
                Cell::Text(c.name.clone()),
                Cell::Text(c.grade.clone()),
                Cell::Text(format!("{}.{}", c.score / 10, c.score % 10)),
                Cell::Int(c.compounds.len() as i64),
                Cell::Text(if c.vetoed { "是".into() } else { String::new() }),
                Cell::Int(facts.iter().filter(|f| bad(f)).map(|f| f.count).sum()),
                Cell::Int(facts.iter().filter(|f| !bad(f)).map(|f| f.count).sum()),
                Cell::Text(g.scheme.scheme.name.clone()),
                Cell::Text(g.period.words(zh)),
            ]
        })
        .collect();
    (heads, rows)
}

impl Bulletin {
    /// Short summary lines (Chinese, the bulletin's language).
    pub fn summary(&self) -> Vec<String> {
        let mut out = vec![format!(
            "截至{}，{}共有小区{}个（上月{}个）。",
            self.as_of.format("%Y年%m月%d日"),
            self.region_name,
            self.totals.compounds,
            self.previous.compounds
        )];
        let p = &self.problems;
        out.push(format!(
            "本月受理群众诉求{}件，响应率{}，解决率{}，按时办结率{}，满意率{}。",
            p.submitted,
            p.response().percent_text(),
            p.resolution().percent_text(),
            p.on_time().percent_text(),
            p.satisfaction().percent_text()
        ));
        for s in &self.sections {
            let lag: Vec<&str> = s.rows.iter().filter(|r| r.laggard).map(|r| r.name.as_str()).collect();
            let target = s.target.map(|t| format!("，目标{}%", t / 10)).unwrap_or_default();
            let mut line = format!("{}{}{}", name_zh(s.kpi), s.region_value.percent_text(), target);
            // A summary names at most 20 laggards; the section's table lists them all.
            if !lag.is_empty() {
                let shown = lag.iter().take(20).copied().collect::<Vec<_>>().join("、");
                let more = if lag.len() > 20 { format!("等{}个", lag.len()) } else { String::new() };
                line.push_str(&format!("，未达标或排名靠后：{shown}{more}"));
            }
            line.push('。');
            out.push(line);
        }
        if let Some(f) = self.oversight.first().map(|r| &r.figures)
            && f.notices_issued > 0
        {
            out.push(format!(
                "累计下发整改通知单{}张，已销号{}张，逾期未整改{}张，按期整改率{}；本年开展现场督导{}次。",
                f.notices_issued,
                f.notices_closed,
                f.notices_overdue,
                pct(f.on_time_permille()),
                f.inspections
            ));
        }
        if let Some(f) = self.consultation.first().map(|r| &r.figures)
            && (f.topics_raised > 0 || f.votes_final > 0)
        {
            out.push(format!(
                "本月新提议题{}个、作出决定{}个、办结{}个；完成业主表决{}次，{}项表决事项中通过{}项，业主参与率{}。",
                f.topics_raised,
                f.topics_decided,
                f.topics_done,
                f.votes_final,
                f.questions_final,
                f.questions_passed,
                pct(f.participation_permille())
            ));
        }
        if let Some(f) = self.ledger.first().map(|r| &r.figures)
            && (f.due > 0 || f.open > 0)
        {
            out.push(format!(
                "应开共有资金账户{}个，已开{}个、未开{}个（信托制{}个、酬金制{}个、包干制{}个）；上月收支按时公开率{}。",
                f.due,
                f.open,
                f.not_open(),
                f.trust,
                f.fee,
                f.lump,
                pct(f.disclosure_permille())
            ));
        }
        if !self.red.is_empty() {
            let names: Vec<&str> = self.red.iter().take(20).map(|r| r.company_name.as_str()).collect();
            out.push(format!(
                "{}评价为最低等级的物业企业{}家：{}。",
                self.red_period,
                self.red.len(),
                names.join("、")
            ));
        }
        out
    }
}

/// The column heads of a table of hotline rates after its first column.
pub const RATE_HEADS: [&str; 5] = ["诉求数", "响应率", "解决率", "按时办结率", "满意率"];

/// A row of hotline rates under `RATE_HEADS`.
pub fn rate_cells(r: &domain::problem::Rates) -> [String; 5] {
    [
        r.submitted.to_string(),
        r.response().percent_text(),
        r.resolution().percent_text(),
        r.on_time().percent_text(),
        r.satisfaction().percent_text(),
    ]
}

/// A per-mille value as "82.5%", or "—".
pub fn pct(p: Option<i64>) -> String {
    p.map(|v| format!("{}.{}%", v / 10, v.rem_euclid(10))).unwrap_or_else(|| "—".into())
}

/// A change in per mille as percentage points with a sign: "+1.5", "-0.3", "0.0", or "—".
pub fn signed(p: Option<i64>) -> String {
    match p {
        Some(v) if v > 0 => format!("+{}.{}", v / 10, v % 10),
        Some(v) if v < 0 => format!("-{}.{}", -v / 10, -v % 10),
        Some(_) => "0.0".into(),
        None => "—".into(),
    }
}

pub fn name_zh(k: Kpi) -> &'static str {
    match k {
        Kpi::ProfessionalCoverage => "专业化物业服务覆盖率",
        Kpi::FullCoverage => "物业服务覆盖率",
        Kpi::CommitteeFormation => "业委会组建率",
        Kpi::CompanyPartyCoverage => "物业企业党组织覆盖率",
        Kpi::CommitteePartyCoverage => "业委会党组织覆盖率",
        Kpi::CompoundPartyCoverage => "小区党组织覆盖率",
        Kpi::ServantsInTwoCommittees => "“两委”成员中公职人员占比",
        Kpi::ServantsAmongBuildingHeads => "楼长中公职人员占比",
        Kpi::CrossAppointment => "交叉任职率",
    }
}

/// What the country is called where a region's name would stand.
pub const COUNTRY: &str = "全国";

/// Make the bulletin of `region` (`None`: the whole country, by province) for `month`.
pub async fn bulletin(db: &Db, region: Option<&RegionCode>, month: Month) -> Result<Bulletin, db::DbError> {
    let r = match region {
        Some(code) => Some(db::regions::require(db, code).await?),
        None => None,
    };
    let path = db::regions::path_or_country(r.as_ref());
    let targets = db::plans::current(db).await?.map(|(_, t)| t).unwrap_or_default();
    let (now, before) = (month.end(), month.previous().end());
    let totals = db::kpi::kpis(db, &path, now).await?;
    let previous = db::kpi::kpis(db, &path, before).await?;
    let kids = db::regions::kids(db, region).await?;
    let paths: Vec<_> = kids.iter().map(|c| c.region_path()).collect();
    let (a, b) = (db::kpi::kpis_many(db, &paths, now).await?, db::kpi::kpis_many(db, &paths, before).await?);
    let children: Vec<_> =
        kids.into_iter().zip(a.into_iter().zip(b)).map(|(c, (a, b))| (c.code, c.name, a, b)).collect();
    let (code, name) = r.map_or_else(|| (String::new(), COUNTRY.to_owned()), |r| (r.code, r.name));
    let sections = Kpi::ALL
        .into_iter()
        .map(|k| Section {
            kpi: k,
            target: domain::kpi::target_for(&targets, k, month.year, &code),
            region_value: totals.get(k),
            rows: rank(
                children
                    .iter()
                    .map(|(code, name, a, b)| {
                        let t = domain::kpi::target_for(&targets, k, month.year, code);
                        (code.clone(), name.clone(), a.get(k), b.get(k), t)
                    })
                    .collect(),
            ),
        })
        .collect();
    let (from, to) = month.utc_range();
    let problems = db::problems::rates(db, region.map(|_| &path), None, from, to).await?;
    let problem_regions = db::problems::rates_by_child(db, region, from, to).await?;
    let problem_companies = db::problems::rates_by_company(db, &path, from, to).await?;
    let mut oversight = vec![OversightRow {
        name: name.clone(),
        figures: db::oversight::oversight_figures(db, region.map(|_| &path), now).await?,
    }];
    for ((_, child, _, _), p) in children.iter().zip(&paths) {
        oversight.push(OversightRow {
            name: child.clone(),
            figures: db::oversight::oversight_figures(db, Some(p), now).await?,
        });
    }
    let (mut red, mut red_period) = (Vec::new(), String::new());
    if let Some(code) = region
        && let Some(p) = db::oversight::latest_publication(db, code, now).await?
    {
        let lowest = p.scheme()?.lowest();
        red = db::oversight::results(db, p.id).await?.into_iter().filter(|r| r.grade == lowest).collect();
        red_period = domain::grading::Period { start: p.period_start, end: p.period_end }.words(true);
    }
    let first = NaiveDate::from_ymd_opt(month.year, month.month, 1).unwrap_or(now);
    let mut consultation =
        vec![ConsultRow { name: name.clone(), figures: db::votes::figures(db, path.as_str(), first, now).await? }];
    for ((_, child, _, _), p) in children.iter().zip(&paths) {
        consultation
            .push(ConsultRow { name: child.clone(), figures: db::votes::figures(db, p.as_str(), first, now).await? });
    }
    let mut ledger =
        vec![LedgerRow { name: name.clone(), figures: db::ledger::figures(db, &code, path.as_str(), first).await? }];
    for ((child_code, child, _, _), p) in children.iter().zip(&paths) {
        ledger.push(LedgerRow {
            name: child.clone(),
            figures: db::ledger::figures(db, child_code, p.as_str(), first).await?,
        });
    }
    Ok(Bulletin {
        consultation,
        ledger,
        region_code: code,
        region_name: name,
        month,
        as_of: now,
        totals,
        previous,
        sections,
        problems,
        problem_regions,
        problem_companies,
        oversight,
        red,
        red_period,
    })
}

/// Month ends from `from` to `to` (inclusive), at most `max` of them (the latest).
pub fn month_ends(from: Month, to: Month, max: usize) -> Vec<Month> {
    let mut out = Vec::new();
    let mut m = to;
    while out.len() < max && (m.year, m.month) >= (from.year, from.month) {
        out.push(m);
        m = m.previous();
    }
    out.reverse();
    out
}

/// The monthly trend of the compound-level KPIs of a region, as an SVG chart.
/// The trend chart of four coverage KPIs, month end by month end. `name`
/// gives each KPI's name and `title` the chart's, in the reader's language.
pub async fn trend_svg(
    db: &Db,
    region: Option<&RegionCode>,
    from: Month,
    to: Month,
    name: impl Fn(Kpi) -> String,
    title: &str,
) -> Result<String, db::DbError> {
    let r = match region {
        Some(code) => Some(db::regions::require(db, code).await?),
        None => None,
    };
    let path = db::regions::path_or_country(r.as_ref());
    let shown = r.map_or_else(|| COUNTRY.to_owned(), |r| r.name);
    let months = month_ends(from, to, 84);
    let mut prof = Vec::new();
    let mut full = Vec::new();
    let mut committee = Vec::new();
    let mut branch = Vec::new();
    let dates: Vec<NaiveDate> = months.iter().map(|m| m.end()).collect();
    for b in db::kpi::base_series(db, &path, &dates).await? {
        let rate = |x: i64| domain::kpi::Ratio::new(x, b.n).permille();
        prof.push(rate(b.prof));
        full.push(rate(b.covered));
        committee.push(rate(b.committee));
        branch.push(rate(b.branch));
    }
    let labels: Vec<String> = months.iter().map(|m| m.to_string()).collect();
    let series = vec![
        svg::Series { label: name(Kpi::ProfessionalCoverage), colour: "#b71c1c", values: prof },
        svg::Series { label: name(Kpi::FullCoverage), colour: "#1565c0", values: full },
        svg::Series { label: name(Kpi::CommitteeFormation), colour: "#2e7d32", values: committee },
        svg::Series { label: name(Kpi::CompoundPartyCoverage), colour: "#ef6c00", values: branch },
    ];
    Ok(svg::trend(&labels, &series, &[(800, "80%"), (600, "60%")], &format!("{shown} {title}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_and_go_back() {
        let m = Month::parse("2022-02").unwrap();
        assert_eq!(m.end().to_string(), "2022-02-28");
        assert_eq!(Month::parse("2024-02").unwrap().end().to_string(), "2024-02-29");
        assert_eq!(Month::parse("2022-01").unwrap().previous().to_string(), "2021-12");
        assert!(Month::parse("2022-13").is_err());
        assert!(Month::parse("22-1x").is_err());
        assert_eq!((pct(Some(825)), pct(None)), ("82.5%".to_owned(), "—".to_owned()));
        assert_eq!((signed(Some(15)), signed(Some(-3)), signed(Some(0))), ("+1.5".into(), "-0.3".into(), "0.0".into()));
        let ms = month_ends(Month::parse("2020-11").unwrap(), Month::parse("2021-02").unwrap(), 10);
        assert_eq!(ms.iter().map(|m| m.to_string()).collect::<Vec<_>>(), ["2020-11", "2020-12", "2021-01", "2021-02"]);
        assert_eq!(month_ends(Month::parse("2020-01").unwrap(), Month::parse("2022-12").unwrap(), 12).len(), 12);
        let (a, b) = Month::parse("2022-12").unwrap().utc_range();
        assert_eq!(
            (a.to_rfc3339(), b.to_rfc3339()),
            ("2022-11-30T16:00:00+00:00".into(), "2022-12-31T16:00:00+00:00".into())
        );
    }
}
