//! Oversight of companies as pages (phone first): the hub with the figures,
//! notices overdue first, campaigns and inspections due; a notice with its
//! items, timeline and steps, printable as DOCX; the inspection form scored
//! line by line; campaigns; grades with every point explained, publication,
//! objections, rulings and talks; the public list of grades.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use db::files::Holder;
use db::oversight::{
    Campaign, CampaignCounts, Due, Fact, Grading, Inspection, InspectionItem, Notice, NoticeCompound, NoticeEvent,
    NoticeFilter, NoticeItem, NoticePhoto, Objection, OversightFigures, Publication, Published, SchemeRow, Talk,
};
use domain::access::Action;
use domain::rectify::{Check, NoticeState, NoticeStep};
use domain::{Paging, RegionCode};
use serde::Deserialize;

use super::{FormData, Me, OrPage, Page, Pager, UiError, date, error_text, kept_file, pick, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ops::oversight::grading::{self as grading_ops, ObjectIn, TalkIn};
use crate::ops::oversight::inspections::{self as inspection_ops, CampaignIn, FindingsNoticeIn, InspectIn, LineIn};
use crate::ops::oversight::notices::{self as notice_ops, IssueIn, ItemIn};
use crate::ops::oversight::own_companies;
use crate::ops::regions::parse_code;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oversight", get(hub))
        .route("/oversight/notices", post(issue))
        .route("/oversight/notices/new", get(notice_form))
        .route("/oversight/notices/{id}", get(notice_page))
        .route("/oversight/notices/{id}/steps", post(notice_step))
        .route("/oversight/notices/{id}/items/{item}/close", post(close_item))
        .route("/oversight/notices/{id}/notice.docx", get(notice_docx))
        .route("/oversight/notices/{id}/photos/{sha}", kept_file(Holder::Notice))
        .route("/oversight/inspections", post(inspect))
        .route("/oversight/inspections/new", get(inspection_form))
        .route("/oversight/inspections/{id}", get(inspection_page))
        .route("/oversight/inspections/{id}/photos/{sha}", kept_file(Holder::Inspection))
        .route("/oversight/campaigns", post(campaign_create))
        .route("/oversight/campaigns/new", get(campaign_form))
        .route("/oversight/campaigns/{id}", get(campaign_page))
        .route("/oversight/grades", get(grades_page))
        .route("/oversight/grades/export.xlsx", get(grades_export))
        .route("/oversight/grades/publish", post(publish))
        .route("/oversight/grades/companies/{id}", get(company_page))
        .route("/oversight/scheme", post(scheme_set))
        .route("/oversight/objections", post(object))
        .route("/oversight/objections/{id}/ruling", post(rule))
        .route("/oversight/talks", post(talk))
        .route("/oversight/entries", post(entry_record))
        .route("/oversight/entries/{id}", get(entry_page))
        .route("/grades/public", get(public_grades))
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn int(field: &'static str, v: &str) -> Result<i64, AppError> {
    v.trim().parse().map_err(|_| {
        AppError::from(domain::Invalid::new(field, format!("{v:?} is not a whole number")).zh(format!("“{v}”不是整数")))
    })
}

/// The region a page is about: the one asked for, else the viewer's first.
async fn region_of(s: &AppState, v: &Viewer, asked: Option<&str>) -> Result<Option<RegionCode>, AppError> {
    if let Some(r) = asked {
        let code = parse_code(r)?;
        return Ok(Some(code));
    }
    Ok(match v.region_roots() {
        Some(codes) => codes.into_iter().next(),
        None => db::regions::roots(&s.db).await?.first().and_then(|r| RegionCode::parse(&r.region.code).ok()),
    })
}

/// A grade's colour class on a page (the four colours; other grades by rank).
pub(super) fn grade_class(g: &str) -> &'static str {
    match g {
        "green" | "AAA" | "A" => "grade-green",
        "blue" | "AA" | "B" => "grade-blue",
        "yellow" | "C" => "grade-yellow",
        "red" | "D" => "grade-red",
        _ => "",
    }
}

fn tenths(n: i64) -> String {
    format!("{}{}.{}", if n < 0 { "−" } else { "" }, n.abs() / 10, n.abs() % 10)
}

// ---- the hub -----------------------------------------------------------------------

#[derive(Deserialize)]
struct HubParams {
    region: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct HubPage {
    t: Tr,
    me: Option<Me>,
    region: Option<(String, String)>,
    figures: Option<OversightFigures>,
    notices: Vec<(Notice, String, bool)>,
    pager: Pager,
    state: String,
    overdue: bool,
    campaigns: Vec<Campaign>,
    due: Vec<Due>,
    due_total: usize,
    today: NaiveDate,
    can_supervise: bool,
    /// The company's own published grades, with the region's name.
    company_grades: Vec<(Publication, Published, String)>,
    red: Vec<Published>,
}

impl HubPage {
    fn states(&self) -> &'static [NoticeState] {
        NoticeState::ALL
    }
    fn on_time(&self) -> String {
        match self.figures.as_ref().and_then(|f| f.on_time_permille()) {
            Some(p) => format!("{}.{}%", p / 10, p % 10),
            None => "—".into(),
        }
    }
    fn class(&self, g: &str) -> &'static str {
        grade_class(g)
    }
    fn score(&self, n: &i64) -> String {
        tenths(*n)
    }
    fn period(&self, p: &Publication) -> String {
        domain::grading::Period { start: p.period_start, end: p.period_end }.words(self.t.is_zh())
    }
    fn period_name(&self, p: &Publication) -> String {
        domain::grading::Period { start: p.period_start, end: p.period_end }.name()
    }
}

async fn hub(State(s): State<AppState>, viewer: Viewer, t: Tr, Query(p): Query<HubParams>) -> Result<Page, UiError> {
    let today = domain::clock::today();
    let code = region_of(&s, &viewer, some(&p.region)).await.page(t)?;
    let reads = code.as_ref().is_some_and(|c| viewer.check_region(Action::Read, c).is_ok());
    if some(&p.region).is_some() && !reads {
        return Err(UiError(AppError::not_found(), t));
    }
    let mut region = None;
    let mut figures = None;
    let mut due = Vec::new();
    let mut red = Vec::new();
    if let (true, Some(c)) = (reads, &code) {
        let r = db::regions::require(&s.db, c).await.page(t)?;
        figures = Some(db::oversight::oversight_figures(&s.db, Some(&c.path()), today).await.page(t)?);
        due = grading_ops::due(&s, &viewer, c).await.page(t)?;
        if let Some(p) = db::oversight::latest_publication(&s.db, c, today).await.page(t)? {
            let lowest = p.scheme().page(t)?.lowest();
            red =
                db::oversight::results(&s.db, p.id).await.page(t)?.into_iter().filter(|r| r.grade == lowest).collect();
        }
        region = Some((r.code, r.name));
    }
    let state = some(&p.state).map(NoticeState::parse).transpose().page(t)?;
    let overdue = some(&p.overdue).is_some();
    let f = NoticeFilter {
        states: state.into_iter().collect(),
        overdue,
        within: if reads { code.as_ref().map(|c| c.path()) } else { None },
        ..Default::default()
    };
    let paging = Paging::new(p.page, Some(30));
    let (rows, total) = notice_ops::list(&s, &viewer, &f, paging).await.page(t)?;
    let names = db::oversight::compound_names(&s.db, &rows.iter().map(|n| n.id).collect::<Vec<_>>()).await.page(t)?;
    let notices = rows
        .into_iter()
        .map(|n| {
            let c = names.get(&n.id).cloned().unwrap_or_default();
            let o = n.overdue(today);
            (n, c, o)
        })
        .collect();
    let region_q = region.as_ref().map(|(c, _)| c.clone()).unwrap_or_default();
    let state_q = state.map(|s| s.as_str()).unwrap_or("");
    let pager = Pager::new(
        "/oversight",
        &[("region", &region_q), ("state", state_q), ("overdue", if overdue { "1" } else { "" })],
        paging,
        total,
    );
    let campaigns = inspection_ops::campaigns(&s, &viewer).await.page(t)?;
    let mut company_grades = Vec::new();
    for c in own_companies(&viewer) {
        for (p, r) in db::oversight::company_results(&s.db, c).await.page(t)? {
            let name = match RegionCode::parse(&p.region_code) {
                Ok(code) => db::regions::get(&s.db, &code).await.page(t)?.map(|r| r.name).unwrap_or_default(),
                Err(_) => String::new(),
            };
            company_grades.push((p, r, name));
        }
    }
    let due_total = due.len();
    due.retain(|d| d.due_on <= today + chrono::Duration::days(31));
    due.truncate(50);
    Ok(render(&HubPage {
        t,
        me: Me::of(&viewer),
        region,
        figures,
        notices,
        pager,
        state: state_q.to_owned(),
        overdue,
        campaigns,
        due,
        due_total,
        today,
        can_supervise: viewer.may(Action::Supervise),
        company_grades,
        red,
    }))
}

// ---- notices --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "notice_form.html")]
struct NoticeForm {
    t: Tr,
    me: Option<Me>,
    compound: String,
    more: String,
    requirement: String,
    items: String,
    deadline: String,
    campaign: String,
    campaigns: Vec<Campaign>,
    error: String,
}

#[derive(Deserialize)]
struct NoticeFormParams {
    compound: Option<String>,
    campaign: Option<String>,
}

async fn notice_form(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<NoticeFormParams>,
) -> Result<Page, UiError> {
    if !viewer.may(Action::Supervise) {
        return Err(UiError(AppError::forbidden(), t));
    }
    let campaigns = inspection_ops::campaigns(&s, &viewer).await.page(t)?;
    Ok(render(&NoticeForm {
        t,
        me: Me::of(&viewer),
        compound: q.compound.unwrap_or_default(),
        more: String::new(),
        requirement: String::new(),
        items: String::new(),
        deadline: (domain::clock::today() + chrono::Duration::days(15)).to_string(),
        campaign: q.campaign.unwrap_or_default(),
        campaigns,
        error: String::new(),
    }))
}

/// Issue from the page: the company is the one serving the first compound
/// today; more compounds (its others) by number, comma-separated; one item a line.
async fn issue(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let photo = f.file("photo").filter(|p| !p.is_empty());
    let mut form = NoticeForm {
        t,
        me: Me::of(&viewer),
        compound: f.text("compound"),
        more: f.text("more"),
        requirement: f.text("requirement"),
        items: f.text("items"),
        deadline: f.text("deadline"),
        campaign: f.text("campaign"),
        campaigns: vec![],
        error: String::new(),
    };
    let outcome: Result<Notice, AppError> = async {
        let first = pick::compound(&s, &viewer, &form.compound).await?;
        let mut ids = vec![first];
        for part in form.more.split([',', '，', ' ', '、']).filter(|p| !p.trim().is_empty()) {
            ids.push(int("more", part)?);
        }
        let company_id = db::oversight::company_on(&s.db, first, domain::clock::today()).await?.ok_or_else(|| {
            AppError::from(
                domain::Invalid::new("compound", "no company serves this compound today")
                    .zh("该小区目前无物业企业服务"),
            )
        })?;
        let b = IssueIn {
            company_id,
            compound_ids: ids,
            campaign_id: if form.campaign.trim().is_empty() { None } else { Some(int("campaign", &form.campaign)?) },
            requirement: form.requirement.clone(),
            deadline: date("deadline", &form.deadline)?,
            items: form
                .items
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| match l.trim().rsplit_once('#') {
                    // "… #123" names the residents' problem the item is about.
                    Some((text, n)) if !text.trim().is_empty() && n.trim().parse::<i64>().is_ok() => {
                        ItemIn { text: text.trim().to_owned(), problem_id: n.trim().parse().ok() }
                    }
                    _ => ItemIn { text: l.trim().to_owned(), problem_id: None },
                })
                .collect(),
        };
        notice_ops::issue(&s, &viewer, &b, photo.as_deref()).await
    }
    .await;
    match outcome {
        Ok(n) => Ok(Redirect::to(&format!("/oversight/notices/{}", n.id)).into_response()),
        Err(e) if e.code == "invalid_input" => {
            form.error = error_text(t, &e);
            form.campaigns = inspection_ops::campaigns(&s, &viewer).await.page(t)?;
            Ok(render(&form).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    t: Tr,
    me: Option<Me>,
    n: Notice,
    compounds: Vec<NoticeCompound>,
    items: Vec<NoticeItem>,
    events: Vec<NoticeEvent>,
    photos: Vec<NoticePhoto>,
    steps: Vec<NoticeStep>,
    issuer: bool,
    overdue: bool,
    error: String,
    note: String,
    level_name: String,
}

impl NoticePage {
    fn step_label(&self, step: &str) -> String {
        let t = self.t;
        match step.split_once(':') {
            Some(("escalate", l)) => format!("{} · {}", t.get("nstep.escalate"), t.of("level.", l)),
            Some(("close_item", id)) => {
                let pos = self.items.iter().find(|i| i.id.to_string() == id).map(|i| i.position).unwrap_or_default();
                format!("{} {pos}", t.get("nstep.close_item"))
            }
            _ => t.of("nstep.", step).to_owned(),
        }
    }
    fn can_close_items(&self) -> bool {
        self.issuer && self.n.state == NoticeState::Answered
    }
}

async fn notice_page_of(s: &AppState, v: &Viewer, t: Tr, id: i64) -> Result<NoticePage, UiError> {
    let (n, compounds) = notice_ops::load(s, v, id).await.page(t)?;
    let items = db::oversight::items(&s.db, id).await.page(t)?;
    let events = db::oversight::events(&s.db, id).await.page(t)?;
    let photos = db::oversight::photos(&s.db, id).await.page(t)?;
    let steps = notice_ops::offered(v, &n);
    let issuer = notice_ops::role(v, &n) == Some(domain::rectify::NoticeBy::Issuer);
    let level_name = match RegionCode::parse(&n.level_code) {
        Ok(c) => db::regions::get(&s.db, &c).await.page(t)?.map(|r| r.name).unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(NoticePage {
        t,
        me: Me::of(v),
        overdue: n.overdue(domain::clock::today()),
        n,
        compounds,
        items,
        events,
        photos,
        steps,
        issuer,
        error: String::new(),
        note: String::new(),
        level_name,
    })
}

async fn notice_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    Ok(render(&notice_page_of(&s, &viewer, t, id).await?))
}

async fn notice_step(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let (step, note) = (f.text("step"), f.text("note"));
    let photo = f.file("photo").filter(|p| !p.is_empty());
    match notice_ops::act(&s, &viewer, id, &step, &note, photo.as_deref()).await {
        Ok(_) => Ok(Redirect::to(&format!("/oversight/notices/{id}")).into_response()),
        Err(e) if e.code == "invalid_input" => {
            let mut page = notice_page_of(&s, &viewer, t, id).await?;
            page.error = e.fields.iter().map(|f| f.reason_in(t.is_zh())).collect::<Vec<_>>().join("；");
            page.note = note;
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

async fn close_item(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, item)): Path<(i64, i64)>,
) -> Result<Redirect, UiError> {
    notice_ops::close_item(&s, &viewer, id, item).await.page(t)?;
    Ok(Redirect::to(&format!("/oversight/notices/{id}")))
}

async fn notice_docx(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let (n, compounds) = notice_ops::load(&s, &viewer, id).await.page(t)?;
    let items = db::oversight::items(&s.db, id).await.page(t)?;
    let doc = report::NoticeDoc {
        number: n.number.clone(),
        issuer: n.region_name.clone(),
        company: n.company_name.clone(),
        compounds: compounds.into_iter().map(|c| c.name).collect(),
        items: items.into_iter().map(|i| (i.text, i.closed_at.map(domain::clock::china_date))).collect(),
        requirement: n.requirement.clone(),
        issued_on: n.issued_on,
        deadline: n.deadline,
    };
    let bytes = report::notice_docx(&doc).map_err(AppError::internal).page(t)?;
    let disposition = format!(
        "attachment; filename=\"notice-{0}.docx\"; filename*=UTF-8''{1}",
        n.number,
        crate::links::urlencode(&format!("整改通知单-{}.docx", n.number))
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

// ---- inspections -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "inspection_form.html")]
struct InspectionForm {
    t: Tr,
    me: Option<Me>,
    compound: String,
    campaign: String,
    campaigns: Vec<Campaign>,
    follows: String,
    checklist: Vec<Check>,
    /// (score, finding) per line, as sent back.
    lines: Vec<(String, String)>,
    visited_on: String,
    note: String,
    requirement: String,
    deadline: String,
    issue: bool,
    error: String,
}

impl InspectionForm {
    fn line(&self, i: &usize) -> (&str, &str) {
        self.lines.get(*i).map_or(("", ""), |(a, b)| (a.as_str(), b.as_str()))
    }
}

#[derive(Deserialize)]
struct InspectionParams {
    compound: Option<String>,
    campaign: Option<String>,
    follows: Option<String>,
}

async fn inspection_form(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<InspectionParams>,
) -> Result<Page, UiError> {
    if !viewer.may(Action::Supervise) {
        return Err(UiError(AppError::forbidden(), t));
    }
    let campaign = some(&q.campaign).map(|c| int("campaign", c)).transpose().page(t)?;
    let checklist = inspection_ops::checklist(&s, &viewer, campaign).await.page(t)?;
    let mut compound = q.compound.clone().unwrap_or_default();
    if let Some(f) = some(&q.follows) {
        let (i, _) = inspection_ops::load(&s, &viewer, int("follows", f).page(t)?).await.page(t)?;
        compound = format!("{} #{}", i.compound_name, i.compound_id);
    }
    let today = domain::clock::today();
    Ok(render(&InspectionForm {
        t,
        me: Me::of(&viewer),
        compound,
        campaign: campaign.map(|c| c.to_string()).unwrap_or_default(),
        campaigns: inspection_ops::campaigns(&s, &viewer).await.page(t)?,
        follows: q.follows.unwrap_or_default(),
        lines: checklist.iter().map(|c| (c.max.to_string(), String::new())).collect(),
        checklist,
        visited_on: today.to_string(),
        note: String::new(),
        requirement: String::new(),
        deadline: (today + chrono::Duration::days(15)).to_string(),
        issue: false,
        error: String::new(),
    }))
}

async fn inspect(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let campaign = f.text("campaign");
    let campaign_id = if campaign.trim().is_empty() { None } else { Some(int("campaign", &campaign).page(t)?) };
    let checklist = inspection_ops::checklist(&s, &viewer, campaign_id).await.page(t)?;
    let lines: Vec<(String, String)> =
        (0..checklist.len()).map(|i| (f.text(&format!("score_{i}")), f.text(&format!("finding_{i}")))).collect();
    let photos: Vec<(usize, Vec<u8>)> = (0..checklist.len())
        .filter_map(|i| f.file(&format!("photo_{i}")).filter(|p| !p.is_empty()).map(|p| (i, p)))
        .collect();
    let mut form = InspectionForm {
        t,
        me: Me::of(&viewer),
        compound: f.text("compound"),
        campaign,
        campaigns: vec![],
        follows: f.text("follows"),
        checklist,
        lines,
        visited_on: f.text("visited_on"),
        note: f.text("note"),
        requirement: f.text("requirement"),
        deadline: f.text("deadline"),
        issue: !f.text("issue").is_empty(),
        error: String::new(),
    };
    let outcome: Result<(i64, Option<i64>), AppError> = async {
        let compound_id = pick::compound(&s, &viewer, &form.compound).await?;
        let follows_id = if form.follows.trim().is_empty() { None } else { Some(int("follows", &form.follows)?) };
        let kind = if follows_id.is_some() {
            "follow_up"
        } else if campaign_id.is_some() {
            "campaign"
        } else {
            "quarterly"
        };
        let lines = form
            .lines
            .iter()
            .map(|(sc, fi)| Ok(LineIn { score: int("score", sc)?, finding: fi.clone() }))
            .collect::<Result<Vec<_>, AppError>>()?;
        let b = InspectIn {
            compound_id,
            kind: kind.into(),
            campaign_id,
            follows_id,
            visited_on: Some(date("visited_on", &form.visited_on)?),
            note: form.note.clone(),
            lines,
            notice: if form.issue {
                Some(FindingsNoticeIn {
                    requirement: form.requirement.clone(),
                    deadline: date("deadline", &form.deadline)?,
                })
            } else {
                None
            },
        };
        inspection_ops::inspect_with_photos(&s, &viewer, &b, &photos).await
    }
    .await;
    match outcome {
        Ok((_, Some(notice))) => Ok(Redirect::to(&format!("/oversight/notices/{notice}")).into_response()),
        Ok((id, None)) => Ok(Redirect::to(&format!("/oversight/inspections/{id}")).into_response()),
        Err(e) if e.code == "invalid_input" => {
            form.error = error_text(t, &e);
            form.campaigns = inspection_ops::campaigns(&s, &viewer).await.page(t)?;
            Ok(render(&form).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage {
    t: Tr,
    me: Option<Me>,
    i: Inspection,
    items: Vec<InspectionItem>,
    photos: Vec<db::oversight::InspectionPhoto>,
    follow_ups: Vec<i64>,
    notices: Vec<Notice>,
    can_supervise: bool,
}

async fn inspection_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Page, UiError> {
    let (i, items) = inspection_ops::load(&s, &viewer, id).await.page(t)?;
    let follow_ups = db::oversight::follow_ups(&s.db, id).await.page(t)?;
    let photos = db::oversight::inspection_photos(&s.db, id).await.page(t)?;
    let f = NoticeFilter { inspection_id: Some(id), ..Default::default() };
    let (notices, _) = notice_ops::list(&s, &viewer, &f, Paging::new(None, Some(50))).await.page(t)?;
    let can_supervise = viewer.compound(&s.db, i.compound_id, Action::Supervise).await.is_ok();
    Ok(render(&InspectionPage { t, me: Me::of(&viewer), i, items, photos, follow_ups, notices, can_supervise }))
}

// ---- campaigns -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct CampaignForm {
    t: Tr,
    me: Option<Me>,
    region: String,
    name: String,
    starts_on: String,
    ends_on: String,
    checklist: String,
    note: String,
    error: String,
}

async fn campaign_form(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    if !viewer.may(Action::Supervise) {
        return Err(UiError(AppError::forbidden(), t));
    }
    let region = region_of(&s, &viewer, None).await.page(t)?.map(|c| c.as_str().to_owned()).unwrap_or_default();
    Ok(render(&CampaignForm {
        t,
        me: Me::of(&viewer),
        region,
        name: String::new(),
        starts_on: String::new(),
        ends_on: String::new(),
        checklist: String::new(),
        note: String::new(),
        error: String::new(),
    }))
}

#[derive(Deserialize)]
struct CampaignFormIn {
    region: String,
    name: String,
    starts_on: String,
    ends_on: String,
    #[serde(default)]
    checklist: String,
    #[serde(default)]
    note: String,
}

/// A checklist as typed: one line per item, "label full-marks" (e.g. "消防通道畅通 20").
fn checklist_lines(text: &str) -> Result<Option<Vec<crate::ops::oversight::inspections::CheckIn>>, AppError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (label, max) = line.rsplit_once([' ', '\t', '　']).ok_or_else(|| {
            AppError::from(
                domain::Invalid::new("checklist", format!("{line:?}: give the label, a space, then full marks"))
                    .zh(format!("“{line}”：请写“检查项 满分”，中间用空格隔开")),
            )
        })?;
        out.push(crate::ops::oversight::inspections::CheckIn {
            label: label.trim().into(),
            max: int("checklist", max)?,
        });
    }
    Ok((!out.is_empty()).then_some(out))
}

async fn campaign_create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<CampaignFormIn>,
) -> Result<Response, UiError> {
    let outcome: Result<_, AppError> = async {
        let b = CampaignIn {
            region: f.region.clone(),
            name: f.name.clone(),
            starts_on: date("starts_on", &f.starts_on)?,
            ends_on: date("ends_on", &f.ends_on)?,
            checklist: checklist_lines(&f.checklist)?,
            note: f.note.clone(),
        };
        inspection_ops::open_campaign(&s, &viewer, &b).await
    }
    .await;
    match outcome {
        Ok(c) => Ok(Redirect::to(&format!("/oversight/campaigns/{}", c.id)).into_response()),
        Err(e) if e.code == "invalid_input" || e.code == "bad_request" => {
            let error = error_text(t, &e);
            let page = CampaignForm {
                t,
                me: Me::of(&viewer),
                region: f.region,
                name: f.name,
                starts_on: f.starts_on,
                ends_on: f.ends_on,
                checklist: f.checklist,
                note: f.note,
                error,
            };
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    t: Tr,
    me: Option<Me>,
    c: Campaign,
    counts: Vec<CampaignCounts>,
    notices: Vec<Notice>,
    can_supervise: bool,
}

async fn campaign_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let (c, counts) = inspection_ops::campaign_page(&s, &viewer, id).await.page(t)?;
    let f = NoticeFilter { campaign_id: Some(id), ..Default::default() };
    let (notices, _) = notice_ops::list(&s, &viewer, &f, Paging::new(None, Some(50))).await.page(t)?;
    let can_supervise = viewer.may(Action::Supervise);
    Ok(render(&CampaignPage { t, me: Me::of(&viewer), c, counts, notices, can_supervise }))
}

// ---- grades ----------------------------------------------------------------------

#[derive(Deserialize)]
struct GradesParams {
    region: Option<String>,
    period: Option<String>,
}

#[derive(Template)]
#[template(path = "grades.html")]
struct GradesPage {
    t: Tr,
    me: Option<Me>,
    region: (String, String),
    g: Grading,
    period: String,
    publication: Option<Publication>,
    /// The published results, best first (empty until published).
    published: Vec<Published>,
    history: Vec<SchemeRow>,
    publications: Vec<Publication>,
    can_grade: bool,
    presets: Vec<domain::grading::Scheme>,
    previous: String,
    next: String,
    today: NaiveDate,
}

impl GradesPage {
    fn class(&self, g: &str) -> &'static str {
        grade_class(g)
    }
    fn score(&self, n: &i64) -> String {
        tenths(*n)
    }
    fn pname(&self, p: &Publication) -> String {
        domain::grading::Period { start: p.period_start, end: p.period_end }.name()
    }
    fn pwords(&self, p: &Publication) -> String {
        domain::grading::Period { start: p.period_start, end: p.period_end }.words(self.t.is_zh())
    }
    fn scheme_name(&self, r: &SchemeRow) -> String {
        serde_json::from_str::<domain::grading::Scheme>(&r.scheme).map(|s| s.name).unwrap_or_default()
    }
    fn period_words(&self) -> String {
        self.g.period.words(self.t.is_zh())
    }
    /// How many companies took each grade in what was published, best first.
    fn published_by_grade(&self) -> Vec<(String, usize)> {
        self.g
            .scheme
            .scheme
            .grades()
            .into_iter()
            .map(|g| {
                let n = self.published.iter().filter(|r| r.grade == g).count();
                (g, n)
            })
            .collect()
    }
}

async fn grades_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<GradesParams>,
) -> Result<Page, UiError> {
    let code = region_of(&s, &viewer, some(&q.region)).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    let on = match some(&q.period) {
        Some(p) => domain::grading::period_day(p).page(t)?,
        None => domain::clock::today(),
    };
    let g = grading_ops::grading(&s, &viewer, &code, on).await.page(t)?;
    let r = db::regions::require(&s.db, &code).await.page(t)?;
    let publication = db::oversight::publication_of(&s.db, &code, g.period.start).await.page(t)?;
    let reads = viewer.check_region(Action::Read, &code).is_ok();
    let published = match &publication {
        Some(p) => grading_ops::publication(&s, &viewer, p.id).await.page(t)?.1,
        None => vec![],
    };
    let (history, publications) = if reads {
        (
            db::oversight::scheme_history(&s.db, Some(&code)).await.page(t)?,
            db::oversight::publications(&s.db, &code).await.page(t)?,
        )
    } else {
        (vec![], vec![])
    };
    let previous = g.period.start.pred_opt().map(|d| g.scheme.scheme.cadence.period_of(d).name()).unwrap_or_default();
    let next = g.scheme.scheme.cadence.period_of(g.period.end).name();
    Ok(render(&GradesPage {
        t,
        me: Me::of(&viewer),
        region: (r.code, r.name),
        period: g.period.name(),
        g,
        publication,
        published,
        history,
        publications,
        can_grade: viewer.check_region(Action::Grade, &code).is_ok(),
        presets: domain::grading::presets(),
        previous,
        next,
        today: domain::clock::today(),
    }))
}

/// The period's grades as a workbook (as the page shows them to the reader).
async fn grades_export(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<GradesParams>,
) -> Result<Response, UiError> {
    let code = region_of(&s, &viewer, some(&q.region)).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    let on = match some(&q.period) {
        Some(p) => domain::grading::period_day(p).page(t)?,
        None => domain::clock::today(),
    };
    let g = grading_ops::grading(&s, &viewer, &code, on).await.page(t)?;
    let (heads, rows) = report::grades_table(&g, t.is_zh());
    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
    let title = format!("{}-{}", t.get("grade.title"), g.period.name());
    super::xlsx_download(t, &title, "grades", &heads, &rows)
}

#[derive(Deserialize)]
struct PublishForm {
    region: String,
    period: String,
}

async fn publish(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<PublishForm>,
) -> Result<Redirect, UiError> {
    let code = parse_code(&f.region).page(t)?;
    let on = domain::grading::period_day(&f.period).page(t)?;
    let p = grading_ops::publish(&s, &viewer, &code, on).await.page(t)?;
    let name = domain::grading::Period { start: p.period_start, end: p.period_end }.name();
    Ok(Redirect::to(&format!("/oversight/grades?region={}&period={name}", p.region_code)))
}

#[derive(Deserialize)]
struct SchemeForm {
    region: String,
    preset: String,
    valid_from: String,
}

async fn scheme_set(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<SchemeForm>,
) -> Result<Redirect, UiError> {
    let code = parse_code(&f.region).page(t)?;
    let scheme = domain::grading::preset(f.preset.trim())
        .ok_or_else(|| AppError::from(domain::Invalid::new("preset", "choose a scheme").zh("请选择评价方案")))
        .page(t)?;
    let from = date("valid_from", &f.valid_from).page(t)?;
    grading_ops::set_scheme(&s, &viewer, Some(&code), from, &scheme).await.page(t)?;
    Ok(Redirect::to(&format!("/oversight/grades?region={code}&period={from}")))
}

#[derive(Template)]
#[template(path = "company_grade.html")]
struct CompanyPage {
    t: Tr,
    me: Option<Me>,
    region: (String, String),
    p: grading_ops::CompanyPage,
    period: String,
    talks: Vec<Talk>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    open: bool,
    can_supervise: bool,
    today: NaiveDate,
    /// A talk or fact sent back with what was wrong, and what was typed.
    error: String,
    draft: std::collections::HashMap<String, String>,
}

impl CompanyPage {
    fn class(&self, g: &str) -> &'static str {
        grade_class(g)
    }
    fn score(&self, n: &i64) -> String {
        tenths(*n)
    }
    fn label(&self, key: &str) -> String {
        self.p
            .grading
            .scheme
            .scheme
            .items
            .iter()
            .find(|i| i.key == key)
            .map_or_else(|| key.to_owned(), |i| i.label.clone())
    }
    fn compound_name(&self, id: &Option<i64>) -> String {
        match id {
            Some(id) => self
                .p
                .company
                .compounds
                .iter()
                .find(|c| c.compound_id == *id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            None => self.t.get("grade.whole_company").to_owned(),
        }
    }
    fn objected(&self, f: &Fact) -> Option<&Objection> {
        self.p.objections.iter().find(|o| o.source == f.source && o.item_key == f.key)
    }
    /// What would lift the score: what each deduction cost the company's weighted score, largest first.
    fn lift(&self) -> Vec<(String, i64)> {
        let compounds: Vec<(&domain::grading::Score, Option<i64>)> =
            self.p.company.compounds.iter().map(|c| (&c.score, c.households)).collect();
        domain::grading::weighted_lines(&compounds).into_iter().filter(|(_, p)| *p < 0).map(|(l, p)| (l, -p)).collect()
    }
    /// The facts by item, the items in the scheme's order.
    fn fact_groups(&self) -> Vec<(String, Vec<&Fact>)> {
        self.items()
            .iter()
            .map(|it| (it.label.clone(), self.p.facts.iter().filter(|f| f.key == it.key).collect::<Vec<_>>()))
            .filter(|(_, fs)| !fs.is_empty())
            .collect()
    }
    fn items(&self) -> &[domain::grading::Item] {
        &self.p.grading.scheme.scheme.items
    }
    /// Where a fact came from, in words.
    fn source(&self, f: &Fact) -> String {
        let t = self.t;
        let (kind, id) = f.source.split_once(':').unwrap_or(("", ""));
        match kind {
            "problem" => format!("{} #{id}", t.get("grade.src_problem")),
            "notice" => format!("{} {}", t.get("grade.src_notice"), f.note),
            "finding" => format!("{} · {}", t.get("grade.src_finding"), f.note),
            "entry" => format!("{} #{id} · {}", t.get("grade.src_entry"), f.note),
            "party" => t.get("grade.src_party").to_owned(),
            _ => f.source.clone(),
        }
    }
    /// The compounds whose score moved (the others scored the base and are counted, not listed).
    fn moved(&self) -> Vec<&db::oversight::CompoundScore> {
        self.p.company.compounds.iter().filter(|c| c.score.lines.iter().any(|l| l.points != 0 || l.veto)).collect()
    }
    fn unmoved(&self) -> usize {
        self.p.company.compounds.len() - self.moved().len()
    }
    fn draft(&self, field: &str) -> &str {
        self.draft.get(field).map_or("", String::as_str)
    }
}

async fn company_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Query(q): Query<GradesParams>,
) -> Result<Page, UiError> {
    let code = region_of(&s, &viewer, some(&q.region)).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    let on = match some(&q.period) {
        Some(p) => domain::grading::period_day(p).page(t)?,
        None => domain::clock::today(),
    };
    Ok(render(&company_page_of(&s, &viewer, t, &code, on, id).await?))
}

async fn company_page_of(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    code: &RegionCode,
    on: NaiveDate,
    id: i64,
) -> Result<CompanyPage, UiError> {
    let p = grading_ops::company(s, viewer, code, on, id).await.page(t)?;
    let r = db::regions::require(&s.db, code).await.page(t)?;
    let talks = grading_ops::talks(s, viewer, Some(id)).await.page(t)?;
    let until = match &p.publication {
        Some(x) => Some(x.objections_until().page(t)?),
        None => None,
    };
    let open = until.is_some_and(|u| chrono::Utc::now() <= u);
    Ok(CompanyPage {
        t,
        me: Me::of(viewer),
        region: (r.code, r.name),
        period: p.grading.period.name(),
        p,
        talks,
        until,
        open,
        can_supervise: viewer.check_region(Action::Supervise, code).is_ok(),
        today: domain::clock::today(),
        error: String::new(),
        draft: Default::default(),
    })
}

/// A talk or fact that broke a rule: the company's page again, the form filled in and the error named.
async fn company_again(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    e: AppError,
    form: &std::collections::HashMap<String, String>,
) -> Result<Response, UiError> {
    if e.code != "invalid_input" {
        return Err(UiError(e, t));
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let code = parse_code(get("region")).page(t)?;
    let on = domain::grading::period_day(get("period")).page(t)?;
    let company = int("company", get("company")).page(t)?;
    let mut page = company_page_of(s, viewer, t, &code, on, company).await?;
    page.error = error_text(t, &e);
    page.draft = form.clone();
    Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Deserialize)]
struct ObjectForm {
    publication: i64,
    company: i64,
    item_key: String,
    source: String,
    reason: String,
    back: String,
}

async fn object(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<ObjectForm>,
) -> Result<Redirect, UiError> {
    let b = ObjectIn { company_id: f.company, item_key: f.item_key, source: f.source, reason: f.reason };
    grading_ops::object(&s, &viewer, f.publication, &b).await.page(t)?;
    Ok(Redirect::to(&crate::links::safe_next(Some(&f.back))))
}

#[derive(Deserialize)]
struct RulingForm {
    uphold: String,
    ruling: String,
    back: String,
}

async fn rule(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<RulingForm>,
) -> Result<Redirect, UiError> {
    grading_ops::rule(&s, &viewer, id, f.uphold == "1", &f.ruling).await.page(t)?;
    Ok(Redirect::to(&crate::links::safe_next(Some(&f.back))))
}

async fn talk(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, UiError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let outcome: Result<_, AppError> = async {
        let b = TalkIn {
            company_id: int("company", &get("company"))?,
            region: get("region"),
            held_on: date("held_on", &get("held_on"))?,
            people: get("people"),
            outcome: get("outcome"),
            notice_id: None,
        };
        grading_ops::record_talk(&s, &viewer, &b).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(Redirect::to(&crate::links::safe_next(Some(&get("back")))).into_response()),
        Err(e) => company_again(&s, &viewer, t, e, &f).await,
    }
}

async fn entry_record(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, UiError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let outcome: Result<_, AppError> = async {
        let b = grading_ops::EntryIn {
            company_id: int("company", &get("company"))?,
            compound_id: None,
            region: get("region"),
            on_date: date("on_date", &get("on_date"))?,
            item_key: get("item_key"),
            count: int("count", &get("count"))?,
            reason: get("reason"),
            evidence: get("evidence"),
        };
        grading_ops::record_entry(&s, &viewer, &b).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(Redirect::to(&crate::links::safe_next(Some(&get("back")))).into_response()),
        Err(e) => company_again(&s, &viewer, t, e, &f).await,
    }
}

#[derive(Template)]
#[template(path = "grade_entry.html")]
struct EntryPage {
    t: Tr,
    me: Option<Me>,
    e: db::oversight::Entry,
    company: String,
}

async fn entry_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let e = grading_ops::entry(&s, &viewer, id).await.page(t)?;
    let company = db::structure::org(&s.db, e.company_id).await.page(t)?.name;
    Ok(render(&EntryPage { t, me: Me::of(&viewer), e, company }))
}

// ---- the public list ----------------------------------------------------------------

#[derive(Deserialize)]
struct PublicParams {
    region: Option<String>,
}

#[derive(Template)]
#[template(path = "grades_public.html")]
struct PublicPage {
    t: Tr,
    me: Option<Me>,
    name: String,
    p: Option<(Publication, Vec<Published>)>,
}

impl PublicPage {
    fn class(&self, g: &str) -> &'static str {
        grade_class(g)
    }
    fn score(&self, n: &i64) -> String {
        tenths(*n)
    }
    fn words(&self, p: &Publication) -> String {
        domain::grading::Period { start: p.period_start, end: p.period_end }.words(self.t.is_zh())
    }
}

/// The published grades of a region, for anyone (as cities publish them): names, grades and scores only.
async fn public_grades(State(s): State<AppState>, t: Tr, Query(q): Query<PublicParams>) -> Result<Page, UiError> {
    let code = match some(&q.region) {
        Some(r) => parse_code(r).page(t)?,
        None => db::regions::roots(&s.db)
            .await
            .page(t)?
            .first()
            .and_then(|r| RegionCode::parse(&r.region.code).ok())
            .ok_or_else(AppError::not_found)
            .page(t)?,
    };
    let r = db::regions::require(&s.db, &code).await.page(t)?;
    let p = grading_ops::public(&s, &code).await.page(t)?;
    Ok(render(&PublicPage { t, me: super::Me::current(), name: r.name, p }))
}
