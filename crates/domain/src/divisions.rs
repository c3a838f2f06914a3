//! The open division format (`provinces.csv`, `cities.csv`, `areas.csv`,
//! `streets.csv`, `villages.csv`, each with a header `code,name,<parent codes>`):
//! which file holds which level, and what a good row is.

use crate::{Level, RegionCode};

/// The five files, in the order they must be read (parents first).
pub const FILES: [(&str, Level, &str); 5] = [
    ("provinces", Level::Province, ""),
    ("cities", Level::City, "provinceCode"),
    ("areas", Level::County, "cityCode"),
    ("streets", Level::Street, "areaCode"),
    ("villages", Level::Community, "streetCode"),
];

/// One checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: RegionCode,
    pub name: String,
}

/// The column positions of one file, found from its header.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    code: usize,
    name: usize,
    parent: Option<usize>,
}

impl Columns {
    pub fn from_header(header: &[&str], parent_column: &str) -> Result<Columns, String> {
        let find = |want: &str| header.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == want);
        let code = find("code").ok_or("header has no `code` column")?;
        let name = find("name").ok_or("header has no `name` column")?;
        let parent = if parent_column.is_empty() {
            None
        } else {
            Some(find(parent_column).ok_or_else(|| format!("header has no `{parent_column}` column"))?)
        };
        Ok(Columns { code, name, parent })
    }
}

/// Check one data row of a file of `level`. The error is the reason only;
/// the caller adds `file:line`.
pub fn parse_row(fields: &[&str], cols: Columns, level: Level) -> Result<Division, String> {
    let get = |i: usize, what: &str| fields.get(i).map(|s| s.trim()).ok_or_else(|| format!("missing column `{what}`"));
    let code = RegionCode::parse(get(cols.code, "code")?).map_err(|e| e.reason)?;
    if code.level() != level {
        return Err(format!(
            "code {code} is a {} code, but this file holds {} codes",
            code.level().as_str(),
            level.as_str()
        ));
    }
    let name = get(cols.name, "name")?;
    if name.is_empty() {
        return Err(format!("code {code} has an empty name"));
    }
    if name.chars().count() > 100 {
        return Err(format!("code {code} has a name longer than 100 characters"));
    }
    if let Some(p) = cols.parent {
        let parent = get(p, "parent code")?;
        let implied = code.parent().expect("non-province has a parent");
        if parent != implied.as_str() {
            return Err(format!("code {code} does not lie under its parent code {parent}"));
        }
    }
    Ok(Division { code, name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_village_row() {
        let cols =
            Columns::from_header(&["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"], "streetCode")
                .unwrap();
        let d = parse_row(&["371402001001", "新湖社区", "371402001", "37", "3714", "371402"], cols, Level::Community)
            .unwrap();
        assert_eq!(d.code.as_str(), "371402001001");
        let e = parse_row(&["371402001001", "x", "371402002"], cols, Level::Community).unwrap_err();
        assert!(e.contains("does not lie under"), "{e}");
        let e = parse_row(&["3714020010", "x", "371402001"], cols, Level::Community).unwrap_err();
        assert!(e.contains("10 digits"), "{e}");
        let e = parse_row(&["371402001", "", "371402"], cols, Level::Community).unwrap_err();
        assert!(e.contains("street code"), "{e}");
        assert!(Columns::from_header(&["code", "title"], "").is_err());
    }
}
