//! The maintained figures (decision 0010): every KPI is a ratio of counters,
//! and every counter is a sum, over the registry's entities (compounds,
//! organisations, people), of whether each one counts in a region on a day.
//! An entity's *contribution* is the spans of days in which it counts, per
//! counter and region; the store keeps each entity's contribution and, per
//! region, the +1/−1 steps of all contributions. A KPI set is then a sum of
//! steps up to its date, whatever the size of the region.
//!
//! This module is the pure part: how an entity's contribution follows from
//! its dated facts (the same rules as the from-scratch count in
//! `db::kpi::count_from_facts`), the algebra of spans, and the steps between
//! an old and a new contribution. Loading and storing are in `db::figures`.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::kpi::{KpiSet, Ratio, Unrecorded};

/// A day as stored: days since 0001-01-01 (CE day 1). `OPEN` ends a span that has not ended.
pub type Day = i32;
pub const OPEN: Day = Day::MAX;
/// "Since before records": a compound without a year, a fact without a start.
pub const EVER: Day = 1;

pub fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

pub fn date(d: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MIN)
}

/// Half-open spans of days `[from, to)`, sorted, disjoint and not touching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spans(Vec<(Day, Day)>);

impl Spans {
    pub fn none() -> Spans {
        Spans(Vec::new())
    }

    pub fn always() -> Spans {
        Spans(vec![(EVER, OPEN)])
    }

    /// `[from, to)`; empty when it ends before it starts.
    pub fn one(from: Day, to: Day) -> Spans {
        if from < to { Spans(vec![(from, to)]) } else { Spans::none() }
    }

    /// `[from, to)` of dates, `None` for an open end.
    pub fn dates(from: NaiveDate, to: Option<NaiveDate>) -> Spans {
        Spans::one(day(from), to.map_or(OPEN, day))
    }

    /// Until `to` (exclusive), or always.
    pub fn until(to: Option<NaiveDate>) -> Spans {
        Spans::one(EVER, to.map_or(OPEN, day))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pieces(&self) -> &[(Day, Day)] {
        &self.0
    }

    pub fn holds(&self, d: Day) -> bool {
        self.0.iter().any(|&(a, b)| a <= d && d < b)
    }

    pub fn union(&self, other: &Spans) -> Spans {
        let mut all: Vec<(Day, Day)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(Day, Day)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Spans(out)
    }

    pub fn intersect(&self, other: &Spans) -> Spans {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (from, to) = (a.0.max(b.0), a.1.min(b.1));
            if from < to {
                out.push((from, to));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        Spans(out)
    }

    pub fn add(&mut self, other: &Spans) {
        *self = self.union(other);
    }
}

impl FromIterator<Spans> for Spans {
    fn from_iter<I: IntoIterator<Item = Spans>>(iter: I) -> Spans {
        iter.into_iter().fold(Spans::none(), |acc, s| acc.union(&s))
    }
}

/// The counters behind the KPIs. The numbers are stored: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Counter {
    /// Compounds of the base C, and of them: professionally served, served
    /// at all, with a committee in office, with a party branch, with the
    /// branch cross-appointed, and with each fact not recorded.
    Compounds = 1,
    Professional = 2,
    Served = 3,
    Committee = 4,
    Branch = 5,
    Cross = 6,
    NoYear = 7,
    NoOld = 8,
    NoHouseholds = 9,
    NoArea = 10,
    /// Distinct companies serving the base; with a party organisation; with an instructor only.
    Companies = 11,
    CompaniesOrganised = 12,
    CompaniesInstructor = 13,
    /// Distinct owners' committees in office over the base; party-covered; reached in work.
    Committees = 14,
    CommitteesCovered = 15,
    CommitteesWorked = 16,
    RedStations = 17,
    /// Distinct people on the two committees; of them public servants; the same for building heads.
    TwoCommittees = 18,
    TwoCommitteesServants = 19,
    Heads = 20,
    HeadsServants = 21,
    CommunityWorkers = 22,
    /// Compounds with an owners' committee in office and a common-funds
    /// account open (应开 is `Committee`); and compounds whose open common
    /// account follows each model (包干制 / 酬金制 / 信托制).
    LedgerOpen = 23,
    ModelLump = 24,
    ModelFee = 25,
    ModelTrust = 26,
}

impl Counter {
    pub const ALL: [Counter; 26] = [
        Counter::Compounds,
        Counter::Professional,
        Counter::Served,
        Counter::Committee,
        Counter::Branch,
        Counter::Cross,
        Counter::NoYear,
        Counter::NoOld,
        Counter::NoHouseholds,
        Counter::NoArea,
        Counter::Companies,
        Counter::CompaniesOrganised,
        Counter::CompaniesInstructor,
        Counter::Committees,
        Counter::CommitteesCovered,
        Counter::CommitteesWorked,
        Counter::RedStations,
        Counter::TwoCommittees,
        Counter::TwoCommitteesServants,
        Counter::Heads,
        Counter::HeadsServants,
        Counter::CommunityWorkers,
        Counter::LedgerOpen,
        Counter::ModelLump,
        Counter::ModelFee,
        Counter::ModelTrust,
    ];

    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(c: i16) -> Option<Counter> {
        Counter::ALL.into_iter().find(|k| k.code() == c)
    }
}

/// The counters of one region on one date, as a KPI set.
pub fn kpi_set(v: &HashMap<Counter, i64>) -> KpiSet {
    let g = |k: Counter| v.get(&k).copied().unwrap_or(0);
    let n = g(Counter::Compounds);
    KpiSet {
        compounds: n,
        professional_coverage: Ratio::new(g(Counter::Professional), n),
        full_coverage: Ratio::new(g(Counter::Served), n),
        committee_formation: Ratio::new(g(Counter::Committee), n),
        company_party_coverage: Ratio::new(g(Counter::CompaniesOrganised), g(Counter::Companies)),
        company_instructor_only: g(Counter::CompaniesInstructor),
        committee_party_coverage: Ratio::new(g(Counter::CommitteesCovered), g(Counter::Committees)),
        committee_work_coverage: Ratio::new(g(Counter::CommitteesWorked), g(Counter::Committees)),
        compound_party_coverage: Ratio::new(g(Counter::Branch), n),
        servants_two_committees: Ratio::new(g(Counter::TwoCommitteesServants), g(Counter::TwoCommittees)),
        servants_building_heads: Ratio::new(g(Counter::HeadsServants), g(Counter::Heads)),
        cross_appointment: Ratio::new(g(Counter::Cross), g(Counter::Branch)),
        red_stations: g(Counter::RedStations),
        community_workers: g(Counter::CommunityWorkers),
        unrecorded: Unrecorded {
            year_built: g(Counter::NoYear),
            is_old: g(Counter::NoOld),
            households: g(Counter::NoHouseholds),
            floor_area: g(Counter::NoArea),
        },
    }
}

/// The region levels whose counters are kept: the country (key 0),
/// province, city, county, street and community. A grid holds a handful of
/// compounds, counted from the facts as fast as read; a community is kept
/// because a street's dashboard ranks dozens of them (counted one by one on
/// PostgreSQL that page took 290 ms).
pub const KEPT_LEN: [usize; 6] = [0, 2, 4, 6, 9, 12];

/// The key of a region code at a kept level (the code's digits; 0 for the country).
/// A code with a leading zero (no real division has one) is not kept: as a
/// number it would lose its zero and its level.
pub fn key_of(code: &str) -> Option<i64> {
    if code.is_empty() {
        return Some(0);
    }
    let kept = KEPT_LEN.contains(&code.len()) && !code.starts_with('0') && code.bytes().all(|b| b.is_ascii_digit());
    kept.then(|| code.parse().ok())?
}

/// The kept regions holding a region code (itself, if kept, and its ancestors), widest first.
pub fn kept_over(code: &str) -> Vec<i64> {
    KEPT_LEN.iter().filter(|&&l| l <= code.len()).filter_map(|&l| key_of(&code[..l])).collect()
}

/// The region code at the end of a stored path `/37/3714/…/`.
pub fn code_of_path(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// One piece of a contribution: the spans in which the entity counts for
/// `counter` in region `at` (a key) — and, when `up`, in every kept region
/// above it too (a compound counts once wherever it lies; an organisation
/// or a person may count in several places, so theirs are listed per region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part(pub i64, pub bool, pub i16, pub Spans);

/// An entity's whole contribution.
pub type Parts = Vec<Part>;

/// The regions a key stands for with its kept ancestors.
fn with_ancestors(key: i64) -> Vec<i64> {
    kept_over(&if key == 0 { String::new() } else { key.to_string() })
}

/// Add to `into` the steps `(region, counter, day) → change` that turn `old`
/// into `new`. Sums that come to zero stay in the map (the caller drops them
/// once, not at every entity).
pub fn steps(old: &Parts, new: &Parts, into: &mut HashMap<(i64, i16, Day), i64>) {
    for (parts, sign) in [(old, -1), (new, 1)] {
        for Part(at, up, counter, spans) in parts {
            let regions = if *up { with_ancestors(*at) } else { vec![*at] };
            for r in regions {
                for &(a, b) in spans.pieces() {
                    *into.entry((r, *counter, a)).or_default() += sign;
                    if b != OPEN {
                        *into.entry((r, *counter, b)).or_default() -= sign;
                    }
                }
            }
        }
    }
}

/// The grains a step is kept at, so that a sum up to any day reads few rows:
/// by year, by month and by day. A value on day `d` is the year steps
/// before `d`'s year, the month steps of `d`'s year before its month, and the
/// day steps of its month up to `d` (see [`bounds`]).
pub fn buckets(d: Day) -> [(i16, i32); 3] {
    let t = date(d);
    [(0, t.year()), (1, t.year() * 12 + t.month0() as i32), (2, d)]
}

/// The bucket bounds of the three grains for a sum up to day `d` inclusive:
/// years `< y`, months in `[y*12, m)`, days in `[first of month, d]`.
pub fn bounds(d: NaiveDate) -> (i32, i32, i32, i32, i32) {
    let first = d.with_day(1).unwrap_or(d);
    (d.year(), d.year() * 12, d.year() * 12 + d.month0() as i32, day(first), day(d))
}

// ---- what each entity contributes -------------------------------------------

/// A compound as the figures need it.
#[derive(Debug, Clone, Default)]
pub struct CompoundIn {
    pub region: String,
    pub year_built: Option<i32>,
    /// The day (China time) it was retired: it no longer counts from that day.
    pub retired: Option<NaiveDate>,
    pub unrecorded: String,
    pub facts: Vec<FactIn>,
    /// Pairs of posts of one person: one on a party organisation of the
    /// compound, one on its committee or on a company.
    pub cross: Vec<CrossIn>,
    /// Its common-funds accounts: the model and the days each is open.
    pub accounts: Vec<(crate::ledger::Model, Spans)>,
}

impl CompoundIn {
    /// The days the compound is in the base C: from the first day of the
    /// year it was built (always, if unknown) until it was retired.
    pub fn base(year_built: Option<i32>, retired: Option<NaiveDate>) -> Spans {
        let from = year_built.and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1)).map_or(EVER, day);
        Spans::one(from, retired.map_or(OPEN, day))
    }
}

#[derive(Debug, Clone)]
pub struct FactIn {
    pub kind: String,
    pub value: Option<String>,
    pub ref_id: Option<i64>,
    pub span: Spans,
    /// The referenced committee's term end (it leaves office that day).
    pub term_end: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct CrossIn {
    /// Both posts held.
    pub span: Spans,
    /// The other post's organisation: a committee of the compound (with its term end) or a company.
    pub committee: bool,
    pub org: i64,
    pub term_end: Option<NaiveDate>,
}

/// Exactly as stored (the SQL compares exactly; `find` would trim).
fn is_professional(value: Option<&str>) -> bool {
    value.is_some_and(|v| crate::ServiceModel::ALL.iter().any(|m| m.as_str() == v && m.is_professional()))
}

/// The lowest kept region over `code`, with `up` (counts in all above).
fn home(code: &str) -> i64 {
    kept_over(code).last().copied().unwrap_or(0)
}

pub fn compound_parts(c: &CompoundIn) -> Parts {
    let base = CompoundIn::base(c.year_built, c.retired);
    if base.is_empty() {
        return Vec::new();
    }
    let of = |kind: &str, keep: &dyn Fn(&FactIn) -> bool| -> Spans {
        c.facts.iter().filter(|f| f.kind == kind && keep(f)).map(|f| f.span.clone()).collect()
    };
    let professional = of("service_model", &|f| is_professional(f.value.as_deref()));
    let served = of("service_model", &|f| f.value.as_deref().is_some_and(|v| v != "none"));
    let committee: Spans = c
        .facts
        .iter()
        .filter(|f| f.kind == "owners_committee")
        .map(|f| f.span.intersect(&Spans::until(f.term_end)))
        .collect();
    let branch = base.intersect(&of("party_branch", &|_| true));
    let cross: Spans = c
        .cross
        .iter()
        .map(|x| {
            if x.committee {
                x.span.intersect(&Spans::until(x.term_end))
            } else {
                x.span.intersect(&of("company", &|f| f.ref_id == Some(x.org)))
            }
        })
        .collect();
    let open: Spans = c.accounts.iter().map(|(_, s)| s.clone()).collect();
    let model = |m: crate::ledger::Model| -> Spans {
        base.intersect(&c.accounts.iter().filter(|(k, _)| *k == m).map(|(_, s)| s.clone()).collect())
    };
    let at = home(&c.region);
    let mut parts = vec![
        (Counter::LedgerOpen, base.intersect(&committee).intersect(&open)),
        (Counter::ModelLump, model(crate::ledger::Model::Lump)),
        (Counter::ModelFee, model(crate::ledger::Model::Fee)),
        (Counter::ModelTrust, model(crate::ledger::Model::Trust)),
        (Counter::Compounds, base.clone()),
        (Counter::Professional, base.intersect(&professional)),
        (Counter::Served, base.intersect(&served)),
        (Counter::Committee, base.intersect(&committee)),
        (Counter::Cross, branch.intersect(&cross)),
        (Counter::Branch, branch),
    ];
    if c.year_built.is_none() {
        parts.push((Counter::NoYear, base.clone()));
    }
    for (word, k) in
        [("is_old", Counter::NoOld), ("households", Counter::NoHouseholds), ("floor_area", Counter::NoArea)]
    {
        if c.unrecorded.contains(word) {
            parts.push((k, base.clone()));
        }
    }
    parts.into_iter().filter(|(_, s)| !s.is_empty()).map(|(k, s)| Part(at, true, k.code(), s)).collect()
}

/// A compound an organisation serves or a post lies in: where it is and its base.
#[derive(Debug, Clone)]
pub struct Place {
    pub region: String,
    pub base: Spans,
}

/// An organisation as the figures need it.
#[derive(Debug, Clone, Default)]
pub struct OrgIn {
    pub kind: String,
    pub region: String,
    pub established: Option<NaiveDate>,
    pub retired: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    /// Facts of compounds naming it: (fact kind, fact span, the compound).
    pub named: Vec<(String, Spans, Place)>,
    /// Its dated party coverage (company): (value, span).
    pub coverage: Vec<(String, Spans)>,
    /// The earliest establishment of a party organisation set up in it (a
    /// committee): `Some(None)` since before records, `None` not covered.
    pub covered_since: Option<Option<NaiveDate>>,
    /// Its members (a committee): the days each holds the post and, unless an
    /// instructor, the days they also hold any party post.
    pub members: Vec<(bool, Spans, Spans)>,
}

/// Per region (every kept one over each place), the union of spans.
fn spread(items: impl IntoIterator<Item = (String, Spans)>) -> HashMap<i64, Spans> {
    let mut out: HashMap<i64, Spans> = HashMap::new();
    for (region, spans) in items {
        if spans.is_empty() {
            continue;
        }
        for k in kept_over(&region) {
            out.entry(k).or_default().add(&spans);
        }
    }
    out
}

fn listed(out: &mut Parts, counter: Counter, per: &HashMap<i64, Spans>, with: &Spans) {
    let mut keys: Vec<_> = per.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let s = per[&k].intersect(with);
        if !s.is_empty() {
            out.push(Part(k, false, counter.code(), s));
        }
    }
}

pub fn org_parts(o: &OrgIn) -> Parts {
    let mut out = Vec::new();
    let named = |kind: &str, extra: &Spans| {
        spread(
            o.named
                .iter()
                .filter(|(k, _, _)| k == kind)
                .map(|(_, s, p)| (p.region.clone(), s.intersect(&p.base).intersect(extra))),
        )
    };
    // As a company: distinct per region, with its coverage on the day.
    let serving = named("company", &Spans::always());
    if !serving.is_empty() {
        let cov = |keep: &dyn Fn(crate::org::PartyCoverage) -> bool| -> Spans {
            o.coverage
                .iter()
                .filter(|(v, _)| crate::org::PartyCoverage::ALL.iter().any(|c| c.as_str() == v && keep(*c)))
                .map(|(_, s)| s.clone())
                .collect()
        };
        listed(&mut out, Counter::Companies, &serving, &Spans::always());
        listed(&mut out, Counter::CompaniesOrganised, &serving, &cov(&|c| c.is_organisational()));
        listed(
            &mut out,
            Counter::CompaniesInstructor,
            &serving,
            &cov(&|c| c == crate::org::PartyCoverage::InstructorOnly),
        );
    }
    // As an owners' committee: in office, covered, reached in work.
    let office = named("owners_committee", &Spans::until(o.term_end));
    if !office.is_empty() {
        let covered = match o.covered_since {
            Some(since) => Spans::one(since.map_or(EVER, day), OPEN),
            None => Spans::none(),
        };
        let worked: Spans = o
            .members
            .iter()
            .map(|(instructor, post, party)| if *instructor { post.clone() } else { post.intersect(party) })
            .chain([covered.clone()])
            .collect();
        listed(&mut out, Counter::Committees, &office, &Spans::always());
        listed(&mut out, Counter::CommitteesCovered, &office, &covered);
        listed(&mut out, Counter::CommitteesWorked, &office, &worked);
    }
    // As a red station: where it is registered, and where the compounds it serves are.
    if o.kind == "red_station" {
        let life = Spans::one(o.established.map_or(EVER, day), o.retired.map_or(OPEN, day));
        let mut at = named("red_station", &Spans::always());
        for k in kept_over(&o.region) {
            at.entry(k).or_default().add(&Spans::always());
        }
        listed(&mut out, Counter::RedStations, &at, &life);
    }
    out
}

/// A post as the figures need it.
#[derive(Debug, Clone)]
pub struct PostIn {
    pub role: String,
    pub span: Spans,
    /// The region of the post itself (its path's code), if it has one.
    pub region: Option<String>,
    /// The post is on a compound's party branch or committee: the compound
    /// (its committee's term already cut from `span`).
    pub two_committees: Option<Place>,
    /// The post is on a building: its compound.
    pub building: Option<Place>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonIn {
    /// The days they are a public servant.
    pub servant: Spans,
    pub posts: Vec<PostIn>,
}

pub fn person_parts(p: &PersonIn) -> Parts {
    let mut out = Vec::new();
    let two = spread(
        p.posts.iter().filter_map(|x| x.two_committees.as_ref().map(|c| (c.region.clone(), x.span.intersect(&c.base)))),
    );
    listed(&mut out, Counter::TwoCommittees, &two, &Spans::always());
    listed(&mut out, Counter::TwoCommitteesServants, &two, &p.servant);
    // A building head counts where both the post and its compound lie.
    let mut heads: HashMap<i64, Spans> = HashMap::new();
    for x in p.posts.iter().filter(|x| x.role == "building_head") {
        if let Some(c) = &x.building {
            let s = x.span.intersect(&c.base);
            let here = x.region.as_deref().map(kept_over).unwrap_or_default();
            for k in kept_over(&c.region).into_iter().filter(|k| here.contains(k)) {
                if !s.is_empty() {
                    heads.entry(k).or_default().add(&s);
                }
            }
        }
    }
    listed(&mut out, Counter::Heads, &heads, &Spans::always());
    listed(&mut out, Counter::HeadsServants, &heads, &p.servant);
    let workers = spread(
        p.posts
            .iter()
            .filter(|x| x.role == "community_worker")
            .filter_map(|x| Some((x.region.clone()?, x.span.clone()))),
    );
    listed(&mut out, Counter::CommunityWorkers, &workers, &Spans::always());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        day(s.parse().unwrap())
    }

    #[test]
    fn spans_unite_and_intersect() {
        let a = Spans::one(1, 5).union(&Spans::one(5, 8)).union(&Spans::one(10, 12));
        assert_eq!(a.pieces(), &[(1, 8), (10, 12)], "touching spans merge");
        let b = Spans::one(3, 11);
        assert_eq!(a.intersect(&b).pieces(), &[(3, 8), (10, 11)]);
        assert!(Spans::one(4, 4).is_empty());
        assert!(a.holds(7) && !a.holds(8) && !a.holds(12));
    }

    #[test]
    fn kept_regions_are_the_country_and_levels_down_to_the_street() {
        assert_eq!(kept_over("371402001001"), vec![0, 37, 3714, 371402, 371402001, 371402001001]);
        assert_eq!(kept_over("371402001001003"), vec![0, 37, 3714, 371402, 371402001, 371402001001]);
        assert_eq!(kept_over("3714"), vec![0, 37, 3714]);
        assert_eq!(key_of("371402001001003"), None);
        assert_eq!(key_of("0101"), None, "a leading zero would be lost");
        assert_eq!(kept_over("010101001001"), vec![0]);
        assert_eq!(code_of_path("/37/3714/371402/"), "371402");
        assert_eq!(code_of_path("/"), "");
    }

    #[test]
    fn steps_of_a_compound_reach_every_kept_level_and_cancel_out() {
        let c = CompoundIn {
            region: "371402001001".into(),
            year_built: Some(2000),
            facts: vec![FactIn {
                kind: "party_branch".into(),
                value: None,
                ref_id: None,
                span: Spans::one(d("2021-03-01"), OPEN),
                term_end: None,
            }],
            ..Default::default()
        };
        let parts = compound_parts(&c);
        let mut s = HashMap::new();
        steps(&Vec::new(), &parts, &mut s);
        s.retain(|_, v| *v != 0);
        assert_eq!(s.get(&(0, Counter::Branch.code(), d("2021-03-01"))), Some(&1));
        assert_eq!(s.get(&(371402001001, Counter::Compounds.code(), d("2000-01-01"))), Some(&1));
        assert_eq!(s.len(), 6 * 2, "two counters at six levels");
        let mut none = HashMap::new();
        steps(&parts, &parts, &mut none);
        assert!(none.values().all(|v| *v == 0));
    }

    #[test]
    fn a_company_counts_once_per_region_however_many_compounds_it_serves() {
        let place = |r: &str| Place { region: r.into(), base: Spans::always() };
        let o = OrgIn {
            kind: "company".into(),
            region: "371402".into(),
            named: vec![
                ("company".into(), Spans::one(d("2020-01-01"), OPEN), place("371402001001")),
                ("company".into(), Spans::one(d("2021-01-01"), OPEN), place("371402002001")),
            ],
            coverage: vec![("own_branch".into(), Spans::one(d("2022-01-01"), OPEN))],
            ..Default::default()
        };
        let p = org_parts(&o);
        let at = |k: i64, c: Counter| p.iter().find(|x| x.0 == k && x.2 == c.code()).map(|x| x.3.clone());
        assert_eq!(at(371402, Counter::Companies), Some(Spans::one(d("2020-01-01"), OPEN)));
        assert_eq!(at(371402002, Counter::Companies), Some(Spans::one(d("2021-01-01"), OPEN)));
        assert_eq!(at(0, Counter::CompaniesOrganised), Some(Spans::one(d("2022-01-01"), OPEN)));
        assert_eq!(at(0, Counter::CompaniesInstructor), None);
    }

    #[test]
    fn buckets_and_bounds_agree() {
        let x: NaiveDate = "2022-05-17".parse().unwrap();
        let (y, y0, m, first, dd) = bounds(x);
        for probe in ["2021-12-31", "2022-01-01", "2022-04-30", "2022-05-01", "2022-05-17"] {
            let p = d(probe);
            let [(_, by), (_, bm), (_, bd)] = buckets(p);
            let grains = [by < y, bm >= y0 && bm < m, bd >= first && bd <= dd];
            assert_eq!(grains.iter().filter(|g| **g).count(), 1, "{probe} is before {x}: read at one grain");
        }
        for probe in ["2022-05-18", "2022-06-01", "2023-01-01"] {
            let [(_, by), (_, bm), (_, bd)] = buckets(d(probe));
            // A later step is in none of the three ranges read for x at its own grain.
            let in_year = by < y;
            let in_month = bm >= y0 && bm < m;
            let in_day = bd >= first && bd <= dd;
            assert!(!in_year && !in_month && !in_day, "{probe} is after {x}");
        }
    }
}
