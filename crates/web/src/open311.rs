//! Open311 GeoReport v2 over residents' problems: discovery, services
//! (the categories), requests (list, create, fetch), in JSON or XML by the
//! path's extension. Callers identify with `api_key` (an API token); they see
//! and file only what their scope allows. Errors are `[{"code","description"}]`.

use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use db::problems::Problem;
use serde::Deserialize;
use std::collections::HashMap;

use crate::AppState;
use crate::auth::Viewer;
use crate::ops::problems::{ReportIn, load, report};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(get_file).post(post_file))
        .route("/open311/v2/requests/{file}", get(get_request))
        .route("/open311/v2/tokens/{file}", get(get_token))
}

#[derive(Clone, Copy, PartialEq)]
enum Fmt {
    Json,
    Xml,
}

fn split(file: &str) -> Option<(&str, Fmt)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Fmt::Json)),
        "xml" => Some((name, Fmt::Xml)),
        _ => None,
    }
}

/// XML text: markup escaped, and characters XML 1.0 cannot carry dropped
/// (a value stored before they were refused must not break the document).
fn esc(s: &str) -> String {
    domain::text::printable(s).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A flat record (field, value) rendered as a JSON object or an XML element.
type Record = Vec<(&'static str, String)>;

fn render(fmt: Fmt, status: StatusCode, list_tag: &str, item_tag: &str, items: Vec<Record>) -> Response {
    match fmt {
        Fmt::Json => {
            let arr: Vec<serde_json::Value> = items
                .into_iter()
                .map(|r| {
                    serde_json::Value::Object(
                        r.into_iter().map(|(k, v)| (k.to_owned(), serde_json::Value::String(v))).collect(),
                    )
                })
                .collect();
            (status, axum::Json(arr)).into_response()
        }
        Fmt::Xml => {
            let mut x = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{list_tag}>");
            for r in items {
                x.push_str(&format!("<{item_tag}>"));
                for (k, v) in r {
                    x.push_str(&format!("<{k}>{}</{k}>", esc(&v)));
                }
                x.push_str(&format!("</{item_tag}>"));
            }
            x.push_str(&format!("</{list_tag}>"));
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], x).into_response()
        }
    }
}

fn error(fmt: Fmt, status: StatusCode, code: &str, description: &str) -> Response {
    render(
        fmt,
        status,
        "errors",
        "error",
        vec![vec![("code", code.to_owned()), ("description", description.to_owned())]],
    )
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn request_record(p: &Problem) -> Record {
    let state = p.state;
    vec![
        ("service_request_id", p.id.to_string()),
        ("status", state.open311().to_owned()),
        ("status_notes", p.state.as_str().to_owned()),
        ("service_code", p.category.clone()),
        ("service_name", p.category.clone()),
        ("description", p.description.clone()),
        ("agency_responsible", p.handler_kind.as_str().to_owned()),
        ("requested_datetime", iso(p.submitted_at)),
        ("updated_datetime", iso(p.updated_at)),
        ("expected_datetime", iso(p.resolve_by)),
        (
            "address",
            if p.location.is_empty() { p.compound_name.clone() } else { format!("{} {}", p.compound_name, p.location) },
        ),
        ("address_id", p.compound_id.to_string()),
    ]
}

/// The caller of an `api_key`, or an Open311 error.
async fn caller(s: &AppState, key: Option<&String>, fmt: Fmt) -> Result<Viewer, Response> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(error(fmt, StatusCode::FORBIDDEN, "403", "api_key is required"));
    };
    match Viewer::of_token(s, key).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(error(fmt, StatusCode::FORBIDDEN, "403", "api_key is not valid")),
        Err(_) => Err(error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "500", "internal error")),
    }
}

async fn get_file(
    State(s): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((name, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "404", "use .json or .xml");
    };
    match name {
        "discovery" => {
            let rec = vec![
                ("changeset", "2026-11-26T00:00:00Z".to_owned()),
                ("contact", "gongzhi".to_owned()),
                ("key_service", "API tokens: gongzhi token create, or the account page".to_owned()),
                ("specification", "http://wiki.open311.org/GeoReport_v2".to_owned()),
                ("url", "/open311/v2".to_owned()),
                ("formats", "application/json text/xml".to_owned()),
            ];
            render(fmt, StatusCode::OK, "discovery", "endpoint", vec![rec])
        }
        "services" => {
            let Ok(all) = s.categories.all(&s.db).await else {
                return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "500", "internal error");
            };
            let items = all
                .iter()
                .filter(|c| c.active)
                .map(|c| {
                    vec![
                        ("service_code", c.code.clone()),
                        ("service_name", c.name_zh.clone()),
                        (
                            "description",
                            format!(
                                "{}: accept within {} h, resolve within {} h",
                                c.name_en, c.accept_hours, c.resolve_hours
                            ),
                        ),
                        ("metadata", "false".to_owned()),
                        ("type", "realtime".to_owned()),
                        ("keywords", String::new()),
                        ("group", "property".to_owned()),
                    ]
                })
                .collect();
            render(fmt, StatusCode::OK, "services", "service", items)
        }
        "requests" => {
            let viewer = match caller(&s, q.get("api_key"), fmt).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            // The spec's filters: service_request_id (a list), service_code, start_date,
            // end_date (ISO 8601), status. Without dates, the last 90 days; at most 1,000.
            let mut filter = db::problems::ListFilter::default();
            match q.get("status").map(String::as_str) {
                None | Some("") => {}
                Some("open") => filter.open = Some(true),
                Some("closed") => filter.open = Some(false),
                Some(_) => return error(fmt, StatusCode::BAD_REQUEST, "400", "status is open or closed"),
            }
            filter.category = q.get("service_code").filter(|c| !c.is_empty()).cloned();
            let when = |name: &str| match q.get(name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => chrono::DateTime::parse_from_rfc3339(v)
                    .map(|t| Some(t.with_timezone(&Utc)))
                    .map_err(|_| format!("{name} is not an ISO 8601 time such as 2026-11-26T09:00:00+08:00")),
            };
            match (when("start_date"), when("end_date")) {
                (Ok(a), Ok(b)) => (filter.from, filter.to) = (a, b),
                (Err(e), _) | (_, Err(e)) => return error(fmt, StatusCode::BAD_REQUEST, "400", &e),
            }
            if let Some(ids) = q.get("service_request_id").filter(|v| !v.is_empty()) {
                match ids.split(',').map(|i| i.trim().parse::<i64>()).collect::<Result<Vec<_>, _>>() {
                    Ok(ids) => filter.ids = ids,
                    Err(_) => {
                        return error(fmt, StatusCode::BAD_REQUEST, "400", "service_request_id is a list of numbers");
                    }
                }
            } else if filter.from.is_none() && filter.to.is_none() {
                filter.from = Some(Utc::now() - chrono::Duration::days(90));
            }
            let rows = match db::problems::list(
                &s.db,
                &viewer.problems_visible(),
                &filter,
                // The spec's ceiling; above the API's usual page size on purpose.
                domain::Paging { page: 1, per_page: 1000 },
            )
            .await
            {
                Ok((rows, _)) => rows,
                Err(_) => return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "500", "internal error"),
            };
            let items = rows.iter().map(request_record).collect();
            render(fmt, StatusCode::OK, "service_requests", "request", items)
        }
        _ => error(fmt, StatusCode::NOT_FOUND, "404", "no such resource"),
    }
}

#[derive(Deserialize)]
struct IdQuery {
    api_key: Option<String>,
}

async fn get_request(State(s): State<AppState>, Path(file): Path<String>, Query(q): Query<IdQuery>) -> Response {
    let Some((id, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "404", "use .json or .xml");
    };
    let viewer = match caller(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error(fmt, StatusCode::BAD_REQUEST, "400", "service_request_id is a number");
    };
    match load(&s, &viewer, id).await {
        Ok(p) => render(fmt, StatusCode::OK, "service_requests", "request", vec![request_record(&p)]),
        Err(_) => error(fmt, StatusCode::NOT_FOUND, "404", "no such service request"),
    }
}

/// `tokens/{token}`: the request a token stands for. gongzhi writes a request
/// before it answers, so the token it returns is the request's own id; this
/// answers for requests the caller may see.
async fn get_token(State(s): State<AppState>, Path(file): Path<String>, Query(q): Query<IdQuery>) -> Response {
    let Some((token, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "404", "use .json or .xml");
    };
    let viewer = match caller(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = token.parse::<i64>() else {
        return error(fmt, StatusCode::NOT_FOUND, "404", "no such token");
    };
    match load(&s, &viewer, id).await {
        Ok(p) => render(
            fmt,
            StatusCode::OK,
            "service_requests",
            "request",
            vec![vec![("service_request_id", p.id.to_string()), ("token", p.id.to_string())]],
        ),
        Err(_) => error(fmt, StatusCode::NOT_FOUND, "404", "no such token"),
    }
}

async fn post_file(State(s): State<AppState>, Path(file): Path<String>, RawForm(body): RawForm) -> Response {
    let Some(("requests", fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "404", "POST requests.json or requests.xml");
    };
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let viewer = match caller(&s, form.get("api_key"), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(category) = form.get("service_code").map(String::as_str).filter(|c| !c.trim().is_empty()) else {
        return error(fmt, StatusCode::BAD_REQUEST, "400", "service_code is missing or unknown (see services)");
    };
    // The compound is the request's address_id.
    let Some(compound_id) = form.get("address_id").and_then(|a| a.trim().parse::<i64>().ok()) else {
        return error(fmt, StatusCode::BAD_REQUEST, "400", "address_id (the compound's id) is required");
    };
    let description = form.get("description").cloned().unwrap_or_default();
    let location = form.get("address_string").cloned().unwrap_or_default();
    let r = ReportIn { compound_id, category, description: &description, location: &location, photo: None };
    match report(&s, &viewer, r).await {
        Ok(w) => render(
            fmt,
            StatusCode::CREATED,
            "service_requests",
            "request",
            vec![vec![
                ("service_request_id", w.problem.id.to_string()),
                ("token", w.problem.id.to_string()),
                ("service_notice", String::new()),
                ("account_id", viewer.login.clone()),
            ]],
        ),
        // The spec's words for each refusal: an unknown service, an address out of reach, bad fields.
        Err(e) if e.status == StatusCode::NOT_FOUND => error(fmt, StatusCode::NOT_FOUND, "404", "no such address_id"),
        Err(e) if e.fields.iter().any(|f| f.field == "category") => {
            error(fmt, StatusCode::BAD_REQUEST, "400", "service_code is missing or unknown (see services)")
        }
        Err(e) if e.status.is_client_error() => {
            let why = e.fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; ");
            error(fmt, StatusCode::BAD_REQUEST, "400", if why.is_empty() { &e.message } else { &why })
        }
        Err(_) => error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "500", "internal error"),
    }
}
