//! Owners' votes (业主共同决定): announced with their questions and the
//! buildings they concern, ballots cast and changed until voting closes (one
//! per owner per question, kept by a unique index), counted from the stored
//! ballots by `domain::vote::count` over the owners holding the parts on the
//! day voting opened, preliminary then final results kept with a hash of the
//! ballot set, objections and rulings. Consultation topics are in `topics`.

pub mod topics;

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::vote::{self, Category, Choice, Matter, Tally, VoteState, Voter};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use crate::audit::Change;
use crate::owners::Holding;
use crate::sql::{all, exec, insert_id, known, one, page_of, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Vote {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub topic_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub state: VoteState,
    pub announced_on: NaiveDate,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub objection_days: i32,
    pub deemed_consent: bool,
    pub cancel_reason: String,
    pub counted_on: Option<NaiveDate>,
    pub final_on: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub salt: String,
}

impl Vote {
    pub fn phase(&self, today: NaiveDate) -> vote::Phase {
        vote::phase(self.state, self.opens_on, self.closes_on, self.counted_on, self.objection_days as i64, today)
    }
}

#[derive(FromQueryResult)]
struct VoteRow {
    id: i64,
    compound_id: i64,
    compound_name: String,
    region_path: String,
    topic_id: Option<i64>,
    title: String,
    body: String,
    state: String,
    announced_on: NaiveDate,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    objection_days: i32,
    deemed_consent: i32,
    cancel_reason: String,
    counted_on: Option<NaiveDate>,
    final_on: Option<NaiveDate>,
    created_by: String,
    created_at: DateTime<Utc>,
    salt: String,
}

impl FromQueryResult for Vote {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = VoteRow::from_query_result(res, pre)?;
        Ok(Vote {
            state: known(&format!("vote {}", r.id), "state", &r.state, VoteState::find)?,
            id: r.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            region_path: r.region_path,
            topic_id: r.topic_id,
            title: r.title,
            body: r.body,
            announced_on: r.announced_on,
            opens_on: r.opens_on,
            closes_on: r.closes_on,
            objection_days: r.objection_days,
            deemed_consent: r.deemed_consent != 0,
            cancel_reason: r.cancel_reason,
            counted_on: r.counted_on,
            final_on: r.final_on,
            created_by: r.created_by,
            created_at: r.created_at,
            salt: r.salt,
        })
    }
}

const SELECT: &str = "SELECT v.id, v.compound_id, c.name AS compound_name, v.region_path, v.topic_id, v.title, v.body, \
     v.state, v.announced_on, v.opens_on, v.closes_on, v.objection_days, v.deemed_consent, v.cancel_reason, \
     v.counted_on, v.final_on, v.created_by, v.created_at, v.salt FROM vote v JOIN compound c ON c.id = v.compound_id";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = VoteQuestion))]
pub struct Question {
    pub id: i64,
    pub position: i32,
    pub text: String,
    pub matter: Matter,
    pub proposed_category: Category,
    pub category: Category,
}

#[derive(FromQueryResult)]
struct QuestionRow {
    id: i64,
    position: i32,
    text: String,
    matter: String,
    proposed_category: String,
    category: String,
}

impl FromQueryResult for Question {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = QuestionRow::from_query_result(res, pre)?;
        let row = format!("question {}", r.id);
        Ok(Question {
            matter: known(&row, "matter", &r.matter, Matter::find)?,
            proposed_category: known(&row, "category", &r.proposed_category, Category::find)?,
            category: known(&row, "category", &r.category, Category::find)?,
            id: r.id,
            position: r.position,
            text: r.text,
        })
    }
}

/// A question as the convener puts it: the matter proposes the category,
/// the convener confirms it (a special matter can never be made ordinary).
#[derive(Debug, Clone)]
pub struct NewQuestion {
    pub text: String,
    pub matter: Matter,
    pub category: Category,
}

#[derive(Debug, Clone)]
pub struct NewVote {
    pub compound_id: i64,
    pub topic_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// Empty: the whole compound.
    pub building_ids: Vec<i64>,
    pub questions: Vec<NewQuestion>,
    pub announced_on: NaiveDate,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// The region's notice period (never below the law's 15 days).
    pub notice_days: i64,
    pub objection_days: i64,
    pub deemed_consent: bool,
    /// A random secret keying the receipts.
    pub salt: String,
}

impl NewVote {
    pub fn check(&self) -> Result<()> {
        domain::rectify::text("title", &self.title, vote::TITLE_MAX, true)?;
        domain::rectify::text("body", &self.body, vote::TEXT_MAX, false)?;
        if self.questions.is_empty() || self.questions.len() > vote::QUESTIONS_MAX {
            return Err(domain::Invalid::new("questions", format!("1–{} questions", vote::QUESTIONS_MAX))
                .zh(format!("表决事项须为 1–{} 项", vote::QUESTIONS_MAX))
                .into());
        }
        for q in &self.questions {
            domain::rectify::text("questions", &q.text, vote::TEXT_MAX, true)?;
            if q.matter.category() == Category::Special && q.category != Category::Special {
                return Err(domain::Invalid::new(
                    "questions",
                    format!("{} is a special question by law (art. 278)", q.matter.as_str()),
                )
                .zh("该事项依法须经特别多数表决（民法典第二百七十八条）")
                .into());
            }
        }
        if self.building_ids.len() > 200 {
            return Err(domain::Invalid::new("building_ids", "at most 200 buildings").zh("楼栋不超过 200 栋").into());
        }
        if !(1..=30).contains(&self.objection_days) {
            return Err(domain::Invalid::new("objection_days", "1–30 days").zh("异议期须为 1–30 日").into());
        }
        if !(vote::NOTICE_DAYS_MIN..=90).contains(&self.notice_days) {
            return Err(domain::Invalid::new("notice_days", "15–90 days").zh("公告期须为 15–90 日").into());
        }
        vote::schedule(self.announced_on, self.opens_on, self.closes_on, self.notice_days)?;
        Ok(())
    }
}

/// Announce a vote; its buildings must be the compound's. A vote that
/// decides a topic moves the topic to voting in the same transaction (`by`
/// is who puts it to the owners), so neither happens without the other.
pub async fn create(
    db: &Db,
    actor: &Actor,
    n: &NewVote,
    by: Option<domain::consult::TopicBy>,
    now: DateTime<Utc>,
) -> Result<Vote> {
    n.check()?;
    let tx = db.begin_write_in_scope().await?;
    let id = create_in(&*tx, actor, n, now).await?;
    if let Some(t) = n.topic_id {
        let by = by.ok_or_else(|| {
            domain::Invalid::new("topic_id", "who puts the topic to the owners").zh("须说明由谁提交表决")
        })?;
        topics::step_in(&*tx, actor, t, domain::consult::TopicStep::PutToVote, by, "", None, Some(id), None, now)
            .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

pub async fn create_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewVote, now: DateTime<Utc>) -> Result<i64> {
    n.check()?;
    let path = crate::owners::compound_path(c, n.compound_id).await?;
    let mut buildings = n.building_ids.clone();
    buildings.sort_unstable();
    buildings.dedup();
    for b in &buildings {
        let ok = scalar_i64(
            c,
            "SELECT COUNT(*) FROM building WHERE id = $1 AND compound_id = $2 AND retired_at IS NULL",
            vec![(*b).into(), n.compound_id.into()],
        )
        .await?;
        if ok == 0 {
            return Err(domain::Invalid::new("building_ids", format!("building {b} is not one of the compound's"))
                .zh(format!("楼栋 {b} 不属于该小区"))
                .into());
        }
    }
    let id = insert_id(
        c,
        "INSERT INTO vote (compound_id, region_path, topic_id, title, body, state, announced_on, opens_on, closes_on, \
         objection_days, deemed_consent, created_by, created_at, updated_at, salt) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13,$14) RETURNING id",
        vec![
            n.compound_id.into(),
            path.clone().into(),
            n.topic_id.into(),
            n.title.trim().into(),
            n.body.trim().into(),
            VoteState::Announced.as_str().into(),
            n.announced_on.into(),
            n.opens_on.into(),
            n.closes_on.into(),
            (n.objection_days as i32).into(),
            (n.deemed_consent as i32).into(),
            actor.login.clone().into(),
            now.into(),
            n.salt.clone().into(),
        ],
    )
    .await?;
    for b in &buildings {
        exec(c, "INSERT INTO vote_building (vote_id, building_id) VALUES ($1,$2)", vec![id.into(), (*b).into()])
            .await?;
    }
    for (i, q) in n.questions.iter().enumerate() {
        exec(
            c,
            "INSERT INTO vote_question (vote_id, position, text, matter, proposed_category, category) \
             VALUES ($1,$2,$3,$4,$5,$6)",
            vec![
                id.into(),
                (i as i32 + 1).into(),
                q.text.trim().into(),
                q.matter.as_str().into(),
                q.matter.category().as_str().into(),
                q.category.as_str().into(),
            ],
        )
        .await?;
    }
    crate::notify::vote_changed_in(c, id, "vote_announced", now).await?;
    Change::new("announce", "vote", id, Some(path))
        .after(serde_json::json!({
            "compound_id": n.compound_id, "title": n.title.trim(), "opens_on": n.opens_on, "closes_on": n.closes_on,
            "buildings": buildings, "questions": n.questions.len(),
        }))
        .append_in(c, actor)
        .await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Vote> {
    get_in(db.conn(), id).await
}

async fn get_in(c: &impl ConnectionTrait, id: i64) -> Result<Vote> {
    one(c, &format!("{SELECT} WHERE v.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn questions(db: &Db, id: i64) -> Result<Vec<Question>> {
    Ok(all(
        db.conn(),
        "SELECT id, position, text, matter, proposed_category, category FROM vote_question WHERE vote_id = $1 \
         ORDER BY position",
        vec![id.into()],
    )
    .await?)
}

pub async fn buildings(db: &Db, id: i64) -> Result<Vec<(i64, String)>> {
    #[derive(FromQueryResult)]
    struct R {
        id: i64,
        name: String,
    }
    let rows: Vec<R> = all(
        db.conn(),
        "SELECT b.id, b.name FROM vote_building vb JOIN building b ON b.id = vb.building_id WHERE vb.vote_id = $1 \
         ORDER BY b.id",
        vec![id.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The parts a vote is counted over and who held them the day it opened.
pub async fn parts(db: &Db, v: &Vote) -> Result<Vec<Holding>> {
    let b: Vec<i64> = buildings(db, v.id).await?.into_iter().map(|b| b.0).collect();
    crate::owners::holdings(db, v.compound_id, &b, v.opens_on).await
}

/// Which votes a list shows.
#[derive(Debug, Clone, Default)]
pub struct VoteFilter {
    /// Every vote (a grant over everything).
    pub all: bool,
    /// Subtrees the viewer reads.
    pub paths: Vec<String>,
    /// Compounds the viewer reads as their committee or an owner.
    pub compound_ids: Vec<i64>,
    /// Only this compound.
    pub compound_id: Option<i64>,
}

impl VoteFilter {
    /// ` WHERE …` over a table aliased `t` with `region_path` and
    /// `compound_id`, and its values; None when the viewer reads nothing.
    pub(crate) fn sql(&self, t: &str) -> Option<(String, Vec<Value>)> {
        let mut vals: Vec<Value> = Vec::new();
        let mut ors = Vec::new();
        if !self.all {
            for p in &self.paths {
                vals.push(format!("{p}%").into());
                ors.push(format!("{t}.region_path LIKE ${}", vals.len()));
            }
            if !self.compound_ids.is_empty() {
                let ids = self.compound_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
                ors.push(format!("{t}.compound_id IN ({ids})"));
            }
            if ors.is_empty() {
                return None;
            }
        }
        let mut conds = Vec::new();
        if !ors.is_empty() {
            conds.push(format!("({})", ors.join(" OR ")));
        }
        if let Some(c) = self.compound_id {
            vals.push(c.into());
            conds.push(format!("{t}.compound_id = ${}", vals.len()));
        }
        let filter = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        Some((filter, vals))
    }
}

pub async fn list(db: &Db, f: &VoteFilter, page: domain::Paging) -> Result<(Vec<Vote>, u64)> {
    let Some((filter, vals)) = f.sql("v") else { return Ok((Vec::new(), 0)) };
    Ok(page_of(db.conn(), SELECT, "vote v", &filter, "v.opens_on DESC, v.id DESC", vals, page).await?)
}

/// A ballot as stored.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Ballot {
    pub id: i64,
    pub question_id: i64,
    pub voter_key: String,
    pub owner_id: Option<i64>,
    pub choice: String,
    pub channel: String,
    pub proxy_name: Option<String>,
    pub photo_sha256: Option<String>,
    pub entered_by: String,
    pub revision: i32,
    pub cast_at: DateTime<Utc>,
}

const BALLOT_SELECT: &str = "SELECT id, question_id, voter_key, owner_id, choice, channel, proxy_name, photo_sha256, \
     entered_by, revision, cast_at FROM ballot";

/// How a ballot came in.
#[derive(Debug, Clone)]
pub enum Channel {
    Online,
    /// Entered by the committee from paper, with a photo of the ballot.
    Paper {
        sha256: String,
        mime: String,
    },
    /// Cast by a proxy holding a written authority (photo), entered by the committee.
    Proxy {
        name: String,
        sha256: String,
        mime: String,
    },
}

/// Cast or change one owner's ballot on the vote's questions while voting is
/// open on `today`. The vote's row is touched first so that the count (which
/// moves the vote on by a conditional update) and a ballot never interleave.
#[allow(clippy::too_many_arguments)]
pub async fn cast(
    db: &Db,
    actor: &Actor,
    vote_id: i64,
    voter: &Voter,
    owner_id: Option<i64>,
    choices: &[(i64, Choice)],
    channel: &Channel,
    now: DateTime<Utc>,
) -> Result<Vec<Ballot>> {
    let today = domain::clock::china_date(now);
    let tx = db.begin_write_in_scope().await?;
    let v = get_in(&*tx, vote_id).await?;
    if v.phase(today) != vote::Phase::Open {
        return Err(DbError::Conflict(format!(
            "voting is not open (it opens on {} and closes at the end of {})",
            v.opens_on, v.closes_on
        )));
    }
    let locked = exec(
        &*tx,
        "UPDATE vote SET updated_at = $1 WHERE id = $2 AND state = 'announced'",
        vec![now.into(), vote_id.into()],
    )
    .await?;
    if locked.rows_affected() != 1 {
        return Err(DbError::Conflict("the vote was counted meanwhile".into()));
    }
    let qs: Vec<i64> = {
        #[derive(FromQueryResult)]
        struct R {
            id: i64,
        }
        let r: Vec<R> = all(&*tx, "SELECT id FROM vote_question WHERE vote_id = $1", vec![vote_id.into()]).await?;
        r.into_iter().map(|r| r.id).collect()
    };
    if choices.is_empty() {
        return Err(domain::Invalid::new("choices", "choose on at least one question")
            .zh("请至少对一项事项表态")
            .into());
    }
    let (ch, proxy, sha, mime) = match channel {
        Channel::Online => ("online", None, None, None),
        Channel::Paper { sha256, mime } => ("paper", None, Some(sha256.clone()), Some(mime.clone())),
        Channel::Proxy { name, sha256, mime } => {
            let name = domain::vote::owner_name(name)?;
            ("proxy", Some(name.to_owned()), Some(sha256.clone()), Some(mime.clone()))
        }
    };
    let key = voter.key();
    if ch != "online" {
        // An owner's own ballot stands: nobody enters paper over it.
        let online = scalar_i64(
            &*tx,
            "SELECT COUNT(*) FROM ballot WHERE vote_id = $1 AND voter_key = $2 AND channel = 'online'",
            vec![vote_id.into(), key.clone().into()],
        )
        .await?;
        if online > 0 {
            return Err(DbError::Conflict(
                "this owner has voted online; their own ballot stands and cannot be replaced by a paper one".into(),
            ));
        }
    }
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (q, choice) in choices {
        if !qs.contains(q) || seen.contains(q) {
            return Err(domain::Invalid::new("choices", format!("question {q} is not one of this vote's, or twice"))
                .zh(format!("事项 {q} 不属于本次表决或重复"))
                .into());
        }
        seen.push(*q);
        // One statement, portable: a second ballot from the same owner replaces the first.
        let b: Ballot = one(
            &*tx,
            "INSERT INTO ballot (vote_id, question_id, voter_key, owner_id, choice, channel, proxy_name, photo_sha256, \
             photo_mime, entered_by, revision, cast_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,1,$11) \
             ON CONFLICT (question_id, voter_key) DO UPDATE SET owner_id = excluded.owner_id, choice = excluded.choice, \
             channel = excluded.channel, proxy_name = excluded.proxy_name, photo_sha256 = excluded.photo_sha256, \
             photo_mime = excluded.photo_mime, entered_by = excluded.entered_by, revision = ballot.revision + 1, \
             cast_at = excluded.cast_at \
             RETURNING id, question_id, voter_key, owner_id, choice, channel, proxy_name, photo_sha256, entered_by, \
             revision, cast_at",
            vec![
                vote_id.into(),
                (*q).into(),
                key.clone().into(),
                owner_id.into(),
                choice.as_str().into(),
                ch.into(),
                proxy.clone().into(),
                sha.clone().into(),
                mime.clone().into(),
                actor.login.clone().into(),
                now.into(),
            ],
        )
        .await?
        .ok_or(DbError::NotFound)?;
        out.push(b);
    }
    // The audit names the ballot, never the choice: ballots are secret.
    Change::new("cast", "vote", vote_id, Some(v.region_path.clone()))
        .after(serde_json::json!({"channel": ch, "questions": seen.len()}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(out)
}

/// The ballots of one voter (their receipt), or every ballot of the vote.
pub async fn ballots(db: &Db, vote_id: i64, voter: Option<&Voter>) -> Result<Vec<Ballot>> {
    match voter {
        Some(v) => Ok(all(
            db.conn(),
            &format!("{BALLOT_SELECT} WHERE vote_id = $1 AND voter_key = $2 ORDER BY question_id"),
            vec![vote_id.into(), v.key().into()],
        )
        .await?),
        None => {
            Ok(all(db.conn(), &format!("{BALLOT_SELECT} WHERE vote_id = $1 ORDER BY id"), vec![vote_id.into()]).await?)
        }
    }
}

/// One question counted: the tally, the hash of the ballot set, and what the
/// covenant's deemed consent would make of it (reported apart).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = VoteCount))]
pub struct Count {
    pub question_id: i64,
    pub position: i32,
    pub category: Category,
    pub tally: Tally,
    pub ballots_sha256: String,
    pub deemed: Option<Tally>,
}

/// The electorate of a vote: each voter with their area (SPC art. 9).
pub async fn electorate(db: &Db, v: &Vote) -> Result<std::collections::BTreeMap<Voter, i64>> {
    let parts: Vec<domain::vote::Part> =
        parts(db, v).await?.iter().filter(|h| h.area_centi > 0).map(|h| h.part()).collect();
    Ok(domain::vote::electorate(&parts)?)
}

/// Count every question of a vote from its stored ballots (what `gongzhi vote
/// tally` prints and what a result keeps).
pub async fn recount(db: &Db, v: &Vote) -> Result<Vec<Count>> {
    let el = electorate(db, v).await?;
    let qs = questions(db, v.id).await?;
    let all_ballots = ballots(db, v.id, None).await?;
    let mut out = Vec::new();
    for q in qs {
        let mut bs = Vec::new();
        for b in all_ballots.iter().filter(|b| b.question_id == q.id) {
            let voter = Voter::from_key(&b.voter_key)
                .ok_or_else(|| DbError::Conflict(format!("ballot {} has an unreadable voter", b.id)))?;
            let choice = Choice::find(&b.choice)
                .ok_or_else(|| DbError::Conflict(format!("ballot {} has an unreadable choice", b.id)))?;
            // A ballot from an owner who did not hold a part the day voting
            // opened is not counted (the electorate is fixed that day).
            if el.contains_key(&voter) {
                bs.push((voter, choice));
            }
        }
        let tally = domain::vote::count(q.category, &el, &bs)?;
        let deemed = v.deemed_consent.then(|| domain::vote::deemed(&tally, q.category));
        out.push(Count {
            question_id: q.id,
            position: q.position,
            category: q.category,
            ballots_sha256: domain::vote::ballots_hash(q.id, &v.salt, &bs),
            tally,
            deemed,
        });
    }
    Ok(out)
}

/// A result as published and kept.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = VoteResult))]
pub struct Published {
    pub question_id: i64,
    /// The vote's state the result was published in: `preliminary` or `final`.
    pub kind: VoteState,
    pub tally: Tally,
    pub ballots_sha256: String,
    pub passed: bool,
    pub published_on: NaiveDate,
}

pub async fn results(db: &Db, vote_id: i64) -> Result<Vec<Published>> {
    #[derive(FromQueryResult)]
    struct R {
        question_id: i64,
        kind: String,
        tally: String,
        ballots_sha256: String,
        passed: bool,
        published_on: NaiveDate,
    }
    let rows: Vec<R> = all(
        db.conn(),
        "SELECT question_id, kind, tally, ballots_sha256, passed, published_on FROM vote_result WHERE vote_id = $1 \
         ORDER BY question_id, CASE WHEN kind = $2 THEN 0 ELSE 1 END",
        vec![vote_id.into(), VoteState::Preliminary.as_str().into()],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let tally: Tally = serde_json::from_str(&r.tally)
                .map_err(|e| DbError::Conflict(format!("result of question {}: {e}", r.question_id)))?;
            Ok(Published {
                kind: known(&format!("result of question {}", r.question_id), "kind", &r.kind, VoteState::find)?,
                question_id: r.question_id,
                tally,
                ballots_sha256: r.ballots_sha256,
                passed: r.passed,
                published_on: r.published_on,
            })
        })
        .collect()
}

/// Publish the preliminary result once voting has closed, or the final one
/// once the objection window has passed; the vote moves on by a conditional
/// update, so two counts cannot both land. A final result that decides a
/// consultation topic moves the topic on too.
pub async fn publish(db: &Db, actor: &Actor, vote_id: i64, now: DateTime<Utc>) -> Result<Vote> {
    let today = domain::clock::china_date(now);
    let v = get(db, vote_id).await?;
    let (from, to, col) = match v.phase(today) {
        vote::Phase::Closed => (VoteState::Announced, VoteState::Preliminary, "counted_on"),
        vote::Phase::Finalising => (VoteState::Preliminary, VoteState::Final, "final_on"),
        p => {
            return Err(DbError::Conflict(format!("a result cannot be published while the vote is {}", p.as_str())));
        }
    };
    if to == VoteState::Final {
        let open = scalar_i64(
            db.conn(),
            "SELECT COUNT(*) FROM vote_objection WHERE vote_id = $1 AND ruled_at IS NULL",
            vec![vote_id.into()],
        )
        .await?;
        if open > 0 {
            return Err(DbError::Conflict(format!("{open} objection(s) await a ruling before the final result")));
        }
    }
    let tx = db.begin_write_in_scope().await?;
    // Move the vote on first: on PostgreSQL this waits for a ballot being
    // cast (which holds the vote's row) to commit, so the count below sees it.
    let moved = exec(
        &*tx,
        &format!("UPDATE vote SET state = $1, {col} = $2, updated_at = $3 WHERE id = $4 AND state = $5"),
        vec![to.as_str().into(), today.into(), now.into(), vote_id.into(), from.as_str().into()],
    )
    .await?;
    if moved.rows_affected() != 1 {
        return Err(DbError::Conflict("the vote was moved on meanwhile; reload".into()));
    }
    let counts = recount(db, &v).await?;
    for c in &counts {
        exec(
            &*tx,
            "INSERT INTO vote_result (vote_id, question_id, kind, tally, ballots_sha256, passed, published_on) \
             VALUES ($1,$2,$3,$4,$5,$6,$7)",
            vec![
                vote_id.into(),
                c.question_id.into(),
                to.as_str().into(),
                serde_json::to_string(&c.tally).unwrap_or_default().into(),
                c.ballots_sha256.clone().into(),
                c.tally.passed.into(),
                today.into(),
            ],
        )
        .await?;
    }
    crate::notify::vote_changed_in(&*tx, vote_id, &format!("vote_{}", to.as_str()), now).await?;
    Change::new(to.as_str(), "vote", vote_id, Some(v.region_path.clone()))
        .before(serde_json::json!({"state": from.as_str()}))
        .after(serde_json::json!({
            "state": to.as_str(),
            "passed": counts.iter().map(|c| c.tally.passed).collect::<Vec<_>>(),
            "ballots_sha256": counts.iter().map(|c| c.ballots_sha256.clone()).collect::<Vec<_>>(),
        }))
        .append_in(&*tx, actor)
        .await?;
    if to == VoteState::Final
        && let Some(t) = v.topic_id
    {
        let passed = counts.iter().all(|c| c.tally.passed);
        let decision = format!("{} · {}", v.title, if passed { "表决通过" } else { "表决未通过" });
        topics::vote_final_in(&*tx, actor, t, vote_id, &decision, now).await?;
    }
    tx.commit().await?;
    get(db, vote_id).await
}

/// Call a vote off before it opens, with the reason.
pub async fn cancel(db: &Db, actor: &Actor, vote_id: i64, reason: &str, now: DateTime<Utc>) -> Result<Vote> {
    let reason = domain::rectify::text("text", reason, 500, true)?;
    let v = get(db, vote_id).await?;
    if v.phase(domain::clock::china_date(now)) != vote::Phase::Notice {
        return Err(DbError::Conflict("only a vote that has not opened yet can be called off".into()));
    }
    let tx = db.begin_write_in_scope().await?;
    let moved = exec(
        &*tx,
        "UPDATE vote SET state = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3 AND state = 'announced'",
        vec![reason.into(), now.into(), vote_id.into()],
    )
    .await?;
    if moved.rows_affected() != 1 {
        return Err(DbError::Conflict("the vote was moved on meanwhile; reload".into()));
    }
    Change::new("cancel", "vote", vote_id, Some(v.region_path.clone()))
        .before(serde_json::json!({"state": "announced"}))
        .after(serde_json::json!({"state": "cancelled", "reason": reason}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    get(db, vote_id).await
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = VoteObjection))]
pub struct Objection {
    pub id: i64,
    pub vote_id: i64,
    pub owner_id: Option<i64>,
    pub filed_by: String,
    pub text: String,
    pub filed_at: DateTime<Utc>,
    pub ruling: String,
    pub ruled_by: Option<String>,
    pub ruled_at: Option<DateTime<Utc>>,
}

/// An owner objects to the preliminary result, within the window.
pub async fn object(
    db: &Db,
    actor: &Actor,
    vote_id: i64,
    owner_id: Option<i64>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Objection> {
    let text = domain::rectify::text("text", text, 2000, true)?;
    let v = get(db, vote_id).await?;
    if v.phase(domain::clock::china_date(now)) != vote::Phase::Objection {
        return Err(DbError::Conflict(
            "objections are taken only within the window after the preliminary result".into(),
        ));
    }
    let tx = db.begin_write_in_scope().await?;
    let mine = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM vote_objection WHERE vote_id = $1 AND filed_by = $2",
        vec![vote_id.into(), actor.login.clone().into()],
    )
    .await?;
    if mine >= 5 {
        return Err(DbError::Conflict("at most five objections per owner and vote".into()));
    }
    let id = insert_id(
        &*tx,
        "INSERT INTO vote_objection (vote_id, owner_id, filed_by, text, filed_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
        vec![vote_id.into(), owner_id.into(), actor.login.clone().into(), text.into(), now.into()],
    )
    .await?;
    Change::new("object", "vote", vote_id, Some(v.region_path.clone()))
        .after(serde_json::json!({"objection": id}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    objections(db, vote_id).await?.into_iter().find(|o| o.id == id).ok_or(DbError::NotFound)
}

pub async fn objections(db: &Db, vote_id: i64) -> Result<Vec<Objection>> {
    Ok(all(
        db.conn(),
        "SELECT id, vote_id, owner_id, filed_by, text, filed_at, ruling, ruled_by, ruled_at FROM vote_objection \
         WHERE vote_id = $1 ORDER BY id",
        vec![vote_id.into()],
    )
    .await?)
}

/// The committee rules on an objection (once).
pub async fn rule(db: &Db, actor: &Actor, vote_id: i64, objection_id: i64, ruling: &str) -> Result<Objection> {
    let ruling = domain::rectify::text("text", ruling, 2000, true)?;
    let v = get(db, vote_id).await?;
    if !objections(db, vote_id).await?.iter().any(|o| o.id == objection_id) {
        return Err(DbError::NotFound);
    }
    if v.state != VoteState::Preliminary {
        return Err(DbError::Conflict("objections are ruled on before the final result".into()));
    }
    let tx = db.begin_write_in_scope().await?;
    let n = exec(
        &*tx,
        "UPDATE vote_objection SET ruling = $1, ruled_by = $2, ruled_at = $3 WHERE id = $4 AND vote_id = $5 \
         AND ruled_at IS NULL",
        vec![ruling.into(), actor.login.clone().into(), Utc::now().into(), objection_id.into(), vote_id.into()],
    )
    .await?;
    if n.rows_affected() != 1 {
        return Err(DbError::Conflict("no such objection awaiting a ruling".into()));
    }
    Change::new("rule", "vote", vote_id, Some(v.region_path.clone()))
        .after(serde_json::json!({"objection": objection_id, "ruling": ruling}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    objections(db, vote_id).await?.into_iter().find(|o| o.id == objection_id).ok_or(DbError::NotFound)
}

/// Figures for a region's votes and topics over a span of days.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub topics_raised: i64,
    pub topics_decided: i64,
    pub topics_done: i64,
    pub votes_final: i64,
    pub questions_passed: i64,
    pub questions_final: i64,
    /// Owners who took part / owners counted, over final results' questions.
    pub participating_owners: i64,
    pub electorate_owners: i64,
}

impl Figures {
    /// Owners taking part per mille of the owners counted (None without a final vote).
    pub fn participation_permille(&self) -> Option<i64> {
        (self.electorate_owners > 0).then(|| self.participating_owners * 1000 / self.electorate_owners)
    }
}

/// A region's topics and votes with a day in `from..=to` (raised, decided,
/// done; votes made final and their questions).
pub async fn figures(db: &Db, path: &str, from: NaiveDate, to: NaiveDate) -> Result<Figures> {
    let like = format!("{path}%");
    let c = db.conn();
    let mut f = Figures {
        topics_raised: scalar_i64(
            c,
            "SELECT COUNT(*) FROM topic WHERE region_path LIKE $1 AND raised_on >= $2 AND raised_on <= $3",
            vec![like.clone().into(), from.into(), to.into()],
        )
        .await?,
        topics_decided: scalar_i64(
            c,
            "SELECT COUNT(*) FROM topic WHERE region_path LIKE $1 AND decided_on >= $2 AND decided_on <= $3",
            vec![like.clone().into(), from.into(), to.into()],
        )
        .await?,
        topics_done: scalar_i64(
            c,
            "SELECT COUNT(*) FROM topic WHERE region_path LIKE $1 AND done_on >= $2 AND done_on <= $3",
            vec![like.clone().into(), from.into(), to.into()],
        )
        .await?,
        votes_final: scalar_i64(
            c,
            "SELECT COUNT(*) FROM vote WHERE region_path LIKE $1 AND final_on >= $2 AND final_on <= $3",
            vec![like.clone().into(), from.into(), to.into()],
        )
        .await?,
        ..Default::default()
    };
    #[derive(FromQueryResult)]
    struct R {
        tally: String,
        passed: bool,
    }
    let rows: Vec<R> = all(
        c,
        "SELECT r.tally, r.passed FROM vote_result r JOIN vote v ON v.id = r.vote_id WHERE r.kind = $4 \
         AND v.region_path LIKE $1 AND r.published_on >= $2 AND r.published_on <= $3",
        vec![like.into(), from.into(), to.into(), VoteState::Final.as_str().into()],
    )
    .await?;
    for r in rows {
        f.questions_final += 1;
        f.questions_passed += r.passed as i64;
        if let Ok(t) = serde_json::from_str::<Tally>(&r.tally) {
            f.participating_owners += t.participating_owners;
            f.electorate_owners += t.total_owners;
        }
    }
    Ok(f)
}

/// A region's rules for its votes: the notice before voting opens and the
/// objection window, with the region that set them (None: the law's defaults).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = VoteRule))]
pub struct Rule {
    pub notice_days: i64,
    pub objection_days: i64,
    pub region_code: Option<String>,
}

/// The rules in force for `code`: its own, else the nearest region above's.
pub async fn rule_for(db: &Db, code: &domain::RegionCode) -> Result<Rule> {
    #[derive(FromQueryResult)]
    struct R {
        region_code: String,
        notice_days: i32,
        objection_days: i32,
    }
    let lineage: Vec<String> = code.lineage().iter().map(|c| c.as_str().to_owned()).collect();
    let marks = (1..=lineage.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
    let rows: Vec<R> = all(
        db.conn(),
        &format!("SELECT region_code, notice_days, objection_days FROM vote_rule WHERE region_code IN ({marks})"),
        lineage.iter().map(|c| c.clone().into()).collect(),
    )
    .await?;
    let nearest = rows.into_iter().max_by_key(|r| r.region_code.len());
    Ok(match nearest {
        Some(r) => Rule {
            notice_days: r.notice_days.into(),
            objection_days: r.objection_days.into(),
            region_code: Some(r.region_code),
        },
        None => Rule { notice_days: vote::NOTICE_DAYS_MIN, objection_days: vote::OBJECTION_DAYS, region_code: None },
    })
}

/// Set a region's rules (15–90 days' notice, 1–30 days for objections).
pub async fn set_rule(db: &Db, actor: &Actor, code: &domain::RegionCode, notice: i64, objection: i64) -> Result<Rule> {
    if !(vote::NOTICE_DAYS_MIN..=90).contains(&notice) {
        return Err(domain::Invalid::new("notice_days", "15–90 days (the law's 15 at least)")
            .zh("公告期须为 15–90 日")
            .into());
    }
    if !(1..=30).contains(&objection) {
        return Err(domain::Invalid::new("objection_days", "1–30 days").zh("异议期须为 1–30 日").into());
    }
    let tx = db.begin_write_in_scope().await?;
    exec(&*tx, "DELETE FROM vote_rule WHERE region_code = $1", vec![code.as_str().into()]).await?;
    exec(
        &*tx,
        "INSERT INTO vote_rule (region_code, notice_days, objection_days, set_by, set_at) VALUES ($1,$2,$3,$4,$5)",
        vec![
            code.as_str().into(),
            (notice as i32).into(),
            (objection as i32).into(),
            actor.login.clone().into(),
            Utc::now().into(),
        ],
    )
    .await?;
    Change::new("set", "vote_rule", code.as_str().to_owned(), Some(code.path().as_str().to_owned()))
        .after(serde_json::json!({"notice_days": notice, "objection_days": objection}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    rule_for(db, code).await
}
