//! Compounds, their dated facts, buildings and units: the checks and scope
//! decisions every face shares, and each change written once.

use chrono::{Datelike, NaiveDate};
use db::compounds::{self as repo, BuildingSpec, Filter};
use domain::access::Action;
use domain::history::FactKind;
use domain::{Area, CompoundInput, CompoundPatch, Invalid, ServiceModel};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::ops::regions::parse_code;

/// A new compound as typed into a form or sent as JSON, before checking.
pub struct NewCompound {
    pub input: CompoundInput,
    /// Its service model from a date, if known.
    pub service_model: Option<String>,
    /// The date, as typed ("" for today).
    pub service_model_from: String,
}

/// Create a compound in a community or grid the caller may write in. Every
/// field is checked (all errors at once) before scope is decided.
pub async fn create(s: &AppState, viewer: &Viewer, n: NewCompound) -> Result<repo::Compound, AppError> {
    let mut errs = Vec::new();
    let draft = n.input.parse(domain::clock::today().year()).map_err(|e| errs.extend(e)).ok();
    let from = match n.service_model_from.trim() {
        "" => None,
        d => d
            .parse()
            .map_err(|_| {
                errs.push(
                    Invalid::new("service_model_from", format!("{d:?} is not a date (YYYY-MM-DD)"))
                        .zh(format!("“{d}”不是日期（格式 YYYY-MM-DD）")),
                )
            })
            .ok(),
    };
    let model = parse_model(n.service_model.as_deref(), from).map_err(|e| errs.push(e)).ok().flatten();
    let Some(draft) = draft.filter(|_| errs.is_empty()) else {
        return Err(AppError::invalid(errs));
    };
    viewer.check_region(Action::WriteRegistry, &draft.region)?;
    Ok(repo::create(&s.db, &viewer.actor(), &draft, model).await?)
}

/// An area in m²: a JSON number or a decimal string, at most two decimals.
#[derive(Deserialize, ToSchema, Clone)]
#[serde(untagged)]
pub enum AreaIn {
    Number(f64),
    Text(String),
}

impl AreaIn {
    pub fn text(&self) -> String {
        match self {
            AreaIn::Text(s) => s.clone(),
            AreaIn::Number(n) => {
                let c = (n * 100.0).round();
                if (n * 100.0 - c).abs() > 1e-6 { n.to_string() } else { format!("{:.2}", c / 100.0) }
            }
        }
    }
    pub fn parse(&self, field: &'static str) -> Result<Area, Invalid> {
        Area::parse(field, &self.text())
    }
}

/// Degrees (WGS-84): a JSON number or a decimal string (as typed on a page).
#[derive(Deserialize, ToSchema, Clone)]
#[serde(untagged)]
pub enum DegreesIn {
    Number(f64),
    Text(String),
}

impl DegreesIn {
    pub fn text(&self) -> String {
        match self {
            DegreesIn::Number(n) => n.to_string(),
            DegreesIn::Text(s) => s.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CompoundPatchIn {
    pub name: Option<String>,
    pub address: Option<String>,
    pub year_built: Option<i32>,
    pub is_old: Option<bool>,
    pub households: Option<i32>,
    pub floor_area_m2: Option<AreaIn>,
    /// Latitude and longitude (WGS-84, decimal degrees), given together.
    pub lat: Option<DegreesIn>,
    pub long: Option<DegreesIn>,
    /// Facts to mark as not recorded: any of is_old, households, floor_area, location.
    #[serde(default)]
    pub unrecord: Vec<String>,
}

/// Build the list filter the viewer is allowed: the requested subtree if it
/// lies inside the viewer's scope.
pub async fn filter_for(
    s: &AppState,
    viewer: &Viewer,
    region: Option<&str>,
    q: Option<String>,
    include_retired: bool,
) -> Result<Filter, AppError> {
    let region = region.map(str::trim).filter(|r| !r.is_empty()).map(parse_code).transpose()?;
    let within = match region {
        Some(code) => {
            viewer.check_region(Action::Read, &code)?;
            Some(db::regions::require(&s.db, &code).await?.region_path())
        }
        None => None,
    };
    Ok(Filter { within, visible: viewer.visible(), name: q, include_retired, order: None })
}

pub fn parse_model(model: Option<&str>, from: Option<NaiveDate>) -> Result<Option<(ServiceModel, NaiveDate)>, Invalid> {
    match model.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Ok(Some((ServiceModel::parse(m)?, from.unwrap_or_else(domain::clock::today)))),
        None => Ok(None),
    }
}

pub fn check_patch(b: &CompoundPatchIn) -> Result<CompoundPatch, AppError> {
    let mut errs = Vec::new();
    let mut p = CompoundPatch::default();
    if let Some(n) = &b.name {
        p.name = domain::compound::check_name(n).map_err(|e| errs.push(e)).ok();
    }
    if let Some(a) = &b.address {
        p.address = domain::compound::check_address(a).map_err(|e| errs.push(e)).ok();
    }
    if let Some(y) = b.year_built {
        p.year_built =
            domain::compound::check_year_built(Some(y), domain::clock::today().year()).map_err(|e| errs.push(e)).ok();
    }
    p.is_old = b.is_old.map(Some);
    if let Some(h) = b.households {
        p.households = domain::compound::check_households(h).map(Some).map_err(|e| errs.push(e)).ok();
    }
    if let Some(a) = &b.floor_area_m2 {
        p.floor_area =
            a.parse("floor_area").and_then(|a| a.compound("floor_area")).map(Some).map_err(|e| errs.push(e)).ok();
    }
    if b.lat.is_some() || b.long.is_some() {
        let text = |v: &Option<DegreesIn>| v.as_ref().map(DegreesIn::text).unwrap_or_default();
        p.location = domain::GeoPoint::parse_optional(&text(&b.lat), &text(&b.long)).map_err(|e| errs.extend(e)).ok();
    }
    for key in &b.unrecord {
        match key.trim() {
            "is_old" => p.is_old = Some(None),
            "households" => p.households = Some(None),
            "floor_area" => p.floor_area = Some(None),
            "location" => p.location = Some(None),
            other => errs.push(
                Invalid::new("unrecord", format!("{other:?} is not a fact that may be not recorded"))
                    .zh(format!("“{other}”不能标为未登记")),
            ),
        }
    }
    if errs.is_empty() { Ok(p) } else { Err(AppError::invalid(errs)) }
}

/// The checked value of a fact: a service model, or an organisation of the
/// kind the fact needs that the viewer may see (and, for a compound's own
/// bodies, that belongs to this compound).
pub async fn check_fact(
    s: &AppState,
    viewer: &Viewer,
    compound_id: i64,
    kind: &str,
    value: Option<&str>,
    org_id: Option<i64>,
) -> Result<(FactKind, Option<String>, Option<i64>), AppError> {
    let Some(k) = FactKind::find(kind) else {
        return Err(Invalid::new("kind", format!("{kind:?} is not a kind of compound fact"))
            .zh(format!("“{kind}”不是小区信息类型"))
            .into());
    };
    if k == FactKind::ServiceModel {
        let m = ServiceModel::parse(value.unwrap_or(""))?;
        return Ok((k, Some(m.as_str().to_owned()), None));
    }
    let Some(id) = org_id else {
        return Err(Invalid::new("org_id", "choose the organisation").zh("请选择组织").into());
    };
    let org = crate::ops::structure::visible_org(s, viewer, id).await.map_err(|_| {
        AppError::from(
            Invalid::new("org_id", format!("organisation {id} is not one you can see"))
                .zh(format!("组织 {id} 不在您的管辖范围内")),
        )
    })?;
    let want = k.org_kind().map(|o| o.as_str()).unwrap_or_default();
    let around = if k.serves_around() {
        let c = db::compounds::get(&s.db, compound_id).await?;
        c.region_path.starts_with(org.region_path.as_str())
    } else {
        true
    };
    if Some(org.kind) != k.org_kind() || (k.compound_own() && org.compound_id != Some(compound_id)) || !around {
        return Err(Invalid::new("org_id", format!("{} is not a {want} of this compound", org.name))
            .zh(format!("{}不是本小区可选的组织（{want}）", org.name))
            .into());
    }
    Ok((k, None, Some(id)))
}

/// Shared by the API and the page.
pub async fn correct(
    s: &AppState,
    viewer: &Viewer,
    id: i64,
    fact_id: i64,
    from: NaiveDate,
    value: Option<&str>,
    org_id: Option<i64>,
) -> Result<Vec<repo::Fact>, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    let facts = repo::facts(&s.db, id).await?;
    let f = facts.iter().find(|f| f.id == fact_id).ok_or_else(AppError::not_found)?;
    // Keep the value unless a new one is given.
    let (v, o) = match (value.filter(|v| !v.is_empty()), org_id) {
        (None, None) => (f.value.clone(), f.ref_id),
        (v, o) => {
            let (_, v, o) = check_fact(s, viewer, id, f.kind.as_str(), v, o).await?;
            (v, o)
        }
    };
    Ok(repo::correct_fact(&s.db, &viewer.actor(), id, fact_id, from, v.as_deref(), o).await?)
}

#[derive(Deserialize, ToSchema)]
pub struct BuildingIn {
    pub name: String,
    pub floors: i32,
    pub entrances: i32,
    pub units_per_floor: i32,
    /// Exclusive area of each unit; edit single units afterwards.
    pub unit_area_m2: AreaIn,
}

impl BuildingIn {
    pub fn spec(&self) -> Result<BuildingSpec, AppError> {
        let spec = BuildingSpec {
            name: self.name.clone(),
            floors: self.floors,
            entrances: self.entrances,
            units_per_floor: self.units_per_floor,
            unit_area: self.unit_area_m2.parse("unit_area_m2")?,
        };
        spec.check()?;
        Ok(spec)
    }
}

/// Change a compound's fields (those given).
pub async fn update(s: &AppState, viewer: &Viewer, id: i64, b: &CompoundPatchIn) -> Result<repo::Compound, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    let p = check_patch(b)?;
    Ok(repo::update(&s.db, &viewer.actor(), id, &p).await?)
}

/// Retire a compound (never deleted: past figures keep it).
pub async fn retire(s: &AppState, viewer: &Viewer, id: i64) -> Result<repo::Compound, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    Ok(repo::retire(&s.db, &viewer.actor(), id).await?)
}

/// Give one of a compound's dated facts a new value from a date on; returns the timeline.
pub async fn set_fact(
    s: &AppState,
    viewer: &Viewer,
    id: i64,
    kind: &str,
    value: Option<&str>,
    org_id: Option<i64>,
    from: NaiveDate,
) -> Result<Vec<repo::Fact>, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    let (kind, value, org) = check_fact(s, viewer, id, kind, value, org_id).await?;
    Ok(repo::set_fact(&s.db, &viewer.actor(), id, kind, value.as_deref(), org, from).await?)
}

/// Add a building with its entrances and units to a compound.
pub async fn create_building(
    s: &AppState,
    viewer: &Viewer,
    id: i64,
    b: &BuildingIn,
) -> Result<repo::BuildingSummary, AppError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await?;
    let spec = b.spec()?;
    Ok(repo::create_building(&s.db, &viewer.actor(), id, &spec).await?)
}
