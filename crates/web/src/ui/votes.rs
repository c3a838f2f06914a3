//! Consultation and owners' votes as pages (phone first): the list of a
//! reader's topics and votes; a vote's notice, the ballot, the receipt and
//! the result with its four fractions; the managers' forms (announce, enter a
//! paper ballot, publish, rule on objections); topics with their timeline and
//! steps; a compound's owners; residents' claims to be an owner.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use db::files::Holder;
use db::owners::{Claim, Holding, OwnerUnits};
use db::votes::topics::{Topic, TopicEvent};
use db::votes::{Count, Vote};
use domain::Paging;
use domain::consult::{MeetingKind, TopicStep};
use domain::vote::{Category, Choice, Condition, Matter, OwnerKind, Phase, Tally, VoteState};
use serde::Deserialize;

use super::{FormData, Me, OrPage, Page, Pager, UiError, date, error_text, kept_file, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ops::votes::owners::{self as owner_ops, ClaimIn, OwnerIn, RecordIn};
use crate::ops::votes::topics::{self as topic_ops, StepIn, TopicIn};
use crate::ops::votes::{self as vote_ops, CastIn, ChoiceIn, PaperIn, QuestionIn, VoteIn, VoteOut};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/votes", get(list).post(announce))
        .route("/votes/new", get(vote_form))
        .route("/votes/rules", post(set_rule))
        .route("/votes/{id}", get(vote_page))
        .route("/votes/{id}/ballot", post(cast))
        .route("/votes/{id}/paper", post(paper))
        .route("/votes/{id}/publish", post(publish))
        .route("/votes/{id}/cancel", post(cancel))
        .route("/votes/{id}/objections", post(object))
        .route("/votes/{id}/objections/{oid}/ruling", post(rule))
        .route("/votes/{id}/photos/{sha}", kept_file(Holder::Ballot))
        .route("/topics", post(propose))
        .route("/topics/new", get(topic_form))
        .route("/topics/{id}", get(topic_page))
        .route("/topics/{id}/steps", post(topic_step))
        .route("/topics/{id}/rating", post(rate))
        .route("/topics/{id}/photos/{sha}", kept_file(Holder::Topic))
        .route("/compounds/{id}/owners", get(owners_page).post(owners_record))
        .route("/owners/claims", get(claims_page).post(claim))
        .route("/owners/claims/{id}", post(decide))
}

/// Whether an error goes back to the form (rather than to an error page).
fn to_form(e: &AppError) -> bool {
    matches!(e.code, "invalid_input" | "bad_request" | "conflict")
}

/// Hundredths of a square metre as `1234.56`.
pub fn m2(centi: i64) -> String {
    format!("{}.{:02}", centi / 100, centi.rem_euclid(100))
}

// ---- the list ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    compound: Option<i64>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "votes.html")]
struct ListPage {
    t: Tr,
    me: Option<Me>,
    compound: Option<(i64, String)>,
    manage: bool,
    propose: bool,
    /// Supervisors set their regions' notice period and objection window here.
    rule_form: bool,
    error: String,
    votes: Vec<Vote>,
    topics: Vec<Topic>,
    pager: Pager,
    today: NaiveDate,
}

impl ListPage {
    fn phase(&self, v: &Vote) -> &'static str {
        v.phase(self.today).as_str()
    }
}

async fn list(State(s): State<AppState>, viewer: Viewer, t: Tr, Query(q): Query<ListQuery>) -> Result<Page, UiError> {
    let paging = Paging::new(q.page, Some(20));
    let reads_votes = match q.compound {
        Some(id) => vote_ops::standing(&s, &viewer, id).await.page(t)?.1.reads_votes(),
        None => true,
    };
    let (votes, total) =
        if reads_votes { vote_ops::list(&s, &viewer, q.compound, paging).await.page(t)? } else { (Vec::new(), 0) };
    let (topics, _) = topic_ops::list(&s, &viewer, q.compound, Paging::new(None, Some(50))).await.page(t)?;
    let (compound, manage, propose) = match q.compound {
        Some(id) => {
            let (c, st) = vote_ops::standing(&s, &viewer, id).await.page(t)?;
            (Some((c.id, c.name)), st.manage, topic_ops::proposer(&st).is_some())
        }
        None => (None, false, false),
    };
    let cs = q.compound.map(|c| c.to_string()).unwrap_or_default();
    Ok(render(&ListPage {
        t,
        me: Me::of(&viewer),
        compound,
        manage,
        propose,
        rule_form: viewer.may(domain::access::Action::ManagePlans),
        error: String::new(),
        votes,
        topics,
        pager: Pager::new("/votes", &[("compound", &cs)], paging, total),
        today: domain::clock::today(),
    }))
}

#[derive(Deserialize)]
struct RuleForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    notice_days: String,
    #[serde(default)]
    objection_days: String,
}

async fn set_rule(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    axum::extract::Form(f): axum::extract::Form<RuleForm>,
) -> Result<Response, UiError> {
    let r: Result<db::votes::Rule, AppError> = async {
        let code = crate::ops::regions::parse_code(&f.region)?;
        let num = |field: &'static str, v: &str| -> Result<i64, AppError> {
            v.trim().parse().map_err(|_| domain::Invalid::new(field, "a whole number").zh("须为整数").into())
        };
        vote_ops::set_rule(
            &s,
            &viewer,
            &code,
            num("notice_days", &f.notice_days)?,
            num("objection_days", &f.objection_days)?,
        )
        .await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to("/votes").into_response()),
        Err(e) if to_form(&e) => {
            let paging = Paging::new(None, Some(20));
            let (votes, total) = vote_ops::list(&s, &viewer, None, paging).await.page(t)?;
            let (topics, _) = topic_ops::list(&s, &viewer, None, Paging::new(None, Some(50))).await.page(t)?;
            let page = ListPage {
                t,
                me: Me::of(&viewer),
                compound: None,
                manage: false,
                propose: false,
                rule_form: true,
                error: error_text(t, &e),
                votes,
                topics,
                pager: Pager::new("/votes", &[], paging, total),
                today: domain::clock::today(),
            };
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

// ---- a vote ------------------------------------------------------------------------

/// A question with its result (final, else preliminary), for the page.
struct QuestionView {
    id: i64,
    position: i32,
    text: String,
    matter: Matter,
    category: Category,
    proposed: Category,
    result: Option<(VoteState, Tally, String, NaiveDate)>,
    /// The live count (managers and observers once voting has closed).
    live: Option<Count>,
}

impl QuestionView {
    fn conditions(&self) -> Vec<Condition> {
        self.result.as_ref().map(|r| r.1.conditions(self.category).to_vec()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "vote.html")]
struct VotePage {
    t: Tr,
    me: Option<Me>,
    o: VoteOut,
    questions: Vec<QuestionView>,
    error: String,
    /// Just cast: say so at the top.
    cast: bool,
}

impl VotePage {
    fn open(&self) -> bool {
        self.o.phase == Phase::Open
    }
    fn phase(&self) -> &'static str {
        self.o.phase.as_str()
    }
    fn can_publish(&self) -> bool {
        self.o.manage && matches!(self.o.phase, Phase::Closed | Phase::Finalising)
    }
    fn can_cancel(&self) -> bool {
        self.o.manage && self.o.phase == Phase::Notice
    }
    fn can_object(&self) -> bool {
        self.o.owner && self.o.phase == Phase::Objection
    }
    /// The choice an owner's voter made on a question, if any.
    fn chosen(&self, key: &str, q: impl std::borrow::Borrow<i64>) -> &'static str {
        let q = *q.borrow();
        self.o
            .mine
            .iter()
            .find(|m| m.key == key)
            .and_then(|m| m.ballots.iter().find(|b| b.question_id == q))
            .map(|b| b.choice.as_str())
            .unwrap_or("")
    }
    fn choices(&self) -> &'static [Choice] {
        Choice::ALL
    }
    fn area(&self, centi: impl std::borrow::Borrow<i64>) -> String {
        m2(*centi.borrow())
    }
    fn is_area(&self, key: &str) -> bool {
        key.ends_with("area")
    }
    /// A fraction as a percentage to one decimal, for reading against the bound.
    fn percent(&self, num: impl std::borrow::Borrow<i64>, den: impl std::borrow::Borrow<i64>) -> String {
        let (n, d) = (*num.borrow(), *den.borrow());
        if d <= 0 { "—".into() } else { format!("{}.{}%", n * 100 / d, (n * 1000 / d) % 10) }
    }
    /// A question's number on the ballot, from its id.
    fn position(&self, id: impl std::borrow::Borrow<i64>) -> i32 {
        self.questions.iter().find(|q| q.id == *id.borrow()).map(|q| q.position).unwrap_or(0)
    }
}

async fn vote_page_of(s: &AppState, v: &Viewer, t: Tr, id: i64) -> Result<VotePage, UiError> {
    let o = vote_ops::view(s, v, id).await.page(t)?;
    let live = o.count.clone();
    let questions = o
        .questions
        .iter()
        .map(|q| {
            let pick = |kind: VoteState| o.results.iter().find(|r| r.question_id == q.id && r.kind == kind);
            QuestionView {
                id: q.id,
                position: q.position,
                text: q.text.clone(),
                matter: q.matter,
                category: q.category,
                proposed: q.proposed_category,
                result: pick(VoteState::Final)
                    .or(pick(VoteState::Preliminary))
                    .map(|r| (r.kind, r.tally.clone(), r.ballots_sha256.clone(), r.published_on)),
                live: live.as_ref().and_then(|l| l.iter().find(|c| c.question_id == q.id).cloned()),
            }
        })
        .collect();
    Ok(VotePage { t, me: Me::of(v), o, questions, error: String::new(), cast: false })
}

#[derive(Deserialize, Default)]
struct VoteQuery {
    cast: Option<u8>,
}

async fn vote_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Query(q): Query<VoteQuery>,
) -> Result<Page, UiError> {
    let mut page = vote_page_of(&s, &viewer, t, id).await?;
    page.cast = q.cast.is_some() && !page.o.mine.iter().all(|m| m.ballots.is_empty());
    Ok(render(&page))
}

/// Run an action and come back to the vote, or show the vote with the error.
async fn back_to_vote(s: &AppState, v: &Viewer, t: Tr, id: i64, r: Result<(), AppError>) -> Result<Response, UiError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/votes/{id}")).into_response()),
        Err(e) if to_form(&e) => {
            let mut page = vote_page_of(s, v, t, id).await?;
            page.error = error_text(t, &e);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

/// `choice_{question}` fields as choices.
fn choices_of(f: &mut FormData, questions: &[i64]) -> Result<Vec<ChoiceIn>, AppError> {
    let mut out = Vec::new();
    for q in questions {
        let c = f.text(&format!("choice_{q}"));
        if !c.trim().is_empty() {
            out.push(ChoiceIn { question_id: *q, choice: Choice::parse(&c)? });
        }
    }
    Ok(out)
}

async fn cast(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let qs: Vec<i64> = db::votes::questions(&s.db, id).await.page(t)?.iter().map(|q| q.id).collect();
    let r = async {
        let voter = Some(f.text("voter")).filter(|k| !k.is_empty());
        let choices = choices_of(&mut f, &qs)?;
        vote_ops::cast(&s, &viewer, id, &CastIn { voter, choices }).await.map(|_| ())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/votes/{id}?cast=1")).into_response()),
        r => back_to_vote(&s, &viewer, t, id, r).await,
    }
}

async fn paper(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let qs: Vec<i64> = db::votes::questions(&s.db, id).await.page(t)?.iter().map(|q| q.id).collect();
    let r = async {
        let unit = f.text("unit");
        let unit_id = find_unit(&s, &viewer, id, &unit).await?;
        let choices = choices_of(&mut f, &qs)?;
        let proxy_name = Some(f.text("proxy_name")).filter(|p| !p.trim().is_empty());
        let photo = f.file("photo").unwrap_or_default();
        vote_ops::enter_paper(&s, &viewer, id, &PaperIn { unit_id, choices, proxy_name }, &photo).await
    }
    .await;
    back_to_vote(&s, &viewer, t, id, r).await
}

/// A unit of the vote named as on the ballot (`1号楼 1单元 301`, or `301`
/// when only one unit has that number).
async fn find_unit(s: &AppState, v: &Viewer, id: i64, label: &str) -> Result<i64, AppError> {
    let (vote, st) = vote_ops::load(s, v, id).await?;
    if !st.manage {
        return Err(AppError::forbidden());
    }
    let parts = db::votes::parts(&s.db, &vote).await?;
    Ok(db::owners::pick(&parts, label)?.unit_id)
}

async fn publish(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Response, UiError> {
    let r = vote_ops::publish(&s, &viewer, id).await.map(|_| ());
    back_to_vote(&s, &viewer, t, id, r).await
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn cancel(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<ReasonForm>,
) -> Result<Response, UiError> {
    let r = vote_ops::cancel(&s, &viewer, id, &f.reason).await.map(|_| ());
    back_to_vote(&s, &viewer, t, id, r).await
}

async fn object(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<ReasonForm>,
) -> Result<Response, UiError> {
    let r = vote_ops::object(&s, &viewer, id, &f.reason).await.map(|_| ());
    back_to_vote(&s, &viewer, t, id, r).await
}

async fn rule(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, oid)): Path<(i64, i64)>,
    axum::extract::Form(f): axum::extract::Form<ReasonForm>,
) -> Result<Response, UiError> {
    let r = vote_ops::rule(&s, &viewer, id, oid, &f.reason).await.map(|_| ());
    back_to_vote(&s, &viewer, t, id, r).await
}

// ---- announcing ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "vote_form.html")]
struct VoteForm {
    t: Tr,
    me: Option<Me>,
    compound_id: i64,
    compound: String,
    topic_id: String,
    buildings: Vec<(i64, String, bool)>,
    title: String,
    body: String,
    /// (text, matter, category) per line, five lines.
    lines: Vec<(String, String, String)>,
    opens_on: String,
    closes_on: String,
    notice_days: String,
    objection_days: String,
    deemed: bool,
    error: String,
}

impl VoteForm {
    fn matters(&self) -> &'static [Matter] {
        Matter::ALL
    }
    fn categories(&self) -> &'static [Category] {
        Category::ALL
    }
}

#[derive(Deserialize)]
struct NewQuery {
    compound: i64,
    topic: Option<i64>,
}

async fn vote_form(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<NewQuery>,
) -> Result<Page, UiError> {
    let (c, st) = vote_ops::standing(&s, &viewer, q.compound).await.page(t)?;
    if !st.manage {
        return Err(UiError(if st.reads_topics() { AppError::forbidden() } else { AppError::not_found() }, t));
    }
    let today = domain::clock::today();
    let buildings = db::compounds::buildings(&s.db, c.id).await.page(t)?;
    let (title, lines) = match q.topic {
        Some(tid) => {
            let (topic, _) = topic_ops::load(&s, &viewer, tid).await.page(t)?;
            let matter = topic.matter.unwrap_or(Matter::OtherMajor);
            (
                topic.title.clone(),
                vec![(topic.title, matter.as_str().to_owned(), matter.category().as_str().to_owned())],
            )
        }
        None => (String::new(), Vec::new()),
    };
    let mut lines = lines;
    lines.resize(5, (String::new(), String::new(), String::new()));
    Ok(render(&VoteForm {
        t,
        me: Me::of(&viewer),
        compound_id: c.id,
        compound: c.name,
        topic_id: q.topic.map(|t| t.to_string()).unwrap_or_default(),
        buildings: buildings.into_iter().filter(|b| b.retired_at.is_none()).map(|b| (b.id, b.name, false)).collect(),
        title,
        body: String::new(),
        lines,
        opens_on: (today + chrono::Duration::days(domain::vote::NOTICE_DAYS_MIN)).to_string(),
        closes_on: (today + chrono::Duration::days(domain::vote::NOTICE_DAYS_MIN + 14)).to_string(),
        notice_days: domain::vote::NOTICE_DAYS_MIN.to_string(),
        objection_days: domain::vote::OBJECTION_DAYS.to_string(),
        deemed: false,
        error: String::new(),
    }))
}

async fn announce(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let compound_id: i64 = f.text("compound_id").trim().parse().map_err(|_| AppError::not_found()).page(t)?;
    let (c, _) = vote_ops::standing(&s, &viewer, compound_id).await.page(t)?;
    let all_buildings = db::compounds::buildings(&s.db, c.id).await.page(t)?;
    let buildings: Vec<(i64, String, bool)> = all_buildings
        .into_iter()
        .filter(|b| b.retired_at.is_none())
        .map(|b| {
            let on = !f.text(&format!("building_{}", b.id)).is_empty();
            (b.id, b.name, on)
        })
        .collect();
    let lines: Vec<(String, String, String)> = (1..=5)
        .map(|i| (f.text(&format!("q{i}_text")), f.text(&format!("q{i}_matter")), f.text(&format!("q{i}_category"))))
        .collect();
    let (title, body) = (f.text("title"), f.text("body"));
    let (opens_on, closes_on) = (f.text("opens_on"), f.text("closes_on"));
    let (notice_days, objection_days) = (f.text("notice_days"), f.text("objection_days"));
    let topic_id = f.text("topic_id");
    let deemed = !f.text("deemed_consent").is_empty();
    let r: Result<Vote, AppError> = async {
        let mut questions = Vec::new();
        for (text, matter, category) in &lines {
            if text.trim().is_empty() {
                continue;
            }
            let matter = Matter::parse(matter)?;
            let category = if category.trim().is_empty() { None } else { Some(Category::parse(category)?) };
            questions.push(QuestionIn { text: text.clone(), matter, category });
        }
        let num = |field: &'static str, v: &str| -> Result<Option<i64>, AppError> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            v.trim().parse().map(Some).map_err(|_| domain::Invalid::new(field, "a whole number").zh("须为整数").into())
        };
        let b = VoteIn {
            compound_id,
            topic_id: num("topic_id", &topic_id)?,
            title: title.clone(),
            body: body.clone(),
            building_ids: buildings.iter().filter(|b| b.2).map(|b| b.0).collect(),
            questions,
            opens_on: date("opens_on", &opens_on)?,
            closes_on: date("closes_on", &closes_on)?,
            notice_days: num("notice_days", &notice_days)?,
            objection_days: num("objection_days", &objection_days)?,
            deemed_consent: deemed,
        };
        vote_ops::announce(&s, &viewer, &b).await
    }
    .await;
    match r {
        Ok(v) => Ok(Redirect::to(&format!("/votes/{}", v.id)).into_response()),
        Err(e) if to_form(&e) => {
            let page = VoteForm {
                t,
                me: Me::of(&viewer),
                compound_id,
                compound: c.name,
                topic_id,
                buildings,
                title,
                body,
                lines,
                opens_on,
                closes_on,
                notice_days,
                objection_days,
                deemed,
                error: error_text(t, &e),
            };
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

// ---- topics ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "topic_form.html")]
struct TopicForm {
    t: Tr,
    me: Option<Me>,
    compound_id: i64,
    compound: String,
    title: String,
    body: String,
    matter: String,
    major: bool,
    error: String,
}

impl TopicForm {
    fn matters(&self) -> &'static [Matter] {
        Matter::ALL
    }
}

async fn topic_form(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<NewQuery>,
) -> Result<Page, UiError> {
    let (c, st) = vote_ops::standing(&s, &viewer, q.compound).await.page(t)?;
    if topic_ops::proposer(&st).is_none() {
        return Err(UiError(if st.reads_topics() { AppError::forbidden() } else { AppError::not_found() }, t));
    }
    Ok(render(&TopicForm {
        t,
        me: Me::of(&viewer),
        compound_id: c.id,
        compound: c.name,
        title: String::new(),
        body: String::new(),
        matter: String::new(),
        major: false,
        error: String::new(),
    }))
}

#[derive(Deserialize)]
struct TopicFormIn {
    compound_id: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    matter: String,
    #[serde(default)]
    major: Option<String>,
}

async fn propose(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    axum::extract::Form(f): axum::extract::Form<TopicFormIn>,
) -> Result<Response, UiError> {
    let r: Result<Topic, AppError> = async {
        let matter = if f.matter.trim().is_empty() { None } else { Some(Matter::parse(&f.matter)?) };
        let b = TopicIn {
            compound_id: f.compound_id,
            title: f.title.clone(),
            body: f.body.clone(),
            matter,
            major: f.major.is_some(),
        };
        topic_ops::propose(&s, &viewer, &b).await
    }
    .await;
    match r {
        Ok(tp) => Ok(Redirect::to(&format!("/topics/{}", tp.id)).into_response()),
        Err(e) if to_form(&e) => {
            let (c, _) = vote_ops::standing(&s, &viewer, f.compound_id).await.page(t)?;
            let page = TopicForm {
                t,
                me: Me::of(&viewer),
                compound_id: c.id,
                compound: c.name,
                title: f.title,
                body: f.body,
                matter: f.matter,
                major: f.major.is_some(),
                error: error_text(t, &e),
            };
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    t: Tr,
    me: Option<Me>,
    tp: Topic,
    events: Vec<TopicEvent>,
    steps: Vec<TopicStep>,
    manage: bool,
    owner: bool,
    /// Reads the compound's votes (the company does not).
    sees_votes: bool,
    /// The leading party organisation's name, as the review acts for it.
    party: String,
    rated: (i64, i64),
    error: String,
}

impl TopicPage {
    fn needs_meeting(&self) -> bool {
        self.steps.contains(&TopicStep::Meeting)
    }
    /// The steps taken with a note alone (a meeting has its own form).
    fn plain_steps(&self) -> Vec<TopicStep> {
        self.steps.iter().copied().filter(|s| *s != TopicStep::Meeting).collect()
    }
    fn kinds(&self) -> &'static [MeetingKind] {
        MeetingKind::ALL
    }
    fn can_vote(&self) -> bool {
        self.manage && self.tp.state == domain::consult::TopicState::Deliberation
    }
    fn can_rate(&self) -> bool {
        self.owner && self.tp.state == domain::consult::TopicState::Done
    }
    fn stars(&self) -> String {
        if self.rated.0 == 0 {
            "—".into()
        } else {
            format!("{:.1} / 5 ({})", self.rated.1 as f64 / self.rated.0 as f64, self.rated.0)
        }
    }
}

async fn topic_page_of(s: &AppState, v: &Viewer, t: Tr, id: i64) -> Result<TopicPage, UiError> {
    let (mut tp, st) = topic_ops::load(s, v, id).await.page(t)?;
    let mut events = topic_ops::events(s, id).await.page(t)?;
    let steps = topic_ops::offered(&st, &tp);
    topic_ops::redact(&st, &mut tp, &mut events);
    let party = db::votes::topics::leading_party(&s.db, tp.compound_id).await.page(t)?.unwrap_or_default();
    let rated = db::votes::topics::ratings(&s.db, id).await.page(t)?;
    Ok(TopicPage {
        t,
        me: Me::of(v),
        tp,
        events,
        steps,
        manage: st.manage,
        owner: !st.owners.is_empty(),
        sees_votes: st.reads_votes(),
        party,
        rated,
        error: String::new(),
    })
}

async fn topic_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    Ok(render(&topic_page_of(&s, &viewer, t, id).await?))
}

async fn back_to_topic(s: &AppState, v: &Viewer, t: Tr, id: i64, r: Result<(), AppError>) -> Result<Response, UiError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/topics/{id}")).into_response()),
        Err(e) if to_form(&e) => {
            let mut page = topic_page_of(s, v, t, id).await?;
            page.error = error_text(t, &e);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

async fn topic_step(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let r = async {
        let step = TopicStep::parse(&f.text("step"))?;
        let kind = f.text("meeting_kind");
        let on = f.text("meeting_on");
        let att = f.text("attendance");
        let b = StepIn {
            step,
            note: f.text("note"),
            meeting_kind: if step == TopicStep::Meeting && !kind.is_empty() {
                Some(MeetingKind::parse(&kind)?)
            } else {
                None
            },
            meeting_on: if step == TopicStep::Meeting && !on.is_empty() {
                Some(date("meeting_on", &on)?)
            } else {
                None
            },
            attendance: if att.trim().is_empty() {
                None
            } else {
                Some(
                    att.trim()
                        .parse()
                        .map_err(|_| domain::Invalid::new("attendance", "a whole number").zh("须为整数"))?,
                )
            },
        };
        let photo = f.file("photo");
        topic_ops::step(&s, &viewer, id, &b, photo.as_deref()).await.map(|_| ())
    }
    .await;
    back_to_topic(&s, &viewer, t, id, r).await
}

#[derive(Deserialize)]
struct RateForm {
    stars: i32,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<RateForm>,
) -> Result<Response, UiError> {
    let r = topic_ops::rate(&s, &viewer, id, f.stars, &f.comment).await;
    back_to_topic(&s, &viewer, t, id, r).await
}

// ---- owners ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "owners.html")]
struct OwnersPage {
    t: Tr,
    me: Option<Me>,
    compound_id: i64,
    compound: String,
    roll: Vec<OwnerUnits>,
    holdings: Vec<Holding>,
    error: String,
}

impl OwnersPage {
    fn area(&self, centi: impl std::borrow::Borrow<i64>) -> String {
        m2(*centi.borrow())
    }
    fn unrecorded(&self) -> usize {
        self.holdings.iter().filter(|h| h.owners.is_empty()).count()
    }
    fn developer_parts(&self) -> usize {
        self.holdings.iter().filter(|h| h.owners.iter().any(|o| o.2 == OwnerKind::Developer)).count()
    }
}

async fn owners_page_of(s: &AppState, v: &Viewer, t: Tr, id: i64) -> Result<OwnersPage, UiError> {
    let (roll, holdings) = owner_ops::roll(s, v, id).await.page(t)?;
    let c = db::compounds::get(&s.db, id).await.page(t)?;
    Ok(OwnersPage { t, me: Me::of(v), compound_id: id, compound: c.name, roll, holdings, error: String::new() })
}

async fn owners_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    Ok(render(&owners_page_of(&s, &viewer, t, id).await?))
}

#[derive(Deserialize)]
struct RecordForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    names: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_tail: String,
    #[serde(default)]
    developer: Option<String>,
    #[serde(default)]
    since: String,
}

async fn owners_record(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<RecordForm>,
) -> Result<Response, UiError> {
    let r: Result<(), AppError> = async {
        let (_, st) = vote_ops::standing(&s, &viewer, id).await?;
        if !st.manage {
            return Err(AppError::forbidden());
        }
        let holdings = db::owners::holdings(&s.db, id, &[], domain::clock::today()).await?;
        let unit_id = db::owners::pick(&holdings, &f.unit)?.unit_id;
        let owners: Vec<OwnerIn> = if f.developer.is_some() {
            vec![OwnerIn { name: "开发建设单位".into(), kind: OwnerKind::Developer, phone: None, id_tail: None }]
        } else {
            f.names
                .split(['、', ',', '，'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| OwnerIn {
                    name: n.to_owned(),
                    kind: OwnerKind::Person,
                    phone: Some(f.phone.clone()).filter(|p| !p.trim().is_empty()),
                    id_tail: Some(f.id_tail.clone()).filter(|p| !p.trim().is_empty()),
                })
                .collect()
        };
        let since = if f.since.trim().is_empty() { domain::clock::today() } else { date("since", &f.since)? };
        owner_ops::record(&s, &viewer, id, &RecordIn { unit_id, owners, since }).await.map(|_| ())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/compounds/{id}/owners")).into_response()),
        Err(e) if to_form(&e) => {
            let mut page = owners_page_of(&s, &viewer, t, id).await?;
            page.error = error_text(t, &e);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    t: Tr,
    me: Option<Me>,
    claims: Vec<Claim>,
    /// The units the viewer may claim (resident grants).
    units: Vec<(i64, String)>,
    /// For each pending claim the community decides: the unit's owners today.
    candidates: Vec<(i64, Vec<(i64, String)>)>,
    error: String,
}

impl ClaimsPage {
    fn decides(&self, claim: impl std::borrow::Borrow<i64>) -> bool {
        self.candidates.iter().any(|c| c.0 == *claim.borrow())
    }
    fn options(&self, claim: impl std::borrow::Borrow<i64>) -> Vec<(i64, String)> {
        self.candidates.iter().find(|c| c.0 == *claim.borrow()).map(|c| c.1.clone()).unwrap_or_default()
    }
}

async fn claims_page_of(s: &AppState, v: &Viewer, t: Tr) -> Result<ClaimsPage, UiError> {
    let claims = owner_ops::claims(s, v).await.page(t)?;
    let mut candidates = Vec::new();
    for k in claims.iter().filter(|k| k.state.awaits_decision()) {
        if let Ok((_, hs)) = owner_ops::claim_for(s, v, k.id).await {
            // Each record with its document tail, to compare with the claim's.
            let people: Vec<(i64, String)> = hs
                .iter()
                .flat_map(|h| h.owners.iter())
                .filter(|o| o.2 != OwnerKind::Developer)
                .map(|o| (o.0, o.1.clone()))
                .collect();
            let mut owners = Vec::new();
            for (id, name) in people {
                let tail = db::owners::owner(&s.db, id).await.page(t)?.id_tail.unwrap_or_default();
                owners.push((id, format!("{name} ****{tail}")));
            }
            candidates.push((k.id, owners));
        }
    }
    let mut units = Vec::new();
    for g in &v.grants {
        if let domain::access::Scope::Unit(u) = g.scope
            && let Some(p) = db::compounds::unit_pick(&s.db, u).await.page(t)?
        {
            units.push((u, p.words()));
        }
    }
    Ok(ClaimsPage { t, me: Me::of(v), claims, units, candidates, error: String::new() })
}

async fn claims_page(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    Ok(render(&claims_page_of(&s, &viewer, t).await?))
}

#[derive(Deserialize)]
struct ClaimForm {
    unit_id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_tail: String,
    #[serde(default)]
    note: String,
}

async fn claim(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    axum::extract::Form(f): axum::extract::Form<ClaimForm>,
) -> Result<Response, UiError> {
    let b = ClaimIn { unit_id: f.unit_id, name: f.name, id_tail: f.id_tail, note: f.note };
    match owner_ops::claim(&s, &viewer, &b).await {
        Ok(_) => Ok(Redirect::to("/owners/claims").into_response()),
        Err(e) if to_form(&e) => {
            let mut page = claims_page_of(&s, &viewer, t).await?;
            page.error = error_text(t, &e);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    reason: String,
    decision: String,
}

async fn decide(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<DecideForm>,
) -> Result<Response, UiError> {
    let owner = if f.decision == "verify" { f.owner_id.trim().parse().ok() } else { None };
    let r = if f.decision == "verify" && owner.is_none() {
        Err(AppError::from(domain::Invalid::new("owner_id", "choose the owner record").zh("请选择对应的业主记录")))
    } else {
        owner_ops::decide(&s, &viewer, id, owner, &f.reason).await
    };
    match r {
        Ok(_) => Ok(Redirect::to("/owners/claims").into_response()),
        Err(e) if to_form(&e) => {
            let mut page = claims_page_of(&s, &viewer, t).await?;
            page.error = error_text(t, &e);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}
