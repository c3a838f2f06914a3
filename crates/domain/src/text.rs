//! Text that every output can carry. Control characters (U+0000–U+001F other
//! than tab, line feed and carriage return) and the non-characters U+FFFE and
//! U+FFFF cannot appear in XML 1.0, so one of them in a stored name would make
//! every Open311 XML answer, bulletin DOCX and XLSX that carries it unreadable;
//! PostgreSQL refuses NUL in text outright. DEL and the C1 controls
//! (U+007F–U+009F) are refused too, and so are the bidirectional overrides,
//! embeddings and isolates (U+202A–U+202E, U+2066–U+2069): one in a name or a
//! question can make it read reversed on every page that shows it. They are
//! refused at input and dropped at output (for values stored before the rule).

use std::borrow::Cow;

/// Whether `c` may not appear in stored text.
pub fn forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{7F}'..='\u{9F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The first forbidden character and its position (in characters), if any.
pub fn first_forbidden(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, c)| forbidden(*c))
}

/// `s` without forbidden characters: what XML, DOCX and XLSX writers print.
pub fn printable(s: &str) -> Cow<'_, str> {
    if s.chars().any(forbidden) { Cow::Owned(s.chars().filter(|c| !forbidden(*c)).collect()) } else { Cow::Borrowed(s) }
}

/// The reason a text refuses, in both languages, naming `field`.
pub fn check(field: &'static str, s: &str) -> Result<(), crate::Invalid> {
    match first_forbidden(s) {
        None => Ok(()),
        Some((at, c)) => Err(crate::Invalid::new(
            field,
            format!("contains the control character U+{:04X} at position {}", c as u32, at + 1),
        )
        .zh(format!("第 {} 个字符是不允许的控制字符 U+{:04X}", at + 1, c as u32))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_and_drops_control_characters() {
        assert!(check("name", "蕙泽嘉园\t1号楼\r\n").is_ok());
        for bad in ["a\u{0}b", "\u{1b}[31m", "x\u{FFFE}", "\u{FFFF}", "\u{7}", "a\u{202E}b", "\u{85}", "\u{2067}x"] {
            assert!(check("name", bad).is_err(), "{bad:?}");
            assert!(!printable(bad).chars().any(forbidden));
        }
        let e = check("name", "ab\u{0}").unwrap_err();
        assert!(e.reason.contains("U+0000") && e.reason.contains("position 3"), "{}", e.reason);
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("a\u{0}b\u{1f}c"), "abc");
    }
}
