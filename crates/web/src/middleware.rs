//! Security headers for every response, and the CSRF check for every
//! state-changing request.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;

/// No inline script anywhere; the Swagger UI page needs inline styles only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const CSP_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                        frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let private = signed_in(&req) && !req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // What a signed-in reader is shown (phone numbers, names, scope) is never
    // kept by the browser or a shared cache; a handler may say otherwise.
    if private && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(if docs { CSP_DOCS } else { CSP }));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// The request carries a credential: a Bearer token, a session cookie or
/// an Open311 `api_key`.
fn signed_in(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || crate::auth::cookie_of(req.headers(), crate::auth::SESSION_COOKIE).is_some()
        || req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv.starts_with("api_key=")))
}

/// Refuse a state-changing request that a browser made from another site.
/// Browsers send `Sec-Fetch-Site` (and `Origin` on POST); a request from our
/// own pages says `same-origin`. Clients that are not browsers send neither
/// and carry a Bearer token, which no other site can make a browser send.
/// SameSite=Lax on the session cookie is the second line.
pub(crate) async fn csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let cross = match h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => match (
            h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
            h.get(header::HOST).and_then(|v| v.to_str().ok()),
        ) {
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
            (Some(_), None) => true,
            (None, _) => false,
        },
    };
    if cross {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return crate::error::AppError::new(StatusCode::FORBIDDEN, "cross_site", "cross-site request refused")
            .into_response();
    }
    next.run(req).await
}
