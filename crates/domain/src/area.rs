//! Floor area kept exactly, in hundredths of a square metre, because owners'
//! votes compare area shares at their boundaries (Civil Code art. 278).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Area(i64);

/// The largest exclusive area one unit (flat, shop, parking space) may have.
pub const UNIT_MAX: Area = Area(10_000 * 100);
/// The largest floor area of one compound (the largest in China are a few million m²).
pub const COMPOUND_MAX: Area = Area(50_000_000 * 100);
/// No area anywhere is larger: far below the point where sums of millions of
/// areas could overflow, so no stored area can make a total fail.
pub const ANY_MAX: Area = Area(1_000_000_000 * 100);

impl Area {
    pub const ZERO: Area = Area(0);

    /// `self` if it is at most `max`, else why not, naming `field`.
    pub fn at_most(self, field: &'static str, max: Area) -> Result<Area, Invalid> {
        if self <= max {
            Ok(self)
        } else {
            Err(Invalid::new(field, format!("{self} m² is more than the {max} m² allowed here"))
                .zh(format!("面积 {self} 平方米超过上限 {max} 平方米")))
        }
    }

    /// The unit's area if it is plausible for one unit.
    pub fn unit(self, field: &'static str) -> Result<Area, Invalid> {
        self.at_most(field, UNIT_MAX)
    }

    /// The compound's floor area if it is plausible for one compound.
    pub fn compound(self, field: &'static str) -> Result<Area, Invalid> {
        self.at_most(field, COMPOUND_MAX)
    }

    pub fn from_centi(c: i64) -> Self {
        Area(c)
    }

    pub fn centi(self) -> i64 {
        self.0
    }

    /// Parse "85", "85.5" or "85.50" (m²); more than two decimals is an error
    /// rather than a silent rounding.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        let bad = || {
            Invalid::new(field, format!("{s:?} is not an area in m² (e.g. 85.50)"))
                .zh(format!("“{s}”不是以平方米计的面积（如 85.50）"))
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = int.parse().map_err(|_| bad())?;
        let mut cents: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        if frac.len() == 1 {
            cents *= 10;
        }
        let a = whole.checked_mul(100).and_then(|w| w.checked_add(cents)).map(Area).ok_or_else(bad)?;
        a.at_most(field, ANY_MAX)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(Area::parse("a", "85").unwrap().centi(), 8500);
        assert_eq!(Area::parse("a", "85.5").unwrap().centi(), 8550);
        assert_eq!(Area::parse("a", "85.05").unwrap().to_string(), "85.05");
        assert!(Area::parse("a", "92233720368547758.07").is_err());
        assert!(Area::parse("a", "1000000001").is_err());
        assert_eq!(Area::parse("a", "10000").unwrap().unit("a").unwrap().centi(), 1_000_000);
        assert_eq!(Area::parse("a", "10000.01").unwrap().unit("a").unwrap_err().field, "a");
        assert!(Area::parse("a", "50000000.01").unwrap().compound("a").is_err());
        for bad in ["", "-1", "1.234", "1e3", "abc", ".5"] {
            assert!(Area::parse("a", bad).is_err(), "{bad}");
        }
    }
}
