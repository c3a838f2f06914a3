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
    /// Which majority a question needs.
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
        return Err(Invalid::new("opens", format!("voting opens at least {notice} days after it is announced"))
            .zh(format!("表决须在公告 {notice} 日后开始")));
    }
    let window = (closes - opens).num_days();
    if !(5..=60).contains(&window) {
        return Err(Invalid::new("closes", "voting stays open 5–60 days").zh("表决期须为 5–60 日"));
    }
    Ok(())
}

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
}
