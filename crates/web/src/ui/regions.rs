//! Pages of the region tree: the index and a region with its children and compounds.

use super::*;

#[derive(Template)]
#[template(path = "region.html")]
pub(super) struct RegionPage {
    t: Tr,
    me: Option<Me>,
    here: Option<RegionSummary>,
    crumbs: Vec<Region>,
    children: Vec<RegionSummary>,
    compounds: Vec<Compound>,
    /// Whether Open311 shows its reports without a key.
    open311: Option<crate::ops::regions::PublicReads>,
    /// The reader may open or close it (the region's officers, administrators).
    may_switch: bool,
}

/// Where a signed-in user starts: residents at their reports, others at their regions.
/// Each role lands on its work: supervisors and administrators on the
/// dashboard of what they oversee, everyone else on their problems' inbox.
pub(super) async fn home(viewer: Viewer) -> Redirect {
    let oversees = viewer.grants.iter().any(|g| matches!(g.role, Role::Admin | Role::Supervisor));
    Redirect::to(if oversees && viewer.region_roots().is_none_or(|r| !r.is_empty()) {
        "/dashboard"
    } else {
        "/problems"
    })
}

pub(super) async fn regions_root(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Response, UiError> {
    let children = match viewer.region_roots() {
        None => db::regions::roots(&s.db).await.page(t)?,
        Some(codes) if codes.len() == 1 => return Ok(Redirect::to(&format!("/regions/{}", codes[0])).into_response()),
        // Residents start at their reports; company and committee users at their compounds.
        Some(_) if viewer.resident_only() => return Ok(Redirect::to("/problems").into_response()),
        Some(codes) if codes.is_empty() => return Ok(Redirect::to("/compounds").into_response()),
        Some(codes) => {
            let mut v = Vec::new();
            for c in codes {
                v.push(db::regions::summary(&s.db, &c).await.page(t)?);
            }
            v
        }
    };
    Ok(render(&RegionPage {
        t,
        me: Me::of(&viewer),
        here: None,
        crumbs: vec![],
        children,
        compounds: vec![],
        open311: None,
        may_switch: false,
    })
    .into_response())
}

pub(super) async fn region_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(code): Path<String>,
) -> Result<Page, UiError> {
    let code = parse_code(&code).page(t)?;
    viewer.check_region(Action::Read, &code).page(t)?;
    let here = db::regions::summary(&s.db, &code).await.page(t)?;
    let crumbs = readable_lineage(&s, &viewer, &code).await.page(t)?;
    let children = db::regions::children(&s.db, &code).await.page(t)?;
    // Where compounds sit directly (communities and grids), show them here.
    let compounds = if children.is_empty() || code.level() >= domain::Level::Community {
        let f = filter_for(&s, &viewer, Some(code.as_str()), None, false).await.page(t)?;
        repo::list(&s.db, &f, Paging::new(None, Some(50))).await.page(t)?.0
    } else {
        vec![]
    };
    let open311 = Some(crate::ops::regions::open311_public(&s, &viewer, code.as_str()).await.page(t)?);
    let may_switch = viewer.check_region(Action::Supervise, &code).is_ok();
    Ok(render(&RegionPage {
        t,
        me: Me::of(&viewer),
        here: Some(here),
        crumbs,
        children,
        compounds,
        open311,
        may_switch,
    }))
}

#[derive(Deserialize)]
pub(super) struct PublicForm {
    #[serde(default)]
    public: String,
}

/// The region page's switch for Open311's public view.
pub(super) async fn region_open311(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(code): Path<String>,
    Form(f): Form<PublicForm>,
) -> Result<Redirect, UiError> {
    let now = crate::ops::regions::set_open311_public(&s, &viewer, &code, f.public == "yes").await.page(t)?;
    // The code as the operation parsed and found it.
    Ok(Redirect::to(&format!("/regions/{}", now.code)))
}

impl RegionPage {
    fn can_write(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.can_write)
    }

    /// Compounds may be created here: the rule the creation checks.
    fn holds_compounds(&self) -> bool {
        self.here.as_ref().is_some_and(|h| {
            domain::RegionCode::parse(&h.region.code).is_ok_and(|c| domain::compound::check_region(&c).is_ok())
        })
    }

    /// The switch is this region's own (not closed from above) and the reader may turn it.
    fn can_switch_open311(&self) -> bool {
        let own = match (&self.open311, &self.here) {
            (Some(o), Some(h)) => o.closed_by.as_ref().is_none_or(|c| *c == h.region.code),
            _ => false,
        };
        own && self.may_switch
    }
}
