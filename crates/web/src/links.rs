//! Links between pages: percent-encoding, and the one check for a `next`
//! a client asks to be sent to after signing in or switching language.

/// Where to send the browser after sign-in or a language switch: the one
/// check for every `next`. Only a same-site path passes: it starts with a
/// single '/' followed by neither '/' nor '\\' (browsers read `//host` and
/// `/\\host` as another site), holds no control character (browsers drop tab,
/// CR and LF, turning `/\t/host` into `//host`; CR/LF would also split the
/// header) and no backslash, and is at most 2,000 bytes. Anything else is
/// "/". Bytes outside printable ASCII are percent-encoded, so the result is
/// always a valid `Location`.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else { return "/".into() };
    let mut chars = n.chars();
    let ok = n.len() <= 2000
        && chars.next() == Some('/')
        && chars.next().is_none_or(|c| c != '/' && c != '\\')
        && !n.chars().any(|c| c.is_control() || c == '\\' || c == '\u{2028}' || c == '\u{2029}');
    if !ok {
        return "/".into();
    }
    n.bytes().map(|b| if (0x21..0x7f).contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Where a problem's photo is served (the pages, the JSON API and Open311 link to it).
pub fn problem_photo(id: i64, sha256: &str) -> String {
    format!("/problems/{id}/photos/{sha256}")
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
