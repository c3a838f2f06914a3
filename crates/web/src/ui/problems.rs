//! Residents' problems as pages: report (phone first), the inbox with
//! overdue first, and one problem with its timeline and the actions the
//! reader may take.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use db::files::Holder;
use db::problems::{Event, Problem, WorkCounts};
use domain::Paging;
use domain::problem::{Category, Queue, State as ProblemState, Step};
use serde::Deserialize;

use super::{FormData, Me, OrPage, Page, Pager, UiError, kept_file, pick, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError};
use crate::i18n::Tr;
use crate::ops::problems::{self as ops, CategoryIn, ListIn, ReportIn, load, offered, rate_as, save_category};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/problems", get(inbox).post(report))
        .route("/problems/categories", get(categories_page).post(category_save))
        .route("/problems/export.xlsx", get(export))
        .route("/problems/{id}", get(detail))
        .route("/problems/{id}/steps", post(step))
        .route("/problems/{id}/rating", post(rating))
        .route("/problems/{id}/photos/{sha}", kept_file(Holder::Problem))
}

#[derive(Deserialize)]
struct InboxParams {
    view: Option<String>,
    /// The old "everything" link (`?all=1`).
    all: Option<String>,
    state: Option<String>,
    category: Option<String>,
    compound: Option<String>,
    q: Option<String>,
    order: Option<String>,
    page: Option<u64>,
}

impl InboxParams {
    /// The list asked for; a value that is not one (a hand-edited link) is an error naming it.
    fn list(&self) -> Result<ListIn, AppError> {
        let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let queue = match (some(&self.view), self.all.is_some()) {
            (Some(v), _) => Some(Queue::parse(&v)?),
            (None, true) => Some(Queue::All),
            (None, false) => None,
        };
        let compound_id = match some(&self.compound) {
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                domain::Invalid::new("compound", format!("{c:?} is not a compound number"))
                    .zh(format!("“{c}”不是小区编号"))
            })?),
            None => None,
        };
        Ok(ListIn {
            queue,
            state: some(&self.state).map(|s| ProblemState::parse(&s)).transpose()?,
            category: some(&self.category),
            compound_id,
            text: some(&self.q),
            order: some(&self.order).map(|o| domain::problem::Order::parse(&o)).transpose()?,
        })
    }
}

/// Problems per page of the inbox.
const INBOX_PAGE: u64 = 50;

#[derive(Template)]
#[template(path = "problems.html")]
struct InboxPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<Problem>,
    list: ListIn,
    queue: Queue,
    work: WorkCounts,
    pager: Pager,
    categories: std::sync::Arc<Vec<Category>>,
    /// Where the reader may report (a list when short, else the picker).
    report: ReportForm,
    /// The report form as sent, when it comes back with errors.
    draft: Option<Draft>,
}

/// A category's name in the reader's language (its code if it is unknown).
fn category_name(t: Tr, all: &[Category], code: &str) -> String {
    all.iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.name(t.is_zh()).to_owned())
}

impl InboxPage {
    fn category(&self, code: &str) -> String {
        category_name(self.t, &self.categories, code)
    }

    /// The lists offered, with how many wait on each.
    fn queues(&self) -> Vec<(Queue, Option<i64>)> {
        let w = &self.work;
        vec![
            (Queue::Work, Some(w.open)),
            (Queue::New, Some(w.new)),
            (Queue::Overdue, Some(w.overdue)),
            (Queue::Review, Some(w.review)),
            (Queue::Rate, Some(w.to_rate)),
            (Queue::Closed, None),
            (Queue::All, None),
        ]
    }

    fn orders(&self) -> &'static [domain::problem::Order] {
        domain::problem::Order::ALL
    }

    fn order_is(&self, o: &domain::problem::Order) -> bool {
        self.list.order.unwrap_or(domain::problem::Order::Urgent) == *o
    }

    fn draft(&self) -> &Draft {
        static EMPTY: std::sync::OnceLock<Draft> = std::sync::OnceLock::new();
        self.draft.as_ref().unwrap_or_else(|| EMPTY.get_or_init(Draft::default))
    }

    fn states(&self) -> &'static [ProblemState] {
        ProblemState::ALL
    }

    fn state_is(&self, s: &ProblemState) -> bool {
        self.list.state == Some(*s)
    }

    fn category_is(&self, code: &str) -> bool {
        self.list.category.as_deref() == Some(code)
    }

    fn text(&self) -> &str {
        self.list.text.as_deref().unwrap_or("")
    }

    /// The first line of a description, cut for a list.
    fn excerpt(&self, p: &Problem) -> String {
        let line = p.description.lines().next().unwrap_or("");
        let mut out: String = line.chars().take(40).collect();
        if line.chars().count() > 40 || p.description.lines().nth(1).is_some() {
            out.push('…');
        }
        out
    }
}

/// The report form's compound field: a list when the reader has few, a
/// search box over all of them when they have many.
pub(super) struct ReportForm {
    /// (id, "name · region"), when short enough to list.
    pub choices: Vec<(i64, String)>,
    /// More than can be listed: the form asks for a name and the picker finds it.
    pub search: bool,
}

/// Compounds listed in a form before it switches to searching.
const LISTED: u64 = 30;

pub(super) async fn report_form(s: &AppState, viewer: &Viewer) -> Result<ReportForm, AppError> {
    let f = db::compounds::Filter { visible: viewer.visible(), ..Default::default() };
    let (rows, total) = db::compounds::list(&s.db, &f, Paging::new(None, Some(LISTED))).await?;
    Ok(if total > LISTED {
        ReportForm { choices: Vec::new(), search: true }
    } else {
        ReportForm {
            choices: rows.into_iter().map(|c| (c.id, format!("{} · {}", c.name, c.region_name))).collect(),
            search: false,
        }
    })
}

async fn inbox(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<InboxParams>,
) -> Result<Page, UiError> {
    let list = p.list().page(t)?;
    Ok(render(&inbox_page(&s, &viewer, t, list, p.page).await?))
}

async fn inbox_page(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    list: ListIn,
    page: Option<u64>,
) -> Result<InboxPage, UiError> {
    let paging = Paging::new(page, Some(INBOX_PAGE));
    let (rows, total) = ops::list(s, viewer, &list, paging).await.page(t)?;
    let queue = list.queue.unwrap_or(Queue::Work);
    let compound = list.compound_id.map(|c| c.to_string()).unwrap_or_default();
    let state = list.state.map(|s| s.as_str()).unwrap_or("");
    let filters = [
        ("view", queue.as_str()),
        ("state", state),
        ("category", list.category.as_deref().unwrap_or("")),
        ("compound", compound.as_str()),
        ("q", list.text.as_deref().unwrap_or("")),
        ("order", list.order.map_or("", |o| o.as_str())),
    ];
    let pager = Pager::new("/problems", &filters, paging, total);
    let me = Me::of(viewer);
    let work = match &me {
        Some(m) if m.work != WorkCounts::default() => m.work,
        _ => ops::work(s, viewer).await.page(t)?,
    };
    let categories = s.categories.all(&s.db).await.page(t)?;
    let report = report_form(s, viewer).await.page(t)?;
    Ok(InboxPage { t, me, rows, list, queue, work, pager, categories, report, draft: None })
}

/// The inbox's list, as filtered, as a workbook.
async fn export(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<InboxParams>,
) -> Result<Response, UiError> {
    use report::Cell;
    let list = p.list().page(t)?;
    let categories = s.categories.all(&s.db).await.page(t)?;
    let problems = super::all_pages(|pg| ops::list(&s, &viewer, &list, pg)).await.page(t)?;
    let local =
        |at: &chrono::DateTime<chrono::Utc>| Cell::Time(at.with_timezone(&domain::clock::china()).naive_local());
    let rows: Vec<Vec<Cell>> = problems
        .iter()
        .map(|p| {
            vec![
                Cell::Int(p.id),
                Cell::Text(p.compound_name.clone()),
                Cell::Text(category_name(t, &categories, &p.category)),
                Cell::Text(t.of("pstate.", p.state.as_str()).to_owned()),
                Cell::Text(if p.overdue { t.get("problem.overdue").to_owned() } else { String::new() }),
                local(&p.submitted_at),
                local(&p.resolve_by),
                Cell::Text(p.location.clone()),
                Cell::Text(p.description.clone()),
            ]
        })
        .collect();
    let heads = [
        "#",
        "compound.name",
        "problem.category",
        "problem.state",
        "problem.overdue",
        "problem.submitted",
        "problem.due",
        "problem.where",
        "problem.description",
    ]
    .map(|k| if k == "#" { k } else { t.get(k) });
    super::xlsx_download(t, t.get("problem.list"), "problems", &heads, &rows)
}

/// What the reader typed into the report form, kept to show it again with
/// what was wrong.
#[derive(Default)]
pub(super) struct Draft {
    compound: String,
    category: String,
    location: String,
    description: String,
    errors: Vec<FieldError>,
}

impl Draft {
    fn error(&self, zh: bool, field: &str) -> String {
        let field = if field == "compound" { ["compound", "compound_id"].as_slice() } else { &[field][..] };
        self.errors
            .iter()
            .filter(|e| field.contains(&e.field.as_str()))
            .map(|e| e.reason_in(zh))
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// The report form (multipart: it may carry a photo taken on the phone). A
/// broken rule sends the form back filled in, the failing fields marked.
async fn report(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let compound = match f.text("compound") {
        c if c.is_empty() => f.text("compound_id"),
        c => c,
    };
    let mut d = Draft {
        compound,
        category: f.text("category"),
        description: f.text("description"),
        location: f.text("location"),
        errors: vec![],
    };
    let photo = f.file("photo").unwrap_or_default();
    let outcome = match pick::compound(&s, &viewer, &d.compound).await {
        Ok(compound_id) => {
            let r = ReportIn {
                compound_id,
                category: &d.category,
                description: &d.description,
                location: &d.location,
                photo: (!photo.is_empty()).then_some(photo.as_slice()),
                extra: Default::default(),
            };
            ops::report(&s, &viewer, r).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(w) => Ok(Redirect::to(&format!("/problems/{}", w.problem.id)).into_response()),
        Err(e) if e.code == "invalid_input" => {
            d.errors = e.fields;
            let mut page = inbox_page(&s, &viewer, t, ListIn::default(), None).await?;
            page.draft = Some(d);
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

impl DetailPage {
    fn category(&self) -> &str {
        &self.category
    }

    /// A timeline step in the reader's language (`rate:…` and `escalate:…` carry a value).
    fn step_label(&self, step: &str) -> String {
        let t = self.t;
        match step.split_once(':') {
            Some(("rate", r)) => format!("{} · {}", t.get("pstep.rate"), t.of("prating.", r)),
            Some(("escalate", l)) => format!("{} · {}", t.get("pstep.escalate"), t.of("level.", l)),
            _ => t.of("pstep.", step).to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct DetailPage {
    t: Tr,
    me: Option<Me>,
    p: Problem,
    events: Vec<Event>,
    steps: Vec<Step>,
    can_rate: bool,
    duplicates: Vec<i64>,
    photos: Vec<db::problems::Photo>,
    /// The category's name in the reader's language.
    category: String,
    /// The note as sent with a step that came back, and why it did.
    note: String,
    error: String,
    /// The state a step or rating just led to (confirmed at the top), or "".
    done: &'static str,
    /// Who reported it, for those who act on it (name and home).
    reporter: Option<String>,
}

#[derive(Deserialize)]
struct DetailParams {
    /// Set after a step or a rating: the page confirms it.
    done: Option<String>,
}

async fn detail(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Query(q): Query<DetailParams>,
) -> Result<Page, UiError> {
    let mut page = detail_page(&s, &viewer, t, id).await?;
    if q.done.is_some() {
        page.done = page.p.state.as_str();
    }
    Ok(render(&page))
}

async fn detail_page(s: &AppState, viewer: &Viewer, t: Tr, id: i64) -> Result<DetailPage, UiError> {
    let p = load(s, viewer, id).await.page(t)?;
    let events = db::problems::events(&s.db, id).await.page(t)?;
    let steps = offered(viewer, &p).into_iter().filter(|s| !matches!(s, Step::Reopen | Step::Close)).collect();
    let can_rate = p.state == domain::problem::State::Resolved && p.reporter_id == Some(viewer.user_id);
    // Only those the reader may open are pointed out.
    let mut duplicates = Vec::new();
    if !matches!(p.state, domain::problem::State::Closed | domain::problem::State::Rejected) {
        for d in db::problems::possible_duplicates(&s.db, &p).await.page(t)? {
            if load(s, viewer, d).await.is_ok() {
                duplicates.push(d);
            }
        }
    }
    let photos = db::problems::photos(&s.db, id).await.page(t)?;
    let category = category_name(t, &s.categories.all(&s.db).await.page(t)?, &p.category);
    let me = Me::of(viewer);
    let reporter = ops::reporter_for(s, viewer, &p).await.page(t)?;
    Ok(DetailPage {
        reporter,
        t,
        me,
        p,
        events,
        steps,
        can_rate,
        duplicates,
        photos,
        category,
        note: String::new(),
        error: String::new(),
        done: "",
    })
}

/// A step from the page (multipart: the handler may attach a photo of the
/// site). A broken rule — a rejection without its reason, a photo that is
/// not one — comes back on the page, the note kept.
async fn step(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Result<Response, UiError> {
    let mut f = FormData::read(req, &s).await.page(t)?;
    let (step, note) = (f.text("step"), f.text("note"));
    let photo = f.file("photo");
    let photo = photo.as_deref();
    match ops::act_with_photo(&s, &viewer, id, &step, &note, photo).await {
        Ok(_) => Ok(Redirect::to(&format!("/problems/{id}?done=1")).into_response()),
        Err(e) if e.code == "invalid_input" => {
            let mut page = detail_page(&s, &viewer, t, id).await?;
            page.error = e.fields.iter().map(|f| f.reason_in(t.is_zh())).collect::<Vec<_>>().join("；");
            page.note = note;
            Ok(render(&page).status(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

#[derive(Deserialize)]
struct RatingForm {
    rating: String,
    #[serde(default)]
    note: String,
}

async fn rating(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<RatingForm>,
) -> Result<Redirect, UiError> {
    rate_as(&s, &viewer, id, &f.rating, &f.note).await.map_err(|e: AppError| UiError(e, t))?;
    Ok(Redirect::to(&format!("/problems/{id}?done=1")))
}

#[derive(Template)]
#[template(path = "problem_categories.html")]
struct CategoriesPage {
    t: Tr,
    me: Option<Me>,
    categories: std::sync::Arc<Vec<Category>>,
    can_manage: bool,
    /// The form's values: the category being changed, or a new one.
    editing: Category,
}

#[derive(Deserialize)]
struct CategoriesParams {
    edit: Option<String>,
}

/// The categories and their deadlines; administrators add and change them here.
async fn categories_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(q): Query<CategoriesParams>,
) -> Result<Page, UiError> {
    let categories = s.categories.all(&s.db).await.page(t)?;
    let editing = q.edit.and_then(|code| categories.iter().find(|c| c.code == code).cloned()).unwrap_or(Category {
        code: String::new(),
        name_zh: String::new(),
        name_en: String::new(),
        accept_hours: 24,
        resolve_hours: 168,
        active: true,
    });
    Ok(render(&CategoriesPage { t, me: Me::of(&viewer), categories, can_manage: viewer.is_admin(), editing }))
}

#[derive(Deserialize)]
struct CategoryForm {
    code: String,
    name_zh: String,
    name_en: String,
    accept_hours: String,
    resolve_hours: String,
    /// A checkbox: present when ticked.
    active: Option<String>,
}

async fn category_save(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<CategoryForm>,
) -> Result<Redirect, UiError> {
    let hours = |field: &'static str, v: &str| {
        v.trim().parse::<i64>().map_err(|_| {
            domain::Invalid::new(field, format!("{v:?} is not a whole number of hours"))
                .zh(format!("“{v}”不是整数小时"))
        })
    };
    let b = CategoryIn {
        name_zh: f.name_zh,
        name_en: f.name_en,
        accept_hours: hours("accept_hours", &f.accept_hours).page(t)?,
        resolve_hours: hours("resolve_hours", &f.resolve_hours).page(t)?,
        active: f.active.is_some(),
    };
    save_category(&s, &viewer, &f.code, &b).await.page(t)?;
    Ok(Redirect::to("/problems/categories"))
}
