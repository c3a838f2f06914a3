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

    /// The end-2022 target of the report's three-year plan, in per mille.
    pub fn plan_target(self) -> Option<i64> {
        match self {
            Kpi::ProfessionalCoverage => Some(800),
            Kpi::FullCoverage => Some(1000),
            Kpi::CommitteeFormation => Some(600),
            Kpi::CompanyPartyCoverage => Some(900),
            Kpi::CommitteePartyCoverage => Some(700),
            _ => None,
        }
    }
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
    pub compound_party_coverage: Ratio,
    pub servants_two_committees: Ratio,
    pub servants_building_heads: Ratio,
    pub cross_appointment: Ratio,
    pub red_stations: i64,
    pub community_workers: i64,
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
        assert_eq!(Kpi::ProfessionalCoverage.plan_target(), Some(800));
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

/// Rank regions on one KPI, best first; regions with no base go last.
/// A laggard is below the target, or — without a target — in the bottom third.
pub fn rank(rows: Vec<(String, String, Ratio, Ratio)>, target: Option<i64>) -> Vec<RankedRow> {
    let mut rows = rows;
    rows.sort_by(|a, b| b.2.permille().unwrap_or(-1).cmp(&a.2.permille().unwrap_or(-1)).then(a.0.cmp(&b.0)));
    let with_value = rows.iter().filter(|r| r.2.permille().is_some()).count();
    rows.into_iter()
        .enumerate()
        .map(|(i, (code, name, now, before))| {
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
        let r = rank(
            vec![
                ("a".into(), "甲".into(), Ratio::new(9, 10), Ratio::new(8, 10)),
                ("b".into(), "乙".into(), Ratio::new(7, 10), Ratio::new(7, 10)),
                ("c".into(), "丙".into(), Ratio::new(0, 0), Ratio::new(0, 0)),
            ],
            Some(800),
        );
        assert_eq!(r.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!((r[0].change, r[0].gap, r[0].laggard), (Some(100), Some(0), false));
        assert_eq!((r[1].gap, r[1].laggard), (Some(100), true));
        assert_eq!((r[2].gap, r[2].laggard, r[2].change), (None, false, None));
    }
}
