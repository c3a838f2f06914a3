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
    Ok(render(&RegionPage { t, me: Me::of(&viewer), here: None, crumbs: vec![], children, compounds: vec![] })
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
    Ok(render(&RegionPage { t, me: Me::of(&viewer), here: Some(here), crumbs, children, compounds }))
}

impl RegionPage {
    fn can_write(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.can_write)
    }
}
