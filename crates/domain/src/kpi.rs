//! The coverage figures of the programme, each defined once: what it counts
//! over what, and how it reads. Computed for any region as of any date from
//! the dated registry (the `db` layer counts; this layer defines).

use serde::Serialize;

/// A count over a base. The rate is undefined (shown "—") when the base is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
}

impl Ratio {
    pub fn new(num: i64, den: i64) -> Ratio {
        Ratio { num, den }
    }

    /// The share in per mille, rounded half up (exact integer arithmetic).
    pub fn permille(self) -> Option<i64> {
        (self.den > 0).then(|| (self.num * 2000 + self.den) / (self.den * 2))
    }

    /// "82.5%" or "—".
    pub fn percent_text(self) -> String {
        match self.permille() {
            Some(p) => format!("{}.{}%", p / 10, p % 10),
            None => "—".into(),
        }
    }

    /// Whether the rate reaches a target given in per mille.
    pub fn meets(self, target_permille: i64) -> Option<bool> {
        (self.den > 0).then(|| self.num * 1000 >= target_permille * self.den)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    ProfessionalCoverage,
    FullCoverage,
    CommitteeFormation,
    CompanyPartyCoverage,
    CommitteePartyCoverage,
    CompoundPartyCoverage,
    ServantsInTwoCommittees,
    ServantsAmongBuildingHeads,
    CrossAppointment,
}

impl Kpi {
    pub const ALL: [Kpi; 9] = [
        Kpi::ProfessionalCoverage,
        Kpi::FullCoverage,
        Kpi::CommitteeFormation,
        Kpi::CompanyPartyCoverage,
        Kpi::CommitteePartyCoverage,
        Kpi::CompoundPartyCoverage,
        Kpi::ServantsInTwoCommittees,
        Kpi::ServantsAmongBuildingHeads,
        Kpi::CrossAppointment,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kpi::ProfessionalCoverage => "professional_coverage",
            Kpi::FullCoverage => "full_coverage",
            Kpi::CommitteeFormation => "committee_formation",
            Kpi::CompanyPartyCoverage => "company_party_coverage",
            Kpi::CommitteePartyCoverage => "committee_party_coverage",
            Kpi::CompoundPartyCoverage => "compound_party_coverage",
            Kpi::ServantsInTwoCommittees => "servants_two_committees",
            Kpi::ServantsAmongBuildingHeads => "servants_building_heads",
            Kpi::CrossAppointment => "cross_appointment",
        }
    }

    pub fn parse(s: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// One target of a plan: a KPI's milestone for a year, for every region or
/// (stricter) for one region's subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub kpi: Kpi,
    pub year: i32,
    pub region: Option<String>,
    pub permille: i64,
}

/// The target that applies to `region` (a code) in `year`: the year clamped
/// to the plan's years; the most specific region target on the region's own
/// line wins over the general one.
pub fn target_for(targets: &[Target], kpi: Kpi, year: i32, region: &str) -> Option<i64> {
    let of_kpi: Vec<&Target> = targets.iter().filter(|t| t.kpi == kpi).collect();
    let (first, last) = (of_kpi.iter().map(|t| t.year).min()?, of_kpi.iter().map(|t| t.year).max()?);
    let year = year.clamp(first, last);
    of_kpi
        .into_iter()
        .filter(|t| t.year == year)
        .filter(|t| t.region.as_deref().is_none_or(|r| region.starts_with(r)))
        .max_by_key(|t| t.region.as_deref().map_or(0, str::len))
        .map(|t| t.permille)
}

/// The whole set for one region on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct KpiSet {
    /// Compounds existing on the date (the base C).
    pub compounds: i64,
    pub professional_coverage: Ratio,
    pub full_coverage: Ratio,
    pub committee_formation: Ratio,
    pub company_party_coverage: Ratio,
    /// Companies covered only by a party-building instructor (work coverage, reported apart).
    pub company_instructor_only: i64,
    pub committee_party_coverage: Ratio,
    /// Owners' committees the party reaches in its work (工作覆盖): a party
    /// organisation set up in it, or a member who also holds a party post
    /// (交叉任职), or a party-building instructor; over the same base as
    /// `committee_party_coverage`, reported beside it.
    pub committee_work_coverage: Ratio,
    pub compound_party_coverage: Ratio,
    pub servants_two_committees: Ratio,
    pub servants_building_heads: Ratio,
    pub cross_appointment: Ratio,
    pub red_stations: i64,
    pub community_workers: i64,
    /// Of the base, how many compounds have each fact not recorded (unknown is not zero).
    pub unrecorded: Unrecorded,
}

/// Compounds of the base whose facts are not recorded, by fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Unrecorded {
    pub year_built: i64,
    pub is_old: i64,
    pub households: i64,
    pub floor_area: i64,
}

impl KpiSet {
    pub fn get(&self, k: Kpi) -> Ratio {
        match k {
            Kpi::ProfessionalCoverage => self.professional_coverage,
            Kpi::FullCoverage => self.full_coverage,
            Kpi::CommitteeFormation => self.committee_formation,
            Kpi::CompanyPartyCoverage => self.company_party_coverage,
            Kpi::CommitteePartyCoverage => self.committee_party_coverage,
            Kpi::CompoundPartyCoverage => self.compound_party_coverage,
            Kpi::ServantsInTwoCommittees => self.servants_two_committees,
            Kpi::ServantsAmongBuildingHeads => self.servants_building_heads,
            Kpi::CrossAppointment => self.cross_appointment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_exact_and_empty_bases_show_a_dash() {
        assert_eq!(Ratio::new(2, 3).permille(), Some(667));
        assert_eq!(Ratio::new(1, 8).percent_text(), "12.5%");
        assert_eq!(Ratio::new(0, 0).percent_text(), "—");
        assert_eq!(Ratio::new(4, 5).meets(800), Some(true));
        assert_eq!(Ratio::new(79, 100).meets(800), Some(false));
        assert_eq!(Ratio::new(0, 0).meets(800), None);
        assert_eq!(Kpi::parse("committee_formation"), Some(Kpi::CommitteeFormation));
    }

    #[test]
    fn the_most_specific_target_of_the_year_applies() {
        let t = |year, region: Option<&str>, permille| Target {
            kpi: Kpi::ProfessionalCoverage,
            year,
            region: region.map(Into::into),
            permille,
        };
        let plan = vec![t(2020, None, 600), t(2021, None, 700), t(2022, None, 800), t(2022, Some("3714"), 850)];
        assert_eq!(target_for(&plan, Kpi::ProfessionalCoverage, 2021, "371402"), Some(700));
        assert_eq!(target_for(&plan, Kpi::ProfessionalCoverage, 2022, "371402"), Some(850), "德州 is stricter");
        assert_eq!(target_for(&plan, Kpi::ProfessionalCoverage, 2022, "3701"), Some(800));
        assert_eq!(
            target_for(&plan, Kpi::ProfessionalCoverage, 2019, "3701"),
            Some(600),
            "before the plan: its first year"
        );
        assert_eq!(target_for(&plan, Kpi::ProfessionalCoverage, 2026, "3714"), Some(850), "after it: its last year");
        assert_eq!(target_for(&plan, Kpi::CrossAppointment, 2022, "3714"), None);
    }
}

/// One region's line in a bulletin section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedRow {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub now: Ratio,
    pub before: Ratio,
    /// Change in per mille since the previous month, when both are defined.
    pub change: Option<i64>,
    /// How far below the target, in per mille (0 when met); `None` without a target or value.
    pub gap: Option<i64>,
    pub laggard: bool,
}

/// Rank regions on one KPI, best first; regions with no base go last. Each
/// row carries the target that applies to it. A laggard is below its target,
/// or — without a target — in the bottom third.
pub fn rank(rows: Vec<(String, String, Ratio, Ratio, Option<i64>)>) -> Vec<RankedRow> {
    let mut rows = rows;
    rows.sort_by(|a, b| b.2.permille().unwrap_or(-1).cmp(&a.2.permille().unwrap_or(-1)).then(a.0.cmp(&b.0)));
    let with_value = rows.iter().filter(|r| r.2.permille().is_some()).count();
    rows.into_iter()
        .enumerate()
        .map(|(i, (code, name, now, before, target))| {
            let change = now.permille().zip(before.permille()).map(|(a, b)| a - b);
            let gap = target.zip(now.permille()).map(|(t, v)| (t - v).max(0));
            let laggard = match (target, now.permille()) {
                (Some(t), Some(v)) => v < t,
                (None, Some(_)) => with_value >= 3 && i >= with_value - with_value / 3,
                _ => false,
            };
            RankedRow { rank: i + 1, code, name, now, before, change, gap, laggard }
        })
        .collect()
}

#[cfg(test)]
mod rank_tests {
    use super::*;

    #[test]
    fn ranks_with_change_gap_and_laggards() {
        let r = rank(vec![
            ("a".into(), "甲".into(), Ratio::new(9, 10), Ratio::new(8, 10), Some(800)),
            ("b".into(), "乙".into(), Ratio::new(7, 10), Ratio::new(7, 10), Some(800)),
            ("c".into(), "丙".into(), Ratio::new(0, 0), Ratio::new(0, 0), Some(800)),
        ]);
        assert_eq!(r.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!((r[0].change, r[0].gap, r[0].laggard), (Some(100), Some(0), false));
        assert_eq!((r[1].gap, r[1].laggard), (Some(100), true));
        assert_eq!((r[2].gap, r[2].laggard, r[2].change), (None, false, None));
    }
}
