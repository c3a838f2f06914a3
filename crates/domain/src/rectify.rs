//! Rectification notices (整改通知单), on-site inspections (现场督导) and
//! campaigns (专项整治): the rules, pure. A notice names a company, the
//! compounds, the faults (items), the requirement and a deadline (a date in
//! China, the whole day included). Its states:
//!
//! issued → received → answered (evidence) → closed (verified), or
//! answered → returned (with a reason) → answered again; an open notice past
//! its deadline is overdue and is escalated one level (street → county →
//! city). Items are closed one by one (逐项销号); closing the last one closes
//! the notice.

use chrono::NaiveDate;

use crate::{Invalid, Level};

text_enum!(
    /// Where a notice stands.
    NoticeState, "state", "state of a notice", "通知单状态" {
        Issued = "issued",
        Received = "received",
        Answered = "answered",
        Returned = "returned",
        Closed = "closed",
    }
);

text_enum!(
    /// What someone does to a notice.
    NoticeStep, "step", "step on a notice", "可执行的操作" {
        /// The company confirms it has the notice (签收).
        Receive = "receive",
        /// The company reports what it did, with evidence.
        Answer = "answer",
        /// The issuer finds the answer wanting and sends it back, with a reason.
        Return = "return",
        /// The issuer verifies the rectification and closes every open item.
        Close = "close",
    }
);

impl NoticeStep {
    /// Says no to what was asked: pages mark its button as such.
    pub fn refuses(self) -> bool {
        self == NoticeStep::Return
    }
}

/// Who acts on a notice: the company it names, or the issuing side (the
/// officer of the issuing region or of the level it was escalated to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeBy {
    Company,
    Issuer,
}

/// The state after `step`, if `by` may take it from `from`.
pub fn next(from: NoticeState, step: NoticeStep, by: NoticeBy) -> Result<NoticeState, Invalid> {
    use {NoticeBy::*, NoticeState::*, NoticeStep::*};
    match (from, step, by) {
        (Issued, NoticeStep::Receive, Company) => Ok(Received),
        // Answering a notice not yet signed for signs for it too.
        (Issued | Received | Returned, Answer, Company) => Ok(Answered),
        (Answered, Return, Issuer) => Ok(Returned),
        (Answered, Close, Issuer) => Ok(Closed),
        _ => Err(Invalid::new("step", format!("cannot {} a notice that is {} here", step.as_str(), from.as_str()))
            .zh(format!("此处不能对“{}”状态的通知单执行“{}”", from.as_str(), step.as_str()))),
    }
}

impl NoticeState {
    /// The company still owes an answer.
    pub fn awaits_company(self) -> bool {
        matches!(self, NoticeState::Issued | NoticeState::Received | NoticeState::Returned)
    }
}

/// Whether a notice is overdue on `today`: the company owes an answer and the
/// deadline's day has passed.
pub fn overdue(state: NoticeState, deadline: NaiveDate, today: NaiveDate) -> bool {
    state.awaits_company() && today > deadline
}

/// Whether a notice missed its deadline (what counts against the score): it
/// was answered after the deadline's day, or on `today` it is still owed and
/// the day has passed. A notice answered on time and then returned and
/// answered late missed it too: `answered_on` is the latest answer.
pub fn missed(state: NoticeState, deadline: NaiveDate, answered_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    if state.awaits_company() { today > deadline } else { answered_on.is_some_and(|a| a > deadline) }
}

/// The level an overdue notice is supervised at: one level above the issuer
/// once overdue, two when it is overdue by more than its own span again; the
/// city is the top.
pub fn escalated(issued_at: Level, issued_on: NaiveDate, deadline: NaiveDate, today: NaiveDate) -> Level {
    let up = |l: Level| match l {
        Level::Grid | Level::Community => Level::Street,
        Level::Street => Level::County,
        _ => Level::City,
    };
    if today <= deadline {
        return issued_at;
    }
    let span = (deadline - issued_on).num_days().max(1);
    let once = up(issued_at);
    if (today - deadline).num_days() > span { up(once) } else { once }
}

/// Bounds on what a notice or an inspection may hold.
pub const ITEMS_MAX: usize = 50;
pub const COMPOUNDS_MAX: usize = 100;
pub const TEXT_MAX: usize = 2000;
pub const LABEL_MAX: usize = 200;
/// A deadline is at most a year after the notice.
pub const DEADLINE_DAYS_MAX: i64 = 366;

/// A text of a notice or an inspection: trimmed, bounded, printable; `need` refuses it empty.
pub fn text<'a>(field: &'static str, s: &'a str, max: usize, need: bool) -> Result<&'a str, Invalid> {
    let s = s.trim();
    if need && s.is_empty() {
        return Err(Invalid::new(field, "is required").zh("不能为空"));
    }
    if s.chars().count() > max {
        return Err(Invalid::new(field, format!("at most {max} characters")).zh(format!("不超过 {max} 个字")));
    }
    crate::text::check(field, s)?;
    Ok(s)
}

/// The deadline of a notice issued on `issued_on`: not before it, within a year.
pub fn deadline(issued_on: NaiveDate, deadline: NaiveDate) -> Result<NaiveDate, Invalid> {
    let days = (deadline - issued_on).num_days();
    if days < 0 {
        return Err(Invalid::new("deadline", "the deadline is before the notice").zh("整改期限早于下发日期"));
    }
    if days > DEADLINE_DAYS_MAX {
        return Err(Invalid::new("deadline", "at most a year after the notice").zh("整改期限不得超过一年"));
    }
    Ok(deadline)
}

/// A notice's number: the issuing region's code, the year, and the
/// sequence within both (`371402-2021-0007`), unique and sortable.
pub fn number(region: &str, year: i32, seq: i64) -> String {
    format!("{region}-{year}-{seq:04}")
}

text_enum!(
    /// What an inspection is: the quarterly on-site supervision, a check in
    /// a campaign, or a re-inspection (回头看) of an earlier one.
    InspectionKind, "kind", "kind of inspection", "督导类型" {
        Quarterly = "quarterly",
        Campaign = "campaign",
        FollowUp = "follow_up",
    }
);

/// One line of an inspection's checklist: what is checked and its full marks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    pub label: String,
    pub max: i64,
}

/// The quarterly on-site checklist (100 marks), used where a campaign sets none.
pub fn default_checklist() -> Vec<Check> {
    [
        ("环境卫生", 15),
        ("绿化养护", 10),
        ("秩序维护", 15),
        ("设施设备", 20),
        ("消防安全", 15),
        ("党建引领", 10),
        ("服务公开", 5),
        ("诉求办理", 10),
    ]
    .into_iter()
    .map(|(l, m)| Check { label: l.into(), max: m })
    .collect()
}

/// A checklist as a campaign or a form gives it: 1–`ITEMS_MAX` lines, each
/// labelled, full marks 1–100.
pub fn checklist(items: &[Check]) -> Result<Vec<Check>, Invalid> {
    if items.is_empty() || items.len() > ITEMS_MAX {
        return Err(
            Invalid::new("checklist", format!("1–{ITEMS_MAX} lines")).zh(format!("检查表须有 1–{ITEMS_MAX} 项"))
        );
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(c) = items.iter().find(|c| !seen.insert(c.label.trim())) {
        return Err(Invalid::new("checklist", format!("{:?} is listed twice", c.label.trim()))
            .zh(format!("检查项“{}”重复", c.label.trim())));
    }
    items
        .iter()
        .map(|c| {
            let label = text("checklist", &c.label, LABEL_MAX, true)?;
            if !(1..=100).contains(&c.max) {
                return Err(Invalid::new("checklist", format!("full marks of {label:?} must be 1–100"))
                    .zh(format!("“{label}”的满分须为 1–100")));
            }
            Ok(Check { label: label.to_owned(), max: c.max })
        })
        .collect()
}

/// One scored line of an inspection: a score between 0 and full marks; a
/// line scored below full marks is a finding and must say what was found.
pub fn scored(check: &Check, score: i64, finding: &str) -> Result<(), Invalid> {
    if !(0..=check.max).contains(&score) {
        return Err(Invalid::new("score", format!("{:?} is scored 0–{}, not {score}", check.label, check.max))
            .zh(format!("“{}”的得分须为 0–{}，不能是 {score}", check.label, check.max)));
    }
    let finding = text("finding", finding, TEXT_MAX, false)?;
    if score < check.max && finding.is_empty() {
        return Err(Invalid::new("finding", format!("say what was found at {:?}", check.label))
            .zh(format!("“{}”扣分须写明发现的问题", check.label)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_state_machine() {
        use {NoticeBy::*, NoticeState::*, NoticeStep::*};
        assert_eq!(next(Issued, NoticeStep::Receive, Company), Ok(Received));
        assert_eq!(next(Issued, Answer, Company), Ok(Answered), "answering signs for it");
        assert_eq!(next(Received, Answer, Company), Ok(Answered));
        assert_eq!(next(Answered, Return, Issuer), Ok(Returned));
        assert_eq!(next(Returned, Answer, Company), Ok(Answered));
        assert_eq!(next(Answered, Close, Issuer), Ok(Closed));
        assert!(next(Answered, Close, Company).is_err(), "a company does not verify itself");
        assert!(next(Received, Close, Issuer).is_err(), "nothing to verify before an answer");
        assert!(next(Closed, Answer, Company).is_err());
        assert!(next(Issued, Return, Issuer).is_err());
    }

    #[test]
    fn deadlines_overdue_missed_and_escalation() {
        let (on, by) = (d("2021-05-01"), d("2021-05-15"));
        assert!(!overdue(NoticeState::Received, by, by), "the deadline's day is included");
        assert!(overdue(NoticeState::Received, by, d("2021-05-16")));
        assert!(!overdue(NoticeState::Answered, by, d("2021-06-16")), "answered: the issuer owes the next step");
        assert!(missed(NoticeState::Closed, by, Some(d("2021-05-16")), d("2021-07-01")));
        assert!(!missed(NoticeState::Closed, by, Some(by), d("2021-07-01")));
        assert!(missed(NoticeState::Returned, by, Some(d("2021-05-10")), d("2021-05-16")));
        assert_eq!(escalated(Level::Street, on, by, by), Level::Street);
        assert_eq!(escalated(Level::Street, on, by, d("2021-05-16")), Level::County);
        assert_eq!(escalated(Level::Street, on, by, d("2021-05-29")), Level::County, "14 days' span");
        assert_eq!(escalated(Level::Street, on, by, d("2021-05-30")), Level::City);
        assert_eq!(escalated(Level::City, on, by, d("2022-01-01")), Level::City, "the city is the top");
        assert!(deadline(on, d("2021-04-30")).is_err());
        assert!(deadline(on, d("2022-05-03")).is_err());
        assert_eq!(number("371402", 2021, 7), "371402-2021-0007");
    }

    #[test]
    fn checklists_and_scores() {
        let list = default_checklist();
        assert_eq!(list.iter().map(|c| c.max).sum::<i64>(), 100);
        assert!(checklist(&list).is_ok());
        assert!(checklist(&[]).is_err());
        assert!(checklist(&[Check { label: "x".into(), max: 0 }]).is_err());
        assert!(checklist(&[Check { label: " ".into(), max: 5 }]).is_err());
        let c = &list[0];
        assert!(scored(c, 15, "").is_ok());
        assert!(scored(c, 12, "").is_err(), "a deduction says what was found");
        assert!(scored(c, 12, "楼道堆物").is_ok());
        assert!(scored(c, 16, "x").is_err());
        assert!(scored(c, -1, "x").is_err());
    }
}
