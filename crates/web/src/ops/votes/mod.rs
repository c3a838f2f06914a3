//! Owners, consultation and owners' votes (issue 16), each operation once.
//! Who stands where in a compound decides everything here:
//! - **managers** run votes and topics: the owners' committee of the
//!   compound, and the community side (workers and officers, whose region
//!   grants let them write the registry there);
//! - **observers** (any region grant reading the compound: the community,
//!   street and above) see the process, the participation and the tally,
//!   never who voted how;
//! - **owners** (accounts bound to an owner record of the compound) read,
//!   vote, object and evaluate; a resident who is not an owner, and the
//!   company, see no vote (the company reads and follows up topics).

pub mod owners;
pub mod topics;

use chrono::{NaiveDate, Utc};
use db::owners::Owner;
use db::votes::{Ballot, Channel, Count, NewQuestion, NewVote, Objection, Published, Question, Vote, VoteFilter};
use domain::access::{Action, Role};
use domain::vote::{Category, Choice, Matter, OwnerKind, Phase, Voter};
use domain::{Paging, clock};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// Where a viewer stands in one compound.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub manage: bool,
    /// The community side (also reviews topics for the leading party organisation).
    pub community: bool,
    pub committee: bool,
    pub observe: bool,
    pub company: bool,
    /// The owner records the account is bound to here.
    pub owners: Vec<Owner>,
}

impl Standing {
    pub fn reads_votes(&self) -> bool {
        self.manage || self.observe || !self.owners.is_empty()
    }

    pub fn reads_topics(&self) -> bool {
        self.reads_votes() || self.company
    }
}

pub async fn standing(
    s: &AppState,
    v: &Viewer,
    compound_id: i64,
) -> Result<(db::compounds::Compound, Standing), AppError> {
    let c = db::compounds::get(&s.db, compound_id).await?;
    let community = v.region_may(&c, Action::WriteRegistry);
    let committee = v.holds_in(c.id, Role::Committee);
    let st = Standing {
        manage: community || committee,
        community,
        committee,
        observe: v.region_may(&c, Action::Read),
        company: v.holds_in(c.id, Role::Company),
        owners: db::owners::owners_of_user(&s.db, v.user_id, c.id).await?,
    };
    Ok((c, st))
}

/// Which votes and topics a list may show this viewer.
pub async fn filter(s: &AppState, v: &Viewer, compound_id: Option<i64>, topics: bool) -> Result<VoteFilter, AppError> {
    let vis = v.visible();
    let mut f = VoteFilter { all: vis.all, compound_id, ..Default::default() };
    for g in v.grants.iter().filter(|g| g.role.may(Action::Read)) {
        if let domain::access::Scope::Region(c) = &g.scope {
            f.paths.push(c.path().as_str().to_owned());
        }
    }
    for id in &vis.ids {
        if v.holds_in(*id, Role::Committee) || (topics && v.holds_in(*id, Role::Company)) {
            f.compound_ids.push(*id);
        }
    }
    f.compound_ids.extend(db::owners::compounds_of_user(&s.db, v.user_id).await?);
    f.compound_ids.sort_unstable();
    f.compound_ids.dedup();
    Ok(f)
}

/// A vote as its announcement gives it, from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VoteIn {
    pub compound_id: i64,
    /// The consultation topic it decides, if any (moves to voting).
    pub topic_id: Option<i64>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Only these buildings' owners vote; empty: the whole compound.
    #[serde(default)]
    pub building_ids: Vec<i64>,
    pub questions: Vec<QuestionIn>,
    /// The first day of voting, at least the notice period after today.
    pub opens_on: NaiveDate,
    /// The last day of voting (5–60 days after it opens).
    pub closes_on: NaiveDate,
    /// Days of notice before voting opens (15 by law at least; default 15).
    pub notice_days: Option<i64>,
    /// Days for objections after the preliminary result (default 3).
    pub objection_days: Option<i64>,
    /// The covenant deems a ballot not returned consent: reported apart only.
    #[serde(default)]
    pub deemed_consent: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct QuestionIn {
    pub text: String,
    #[schema(value_type = String)]
    pub matter: Matter,
    /// The category the convener confirms; default: what the matter proposes.
    #[schema(value_type = Option<String>)]
    pub category: Option<Category>,
}

/// Announce a vote: the compound's managers only.
pub async fn announce(s: &AppState, v: &Viewer, b: &VoteIn) -> Result<Vote, AppError> {
    let (c, st) = standing(s, v, b.compound_id).await?;
    if !st.manage {
        return Err(if st.reads_topics() { AppError::forbidden() } else { AppError::not_found() });
    }
    if let Some(t) = b.topic_id {
        let topic = db::votes::topics::get(&s.db, t).await?;
        if topic.compound_id != c.id {
            return Err(domain::Invalid::new("topic_id", "the topic is another compound's")
                .zh("该议题不属于本小区")
                .into());
        }
    }
    let region = crate::ops::regions::parse_code(&c.region_code)?;
    let rule = db::votes::rule_for(&s.db, &region).await?;
    let notice_days = b.notice_days.unwrap_or(rule.notice_days);
    if notice_days < rule.notice_days {
        return Err(domain::Invalid::new(
            "notice_days",
            format!("this region gives at least {} days' notice", rule.notice_days),
        )
        .zh(format!("本地区规定公告期不少于 {} 日", rule.notice_days))
        .into());
    }
    let n = NewVote {
        compound_id: c.id,
        topic_id: b.topic_id,
        title: b.title.clone(),
        body: b.body.clone(),
        building_ids: b.building_ids.clone(),
        questions: b
            .questions
            .iter()
            .map(|q| NewQuestion {
                text: q.text.clone(),
                matter: q.matter,
                category: q.category.unwrap_or(q.matter.category()),
            })
            .collect(),
        announced_on: clock::today(),
        opens_on: b.opens_on,
        closes_on: b.closes_on,
        notice_days,
        objection_days: b.objection_days.unwrap_or(rule.objection_days),
        deemed_consent: b.deemed_consent,
        salt: crate::auth::new_secret(""),
    };
    let by = if st.community { domain::consult::TopicBy::Community } else { domain::consult::TopicBy::Committee };
    let vote = db::votes::create(&s.db, &v.actor(), &n, Some(by), Utc::now()).await?;
    Ok(vote)
}

/// A vote the viewer may read, with where they stand (404 otherwise).
pub async fn load(s: &AppState, v: &Viewer, id: i64) -> Result<(Vote, Standing), AppError> {
    let vote = db::votes::get(&s.db, id).await?;
    let (_, st) = standing(s, v, vote.compound_id).await?;
    if st.reads_votes() { Ok((vote, st)) } else { Err(AppError::not_found()) }
}

pub async fn list(
    s: &AppState,
    v: &Viewer,
    compound_id: Option<i64>,
    page: Paging,
) -> Result<(Vec<Vote>, u64), AppError> {
    if let Some(c) = compound_id {
        let (_, st) = standing(s, v, c).await?;
        if !st.reads_votes() {
            return Err(AppError::not_found());
        }
    }
    Ok(db::votes::list(&s.db, &filter(s, v, compound_id, false).await?, page).await?)
}

/// One voter the viewer casts for, with their ballots and receipts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyVoter {
    /// `developer` or `owners:1,2`.
    pub key: String,
    /// The parts it holds, e.g. `1号楼 1单元 301`.
    pub units: Vec<String>,
    /// The area counted for it, in hundredths of a square metre.
    pub area_centi: i64,
    pub ballots: Vec<Receipt>,
}

/// What an owner sees of their own ballot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    pub question_id: i64,
    #[schema(value_type = String)]
    pub choice: Choice,
    pub channel: String,
    pub revision: i32,
    pub cast_at: chrono::DateTime<Utc>,
    /// A code over the ballot as stored: the same code later means the ballot is unchanged.
    pub receipt: String,
}

/// A vote as every face shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteOut {
    pub vote: Vote,
    #[schema(value_type = String)]
    pub phase: Phase,
    pub questions: Vec<Question>,
    /// The buildings it is limited to (empty: the whole compound).
    pub buildings: Vec<(i64, String)>,
    /// Owners (SPC art. 9) and exclusive area counted, as of the day voting opens.
    pub electorate_owners: i64,
    pub electorate_area_centi: i64,
    /// Parts with no recorded owner, counted as the developer's.
    pub unrecorded_parts: i64,
    /// Owners who have returned a ballot on any question so far.
    pub returned: i64,
    /// Published results, preliminary and final.
    pub results: Vec<Published>,
    pub objections: Vec<Objection>,
    /// The voters the viewer casts for (an owner's own; empty for others).
    pub mine: Vec<MyVoter>,
    /// The last day an owner may ask a court to revoke the decision (SPC art. 12), once final.
    pub revocable_until: Option<NaiveDate>,
    /// The count from the stored ballots so far: for managers and observers
    /// once voting has closed (never while it is open, so no running tally
    /// sways the owners); what a result would publish.
    pub count: Option<Vec<Count>>,
    /// Who the viewer is here: manage, observe, owner.
    pub manage: bool,
    pub owner: bool,
}

pub async fn view(s: &AppState, v: &Viewer, id: i64) -> Result<VoteOut, AppError> {
    let (vote, st) = load(s, v, id).await?;
    let today = clock::today();
    let questions = db::votes::questions(&s.db, id).await?;
    let buildings = db::votes::buildings(&s.db, id).await?;
    let parts = db::votes::parts(&s.db, &vote).await?;
    let counted: Vec<_> = parts.iter().filter(|h| h.area_centi > 0).collect();
    let el = domain::vote::electorate(&counted.iter().map(|h| h.part()).collect::<Vec<_>>())?;
    let ballots = db::votes::ballots(&s.db, id, None).await?;
    let keys: std::collections::BTreeSet<String> = el.keys().map(|k| k.key()).collect();
    let mut returned: Vec<&str> = ballots.iter().map(|b| b.voter_key.as_str()).filter(|k| keys.contains(*k)).collect();
    returned.sort_unstable();
    returned.dedup();
    let mine_keys = my_voters(&st.owners, &el);
    let mut mine = Vec::new();
    for key in &mine_keys {
        let units = counted.iter().filter(|h| &h.holder().voter() == key).map(|h| h.label()).collect();
        let bs = ballots.iter().filter(|b| b.voter_key == key.key());
        mine.push(MyVoter {
            key: key.key(),
            units,
            area_centi: el.get(key).copied().unwrap_or(0),
            ballots: bs.map(|b| receipt(&vote, key, b)).collect::<Result<_, _>>()?,
        });
    }
    let phase = vote.phase(today);
    let count = if (st.manage || st.observe) && !matches!(phase, Phase::Notice | Phase::Open | Phase::Cancelled) {
        Some(db::votes::recount(&s.db, &vote).await?)
    } else {
        None
    };
    Ok(VoteOut {
        count,
        phase,
        questions,
        buildings,
        electorate_owners: el.len() as i64,
        electorate_area_centi: el.values().sum(),
        unrecorded_parts: counted.iter().filter(|h| h.owners.is_empty()).count() as i64,
        returned: returned.len() as i64,
        results: db::votes::results(&s.db, id).await?,
        // Who objected is the managers' to know: owners see the objection and its ruling.
        objections: db::votes::objections(&s.db, id)
            .await?
            .into_iter()
            .map(|mut o| {
                if !st.manage {
                    o.owner_id = None;
                    o.filed_by = String::new();
                }
                o
            })
            .collect(),
        mine,
        revocable_until: vote.final_on.map(domain::vote::revocable_until),
        manage: st.manage,
        owner: !st.owners.is_empty(),
        vote,
    })
}

fn receipt(vote: &Vote, voter: &Voter, b: &Ballot) -> Result<Receipt, AppError> {
    let choice = Choice::parse(&b.choice)?;
    Ok(Receipt {
        question_id: b.question_id,
        choice,
        channel: b.channel.clone(),
        revision: b.revision,
        cast_at: b.cast_at,
        receipt: domain::vote::receipt(b.id, b.revision, voter, choice, &vote.salt),
    })
}

/// The voters among the electorate that these owner records cast for.
fn my_voters(owners: &[Owner], el: &std::collections::BTreeMap<Voter, i64>) -> Vec<Voter> {
    el.keys()
        .filter(|k| match k {
            Voter::Developer => owners.iter().any(|o| o.kind == OwnerKind::Developer),
            Voter::Owners(ids) => owners.iter().any(|o| ids.contains(&o.id)),
        })
        .cloned()
        .collect()
}

/// An owner's ballot, from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CastIn {
    /// Which of the viewer's voters (see `mine`); needed only when they cast for several.
    pub voter: Option<String>,
    pub choices: Vec<ChoiceIn>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChoiceIn {
    pub question_id: i64,
    #[schema(value_type = String)]
    pub choice: Choice,
}

/// An owner casts or changes their ballot while voting is open.
pub async fn cast(s: &AppState, v: &Viewer, id: i64, b: &CastIn) -> Result<Vec<Receipt>, AppError> {
    let (vote, st) = load(s, v, id).await?;
    if st.owners.is_empty() {
        return Err(AppError::forbidden());
    }
    let el = db::votes::electorate(&s.db, &vote).await?;
    let mine = my_voters(&st.owners, &el);
    let voter = match &b.voter {
        Some(k) => mine.iter().find(|m| &m.key() == k).cloned(),
        None if mine.len() == 1 => mine.first().cloned(),
        None if mine.is_empty() => None,
        None => {
            return Err(domain::Invalid::new("voter", "you cast for several owners here: say which")
                .zh("您在本次表决中代表多个业主，请选择")
                .into());
        }
    };
    let Some(voter) = voter else {
        return Err(domain::Invalid::new("voter", "you hold no part counted in this vote")
            .zh("您在本次表决范围内没有专有部分")
            .into());
    };
    let owner_id = st.owners.iter().find(|o| voter.includes(o.id) || o.kind == OwnerKind::Developer).map(|o| o.id);
    let choices: Vec<(i64, Choice)> = b.choices.iter().map(|c| (c.question_id, c.choice)).collect();
    if choices.len() > domain::vote::QUESTIONS_MAX {
        return Err(domain::Invalid::new("choices", "too many choices").zh("表态项过多").into());
    }
    let stored =
        db::votes::cast(&s.db, &v.actor(), id, &voter, owner_id, &choices, &Channel::Online, Utc::now()).await?;
    stored.iter().map(|b| receipt(&vote, &voter, b)).collect()
}

/// A paper ballot (or a proxy's) as the committee enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PaperIn {
    /// A part the owner holds (the voter is whoever held it the day voting opened).
    pub unit_id: i64,
    pub choices: Vec<ChoiceIn>,
    /// A proxy's name; the photo is then of their written authority.
    pub proxy_name: Option<String>,
}

/// The committee enters a paper ballot with a photo of it (or a proxy's
/// ballot with a photo of the written authority).
pub async fn enter_paper(s: &AppState, v: &Viewer, id: i64, b: &PaperIn, photo: &[u8]) -> Result<(), AppError> {
    let (vote, st) = load(s, v, id).await?;
    if !st.manage {
        return Err(AppError::forbidden());
    }
    let parts = db::votes::parts(&s.db, &vote).await?;
    let Some(h) = parts.iter().find(|h| h.unit_id == b.unit_id && h.area_centi > 0) else {
        return Err(domain::Invalid::new("unit_id", "that unit is not counted in this vote")
            .zh("该房屋不在本次表决范围内")
            .into());
    };
    let voter = h.holder().voter();
    if photo.is_empty() {
        return Err(domain::Invalid::new("photo", "a photo of the paper ballot (or of the proxy's authority)")
            .zh("须上传纸质表决票（或授权委托书）照片")
            .into());
    }
    let (sha, mime) = crate::ops::problems::keep_photo(s, photo).await?;
    let channel = match b.proxy_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => Channel::Proxy { name: name.to_owned(), sha256: sha, mime: mime.to_owned() },
        None => Channel::Paper { sha256: sha, mime: mime.to_owned() },
    };
    let owner_id = h.owners.first().map(|o| o.0);
    let choices: Vec<(i64, Choice)> = b.choices.iter().map(|c| (c.question_id, c.choice)).collect();
    db::votes::cast(&s.db, &v.actor(), id, &voter, owner_id, &choices, &channel, Utc::now()).await?;
    Ok(())
}

/// Publish the preliminary result after voting closes, or the final one
/// after the objection window: the managers' to do.
pub async fn publish(s: &AppState, v: &Viewer, id: i64) -> Result<Vote, AppError> {
    let (_, st) = load(s, v, id).await?;
    if !st.manage {
        return Err(AppError::forbidden());
    }
    Ok(db::votes::publish(&s.db, &v.actor(), id, Utc::now()).await?)
}

pub async fn cancel(s: &AppState, v: &Viewer, id: i64, reason: &str) -> Result<Vote, AppError> {
    let (_, st) = load(s, v, id).await?;
    if !st.manage {
        return Err(AppError::forbidden());
    }
    Ok(db::votes::cancel(&s.db, &v.actor(), id, reason, Utc::now()).await?)
}

/// An owner objects to the preliminary result.
pub async fn object(s: &AppState, v: &Viewer, id: i64, text: &str) -> Result<Objection, AppError> {
    let (vote, st) = load(s, v, id).await?;
    // Those the vote counted object; an owner elsewhere in the compound does not.
    let el = db::votes::electorate(&s.db, &vote).await?;
    if my_voters(&st.owners, &el).is_empty() {
        return Err(AppError::forbidden());
    }
    let Some(o) = st.owners.first() else { return Err(AppError::forbidden()) };
    Ok(db::votes::object(&s.db, &v.actor(), id, Some(o.id), text, Utc::now()).await?)
}

pub async fn rule(s: &AppState, v: &Viewer, id: i64, objection_id: i64, ruling: &str) -> Result<Objection, AppError> {
    let (_, st) = load(s, v, id).await?;
    if !st.manage {
        return Err(AppError::forbidden());
    }
    Ok(db::votes::rule(&s.db, &v.actor(), id, objection_id, ruling).await?)
}

/// The rules in force for a region the viewer reads.
pub async fn rules(s: &AppState, v: &Viewer, region: &domain::RegionCode) -> Result<db::votes::Rule, AppError> {
    v.check_region(Action::Read, region)?;
    Ok(db::votes::rule_for(&s.db, region).await?)
}

/// Set a region's notice period and objection window: its supervisors (who set the plan's targets).
pub async fn set_rule(
    s: &AppState,
    v: &Viewer,
    region: &domain::RegionCode,
    notice_days: i64,
    objection_days: i64,
) -> Result<db::votes::Rule, AppError> {
    v.check_region(Action::ManagePlans, region)?;
    Ok(db::votes::set_rule(&s.db, &v.actor(), region, notice_days, objection_days).await?)
}
