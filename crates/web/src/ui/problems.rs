//! Residents' problems as pages: report (phone first), the inbox with
//! overdue first, and one problem with its timeline and the actions the
//! reader may take.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use db::problems::{Event, Problem};
use domain::problem::Category;
use serde::Deserialize;

use super::{Me, OrPage, Page, UiError, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ops::problems::{self as ops, CategoryIn, ReportIn, act, load, offered, photo_path, rate_as, save_category};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/problems", get(inbox).post(report))
        .route("/problems/categories", get(categories_page).post(category_save))
        .route("/problems/{id}", get(detail))
        .route("/problems/{id}/steps", post(step))
        .route("/problems/{id}/rating", post(rating))
        .route("/problems/{id}/photos/{sha}", get(photo))
}

#[derive(Deserialize)]
struct InboxParams {
    all: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "problems.html")]
struct InboxPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<Problem>,
    total: u64,
    all: bool,
    /// Compounds the reader may report in (id, name).
    compounds: Vec<(i64, String)>,
    categories: std::sync::Arc<Vec<Category>>,
}

/// A category's name in the reader's language (its code if it is unknown).
fn category_name(t: Tr, all: &[Category], code: &str) -> String {
    all.iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.name(t.is_zh()).to_owned())
}

impl InboxPage {
    fn category(&self, code: &str) -> String {
        category_name(self.t, &self.categories, code)
    }
}

async fn inbox(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<InboxParams>,
) -> Result<Page, UiError> {
    let all = p.all.is_some();
    let filter = if all { Default::default() } else { db::problems::ListFilter::open() };
    let (rows, total) =
        db::problems::list(&s.db, &viewer.problems_visible(), &filter, domain::Paging::new(p.page, Some(100)))
            .await
            .page(t)?;
    let f = db::compounds::Filter { within: None, visible: viewer.visible(), name: None, include_retired: false };
    let compounds = db::compounds::list(&s.db, &f, domain::Paging::new(None, Some(200)))
        .await
        .page(t)?
        .0
        .into_iter()
        .map(|c| (c.id, format!("{} · {}", c.name, c.region_name)))
        .collect();
    let categories = s.categories.all(&s.db).await.page(t)?;
    Ok(render(&InboxPage { t, me: Me::of(&viewer), rows, total, all, compounds, categories }))
}

/// The report form (multipart: it may carry a photo taken on the phone).
async fn report(State(s): State<AppState>, viewer: Viewer, t: Tr, mut form: Multipart) -> Result<Redirect, UiError> {
    let (mut compound, mut category, mut description, mut location, mut photo) =
        (None, String::new(), String::new(), String::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(|e| AppError::bad_request(e.to_string())).page(t)? {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|e| AppError::bad_request(e.to_string())).page(t)?;
        match name.as_str() {
            "compound_id" => compound = String::from_utf8_lossy(&bytes).trim().parse::<i64>().ok(),
            "category" => category = String::from_utf8_lossy(&bytes).into_owned(),
            "description" => description = String::from_utf8_lossy(&bytes).into_owned(),
            "location" => location = String::from_utf8_lossy(&bytes).into_owned(),
            "photo" => photo = bytes.to_vec(),
            _ => {}
        }
    }
    let compound_id =
        compound.ok_or_else(|| domain::Invalid::new("compound_id", "choose the compound").zh("请选择小区")).page(t)?;
    let r = ReportIn {
        compound_id,
        category: &category,
        description: &description,
        location: &location,
        photo: (!photo.is_empty()).then_some(photo.as_slice()),
    };
    let p = ops::report(&s, &viewer, r).await.page(t)?.problem;
    Ok(Redirect::to(&format!("/problems/{}", p.id)))
}

/// A photo of a problem the reader may see.
async fn photo(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, sha)): Path<(i64, String)>,
) -> Result<Response, UiError> {
    load(&s, &viewer, id).await.page(t)?;
    let photos = db::problems::photos(&s.db, id).await.page(t)?;
    let p = photos.into_iter().find(|p| p.sha256 == sha).ok_or_else(AppError::not_found).page(t)?;
    let bytes =
        tokio::fs::read(photo_path(&s, &p.sha256)).await.map_err(|e| AppError::internal(e.to_string())).page(t)?;
    Ok(([(header::CONTENT_TYPE, p.mime), (header::CACHE_CONTROL, "private, max-age=86400".to_owned())], bytes)
        .into_response())
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
    steps: Vec<&'static str>,
    can_rate: bool,
    duplicates: Vec<i64>,
    photos: Vec<db::problems::Photo>,
    /// The category's name in the reader's language.
    category: String,
}

async fn detail(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let p = load(&s, &viewer, id).await.page(t)?;
    let events = db::problems::events(&s.db, id).await.page(t)?;
    let steps: Vec<&'static str> =
        offered(&viewer, &p).into_iter().filter(|s| *s != "reopen" && *s != "close").collect();
    let can_rate = p.state == domain::problem::State::Resolved && p.reporter_id == Some(viewer.user_id);
    // Only those the reader may open are pointed out.
    let mut duplicates = Vec::new();
    if !matches!(p.state, domain::problem::State::Closed | domain::problem::State::Rejected) {
        for d in db::problems::possible_duplicates(&s.db, &p).await.page(t)? {
            if load(&s, &viewer, d).await.is_ok() {
                duplicates.push(d);
            }
        }
    }
    let photos = db::problems::photos(&s.db, id).await.page(t)?;
    let category = category_name(t, &s.categories.all(&s.db).await.page(t)?, &p.category);
    Ok(render(&DetailPage { t, me: Me::of(&viewer), p, events, steps, can_rate, duplicates, photos, category }))
}

#[derive(Deserialize)]
struct StepForm {
    step: String,
    #[serde(default)]
    note: String,
}

async fn step(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Redirect, UiError> {
    act(&s, &viewer, id, &f.step, &f.note).await.page(t)?;
    Ok(Redirect::to(&format!("/problems/{id}")))
}

#[derive(Deserialize)]
struct RatingForm {
    rating: String,
}

async fn rating(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<RatingForm>,
) -> Result<Redirect, UiError> {
    rate_as(&s, &viewer, id, &f.rating).await.map_err(|e: AppError| UiError(e, t))?;
    Ok(Redirect::to(&format!("/problems/{id}")))
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
