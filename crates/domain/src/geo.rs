//! Points on the earth (WGS-84, as GPS and Open311 clients send them), the
//! distance between two, the compound nearest a point, and matching a typed
//! address to a compound.
//!
//! A point is kept in micro-degrees (about 0.1 m): integers compare and store
//! exactly on both backends, where floating point would not.

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GeoPoint {
    pub lat_e6: i32,
    pub lng_e6: i32,
}

/// How far a reported point may lie from a compound's recorded point and
/// still be taken as that compound: a large compound spans several hundred
/// metres, and a phone's fix indoors is off by tens.
pub const NEAREST_MAX_M: f64 = 1000.0;

/// A generous box around China (the registry's compounds lie inside it):
/// catches latitude and longitude typed the wrong way round.
const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;
const CHINA_LNG: std::ops::RangeInclusive<f64> = 73.0..=136.0;

fn degrees(field: &'static str, s: &str, range: std::ops::RangeInclusive<f64>) -> Result<f64, Invalid> {
    let t = s.trim();
    // Plain decimals only: no exponents, no "NaN" or "inf" (which Rust's float parser takes).
    let plain = !t.is_empty()
        && t.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit())
        && t.len() <= 32;
    let v = t.parse::<f64>().ok().filter(|v| plain && v.is_finite());
    match v {
        Some(v) if range.contains(&v) => Ok(v),
        Some(_) => Err(Invalid::new(field, format!("{t} is outside {}–{} degrees", range.start(), range.end()))
            .zh(format!("{t} 不在 {}–{} 度之间", range.start(), range.end()))),
        None => {
            let shown: String = crate::text::printable(t).chars().take(30).collect();
            Err(Invalid::new(field, format!("{shown:?} is not a number of degrees such as 31.2304"))
                .zh(format!("“{shown}”不是度数（如 31.2304）")))
        }
    }
}

impl GeoPoint {
    /// A point from decimal degrees as typed: latitude −90…90, longitude −180…180.
    pub fn parse(lat: &str, lng: &str) -> Result<GeoPoint, Vec<Invalid>> {
        let a = degrees("lat", lat, -90.0..=90.0);
        let b = degrees("long", lng, -180.0..=180.0);
        match (a, b) {
            (Ok(a), Ok(b)) => Ok(GeoPoint::from_degrees(a, b)),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    /// Both or neither: a compound's point as typed into a form or a sheet
    /// (`lat`, `lng` may be blank together), and inside China.
    pub fn parse_optional(lat: &str, lng: &str) -> Result<Option<GeoPoint>, Vec<Invalid>> {
        match (lat.trim().is_empty(), lng.trim().is_empty()) {
            (true, true) => Ok(None),
            (false, true) => {
                Err(vec![Invalid::new("long", "give the longitude with the latitude").zh("请同时填写经度")])
            }
            (true, false) => {
                Err(vec![Invalid::new("lat", "give the latitude with the longitude").zh("请同时填写纬度")])
            }
            _ => GeoPoint::parse(lat, lng).and_then(|p| p.in_china().map(Some).map_err(|e| vec![e])),
        }
    }

    pub fn from_degrees(lat: f64, lng: f64) -> GeoPoint {
        GeoPoint { lat_e6: (lat * 1e6).round() as i32, lng_e6: (lng * 1e6).round() as i32 }
    }

    /// A stored point, if it is one (both columns set and in range).
    pub fn from_stored(lat_e6: Option<i64>, lng_e6: Option<i64>) -> Option<GeoPoint> {
        let (lat, lng) = (i32::try_from(lat_e6?).ok()?, i32::try_from(lng_e6?).ok()?);
        ((-90_000_000..=90_000_000).contains(&lat) && (-180_000_000..=180_000_000).contains(&lng))
            .then_some(GeoPoint { lat_e6: lat, lng_e6: lng })
    }

    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    pub fn lng(self) -> f64 {
        f64::from(self.lng_e6) / 1e6
    }

    /// The point if it lies in China, else why not (most often: the two typed the wrong way round).
    pub fn in_china(self) -> Result<GeoPoint, Invalid> {
        if CHINA_LAT.contains(&self.lat()) && CHINA_LNG.contains(&self.lng()) {
            return Ok(self);
        }
        Err(Invalid::new(
            "lat",
            format!("{:.6}, {:.6} is not in China (latitude first, then longitude)", self.lat(), self.lng()),
        )
        .zh(format!("{:.6}, {:.6} 不在中国境内（先纬度，后经度）", self.lat(), self.lng())))
    }

    /// Metres along the earth's surface (haversine on the mean radius: within
    /// 0.5 % of the ellipsoid, plenty at a compound's scale).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat().to_radians(), other.lat().to_radians());
        let dp = p2 - p1;
        let dl = (other.lng() - self.lng()).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * h.sqrt().min(1.0).asin()
    }

    /// The box of micro-degrees holding every point within `m` metres (a
    /// first cut for the database; `distance_m` decides).
    pub fn box_around(self, m: f64) -> ((i32, i32), (i32, i32)) {
        let dlat = m / 111_000.0 * 1e6;
        // Near the poles a degree of longitude shrinks to nothing: take the whole circle.
        let cos = self.lat().to_radians().cos().max(0.01);
        let dlng = (m / (111_000.0 * cos) * 1e6).min(180e6);
        let lat = (self.lat_e6 as f64 - dlat) as i32..=(self.lat_e6 as f64 + dlat) as i32;
        let lng = (self.lng_e6 as f64 - dlng) as i32..=(self.lng_e6 as f64 + dlng) as i32;
        ((*lat.start(), *lat.end()), (*lng.start(), *lng.end()))
    }
}

/// The candidate nearest `p` within `max_m` metres, with its distance
/// (ties: the first given).
pub fn nearest<T: Copy>(p: GeoPoint, candidates: &[(T, GeoPoint)], max_m: f64) -> Option<(T, f64)> {
    candidates.iter().map(|(t, q)| (*t, p.distance_m(*q))).filter(|(_, d)| *d <= max_m).fold(
        None,
        |best: Option<(T, f64)>, (t, d)| match best {
            Some((_, bd)) if bd <= d => best,
            _ => Some((t, d)),
        },
    )
}

/// Which compound a typed address means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressMatch<T> {
    One(T),
    /// Several fit equally well: the client must choose (by `address_id`).
    Several(Vec<T>),
    None,
}

/// Match a typed address ("丰华小区3栋2单元", "丰华", "富阳路 88 号") to a
/// compound among `candidates` (id, name, address):
/// 1. a name equal to it;
/// 2. names it contains (names of at least two characters): the longest, if only one is that long;
/// 3. names or addresses containing it (it being at least two characters): if only one does.
///
/// Letters are compared without case and spaces are ignored.
pub fn match_address<T: Copy + PartialEq>(typed: &str, candidates: &[(T, &str, &str)]) -> AddressMatch<T> {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect::<String>();
    let t = norm(typed);
    if t.chars().count() < 2 {
        return AddressMatch::None;
    }
    let named: Vec<(T, String, String)> = candidates.iter().map(|(id, n, a)| (*id, norm(n), norm(a))).collect();
    let pick = |ids: Vec<T>| match ids.len() {
        0 => AddressMatch::None,
        1 => AddressMatch::One(ids[0]),
        _ => AddressMatch::Several(ids),
    };
    let exact: Vec<T> = named.iter().filter(|(_, n, _)| *n == t).map(|c| c.0).collect();
    if !exact.is_empty() {
        return pick(exact);
    }
    let within: Vec<&(T, String, String)> =
        named.iter().filter(|(_, n, _)| n.chars().count() >= 2 && t.contains(n.as_str())).collect();
    if let Some(longest) = within.iter().map(|c| c.1.chars().count()).max() {
        return pick(within.iter().filter(|c| c.1.chars().count() == longest).map(|c| c.0).collect());
    }
    pick(named.iter().filter(|(_, n, a)| n.contains(&t) || a.contains(&t)).map(|c| c.0).collect())
}

/// The place inside a compound that a typed address names: without the
/// compound's own name (once) or, when that is all that is left, its address
/// (`丰华小区 3号楼` → `3号楼`; `丰华小区` → ``).
pub fn place_within(name: &str, address: &str, typed: &str) -> String {
    let t = typed.trim();
    let rest = if name.chars().count() >= 2 { t.replacen(name, "", 1) } else { t.to_owned() };
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || ",，、;；:：".contains(c));
    if !address.is_empty() && rest.replace(' ', "") == address.replace(' ', "") {
        String::new()
    } else {
        rest.to_owned()
    }
}

/// A description as the public may read it: numbers of seven or more digits
/// (phone, ID and account numbers) are masked but for their last two, also
/// when written with separators (`138-1234-5678`, `+86 138 1234 5678`,
/// `6222 0212 3456`), in full-width or other scripts' digits, or with
/// invisible characters between the digits.
pub fn redact_numbers(s: &str) -> String {
    // Between two digits of one number: spaces, dashes, dots, slashes, a
    // plus, brackets, and characters that show as nothing.
    let joins = |c: char| {
        c.is_whitespace()
            // (Not commas: "电话…，3栋201" ends a number and starts an address.)
            || matches!(c, '-' | '.' | '/' | '+' | '(' | ')' | '_' | '·' | '－' | '／' | '（' | '）')
            // Dashes of every kind (‐ ‑ ‒ – — ― −) and characters that show as nothing.
            || ('\u{2010}'..='\u{2015}').contains(&c)
            || c == '\u{2212}'
            || ('\u{200b}'..='\u{200f}').contains(&c)
            || c == '\u{2060}'
            || c == '\u{feff}'
            || c == '\u{00a0}'
    };
    let digit = |c: char| c.is_ascii_digit() || unicode_digit(c);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A number: digits, each pair joined by at most two joining characters.
        let start = i;
        let mut end = i + 1;
        let mut digits = vec![i];
        let mut j = i + 1;
        while j < chars.len() {
            if digit(chars[j]) {
                digits.push(j);
                end = j + 1;
                j += 1;
            } else if joins(chars[j]) && {
                // Up to three joining characters, then a digit.
                let k = (j..chars.len().min(j + 4)).find(|&k| !joins(chars[k]));
                k.is_some_and(|k| digit(chars[k]))
            } {
                j += 1;
            } else {
                break;
            }
        }
        // Groups of digits: a date (2026-11-28, 2026.1.5) is no number to hide.
        let groups: Vec<usize> =
            chars[start..end].split(|c| !digit(*c)).filter(|g| !g.is_empty()).map(<[char]>::len).collect();
        let date = groups.len() == 3 && groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2;
        let keep_from = if digits.len() >= 7 && !date { digits[digits.len() - 2] } else { start };
        for (k, c) in chars.iter().enumerate().take(end).skip(start) {
            out.push(if k < keep_from && digit(*c) { '*' } else { *c });
        }
        i = end;
    }
    out
}

/// Digits of other scripts (full-width, Arabic-Indic, Devanagari, …):
/// numeric characters other than Roman numerals and circled numbers.
fn unicode_digit(c: char) -> bool {
    !c.is_ascii()
        && c.is_numeric()
        && !('\u{2150}'..='\u{218f}').contains(&c)
        && !('\u{2460}'..='\u{24ff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_degrees_only() {
        let p = GeoPoint::parse("31.2304", "121.4737").unwrap();
        assert_eq!(p, GeoPoint { lat_e6: 31_230_400, lng_e6: 121_473_700 });
        assert_eq!(GeoPoint::parse(" -33.5 ", "+151").unwrap().lat_e6, -33_500_000);
        for bad in ["abc", "NaN", "nan", "inf", "-infinity", "1e2", "", "1.2.3", "-", "."] {
            let e = GeoPoint::parse(bad, "121").unwrap_err();
            assert_eq!(e.len(), 1, "{bad}");
            assert_eq!(e[0].field, "lat", "{bad}");
        }
        let e = GeoPoint::parse("999", "181").unwrap_err();
        assert_eq!(e.iter().map(|e| e.field).collect::<Vec<_>>(), ["lat", "long"]);
        assert!(GeoPoint::parse("90", "-180").is_ok());
    }

    #[test]
    fn optional_points_come_in_pairs_inside_china() {
        assert_eq!(GeoPoint::parse_optional(" ", ""), Ok(None));
        assert_eq!(GeoPoint::parse_optional("31.2", "").unwrap_err()[0].field, "long");
        assert_eq!(GeoPoint::parse_optional("", "121").unwrap_err()[0].field, "lat");
        // Swapped: 121 is no latitude at all; 31, 30 is outside China.
        assert!(GeoPoint::parse_optional("121.47", "31.23").is_err());
        assert!(GeoPoint::parse_optional("31.23", "30.0").unwrap_err()[0].reason.contains("not in China"));
        assert!(GeoPoint::parse_optional("31.23", "121.47").unwrap().is_some());
    }

    #[test]
    fn stored_points_out_of_range_are_none() {
        assert!(GeoPoint::from_stored(Some(31_000_000), Some(121_000_000)).is_some());
        assert!(GeoPoint::from_stored(Some(91_000_000), Some(0)).is_none());
        assert!(GeoPoint::from_stored(Some(i64::MAX), Some(0)).is_none());
        assert!(GeoPoint::from_stored(None, Some(0)).is_none());
    }

    #[test]
    fn distances_and_nearest() {
        let a = GeoPoint::from_degrees(31.0, 121.0);
        // One thousandth of a degree of latitude is about 111 m.
        let b = GeoPoint::from_degrees(31.001, 121.0);
        assert!((a.distance_m(b) - 111.2).abs() < 0.5, "{}", a.distance_m(b));
        assert_eq!(a.distance_m(a), 0.0);
        let far = GeoPoint::from_degrees(31.02, 121.0);
        assert_eq!(nearest(a, &[(1, far), (2, b)], NEAREST_MAX_M).map(|x| x.0), Some(2));
        assert_eq!(nearest(a, &[(1, far)], NEAREST_MAX_M), None);
        assert_eq!(nearest(a, &[(1, b), (2, b)], NEAREST_MAX_M).map(|x| x.0), Some(1));
        // The box holds every point within the distance.
        let ((la, lb), (ga, gb)) = a.box_around(NEAREST_MAX_M);
        for q in [GeoPoint::from_degrees(31.0089, 121.0), GeoPoint::from_degrees(31.0, 121.0104)] {
            assert!(a.distance_m(q) <= NEAREST_MAX_M);
            assert!((la..=lb).contains(&q.lat_e6) && (ga..=gb).contains(&q.lng_e6), "{q:?}");
        }
    }

    #[test]
    fn addresses_match_by_name_then_contained() {
        let c =
            [(1, "丰华小区", "富阳路 88 号"), (2, "丰华小区二期", "富阳路 90 号"), (3, "世纪华庭", "江南大道 1 号")];
        assert_eq!(match_address("丰华小区", &c), AddressMatch::One(1));
        assert_eq!(match_address("丰华小区二期 3栋2单元", &c), AddressMatch::One(2));
        assert_eq!(match_address("丰华小区3栋", &c), AddressMatch::One(1));
        assert_eq!(match_address("丰华", &c), AddressMatch::Several(vec![1, 2]));
        assert_eq!(match_address("江南大道1号", &c), AddressMatch::One(3));
        assert_eq!(match_address("华", &c), AddressMatch::None);
        assert_eq!(match_address("东方明珠", &c), AddressMatch::None);
        assert_eq!(
            match_address("世纪华庭", &[(1, "世纪华庭", ""), (2, "世纪华庭", "")]),
            AddressMatch::Several(vec![1, 2])
        );
    }

    #[test]
    fn the_place_drops_the_compounds_own_name_and_address() {
        assert_eq!(place_within("丰华小区", "长河大道74号", "丰华小区 3号楼"), "3号楼");
        assert_eq!(place_within("丰华小区", "长河大道74号", "丰华小区，长河大道74号"), "");
        assert_eq!(place_within("丰华小区", "长河大道74号", "长河大道 74号"), "");
        assert_eq!(place_within("丰华小区", "", "5号楼"), "5号楼");
    }

    #[test]
    fn public_descriptions_mask_long_numbers() {
        assert_eq!(redact_numbers("电话13812345678，3栋201"), "电话*********78，3栋201");
        assert_eq!(redact_numbers("１３８１２３４５６７８"), "*********７８");
        assert_eq!(redact_numbers("2026年11月"), "2026年11月");
        for (typed, shown) in [
            ("横杠138-1234-5678", "横杠***-****-**78"),
            ("+86 138 1234 5678", "+** *** **** **78"),
            ("卡6222 0212 3456 7890 123", "卡**** **** **** **** *23"),
            ("٠١٢٣٤٥٦٧٨٩", "********٨٩"),
            (
                "1\u{200b}3\u{200b}8\u{200b}1\u{200b}2\u{200b}3\u{200b}4",
                "*\u{200b}*\u{200b}*\u{200b}*\u{200b}*\u{200b}3\u{200b}4",
            ),
            ("身份证37142819900101123X", "身份证***************23X"),
            ("3号楼2单元501室", "3号楼2单元501室"),
            ("2026-11-28 报修", "2026-11-28 报修"),
            ("138—1234—5678", "***—****—**78"),
            ("138 - 1234 - 5678", "*** - **** - **78"),
            ("138\u{a0}1234\u{a0}5678", "***\u{a0}****\u{a0}**78"),
            ("138_1234_5678", "***_****_**78"),
        ] {
            assert_eq!(redact_numbers(typed), shown, "{typed}");
        }
    }
}
