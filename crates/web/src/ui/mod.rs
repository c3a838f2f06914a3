//! Server-rendered pages. Plain forms that work without JavaScript; every
//! string comes from the i18n catalogue; the same scope checks as the API.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use db::compounds::{self as repo, BuildingSummary, Compound, Fact, UnitRow};
use db::regions::{Region, RegionSummary};
use domain::access::Action;
use domain::{Area, CompoundInput, Paging, ServiceModel};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError};
use crate::i18n::{Lang, Tr};
use crate::links::{safe_next, urlencode};
use crate::ops::compounds::{
    self, AreaIn, BuildingIn, CompoundPatchIn, NewCompound, check_fact, check_patch, filter_for,
};
use crate::ops::regions::parse_code;

mod account;
mod dashboard;
mod problems;
mod structure;
mod users;

/// The signed-in user as the layout shows them (name, links they may use).
#[derive(Clone)]
pub struct Me {
    pub login: String,
    pub display_name: String,
    pub can_write: bool,
    pub can_audit: bool,
    /// Holds a region grant: the dashboard and region pages are for them.
    pub has_regions: bool,
    /// Works for a body (not only a resident): the organisations and people pages are for them.
    pub staff: bool,
    /// Manages accounts.
    pub can_admin: bool,
}

impl Me {
    pub fn of(v: &Viewer) -> Option<Me> {
        Some(Me {
            login: v.login.clone(),
            display_name: v.display_name.clone(),
            can_write: v.may(Action::WriteRegistry),
            can_audit: v.may(Action::ReadAudit),
            has_regions: v.region_roots().is_none_or(|r| !r.is_empty()),
            staff: !v.resident_only(),
            can_admin: v.is_admin(),
        })
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/regions", get(regions_root))
        .route("/regions/{code}", get(region_page))
        .route("/compounds", get(compound_list).post(compound_create))
        .route("/compounds/new", get(compound_new))
        .route("/compounds/{id}", get(compound_page).post(compound_update))
        .route("/compounds/{id}/edit", get(compound_edit))
        .route("/compounds/{id}/retire", post(compound_retire))
        .route("/compounds/{id}/facts", post(compound_fact))
        .route("/compounds/{id}/facts/{fact_id}", post(compound_fact_correct))
        .route("/compounds/{id}/buildings", post(building_create))
        .route("/buildings/{id}", get(building_page))
        .route("/lang/{lang}", get(set_lang))
        .merge(account::router())
        .merge(structure::router())
        .merge(dashboard::router())
        .merge(problems::router())
        .merge(users::router())
}

/// An error shown as a page in the reader's language.
pub struct UiError(AppError, Tr);

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let UiError(e, t) = self;
        let key = match e.code {
            "not_found" => "error.not_found",
            "conflict" => "error.conflict",
            "invalid_input" => "error.invalid_input",
            "forbidden" => "error.forbidden",
            "busy" => "error.busy",
            _ if e.status.is_client_error() => "error.bad_request",
            _ => "error.internal",
        };
        // Broken rules in the reader's language: "field: reason; …".
        let detail = if e.status.is_server_error() || e.code == "busy" {
            String::new()
        } else if !e.fields.is_empty() && t.is_zh() {
            e.fields
                .iter()
                .map(|f| format!("{}：{}", t.field(&f.field), f.reason_in(true)))
                .collect::<Vec<_>>()
                .join("；")
        } else {
            e.message
        };
        let page = ErrorPage { t, me: None, message: t.get(key), detail };
        render(&page).status(e.status)
    }
}

trait OrPage<T> {
    fn page(self, t: Tr) -> Result<T, UiError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn page(self, t: Tr) -> Result<T, UiError> {
        self.map_err(|e| UiError(e.into(), t))
    }
}

/// A rendered page, or the template's failure: that answers 500 and is
/// logged, whatever status the page would have had.
pub(crate) struct Page(Result<String, String>);

impl Page {
    /// The page with another status (a form sent back with its errors).
    fn status(self, code: StatusCode) -> Response {
        match self.0 {
            Ok(_) => (code, self).into_response(),
            Err(_) => self.into_response(),
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(s) => Html(s).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><title>500</title><p>服务器内部错误 · internal error</p>"),
                )
                    .into_response()
            }
        }
    }
}

fn render(t: &impl Template) -> Page {
    Page(t.render().map_err(|e| e.to_string()))
}

pub async fn not_found(t: Tr) -> Response {
    UiError(AppError::not_found(), t).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    me: Option<Me>,
    message: &'static str,
    detail: String,
}

// ---- regions -------------------------------------------------------------

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    t: Tr,
    me: Option<Me>,
    here: Option<RegionSummary>,
    crumbs: Vec<Region>,
    children: Vec<RegionSummary>,
    compounds: Vec<Compound>,
}

/// Where a signed-in user starts: residents at their reports, others at their regions.
async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(if viewer.resident_only() { "/problems" } else { "/regions" })
}

async fn regions_root(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Response, UiError> {
    let children = match viewer.region_roots() {
        None => db::regions::roots(&s.db).await.page(t)?,
        Some(codes) if codes.len() == 1 => return Ok(Redirect::to(&format!("/regions/{}", codes[0])).into_response()),
        // Residents start at their reports; company and committee users at their compounds.
        Some(_) if viewer.resident_only() => return Ok(Redirect::to("/problems").into_response()),
        Some(codes) if codes.is_empty() => return Ok(Redirect::to("/compounds").into_response()),
        Some(codes) => {
            let mut v = Vec::new();
            for c in codes {
                v.push(db::regions::summary(&s.db, &c).await.page(t)?);
            }
            v
        }
    };
    Ok(render(&RegionPage { t, me: Me::of(&viewer), here: None, crumbs: vec![], children, compounds: vec![] })
        .into_response())
}

async fn region_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(code): Path<String>,
) -> Result<Page, UiError> {
    let code = parse_code(&code).page(t)?;
    viewer.check_region(Action::Read, &code).page(t)?;
    let here = db::regions::summary(&s.db, &code).await.page(t)?;
    let crumbs = db::regions::lineage(&s.db, &code).await.page(t)?;
    let children = db::regions::children(&s.db, &code).await.page(t)?;
    // Where compounds sit directly (communities and grids), show them here.
    let compounds = if children.is_empty() || code.level() >= domain::Level::Community {
        let f = filter_for(&s, &viewer, Some(code.as_str()), None, false).await.page(t)?;
        repo::list(&s.db, &f, Paging::new(None, Some(50))).await.page(t)?.0
    } else {
        vec![]
    };
    Ok(render(&RegionPage { t, me: Me::of(&viewer), here: Some(here), crumbs, children, compounds }))
}

// ---- compounds -------------------------------------------------------------

impl RegionPage {
    fn can_write(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.can_write)
    }
}

#[derive(Deserialize)]
struct ListParams {
    region: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "compounds.html")]
struct CompoundsPage {
    t: Tr,
    me: Option<Me>,
    region: String,
    q: String,
    rows: Vec<Compound>,
    total: u64,
    page: u64,
    pages: u64,
}

impl CompoundsPage {
    fn link(&self, page: u64) -> String {
        let mut s = format!("/compounds?page={page}");
        if !self.region.is_empty() {
            s.push_str(&format!("&region={}", self.region));
        }
        if !self.q.is_empty() {
            s.push_str(&format!("&q={}", urlencode(&self.q)));
        }
        s
    }
}

async fn compound_list(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Page, UiError> {
    let f = filter_for(&s, &viewer, p.region.as_deref(), p.q.clone(), false).await.page(t)?;
    let paging = Paging::new(p.page, None);
    let (rows, total) = repo::list(&s.db, &f, paging).await.page(t)?;
    Ok(render(&CompoundsPage {
        t,
        me: Me::of(&viewer),
        region: p.region.unwrap_or_default().trim().to_owned(),
        q: p.q.unwrap_or_default(),
        rows,
        total,
        page: paging.page,
        pages: paging.pages(total),
    }))
}

#[derive(Template)]
#[template(path = "compound.html")]
struct CompoundPage {
    t: Tr,
    me: Option<Me>,
    can_write: bool,
    /// Names of the organisations the timeline points at.
    names: std::collections::HashMap<i64, String>,
    orgs: Vec<db::structure::Org>,
    companies: Vec<db::structure::Org>,
    c: Compound,
    crumbs: Vec<Region>,
    facts: Vec<Fact>,
    buildings: Vec<BuildingSummary>,
    models: &'static [ServiceModel],
    today: String,
}

impl CompoundPage {
    fn ref_name(&self, id: &Option<i64>) -> String {
        id.and_then(|i| self.names.get(&i).cloned()).unwrap_or_else(|| "—".into())
    }

    fn units(&self) -> i64 {
        self.buildings.iter().map(|b| b.units).sum()
    }
}

async fn compound_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let c = viewer.compound(&s.db, id, Action::Read).await.page(t)?;
    let code = parse_code(&c.region_code).page(t)?;
    // Breadcrumbs only as far as the viewer may go (a company user sees none).
    let crumbs: Vec<Region> = db::regions::lineage(&s.db, &code)
        .await
        .page(t)?
        .into_iter()
        .filter(|r| domain::RegionCode::parse(&r.code).is_ok_and(|rc| viewer.check_region(Action::Read, &rc).is_ok()))
        .collect();
    let can_write = viewer.check_compound(&c, Action::WriteRegistry).is_ok();
    let facts = repo::facts(&s.db, id).await.page(t)?;
    let ids: Vec<i64> = facts.iter().filter_map(|f| f.ref_id).collect();
    let names = db::structure::org_names(&s.db, &ids).await.page(t)?;
    let of_compound = db::structure::OrgFilter { all: true, compound_id: Some(id), ..Default::default() };
    let orgs = db::structure::list_orgs(&s.db, &of_compound, Paging::new(None, Some(100))).await.page(t)?.0;
    // Companies the viewer may choose from: those registered in the compound's county.
    let county = domain::RegionCode::parse(&c.community_code[..6]).page(t)?;
    let mut cf = viewer.org_filter();
    cf.kind = Some("company".into());
    cf.within = Some(county.path());
    let companies = db::structure::list_orgs(&s.db, &cf, Paging::new(None, Some(200))).await.page(t)?.0;
    let buildings = repo::buildings(&s.db, id).await.page(t)?;
    Ok(render(&CompoundPage {
        t,
        me: Me::of(&viewer),
        can_write,
        names,
        orgs,
        companies,
        c,
        crumbs,
        facts,
        buildings,
        models: &ServiceModel::ALL,
        today: domain::clock::today().to_string(),
    }))
}

#[derive(Deserialize, Default, Clone)]
struct CompoundForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    year_built: String,
    is_old: Option<String>,
    #[serde(default)]
    households: String,
    #[serde(default)]
    floor_area: String,
    #[serde(default)]
    service_model: String,
    #[serde(default)]
    service_model_from: String,
}

#[derive(Template)]
#[template(path = "compound_form.html")]
struct CompoundFormPage {
    t: Tr,
    me: Option<Me>,
    id: Option<i64>,
    f: CompoundForm,
    errors: Vec<FieldError>,
    models: &'static [ServiceModel],
}

impl CompoundFormPage {
    fn error(&self, field: &str) -> String {
        let zh = self.t.is_zh();
        self.errors.iter().filter(|e| e.field == field).map(|e| e.reason_in(zh)).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Deserialize)]
struct NewParams {
    region: Option<String>,
}

async fn compound_new(viewer: Viewer, t: Tr, Query(p): Query<NewParams>) -> Result<Page, UiError> {
    if !viewer.may(Action::WriteRegistry) {
        return Err(UiError(AppError::forbidden(), t));
    }
    let f = CompoundForm {
        region: p.region.unwrap_or_default(),
        service_model_from: domain::clock::today().to_string(),
        ..Default::default()
    };
    Ok(render(&CompoundFormPage { t, me: Me::of(&viewer), id: None, f, errors: vec![], models: &ServiceModel::ALL }))
}

fn form_errors(t: Tr, me: Option<Me>, id: Option<i64>, f: CompoundForm, e: AppError) -> Response {
    if e.code != "invalid_input" && e.code != "conflict" {
        return UiError(e, t).into_response();
    }
    let errors = if !e.fields.is_empty() {
        e.fields
    } else if e.code == "conflict" {
        // The one conflict a compound form meets: its name is taken in the community.
        vec![FieldError { reason_zh: Some("本社区已有同名小区".into()), ..FieldError::new("name", e.message) }]
    } else {
        vec![FieldError::new("name", e.message)]
    };
    render(&CompoundFormPage { t, me, id, f, errors, models: &ServiceModel::ALL })
        .status(StatusCode::UNPROCESSABLE_ENTITY)
}

async fn compound_create(State(s): State<AppState>, viewer: Viewer, t: Tr, Form(f): Form<CompoundForm>) -> Response {
    let n = NewCompound {
        input: CompoundInput {
            region: f.region.clone(),
            name: f.name.clone(),
            address: f.address.clone(),
            year_built: f.year_built.clone(),
            is_old: f.is_old.is_some(),
            households: f.households.clone(),
            floor_area: f.floor_area.clone(),
        },
        service_model: Some(f.service_model.clone()),
        service_model_from: f.service_model_from.clone(),
    };
    match compounds::create(&s, &viewer, n).await {
        Ok(c) => Redirect::to(&format!("/compounds/{}", c.id)).into_response(),
        // Out of scope is a page of its own; a broken rule or a taken name goes back to the form.
        Err(e) if matches!(e.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) => UiError(e, t).into_response(),
        Err(e) => form_errors(t, Me::of(&viewer), None, f, e),
    }
}

async fn compound_edit(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let c = viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let f = CompoundForm {
        region: c.region_code.clone(),
        name: c.name.clone(),
        address: c.address.clone(),
        year_built: c.year_built.map(|y| y.to_string()).unwrap_or_default(),
        is_old: c.is_old.then(|| "on".into()),
        households: c.households.to_string(),
        floor_area: c.floor_area().to_string(),
        service_model: String::new(),
        service_model_from: String::new(),
    };
    Ok(render(&CompoundFormPage {
        t,
        me: Me::of(&viewer),
        id: Some(id),
        f,
        errors: vec![],
        models: &ServiceModel::ALL,
    }))
}

async fn compound_update(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<CompoundForm>,
) -> Response {
    if let Err(e) = viewer.compound(&s.db, id, Action::WriteRegistry).await {
        return UiError(e, t).into_response();
    }
    let year = f.year_built.trim();
    let households = f.households.trim();
    let mut errs = Vec::new();
    let patch = CompoundPatchIn {
        name: Some(f.name.clone()),
        address: Some(f.address.clone()),
        year_built: if year.is_empty() {
            None
        } else {
            year.parse()
                .map_err(|_| {
                    errs.push(
                        domain::Invalid::new("year_built", format!("{year:?} is not a year"))
                            .zh(format!("“{year}”不是年份")),
                    )
                })
                .ok()
        },
        is_old: Some(f.is_old.is_some()),
        households: households
            .parse()
            .map_err(|_| {
                errs.push(
                    domain::Invalid::new("households", format!("{households:?} is not a whole number"))
                        .zh(format!("“{households}”不是整数")),
                )
            })
            .ok(),
        floor_area_m2: Some(AreaIn::Text(f.floor_area.clone())),
    };
    if !errs.is_empty() {
        return form_errors(t, Me::of(&viewer), Some(id), f, AppError::invalid(errs));
    }
    let result = match check_patch(&patch) {
        Ok(p) => repo::update(&s.db, &viewer.actor(), id, &p).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/compounds/{id}")).into_response(),
        Err(e) => form_errors(t, Me::of(&viewer), Some(id), f, e),
    }
}

async fn compound_retire(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    repo::retire(&s.db, &viewer.actor(), id).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
struct FactForm {
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    org_id: String,
    effective_from: String,
}

fn form_date(field: &'static str, s: &str) -> Result<chrono::NaiveDate, domain::Invalid> {
    s.trim().parse().map_err(|_| {
        domain::Invalid::new(field, format!("{s:?} is not a date (YYYY-MM-DD)"))
            .zh(format!("“{s}”不是日期（格式 YYYY-MM-DD）"))
    })
}

fn form_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

async fn compound_fact(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<FactForm>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let value = Some(f.value.as_str()).filter(|v| !v.is_empty());
    let (kind, value, org) = check_fact(&s, &viewer, id, &f.kind, value, form_id(&f.org_id)).await.page(t)?;
    let date = form_date("effective_from", &f.effective_from).page(t)?;
    repo::set_fact(&s.db, &viewer.actor(), id, kind, value.as_deref(), org, date).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
struct CorrectForm {
    valid_from: String,
}

async fn compound_fact_correct(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, fact_id)): Path<(i64, i64)>,
    Form(f): Form<CorrectForm>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let date = form_date("valid_from", &f.valid_from).page(t)?;
    compounds::correct(&s, &viewer, id, fact_id, date, None, None).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
struct BuildingForm {
    name: String,
    floors: String,
    entrances: String,
    units_per_floor: String,
    unit_area: String,
}

async fn building_create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<BuildingForm>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let int = |field: &'static str, v: &str| {
        v.trim().parse::<i32>().map_err(|_| {
            domain::Invalid::new(field, format!("{v:?} is not a whole number")).zh(format!("“{v}”不是整数"))
        })
    };
    let b = BuildingIn {
        name: f.name,
        floors: int("floors", &f.floors).page(t)?,
        entrances: int("entrances", &f.entrances).page(t)?,
        units_per_floor: int("units_per_floor", &f.units_per_floor).page(t)?,
        unit_area_m2: AreaIn::Text(f.unit_area),
    };
    let spec = b.spec().page(t)?;
    repo::create_building(&s.db, &viewer.actor(), id, &spec).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}#buildings")))
}

#[derive(Template)]
#[template(path = "building.html")]
struct BuildingPage {
    t: Tr,
    me: Option<Me>,
    c: Compound,
    b: BuildingSummary,
    units: Vec<UnitRow>,
}

async fn building_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let b = viewer.building(&s.db, id, Action::Read).await.page(t)?;
    let c = repo::get(&s.db, b.compound_id).await.page(t)?;
    let units = repo::units(&s.db, id).await.page(t)?;
    Ok(render(&BuildingPage { t, me: Me::of(&viewer), c, b, units }))
}

// ---- language --------------------------------------------------------------

#[derive(Deserialize)]
struct LangParams {
    next: Option<String>,
}

async fn set_lang(Path(lang): Path<String>, Query(p): Query<LangParams>, headers: axum::http::HeaderMap) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Zh);
    let short = if lang == Lang::En { "en" } else { "zh" };
    // Back to where the reader was: `next`, else the Referer's path. Only
    // same-site paths are followed (`safe_next`), so this is never an open redirect.
    let referer_path = || {
        let r = headers.get(header::REFERER)?.to_str().ok()?;
        let after_scheme = r.split_once("://").map(|(_, rest)| rest)?;
        after_scheme.find('/').map(|i| after_scheme[i..].to_owned())
    };
    let next = safe_next(p.next.or_else(referer_path).as_deref());
    let next = if next.starts_with("/lang/") { "/".to_owned() } else { next };
    let mut res = Redirect::to(&next).into_response();
    let cookie = format!("lang={short}; Path=/; Max-Age=31536000; SameSite=Lax");
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
    res
}

/// Helpers the templates call.
fn area(centi: &i64) -> String {
    Area::from_centi(*centi).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_fails_answers_500_whatever_the_page_status() {
        let failed = || Page(Err("boom".into()));
        assert_eq!(failed().into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(failed().status(StatusCode::UNPROCESSABLE_ENTITY).status(), StatusCode::INTERNAL_SERVER_ERROR);
        let fine = Page(Ok("<p>ok</p>".into()));
        assert_eq!(fine.status(StatusCode::UNPROCESSABLE_ENTITY).status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
