//! The hotline's rates (response, resolution, on time, satisfaction) per region, child region and company.

use super::*;

/// The hotline rates of the problems reported in `[from, to)` in a subtree
/// and/or routed to a company.
pub async fn rates(
    db: &Db,
    within: Option<&domain::RegionPath>,
    company: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<domain::problem::Rates> {
    let rows = rates_grouped(db, within, company, None, from, to).await?;
    Ok(rows.into_iter().next().map(|(_, r)| r).unwrap_or_default())
}

/// The rates of one group: a company or a child region.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRates {
    /// The company's id or the region's code.
    pub key: String,
    pub name: String,
    pub rates: domain::problem::Rates,
}

/// The hotline rates per company that handled problems reported in `[from, to)`
/// in a subtree, most problems first. Problems the community handled (no serving
/// company) are not in any row.
pub async fn rates_by_company(
    db: &Db,
    within: &domain::RegionPath,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupRates>> {
    let rows = rates_grouped(db, Some(within), None, Some("CAST(p.handler_org_id AS TEXT)"), from, to).await?;
    let ids: Vec<i64> = rows.iter().filter_map(|(k, _)| k.parse().ok()).collect();
    let names = crate::structure::org_names(db, &ids).await?;
    let mut out: Vec<GroupRates> = rows
        .into_iter()
        .filter_map(|(key, rates)| {
            let id: i64 = key.parse().ok()?;
            Some(GroupRates { name: names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")), key, rates })
        })
        .collect();
    out.sort_by(|a, b| b.rates.submitted.cmp(&a.rates.submitted).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// The hotline rates per child region of `parent` for problems reported in
/// `[from, to)`, every child listed (those without problems show zeros).
pub async fn rates_by_child(
    db: &Db,
    parent: Option<&domain::RegionCode>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupRates>> {
    let children = crate::regions::kids(db, parent).await?;
    let Some(first) = children.first() else { return Ok(vec![]) };
    // Every child's path has the same length: its code's length is fixed by level.
    let key = format!("substr(p.region_path, 1, {})", first.path.len());
    let within = parent.map(|p| p.path());
    let rows = rates_grouped(db, within.as_ref(), None, Some(&key), from, to).await?;
    let by: std::collections::HashMap<String, domain::problem::Rates> = rows.into_iter().collect();
    Ok(children
        .into_iter()
        .map(|c| GroupRates { rates: by.get(&c.path).copied().unwrap_or_default(), key: c.code, name: c.name })
        .collect())
}

/// The rates of the problems reported in `[from, to)` (in a subtree, routed
/// to a company) grouped by the SQL expression `group` (our own text, never
/// user input), or not at all (one row). Only the `handler_kind = 'company'` problems count when
/// grouping by company, so `group` over `handler_org_id` sees no NULL key.
pub(super) async fn rates_grouped(
    db: &Db,
    within: Option<&domain::RegionPath>,
    company: Option<i64>,
    group: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, domain::problem::Rates)>> {
    let mut vals: Vec<Value> = vec![from.into(), to.into()];
    // A report its resident took back (撤回) is not counted.
    let mut filter =
        format!(" WHERE p.submitted_at >= $1 AND p.submitted_at < $2 AND p.state <> '{}'", State::Withdrawn.as_str());
    if let Some(w) = within {
        let (lo, hi) = w.subtree_range();
        vals.push(lo.into());
        vals.push(hi.into());
        filter.push_str(&format!(" AND p.region_path >= ${} AND p.region_path < ${}", vals.len() - 1, vals.len()));
    }
    if let Some(c) = company {
        vals.push(c.into());
        filter.push_str(&format!(" AND p.handler_kind = 'company' AND p.handler_org_id = ${}", vals.len()));
    } else if group.is_some_and(|g| g.contains("handler_org_id")) {
        filter.push_str(" AND p.handler_kind = 'company'");
    }
    let sum = crate::sql::count_when;
    let first =
        |step: &str| format!("(SELECT MIN(e.at) FROM problem_event e WHERE e.problem_id = p.id AND e.step = '{step}')");
    #[derive(FromQueryResult)]
    struct Row {
        k: String,
        submitted: i64,
        responded: i64,
        resolved: i64,
        on_time: i64,
        rated: i64,
        satisfied: i64,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        &format!(
            "SELECT {} AS k, COUNT(*) AS submitted, {} AS responded, {} AS resolved, {} AS on_time, {} AS rated, \
             {} AS satisfied FROM problem p{filter}{}",
            group.unwrap_or("''"),
            sum(&format!("{} <= p.accept_by", first("accept"))),
            sum(&format!("{} IS NOT NULL", first("resolve"))),
            sum(&format!("{} <= p.resolve_by", first("resolve"))),
            sum("p.rating IS NOT NULL"),
            sum(&format!("p.rating IN ({})", satisfied_sql())),
            group.map(|g| format!(" GROUP BY {g}")).unwrap_or_default(),
        ),
        vals,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let rates = domain::problem::Rates {
                submitted: r.submitted,
                responded: r.responded,
                resolved: r.resolved,
                on_time: r.on_time,
                rated: r.rated,
                satisfied: r.satisfied,
            };
            (r.k, rates)
        })
        .collect())
}
