//! Writing residents' reports: routing, the timeline's first event, possible duplicates, in groups (`intake`).

use super::*;

/// A report ready to write: checked, its compound loaded (and the caller's
/// scope over it checked), its clock read.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub actor: Actor,
    pub compound_id: i64,
    pub compound_name: String,
    pub region_path: String,
    pub category: String,
    pub description: String,
    pub location: String,
    /// Kept to microseconds, as both backends store it.
    pub now: DateTime<Utc>,
    /// From the category's deadlines at the time of the report.
    pub deadlines: problem::Deadlines,
}

impl NewReport {
    pub fn new(
        actor: &Actor,
        compound: &crate::compounds::Compound,
        category: &Category,
        description: &str,
        location: &str,
        now: DateTime<Utc>,
    ) -> Result<NewReport, domain::Invalid> {
        use chrono::SubsecRound;
        let description = description.trim();
        let location = location.trim();
        if location.chars().count() > 100 {
            return Err(domain::Invalid::new("location", "the place in the compound is longer than 100 characters")
                .zh("小区内位置不能超过 100 个字"));
        }
        // Open311's bound: clients may send 4,000 characters.
        if description.is_empty() || description.chars().count() > 4000 {
            return Err(domain::Invalid::new("description", "describe the problem in 1–4000 characters")
                .zh("请用 1–4000 个字描述问题"));
        }
        domain::text::check("description", description)?;
        domain::text::check("location", location)?;
        if compound.retired_at.is_some() {
            return Err(domain::Invalid::new("compound_id", "this compound is retired").zh("该小区已注销"));
        }
        if !category.active {
            return Err(domain::Invalid::new("category", "this category is no longer offered").zh("该类别已停用"));
        }
        let now = now.trunc_subsecs(6);
        Ok(NewReport {
            actor: actor.clone(),
            compound_id: compound.id,
            compound_name: compound.name.clone(),
            region_path: compound.region_path.clone(),
            category: category.code.clone(),
            description: description.to_owned(),
            location: location.to_owned(),
            now,
            deadlines: problem::deadlines(category, now),
        })
    }
}

/// A report as written: the problem, its first timeline event, and the
/// possible duplicates pointed out to the reporter.
#[derive(Debug, Clone)]
pub struct Written {
    pub problem: Problem,
    pub event: Event,
    /// See `possible_duplicates`.
    pub alike: Vec<i64>,
}

/// Report one problem (see `write_reports`).
pub async fn create(db: &Db, report: &NewReport) -> Result<Written> {
    let mut out = write_reports(db, std::slice::from_ref(report)).await?;
    out.pop().ok_or(DbError::NotFound)
}

/// Write reports in one transaction: each routed, as it is inserted, to the
/// company serving its compound that day (China time), else to its
/// community, with its first timeline event and its possible duplicates.
/// Three statements whatever the number of reports (`Intake` gathers those
/// that arrive together). The answer is built from what was written: nothing
/// is read back.
pub async fn write_reports(db: &Db, reports: &[NewReport]) -> Result<Vec<Written>> {
    if reports.is_empty() {
        return Ok(vec![]);
    }
    const COLS: usize = 10;
    let mut vals: Vec<Value> = Vec::with_capacity(reports.len() * COLS);
    for r in reports {
        let d = r.deadlines;
        vals.extend([
            r.compound_id.into(),
            r.region_path.clone().into(),
            r.category.clone().into(),
            r.description.clone().into(),
            r.actor.id.into(),
            r.now.into(),
            d.accept_by.into(),
            d.resolve_by.into(),
            r.location.clone().into(),
            domain::clock::china_date(r.now).into(),
        ]);
    }
    // VALUES columns are named column1… on both backends.
    let sql = format!(
        "INSERT INTO problem (compound_id, region_path, category, description, state, reporter_id, handler_kind, \
         handler_org_id, supervised_at, overdue, submitted_at, accept_by, resolve_by, updated_at, location) \
         SELECT r.column1, r.column2, r.column3, r.column4, 'submitted', r.column5, \
         CASE WHEN r.org IS NULL THEN 'community' ELSE 'company' END, r.org, 'community', FALSE, \
         r.column6, r.column7, r.column8, r.column6, r.column9 \
         FROM (SELECT v.*, (SELECT f.ref_id FROM compound_fact f WHERE f.compound_id = v.column1 \
         AND f.kind = 'company' AND f.valid_from <= v.column10 AND (f.valid_to IS NULL OR f.valid_to > v.column10)) \
         AS org FROM (VALUES {}) AS v) AS r \
         RETURNING id, compound_id, reporter_id, category, description, location, submitted_at, accept_by, \
         resolve_by, handler_kind, handler_org_id",
        crate::sql::placeholders(db.backend(), reports.len(), COLS)
    );
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        compound_id: i64,
        reporter_id: Option<i64>,
        category: String,
        description: String,
        location: String,
        submitted_at: DateTime<Utc>,
        accept_by: DateTime<Utc>,
        resolve_by: DateTime<Utc>,
        handler_kind: String,
        handler_org_id: Option<i64>,
    }
    let tx = db.begin_write_in_scope().await?;
    let mut rows: Vec<Option<Row>> = all::<Row>(&*tx, &sql, vals).await?.into_iter().map(Some).collect();
    // RETURNING promises no order: each report takes the written row that
    // carries its own values. Reports alike in every value get rows alike in
    // all but the id, so which of them takes which id does not matter.
    let mut out = Vec::with_capacity(reports.len());
    for r in reports {
        let row = rows
            .iter_mut()
            .find(|w| {
                w.as_ref().is_some_and(|w| {
                    w.compound_id == r.compound_id
                        && w.reporter_id == r.actor.id
                        && w.category == r.category
                        && w.description == r.description
                        && w.location == r.location
                        && w.submitted_at == r.now
                })
            })
            .and_then(Option::take)
            .ok_or_else(|| DbError::Internal(sea_orm::DbErr::Custom("a written report was not returned".into())))?;
        let p = Problem {
            id: row.id,
            compound_id: r.compound_id,
            compound_name: r.compound_name.clone(),
            region_path: r.region_path.clone(),
            category: row.category,
            description: row.description,
            location: row.location,
            state: State::Submitted,
            reporter_id: row.reporter_id,
            handler_kind: problem::Handler::find(&row.handler_kind)
                .ok_or_else(|| DbError::Internal(sea_orm::DbErr::Custom("a report was routed to no handler".into())))?,
            handler_org_id: row.handler_org_id,
            supervised_at: Level::Community.as_str().to_owned(),
            overdue: false,
            submitted_at: row.submitted_at,
            accept_by: row.accept_by,
            resolve_by: row.resolve_by,
            resolved_at: None,
            rating: None,
            reason: None,
            updated_at: row.submitted_at,
        };
        let e = Event {
            at: r.now,
            actor: r.actor.login.clone(),
            step: "submit".into(),
            from_state: None,
            to_state: State::Submitted.as_str().into(),
            note: String::new(),
        };
        out.push(Written { problem: p, event: e, alike: vec![] });
    }
    let mut ev: Vec<Value> = Vec::with_capacity(out.len() * 3);
    for w in &out {
        ev.extend([w.problem.id.into(), w.event.at.into(), w.event.actor.clone().into()]);
    }
    exec(
        &*tx,
        &format!(
            "INSERT INTO problem_event (problem_id, at, actor, step, from_state, to_state, note) \
             SELECT e.column1, e.column2, e.column3, 'submit', NULL, 'submitted', '' FROM (VALUES {}) AS e",
            crate::sql::placeholders(db.backend(), out.len(), 3)
        ),
        ev,
    )
    .await?;
    alike_in_batch(&*tx, &mut out).await?;
    // Reports are not in the audit chain: the chain is one sequence, and its
    // lock held to each commit made intake on PostgreSQL 2.2× slower (its
    // writers could no longer commit side by side). The report row and its
    // `submit` event (who, when) are the record; every later change of a
    // problem is audited (decision 0006).
    tx.commit().await?;
    Ok(out)
}

pub(super) fn problem_change<'a>(
    action: &'a str,
    p: &Problem,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> crate::audit::Change<'a> {
    crate::audit::Change::new(action, "problem", p.id, Some(p.region_path.clone())).before(before).after(after)
}

/// Fill in each written report's possible duplicates (see `possible_duplicates`) with
/// one statement for the batch: per compound and category, the latest open
/// reports of the week, enough to leave five for each report.
pub(super) async fn alike_in_batch(c: &impl ConnectionTrait, out: &mut [Written]) -> Result<()> {
    /// The reports of one compound and category in the batch.
    struct Group<'a> {
        compound_id: i64,
        category: &'a str,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        n: i64,
    }
    let mut groups: Vec<Group> = Vec::new();
    for w in out.iter() {
        let p = &w.problem;
        match groups.iter_mut().find(|g| g.compound_id == p.compound_id && g.category == p.category) {
            Some(g) => {
                g.first = g.first.min(p.submitted_at);
                g.last = g.last.max(p.submitted_at);
                g.n += 1;
            }
            None => groups.push(Group {
                compound_id: p.compound_id,
                category: &p.category,
                first: p.submitted_at,
                last: p.submitted_at,
                n: 1,
            }),
        }
    }
    let mut parts = Vec::with_capacity(groups.len());
    let mut vals: Vec<Value> = Vec::with_capacity(groups.len() * 5);
    let open = states_sql(State::is_open);
    for (i, g) in groups.iter().enumerate() {
        let k = vals.len();
        parts.push(format!(
            "SELECT * FROM (SELECT id, compound_id, category, submitted_at FROM problem WHERE compound_id = ${} \
             AND category = ${} AND state IN ({open}) AND submitted_at >= ${} AND submitted_at <= ${} \
             ORDER BY submitted_at DESC LIMIT ${}) AS a{i}",
            k + 1,
            k + 2,
            k + 3,
            k + 4,
            k + 5,
        ));
        vals.extend([
            g.compound_id.into(),
            g.category.to_owned().into(),
            (g.first - Duration::days(7)).into(),
            g.last.into(),
            (5 + g.n).into(),
        ]);
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        compound_id: i64,
        category: String,
        submitted_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = all(c, &parts.join(" UNION ALL "), vals).await?;
    for w in out.iter_mut() {
        let p = &w.problem;
        let mut alike: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.compound_id == p.compound_id
                    && r.category == p.category
                    && r.id != p.id
                    && r.submitted_at <= p.submitted_at
                    && r.submitted_at >= p.submitted_at - Duration::days(7)
            })
            .collect();
        alike.sort_by_key(|r| (std::cmp::Reverse(r.submitted_at), std::cmp::Reverse(r.id)));
        w.alike = alike.iter().take(5).rev().map(|r| r.id).collect();
    }
    Ok(())
}

/// Possibly the same problem: the latest few (at most 5) open problems of the
/// same compound and category reported in the seven days up to this one,
/// oldest first. (A report being written gets them from `write_reports`.)
pub async fn possible_duplicates(db: &Db, p: &Problem) -> Result<Vec<i64>> {
    let open = states_sql(State::is_open);
    let rows: Vec<Id> = all(
        db.conn(),
        &format!(
            "SELECT id FROM problem WHERE compound_id = $1 AND category = $2 AND id <> $3 \
             AND state IN ({open}) AND submitted_at >= $4 AND submitted_at <= $5 ORDER BY submitted_at DESC LIMIT 5"
        ),
        vec![
            p.compound_id.into(),
            p.category.clone().into(),
            p.id.into(),
            (p.submitted_at - Duration::days(7)).into(),
            p.submitted_at.into(),
        ],
    )
    .await?;
    Ok(rows.into_iter().rev().map(|r| r.id).collect())
}

/// How many open problems of `category` were reported in `compound_id` in the
/// seven days up to `now`: what a report about to be made may repeat (the
/// form says so before it is sent, without naming anyone's report).
pub async fn alike_count(db: &Db, compound_id: i64, category: &str, now: DateTime<Utc>) -> Result<i64> {
    let open = states_sql(State::is_open);
    Ok(crate::sql::scalar_i64(
        db.conn(),
        &format!(
            "SELECT COUNT(*) FROM problem WHERE compound_id = $1 AND category = $2 AND state IN ({open}) \
             AND submitted_at >= $3 AND submitted_at <= $4"
        ),
        vec![compound_id.into(), category.into(), (now - Duration::days(7)).into(), now.into()],
    )
    .await?)
}
