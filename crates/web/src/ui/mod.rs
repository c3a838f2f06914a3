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
use crate::ops::compounds::{self as compound_ops, AreaIn, BuildingIn, CompoundPatchIn, NewCompound, filter_for};
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
