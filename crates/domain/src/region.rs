//! Administrative regions: GB/T 2260 and statistical division codes.
//!
//! province (2 digits) → city (4) → county (6) → street/town (9) →
//! community/village committee (12) → grid (15, user-made: the community's
//! 12 digits plus a 3-digit suffix).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Street,
    Community,
    Grid,
}

impl Level {
    pub const ALL: [Level; 6] =
        [Level::Province, Level::City, Level::County, Level::Street, Level::Community, Level::Grid];

    /// Number of digits in a code of this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
        }
    }

    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Province => None,
            Level::City => Some(Level::Province),
            Level::County => Some(Level::City),
            Level::Street => Some(Level::County),
            Level::Community => Some(Level::Street),
            Level::Grid => Some(Level::Community),
        }
    }

    pub fn child(self) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.parent() == Some(self))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A region code that is known to be well formed: only digits, of one of the
/// six lengths, and not all zeros.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("code", "region code is empty").zh("区划代码为空"));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("code", format!("region code {s:?} must contain only digits"))
                .zh(format!("区划代码“{s}”只能包含数字")));
        }
        if Level::from_code_len(s.len()).is_none() {
            return Err(Invalid::new(
                "code",
                format!("region code {s:?} has {} digits; expected 2, 4, 6, 9, 12 or 15", s.len()),
            )
            .zh(format!("区划代码“{s}”有 {} 位；应为 2、4、6、9、12 或 15 位", s.len())));
        }
        // A level's own part may be all zeros in real data (441900 is 东莞's
        // stand-in county, 350527000 a stand-in street), but never the whole code.
        if s.bytes().all(|b| b == b'0') {
            return Err(
                Invalid::new("code", format!("region code {s:?} is all zeros")).zh(format!("区划代码“{s}”全为零"))
            );
        }
        Ok(RegionCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::from_code_len(self.0.len()).expect("checked at parse")
    }

    /// The parent code implied by the code itself (prefix of the parent's length).
    pub fn parent(&self) -> Option<RegionCode> {
        self.level().parent().map(|p| RegionCode(self.0[..p.code_len()].to_owned()))
    }

    /// Every ancestor, from the province down, then the code itself.
    pub fn lineage(&self) -> Vec<RegionCode> {
        let mut out: Vec<RegionCode> = Level::ALL
            .into_iter()
            .filter(|l| l.code_len() < self.0.len())
            .map(|l| RegionCode(self.0[..l.code_len()].to_owned()))
            .collect();
        out.push(self.clone());
        out
    }

    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    pub fn path(&self) -> RegionPath {
        let mut p = String::with_capacity(48);
        p.push('/');
        for c in self.lineage() {
            p.push_str(c.as_str());
            p.push('/');
        }
        RegionPath(p)
    }

    /// The code of the next grid under a community, given the grids it has.
    pub fn next_grid(community: &RegionCode, existing: &[RegionCode]) -> Result<RegionCode, Invalid> {
        if community.level() != Level::Community {
            return Err(
                Invalid::new("parent", "grids can only be created under a community").zh("网格只能建在社区之下")
            );
        }
        let max = existing
            .iter()
            .filter(|c| c.level() == Level::Grid && c.is_within(community))
            .filter_map(|c| c.0[12..].parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        if max >= 999 {
            return Err(Invalid::new("parent", "this community already has 999 grids").zh("该社区已有 999 个网格"));
        }
        Ok(RegionCode(format!("{}{:03}", community.0, max + 1)))
    }
}

impl TryFrom<String> for RegionCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Materialised path `/37/3714/371402/`: every region's path starts with the
/// paths of all its ancestors, so a subtree is one index range scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegionPath(String);

impl RegionPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_stored(s: String) -> Self {
        RegionPath(s)
    }

    /// Half-open range `[lo, hi)` holding this path and every descendant's.
    /// `hi` swaps the final '/' for '0', the byte just above it, so that
    /// `path >= lo AND path < hi` works the same on SQLite and PostgreSQL
    /// (with the C collation the migration sets) and uses a plain index.
    pub fn subtree_range(&self) -> (String, String) {
        let lo = self.0.clone();
        let mut hi = self.0.clone();
        hi.pop();
        hi.push('0');
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_parents() {
        let c = RegionCode::parse("371402001001").unwrap();
        assert_eq!(c.level(), Level::Community);
        assert_eq!(c.parent().unwrap().as_str(), "371402001");
        assert_eq!(c.path().as_str(), "/37/3714/371402/371402001/371402001001/");
        assert_eq!(RegionCode::parse("37").unwrap().parent(), None);
    }

    #[test]
    fn rejects_bad_codes() {
        assert!(RegionCode::parse("").is_err());
        assert!(RegionCode::parse("37a4").is_err());
        assert!(RegionCode::parse("371").is_err());
        assert!(RegionCode::parse("0000").is_err());
        assert!(RegionCode::parse("00").is_err());
        assert!(RegionCode::parse("441900").is_ok(), "東莞's stand-in county is real data");
        let e = RegionCode::parse("1234567").unwrap_err();
        assert!(e.reason.contains("7 digits"), "{e}");
    }

    #[test]
    fn subtree_range_excludes_siblings_with_longer_prefix() {
        let (lo, hi) = RegionCode::parse("3714").unwrap().path().subtree_range();
        let inside = RegionCode::parse("371402001001").unwrap().path();
        let sibling = RegionCode::parse("371502").unwrap().path();
        let own = RegionCode::parse("3714").unwrap().path();
        for (p, want) in [(inside, true), (sibling, false), (own, true)] {
            let s = p.as_str();
            assert_eq!(s >= lo.as_str() && s < hi.as_str(), want, "{s}");
        }
    }

    #[test]
    fn next_grid_numbers_after_the_highest() {
        let comm = RegionCode::parse("371402001001").unwrap();
        assert_eq!(RegionCode::next_grid(&comm, &[]).unwrap().as_str(), "371402001001001");
        let have = [RegionCode::parse("371402001001007").unwrap()];
        assert_eq!(RegionCode::next_grid(&comm, &have).unwrap().as_str(), "371402001001008");
        assert!(RegionCode::next_grid(&RegionCode::parse("3714").unwrap(), &[]).is_err());
    }
}
