//! Open311 GeoReport v2 over residents' problems: discovery, services
//! (the categories), requests (list, create, fetch), in JSON or XML by the
//! path's extension. Callers identify with `api_key` (an API token); they see
//! and file only what their scope allows. Errors are `[{"code","description"}]`
//! with an integer code. Answers carry CORS headers so browser clients can read
//! them (the key, never a cookie, is the credential). docs/open311.md.

use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use db::problems::Problem;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

use crate::AppState;
use crate::auth::Viewer;
use crate::ops::problems::{ReportIn, load, report};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(get_file).post(post_file))
        .route("/open311/v2/services/{file}", get(get_definition))
        .route("/open311/v2/requests/{file}", get(get_request))
        .route("/open311/v2/tokens/{file}", get(get_token))
        .layer(axum::middleware::map_response(cors))
}

/// Any origin may read the answers: the credential is the `api_key` in the request.
async fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    r
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

/// The element name of one item of a list field in XML (`formats` → `format`).
fn singular(list: &str) -> &str {
    match list {
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        _ => "item",
    }
}

fn to_xml(out: &mut String, tag: &str, v: &Value) {
    match v {
        Value::Null => out.push_str(&format!("<{tag}/>")),
        Value::Object(m) => {
            out.push_str(&format!("<{tag}>"));
            for (k, v) in m {
                to_xml(out, k, v);
            }
            out.push_str(&format!("</{tag}>"));
        }
        Value::Array(a) => {
            out.push_str(&format!("<{tag}>"));
            for v in a {
                to_xml(out, singular(tag), v);
            }
            out.push_str(&format!("</{tag}>"));
        }
        Value::String(t) => out.push_str(&format!("<{tag}>{}</{tag}>", esc(t))),
        other => out.push_str(&format!("<{tag}>{other}</{tag}>")),
    }
}

/// A list of records as a JSON array, or as XML `<list_tag><item_tag>…`.
fn render(fmt: Fmt, status: StatusCode, list_tag: &str, item_tag: &str, items: Vec<Value>) -> Response {
    match fmt {
        Fmt::Json => (status, axum::Json(Value::Array(items))).into_response(),
        Fmt::Xml => {
            let mut x = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{list_tag}>");
            for r in &items {
                to_xml(&mut x, item_tag, r);
            }
            x.push_str(&format!("</{list_tag}>"));
            xml(status, x)
        }
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// An Open311 error in the format the path asks for, for the layers in front of the handlers
/// (control characters refused, a body over the limit).
pub(crate) fn error_at(path: &str, status: StatusCode, description: &str) -> Response {
    let fmt = if path.ends_with(".xml") { Fmt::Xml } else { Fmt::Json };
    error(fmt, status, description)
}

fn error(fmt: Fmt, status: StatusCode, description: &str) -> Response {
    render(fmt, status, "errors", "error", vec![json!({"code": status.as_u16(), "description": description})])
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn request_record(p: &Problem, names: &HashMap<String, String>) -> Value {
    json!({
        "service_request_id": p.id,
        "status": p.state.open311(),
        "status_notes": p.state.as_str(),
        "service_code": p.category,
        "service_name": names.get(&p.category).cloned().unwrap_or_else(|| p.category.clone()),
        "description": p.description,
        "agency_responsible": match p.handler_kind {
            domain::problem::Handler::Company => "物业服务企业 property company",
            _ => "社区 community",
        },
        "service_notice": "",
        "requested_datetime": iso(p.submitted_at),
        "updated_datetime": iso(p.updated_at),
        "expected_datetime": iso(p.resolve_by),
        "address": if p.location.is_empty() { p.compound_name.clone() } else { format!("{} {}", p.compound_name, p.location) },
        "address_id": p.compound_id,
        "zipcode": Value::Null,
        "lat": Value::Null,
        "long": Value::Null,
        "media_url": Value::Null,
    })
}

/// The categories' names by code (the requests' `service_name`).
async fn names(s: &AppState) -> HashMap<String, String> {
    s.categories
        .all(&s.db)
        .await
        .map(|all| all.iter().map(|c| (c.code.clone(), c.name_zh.clone())).collect())
        .unwrap_or_default()
}

/// The caller of an `api_key`, or an Open311 error.
async fn caller(s: &AppState, key: Option<&String>, fmt: Fmt) -> Result<Viewer, Response> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(error(fmt, StatusCode::FORBIDDEN, "api_key is required"));
    };
    match Viewer::of_token(s, key).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(error(fmt, StatusCode::FORBIDDEN, "api_key is not valid")),
        Err(_) => Err(error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error")),
    }
}

/// The query's pairs in order: a repeated key (`service_code=a&service_code=b`) keeps every value.
fn pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

/// Every value given for `key`, comma lists split (`status=open,closed`), blanks dropped.
fn values(q: &[(String, String)], key: &str) -> Vec<String> {
    q.iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(',').map(|x| x.trim().to_owned()).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .collect()
}

fn first<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a String> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// This server's base URL as the client reached it (the proxy's scheme when it says so).
fn base(headers: &header::HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let proto =
        headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
    format!("{proto}://{host}/open311/v2")
}

/// When the interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-28T00:00:00Z";

async fn get_file(
    State(s): State<AppState>,
    Path(file): Path<String>,
    headers: header::HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let Some((name, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let q = pairs(raw.as_deref());
    match name {
        "discovery" => {
            let d = json!({
                "changeset": CHANGESET,
                "contact": "the administrator of this gongzhi server",
                "key_service": "API tokens: `gongzhi token create`, or the account page (我的账户)",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base(&headers),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }],
            });
            match fmt {
                Fmt::Json => axum::Json(d).into_response(),
                Fmt::Xml => {
                    let mut x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".to_owned();
                    to_xml(&mut x, "discovery", &d);
                    xml(StatusCode::OK, x)
                }
            }
        }
        "services" => {
            let Ok(all) = s.categories.all(&s.db).await else {
                return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            };
            let items = all
                .iter()
                .filter(|c| c.active)
                .map(|c| {
                    json!({
                        "service_code": c.code,
                        "service_name": c.name_zh,
                        "description": format!("{}: accept within {} h, resolve within {} h", c.name_en, c.accept_hours, c.resolve_hours),
                        // No category asks for attributes (yet): each definition lists none.
                        "metadata": false,
                        "type": "realtime",
                        "keywords": "",
                        "group": "property",
                    })
                })
                .collect();
            render(fmt, StatusCode::OK, "services", "service", items)
        }
        "requests" => {
            let viewer = match caller(&s, first(&q, "api_key"), fmt).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            // The spec's filters: service_request_id, service_code and status (comma lists,
            // or repeated), start_date, end_date (ISO 8601). Without ids or dates, the last 90 days.
            let mut filter = db::problems::ListFilter::default();
            let statuses = values(&q, "status");
            if statuses.iter().any(|v| v != "open" && v != "closed") {
                return error(fmt, StatusCode::BAD_REQUEST, "status is open or closed (or both: open,closed)");
            }
            let (open, closed) = (statuses.iter().any(|v| v == "open"), statuses.iter().any(|v| v == "closed"));
            filter.open = match (open, closed) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            };
            let codes = values(&q, "service_code");
            if codes.len() > 100 {
                return error(fmt, StatusCode::BAD_REQUEST, "at most 100 service_code values");
            }
            filter.categories = codes;
            let when = |name: &str| match first(&q, name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => chrono::DateTime::parse_from_rfc3339(v)
                    .map(|t| Some(t.with_timezone(&Utc)))
                    .map_err(|_| format!("{name} is not an ISO 8601 time such as 2026-11-26T09:00:00+08:00")),
            };
            match (when("start_date"), when("end_date")) {
                (Ok(a), Ok(b)) => (filter.from, filter.to) = (a, b),
                (Err(e), _) | (_, Err(e)) => return error(fmt, StatusCode::BAD_REQUEST, &e),
            }
            let ids = values(&q, "service_request_id");
            if !ids.is_empty() {
                match ids.iter().map(|i| i.parse::<i64>()).collect::<Result<Vec<_>, _>>() {
                    Ok(ids) if ids.len() <= 1000 => filter.ids = ids,
                    _ => {
                        return error(
                            fmt,
                            StatusCode::BAD_REQUEST,
                            "service_request_id is a list of at most 1,000 numbers",
                        );
                    }
                }
            } else if filter.from.is_none() && filter.to.is_none() {
                filter.from = Some(Utc::now() - chrono::Duration::days(90));
            }
            // Pages of at most 1,000 (the spec's ceiling), from page 1.
            let num = |name: &str, lo: u64, hi: u64, default: u64| match first(&q, name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or(format!("{name} is a whole number from {lo} to {hi}")),
            };
            let paging = match (num("page", 1, 1_000_000, 1), num("per_page", 1, 1000, 1000)) {
                (Ok(page), Ok(per_page)) => domain::Paging { page, per_page },
                (Err(e), _) | (_, Err(e)) => return error(fmt, StatusCode::BAD_REQUEST, &e),
            };
            let rows = match db::problems::list(&s.db, &viewer.problems_visible(), &filter, paging).await {
                Ok((rows, _)) => rows,
                Err(_) => return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
            };
            let names = names(&s).await;
            let items = rows.iter().map(|p| request_record(p, &names)).collect();
            render(fmt, StatusCode::OK, "service_requests", "request", items)
        }
        _ => error(fmt, StatusCode::NOT_FOUND, "no such resource"),
    }
}

/// `services/{code}`: a service's definition. No category asks for attributes yet, so each lists none.
async fn get_definition(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let Ok(all) = s.categories.all(&s.db).await else {
        return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    if !all.iter().any(|c| c.active && c.code == code) {
        return error(fmt, StatusCode::NOT_FOUND, "no such service_code (see services)");
    }
    let d = json!({"service_code": code, "attributes": []});
    match fmt {
        Fmt::Json => axum::Json(d).into_response(),
        Fmt::Xml => {
            let mut x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".to_owned();
            to_xml(&mut x, "service_definition", &d);
            xml(StatusCode::OK, x)
        }
    }
}

#[derive(Deserialize)]
struct IdQuery {
    api_key: Option<String>,
}

async fn get_request(State(s): State<AppState>, Path(file): Path<String>, Query(q): Query<IdQuery>) -> Response {
    let Some((id, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let viewer = match caller(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error(fmt, StatusCode::BAD_REQUEST, "service_request_id is a number");
    };
    match load(&s, &viewer, id).await {
        Ok(p) => render(fmt, StatusCode::OK, "service_requests", "request", vec![request_record(&p, &names(&s).await)]),
        Err(_) => error(fmt, StatusCode::NOT_FOUND, "no such service request"),
    }
}

/// `tokens/{token}`: the request a token stands for. gongzhi writes a request
/// before it answers, so the token it returns is the request's own id; this
/// answers for requests the caller may see.
async fn get_token(State(s): State<AppState>, Path(file): Path<String>, Query(q): Query<IdQuery>) -> Response {
    let Some((token, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let viewer = match caller(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = token.parse::<i64>() else {
        return error(fmt, StatusCode::NOT_FOUND, "no such token");
    };
    match load(&s, &viewer, id).await {
        Ok(p) => render(
            fmt,
            StatusCode::OK,
            "service_requests",
            "request",
            vec![json!({"service_request_id": p.id, "token": p.id.to_string()})],
        ),
        Err(_) => error(fmt, StatusCode::NOT_FOUND, "no such token"),
    }
}

async fn post_file(
    State(s): State<AppState>,
    Path(file): Path<String>,
    body: Result<RawForm, axum::extract::rejection::RawFormRejection>,
) -> Response {
    let Some(("requests", fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "POST requests.json or requests.xml");
    };
    // A body over the limit (or unreadable) is an Open311 error too, in the format asked for.
    let body = match body {
        Ok(RawForm(b)) => b,
        Err(e) => return error(fmt, e.status(), &e.body_text()),
    };
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let viewer = match caller(&s, form.get("api_key"), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(category) = form.get("service_code").map(String::as_str).filter(|c| !c.trim().is_empty()) else {
        return error(fmt, StatusCode::BAD_REQUEST, "service_code is required (see services)");
    };
    // The compound is the request's address_id.
    let Some(compound_id) = form.get("address_id").and_then(|a| a.trim().parse::<i64>().ok()) else {
        return error(fmt, StatusCode::BAD_REQUEST, "address_id (the compound's id) is required");
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
            vec![json!({
                "service_request_id": w.problem.id,
                "token": w.problem.id.to_string(),
                "service_notice": "",
                "account_id": viewer.login,
            })],
        ),
        // The spec's words for each refusal: an unknown service, an address out of reach, bad fields.
        Err(e) if e.status == StatusCode::NOT_FOUND => error(fmt, StatusCode::NOT_FOUND, "no such address_id"),
        Err(e) if e.fields.iter().any(|f| f.field == "category") => {
            error(fmt, StatusCode::NOT_FOUND, "no such service_code (see services)")
        }
        Err(e) if e.status.is_client_error() => {
            let why = e.fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; ");
            error(fmt, StatusCode::BAD_REQUEST, if why.is_empty() { &e.message } else { &why })
        }
        Err(_) => error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}
