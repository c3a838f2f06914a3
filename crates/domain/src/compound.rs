//! Compounds (小区): what a valid one is, and the property-service models.

use crate::{Area, GeoPoint, Invalid, Level, RegionCode};

text_enum!(
    /// 四种模式 plus the two uncovered states.
    ServiceModel, "service_model", "service model", "服务模式" {
        Professional = "professional",
        PartyLed = "party_led",
        Cooperative = "cooperative",
        SoeBackstop = "soe_backstop",
        SelfManaged = "self_managed",
        None = "none",
    }
);

impl ServiceModel {
    /// Served by a property company: counts towards professional coverage.
    pub fn is_professional(self) -> bool {
        matches!(
            self,
            ServiceModel::Professional | ServiceModel::PartyLed | ServiceModel::Cooperative | ServiceModel::SoeBackstop
        )
    }

    /// Any service at all: counts towards full coverage.
    pub fn is_covered(self) -> bool {
        self != ServiceModel::None
    }
}

/// A new compound, parsed and checked. The region must be a community or a grid.
/// A fact not given is not recorded (`None`), never zero or "no": unknown is
/// a value the model holds and the figures count apart.
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundDraft {
    pub region: RegionCode,
    pub name: String,
    pub address: String,
    pub year_built: Option<i32>,
    pub is_old: Option<bool>,
    pub households: Option<i32>,
    pub floor_area: Option<Area>,
    /// Its point on the map (WGS-84), where recorded: Open311 reports by
    /// latitude and longitude find the compound by it.
    pub location: Option<GeoPoint>,
}

/// The facts of a compound that may be not recorded, by the keys the store
/// lists them under (see `CompoundDraft`).
pub const UNRECORDABLE: [&str; 3] = ["is_old", "households", "floor_area"];

impl CompoundDraft {
    /// The keys of the facts not recorded, comma-separated (`None` when all are).
    pub fn unrecorded(&self) -> Option<String> {
        let missing: Vec<&str> = [
            ("is_old", self.is_old.is_none()),
            ("households", self.households.is_none()),
            ("floor_area", self.floor_area.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| *k)
        .collect();
        (!missing.is_empty()).then(|| missing.join(","))
    }
}

/// Changes to a compound; `None` leaves a field as it is, `Some(None)`
/// makes it not recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompoundPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub year_built: Option<Option<i32>>,
    pub is_old: Option<Option<bool>>,
    pub households: Option<Option<i32>>,
    pub floor_area: Option<Option<Area>>,
    pub location: Option<Option<GeoPoint>>,
}

pub fn check_region(region: &RegionCode) -> Result<(), Invalid> {
    match region.level() {
        Level::Community | Level::Grid => Ok(()),
        l => Err(Invalid::new("region", format!("a compound belongs to a community or grid, not a {}", l.as_str()))
            .zh(format!("小区须隶属社区或网格，而不是{}", l.as_str()))),
    }
}

pub fn check_name(name: &str) -> Result<String, Invalid> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Invalid::new("name", "name is required").zh("名称为必填项"));
    }
    if n.chars().count() > 100 {
        return Err(Invalid::new("name", "name is longer than 100 characters").zh("名称不能超过 100 个字"));
    }
    crate::text::check("name", n)?;
    Ok(n.to_owned())
}

pub fn check_address(address: &str) -> Result<String, Invalid> {
    let a = address.trim();
    if a.chars().count() > 200 {
        return Err(Invalid::new("address", "address is longer than 200 characters").zh("地址不能超过 200 个字"));
    }
    crate::text::check("address", a)?;
    Ok(a.to_owned())
}

pub fn check_year_built(year: Option<i32>, this_year: i32) -> Result<Option<i32>, Invalid> {
    match year {
        Some(y) if !(1900..=this_year).contains(&y) => {
            Err(Invalid::new("year_built", format!("year {y} is outside 1900–{this_year}"))
                .zh(format!("年份 {y} 不在 1900–{this_year} 之间")))
        }
        y => Ok(y),
    }
}

pub fn check_households(h: i32) -> Result<i32, Invalid> {
    if !(0..=100_000).contains(&h) {
        return Err(Invalid::new("households", format!("{h} households is outside 0–100000"))
            .zh(format!("户数 {h} 不在 0–100000 之间")));
    }
    Ok(h)
}

/// A compound as typed into a form or sent as JSON, before checking.
/// Empty optional fields mean "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompoundInput {
    pub region: String,
    pub name: String,
    pub address: String,
    pub year_built: String,
    /// Not given: not recorded.
    pub is_old: Option<bool>,
    pub households: String,
    pub floor_area: String,
    /// Latitude and longitude in decimal degrees (WGS-84); both blank: not recorded.
    pub lat: String,
    pub lng: String,
}

fn opt_int(field: &'static str, s: &str) -> Result<Option<i32>, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i32>()
        .map(Some)
        .map_err(|_| Invalid::new(field, format!("{s:?} is not a whole number")).zh(format!("“{s}”不是整数")))
}

impl CompoundInput {
    /// Check every field and report all problems at once.
    pub fn parse(&self, this_year: i32) -> Result<CompoundDraft, Vec<Invalid>> {
        let mut errs = Vec::new();
        let region = RegionCode::parse(&self.region)
            .map_err(|e| e.for_field("region"))
            .and_then(|r| check_region(&r).map(|_| r))
            .map_err(|e| errs.push(e))
            .ok();
        let name = check_name(&self.name).map_err(|e| errs.push(e)).ok();
        let address = check_address(&self.address).map_err(|e| errs.push(e)).ok();
        let year_built = opt_int("year_built", &self.year_built)
            .and_then(|y| check_year_built(y, this_year))
            .map_err(|e| errs.push(e))
            .ok()
            .flatten();
        let households = opt_int("households", &self.households)
            .and_then(|h| h.map(check_households).transpose())
            .map_err(|e| errs.push(e))
            .ok();
        let floor_area = if self.floor_area.trim().is_empty() {
            Some(None)
        } else {
            Area::parse("floor_area", &self.floor_area)
                .and_then(|a| a.compound("floor_area"))
                .map(Some)
                .map_err(|e| errs.push(e))
                .ok()
        };
        let location = GeoPoint::parse_optional(&self.lat, &self.lng).map_err(|e| errs.extend(e)).ok().flatten();
        match (region, name, address, households, floor_area) {
            (Some(region), Some(name), Some(address), Some(households), Some(floor_area)) if errs.is_empty() => {
                Ok(CompoundDraft {
                    region,
                    name,
                    address,
                    year_built,
                    is_old: self.is_old,
                    households,
                    floor_area,
                    location,
                })
            }
            _ => Err(errs),
        }
    }
}

impl CompoundPatch {
    pub fn is_empty(&self) -> bool {
        *self == CompoundPatch::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_classify_coverage() {
        assert!(ServiceModel::PartyLed.is_professional());
        assert!(!ServiceModel::SelfManaged.is_professional());
        assert!(ServiceModel::SelfManaged.is_covered());
        assert!(!ServiceModel::None.is_covered());
        assert_eq!(ServiceModel::parse("soe_backstop").unwrap(), ServiceModel::SoeBackstop);
        assert_eq!(ServiceModel::parse("x").unwrap_err().field, "service_model");
    }

    #[test]
    fn input_reports_every_bad_field() {
        let bad = CompoundInput {
            region: "3714".into(),
            name: " ".into(),
            year_built: "19x".into(),
            households: "-3".into(),
            floor_area: "1.234".into(),
            ..Default::default()
        };
        let errs = bad.parse(2026).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["region", "name", "year_built", "households", "floor_area"]);
        let ok = CompoundInput {
            region: "371402001001".into(),
            name: "丰华小区".into(),
            households: "320".into(),
            floor_area: "28000.5".into(),
            ..Default::default()
        };
        let d = ok.parse(2026).unwrap();
        assert_eq!((d.households, d.floor_area.map(|a| a.centi()), d.year_built), (Some(320), Some(2_800_050), None));
        // What is not given is not recorded, never zero or "no".
        assert_eq!((d.is_old, d.unrecorded().as_deref()), (None, Some("is_old")));
        let blank = CompoundInput { region: "371402001001".into(), name: "新小区".into(), ..Default::default() };
        let d = blank.parse(2026).unwrap();
        assert_eq!((d.households, d.floor_area), (None, None));
        assert_eq!(d.unrecorded().as_deref(), Some("is_old,households,floor_area"));
    }

    #[test]
    fn compound_fields_are_checked() {
        assert!(check_region(&RegionCode::parse("3714").unwrap()).is_err());
        assert!(check_region(&RegionCode::parse("371402001001").unwrap()).is_ok());
        assert_eq!(check_name("  丰华小区 ").unwrap(), "丰华小区");
        assert!(check_name("  ").is_err());
        assert!(check_year_built(Some(1800), 2026).is_err());
        assert!(check_year_built(Some(2030), 2026).is_err());
        assert_eq!(check_year_built(None, 2026).unwrap(), None);
        assert!(check_households(-1).is_err());
    }
}

text_enum!(
    /// How a list of compounds is ordered: by place (region, then name; the
    /// default), by name, by households (most first) or by year built (newest first).
    CompoundOrder, "order", "order of a list", "排序" {
        Place = "place",
        Name = "name",
        Households = "households",
        Built = "built",
    }
);
