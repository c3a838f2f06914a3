//! Every text a client sends is checked once, here, before any handler runs:
//! a control character in a query, a form or a JSON body (see `domain::text`)
//! is refused with the field that carries it. Multipart text (the phone's
//! report form) is checked where the domain checks that text.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, FieldError};

/// A text field that carries a forbidden character: `(field, reason en, reason zh)`.
type Found = (String, domain::Invalid);

fn check_pairs(bytes: &[u8]) -> Option<Found> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    pairs.into_iter().find_map(|(k, v)| {
        domain::text::check("field", &k)
            .and_then(|_| domain::text::check("field", &v))
            .err()
            .map(|e| (printable_key(&k), e))
    })
}

fn printable_key(k: &str) -> String {
    domain::text::printable(k).chars().take(100).collect()
}

fn check_json(v: &serde_json::Value, path: &mut String) -> Option<Found> {
    use serde_json::Value;
    match v {
        Value::String(s) => domain::text::check("field", s).err().map(|e| (path.clone(), e)),
        Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let r = check_json(x, path);
            path.truncate(len);
            r
        }),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&printable_key(k));
            let r = domain::text::check("field", k).err().map(|e| (path.clone(), e)).or_else(|| check_json(x, path));
            path.truncate(len);
            r
        }),
        _ => None,
    }
}

/// A percent-escape in the path that decodes to a forbidden character.
fn check_path(path: &str) -> Option<Found> {
    let b = path.as_bytes();
    let hex = |i: usize| {
        b.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    let bad = (0..b.len()).any(|i| {
        b[i] == b'%'
            && match hex(i + 1) {
                Some(v) if v < 0x20 => !matches!(v, b'\t' | b'\n' | b'\r'),
                // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
                Some(0xEF) => hex(i + 4) == Some(0xBF) && matches!(hex(i + 7), Some(0xBE | 0xBF)),
                _ => false,
            }
    });
    bad.then(|| {
        ("path".to_owned(), domain::Invalid::new("path", "contains a control character").zh("含有不允许的控制字符"))
    })
}

fn refuse(path: &str, (field, e): Found) -> Response {
    if path.starts_with("/open311/") {
        return crate::open311::error_at(path, StatusCode::BAD_REQUEST, &format!("{field}: {}", e.reason));
    }
    if !path.starts_with("/api/") {
        // A page's form: a short page in both languages, not JSON.
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let zh = e.reason_zh.clone().unwrap_or_else(|| e.reason.clone());
        let body = format!(
            "<!doctype html><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>输入有误 · Bad input</title><p>字段「{f}」：{zh}。请返回修改后重试。</p>\
             <p lang=\"en\">Field “{f}”: {en}. Go back and correct it.</p>",
            f = esc(&field),
            zh = esc(&zh),
            en = esc(&e.reason)
        );
        return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    }
    let mut err = AppError::new(StatusCode::BAD_REQUEST, "bad_text", format!("{field}: {}", e.reason));
    err.fields = vec![FieldError { field, reason: e.reason, reason_zh: e.reason_zh }];
    err.into_response()
}

/// A request's path and query longer than this is refused with 414, in the
/// face's own format (hyper's own limit, far higher, answers plain text): the
/// longest a client needs is Open311's list of 1,000 request ids, even as
/// repeated keys (about 25 KB).
pub(crate) const URI_LIMIT: usize = 32 * 1024;

pub(crate) async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if req.uri().path_and_query().map_or(0, |p| p.as_str().len()) > URI_LIMIT {
        let why = "the request's address is too long (at most 32 KB)";
        return if path.starts_with("/open311/") {
            crate::open311::error_at(&path, StatusCode::URI_TOO_LONG, why)
        } else {
            AppError::new(StatusCode::URI_TOO_LONG, "too_long", why).into_response()
        };
    }
    if let Some(found) = check_path(&path).or_else(|| req.uri().query().and_then(|q| check_pairs(q.as_bytes()))) {
        return refuse(&path, found);
    }
    let kind = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let json = kind.starts_with("application/json") || kind.contains("+json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            // Over the limit, or a body that stopped arriving (the body timeout): say which.
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit");
            let (status, code, why) = if too_large {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is too large")
            } else {
                (StatusCode::REQUEST_TIMEOUT, "timeout", "the request body did not arrive in time")
            };
            if path.starts_with("/open311/") {
                return crate::open311::error_at(&path, status, why);
            }
            return AppError::new(status, code, why).into_response();
        }
    };
    let found = if json {
        serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| check_json(&v, &mut String::new()))
    } else {
        check_pairs(&bytes)
    };
    if let Some(found) = found {
        return refuse(&path, found);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_that_carries_a_control_character() {
        let v: serde_json::Value = serde_json::from_str(r#"{"a":"ok","b":[{"c":"x\u0000"}]}"#).unwrap();
        assert_eq!(check_json(&v, &mut String::new()).unwrap().0, "b[0].c");
        assert_eq!(check_pairs(b"name=a%00b&x=1").unwrap().0, "name");
        assert!(check_pairs(b"name=a%09b%0D%0A").is_none());
        assert!(check_path("/api/v1/regions/%00").is_some());
        assert!(check_path("/api/v1/registry/%EF%BF%BF").is_some());
        assert!(check_path("/api/v1/regions/%E5%BE%B7").is_none());
    }
}
