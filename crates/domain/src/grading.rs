//! Grading property companies (四色管理 / 信用评价 / 综合评价), issue 15's
//! first step: a scheme is data — items with points, deductions per recorded
//! fault, capped bonuses, veto items, the period, and how scores become
//! grades — and this module computes a score and a grade from counted facts,
//! every point explained. Points are integers in tenths (95.5 is 955), so a
//! score computed by hand and by the system agree exactly.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where a company's objection to a counted fact stands.
    ObjectionState, "state", "state of an objection", "异议状态" {
        Pending = "pending",
        /// Upheld: the fact no longer counts.
        Upheld = "upheld",
        Dismissed = "dismissed",
    }
);

impl ObjectionState {
    /// Those who grade have yet to rule on it.
    pub fn awaits_ruling(self) -> bool {
        self == ObjectionState::Pending
    }
}

/// How often companies are graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradingCadence))]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    Quarter,
    HalfYear,
    Year,
}

/// One grading period: its first day and the first day after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Cadence {
    /// The period of this cadence holding `d`.
    pub fn period_of(self, d: NaiveDate) -> Period {
        let months = match self {
            Cadence::Quarter => 3,
            Cadence::HalfYear => 6,
            Cadence::Year => 12,
        };
        let first = d.month0() / months * months;
        let start = NaiveDate::from_ymd_opt(d.year(), first + 1, 1).expect("a month's first day");
        let end = start.checked_add_months(chrono::Months::new(months)).expect("a later date");
        Period { start, end }
    }
}

/// What a scheme item does to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradingEffect))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Effect {
    /// `points` off per recorded fault, at most `cap` off in a period.
    Deduct { points: i64, cap: i64 },
    /// `points` on per recorded merit, at most `cap` on in a period.
    Bonus { points: i64, cap: i64 },
    /// Any one recorded fault gives the lowest grade whatever the points (一票否决).
    Veto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradingItem))]
pub struct Item {
    /// Stable key the counted facts name (`problem_overdue`, `notice_missed`, …).
    pub key: String,
    pub label: String,
    pub effect: Effect,
}

/// How scores become grades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradingBands))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Bands {
    /// Fixed cut-offs, best first: a score at or above `min` takes that grade;
    /// below every cut-off, or vetoed, the last (`lowest`).
    Fixed { cuts: Vec<(String, i64)>, lowest: String },
    /// Shandong's credit grades: fixed cut-offs down to B; under the last
    /// cut-off a company with a bad record is `with_bad`, one without stays at
    /// the last grade (B).
    Credit { cuts: Vec<(String, i64)>, with_bad: String },
    /// By ranking: the best `share` (per mille of the companies graded) take
    /// each grade in turn, the rest the last; vetoed companies go last.
    Ranked { shares: Vec<(String, i64)>, rest: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradingScheme))]
pub struct Scheme {
    pub key: String,
    pub name: String,
    pub cadence: Cadence,
    /// The score before items (tenths): 100 points is 1000.
    pub base: i64,
    pub items: Vec<Item>,
    pub bands: Bands,
    /// How often a company of each grade is inspected, in months (a grade
    /// not listed: every 3 months).
    #[serde(default)]
    pub inspect_months: Vec<(String, u32)>,
    /// Days after publication within which a company may object to an item.
    #[serde(default = "objection_days")]
    pub objection_days: i64,
}

fn objection_days() -> i64 {
    10
}

/// The longest a company may be given to object.
pub const OBJECTION_DAYS_MAX: i64 = 60;

/// One line of a score: an item, how many facts it counted, the points it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub key: String,
    pub label: String,
    pub count: i64,
    /// Signed tenths: negative for a deduction.
    pub points: i64,
    /// The cap stopped it.
    pub capped: bool,
    pub veto: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub base: i64,
    pub lines: Vec<Line>,
    /// Base plus lines, never below 0 (tenths).
    pub total: i64,
    pub vetoed: bool,
    /// Any deduction or veto counted (Shandong's "bad record").
    pub bad_record: bool,
}

impl Scheme {
    /// Months between inspections of a company of `grade`.
    pub fn inspect_every(&self, grade: &str) -> u32 {
        self.inspect_months.iter().find(|(g, _)| g == grade).map_or(3, |(_, m)| *m)
    }

    /// The grades, best first.
    pub fn grades(&self) -> Vec<String> {
        match &self.bands {
            Bands::Fixed { cuts, lowest } => cuts.iter().map(|(g, _)| g.clone()).chain([lowest.clone()]).collect(),
            Bands::Credit { cuts, with_bad } => cuts.iter().map(|(g, _)| g.clone()).chain([with_bad.clone()]).collect(),
            Bands::Ranked { shares, rest } => shares.iter().map(|(g, _)| g.clone()).chain([rest.clone()]).collect(),
        }
    }

    /// The lowest grade (a veto's).
    pub fn lowest(&self) -> String {
        self.grades().pop().unwrap_or_default()
    }

    /// Check a scheme as a supervisor sends it: a key, a name, 1–50 items
    /// with distinct keys and sane points, bands in order.
    pub fn check(&self) -> Result<(), crate::Invalid> {
        use crate::Invalid;
        let bad = |field: &'static str, en: String, zh: String| Err(Invalid::new(field, en).zh(zh));
        crate::rectify::text("name", &self.name, 100, true)?;
        if self.key.is_empty()
            || self.key.len() > 40
            || !self.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return bad(
                "key",
                "a key of 1–40 letters, digits or _".into(),
                "方案代码须为 1–40 个字母、数字或下划线".into(),
            );
        }
        if !(0..=2000).contains(&self.base) {
            return bad("base", "the base score is 0–200 points".into(), "基础分须为 0–200 分".into());
        }
        if self.items.is_empty() || self.items.len() > 50 {
            return bad("items", "1–50 items".into(), "评分项须为 1–50 项".into());
        }
        let mut keys = std::collections::HashSet::new();
        for it in &self.items {
            crate::rectify::text("items", &it.label, 100, true)?;
            if !keys.insert(it.key.as_str()) || it.key.is_empty() || it.key.len() > 40 {
                return bad(
                    "items",
                    format!("item key {:?} is empty, too long or repeated", it.key),
                    format!("评分项代码“{}”为空、过长或重复", it.key),
                );
            }
            if let Effect::Deduct { points, cap } | Effect::Bonus { points, cap } = it.effect
                && (!(1..=1000).contains(&points) || !(points..=1000).contains(&cap))
            {
                return bad(
                    "items",
                    format!("{:?}: points 0.1–100 and a cap at least the points", it.key),
                    format!("“{}”：分值须为 0.1–100，上限不低于分值", it.label),
                );
            }
        }
        let ordered = |cuts: &[(String, i64)]| {
            cuts.windows(2).all(|w| w[0].1 > w[1].1) && cuts.iter().all(|(_, m)| (0..=2000).contains(m))
        };
        let ok = match &self.bands {
            Bands::Fixed { cuts, .. } | Bands::Credit { cuts, .. } => !cuts.is_empty() && ordered(cuts),
            Bands::Ranked { shares, .. } => {
                !shares.is_empty()
                    && shares.iter().all(|(_, s)| (1..=1000).contains(s))
                    && shares.iter().map(|(_, s)| s).sum::<i64>() <= 1000
            }
        };
        if !ok {
            return bad(
                "bands",
                "cut-offs from high to low, shares adding up to at most 100%".into(),
                "分档须从高到低，比例合计不超过 100%".into(),
            );
        }
        if !(1..=OBJECTION_DAYS_MAX).contains(&self.objection_days) {
            return bad(
                "objection_days",
                format!("1–{OBJECTION_DAYS_MAX} days"),
                format!("异议期须为 1–{OBJECTION_DAYS_MAX} 天"),
            );
        }
        if self.inspect_months.iter().any(|(_, m)| !(1..=24).contains(m)) {
            return bad("inspect_months", "every 1–24 months".into(), "督导频次须为每 1–24 个月".into());
        }
        let grades = self.grades();
        if let Some((g, _)) = self.inspect_months.iter().find(|(g, _)| !grades.contains(g)) {
            return bad(
                "inspect_months",
                format!("{g:?} is not a grade of the scheme"),
                format!("“{g}”不是本方案的等级"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(g) = grades.iter().find(|g| g.is_empty() || g.len() > 20 || !seen.insert(g.as_str())) {
            return bad(
                "bands",
                format!("grade {g:?} is empty, too long or repeated"),
                format!("等级“{g}”为空、过长或重复"),
            );
        }
        Ok(())
    }

    /// The score from counted facts `(item key, count)`. Items with no facts
    /// are listed with 0 so the page shows what could move the score; keys
    /// the scheme does not know are ignored.
    pub fn score(&self, counts: &[(&str, i64)]) -> Score {
        let count = |k: &str| counts.iter().filter(|(c, _)| *c == k).map(|(_, n)| (*n).max(0)).sum::<i64>();
        let mut lines = Vec::with_capacity(self.items.len());
        for it in &self.items {
            let n = count(&it.key);
            let (points, capped, veto) = match it.effect {
                Effect::Deduct { points, cap } => {
                    let raw = points.saturating_mul(n);
                    (-raw.min(cap), raw > cap, false)
                }
                Effect::Bonus { points, cap } => {
                    let raw = points.saturating_mul(n);
                    (raw.min(cap), raw > cap, false)
                }
                Effect::Veto => (0, false, n > 0),
            };
            lines.push(Line { key: it.key.clone(), label: it.label.clone(), count: n, points, capped, veto });
        }
        let total = (self.base + lines.iter().map(|l| l.points).sum::<i64>()).max(0);
        let vetoed = lines.iter().any(|l| l.veto);
        let bad_record = vetoed || lines.iter().any(|l| l.points < 0);
        Score { base: self.base, lines, total, vetoed, bad_record }
    }

    /// The grade of one score under fixed or credit bands; `None` for
    /// ranked bands, which need every company's score ([`Scheme::rank`]).
    pub fn grade(&self, s: &Score) -> Option<String> {
        match &self.bands {
            Bands::Fixed { cuts, lowest } => Some(if s.vetoed {
                lowest.clone()
            } else {
                cuts.iter().find(|(_, min)| s.total >= *min).map_or_else(|| lowest.clone(), |(g, _)| g.clone())
            }),
            Bands::Credit { cuts, with_bad } => {
                if s.vetoed {
                    return Some(with_bad.clone());
                }
                match cuts.iter().find(|(_, min)| s.total >= *min) {
                    Some((g, _)) => Some(g.clone()),
                    None if s.bad_record => Some(with_bad.clone()),
                    None => cuts.last().map(|(g, _)| g.clone()),
                }
            }
            Bands::Ranked { .. } => None,
        }
    }

    /// Grades by ranking: `scores` as `(company, score)`; best first (ties by
    /// company id), vetoed last. Returns `(company, grade)` in rank order.
    pub fn rank(&self, scores: &[(i64, &Score)]) -> Vec<(i64, String)> {
        let mut order: Vec<&(i64, &Score)> = scores.iter().collect();
        order.sort_by_key(|(id, s)| (s.vetoed, std::cmp::Reverse(s.total), *id));
        let n = order.len() as i64;
        match &self.bands {
            Bands::Ranked { shares, rest } => {
                let mut out = Vec::with_capacity(order.len());
                let mut taken = 0i64;
                let mut bounds = Vec::new();
                for (g, share) in shares {
                    // Each grade takes its share of the whole, rounded half up.
                    taken += (share * n * 2 + 1000) / 2000;
                    bounds.push((g.clone(), taken.min(n)));
                }
                for (i, (id, s)) in order.into_iter().enumerate() {
                    let g = if s.vetoed {
                        rest.clone()
                    } else {
                        bounds.iter().find(|(_, b)| (i as i64) < *b).map_or_else(|| rest.clone(), |(g, _)| g.clone())
                    };
                    out.push((*id, g));
                }
                out
            }
            _ => order.into_iter().map(|(id, s)| (*id, self.grade(s).unwrap_or_default())).collect(),
        }
    }
}

/// A company's score over the compounds it serves: the average of the
/// compounds' scores weighted by households (a compound without a recorded
/// household count weighs 1), rounded half up; `None` without compounds.
pub fn weighted(scores: &[(i64, Option<i64>)]) -> Option<i64> {
    let w: Vec<(i64, i64)> = scores.iter().map(|(s, h)| (*s, weight(*h))).collect();
    let total: i64 = w.iter().map(|(_, h)| h).sum();
    (total > 0).then(|| (w.iter().map(|(s, h)| s * h).sum::<i64>() * 2 + total) / (total * 2))
}

/// A compound's weight in its company's score: its households, or 1 when not recorded.
pub fn weight(households: Option<i64>) -> i64 {
    households.filter(|h| *h > 0).unwrap_or(1)
}

/// What each item moved the company's weighted score by, over its compounds'
/// scores `(score, households)`: `(label, tenths)`, the largest deduction
/// first, items that moved nothing left out. (Rounded per item, so the
/// lines need not add up to the score to the last tenth.)
pub fn weighted_lines(compounds: &[(&Score, Option<i64>)]) -> Vec<(String, i64)> {
    let total: i64 = compounds.iter().map(|(_, h)| weight(*h)).sum();
    if total == 0 {
        return vec![];
    }
    let mut by: Vec<(String, i64)> = Vec::new();
    for (score, h) in compounds {
        for l in &score.lines {
            match by.iter_mut().find(|(k, _)| *k == l.label) {
                Some((_, p)) => *p += l.points * weight(*h),
                None => by.push((l.label.clone(), l.points * weight(*h))),
            }
        }
    }
    let mut out: Vec<(String, i64)> = by
        .into_iter()
        .map(|(k, p)| (k, if p < 0 { -((-p * 2 + total) / (total * 2)) } else { (p * 2 + total) / (total * 2) }))
        .filter(|(_, p)| *p != 0)
        .collect();
    out.sort_by_key(|(_, p)| *p);
    out
}

fn months(m: &[(&str, u32)]) -> Vec<(String, u32)> {
    m.iter().map(|(g, n)| (g.to_string(), *n)).collect()
}

/// A preset by its key.
pub fn preset(key: &str) -> Option<Scheme> {
    presets().into_iter().find(|s| s.key == key)
}

fn item(key: &str, label: &str, effect: Effect) -> Item {
    Item { key: key.into(), label: label.into(), effect }
}

/// The faults and merits the system records, shared by the presets.
fn common_items() -> Vec<Item> {
    use Effect::*;
    vec![
        item("problem_overdue", "诉求超期办结", Deduct { points: 20, cap: 200 }),
        item("problem_reopened", "诉求重办（群众不满意）", Deduct { points: 10, cap: 100 }),
        item("notice_missed", "整改通知逾期未整改", Deduct { points: 100, cap: 300 }),
        item("notice_returned", "整改不到位被退回", Deduct { points: 30, cap: 150 }),
        // Counted in checklist points lost (a finding that cost 4 of 15 counts
        // 4), uncapped: the on-site score carries into the grade point for point.
        item("inspection_finding", "现场督导失分（检查表每失 1 分）", Deduct { points: 10, cap: 1000 }),
        item("party_building", "党建引领（成立党组织、交叉任职）", Bonus { points: 30, cap: 50 }),
        item("honour", "获评表彰", Bonus { points: 20, cap: 50 }),
        item("fund_misuse", "挪用维修资金", Veto),
        item("refused_to_leave", "拒不退出项目", Veto),
        item("major_accident", "重大安全责任事故", Veto),
    ]
}

/// The brief's four colours: green ≥ 90, blue 80–89, yellow 60–79, red < 60 or any veto.
pub fn four_colour() -> Scheme {
    Scheme {
        key: "four_colour".into(),
        name: "物业企业“四色”管理".into(),
        cadence: Cadence::Quarter,
        base: 1000,
        items: common_items(),
        bands: Bands::Fixed {
            cuts: vec![("green".into(), 900), ("blue".into(), 800), ("yellow".into(), 600)],
            lowest: "red".into(),
        },
        inspect_months: months(&[("green", 12), ("blue", 6), ("yellow", 3), ("red", 1)]),
        objection_days: 10,
    }
}

/// Shandong's credit grades: AAA ≥ 85, AA ≥ 80, A ≥ 70, B ≥ 60 (or below 60
/// with no bad record), C below 60 with a bad record.
pub fn shandong_credit() -> Scheme {
    Scheme {
        key: "shandong_credit".into(),
        name: "山东省物业服务企业信用评价".into(),
        cadence: Cadence::Year,
        base: 1000,
        items: common_items(),
        bands: Bands::Credit {
            cuts: vec![("AAA".into(), 850), ("AA".into(), 800), ("A".into(), 700), ("B".into(), 600)],
            with_bad: "C".into(),
        },
        inspect_months: months(&[("AAA", 12), ("AA", 6), ("A", 6), ("B", 3), ("C", 1)]),
        objection_days: 15,
    }
}

/// Grades by ranking proportion, every half-year (as Beijing publishes):
/// the best 20% A, the next 50% B, the next 20% C, the rest D.
pub fn ranked() -> Scheme {
    Scheme {
        key: "ranked".into(),
        name: "物业服务综合评价（按比例分级）".into(),
        cadence: Cadence::HalfYear,
        base: 1000,
        items: common_items(),
        bands: Bands::Ranked {
            shares: vec![("A".into(), 200), ("B".into(), 500), ("C".into(), 200)],
            rest: "D".into(),
        },
        inspect_months: months(&[("A", 12), ("B", 6), ("C", 3), ("D", 1)]),
        objection_days: 10,
    }
}

/// The presets, in the order a supervisor is offered them.
pub fn presets() -> Vec<Scheme> {
    vec![four_colour(), shandong_credit(), ranked()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_by_hand_equals_the_schemes_item_by_item() {
        // 3 overdue problems (−2 each), 45 checklist points lost on site
        // (−1 each), party building twice (+3 each, capped at +5).
        let s = four_colour().score(&[
            ("problem_overdue", 3),
            ("inspection_finding", 45),
            ("party_building", 2),
            ("unknown_item", 9),
        ]);
        let line = |k: &str| s.lines.iter().find(|l| l.key == k).unwrap();
        assert_eq!(line("problem_overdue").points, -60);
        assert_eq!((line("inspection_finding").points, line("inspection_finding").capped), (-450, false));
        assert_eq!((line("party_building").points, line("party_building").capped), (50, true));
        assert_eq!(line("notice_missed").points, 0, "an item with no facts is listed at 0");
        assert_eq!(s.total, 1000 - 60 - 450 + 50);
        assert_eq!(four_colour().grade(&s).as_deref(), Some("red"), "54.0 is under 60");
        let capped = four_colour().score(&[("problem_overdue", 30)]);
        assert_eq!((capped.lines[0].points, capped.lines[0].capped), (-200, true), "at most 20 points off");
        let s = four_colour().score(&[("problem_overdue", 3), ("inspection_finding", 20)]);
        assert_eq!((s.total, four_colour().grade(&s).as_deref()), (740, Some("yellow")), "74.0 lies in 60–79");
    }

    #[test]
    fn bands_and_vetoes() {
        let fc = four_colour();
        let grade = |counts: &[(&str, i64)]| fc.grade(&fc.score(counts)).unwrap();
        assert_eq!(grade(&[]), "green");
        assert_eq!(grade(&[("problem_overdue", 5)]), "green", "90.0 is green");
        assert_eq!(grade(&[("problem_overdue", 6)]), "blue");
        assert_eq!(grade(&[("problem_overdue", 20), ("notice_missed", 2)]), "yellow", "100 − 20 − 20 = 60");
        assert_eq!(grade(&[("problem_overdue", 20), ("notice_missed", 2), ("inspection_finding", 3)]), "red", "57");
        assert_eq!(grade(&[("party_building", 1), ("fund_misuse", 1)]), "red", "a veto whatever the points");

        let sd = shandong_credit();
        let g = |counts: &[(&str, i64)]| sd.grade(&sd.score(counts)).unwrap();
        assert_eq!(g(&[]), "AAA");
        assert_eq!(g(&[("notice_missed", 2)]), "AA");
        assert_eq!(g(&[("major_accident", 1)]), "C");
        let low = Scheme { base: 550, ..shandong_credit() };
        assert_eq!(low.grade(&low.score(&[])).unwrap(), "B", "under 60 without a bad record stays B");
        assert_eq!(low.grade(&low.score(&[("problem_overdue", 1)])).unwrap(), "C");
    }

    #[test]
    fn ranked_grades_follow_shares_and_vetoes_go_last() {
        let r = ranked();
        let scores: Vec<Score> = (0..10).map(|i| r.score(&[("problem_overdue", i)])).collect();
        let mut with: Vec<(i64, &Score)> = scores.iter().enumerate().map(|(i, s)| (i as i64, s)).collect();
        let vetoed = r.score(&[("fund_misuse", 1)]);
        with.push((99, &vetoed));
        let g = r.rank(&with);
        let grades: Vec<&str> = g.iter().map(|(_, g)| g.as_str()).collect();
        // 11 companies: A round(2.2)=2, B round(5.5)=6 more (to 8), C round(2.2)=2 more (to 10), the rest D.
        assert_eq!(grades, ["A", "A", "B", "B", "B", "B", "B", "B", "C", "C", "D"]);
        assert_eq!(g.last().unwrap(), &(99, "D".to_owned()));
        assert_eq!(r.grade(&vetoed), None, "ranked grades need every company");
    }

    #[test]
    fn periods_and_weights() {
        let d: NaiveDate = "2021-08-17".parse().unwrap();
        let q = Cadence::Quarter.period_of(d);
        assert_eq!((q.start.to_string(), q.end.to_string()), ("2021-07-01".into(), "2021-10-01".into()));
        let h = Cadence::HalfYear.period_of(d);
        assert_eq!((h.start.to_string(), h.end.to_string()), ("2021-07-01".into(), "2022-01-01".into()));
        assert_eq!(Cadence::Year.period_of(d).start.to_string(), "2021-01-01");
        // 900 over 300 households and 600 over 100: (270000 + 60000) / 400 = 825.
        assert_eq!(weighted(&[(900, Some(300)), (600, Some(100))]), Some(825));
        assert_eq!(weighted(&[(901, None), (900, Some(0))]), Some(901), "unknown households weigh 1; half up");
        assert_eq!(weighted(&[]), None);
        // A 300-household compound lost 8 points on site, a 100-household one nothing:
        // the company loses 6.0 for it; a bonus of 2 at both adds 2.0.
        let s = four_colour();
        let (a, b) = (s.score(&[("inspection_finding", 8), ("honour", 1)]), s.score(&[("honour", 1)]));
        let lines = weighted_lines(&[(&a, Some(300)), (&b, Some(100))]);
        assert_eq!(lines, [("现场督导失分（检查表每失 1 分）".to_owned(), -60), ("获评表彰".to_owned(), 20)]);
        assert_eq!(presets().len(), 3);
        for p in presets() {
            p.check().unwrap();
            assert_eq!(preset(&p.key).unwrap(), p);
        }
        assert_eq!(four_colour().inspect_every("red"), 1);
        assert_eq!(four_colour().inspect_every("green"), 12);
        assert_eq!(four_colour().grades(), ["green", "blue", "yellow", "red"]);
        assert_eq!(shandong_credit().lowest(), "C");
        let mut bad = four_colour();
        bad.bands = Bands::Fixed { cuts: vec![("a".into(), 600), ("b".into(), 900)], lowest: "c".into() };
        assert_eq!(bad.check().unwrap_err().field, "bands");
        let mut bad = four_colour();
        bad.items.push(bad.items[0].clone());
        assert_eq!(bad.check().unwrap_err().field, "items");
    }
}

/// A period as people write it: `2021Q3`, `2021H2`, `2021`, or any date in
/// it (`2021-08-17`); the first day it names (the scheme's cadence then
/// finds the period holding that day).
pub fn period_day(s: &str) -> Result<NaiveDate, crate::Invalid> {
    let t = s.trim();
    let bad = || {
        crate::Invalid::new("period", format!("{t:?} is not a period (2021Q3, 2021H2, 2021 or a date)"))
            .zh(format!("“{t}”不是评价周期（如 2021Q3、2021H2、2021 或日期）"))
    };
    if let Ok(d) = t.parse::<NaiveDate>() {
        return Ok(d);
    }
    let (year, rest) = t.split_at(t.len().min(4));
    let year: i32 = year.parse().map_err(|_| bad())?;
    if !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    let month = match rest.to_ascii_uppercase().as_str() {
        "" => 1,
        "Q1" => 1,
        "Q2" => 4,
        "Q3" => 7,
        "Q4" => 10,
        "H1" => 1,
        "H2" => 7,
        _ => return Err(bad()),
    };
    NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)
}

impl Period {
    /// `2021Q3`, `2021H2` or `2021`: the period's own short name.
    pub fn name(&self) -> String {
        let months = (self.end.year() - self.start.year()) * 12 + self.end.month() as i32 - self.start.month() as i32;
        let y = self.start.year();
        match months {
            3 => format!("{y}Q{}", self.start.month0() / 3 + 1),
            6 => format!("{y}H{}", self.start.month0() / 6 + 1),
            _ => format!("{y}"),
        }
    }

    /// In words: 2021年第3季度 / 2021年下半年 / 2021年度, or Q3 2021 …
    pub fn words(&self, zh: bool) -> String {
        let n = self.name();
        let y = self.start.year();
        match (n.get(4..5), zh) {
            (Some("Q"), true) => format!("{y}年第{}季度", &n[5..]),
            (Some("H"), true) => format!("{y}年{}半年", if &n[5..] == "1" { "上" } else { "下" }),
            (_, true) => format!("{y}年度"),
            (Some("Q"), false) => format!("Q{} {y}", &n[5..]),
            (Some("H"), false) => format!("H{} {y}", &n[5..]),
            (_, false) => format!("{y}"),
        }
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    #[test]
    fn periods_by_name() {
        assert_eq!(period_day("2021Q3").unwrap().to_string(), "2021-07-01");
        assert_eq!(period_day("2021h2").unwrap().to_string(), "2021-07-01");
        assert_eq!(period_day("2021").unwrap().to_string(), "2021-01-01");
        assert_eq!(period_day("2021-08-17").unwrap().to_string(), "2021-08-17");
        for bad in ["2021Q5", "x", "", "1999", "2021-13-01", "20211"] {
            assert!(period_day(bad).is_err(), "{bad}");
        }
        let q = Cadence::Quarter.period_of(period_day("2021Q3").unwrap());
        assert_eq!((q.name(), q.words(true)), ("2021Q3".into(), "2021年第3季度".into()));
        let h = Cadence::HalfYear.period_of(period_day("2021Q3").unwrap());
        assert_eq!((h.name(), h.words(true)), ("2021H2".into(), "2021年下半年".into()));
        assert_eq!(Cadence::Year.period_of(period_day("2021Q3").unwrap()).words(false), "2021");
    }
}
