//! Open311 GeoReport v2 over residents' problems: discovery, services
//! (the categories), requests (list, create, fetch), in JSON or XML by the
//! path's extension. Callers identify with `api_key` (an API token); they see
//! and file only what their scope allows. Errors are `[{"code","description"}]`
//! with an integer code. Answers carry CORS headers so browser clients can read
//! them (the key, never a cookie, is the credential). docs/open311.md.

use axum::Router;
use axum::extract::{Path, Query, State};
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
        .route("/open311/v2/{file}", get(get_file).post(post_file).options(preflight))
        .route("/open311/v2/services/{file}", get(get_definition).options(preflight))
        .route("/open311/v2/requests/{file}", get(get_request).options(preflight))
        .route("/open311/v2/tokens/{file}", get(get_token).options(preflight))
        .route("/open311/v2/", get(no_resource))
        .route("/open311/v2", get(no_resource))
        .method_not_allowed_fallback(not_allowed)
        .layer(axum::middleware::map_response(cors))
}

/// A browser's preflight: GET and POST with a form are what the interface takes.
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

async fn no_resource(uri: axum::http::Uri) -> Response {
    error_at(uri.path(), StatusCode::NOT_FOUND, "no such resource: start at discovery.json or discovery.xml")
}

async fn not_allowed(uri: axum::http::Uri) -> Response {
    let mut r = error_at(uri.path(), StatusCode::METHOD_NOT_ALLOWED, "use GET (or POST to requests)");
    r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, POST, OPTIONS"));
    r
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
    domain::text::printable(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        // A bare CR would be read back as a line feed.
        .replace('\r', "&#13;")
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
    // These come from layers outside this router's CORS layer: a browser client must read them too.
    let mut r = error(fmt, status, description);
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    r
}

fn error(fmt: Fmt, status: StatusCode, description: &str) -> Response {
    render(fmt, status, "errors", "error", vec![json!({"code": status.as_u16(), "description": description})])
}

/// Times in China time with their offset (`2026-11-26T09:00:00+08:00`).
fn iso(t: DateTime<Utc>) -> String {
    // Microseconds where there are any: a shown time used as a window's bound finds its request.
    t.with_timezone(&domain::clock::china()).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Who reads: a key's holder sees what their scope shows; anyone else the
/// public view (no reporter, no place inside the compound, no exact point, no
/// media, long numbers in the description masked).
#[derive(Clone, Copy, PartialEq)]
enum View {
    Keyed,
    Public,
}

/// What the records of some requests need beside the problems themselves.
struct Facts {
    names: HashMap<String, String>,
    placed: HashMap<i64, db::problems::Placed>,
    extras: HashMap<i64, db::problems::Extra>,
    photos: HashMap<i64, String>,
    origin: String,
    view: View,
}

impl Facts {
    async fn of(s: &AppState, ps: &[Problem], view: View, headers: &header::HeaderMap) -> Result<Facts, db::DbError> {
        let ids: Vec<i64> = ps.iter().map(|p| p.id).collect();
        let keyed = view == View::Keyed;
        Ok(Facts {
            names: names(s).await,
            placed: db::problems::placed(&s.db, &ids).await?,
            extras: if keyed { db::problems::extras(&s.db, &ids).await? } else { HashMap::new() },
            photos: if keyed { db::problems::first_photos(&s.db, &ids).await? } else { HashMap::new() },
            origin: origin(headers),
            view,
        })
    }

    fn record(&self, p: &Problem) -> Value {
        let public = self.view == View::Public;
        let placed = self.placed.get(&p.id);
        let extra = self.extras.get(&p.id);
        // The reported point where one was sent (and the reader may see it), else the compound's.
        let point = extra.and_then(|x| x.point).filter(|_| !public).or(placed.and_then(|x| x.compound_point));
        let media = extra.and_then(|x| x.media_url.clone()).or_else(|| {
            self.photos.get(&p.id).map(|sha| format!("{}{}", self.origin, crate::links::problem_photo(p.id, sha)))
        });
        let address = if p.location.is_empty() || public {
            p.compound_name.clone()
        } else {
            format!("{} {}", p.compound_name, p.location)
        };
        json!({
            "service_request_id": p.id,
            "status": p.state.open311(),
            "status_notes": p.state.as_str(),
            "service_code": p.category,
            "service_name": self.names.get(&p.category).cloned().unwrap_or_else(|| p.category.clone()),
            "description": if public { domain::geo::redact_numbers(&p.description) } else { p.description.clone() },
            "agency_responsible": placed.map(|x| x.agency.clone()).unwrap_or_default(),
            "service_notice": "",
            "requested_datetime": iso(p.submitted_at),
            "updated_datetime": iso(p.updated_at),
            "expected_datetime": iso(p.resolve_by),
            "address": address,
            "address_id": p.compound_id,
            // Chinese compounds carry no postcode in the registry.
            "zipcode": Value::Null,
            "lat": point.map(|x| x.lat()),
            "long": point.map(|x| x.lng()),
            "media_url": media.filter(|_| !public),
        })
    }
}

/// The categories' names by code (the requests' `service_name`).
async fn names(s: &AppState) -> HashMap<String, String> {
    s.categories
        .all(&s.db)
        .await
        .map(|all| all.iter().map(|c| (c.code.clone(), c.name_zh.clone())).collect())
        .unwrap_or_default()
}

/// The records of these requests as `view` shows them, or a 500.
async fn records(
    s: &AppState,
    ps: &[Problem],
    view: View,
    headers: &header::HeaderMap,
    fmt: Fmt,
) -> Result<Vec<Value>, Response> {
    match Facts::of(s, ps, view, headers).await {
        Ok(f) => Ok(ps.iter().map(|p| f.record(p)).collect()),
        Err(_) => Err(error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error")),
    }
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

/// A reader: the key's holder, or the public when no key is given (a key
/// given but not valid is refused, never read as no key).
async fn reader(s: &AppState, key: Option<&String>, fmt: Fmt) -> Result<Option<Viewer>, Response> {
    match key.filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => caller(s, Some(k), fmt).await.map(Some),
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

/// This server as the client reached it (the proxy's scheme when it says so).
fn origin(headers: &header::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("localhost");
    let proto =
        headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
    format!("{proto}://{host}")
}

/// The endpoint's base URL (discovery's `url`).
fn base(headers: &header::HeaderMap) -> String {
    format!("{}/open311/v2", origin(headers))
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
            let viewer = match reader(&s, first(&q, "api_key"), fmt).await {
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
                // end_date is the latest time included; times are stored to the microsecond.
                (Ok(a), Ok(b)) => (filter.from, filter.to) = (a, b.map(|b| b + chrono::Duration::microseconds(1))),
                (Err(e), _) | (_, Err(e)) => return error(fmt, StatusCode::BAD_REQUEST, &e),
            }
            let ids = values(&q, "service_request_id");
            if !ids.is_empty() {
                match ids.iter().map(|i| i.parse::<i64>()).collect::<Result<Vec<_>, _>>() {
                    // The spec: ids override every other argument.
                    Ok(ids) if ids.len() <= 1000 => {
                        filter = db::problems::ListFilter { ids, ..Default::default() };
                    }
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
            // Newest first: the first page holds the latest reports.
            filter.order = Some(domain::problem::Order::Newest);
            let (rows, view) = match &viewer {
                Some(v) => (
                    db::problems::list(&s.db, &v.problems_visible(), &filter, paging).await.map(|r| r.0).map_err(drop),
                    View::Keyed,
                ),
                None => (crate::ops::places::public_list(&s, &filter, paging).await.map_err(drop), View::Public),
            };
            let Ok(rows) = rows else {
                return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            };
            match records(&s, &rows, view, &headers, fmt).await {
                Ok(items) => render(fmt, StatusCode::OK, "service_requests", "request", items),
                Err(r) => r,
            }
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

async fn get_request(
    State(s): State<AppState>,
    Path(file): Path<String>,
    headers: header::HeaderMap,
    Query(q): Query<IdQuery>,
) -> Response {
    let Some((id, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let viewer = match reader(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error(fmt, StatusCode::BAD_REQUEST, "service_request_id is a number");
    };
    let (found, view) = match &viewer {
        Some(v) => (load(&s, v, id).await, View::Keyed),
        None => (crate::ops::places::public_load(&s, id).await, View::Public),
    };
    let Ok(p) = found else {
        return error(fmt, StatusCode::NOT_FOUND, "no such service request");
    };
    match records(&s, std::slice::from_ref(&p), view, &headers, fmt).await {
        Ok(items) => render(fmt, StatusCode::OK, "service_requests", "request", items),
        Err(r) => r,
    }
}

/// `tokens/{token}`: the request a token stands for. gongzhi writes a request
/// before it answers, so the token it returns is the request's own id; this
/// answers for requests the reader may see (without a key: the public view).
async fn get_token(State(s): State<AppState>, Path(file): Path<String>, Query(q): Query<IdQuery>) -> Response {
    let Some((token, fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "use .json or .xml");
    };
    let viewer = match reader(&s, q.api_key.as_ref(), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = token.parse::<i64>() else {
        return error(fmt, StatusCode::NOT_FOUND, "no such token");
    };
    let found = match &viewer {
        Some(v) => load(&s, v, id).await,
        None => crate::ops::places::public_load(&s, id).await,
    };
    match found {
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
    headers: header::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Some(("requests", fmt)) = split(&file) else {
        return error(Fmt::Json, StatusCode::NOT_FOUND, "POST requests.json or requests.xml");
    };
    // A form, its media type in any case (media types are case-insensitive).
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if !kind.starts_with("application/x-www-form-urlencoded") {
        return error(
            fmt,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send a form: Content-Type application/x-www-form-urlencoded",
        );
    }
    // A body over the limit (or unreadable) is an Open311 error too, in the format asked for.
    let body = match body {
        Ok(b) => b,
        Err(e) => return error(fmt, e.status(), &e.body_text()),
    };
    if let Err(why) = utf8_form(&body) {
        return error(fmt, StatusCode::BAD_REQUEST, &why);
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let viewer = match caller(&s, form.get("api_key"), fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(category) = form.get("service_code").map(String::as_str).filter(|c| !c.trim().is_empty()) else {
        return error(fmt, StatusCode::BAD_REQUEST, "service_code is required (see services)");
    };
    // Where: address_id, else lat and long, else address_string. Coordinates
    // are checked whenever they are sent, even beside an address_id.
    let given = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let point = match (given("lat"), given("long")) {
        (None, None) => None,
        (Some(lat), Some(long)) => match domain::GeoPoint::parse(lat, long) {
            Ok(p) => Some(p),
            Err(es) => {
                let why = es.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; ");
                return error(fmt, StatusCode::BAD_REQUEST, &why);
            }
        },
        _ => return error(fmt, StatusCode::BAD_REQUEST, "lat and long are sent together"),
    };
    let address_id = match given("address_id").map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return error(fmt, StatusCode::BAD_REQUEST, "address_id (a compound's id) is a number"),
    };
    let location = form.get("address_string").cloned().unwrap_or_default();
    let at = crate::ops::places::Where { address_id, point, address: &location };
    let found = match crate::ops::places::locate(&s, &viewer, &at).await {
        Ok(f) => f,
        Err(e) if e.status == StatusCode::NOT_FOUND => return error(fmt, StatusCode::NOT_FOUND, "no such address_id"),
        Err(e) if e.status.is_client_error() => return error(fmt, StatusCode::BAD_REQUEST, &reasons(&e)),
        Err(_) => return error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    };
    let notice = match (address_id, found.metres) {
        (Some(_), _) => String::new(),
        (None, Some(m)) => format!("已定位到{}（约 {m:.0} 米） located at {} (about {m:.0} m)", found.name, found.name),
        (None, None) => format!("已定位到{} located at {}", found.name, found.name),
    };
    let description = form.get("description").cloned().unwrap_or_default();
    let location = found.place.clone();
    let extra = db::problems::Extra {
        point,
        media_url: form.get("media_url").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
    };
    let r = ReportIn {
        compound_id: found.compound_id,
        category,
        description: &description,
        location: &location,
        photo: None,
        extra,
    };
    match report(&s, &viewer, r).await {
        Ok(w) => render(
            fmt,
            StatusCode::CREATED,
            "service_requests",
            "request",
            vec![json!({
                "service_request_id": w.problem.id,
                "token": w.problem.id.to_string(),
                "service_notice": notice,
                "account_id": viewer.login,
            })],
        ),
        // The spec's words for each refusal: an unknown service, an address out of reach, bad fields.
        Err(e) if e.status == StatusCode::NOT_FOUND => error(fmt, StatusCode::NOT_FOUND, "no such address_id"),
        Err(e) if e.fields.iter().any(|f| f.field == "category") => {
            error(fmt, StatusCode::NOT_FOUND, "no such service_code (see services)")
        }
        Err(e) if e.status.is_client_error() => error(fmt, StatusCode::BAD_REQUEST, &reasons(&e)),
        Err(_) => error(fmt, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// Every field of a form decodes to UTF-8 (another charset, or broken bytes,
/// would otherwise be stored as replacement characters): else which field.
fn utf8_form(body: &[u8]) -> Result<(), String> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    for pair in body.split(|b| *b == b'&') {
        let mut decoded = Vec::with_capacity(pair.len());
        let mut i = 0;
        while i < pair.len() {
            match pair[i] {
                b'%' if i + 2 < pair.len() => match (hex(pair[i + 1]), hex(pair[i + 2])) {
                    (Some(a), Some(b)) => {
                        decoded.push(a * 16 + b);
                        i += 3;
                    }
                    _ => {
                        decoded.push(b'%');
                        i += 1;
                    }
                },
                b'+' => {
                    decoded.push(b' ');
                    i += 1;
                }
                b => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        if std::str::from_utf8(&decoded).is_err() {
            let key: String = String::from_utf8_lossy(pair.split(|b| *b == b'=').next().unwrap_or_default())
                .chars()
                .take(40)
                .collect();
            return Err(format!("{key}: not UTF-8 (send the form in UTF-8)"));
        }
    }
    Ok(())
}

/// A refusal's reasons as one description (`field: reason; …`), fields named as Open311 names them.
fn reasons(e: &crate::error::AppError) -> String {
    let name = |f: &str| match f {
        "location" => "address_string".to_owned(),
        "compound_id" => "address_id".to_owned(),
        "category" => "service_code".to_owned(),
        other => other.to_owned(),
    };
    let why = e.fields.iter().map(|f| format!("{}: {}", name(&f.field), f.reason)).collect::<Vec<_>>().join("; ");
    if why.is_empty() { e.message.clone() } else { why }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_must_be_utf8() {
        assert!(utf8_form(b"description=%E6%B5%8B%E8%AF%95&x=a+b%").is_ok());
        // GBK's 测试, and a lone surrogate's bytes.
        assert!(utf8_form(b"description=%B2%E2%CA%D4").unwrap_err().starts_with("description"));
        assert!(utf8_form(b"d=%ED%A0%80x").is_err());
        assert!(utf8_form(b"a=%zz%4").is_ok());
    }
}
