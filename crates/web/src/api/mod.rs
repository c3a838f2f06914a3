//! The JSON API under `/api/v1`. Each route is declared with its OpenAPI
//! description (utoipa), so `/api/openapi.json` cannot drift from the code.

pub(crate) mod account;
pub(crate) mod compounds;
pub(crate) mod kpi;
pub(crate) mod plans;
pub(crate) mod problems;
pub(crate) mod regions;
pub(crate) mod structure;
pub(crate) mod users;

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gongzhi API",
        description = "共治 — party-building-led property management and community co-governance. \
                       Errors are `{\"error\":{\"code\":\"snake_case\",\"message\":\"…\"}}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags((name = "regions", description = "行政区划 administrative regions"),
         (name = "compounds", description = "小区 compounds, buildings, entrances and units"),
         (name = "structure", description = "组织、人员、任职 organisations, people, posts; registry import"),
         (name = "kpis", description = "覆盖率指标 coverage KPIs as of any date"),
         (name = "problems", description = "群众诉求 residents' problems"),
         (name = "users", description = "账号 accounts (administrators)"),
         (name = "account", description = "我的账户 one's own account: API tokens")),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

/// Every `/api/v1` call needs a token (`gongzhi token create` or the account
/// page) as `Authorization: Bearer …`, or a signed-in session.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("API token")).build(),
            ),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(regions::roots))
        .routes(routes!(regions::get_region))
        .routes(routes!(regions::children))
        .routes(routes!(regions::create_grid))
        .routes(routes!(compounds::list, compounds::create))
        .routes(routes!(compounds::get_one, compounds::patch))
        .routes(routes!(compounds::retire))
        .routes(routes!(compounds::facts, compounds::set_fact))
        .routes(routes!(compounds::correct_fact))
        .routes(routes!(compounds::buildings, compounds::create_building))
        .routes(routes!(compounds::get_building, compounds::patch_building))
        .routes(routes!(compounds::retire_building))
        .routes(routes!(compounds::patch_unit))
        .routes(routes!(structure::list_orgs))
        .routes(routes!(structure::get_org))
        .routes(routes!(structure::list_people))
        .routes(routes!(structure::get_person))
        .routes(routes!(structure::cross))
        .routes(routes!(structure::import_registry))
        .routes(routes!(structure::registry_rows))
        .routes(routes!(kpi::region_kpis))
        .routes(routes!(kpi::children_kpis))
        .routes(routes!(kpi::bulletin))
        .routes(routes!(plans::current))
        .routes(routes!(problems::rates))
        .routes(routes!(problems::list_categories))
        .routes(routes!(problems::put_category))
        .routes(routes!(problems::create, problems::list))
        .routes(routes!(problems::get_one))
        .routes(routes!(problems::step))
        .routes(routes!(problems::rate))
        .routes(routes!(problems::add_photo))
        .routes(routes!(plans::set_target))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::add_grant))
        .routes(routes!(users::set_disabled))
        .routes(routes!(account::list_tokens, account::create_token))
        .routes(routes!(account::revoke_token))
}

/// The OpenAPI document, for tests and `gongzhi openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Rows per page, 1–200 (default 50).
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn paging(&self) -> Result<domain::Paging, crate::AppError> {
        Ok(domain::Paging::parse(self.page, self.per_page)?)
    }
}
