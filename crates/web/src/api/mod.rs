//! The JSON API under `/api/v1`. Each route is declared with its OpenAPI
//! description (utoipa), so `/api/openapi.json` cannot drift from the code.

pub(crate) mod account;
pub(crate) mod compounds;
pub(crate) mod kpi;
pub(crate) mod ledger;
pub(crate) mod oversight;
pub(crate) mod plans;
pub(crate) mod problems;
pub(crate) mod regions;
pub(crate) mod structure;
pub(crate) mod users;
pub(crate) mod votes;

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
         (name = "oversight", description = "四色管理、整改通知单、专项整治、现场督导 grading, rectification notices, campaigns, inspections"),
         (name = "votes", description = "议事协商与业主表决 owners, consultation topics and owners' votes (Civil Code art. 278)"),
         (name = "ledger", description = "信托制账目 the owners' money: trust accounts, the maintenance fund, entries chained by hash, monthly statements"),
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
        .routes(routes!(regions::get_open311, regions::put_open311))
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
        .routes(routes!(oversight::list_notices, oversight::issue_notice))
        .routes(routes!(oversight::get_notice))
        .routes(routes!(oversight::notice_step))
        .routes(routes!(oversight::close_item))
        .routes(routes!(oversight::list_inspections, oversight::inspect))
        .routes(routes!(oversight::get_inspection))
        .routes(routes!(oversight::checklist))
        .routes(routes!(oversight::list_campaigns, oversight::open_campaign))
        .routes(routes!(oversight::get_campaign))
        .routes(routes!(oversight::presets))
        .routes(routes!(oversight::get_scheme, oversight::put_scheme))
        .routes(routes!(oversight::grades))
        .routes(routes!(oversight::company_grade))
        .routes(routes!(oversight::publish))
        .routes(routes!(oversight::get_publication))
        .routes(routes!(oversight::object))
        .routes(routes!(oversight::rule))
        .routes(routes!(oversight::record_entry))
        .routes(routes!(oversight::list_talks, oversight::record_talk))
        .routes(routes!(oversight::inspections_due))
        .routes(routes!(votes::list_votes, votes::announce))
        .routes(routes!(votes::get_vote))
        .routes(routes!(votes::cast))
        .routes(routes!(votes::publish))
        .routes(routes!(votes::cancel))
        .routes(routes!(votes::object))
        .routes(routes!(votes::rule))
        .routes(routes!(votes::list_topics, votes::propose))
        .routes(routes!(votes::get_topic))
        .routes(routes!(votes::topic_step))
        .routes(routes!(votes::rate))
        .routes(routes!(votes::owners, votes::record))
        .routes(routes!(votes::claims, votes::claim))
        .routes(routes!(votes::decide))
        .routes(routes!(votes::get_rule, votes::put_rule))
        .routes(routes!(ledger::overview))
        .routes(routes!(ledger::open_account))
        .routes(routes!(ledger::get_account, ledger::patch_account))
        .routes(routes!(ledger::entries, ledger::enter))
        .routes(routes!(ledger::upload_voucher))
        .routes(routes!(ledger::reverse))
        .routes(routes!(ledger::approve))
        .routes(routes!(ledger::get_budget, ledger::put_budget))
        .routes(routes!(ledger::statements, ledger::publish))
        .routes(routes!(ledger::statement))
        .routes(routes!(ledger::chart, ledger::add_category))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::add_grant))
        .routes(routes!(users::set_disabled))
        .routes(routes!(account::list_tokens, account::create_token))
        .routes(routes!(account::revoke_token))
}

/// The OpenAPI document, for tests and `gongzhi openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = router().split_for_parts().1;
    complete(&mut doc);
    doc
}

/// Add to every operation the answers the server gives whatever the
/// handler: 400 (a malformed path, query or body), 401 (no valid token or
/// session), and by the kind of operation 403, 404, 409, 413, 415 and 422.
/// Each is an `ErrorBody`. A handler's own description of a status wins.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::{Ref, ResponseBuilder};
    let error = |why: &str| {
        ResponseBuilder::new()
            .description(why)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_param = path.contains('{');
        let ops = [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (writes, op) in ops {
            let Some(op) = op else { continue };
            let json_body = op.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json"));
            let any_body = op.request_body.is_some();
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
            });
            let mut add = |code: &str, why: &str| {
                op.responses.responses.entry(code.to_owned()).or_insert_with(|| error(why).into());
            };
            add(
                "400",
                "Malformed request: a path or query parameter of the wrong type or out of range, a control character in text, or a body that is not valid JSON.",
            );
            add("401", "No valid API token or session.");
            if writes {
                add("403", "The caller's role may not do this here.");
                add("409", "Conflicts with stored state: a duplicate, or a change made by someone else meanwhile.");
            }
            if has_param {
                add("404", "No such record, or not within the caller's scope.");
            }
            if any_body {
                add("413", "The request body is too large.");
            }
            if json_body {
                add("415", "The body is not sent as application/json.");
                add("422", "The body is of the wrong shape, or breaks a rule (each field named in `fields`).");
            }
            if has_query {
                add(
                    "422",
                    "A query parameter breaks a rule (a page out of range, a month that is not YYYY-MM…), named in `fields`.",
                );
            }
        }
    }
}

/// The hotline's counts over a period (the rates are made from them).
pub use domain::problem::Rates as HotlineCounts;

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
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Rows per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn paging(&self) -> Result<domain::Paging, crate::AppError> {
        Ok(domain::Paging::parse(self.page, self.per_page)?)
    }
}
