//! Where a report is, from any face that does not pick a compound from a
//! list: by its id, by a point near it, or by a typed address — always
//! among the compounds the caller may report in. And Open311's public view:
//! reports anyone may read, without personal data, from regions that have
//! not turned it off.

use db::problems::{ListFilter, Problem};
use domain::geo::{AddressMatch, NEAREST_MAX_M, match_address, nearest};
use domain::{GeoPoint, Invalid, Paging};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// Where a client says a report is. The first given decides: the compound's
/// id, else the point, else the typed address.
#[derive(Debug, Clone, Default)]
pub struct Where<'a> {
    pub address_id: Option<i64>,
    pub point: Option<GeoPoint>,
    pub address: &'a str,
}

/// The compound found, and how (for the client's notice).
#[derive(Debug, Clone)]
pub struct Located {
    pub compound_id: i64,
    pub name: String,
    /// How far the point lay from the compound's, when found by a point.
    pub metres: Option<f64>,
    /// The place inside the compound: the typed address without the compound's name or address.
    pub place: String,
}

fn located(c: db::compounds::Compound, metres: Option<f64>, typed: &str) -> Located {
    let place = domain::geo::place_within(&c.name, &c.address, typed);
    Located { compound_id: c.id, name: c.name, metres, place }
}

/// The longest typed address taken (the place inside a compound is at most 100 characters).
const ADDRESS_MAX: usize = 100;

pub async fn locate(s: &AppState, viewer: &Viewer, w: &Where<'_>) -> Result<Located, AppError> {
    if w.address.chars().count() > ADDRESS_MAX {
        return Err(AppError::invalid(vec![
            Invalid::new("address_string", format!("address_string is longer than {ADDRESS_MAX} characters"))
                .zh(format!("address_string 不能超过 {ADDRESS_MAX} 个字")),
        ]));
    }
    let visible = db::compounds::Filter { visible: viewer.visible(), ..Default::default() };
    if let Some(id) = w.address_id {
        let c = crate::ops::problems::report_compound(s, viewer, id).await?;
        // A point sent beside the id must lie at the compound, not anywhere.
        if let (Some(p), Some(at)) = (w.point, c.location()) {
            let m = p.distance_m(at);
            if m > NEAREST_MAX_M {
                return Err(AppError::invalid(vec![
                    Invalid::new("lat", format!("lat/long lie {m:.0} m from the compound of address_id {id}; send the point where the problem is"))
                        .zh(format!("lat/long 距 address_id {id} 所指小区 {m:.0} 米；请发送问题所在位置")),
                ]));
            }
        }
        return Ok(located(c, None, w.address));
    }
    if let Some(p) = w.point {
        let (lat, lng) = p.box_around(NEAREST_MAX_M);
        // The nearest compound of all decides: a point at a compound the caller may not
        // report in is refused, never filed into a neighbour it may.
        let everyone = db::compounds::Filter {
            visible: db::compounds::Visible { all: true, ..Default::default() },
            ..Default::default()
        };
        let all_near = db::compounds::located_in_box(&s.db, &everyone, p, lat, lng).await?;
        let near = db::compounds::located_in_box(&s.db, &visible, p, lat, lng).await?;
        let overall = nearest(p, &all_near, NEAREST_MAX_M);
        let mine = nearest(p, &near, NEAREST_MAX_M);
        if let (Some((a, _)), Some((b, _))) = (overall, mine)
            && a != b
        {
            return Err(AppError::invalid(vec![
                Invalid::new(
                    "lat",
                    format!(
                        "the compound nearest {:.6}, {:.6} is not one you may report in; send address_id",
                        p.lat(),
                        p.lng()
                    ),
                )
                .zh(format!(
                    "距 {:.6}, {:.6} 最近的小区不在您可报告的范围内；请改用 address_id",
                    p.lat(),
                    p.lng()
                )),
            ]));
        }
        let Some((id, metres)) = mine else {
            return Err(AppError::invalid(vec![
                Invalid::new(
                    "lat",
                    format!(
                        "no compound you may report in lies within {NEAREST_MAX_M} m of {:.6}, {:.6} (WGS-84); send address_id",
                        p.lat(),
                        p.lng()
                    ),
                )
                .zh(format!("{:.6}, {:.6} 周边 {NEAREST_MAX_M} 米内没有您可报告的小区；请改用 address_id", p.lat(), p.lng())),
            ]));
        };
        let c = crate::ops::problems::report_compound(s, viewer, id).await?;
        return Ok(located(c, Some(metres), w.address));
    }
    if w.address.trim().is_empty() {
        return Err(AppError::invalid(vec![
            Invalid::new("address_id", "say where: address_id, lat and long, or address_string")
                .zh("请给出位置：address_id、lat 与 long，或 address_string"),
        ]));
    }
    let found = db::compounds::address_candidates(&s.db, &visible, w.address).await?;
    let named: Vec<(i64, &str, &str)> = found.iter().map(|c| (c.id, c.name.as_str(), c.address.as_str())).collect();
    let shown: String = domain::text::printable(w.address.trim()).chars().take(50).collect();
    match match_address(w.address, &named) {
        AddressMatch::One(id) => {
            let c = crate::ops::problems::report_compound(s, viewer, id).await?;
            Ok(located(c, None, w.address))
        }
        AddressMatch::Several(ids) => {
            // Candidates come from the caller's own scope: naming them leaks nothing.
            let mut list = found
                .iter()
                .filter(|c| ids.contains(&c.id))
                .take(10)
                .map(|c| format!("{} (address_id {})", c.name, c.id))
                .collect::<Vec<_>>()
                .join(", ");
            if ids.len() > 10 {
                list.push_str(&format!(" and {} more", ids.len() - 10));
            }
            Err(AppError::invalid(vec![
                Invalid::new("address_string", format!("{shown:?} could be any of: {list}; send address_id"))
                    .zh(format!("“{shown}”可能是以下任一小区：{list}；请改用 address_id")),
            ]))
        }
        AddressMatch::None => Err(AppError::invalid(vec![
            Invalid::new("address_string", format!("no compound you may report in is called or lies at {shown:?}"))
                .zh(format!("没有名称或地址为“{shown}”的您可报告的小区")),
        ])),
    }
}

/// Reports anyone may read: every region's but those closed to the public view,
/// and only those filed since residents were told their description may be
/// public (`db::problems::public_since`). The face shows them without
/// personal data (see `open311::Facts`).
pub async fn public_list(s: &AppState, f: &ListFilter, paging: Paging) -> Result<Vec<Problem>, AppError> {
    let mut f = f.clone();
    f.except = db::regions::open311_closed(&s.db).await?.into_iter().map(|(_, p)| p).collect();
    if let Some(since) = db::problems::public_since(&s.db).await? {
        f.from = Some(f.from.map_or(since, |from| from.max(since)));
    }
    let all = db::problems::Visible { all: true, ..Default::default() };
    Ok(db::problems::list(&s.db, &all, &f, paging).await?.0)
}

/// One report anyone may read (as `public_list` decides), else 404.
pub async fn public_load(s: &AppState, id: i64) -> Result<Problem, AppError> {
    let p = db::problems::get(&s.db, id).await?;
    let since = db::problems::public_since(&s.db).await?;
    if since.is_some_and(|t| p.submitted_at < t) || db::regions::open311_closed_over(&s.db, &p.region_path).await? {
        return Err(AppError::not_found());
    }
    Ok(p)
}
