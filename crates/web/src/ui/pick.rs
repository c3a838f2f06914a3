//! Pickers: a record chosen by name instead of a typed id. The page offers
//! what matches as the reader types (`/pick/…`, JSON, for `app.js`); the
//! server resolves what comes back, within the reader's scope, and says
//! which records a name could mean when it is not one.

use axum::Json;
use axum::extract::{Query, State};
use domain::access::{Role, Scope};
use domain::org::OrgKind;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// At most this many suggestions an answer.
const SUGGEST: u64 = 20;

#[derive(Deserialize)]
pub(super) struct PickQuery {
    q: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Choice {
    id: i64,
    /// What the field shows and sends back: "name · region #id".
    label: String,
}

fn label(c: &db::compounds::Compound) -> String {
    format!("{} · {} #{}", c.name, c.region_name, c.id)
}

async fn matching(
    s: &AppState,
    viewer: &Viewer,
    q: &str,
    n: u64,
) -> Result<(Vec<db::compounds::Compound>, u64), AppError> {
    let f = db::compounds::Filter {
        within: None,
        visible: viewer.visible(),
        name: Some(q.trim().chars().take(50).collect()),
        include_retired: false,
        ..Default::default()
    };
    Ok(db::compounds::list(&s.db, &f, domain::Paging::new(None, Some(n))).await?)
}

/// Compounds the reader sees whose name holds `q`.
pub(super) async fn compounds(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<PickQuery>,
) -> Result<Json<Vec<Choice>>, AppError> {
    let q = p.q.unwrap_or_default();
    let rows = matching(&s, &viewer, &q, SUGGEST).await?.0;
    Ok(Json(rows.iter().map(|c| Choice { id: c.id, label: label(c) }).collect()))
}

/// The compound a form's field names: a listed id, a picked label
/// ("… #id"), or a name that only one compound in scope has. Whether the
/// reader may act there is the operation's to decide.
pub(super) async fn compound(s: &AppState, viewer: &Viewer, text: &str) -> Result<i64, AppError> {
    let text = text.trim();
    let id = text.rsplit_once('#').map_or(text, |(_, id)| id).trim();
    if let Ok(id) = id.parse::<i64>() {
        return Ok(id);
    }
    if text.is_empty() {
        return Err(domain::Invalid::new("compound", "choose the compound").zh("请选择小区").into());
    }
    let (rows, total) = matching(s, viewer, text, 6).await?;
    let exact: Vec<_> = rows.iter().filter(|c| c.name == text).collect();
    match (exact.as_slice(), total) {
        ([one], _) => Ok(one.id),
        (_, 1) => Ok(rows[0].id),
        (_, 0) => Err(domain::Invalid::new("compound", format!("no compound you can see is called {text:?}"))
            .zh(format!("您可见的范围内没有名为“{text}”的小区"))
            .into()),
        _ => {
            let names = rows.iter().take(5).map(label).collect::<Vec<_>>();
            let more = if total > 5 { "…" } else { "" };
            Err(domain::Invalid::new(
                "compound",
                format!("{total} compounds match {text:?}: {}{more}; choose one from the list", names.join(", ")),
            )
            .zh(format!("有 {total} 个小区与“{text}”相符：{}{more}；请从列表中选择", names.join("、")))
            .into())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ScopeQuery {
    role: Option<String>,
    q: Option<String>,
}

/// A scope a role may be given, as a picker offers it.
#[derive(Serialize)]
pub(super) struct ScopeChoice {
    /// As stored: a region code, `company:ID`, `compound:ID` or `unit:ID`.
    scope: String,
    /// "名称 … #scope": what the field shows and sends back.
    label: String,
}

/// Scopes for `role` matching `q`: regions, companies, compounds or units.
pub(super) async fn scopes(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ScopeQuery>,
) -> Result<Json<Vec<ScopeChoice>>, AppError> {
    crate::ops::users::admin_only(&viewer)?;
    let role = Role::parse(p.role.as_deref().unwrap_or(""))?;
    Ok(Json(scope_choices(&s, &viewer, role, p.q.as_deref().unwrap_or(""), SUGGEST).await?))
}

async fn scope_choices(
    s: &AppState,
    viewer: &Viewer,
    role: Role,
    q: &str,
    n: u64,
) -> Result<Vec<ScopeChoice>, AppError> {
    let q: String = q.trim().chars().take(50).collect();
    let choice = |scope: String, name: String| ScopeChoice { label: format!("{name} #{scope}"), scope };
    Ok(match role {
        // "东风 1号楼 301": compound, building, unit number, each optional after the first.
        Role::Resident => {
            let mut parts = q.split_whitespace();
            let (c, b, u) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            db::compounds::search_units(&s.db, &viewer.visible(), c, b, u, n)
                .await?
                .into_iter()
                .map(|u| choice(format!("unit:{}", u.id), u.words()))
                .collect()
        }
        Role::Committee => matching(s, viewer, &q, n)
            .await?
            .0
            .into_iter()
            .map(|c| choice(format!("compound:{}", c.id), format!("{} · {}", c.name, c.region_name)))
            .collect(),
        Role::Company => {
            let f =
                db::structure::OrgFilter { kind: Some(OrgKind::Company), name: Some(q.clone()), ..viewer.org_filter() };
            db::structure::list_orgs(&s.db, &f, domain::Paging::new(None, Some(n)))
                .await?
                .0
                .into_iter()
                .map(|o| choice(format!("company:{}", o.id), format!("{} · {}", o.name, o.region_name)))
                .collect()
        }
        _ => db::regions::search(&s.db, &q, n)
            .await?
            .into_iter()
            .map(|r| choice(r.code.clone(), format!("{} {}", r.name, r.code)))
            .collect(),
    })
}

/// The scope a form's field names: a picked label ("… #scope"), a scope as
/// written (`unit:56`, a region code, `all`), or words that only one record
/// fits. Whether it exists and suits the role is the operation's to check.
pub(super) async fn scope(s: &AppState, viewer: &Viewer, role: &str, text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if let Some((_, scope)) = text.rsplit_once('#') {
        return Ok(scope.trim().to_owned());
    }
    let Ok(role) = Role::parse(role) else { return Ok(text.to_owned()) };
    if text.is_empty() || Scope::parse(text).is_ok() {
        return Ok(text.to_owned());
    }
    let found = scope_choices(s, viewer, role, text, 6).await?;
    match found.as_slice() {
        [one] => Ok(one.scope.clone()),
        [] => Err(domain::Invalid::new("scope", format!("nothing a {} may be given matches {text:?}", role.as_str()))
            .zh(format!("没有与“{text}”相符、可授予该角色的范围"))
            .into()),
        many => {
            let names = many.iter().take(5).map(|c| c.label.as_str()).collect::<Vec<_>>();
            Err(domain::Invalid::new(
                "scope",
                format!("{text:?} could be {}…; choose one from the list", names.join(", ")),
            )
            .zh(format!("“{text}”可能是：{}……请从列表中选择", names.join("、")))
            .into())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct AlikeQuery {
    /// The compound as the report form has it (an id, or a picked label).
    compound: Option<String>,
    category: Option<String>,
}

/// How many open reports like the one being written exist (a count only).
pub(super) async fn alike(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<AlikeQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let id = compound(&s, &viewer, p.compound.as_deref().unwrap_or("")).await?;
    let n = crate::ops::problems::alike(&s, &viewer, id, p.category.as_deref().unwrap_or("")).await?;
    Ok(Json(serde_json::json!({ "count": n })))
}
