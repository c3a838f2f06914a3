//! Pickers: a record chosen by name instead of a typed id. The page offers
//! what matches as the reader types (`/pick/…`, JSON, for `app.js`); the
//! server resolves what comes back, within the reader's scope, and says
//! which records a name could mean when it is not one.

use axum::Json;
use axum::extract::{Query, State};
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
