//! Owners' common decisions (业主共同决定) counted as PRC Civil Code art. 278
//! requires, with the owners and areas counted as the Supreme People's
//! Court's interpretation on building ownership (arts. 8 and 9) says. Pure
//! rules, exact integer arithmetic; issue 16 builds owners, ballots and the
//! consultation workflow on them.
//!
//! - Quorum: owners holding at least two thirds of the exclusive area **and**
//!   at least two thirds of the owners take part ("以上" includes the boundary,
//!   art. 1259).
//! - A special question (raising the maintenance fund; rebuilding; changing
//!   the use of common parts or running a business on them) passes with at
//!   least three quarters of the participating area **and** of the
//!   participating owners.
//! - Any other question passes with more than half (strictly) of the
//!   participating area **and** of the participating owners.
//! - A ballot not returned never takes part; an abstention takes part and does
//!   not agree; "deemed consent" under a covenant is never counted here (it may
//!   only be reported as a separate tally).

use std::collections::BTreeMap;

use crate::Invalid;

text_enum!(
    /// Where a resident's claim to own their unit stands.
    ClaimState, "state", "state of a claim", "认定状态" {
        Pending = "pending",
        /// The community bound the account to one of the unit's owner records.
        Verified = "verified",
        Rejected = "rejected",
    }
);

impl ClaimState {
    /// The community has yet to decide it.
    pub fn awaits_decision(self) -> bool {
        self == ClaimState::Pending
    }
}

text_enum!(
    /// Which majority a question needs.
    #[cfg_attr(feature = "schema", schema(as = VoteCategory))]
    Category, "category", "category of question", "表决事项类别" {
        /// More than half of the participating area and owners.
        Ordinary = "ordinary",
        /// At least three quarters of the participating area and owners.
        Special = "special",
    }
);

text_enum!(
    /// The matters art. 278 reserves to the owners; the convener confirms the
    /// category the matter proposes.
    Matter, "matter", "matter for the owners", "表决事项" {
        /// 制定和修改业主大会议事规则
        RulesOfProcedure = "rules_of_procedure",
        /// 制定和修改管理规约
        Covenant = "covenant",
        /// 选举业主委员会或者更换业主委员会成员
        ElectCommittee = "elect_committee",
        /// 选聘和解聘物业服务企业或者其他管理人
        HireOrDismissManager = "hire_or_dismiss_manager",
        /// 使用建筑物及其附属设施的维修资金
        UseFund = "use_fund",
        /// 筹集建筑物及其附属设施的维修资金
        RaiseFund = "raise_fund",
        /// 改建、重建建筑物及其附属设施
        Rebuild = "rebuild",
        /// 改变共有部分的用途
        ChangeUse = "change_use",
        /// 利用共有部分从事经营活动
        BusinessUse = "business_use",
        /// 有关共有和共同管理权利的其他重大事项
        OtherMajor = "other_major",
    }
);

impl Matter {
    /// The category the law gives the matter (art. 278, para. 2).
    pub fn category(self) -> Category {
        match self {
            Matter::RaiseFund | Matter::Rebuild | Matter::ChangeUse | Matter::BusinessUse => Category::Special,
            _ => Category::Ordinary,
        }
    }
}

text_enum!(
    /// Where an exclusive part's area comes from, in the order the law prefers it.
    AreaSource, "area_source", "source of an area", "面积来源" {
        /// 不动产登记簿记载的面积
        Registered = "registered",
        /// 实测面积
        Surveyed = "surveyed",
        /// 合同约定面积
        Contract = "contract",
    }
);

text_enum!(
    /// Who an owner record is.
    OwnerKind, "kind", "kind of owner", "业主类型" {
        Person = "person",
        Organisation = "organisation",
        /// The developer (建设单位), holding what is unsold or undelivered.
        Developer = "developer",
    }
);

text_enum!(
    /// What kind of exclusive part a unit is.
    UnitKind, "kind", "kind of unit", "房屋类型" {
        Dwelling = "dwelling",
        /// A parking space registered as an exclusive part (规划车位).
        Parking = "parking",
        Shop = "shop",
    }
);

/// An owner's name: trimmed, 1–50 characters, printable.
pub fn owner_name(s: &str) -> Result<&str, Invalid> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 50 {
        return Err(Invalid::new("name", "an owner's name has 1–50 characters").zh("业主姓名须为 1–50 个字"));
    }
    crate::text::check("name", s)?;
    Ok(s)
}

/// The last four characters of an identity document (digits, or X last).
pub fn id_tail(s: &str) -> Result<String, Invalid> {
    let t = s.trim().to_uppercase();
    let ok = t.len() == 4 && t.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || (i == 3 && c == 'X'));
    if ok {
        Ok(t)
    } else {
        Err(Invalid::new("id_tail", "the last four characters of the identity document (digits, or X last)")
            .zh("须为证件号码后四位（数字，末位可为 X）"))
    }
}

/// The area that counts for a part (SPC art. 8): the registered area, else the
/// surveyed one, else the contract's; in hundredths of a square metre, with
/// where it came from. `None` when none is known (the part cannot be counted).
pub fn counted_area(
    registered: Option<i64>,
    surveyed: Option<i64>,
    contract: Option<i64>,
) -> Option<(i64, AreaSource)> {
    registered
        .map(|a| (a, AreaSource::Registered))
        .or(surveyed.map(|a| (a, AreaSource::Surveyed)))
        .or(contract.map(|a| (a, AreaSource::Contract)))
        .filter(|(a, _)| *a > 0)
}

/// Who holds an exclusive part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// The developer, for a part unsold, or sold and not yet delivered.
    Developer,
    /// One buyer or several co-owners (by their owner ids); co-owners of one part count as one.
    Owners(Vec<i64>),
}

/// An exclusive part (专有部分) with its counted area.
#[derive(Debug, Clone)]
pub struct Part {
    pub id: i64,
    pub area: i64,
    pub holder: Holder,
}

/// The key one "owner" is counted under (SPC art. 9): all the developer's
/// parts together are one; a buyer (or the same group of co-owners) holding
/// several parts is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Voter {
    Developer,
    Owners(Vec<i64>),
}

impl Holder {
    pub fn voter(&self) -> Voter {
        match self {
            Holder::Developer => Voter::Developer,
            Holder::Owners(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                Voter::Owners(ids)
            }
        }
    }
}

/// The owners and area a vote is counted against: each voter with the area
/// of all their parts.
pub fn electorate(parts: &[Part]) -> Result<BTreeMap<Voter, i64>, Invalid> {
    let mut out: BTreeMap<Voter, i64> = BTreeMap::new();
    for p in parts {
        if p.area <= 0 {
            return Err(Invalid::new("area", format!("part {} has no area to count", p.id))
                .zh(format!("专有部分 {} 没有可计算的面积", p.id)));
        }
        if matches!(&p.holder, Holder::Owners(ids) if ids.is_empty()) {
            return Err(
                Invalid::new("owners", format!("part {} has no owner", p.id)).zh(format!("专有部分 {} 没有业主", p.id))
            );
        }
        *out.entry(p.holder.voter()).or_default() += p.area;
    }
    Ok(out)
}

text_enum!(
    /// A returned ballot.
    Choice, "choice", "choice on a ballot", "表决意见" {
        Agree = "agree",
        Disagree = "disagree",
        Abstain = "abstain",
    }
);

/// What a count found, every figure kept so the result can be shown and checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Tally {
    pub total_area: i64,
    pub total_owners: i64,
    pub participating_area: i64,
    pub participating_owners: i64,
    pub agree_area: i64,
    pub agree_owners: i64,
    pub disagree_owners: i64,
    pub abstain_owners: i64,
    /// Two thirds of the area and of the owners took part.
    pub quorum: bool,
    /// The majority the category needs, among those who took part.
    pub majority: bool,
    pub passed: bool,
}

/// Count one question: `ballots` are the voters who returned one, with their
/// choice (a voter not in `electorate` is an error, not a silent extra vote).
pub fn count(
    category: Category,
    electorate: &BTreeMap<Voter, i64>,
    ballots: &[(Voter, Choice)],
) -> Result<Tally, Invalid> {
    let mut seen = std::collections::BTreeSet::new();
    let (mut part_area, mut part_n, mut agree_area, mut agree_n, mut dis_n, mut abs_n) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    for (voter, choice) in ballots {
        let Some(area) = electorate.get(voter) else {
            return Err(Invalid::new("ballot", "a ballot from someone who is not an owner here")
                .zh("表决票不是本次表决范围内业主所投"));
        };
        if !seen.insert(voter.clone()) {
            return Err(Invalid::new("ballot", "one owner, one ballot").zh("同一业主只能投一票"));
        }
        part_area += area;
        part_n += 1;
        match choice {
            Choice::Agree => {
                agree_area += area;
                agree_n += 1;
            }
            Choice::Disagree => dis_n += 1,
            Choice::Abstain => abs_n += 1,
        }
    }
    let total_area: i64 = electorate.values().sum();
    let total_owners = electorate.len() as i64;
    // "以上" includes the boundary: 3 × part ≥ 2 × total.
    let quorum = total_owners > 0 && 3 * part_area >= 2 * total_area && 3 * part_n >= 2 * total_owners;
    let majority = part_n > 0
        && match category {
            Category::Special => 4 * agree_area >= 3 * part_area && 4 * agree_n >= 3 * part_n,
            // "过半数" is strictly more than half.
            Category::Ordinary => 2 * agree_area > part_area && 2 * agree_n > part_n,
        };
    Ok(Tally {
        total_area,
        total_owners,
        participating_area: part_area,
        participating_owners: part_n,
        agree_area,
        agree_owners: agree_n,
        disagree_owners: dis_n,
        abstain_owners: abs_n,
        quorum,
        majority,
        passed: quorum && majority,
    })
}

/// One of the four conditions a tally decides, as a fraction and its bound.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Condition {
    /// `quorum_area`, `quorum_owners`, `agree_area` or `agree_owners`.
    pub key: &'static str,
    pub num: i64,
    pub den: i64,
    /// `≥ 2/3`, `≥ 3/4` or `> 1/2`.
    pub bound: &'static str,
    pub met: bool,
}

impl Tally {
    /// The four ratios, each decided exactly (what the published result shows).
    pub fn conditions(&self, category: Category) -> [Condition; 4] {
        let two_thirds = |n: i64, d: i64| d > 0 && 3 * n >= 2 * d;
        let (bound, agree): (&'static str, fn(i64, i64) -> bool) = match category {
            Category::Special => ("≥ 3/4", |n, d| d > 0 && 4 * n >= 3 * d),
            Category::Ordinary => ("> 1/2", |n, d| d > 0 && 2 * n > d),
        };
        [
            Condition {
                key: "quorum_area",
                num: self.participating_area,
                den: self.total_area,
                bound: "≥ 2/3",
                met: two_thirds(self.participating_area, self.total_area),
            },
            Condition {
                key: "quorum_owners",
                num: self.participating_owners,
                den: self.total_owners,
                bound: "≥ 2/3",
                met: two_thirds(self.participating_owners, self.total_owners),
            },
            Condition {
                key: "agree_area",
                num: self.agree_area,
                den: self.participating_area,
                bound,
                met: agree(self.agree_area, self.participating_area),
            },
            Condition {
                key: "agree_owners",
                num: self.agree_owners,
                den: self.participating_owners,
                bound,
                met: agree(self.agree_owners, self.participating_owners),
            },
        ]
    }
}

/// The shortest notice before voting opens (物业管理条例: 15 days before a meeting).
pub const NOTICE_DAYS_MIN: i64 = 15;

/// A vote's schedule: announced at least `notice_days` (never fewer than the
/// law's 15) before it opens, open for 5–60 days.
pub fn schedule(
    announced: chrono::NaiveDate,
    opens: chrono::NaiveDate,
    closes: chrono::NaiveDate,
    notice_days: i64,
) -> Result<(), Invalid> {
    let notice = notice_days.max(NOTICE_DAYS_MIN);
    if (opens - announced).num_days() < notice {
        return Err(Invalid::new("opens_on", format!("voting opens at least {notice} days after it is announced"))
            .zh(format!("表决须在公告 {notice} 日后开始")));
    }
    if (opens - announced).num_days() > 365 {
        return Err(
            Invalid::new("opens_on", "voting opens within a year of the announcement").zh("投票开始日须在公告后一年内")
        );
    }
    let window = (closes - opens).num_days();
    if !(5..=60).contains(&window) {
        return Err(Invalid::new("closes_on", "voting stays open 5–60 days").zh("表决期须为 5–60 日"));
    }
    Ok(())
}

text_enum!(
    /// Where a vote stands as stored; [`phase`] adds what the calendar says.
    VoteState, "state", "state of a vote", "表决状态" {
        /// Announced: waiting to open, open, or closed and awaiting its count.
        Announced = "announced",
        /// Counted: the preliminary result is published, objections may be filed.
        Preliminary = "preliminary",
        /// The final result is published and kept.
        Final = "final",
        /// Called off before it opened (the reason is recorded).
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// Where a vote stands on a given day.
    Phase, "phase", "phase of a vote", "表决阶段" {
        /// Announced; voting has not opened yet (公告期).
        Notice = "notice",
        /// Ballots may be cast and changed (投票期).
        Open = "open",
        /// Voting has closed; the count is owed (待计票).
        Closed = "closed",
        /// Preliminary result out; objections within the window (异议期).
        Objection = "objection",
        /// The objection window has passed; the final result is owed.
        Finalising = "finalising",
        Final = "final",
        Cancelled = "cancelled",
    }
);

/// The phase of a vote on `today` (dates are China's; both ends of the
/// voting window are whole days).
pub fn phase(
    state: VoteState,
    opens: chrono::NaiveDate,
    closes: chrono::NaiveDate,
    counted_on: Option<chrono::NaiveDate>,
    objection_days: i64,
    today: chrono::NaiveDate,
) -> Phase {
    match state {
        VoteState::Cancelled => Phase::Cancelled,
        VoteState::Final => Phase::Final,
        VoteState::Preliminary => match counted_on {
            Some(c) if (today - c).num_days() < objection_days => Phase::Objection,
            _ => Phase::Finalising,
        },
        VoteState::Announced if today < opens => Phase::Notice,
        VoteState::Announced if today <= closes => Phase::Open,
        VoteState::Announced => Phase::Closed,
    }
}

/// The default objection window after the preliminary result, in days.
pub const OBJECTION_DAYS: i64 = 3;

/// The last day an owner may ask a court to revoke a decision (SPC
/// interpretation on building ownership, art. 12: within one year of the day
/// they knew or should have known of it, taken as the day it was published).
pub fn revocable_until(published: chrono::NaiveDate) -> chrono::NaiveDate {
    published.checked_add_months(chrono::Months::new(12)).unwrap_or(published)
}

impl Voter {
    /// The voter as stored with a ballot: `developer`, or `owners:1,2` (sorted ids).
    pub fn key(&self) -> String {
        match self {
            Voter::Developer => "developer".into(),
            Voter::Owners(ids) => {
                format!("owners:{}", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","))
            }
        }
    }

    pub fn from_key(s: &str) -> Option<Voter> {
        if s == "developer" {
            return Some(Voter::Developer);
        }
        let ids: Option<Vec<i64>> = s.strip_prefix("owners:")?.split(',').map(|t| t.parse().ok()).collect();
        let ids = ids?;
        (!ids.is_empty() && ids.windows(2).all(|w| w[0] < w[1])).then_some(Voter::Owners(ids))
    }

    /// Whether owner `id` may cast this voter's ballot.
    pub fn includes(&self, id: i64) -> bool {
        matches!(self, Voter::Owners(ids) if ids.contains(&id))
    }
}

/// A hash of a question's ballot set (sha-256, hex), independent of the
/// order the ballots are given in: anyone holding the database (the ballots
/// and the vote's secret) can check the published tally was counted from
/// exactly them. The secret keys it: without it, an owner who knows the
/// tally and the voters could try every assignment of choices on a small
/// vote until the hash matched, and so learn how each neighbour voted.
pub fn ballots_hash(question_id: i64, secret: &str, ballots: &[(Voter, Choice)]) -> String {
    use sha2::{Digest, Sha256};
    let mut lines: Vec<String> =
        ballots.iter().map(|(v, c)| format!("{question_id}\t{}\t{}\n", v.key(), c.as_str())).collect();
    lines.sort();
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(b"\n");
    for l in &lines {
        h.update(l.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// The receipt an owner keeps for a ballot: a short code over the ballot's
/// identity, choice and revision, so the owner can check later that what is
/// stored is what they cast, and nobody else learns the choice from it.
pub fn receipt(ballot_id: i64, revision: i32, voter: &Voter, choice: Choice, secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("{secret}\t{ballot_id}\t{revision}\t{}\t{}", voter.key(), choice.as_str()).as_bytes());
    let hex = format!("{:x}", h.finalize());
    format!("{}-{}-{}", &hex[0..4], &hex[4..8], &hex[8..12]).to_uppercase()
}

/// What a covenant's "deemed consent" (未投票视为同意) would make of a
/// count: every owner who returned nothing counted as agreeing. Reported
/// apart and labelled; the legal result is [`count`]'s alone.
pub fn deemed(t: &Tally, category: Category) -> Tally {
    let (na, nn) = (t.total_area - t.participating_area, t.total_owners - t.participating_owners);
    let mut d = t.clone();
    d.participating_area = t.total_area;
    d.participating_owners = t.total_owners;
    d.agree_area += na;
    d.agree_owners += nn;
    d.quorum = t.total_owners > 0;
    d.majority = match category {
        Category::Special => {
            4 * d.agree_area >= 3 * d.participating_area && 4 * d.agree_owners >= 3 * d.participating_owners
        }
        Category::Ordinary => 2 * d.agree_area > d.participating_area && 2 * d.agree_owners > d.participating_owners,
    } && d.participating_owners > 0;
    d.passed = d.quorum && d.majority;
    d
}

/// Bounds on what a vote may hold.
pub const QUESTIONS_MAX: usize = 20;
pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 4000;

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: i64, area: i64, owners: &[i64]) -> Part {
        Part { id, area, holder: if owners.is_empty() { Holder::Developer } else { Holder::Owners(owners.to_vec()) } }
    }

    fn v(ids: &[i64]) -> Voter {
        Voter::Owners(ids.to_vec())
    }

    #[test]
    fn areas_and_owners_are_counted_as_the_interpretation_says() {
        assert_eq!(counted_area(Some(8_950), Some(9_000), Some(9_100)), Some((8_950, AreaSource::Registered)));
        assert_eq!(counted_area(None, Some(9_000), Some(9_100)), Some((9_000, AreaSource::Surveyed)));
        assert_eq!(counted_area(None, None, Some(9_100)), Some((9_100, AreaSource::Contract)));
        assert_eq!(counted_area(None, None, None), None);
        // Two unsold parts (one owner: the developer), a buyer with two parts (one),
        // co-owners of one part (one), co-owners listed in another order (the same one).
        let parts = [
            part(1, 10_000, &[]),
            part(2, 10_000, &[]),
            part(3, 9_000, &[7]),
            part(4, 11_000, &[7]),
            part(5, 8_000, &[8, 9]),
            part(6, 7_000, &[9, 8]),
            part(7, 6_000, &[10]),
        ];
        let e = electorate(&parts).unwrap();
        assert_eq!(e.len(), 4);
        assert_eq!(e[&Voter::Developer], 20_000);
        assert_eq!(e[&v(&[7])], 20_000);
        assert_eq!(e[&v(&[8, 9])], 15_000);
        assert!(electorate(&[part(1, 0, &[3])]).is_err());
        assert!(electorate(&[Part { id: 1, area: 5, holder: Holder::Owners(vec![]) }]).is_err());
    }

    /// Six owners of 100 m² each (60,000 hundredths in all).
    fn six() -> BTreeMap<Voter, i64> {
        (1..=6).map(|i| (v(&[i]), 10_000)).collect()
    }

    #[test]
    fn quorum_is_two_thirds_of_both_boundary_included() {
        let e = six();
        let four: Vec<(Voter, Choice)> = (1..=4).map(|i| (v(&[i]), Choice::Agree)).collect();
        let t = count(Category::Ordinary, &e, &four).unwrap();
        assert!(t.quorum, "4 of 6 is exactly two thirds");
        assert!(t.passed);
        let three = &four[..3];
        assert!(!count(Category::Ordinary, &e, three).unwrap().quorum, "3 of 6 is not");
        // Enough owners, too little area: one large owner stays away.
        let mut e2 = six();
        e2.insert(v(&[1]), 100_000);
        let t = count(Category::Ordinary, &e2, &(2..=6).map(|i| (v(&[i]), Choice::Agree)).collect::<Vec<_>>()).unwrap();
        assert!(!t.quorum && t.majority && !t.passed, "{t:?}");
    }

    #[test]
    fn ordinary_needs_strictly_more_than_half_of_both() {
        let e = six();
        let b = |agree: i64| -> Vec<(Voter, Choice)> {
            (1..=6).map(|i| (v(&[i]), if i <= agree { Choice::Agree } else { Choice::Disagree })).collect()
        };
        assert!(!count(Category::Ordinary, &e, &b(3)).unwrap().passed, "half is not more than half");
        assert!(count(Category::Ordinary, &e, &b(4)).unwrap().passed);
        // An abstention takes part and does not agree: 3 agree, 1 abstains of 4 voting passes; 2 of 4 does not.
        let mut ballots: Vec<(Voter, Choice)> = (1..=3).map(|i| (v(&[i]), Choice::Agree)).collect();
        ballots.push((v(&[4]), Choice::Abstain));
        let t = count(Category::Ordinary, &e, &ballots).unwrap();
        assert_eq!((t.participating_owners, t.agree_owners, t.abstain_owners, t.passed), (4, 3, 1, true));
        ballots[2].1 = Choice::Abstain;
        assert!(!count(Category::Ordinary, &e, &ballots).unwrap().passed);
    }

    #[test]
    fn special_needs_three_quarters_of_both_boundary_included() {
        // Eight owners; all take part.
        let e: BTreeMap<Voter, i64> = (1..=8).map(|i| (v(&[i]), 10_000)).collect();
        let b = |agree: i64| -> Vec<(Voter, Choice)> {
            (1..=8).map(|i| (v(&[i]), if i <= agree { Choice::Agree } else { Choice::Disagree })).collect()
        };
        assert!(count(Category::Special, &e, &b(6)).unwrap().passed, "6 of 8 is exactly three quarters");
        assert!(!count(Category::Special, &e, &b(5)).unwrap().passed);
        // Three quarters of the owners but not of the area: the two against hold most of it.
        let mut e2 = e.clone();
        e2.insert(v(&[7]), 40_000);
        e2.insert(v(&[8]), 40_000);
        let t = count(Category::Special, &e2, &b(6)).unwrap();
        assert!(t.quorum && !t.majority, "{t:?}");
    }

    #[test]
    fn ballots_are_one_per_owner_from_the_electorate() {
        let e = six();
        assert!(count(Category::Ordinary, &e, &[(v(&[99]), Choice::Agree)]).is_err());
        assert!(count(Category::Ordinary, &e, &[(v(&[1]), Choice::Agree), (v(&[1]), Choice::Agree)]).is_err());
        let none = count(Category::Ordinary, &e, &[]).unwrap();
        assert!(!none.quorum && !none.majority && !none.passed);
        assert!(!count(Category::Ordinary, &BTreeMap::new(), &[]).unwrap().passed);
    }

    #[test]
    fn matters_propose_their_category() {
        let special: Vec<Matter> = Matter::ALL.iter().copied().filter(|m| m.category() == Category::Special).collect();
        assert_eq!(special, [Matter::RaiseFund, Matter::Rebuild, Matter::ChangeUse, Matter::BusinessUse]);
        assert_eq!(
            Matter::UseFund.category(),
            Category::Ordinary,
            "using the fund is an ordinary question; raising it is not"
        );
    }

    #[test]
    fn schedules_keep_the_notice_and_the_window() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert!(schedule(d("2022-03-01"), d("2022-03-16"), d("2022-03-31"), 15).is_ok());
        assert!(schedule(d("2022-03-01"), d("2022-03-15"), d("2022-03-31"), 15).is_err(), "14 days' notice");
        assert!(
            schedule(d("2022-03-01"), d("2022-03-16"), d("2022-03-31"), 7).is_ok(),
            "never shorter than the law: 15"
        );
        assert!(schedule(d("2022-03-01"), d("2022-03-21"), d("2022-03-31"), 20).is_ok());
        assert!(schedule(d("2022-03-01"), d("2022-03-16"), d("2022-03-20"), 15).is_err(), "4 days' window");
        assert!(schedule(d("2022-03-01"), d("2022-03-16"), d("2022-05-16"), 15).is_err(), "61 days' window");
    }

    #[test]
    fn phases_follow_the_calendar() {
        let d = |m, dd| chrono::NaiveDate::from_ymd_opt(2022, m, dd).unwrap();
        let (o, c) = (d(3, 1), d(3, 10));
        assert_eq!(phase(VoteState::Announced, o, c, None, 3, d(2, 28)), Phase::Notice);
        assert_eq!(phase(VoteState::Announced, o, c, None, 3, d(3, 1)), Phase::Open);
        assert_eq!(phase(VoteState::Announced, o, c, None, 3, d(3, 10)), Phase::Open, "the last day is whole");
        assert_eq!(phase(VoteState::Announced, o, c, None, 3, d(3, 11)), Phase::Closed);
        assert_eq!(phase(VoteState::Preliminary, o, c, Some(d(3, 11)), 3, d(3, 13)), Phase::Objection);
        assert_eq!(phase(VoteState::Preliminary, o, c, Some(d(3, 11)), 3, d(3, 14)), Phase::Finalising);
        assert_eq!(revocable_until(d(3, 20)), chrono::NaiveDate::from_ymd_opt(2023, 3, 20).unwrap());
    }

    #[test]
    fn voter_keys_round_trip_and_refuse_junk() {
        for v in [Voter::Developer, Voter::Owners(vec![3]), Voter::Owners(vec![1, 9, 12])] {
            assert_eq!(Voter::from_key(&v.key()), Some(v));
        }
        for junk in ["", "owners:", "owners:2,1", "owners:1,1", "owners:x", "dev"] {
            assert_eq!(Voter::from_key(junk), None, "{junk}");
        }
        assert!(v(&[1, 2]).includes(2) && !Voter::Developer.includes(1));
    }

    /// A small deterministic generator (no dependency for one test).
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn the_tally_ignores_ballot_order_and_one_more_agree_never_fails_a_pass() {
        let mut seed = 7u64;
        for round in 0..400 {
            let n = 2 + (lcg(&mut seed) % 12) as usize;
            let parts: Vec<Part> = (0..n)
                .map(|i| {
                    let owner =
                        if lcg(&mut seed).is_multiple_of(5) { vec![] } else { vec![1 + (lcg(&mut seed) % 8) as i64] };
                    part(i as i64, 1 + (lcg(&mut seed) % 20_000) as i64, &owner)
                })
                .collect();
            let el = electorate(&parts).unwrap();
            let voters: Vec<Voter> = el.keys().cloned().collect();
            let choices = [Choice::Agree, Choice::Disagree, Choice::Abstain];
            let mut ballots: Vec<(Voter, Choice)> = Vec::new();
            for v in &voters {
                if !lcg(&mut seed).is_multiple_of(4) {
                    ballots.push((v.clone(), choices[(lcg(&mut seed) % 3) as usize]));
                }
            }
            let cat = if round % 2 == 0 { Category::Ordinary } else { Category::Special };
            let t = count(cat, &el, &ballots).unwrap();
            let h = ballots_hash(1, "k", &ballots);
            ballots.reverse();
            let len = ballots.len();
            if len > 1 {
                ballots.swap(0, (lcg(&mut seed) as usize) % len);
            }
            assert_eq!(count(cat, &el, &ballots).unwrap(), t, "order changed the tally");
            assert_eq!(ballots_hash(1, "k", &ballots), h, "order changed the hash");
            if !ballots.is_empty() {
                assert_ne!(ballots_hash(1, "other", &ballots), h, "the secret keys the hash");
            }
            // One more agreeing ballot: a returned non-agree turned to agree, or a new one.
            let mut more = ballots.clone();
            if let Some(b) = more.iter_mut().find(|b| b.1 != Choice::Agree) {
                b.1 = Choice::Agree;
            } else if let Some(v) = voters.iter().find(|v| !ballots.iter().any(|b| &b.0 == *v)) {
                more.push((v.clone(), Choice::Agree));
            }
            let t2 = count(cat, &el, &more).unwrap();
            assert!(!t.passed || t2.passed, "an extra agree turned a pass into a fail: {t:?} → {t2:?}");
            let conds = t.conditions(cat);
            assert_eq!(conds[0].met && conds[1].met, t.quorum, "the conditions decide the quorum as count does");
            assert_eq!(conds[2].met && conds[3].met, t.majority, "…and the majority");
            let d = deemed(&t, cat);
            assert!(d.agree_owners >= t.agree_owners && d.participating_owners == d.total_owners);
        }
    }
}
