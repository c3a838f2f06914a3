//! Organisations, people and posts: the governance structure the KPIs count.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18
/// characters from a 31-character set, the last a check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

impl CreditCode {
    pub fn parse(s: &str) -> Result<CreditCode, Invalid> {
        let s = s.trim().to_ascii_uppercase();
        let field = "credit_code";
        if s.chars().count() != 18 {
            return Err(Invalid::new(
                field,
                format!("{s:?} has {} characters; a credit code has 18", s.chars().count()),
            )
            .zh(format!("“{s}”有 {} 个字符；统一社会信用代码为 18 位", s.chars().count())));
        }
        let mut values = [0u32; 18];
        for (i, b) in s.bytes().enumerate() {
            match CHARSET.iter().position(|c| *c == b) {
                Some(v) => values[i] = v as u32,
                None => {
                    return Err(Invalid::new(
                        field,
                        format!(
                            "{s:?}: character {} ({:?}) is not allowed (I, O, S, V, Z never appear)",
                            i + 1,
                            b as char
                        ),
                    )
                    .zh(format!(
                        "“{s}”：第 {} 个字符（{:?}）不允许出现（代码中没有 I、O、S、V、Z）",
                        i + 1,
                        b as char
                    )));
                }
            }
        }
        let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(Invalid::new(
                field,
                format!(
                    "{s:?}: the check character should be {:?}; the code is mistyped",
                    CHARSET[check as usize] as char
                ),
            )
            .zh(format!("“{s}”：校验位应为 {:?}，代码有误", CHARSET[check as usize] as char)));
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Complete the first 17 characters with their check character (for
    /// generated demo and test data).
    pub fn complete(first17: &str) -> Result<CreditCode, Invalid> {
        let values: Option<Vec<u32>> =
            first17.bytes().map(|b| CHARSET.iter().position(|c| *c == b).map(|v| v as u32)).collect();
        match values {
            Some(v) if v.len() == 17 => {
                let sum: u32 = v.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
                let check = CHARSET[((31 - sum % 31) % 31) as usize] as char;
                CreditCode::parse(&format!("{first17}{check}"))
            }
            _ => Err(Invalid::new("credit_code", format!("{first17:?} is not 17 allowed characters"))
                .zh(format!("“{first17}”不是 17 个有效字符"))),
        }
    }
}

impl TryFrom<String> for CreditCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        CreditCode::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_enum!(
    /// What an organisation is.
    OrgKind, "kind", "kind of organisation", "组织类型" {
        PartyOrg = "party_org",
        Company = "company",
        OwnersCommittee = "owners_committee",
        SponsorUnit = "sponsor_unit",
        Cooperative = "cooperative",
        RedStation = "red_station",
    }
);

text_enum!(
    /// The kind and level of a party organisation.
    PartyLevel, "party_level", "party organisation level", "党组织层级" {
        StreetWorkingCommittee = "street_working_committee",
        CommunityCommittee = "community_committee",
        CompoundBranch = "compound_branch",
        BuildingGroup = "building_group",
        IndustryCommittee = "industry_committee",
        CompanyBranch = "company_branch",
        JointBranch = "joint_branch",
        CommitteeBranch = "committee_branch",
        /// A town's party committee (镇党委), where a town stands in a street's place.
        TownCommittee = "town_committee",
        /// A village-level party organisation (村党组织) over compounds in a village.
        VillageCommittee = "village_committee",
    }
);

text_enum!(
    /// How a property company is covered by the party (物业企业党组织覆盖).
    PartyCoverage, "party_coverage", "party coverage", "党组织覆盖方式" {
        OwnBranch = "own_branch",
        JointBranch = "joint_branch",
        InstructorOnly = "instructor_only",
        None = "none",
    }
);

text_enum!(
    /// The state of an owners' committee's term.
    CommitteeStatus, "status", "committee status", "业委会状态" {
        InOffice = "in_office",
        Expired = "expired",
        Dissolved = "dissolved",
    }
);

text_enum!(
    /// A post a person holds in an organisation (or over a building, grid, community).
    PostRole, "role", "post", "职务" {
        Secretary = "secretary",
        DeputySecretary = "deputy_secretary",
        Member = "member",
        Chair = "chair",
        /// 副主任 (of an owners' committee).
        ViceChair = "vice_chair",
        Director = "director",
        /// 执行董事 (of a company).
        ExecutiveDirector = "executive_director",
        /// 总监 (a company's project or service director).
        ServiceDirector = "service_director",
        /// 监事 (of a company or cooperative).
        SupervisoryOfficer = "supervisory_officer",
        /// 组长 (of a party group).
        GroupLeader = "group_leader",
        /// 党建指导员: a party member the party organisation sends to guide
        /// a committee or company (work coverage, not an organisation set up in it).
        Instructor = "instructor",
        Manager = "manager",
        BuildingHead = "building_head",
        GridWorker = "grid_worker",
        CommunityWorker = "community_worker",
    }
);

text_enum!(
    /// Who brought an organisation into being (组建关系): a community party
    /// organisation forming an owners' committee (组建) or founding a
    /// party-led company (创办), a collective-economy cooperative founding a
    /// company, a sponsor unit helping found a compound's branch (协助组建).
    Relation, "relation", "founding relation", "组建关系" {
        Formed = "formed",
        Founded = "founded",
        HelpedFound = "helped_found",
    }
);

impl Relation {
    /// Whether `from` can stand in this relation to `to`; what the programme
    /// records, nothing wider.
    pub fn allows(self, from: OrgKind, to: OrgKind) -> bool {
        use OrgKind::*;
        match self {
            Relation::Formed => from == PartyOrg && matches!(to, OwnersCommittee | RedStation),
            Relation::Founded => matches!(from, PartyOrg | Cooperative) && to == Company,
            Relation::HelpedFound => {
                matches!(from, SponsorUnit | PartyOrg | Company) && matches!(to, PartyOrg | RedStation)
            }
        }
    }
}

impl PartyCoverage {
    /// Own or joint branch counts as organisational coverage; an instructor
    /// alone is work coverage, reported apart.
    pub fn is_organisational(self) -> bool {
        matches!(self, PartyCoverage::OwnBranch | PartyCoverage::JointBranch)
    }
}

/// A mainland phone number, kept as digits (mobile 11 digits from 1, or a
/// landline with area code), so masking and matching work on one form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, Invalid> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits).to_owned();
        let ok = digits.bytes().all(|b| b.is_ascii_digit())
            && ((digits.len() == 11 && digits.starts_with('1'))
                || ((10..=12).contains(&digits.len()) && digits.starts_with('0')));
        if ok {
            Ok(Phone(digits))
        } else {
            Err(Invalid::new(
                "phone",
                format!("{s:?} is not a phone number (11-digit mobile or landline with area code)"),
            )
            .zh(format!("“{s}”不是电话号码（11 位手机号或带区号的座机）")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        crate::access::mask_phone(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_checked() {
        for good in ["91350100M000100Y43", "91440300708461136T", " 91440300708461136t "] {
            assert!(CreditCode::parse(good).is_ok(), "{good}");
        }
        let e = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert!(e.reason.contains("check character should be '3'"), "{e}");
        assert!(CreditCode::parse("91350100M000100Y4").unwrap_err().reason.contains("17 characters"));
        assert!(CreditCode::parse("91350100I000100Y43").unwrap_err().reason.contains("character 9"));
        assert_eq!(CreditCode::parse("91440300708461136t").unwrap().as_str(), "91440300708461136T");
        assert_eq!(CreditCode::complete("91350100M000100Y4").unwrap().as_str(), "91350100M000100Y43");
    }

    #[test]
    fn enums_parse_their_names() {
        assert_eq!(OrgKind::parse("owners_committee").unwrap(), OrgKind::OwnersCommittee);
        assert!(PostRole::parse("king").unwrap_err().reason.contains("building_head"));
        assert!(PartyCoverage::JointBranch.is_organisational());
        assert!(!PartyCoverage::InstructorOnly.is_organisational());
    }

    #[test]
    fn phones_parse_and_mask() {
        assert_eq!(Phone::parse("138 1234 1234").unwrap().masked(), "138****1234");
        assert_eq!(Phone::parse("+86 13812341234").unwrap().as_str(), "13812341234");
        assert!(Phone::parse("0534-2612345").is_ok());
        assert!(Phone::parse("12345").is_err());
    }
}

impl CommitteeStatus {
    /// The status as of `date`: a committee recorded as in office whose term
    /// ended before that day has in fact run out its term (届满).
    pub fn on(self, term_end: Option<chrono::NaiveDate>, date: chrono::NaiveDate) -> CommitteeStatus {
        match (self, term_end) {
            (CommitteeStatus::InOffice, Some(end)) if end < date => CommitteeStatus::Expired,
            (s, _) => s,
        }
    }
}

#[cfg(test)]
mod committee_tests {
    use super::*;

    #[test]
    fn a_term_that_ended_is_expired_whatever_was_recorded() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let today = d("2026-11-27");
        assert_eq!(CommitteeStatus::InOffice.on(Some(d("2025-01-01")), today), CommitteeStatus::Expired);
        assert_eq!(CommitteeStatus::InOffice.on(Some(d("2027-01-01")), today), CommitteeStatus::InOffice);
        assert_eq!(CommitteeStatus::InOffice.on(None, today), CommitteeStatus::InOffice);
        assert_eq!(CommitteeStatus::Dissolved.on(Some(d("2025-01-01")), today), CommitteeStatus::Dissolved);
    }
}

impl PostRole {
    /// Held by one person at a time in one organisation (one secretary of a
    /// branch, one chair of a committee).
    pub fn is_single(self) -> bool {
        matches!(self, PostRole::Secretary | PostRole::Chair)
    }
}

#[cfg(test)]
mod relation_tests {
    use super::{OrgKind::*, Relation};

    #[test]
    fn relations_join_what_the_programme_records() {
        assert!(Relation::Formed.allows(PartyOrg, OwnersCommittee));
        assert!(Relation::Founded.allows(Cooperative, Company));
        assert!(Relation::Founded.allows(PartyOrg, Company));
        assert!(Relation::HelpedFound.allows(SponsorUnit, PartyOrg));
        assert!(
            !Relation::Formed.allows(Company, OwnersCommittee),
            "a company does not form the committee that oversees it"
        );
        assert!(!Relation::Founded.allows(SponsorUnit, OwnersCommittee));
        assert!(!Relation::HelpedFound.allows(SponsorUnit, Company));
    }
}

#[cfg(test)]
mod post_tests {
    use crate::history::overlaps;

    #[test]
    fn periods_overlap_when_they_share_a_day() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert!(overlaps((d("2020-01-01"), None), (d("2021-01-01"), None)));
        assert!(overlaps((d("2020-01-01"), Some(d("2021-06-01"))), (d("2021-01-01"), None)));
        assert!(!overlaps((d("2020-01-01"), Some(d("2021-01-01"))), (d("2021-01-01"), None)), "the end is exclusive");
        assert!(!overlaps((d("2022-01-01"), None), (d("2020-01-01"), Some(d("2021-01-01")))));
    }
}
