//! Pages of compounds: the list, one compound with its history and buildings, the forms to create and edit.

use super::*;
use domain::history::FactKind;

#[derive(Deserialize)]
pub(super) struct ListParams {
    region: Option<String>,
    q: Option<String>,
    order: Option<String>,
    page: Option<u64>,
}

impl ListParams {
    fn order(&self) -> Result<Option<domain::compound::CompoundOrder>, AppError> {
        let o = self.order.as_deref().map(str::trim).filter(|o| !o.is_empty());
        Ok(o.map(domain::compound::CompoundOrder::parse).transpose()?)
    }
}

#[derive(Template)]
#[template(path = "compounds.html")]
pub(super) struct CompoundsPage {
    t: Tr,
    me: Option<Me>,
    region: String,
    q: String,
    order: Option<domain::compound::CompoundOrder>,
    rows: Vec<Compound>,
    pager: Pager,
}

impl CompoundsPage {
    fn orders(&self) -> &'static [domain::compound::CompoundOrder] {
        domain::compound::CompoundOrder::ALL
    }

    fn order_is(&self, o: &domain::compound::CompoundOrder) -> bool {
        self.order.unwrap_or(domain::compound::CompoundOrder::Place) == *o
    }
}

pub(super) async fn compound_list(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Page, UiError> {
    let mut f = filter_for(&s, &viewer, p.region.as_deref(), p.q.clone(), false).await.page(t)?;
    let order = p.order().page(t)?;
    f.order = order;
    let paging = Paging::new(p.page, None);
    let (rows, total) = repo::list(&s.db, &f, paging).await.page(t)?;
    let region = p.region.unwrap_or_default().trim().to_owned();
    let q = p.q.unwrap_or_default();
    let filters = [("region", region.as_str()), ("q", q.as_str()), ("order", order.map_or("", |o| o.as_str()))];
    let pager = Pager::new("/compounds", &filters, paging, total);
    Ok(render(&CompoundsPage { t, me: Me::of(&viewer), region, q, order, rows, pager }))
}

/// The compound list, as filtered, as a workbook (areas and counts as numbers).
pub(super) async fn compound_export(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    use report::Cell;
    let mut f = filter_for(&s, &viewer, p.region.as_deref(), p.q.clone(), false).await.page(t)?;
    f.order = p.order().page(t)?;
    let rows = all_pages(|pg| repo::list(&s.db, &f, pg)).await.page(t)?;
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|c| {
            vec![
                Cell::Int(c.id),
                Cell::Text(c.name.clone()),
                Cell::Text(c.region_name.clone()),
                Cell::Text(c.region_code.clone()),
                Cell::Text(c.address.clone()),
                c.year_built.map_or(Cell::Text(String::new()), |y| Cell::Int(i64::from(y))),
                Cell::Text(
                    match c.is_old {
                        Some(true) => t.get("common.yes"),
                        Some(false) => t.get("common.no"),
                        None => t.get("common.unrecorded"),
                    }
                    .to_owned(),
                ),
                c.households.map_or(Cell::Text(String::new()), |h| Cell::Int(i64::from(h))),
                c.floor_area_centi.map_or(Cell::Text(String::new()), |a| Cell::Decimal(a as f64 / 100.0)),
                Cell::Text(c.service_model.as_deref().map_or(String::new(), |m| t.or("model.", m).to_owned())),
            ]
        })
        .collect();
    let heads = [
        "#",
        t.get("compound.name"),
        t.get("compound.community"),
        t.get("region.code"),
        t.get("compound.address"),
        t.get("compound.year_built"),
        t.get("compound.is_old"),
        t.get("compound.households"),
        t.get("compound.floor_area"),
        t.get("compound.model"),
    ];
    xlsx_download(t, t.get("compound.list"), "compounds", &heads, &cells)
}

#[derive(Template)]
#[template(path = "compound.html")]
pub(super) struct CompoundPage {
    t: Tr,
    me: Option<Me>,
    can_write: bool,
    /// Names of the organisations the timeline points at.
    names: std::collections::HashMap<i64, String>,
    orgs: Vec<db::structure::Org>,
    companies: Vec<db::structure::Org>,
    c: Compound,
    crumbs: Vec<Region>,
    facts: Vec<Fact>,
    buildings: Vec<BuildingSummary>,
    models: &'static [ServiceModel],
    today: String,
}

impl CompoundPage {
    fn ref_name(&self, id: &Option<i64>) -> String {
        id.and_then(|i| self.names.get(&i).cloned()).unwrap_or_else(|| "—".into())
    }

    /// The compound's community page is open to the reader (else its name is not a link).
    fn region_open(&self) -> bool {
        self.crumbs.last().is_some_and(|r| r.code == self.c.region_code)
    }

    fn units(&self) -> i64 {
        self.buildings.iter().map(|b| b.units).sum()
    }
}

pub(super) async fn compound_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Page, UiError> {
    let c = viewer.compound(&s.db, id, Action::Read).await.page(t)?;
    let code = parse_code(&c.region_code).page(t)?;
    // Breadcrumbs only as far as the viewer may go (a company user sees none).
    let crumbs = readable_lineage(&s, &viewer, &code).await.page(t)?;
    let can_write = viewer.check_compound(&c, Action::WriteRegistry).is_ok();
    let facts = repo::facts(&s.db, id).await.page(t)?;
    let ids: Vec<i64> = facts.iter().filter_map(|f| f.ref_id).collect();
    let names = db::structure::org_names(&s.db, &ids).await.page(t)?;
    let of_compound = db::structure::OrgFilter { all: true, compound_id: Some(id), ..Default::default() };
    let orgs = db::structure::list_orgs(&s.db, &of_compound, Paging::new(None, Some(100))).await.page(t)?.0;
    // Companies the viewer may choose from: those registered in the compound's county.
    let county = domain::RegionCode::parse(&c.community_code[..6]).page(t)?;
    let mut cf = viewer.org_filter();
    cf.kind = Some(domain::org::OrgKind::Company);
    cf.within = Some(county.path());
    let companies = db::structure::list_orgs(&s.db, &cf, Paging::new(None, Some(200))).await.page(t)?.0;
    let buildings = repo::buildings(&s.db, id).await.page(t)?;
    Ok(render(&CompoundPage {
        t,
        me: Me::of(&viewer),
        can_write,
        names,
        orgs,
        companies,
        c,
        crumbs,
        facts,
        buildings,
        models: ServiceModel::ALL,
        today: domain::clock::today().to_string(),
    }))
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct CompoundForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    year_built: String,
    is_old: Option<String>,
    #[serde(default)]
    households: String,
    #[serde(default)]
    floor_area: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    long: String,
    #[serde(default)]
    service_model: String,
    #[serde(default)]
    service_model_from: String,
}

#[derive(Template)]
#[template(path = "compound_form.html")]
pub(super) struct CompoundFormPage {
    t: Tr,
    me: Option<Me>,
    id: Option<i64>,
    f: CompoundForm,
    errors: Vec<FieldError>,
    models: &'static [ServiceModel],
}

impl CompoundFormPage {
    fn error(&self, field: &str) -> String {
        let zh = self.t.is_zh();
        self.errors.iter().filter(|e| e.field == field).map(|e| e.reason_in(zh)).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Deserialize)]
pub(super) struct NewParams {
    region: Option<String>,
}

pub(super) async fn compound_new(viewer: Viewer, t: Tr, Query(p): Query<NewParams>) -> Result<Page, UiError> {
    if !viewer.may(Action::WriteRegistry) {
        return Err(UiError(AppError::forbidden(), t));
    }
    let f = CompoundForm {
        region: p.region.unwrap_or_default(),
        service_model_from: domain::clock::today().to_string(),
        ..Default::default()
    };
    Ok(render(&CompoundFormPage { t, me: Me::of(&viewer), id: None, f, errors: vec![], models: ServiceModel::ALL }))
}

pub(super) fn form_errors(t: Tr, me: Option<Me>, id: Option<i64>, f: CompoundForm, e: AppError) -> Response {
    if e.code != "invalid_input" && e.code != "conflict" {
        return UiError(e, t).into_response();
    }
    let errors = if !e.fields.is_empty() {
        e.fields
    } else if e.code == "conflict" {
        // The one conflict a compound form meets: its name is taken in the community.
        vec![FieldError { reason_zh: Some("本社区已有同名小区".into()), ..FieldError::new("name", e.message) }]
    } else {
        vec![FieldError::new("name", e.message)]
    };
    render(&CompoundFormPage { t, me, id, f, errors, models: ServiceModel::ALL })
        .status(StatusCode::UNPROCESSABLE_ENTITY)
}

pub(super) async fn compound_create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<CompoundForm>,
) -> Response {
    let n = NewCompound {
        input: CompoundInput {
            region: f.region.clone(),
            name: f.name.clone(),
            address: f.address.clone(),
            year_built: f.year_built.clone(),
            is_old: yes_no(f.is_old.as_deref()),
            households: f.households.clone(),
            floor_area: f.floor_area.clone(),
            lat: f.lat.clone(),
            lng: f.long.clone(),
        },
        service_model: Some(f.service_model.clone()),
        service_model_from: f.service_model_from.clone(),
    };
    match compound_ops::create(&s, &viewer, n).await {
        Ok(c) => Redirect::to(&format!("/compounds/{}", c.id)).into_response(),
        // Out of scope is a page of its own; a broken rule or a taken name goes back to the form.
        Err(e) if matches!(e.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) => UiError(e, t).into_response(),
        Err(e) => form_errors(t, Me::of(&viewer), None, f, e),
    }
}

pub(super) async fn compound_edit(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Page, UiError> {
    let c = viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let f = CompoundForm {
        region: c.region_code.clone(),
        name: c.name.clone(),
        address: c.address.clone(),
        year_built: c.year_built.map(|y| y.to_string()).unwrap_or_default(),
        is_old: c.is_old.map(|o| if o { "yes".into() } else { "no".into() }),
        households: c.households.map(|h| h.to_string()).unwrap_or_default(),
        floor_area: c.floor_area().map(|a| a.to_string()).unwrap_or_default(),
        lat: c.location().map(|p| format!("{:.6}", p.lat())).unwrap_or_default(),
        long: c.location().map(|p| format!("{:.6}", p.lng())).unwrap_or_default(),
        service_model: String::new(),
        service_model_from: String::new(),
    };
    Ok(render(&CompoundFormPage { t, me: Me::of(&viewer), id: Some(id), f, errors: vec![], models: ServiceModel::ALL }))
}

/// The page's 是/否/未登记 choice.
fn yes_no(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

pub(super) async fn compound_update(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<CompoundForm>,
) -> Response {
    if let Err(e) = viewer.compound(&s.db, id, Action::WriteRegistry).await {
        return UiError(e, t).into_response();
    }
    let year = f.year_built.trim();
    let households = f.households.trim();
    let mut errs = Vec::new();
    let patch = CompoundPatchIn {
        name: Some(f.name.clone()),
        address: Some(f.address.clone()),
        year_built: if year.is_empty() {
            None
        } else {
            year.parse()
                .map_err(|_| {
                    errs.push(
                        domain::Invalid::new("year_built", format!("{year:?} is not a year"))
                            .zh(format!("“{year}”不是年份")),
                    )
                })
                .ok()
        },
        is_old: yes_no(f.is_old.as_deref()),
        households: if households.is_empty() {
            None
        } else {
            households
                .parse()
                .map_err(|_| {
                    errs.push(
                        domain::Invalid::new("households", format!("{households:?} is not a whole number"))
                            .zh(format!("“{households}”不是整数")),
                    )
                })
                .ok()
        },
        floor_area_m2: (!f.floor_area.trim().is_empty()).then(|| AreaIn::Text(f.floor_area.clone())),
        lat: (!f.lat.trim().is_empty()).then(|| DegreesIn::Text(f.lat.clone())),
        long: (!f.long.trim().is_empty()).then(|| DegreesIn::Text(f.long.clone())),
        // A field left blank on the page is not recorded.
        unrecord: [
            ("is_old", yes_no(f.is_old.as_deref()).is_none()),
            ("households", households.is_empty()),
            ("floor_area", f.floor_area.trim().is_empty()),
            ("location", f.lat.trim().is_empty() && f.long.trim().is_empty()),
        ]
        .iter()
        .filter(|(_, blank)| *blank)
        .map(|(k, _)| (*k).to_owned())
        .collect(),
    };
    if !errs.is_empty() {
        return form_errors(t, Me::of(&viewer), Some(id), f, AppError::invalid(errs));
    }
    match compound_ops::update(&s, &viewer, id, &patch).await {
        Ok(_) => Redirect::to(&format!("/compounds/{id}")).into_response(),
        Err(e) => form_errors(t, Me::of(&viewer), Some(id), f, e),
    }
}

pub(super) async fn compound_retire(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Redirect, UiError> {
    compound_ops::retire(&s, &viewer, id).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
pub(super) struct FactForm {
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    org_id: String,
    effective_from: String,
}

pub(super) fn form_date(field: &'static str, s: &str) -> Result<chrono::NaiveDate, domain::Invalid> {
    s.trim().parse().map_err(|_| {
        domain::Invalid::new(field, format!("{s:?} is not a date (YYYY-MM-DD)"))
            .zh(format!("“{s}”不是日期（格式 YYYY-MM-DD）"))
    })
}

pub(super) fn form_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

pub(super) async fn compound_fact(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<FactForm>,
) -> Result<Redirect, UiError> {
    let value = Some(f.value.as_str()).filter(|v| !v.is_empty());
    let date = form_date("effective_from", &f.effective_from).page(t)?;
    compound_ops::set_fact(&s, &viewer, id, &f.kind, value, form_id(&f.org_id), date).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
pub(super) struct CorrectForm {
    valid_from: String,
}

pub(super) async fn compound_fact_correct(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, fact_id)): Path<(i64, i64)>,
    Form(f): Form<CorrectForm>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let date = form_date("valid_from", &f.valid_from).page(t)?;
    compound_ops::correct(&s, &viewer, id, fact_id, date, None, None).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}")))
}

#[derive(Deserialize)]
pub(super) struct BuildingForm {
    name: String,
    floors: String,
    entrances: String,
    units_per_floor: String,
    unit_area: String,
}

pub(super) async fn building_create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<BuildingForm>,
) -> Result<Redirect, UiError> {
    viewer.compound(&s.db, id, Action::WriteRegistry).await.page(t)?;
    let int = |field: &'static str, v: &str| {
        v.trim().parse::<i32>().map_err(|_| {
            domain::Invalid::new(field, format!("{v:?} is not a whole number")).zh(format!("“{v}”不是整数"))
        })
    };
    let b = BuildingIn {
        name: f.name,
        floors: int("floors", &f.floors).page(t)?,
        entrances: int("entrances", &f.entrances).page(t)?,
        units_per_floor: int("units_per_floor", &f.units_per_floor).page(t)?,
        unit_area_m2: AreaIn::Text(f.unit_area),
    };
    compound_ops::create_building(&s, &viewer, id, &b).await.page(t)?;
    Ok(Redirect::to(&format!("/compounds/{id}#buildings")))
}

#[derive(Template)]
#[template(path = "building.html")]
pub(super) struct BuildingPage {
    t: Tr,
    me: Option<Me>,
    c: Compound,
    b: BuildingSummary,
    units: Vec<UnitRow>,
}

pub(super) async fn building_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Page, UiError> {
    let b = viewer.building(&s.db, id, Action::Read).await.page(t)?;
    let c = repo::get(&s.db, b.compound_id).await.page(t)?;
    let units = repo::units(&s.db, id).await.page(t)?;
    Ok(render(&BuildingPage { t, me: Me::of(&viewer), c, b, units }))
}
