//! Consultation under the party's leadership (党组织领导下的民主议事协商):
//! a topic (议题) is proposed by residents, the owners' committee, the
//! company or the community; collected; a major matter is reviewed first by
//! the party organisation leading the compound (approve, return with a
//! reason, or reject); deliberated at meetings; decided by the meeting, or by
//! an owners' vote when it is one of the matters art. 278 reserves to the
//! owners; published; implemented with follow-up; evaluated by residents.
//! Pure rules: the states and who may take which step.

use crate::Invalid;
use crate::vote::Matter;

text_enum!(
    /// Who raised a topic.
    Proposer, "proposer", "proposer of a topic", "议题提出方" {
        /// An owner or resident of the compound.
        Resident = "resident",
        /// The owners' committee.
        Committee = "committee",
        /// The property company.
        Company = "company",
        /// The community (its party organisation or residents' committee).
        Community = "community",
    }
);

text_enum!(
    /// Where a topic stands.
    TopicState, "state", "state of a topic", "议题状态" {
        /// Raised, waiting to be collected (征集).
        Proposed = "proposed",
        /// A major matter before the leading party organisation (党组织前置审核).
        Review = "review",
        /// Sent back by the review with a reason, for the proposer to revise.
        Returned = "returned",
        /// Refused by the review (final).
        Rejected = "rejected",
        /// Being deliberated at meetings (协商).
        Deliberation = "deliberation",
        /// Put to the owners; decided when the vote is final.
        Voting = "voting",
        /// Decided (by the meeting or by the owners).
        Decided = "decided",
        /// Published and being carried out, with follow-up (落实).
        Implementing = "implementing",
        /// Carried out; residents evaluate it.
        Done = "done",
    }
);

text_enum!(
    /// What someone does to a topic.
    TopicStep, "step", "step on a topic", "议题操作" {
        /// Collect a proposed topic; a major one goes to review.
        Accept = "accept",
        /// The party organisation approves a major topic for deliberation.
        Approve = "approve",
        /// The review sends it back, with a reason.
        Return = "return",
        /// The proposer resubmits a returned topic.
        Resubmit = "resubmit",
        /// The review refuses it, with a reason.
        Reject = "reject",
        /// Record a meeting (notice, attendance, minutes); the state stays.
        Meeting = "meeting",
        /// Put it to an owners' vote (the vote is linked).
        PutToVote = "put_to_vote",
        /// The meeting decides it (not for the owners' matters).
        Decide = "decide",
        /// The owners' vote became final (recorded by the system).
        VoteFinal = "vote_final",
        /// Publish the decision; implementation begins.
        Publish = "publish",
        /// A note on how the implementation goes; the state stays.
        FollowUp = "follow_up",
        /// The decision has been carried out.
        Complete = "complete",
    }
);

impl TopicStep {
    /// Says no to what was asked: pages mark its button as such.
    pub fn refuses(self) -> bool {
        matches!(self, TopicStep::Reject | TopicStep::Return)
    }
}

text_enum!(
    /// The kinds of meeting a topic is deliberated at.
    MeetingKind, "meeting_kind", "kind of meeting", "会议类型" {
        /// 党组织、业主委员会、物业服务企业联席会议
        Joint = "joint",
        /// 业主大会
        Assembly = "assembly",
        /// 主题党日
        PartyDay = "party_day",
        /// 居民议事会、恳谈会
        Residents = "residents",
    }
);

/// Who takes a step: the community side (workers and officers, also acting
/// for the leading party organisation), the owners' committee, the company,
/// an owner, or the system itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicBy {
    Community,
    Committee,
    Company,
    Owner,
    System,
}

/// The state after `step`, if `by` may take it from `from`. `major` topics
/// pass the party's review; `owners_matter` topics cannot be decided by a
/// meeting.
pub fn next(
    from: TopicState,
    step: TopicStep,
    by: TopicBy,
    major: bool,
    owners_matter: bool,
) -> Result<TopicState, Invalid> {
    use {TopicBy::*, TopicState::*, TopicStep::*};
    let managers = matches!(by, Community | Committee);
    let r = match (from, step) {
        (Proposed, Accept) if managers => Some(if major { Review } else { Deliberation }),
        (Review, Approve) if by == Community => Some(Deliberation),
        (Review, TopicStep::Return) if by == Community => Some(Returned),
        (Review, Reject) if by == Community => Some(Rejected),
        (Returned, Resubmit) if by != System => Some(Review),
        (Deliberation, Meeting) | (Voting, Meeting) if managers => Some(from),
        (Deliberation, PutToVote) if managers => Some(Voting),
        (Deliberation, Decide) if managers && !owners_matter => Some(Decided),
        (Voting, VoteFinal) if by == System => Some(Decided),
        (Decided, Publish) if managers => Some(Implementing),
        (Implementing, FollowUp) if managers || by == Company => Some(Implementing),
        (Implementing, Complete) if managers => Some(Done),
        _ => None,
    };
    r.ok_or_else(|| {
        let why = if step == Decide && owners_matter {
            " (this matter is the owners' to decide: put it to a vote)"
        } else {
            ""
        };
        Invalid::new("step", format!("cannot {} a topic that is {} here{why}", step.as_str(), from.as_str()))
            .zh(format!("此处不能对“{}”状态的议题执行“{}”", from.as_str(), step.as_str()))
    })
}

/// Whether a topic is major (重大事项): every matter art. 278 reserves to the
/// owners is, and so is one its proposer or collector marks major.
pub fn is_major(matter: Option<Matter>, marked: bool) -> bool {
    marked || matter.is_some()
}

/// Whether a step needs its note (a reason, minutes, a decision, a follow-up).
pub fn needs_note(step: TopicStep) -> bool {
    use TopicStep::*;
    matches!(step, Return | Reject | Meeting | Decide | FollowUp)
}

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 4000;
/// A meeting's attendance is a head count, bounded.
pub const ATTENDANCE_MAX: i64 = 100_000;

#[cfg(test)]
mod tests {
    use super::*;
    use TopicState::*;
    use TopicStep::*;

    #[test]
    fn a_major_topic_passes_the_party_review_first() {
        assert_eq!(next(Proposed, Accept, TopicBy::Committee, true, false).unwrap(), Review);
        assert_eq!(next(Proposed, Accept, TopicBy::Committee, false, false).unwrap(), Deliberation);
        assert!(next(Review, Approve, TopicBy::Committee, true, false).is_err(), "the committee does not review");
        assert_eq!(next(Review, Approve, TopicBy::Community, true, false).unwrap(), Deliberation);
        assert_eq!(next(Review, TopicStep::Return, TopicBy::Community, true, false).unwrap(), Returned);
        assert_eq!(next(Returned, Resubmit, TopicBy::Owner, true, false).unwrap(), Review);
        assert_eq!(next(Review, Reject, TopicBy::Community, true, false).unwrap(), Rejected);
        assert!(next(Rejected, Resubmit, TopicBy::Owner, true, false).is_err(), "a rejection is final");
    }

    #[test]
    fn the_owners_matters_go_to_a_vote() {
        assert!(next(Deliberation, Decide, TopicBy::Committee, true, true).is_err());
        assert_eq!(next(Deliberation, PutToVote, TopicBy::Committee, true, true).unwrap(), Voting);
        assert!(next(Voting, VoteFinal, TopicBy::Committee, true, true).is_err(), "only the vote decides");
        assert_eq!(next(Voting, VoteFinal, TopicBy::System, true, true).unwrap(), Decided);
        assert_eq!(next(Deliberation, Decide, TopicBy::Community, false, false).unwrap(), Decided);
        assert_eq!(next(Decided, Publish, TopicBy::Committee, false, false).unwrap(), Implementing);
        assert_eq!(next(Implementing, FollowUp, TopicBy::Company, false, false).unwrap(), Implementing);
        assert!(next(Implementing, Complete, TopicBy::Company, false, false).is_err());
        assert!(is_major(Some(Matter::UseFund), false) && !is_major(None, false));
    }
}
