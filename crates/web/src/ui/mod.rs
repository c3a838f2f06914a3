//! Server-rendered pages. Plain forms that work without JavaScript; every
//! string comes from the i18n catalogue; the same scope checks as the API.

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use db::compounds::{self as repo, BuildingSummary, Compound, Fact, UnitRow};
use db::problems::WorkCounts;
use db::regions::{Region, RegionSummary};
use domain::access::{Action, Role};
use domain::{Area, CompoundInput, Paging, ServiceModel};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError};
use crate::i18n::{Lang, Tr};
use crate::links::{safe_next, urlencode};
use crate::ops::compounds::{
    self as compound_ops, AreaIn, BuildingIn, CompoundPatchIn, DegreesIn, NewCompound, filter_for,
};
use crate::ops::problems as problem_ops;
use crate::ops::regions::parse_code;

mod account;
mod dashboard;
mod ledger;
mod notices;
mod oversight;
mod pick;
mod problems;
mod structure;
mod users;
mod votes;

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
    /// The problems waiting in what they see (the header's counts).
    pub work: WorkCounts,
    /// Notices not yet seen.
    pub unread: i64,
}

tokio::task_local! {
    /// The reader of the page being answered, as the header shows them; set
    /// once a request by [`with_me`], so error pages keep the signed-in header.
    static CURRENT: Option<Me>;
}

/// Who reads the page and what waits for them, looked up once a request for
/// the header of whatever page answers (an error page too).
pub async fn with_me(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let me = match Viewer::from_request_parts(&mut parts, &s).await {
        Ok(v) if v.via_session => {
            let work = problem_ops::work(&s, &v).await.unwrap_or_default();
            let unread = db::notify::unread(&s.db, v.user_id).await.unwrap_or_default();
            Some(Me { work, unread, ..Me::bare(&v) })
        }
        _ => None,
    };
    CURRENT.scope(me, next.run(Request::from_parts(parts, body))).await
}

impl Me {
    /// The reader as looked up for this request (with the counts of their work).
    pub fn of(v: &Viewer) -> Option<Me> {
        CURRENT.try_with(|m| m.clone()).ok().flatten().filter(|m| m.login == v.login).or_else(|| Some(Me::bare(v)))
    }

    /// The signed-in reader, if any (for pages that do not require one).
    fn current() -> Option<Me> {
        CURRENT.try_with(|m| m.clone()).ok().flatten()
    }

    fn bare(v: &Viewer) -> Me {
        Me {
            work: WorkCounts::default(),
            unread: 0,
            login: v.login.clone(),
            display_name: v.display_name.clone(),
            can_write: v.may(Action::WriteRegistry),
            can_audit: v.may(Action::ReadAudit),
            has_regions: v.region_roots().is_none_or(|r| !r.is_empty()),
            staff: !v.resident_only(),
            can_admin: v.is_admin(),
        }
    }
}

pub fn router(s: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/regions", get(regions_root))
        .route("/regions/{code}", get(region_page))
        .route("/regions/{code}/open311", post(region_open311))
        .route("/compounds", get(compound_list).post(compound_create))
        .route("/compounds/new", get(compound_new))
        .route("/compounds/export.xlsx", get(compound_export))
        .route("/compounds/{id}", get(compound_page).post(compound_update))
        .route("/compounds/{id}/edit", get(compound_edit))
        .route("/compounds/{id}/retire", post(compound_retire))
        .route("/compounds/{id}/facts", post(compound_fact))
        .route("/compounds/{id}/facts/{fact_id}", post(compound_fact_correct))
        .route("/compounds/{id}/buildings", post(building_create))
        .route("/buildings/{id}", get(building_page))
        .route("/lang/{lang}", get(set_lang))
        .route("/pick/compounds", get(pick::compounds))
        .route("/pick/scopes", get(pick::scopes))
        .route("/pick/alike", get(pick::alike))
        .merge(account::router())
        .merge(structure::router())
        .merge(dashboard::router())
        .merge(problems::router())
        .merge(users::router())
        .merge(notices::router())
        .merge(oversight::router())
        .merge(votes::router())
        .merge(ledger::router())
        .route_layer(axum::middleware::from_fn_with_state(s.clone(), with_me))
}

/// A page's form as sent, whether plain (urlencoded) or multipart (with a
/// photo): forms that may carry a file accept both, so a page cached from
/// before a form gained its file field still works.
pub(crate) struct FormData(std::collections::HashMap<String, Vec<u8>>);

impl FormData {
    pub(crate) async fn read(req: Request, s: &AppState) -> Result<FormData, AppError> {
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let mut out = std::collections::HashMap::new();
        if multipart {
            let mut form = axum::extract::Multipart::from_request(req, s)
                .await
                .map_err(|e| AppError::bad_request(e.body_text()))?;
            // A body over the limit (a phone photo of many MB) ends the stream mid-way.
            let too_big = |_| {
                AppError::from(
                    domain::Invalid::new("file", "the file is too large (at most 5 MB) or did not arrive whole")
                        .zh("上传的文件过大（不超过 5 MB）或未完整上传"),
                )
            };
            while let Some(field) = form.next_field().await.map_err(too_big)? {
                let name = field.name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(too_big)?;
                out.insert(name, bytes.to_vec());
            }
        } else {
            let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, s)
                .await
                .map_err(|e| AppError::bad_request(e.body_text()))?;
            out.extend(pairs.into_iter().map(|(k, v)| (k, v.into_bytes())));
        }
        Ok(FormData(out))
    }

    /// A text field (empty if absent).
    pub(crate) fn text(&mut self, name: &str) -> String {
        self.0.remove(name).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    /// A file field, if one was sent with content.
    pub(crate) fn file(&mut self, name: &str) -> Option<Vec<u8>> {
        self.0.remove(name).filter(|b| !b.is_empty())
    }
}

/// At most this many rows in one export of a list (a region or filter narrows a longer one).
const EXPORT_MAX: u64 = 20_000;

/// Every page of a list, up to `EXPORT_MAX` rows: what a list's export holds.
async fn all_pages<T, E, F, Fut>(mut page: F) -> Result<Vec<T>, AppError>
where
    E: Into<AppError>,
    F: FnMut(Paging) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, u64), E>>,
{
    let mut out = Vec::new();
    for n in 1..=EXPORT_MAX / domain::paging::MAX_PER_PAGE {
        let (batch, total) =
            page(Paging::new(Some(n), Some(domain::paging::MAX_PER_PAGE))).await.map_err(Into::into)?;
        let done = batch.is_empty();
        out.extend(batch);
        if done || out.len() as u64 >= total {
            break;
        }
    }
    Ok(out)
}

/// A list as an Excel download: `title` names the sheet and (with today's
/// date) the file; `stem` is the file's ASCII name for old clients.
fn xlsx_download(
    t: Tr,
    title: &str,
    stem: &str,
    heads: &[&str],
    rows: &[Vec<report::Cell>],
) -> Result<Response, UiError> {
    let bytes = report::table_xlsx(title, heads, rows).map_err(|e| AppError::internal(e.to_string())).page(t)?;
    let today = domain::clock::today();
    // ASCII file name plus the UTF-8 one (RFC 6266) so Excel, WPS and browsers all name it well.
    let disposition = format!(
        "attachment; filename=\"{stem}-{today}.xlsx\"; filename*=UTF-8''{}",
        urlencode(&format!("{title}-{today}.xlsx"))
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// The regions from the top down to `code` that the viewer may open:
/// breadcrumbs never link to a page that would answer 404.
async fn readable_lineage(s: &AppState, viewer: &Viewer, code: &domain::RegionCode) -> Result<Vec<Region>, AppError> {
    Ok(db::regions::lineage(&s.db, code)
        .await?
        .into_iter()
        .filter(|r| domain::RegionCode::parse(&r.code).is_ok_and(|rc| viewer.check_region(Action::Read, &rc).is_ok()))
        .collect())
}

/// The pager every list shows: where the reader is, with links that keep
/// the list's filters.
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// The list's path with its filters, ready for `page=`.
    base: String,
}

impl Pager {
    /// `filters` left empty are left out of the links.
    pub fn new(path: &str, filters: &[(&str, &str)], paging: Paging, total: u64) -> Pager {
        let query: Vec<String> = filters
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect();
        let base = if query.is_empty() { format!("{path}?") } else { format!("{path}?{}&", query.join("&")) };
        Pager { page: paging.page, pages: paging.pages(total), total, base }
    }

    pub fn href(&self, page: impl std::borrow::Borrow<u64>) -> String {
        format!("{}page={}", self.base, page.borrow())
    }

    /// The filters alone (for an export of the same list).
    pub fn query(&self) -> &str {
        self.base.split_once('?').map_or("", |(_, q)| q.trim_end_matches('&'))
    }
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
        // Broken rules in the reader's language: "field: reason; …". A
        // Chinese page never shows the English detail of other errors: its
        // heading already says what kind of error it is.
        let detail = if e.status.is_server_error() || e.code == "busy" {
            String::new()
        } else if !e.fields.is_empty() && t.is_zh() {
            e.fields
                .iter()
                .map(|f| format!("{}：{}", t.field(&f.field), f.reason_in(true)))
                .collect::<Vec<_>>()
                .join("；")
        } else if t.is_zh() {
            String::new()
        } else {
            e.message
        };
        let page = ErrorPage { t, me: Me::current(), message: t.get(key), detail };
        render(&page).status(e.status)
    }
}

/// The route that serves one kind of kept file (a photo or a voucher) to a
/// reader who may see the record holding it.
fn kept_file(holder: db::files::Holder) -> axum::routing::MethodRouter<AppState> {
    get(move |State(s): State<AppState>, viewer: Viewer, t: Tr, Path((id, sha)): Path<(i64, String)>| async move {
        let (path, mime) = crate::ops::files::kept(&s, &viewer, holder, id, &sha).await.page(t)?;
        let bytes = tokio::fs::read(path).await.map_err(|e| AppError::internal(e.to_string())).page(t)?;
        let headers = [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=86400".to_owned())];
        Ok::<_, UiError>((headers, bytes).into_response())
    })
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

/// A date field of a form, or the field's error.
fn date(field: &'static str, v: &str) -> Result<chrono::NaiveDate, AppError> {
    v.trim().parse().map_err(|_| {
        AppError::from(
            domain::Invalid::new(field, format!("{v:?} is not a date (YYYY-MM-DD)"))
                .zh(format!("“{v}”不是日期（格式 YYYY-MM-DD）")),
        )
    })
}

/// A refused form's broken rules in the reader's language ("field: reason; …"),
/// or the error's message when it names no field.
fn error_text(t: Tr, e: &AppError) -> String {
    if e.fields.is_empty() {
        return e.message.clone();
    }
    e.fields.iter().map(|x| format!("{}：{}", t.field(&x.field), x.reason_in(t.is_zh()))).collect::<Vec<_>>().join("；")
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

mod compounds;
mod language;
mod regions;

use compounds::*;
use language::*;
use regions::*;

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
