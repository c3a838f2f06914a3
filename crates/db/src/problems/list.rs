//! Which problems a reader sees, and the list filtered within it.

use super::*;

/// Who may see which problems: subtrees, compounds, a company's, or one reporter's own.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub all: bool,
    pub paths: Vec<domain::RegionPath>,
    pub compound_ids: Vec<i64>,
    pub company_ids: Vec<i64>,
    pub reporter_id: Option<i64>,
}

/// Which of the visible problems a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Open ones only (`Some(true)`), closed or rejected ones only (`Some(false)`), or all.
    pub open: Option<bool>,
    pub category: Option<String>,
    /// Reported at or after / before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only these ids (empty: any).
    pub ids: Vec<i64>,
}

impl ListFilter {
    pub fn open() -> ListFilter {
        ListFilter { open: Some(true), ..Default::default() }
    }
}

pub async fn list(db: &Db, v: &Visible, f: &ListFilter, page: domain::Paging) -> Result<(Vec<Problem>, u64)> {
    let mut vals: Vec<Value> = Vec::new();
    let mut any: Vec<String> = Vec::new();
    if v.all {
        any.push("1 = 1".into());
    }
    for p in &v.paths {
        let (lo, hi) = p.subtree_range();
        vals.push(lo.into());
        vals.push(hi.into());
        any.push(format!("(p.region_path >= ${} AND p.region_path < ${})", vals.len() - 1, vals.len()));
    }
    let ids = |xs: &[i64]| xs.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    if !v.compound_ids.is_empty() {
        any.push(format!("p.compound_id IN ({})", ids(&v.compound_ids)));
    }
    if !v.company_ids.is_empty() {
        any.push(format!("(p.handler_kind = 'company' AND p.handler_org_id IN ({}))", ids(&v.company_ids)));
    }
    if let Some(r) = v.reporter_id {
        vals.push(r.into());
        any.push(format!("p.reporter_id = ${}", vals.len()));
    }
    if any.is_empty() {
        any.push("1 = 0".into());
    }
    let mut filter = format!(" WHERE ({})", any.join(" OR "));
    match f.open {
        Some(true) => filter.push_str(" AND p.state NOT IN ('closed', 'rejected')"),
        Some(false) => filter.push_str(" AND p.state IN ('closed', 'rejected')"),
        None => {}
    }
    if let Some(c) = &f.category {
        vals.push(c.clone().into());
        filter.push_str(&format!(" AND p.category = ${}", vals.len()));
    }
    if let Some(t) = f.from {
        vals.push(t.into());
        filter.push_str(&format!(" AND p.submitted_at >= ${}", vals.len()));
    }
    if let Some(t) = f.to {
        vals.push(t.into());
        filter.push_str(&format!(" AND p.submitted_at < ${}", vals.len()));
    }
    if !f.ids.is_empty() {
        filter.push_str(&format!(" AND p.id IN ({})", ids(&f.ids)));
    }
    // Overdue first, then the nearest deadline.
    Ok(page_of(db.conn(), SELECT, "problem p", &filter, "p.overdue DESC, p.resolve_by, p.id", vals, page).await?)
}
