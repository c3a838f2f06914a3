//! Static assets compiled into the binary: one file to deploy, nothing
//! fetched from outside (these users often sit on closed intranets).

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", mime: "text/css; charset=utf-8", body: include_bytes!("../static/app.css") },
    Asset { name: "app.js", mime: "text/javascript; charset=utf-8", body: include_bytes!("../static/app.js") },
    Asset { name: "favicon.svg", mime: "image/svg+xml", body: include_bytes!("../static/favicon.svg") },
];

/// A strong ETag from the content (FNV-1a): stable across builds of the same file.
fn etag(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("\"{h:016x}\"")
}

pub(crate) async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let tag = etag(a.body);
    let cache = HeaderValue::from_static("public, max-age=3600, must-revalidate");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, tag), (header::CACHE_CONTROL, cache.to_str().unwrap().to_owned())],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, a.mime.to_owned()),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, cache.to_str().unwrap().to_owned()),
        ],
        a.body,
    )
        .into_response()
}
