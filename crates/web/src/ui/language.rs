//! Switching the interface's language.

use super::*;

#[derive(Deserialize)]
pub(super) struct LangParams {
    next: Option<String>,
}

pub(super) async fn set_lang(
    Path(lang): Path<String>,
    Query(p): Query<LangParams>,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Zh);
    let short = if lang == Lang::En { "en" } else { "zh" };
    // Back to where the reader was: `next`, else the Referer's path. Only
    // same-site paths are followed (`safe_next`), so this is never an open redirect.
    let referer_path = || {
        let r = headers.get(header::REFERER)?.to_str().ok()?;
        let after_scheme = r.split_once("://").map(|(_, rest)| rest)?;
        after_scheme.find('/').map(|i| after_scheme[i..].to_owned())
    };
    let next = safe_next(p.next.or_else(referer_path).as_deref());
    let next = if next.starts_with("/lang/") { "/".to_owned() } else { next };
    let mut res = Redirect::to(&next).into_response();
    let cookie = format!("lang={short}; Path=/; Max-Age=31536000; SameSite=Lax");
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
    res
}

/// Helpers the templates call.
pub(super) fn area(centi: &i64) -> String {
    Area::from_centi(*centi).to_string()
}
