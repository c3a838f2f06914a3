//! Consultation topics (议题): raised, moved through `domain::consult::next`
//! by conditional updates, every step dated on the timeline (meetings with
//! their kind, day, attendance, minutes and a photo), rated by residents.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::consult::{self, MeetingKind, Proposer, TopicBy, TopicState, TopicStep};
use domain::vote::Matter;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use crate::audit::Change;
use crate::sql::{all, exec, insert_id, known, known_opt, one, page_of, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Topic {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub title: String,
    pub body: String,
    pub proposer: Proposer,
    pub proposed_by: String,
    pub matter: Option<Matter>,
    pub major: bool,
    pub state: TopicState,
    pub vote_id: Option<i64>,
    pub decision: String,
    pub raised_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct TopicRow {
    id: i64,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    title: String,
    body: String,
    proposer: String,
    proposed_by: String,
    matter: Option<String>,
    major: bool,
    state: String,
    vote_id: Option<i64>,
    decision: String,
    raised_on: NaiveDate,
    decided_on: Option<NaiveDate>,
    done_on: Option<NaiveDate>,
    updated_at: DateTime<Utc>,
}

impl FromQueryResult for Topic {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = TopicRow::from_query_result(res, pre)?;
        let row = format!("topic {}", r.id);
        Ok(Topic {
            proposer: known(&row, "proposer", &r.proposer, Proposer::find)?,
            matter: known_opt(&row, "matter", r.matter.as_deref(), Matter::find)?,
            state: known(&row, "state", &r.state, TopicState::find)?,
            id: r.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            title: r.title,
            body: r.body,
            proposed_by: r.proposed_by,
            major: r.major,
            vote_id: r.vote_id,
            decision: r.decision,
            raised_on: r.raised_on,
            decided_on: r.decided_on,
            done_on: r.done_on,
            updated_at: r.updated_at,
        })
    }
}

impl Topic {
    /// A matter the owners decide (art. 278): only a vote decides it.
    pub fn owners_matter(&self) -> bool {
        self.matter.is_some()
    }
}

const SELECT: &str = "SELECT t.id, t.compound_id, c.name AS compound_name, t.region_path, t.title, t.body, t.proposer, \
     t.proposed_by, t.matter, t.major, t.state, t.vote_id, t.decision, t.raised_on, t.decided_on, t.done_on, \
     t.updated_at FROM topic t JOIN compound c ON c.id = t.compound_id";

#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TopicEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
    pub meeting_kind: Option<String>,
    pub meeting_on: Option<NaiveDate>,
    pub attendance: Option<i64>,
    pub photo_sha256: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewTopic {
    pub compound_id: i64,
    pub title: String,
    pub body: String,
    pub proposer: Proposer,
    pub matter: Option<Matter>,
    pub major: bool,
}

pub async fn create(db: &Db, actor: &Actor, n: &NewTopic, now: DateTime<Utc>) -> Result<Topic> {
    let tx = db.begin_write_in_scope().await?;
    let id = create_in(&*tx, actor, n, now).await?;
    tx.commit().await?;
    get(db, id).await
}

pub async fn create_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewTopic, now: DateTime<Utc>) -> Result<i64> {
    let title = domain::rectify::text("title", &n.title, consult::TITLE_MAX, true)?;
    let body = domain::rectify::text("body", &n.body, consult::TEXT_MAX, false)?;
    let path = crate::owners::compound_path(c, n.compound_id).await?;
    let major = consult::is_major(n.matter, n.major);
    let id = insert_id(
        c,
        "INSERT INTO topic (compound_id, region_path, title, body, proposer, proposed_by, matter, major, state, \
         raised_on, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING id",
        vec![
            n.compound_id.into(),
            path.clone().into(),
            title.into(),
            body.into(),
            n.proposer.as_str().into(),
            actor.login.clone().into(),
            n.matter.map(|m| m.as_str()).into(),
            major.into(),
            TopicState::Proposed.as_str().into(),
            domain::clock::china_date(now).into(),
            now.into(),
        ],
    )
    .await?;
    event(c, id, now, actor, "propose", None, TopicState::Proposed, "", None, None).await?;
    Change::new("propose", "topic", id, Some(path))
        .after(serde_json::json!({"title": title, "proposer": n.proposer.as_str(), "major": major}))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

/// A meeting as recorded on a topic.
#[derive(Debug, Clone)]
pub struct Meeting {
    pub kind: MeetingKind,
    pub on: NaiveDate,
    pub attendance: i64,
    pub photo: Option<(String, String)>,
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &impl ConnectionTrait,
    id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    step: &str,
    from: Option<TopicState>,
    to: TopicState,
    note: &str,
    meeting: Option<&Meeting>,
    photo: Option<&(String, String)>,
) -> Result<()> {
    let photo = photo.or(meeting.and_then(|m| m.photo.as_ref()));
    exec(
        c,
        "INSERT INTO topic_event (topic_id, at, actor, step, from_state, to_state, note, meeting_kind, meeting_on, \
         attendance, photo_sha256, photo_mime) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
        vec![
            id.into(),
            at.into(),
            actor.login.clone().into(),
            step.into(),
            from.map(|f| f.as_str()).into(),
            to.as_str().into(),
            note.into(),
            meeting.map(|m| m.kind.as_str()).into(),
            meeting.map(|m| m.on).into(),
            meeting.map(|m| m.attendance).into(),
            photo.map(|p| p.0.clone()).into(),
            photo.map(|p| p.1.clone()).into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> Result<Topic> {
    get_in(db.conn(), id).await
}

async fn get_in(c: &impl ConnectionTrait, id: i64) -> Result<Topic> {
    one(c, &format!("{SELECT} WHERE t.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<TopicEvent>> {
    Ok(all(
        db.conn(),
        "SELECT id, at, actor, step, from_state, to_state, note, meeting_kind, meeting_on, attendance, photo_sha256 \
         FROM topic_event WHERE topic_id = $1 ORDER BY at, id",
        vec![id.into()],
    )
    .await?)
}

/// Take a step (see `domain::consult::next`). A meeting carries its record;
/// `put_to_vote` links the vote announced for it.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    step: TopicStep,
    by: TopicBy,
    note: &str,
    meeting: Option<&Meeting>,
    vote_id: Option<i64>,
    photo: Option<&(String, String)>,
    now: DateTime<Utc>,
) -> Result<Topic> {
    let tx = db.begin_write_in_scope().await?;
    step_in(&*tx, actor, id, step, by, note, meeting, vote_id, photo, now).await?;
    tx.commit().await?;
    get(db, id).await
}

#[allow(clippy::too_many_arguments)]
pub async fn step_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    step: TopicStep,
    by: TopicBy,
    note: &str,
    meeting: Option<&Meeting>,
    vote_id: Option<i64>,
    photo: Option<&(String, String)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let note = domain::rectify::text("note", note, consult::TEXT_MAX, consult::needs_note(step))?;
    if step == TopicStep::Meeting && meeting.is_none() {
        return Err(domain::Invalid::new("meeting", "a meeting needs its kind, day and attendance")
            .zh("会议须写明类型、日期和参会人数")
            .into());
    }
    if let Some(m) = meeting
        && !(0..=consult::ATTENDANCE_MAX).contains(&m.attendance)
    {
        return Err(domain::Invalid::new("attendance", "0–100,000 people").zh("参会人数须为 0–100000").into());
    }
    if step == TopicStep::PutToVote && vote_id.is_none() {
        return Err(domain::Invalid::new("vote_id", "name the vote").zh("须指定表决").into());
    }
    let t = get_in(c, id).await?;
    if let (TopicStep::PutToVote, Some(v)) = (step, vote_id) {
        // The vote must be the topic's compound's; it names the topic it decides.
        let linked = exec(
            c,
            "UPDATE vote SET topic_id = $1 WHERE id = $2 AND compound_id = $3 AND (topic_id IS NULL OR topic_id = $1)",
            vec![id.into(), v.into(), t.compound_id.into()],
        )
        .await?;
        if linked.rows_affected() != 1 {
            return Err(domain::Invalid::new("vote_id", "a vote of the topic's compound not deciding another topic")
                .zh("须为本小区、且未关联其他议题的表决")
                .into());
        }
    }
    let from = t.state;
    let to = consult::next(from, step, by, t.major, t.owners_matter())?;
    let today = domain::clock::china_date(now);
    let mut vals: Vec<Value> = vec![to.as_str().into(), now.into(), id.into(), from.as_str().into()];
    let extra = match step {
        TopicStep::Decide | TopicStep::VoteFinal => {
            vals.push(note.into());
            vals.push(today.into());
            ", decision = $5, decided_on = $6"
        }
        TopicStep::Complete => {
            vals.push(today.into());
            ", done_on = $5"
        }
        TopicStep::PutToVote => {
            vals.push(vote_id.into());
            ", vote_id = $5"
        }
        _ => "",
    };
    let n = exec(c, &format!("UPDATE topic SET state = $1, updated_at = $2{extra} WHERE id = $3 AND state = $4"), vals)
        .await?;
    if n.rows_affected() != 1 {
        return Err(DbError::Conflict("the topic was changed by someone else meanwhile; reload and try again".into()));
    }
    event(c, id, now, actor, step.as_str(), Some(from), to, note, meeting, photo).await?;
    Change::new(step.as_str(), "topic", id, Some(t.region_path.clone()))
        .before(serde_json::json!({"state": from.as_str()}))
        .after(serde_json::json!({"state": to.as_str(), "note": note, "vote_id": vote_id}))
        .append_in(c, actor)
        .await?;
    Ok(())
}

/// The vote a topic was put to became final: the system decides the topic.
pub(crate) async fn vote_final_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    vote_id: i64,
    decision: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let t = get_in(c, id).await?;
    // Only the vote the topic was put to decides it.
    if t.state != TopicState::Voting || t.vote_id != Some(vote_id) {
        return Ok(());
    }
    step_in(c, actor, id, TopicStep::VoteFinal, TopicBy::System, decision, None, None, None, now).await
}

/// Which topics a list shows (as for votes).
pub async fn list(db: &Db, f: &super::VoteFilter, page: domain::Paging) -> Result<(Vec<Topic>, u64)> {
    let Some((filter, vals)) = f.sql("t") else { return Ok((Vec::new(), 0)) };
    Ok(page_of(db.conn(), SELECT, "topic t", &filter, "t.updated_at DESC, t.id DESC", vals, page).await?)
}

/// Residents' evaluation of a topic carried out: 1–5 stars, one per account
/// (a second replaces the first).
pub async fn rate(db: &Db, actor: &Actor, id: i64, user_id: i64, stars: i32, comment: &str) -> Result<()> {
    if !(1..=5).contains(&stars) {
        return Err(domain::Invalid::new("stars", "1–5").zh("评分须为 1–5 星").into());
    }
    let comment = domain::rectify::text("comment", comment, 500, false)?;
    let t = get(db, id).await?;
    if t.state != TopicState::Done {
        return Err(DbError::Conflict("a topic is evaluated once it has been carried out".into()));
    }
    let tx = db.begin_write_in_scope().await?;
    exec(
        &*tx,
        "INSERT INTO topic_rating (topic_id, user_id, stars, comment, at) VALUES ($1,$2,$3,$4,$5) \
         ON CONFLICT (topic_id, user_id) DO UPDATE SET stars = excluded.stars, comment = excluded.comment, at = excluded.at",
        vec![id.into(), user_id.into(), stars.into(), comment.into(), Utc::now().into()],
    )
    .await?;
    Change::new("rate", "topic", id, Some(t.region_path.clone()))
        .after(serde_json::json!({"stars": stars}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// How residents rated a topic: the count and the sum of stars.
pub async fn ratings(db: &Db, id: i64) -> Result<(i64, i64)> {
    let n = scalar_i64(db.conn(), "SELECT COUNT(*) FROM topic_rating WHERE topic_id = $1", vec![id.into()]).await?;
    let sum = scalar_i64(
        db.conn(),
        "SELECT CAST(COALESCE(SUM(stars), 0) AS BIGINT) FROM topic_rating WHERE topic_id = $1",
        vec![id.into()],
    )
    .await?;
    Ok((n, sum))
}

/// The party organisation that leads a compound: its own branch if it has
/// one, else its community's (the review of major topics acts for it).
pub async fn leading_party(db: &Db, compound_id: i64) -> Result<Option<String>> {
    #[derive(FromQueryResult)]
    struct R {
        name: String,
    }
    let r: Option<R> = one(
        db.conn(),
        "SELECT o.name FROM organisation o, compound c WHERE c.id = $1 AND o.kind = 'party_org' \
         AND o.retired_at IS NULL AND (o.compound_id = c.id OR (o.compound_id IS NULL AND o.region_code = c.community_code)) \
         ORDER BY CASE WHEN o.compound_id IS NULL THEN 1 ELSE 0 END, o.id LIMIT 1",
        vec![compound_id.into()],
    )
    .await?;
    Ok(r.map(|r| r.name))
}
