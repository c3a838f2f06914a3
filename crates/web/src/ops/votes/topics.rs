//! Consultation topics: raised by an owner, the committee, the company or
//! the community; moved on by whoever the step belongs to (the community
//! side reviews for the party organisation leading the compound); rated by
//! owners once carried out.

use chrono::{NaiveDate, Utc};
use db::votes::topics::{Meeting, NewTopic, Topic, TopicEvent};
use domain::Paging;
use domain::consult::{MeetingKind, Proposer, TopicBy, TopicState, TopicStep};
use domain::vote::Matter;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Standing, filter, standing};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TopicIn {
    pub compound_id: i64,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// One of the matters art. 278 reserves to the owners (then it is decided by a vote).
    #[schema(value_type = Option<String>)]
    pub matter: Option<Matter>,
    /// Marked major (重大事项): reviewed by the party organisation first.
    #[serde(default)]
    pub major: bool,
}

/// Who the viewer proposes as, in this compound.
pub fn proposer(st: &Standing) -> Option<Proposer> {
    if st.community {
        Some(Proposer::Community)
    } else if st.committee {
        Some(Proposer::Committee)
    } else if st.company {
        Some(Proposer::Company)
    } else if !st.owners.is_empty() {
        Some(Proposer::Resident)
    } else {
        None
    }
}

/// Who the viewer acts as on a topic's steps.
pub fn by(st: &Standing) -> Option<TopicBy> {
    if st.community {
        Some(TopicBy::Community)
    } else if st.committee {
        Some(TopicBy::Committee)
    } else if st.company {
        Some(TopicBy::Company)
    } else if !st.owners.is_empty() {
        Some(TopicBy::Owner)
    } else {
        None
    }
}

pub async fn propose(s: &AppState, v: &Viewer, b: &TopicIn) -> Result<Topic, AppError> {
    let (c, st) = standing(s, v, b.compound_id).await?;
    let Some(p) = proposer(&st) else {
        return Err(if st.observe { AppError::forbidden() } else { AppError::not_found() });
    };
    let n = NewTopic {
        compound_id: c.id,
        title: b.title.clone(),
        body: b.body.clone(),
        proposer: p,
        matter: b.matter,
        major: b.major,
    };
    Ok(db::votes::topics::create(&s.db, &v.actor(), &n, Utc::now()).await?)
}

/// A topic the viewer may read, with where they stand (404 otherwise).
pub async fn load(s: &AppState, v: &Viewer, id: i64) -> Result<(Topic, Standing), AppError> {
    let t = db::votes::topics::get(&s.db, id).await?;
    let (_, st) = standing(s, v, t.compound_id).await?;
    if st.reads_topics() { Ok((t, st)) } else { Err(AppError::not_found()) }
}

pub async fn list(
    s: &AppState,
    v: &Viewer,
    compound_id: Option<i64>,
    page: Paging,
) -> Result<(Vec<Topic>, u64), AppError> {
    if let Some(c) = compound_id {
        let (_, st) = standing(s, v, c).await?;
        if !st.reads_topics() {
            return Err(AppError::not_found());
        }
    }
    Ok(db::votes::topics::list(&s.db, &filter(s, v, compound_id, true).await?, page).await?)
}

/// A step on a topic, from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = TopicStepIn)]
pub struct StepIn {
    #[schema(value_type = String)]
    pub step: TopicStep,
    #[serde(default)]
    pub note: String,
    /// For a meeting: its kind, day and head count.
    #[schema(value_type = Option<String>)]
    pub meeting_kind: Option<MeetingKind>,
    pub meeting_on: Option<NaiveDate>,
    pub attendance: Option<i64>,
}

/// The steps the viewer may take on a topic now.
pub fn offered(st: &Standing, t: &Topic) -> Vec<TopicStep> {
    let Some(by) = by(st) else { return Vec::new() };
    TopicStep::ALL
        .iter()
        .copied()
        .filter(|s| *s != TopicStep::PutToVote && *s != TopicStep::VoteFinal)
        // Only the proposer's side resubmits what the review returned.
        .filter(|s| *s != TopicStep::Resubmit || st.manage || t.proposed_by_is(st))
        .filter(|s| domain::consult::next(t.state, *s, by, t.major, t.owners_matter()).is_ok())
        .collect()
}

trait ProposedBy {
    fn proposed_by_is(&self, st: &Standing) -> bool;
}

impl ProposedBy for Topic {
    fn proposed_by_is(&self, st: &Standing) -> bool {
        match self.proposer {
            Proposer::Resident => !st.owners.is_empty(),
            Proposer::Committee => st.committee,
            Proposer::Company => st.company,
            Proposer::Community => st.community,
        }
    }
}

pub async fn step(s: &AppState, v: &Viewer, id: i64, b: &StepIn, photo: Option<&[u8]>) -> Result<Topic, AppError> {
    let (t, st) = load(s, v, id).await?;
    if !offered(&st, &t).contains(&b.step) {
        // A step someone else may take now is not this viewer's (403); one
        // nobody may take is against the rules (422).
        let someone = [TopicBy::Community, TopicBy::Committee, TopicBy::Company, TopicBy::Owner]
            .into_iter()
            .any(|by| domain::consult::next(t.state, b.step, by, t.major, t.owners_matter()).is_ok());
        return Err(match by(&st) {
            Some(_) if !someone => {
                domain::consult::next(t.state, b.step, TopicBy::Community, t.major, t.owners_matter())
                    .err()
                    .map(AppError::from)
                    .unwrap_or_else(AppError::forbidden)
            }
            _ => AppError::forbidden(),
        });
    }
    let meeting = match b.step {
        TopicStep::Meeting => Some(Meeting {
            kind: b
                .meeting_kind
                .ok_or_else(|| domain::Invalid::new("meeting_kind", "the kind of meeting").zh("须选择会议类型"))?,
            on: b
                .meeting_on
                .ok_or_else(|| domain::Invalid::new("meeting_on", "the day of the meeting").zh("须填写会议日期"))?,
            attendance: b.attendance.unwrap_or(0),
            photo: None,
        }),
        _ => None,
    };
    if let Some(m) = &meeting
        && m.on > domain::clock::today()
    {
        return Err(domain::Invalid::new("meeting_on", "a meeting is recorded once held")
            .zh("会议须在举行后记录")
            .into());
    }
    let photo = match photo {
        Some(p) if !p.is_empty() => {
            let (sha, mime) = crate::ops::problems::keep_photo(s, p).await?;
            Some((sha, mime.to_owned()))
        }
        _ => None,
    };
    let by = by(&st).ok_or_else(AppError::forbidden)?;
    Ok(db::votes::topics::step(
        &s.db,
        &v.actor(),
        id,
        b.step,
        by,
        &b.note,
        meeting.as_ref(),
        None,
        photo.as_ref(),
        Utc::now(),
    )
    .await?)
}

/// An owner evaluates a topic carried out.
pub async fn rate(s: &AppState, v: &Viewer, id: i64, stars: i32, comment: &str) -> Result<(), AppError> {
    let (t, st) = load(s, v, id).await?;
    if st.owners.is_empty() {
        return Err(AppError::forbidden());
    }
    if t.state != TopicState::Done {
        return Err(db::DbError::Conflict("a topic is evaluated once it has been carried out".into()).into());
    }
    Ok(db::votes::topics::rate(&s.db, &v.actor(), id, v.user_id, stars, comment).await?)
}

pub async fn events(s: &AppState, id: i64) -> Result<Vec<TopicEvent>, AppError> {
    Ok(db::votes::topics::events(&s.db, id).await?)
}

/// Who raised a topic and who took each step are the managers' to know: a
/// resident's login is not shown to the company or the other owners.
pub fn redact(st: &Standing, t: &mut Topic, events: &mut [TopicEvent]) {
    if st.manage {
        return;
    }
    t.proposed_by = String::new();
    for e in events {
        e.actor = String::new();
    }
}
