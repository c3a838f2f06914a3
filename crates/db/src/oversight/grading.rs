//! Grading: the scheme in force for a region on a date (kept with its
//! history), the facts that count in a period — each with its source, so
//! every point is explained — the scores and grades they give, publication,
//! objections and their rulings, recorded facts, talks (约谈) and the
//! inspections each grade makes due.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use domain::audit::Actor;
use domain::grading::{ObjectionState, Period, Scheme, Score};
use domain::{RegionCode, RegionPath};
use sea_orm::{FromQueryResult, Value};
use serde::Serialize;

use super::{instants, range, row_visible};
use crate::audit::Change;
use crate::problems::Visible;
use crate::sql::{Id, all, exec, insert_id, known, one, scalar_i64};
use crate::{Db, DbError, Result};

// ---- schemes ---------------------------------------------------------------

/// The scheme in force for a region on a date, and where it was set.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeInForce {
    pub scheme: Scheme,
    /// The region that chose it (an ancestor, or the region itself); None:
    /// the country's default, or the built-in four colours when nobody chose.
    pub region_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct SchemeRow {
    pub id: i64,
    pub region_code: Option<String>,
    pub valid_from: NaiveDate,
    pub scheme: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

impl SchemeRow {
    fn parsed(&self) -> Result<Scheme> {
        serde_json::from_str(&self.scheme)
            .map_err(|e| DbError::Internal(sea_orm::DbErr::Type(format!("grading scheme {}: {e}", self.id))))
    }
}

/// Choose the scheme of `region` (None: the country's default) from `valid_from` on.
pub async fn set_scheme(
    db: &Db,
    actor: &Actor,
    region: Option<&RegionCode>,
    valid_from: NaiveDate,
    s: &Scheme,
    now: DateTime<Utc>,
) -> Result<()> {
    s.check()?;
    if s.cadence.period_of(valid_from).start != valid_from || !(2000..=2100).contains(&valid_from.year()) {
        let first = s.cadence.period_of(valid_from).start;
        return Err(domain::Invalid::new(
            "valid_from",
            format!("a scheme starts with one of its periods: {first}, not {valid_from}"),
        )
        .zh(format!("评价方案须从评价周期的第一天起施行（如 {first}），不能是 {valid_from}"))
        .into());
    }
    let tx = db.begin_write().await?;
    // Periods already published keep the scheme they were graded by.
    let (lo, hi) = match region {
        Some(r) => range(&r.path()),
        None => ("/".to_owned().into(), "0".to_owned().into()),
    };
    let published = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM grade_publication WHERE region_path >= $1 AND region_path < $2 AND period_end > $3",
        vec![lo, hi, valid_from.into()],
    )
    .await?;
    if published > 0 {
        return Err(DbError::Conflict(format!(
            "{published} published period(s) end after {valid_from}; a new scheme starts after the last published period"
        )));
    }
    let code = region.map(|r| r.as_str().to_owned());
    exec(
        &*tx,
        "DELETE FROM grading_scheme WHERE COALESCE(region_code, '') = $1 AND valid_from = $2",
        vec![code.clone().unwrap_or_default().into(), valid_from.into()],
    )
    .await?;
    exec(
        &*tx,
        "INSERT INTO grading_scheme (region_code, valid_from, scheme, set_by, set_at) VALUES ($1,$2,$3,$4,$5)",
        vec![
            code.clone().into(),
            valid_from.into(),
            serde_json::to_string(s).expect("a scheme serialises").into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new(
        "set_scheme",
        "grading_scheme",
        code.clone().unwrap_or_else(|| "all".into()),
        region.map(|r| r.path().as_str().to_owned()),
    )
    .after(serde_json::json!({"key": s.key, "valid_from": valid_from}))
    .append_in(&*tx, actor)
    .await?;
    tx.commit().await?;
    Ok(())
}

const SCHEME_COLS: &str = "id, region_code, valid_from, scheme, set_by, set_at";

/// The scheme in force for `region` on `on`: the nearest region up the
/// lineage that chose one by then (its latest choice), else the country's
/// default, else the four colours.
pub async fn scheme_on(db: &Db, region: Option<&RegionCode>, on: NaiveDate) -> Result<SchemeInForce> {
    let codes: Vec<String> =
        region.map(|r| r.lineage().iter().map(|c| c.as_str().to_owned()).collect()).unwrap_or_default();
    let mut vals: Vec<Value> = vec![on.into()];
    let list: Vec<String> = codes
        .iter()
        .map(|c| {
            vals.push(c.clone().into());
            format!("${}", vals.len())
        })
        .collect();
    let cond = if list.is_empty() {
        "region_code IS NULL".to_owned()
    } else {
        format!("(region_code IS NULL OR region_code IN ({}))", list.join(","))
    };
    let rows: Vec<SchemeRow> =
        all(db.conn(), &format!("SELECT {SCHEME_COLS} FROM grading_scheme WHERE valid_from <= $1 AND {cond}"), vals)
            .await?;
    let best = rows.into_iter().max_by_key(|r| (r.region_code.as_ref().map_or(0, |c| c.len()), r.valid_from, r.id));
    Ok(match best {
        Some(r) => {
            SchemeInForce { scheme: r.parsed()?, region_code: r.region_code.clone(), valid_from: Some(r.valid_from) }
        }
        None => SchemeInForce { scheme: domain::grading::four_colour(), region_code: None, valid_from: None },
    })
}

/// Every choice of scheme made for `region` (None: the country), latest first.
pub async fn scheme_history(db: &Db, region: Option<&RegionCode>) -> Result<Vec<SchemeRow>> {
    Ok(all(
        db.conn(),
        &format!("SELECT {SCHEME_COLS} FROM grading_scheme WHERE COALESCE(region_code, '') = $1 ORDER BY valid_from DESC, id DESC"),
        vec![region.map(|r| r.as_str().to_owned()).unwrap_or_default().into()],
    )
    .await?)
}

// ---- the facts a score is made from ----------------------------------------

/// One counted fact: which item it moves, for which company and compound
/// (None: the whole company, counted in each compound), where it came from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = GradeFactOut))]
pub struct Fact {
    pub company_id: i64,
    /// Null: the whole company (counted in each of its compounds).
    pub compound_id: Option<i64>,
    pub key: String,
    /// `problem:ID`, `notice:ID`, `finding:ID`, `entry:ID` or `party:ORG` (what an objection names).
    pub source: String,
    /// The page of the record it came from: `/problems/ID`, `/oversight/notices/ID`, …
    pub link: String,
    pub on: NaiveDate,
    pub count: i64,
    pub note: String,
}

/// A compound served in the period, with the company serving it.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Served {
    pub company_id: i64,
    pub company_name: String,
    pub compound_id: i64,
    pub compound_name: String,
    pub households: Option<i64>,
}

async fn served(db: &Db, path: &RegionPath, p: Period) -> Result<Vec<Served>> {
    let (lo, hi) = range(path);
    let rows: Vec<Served> = all(
        db.conn(),
        "SELECT DISTINCT f.ref_id AS company_id, o.name AS company_name, c.id AS compound_id, c.name AS compound_name, \
         CASE WHEN c.unrecorded LIKE '%households%' THEN NULL ELSE CAST(c.households AS BIGINT) END AS households \
         FROM compound_fact f JOIN compound c ON c.id = f.compound_id JOIN organisation o ON o.id = f.ref_id \
         WHERE f.kind = 'company' AND c.region_path >= $1 AND c.region_path < $2 \
         AND f.valid_from < $3 AND (f.valid_to IS NULL OR f.valid_to > $4) ORDER BY o.name, f.ref_id, c.name, c.id",
        vec![lo, hi, p.end.into(), p.start.into()],
    )
    .await?;
    Ok(rows)
}

#[derive(FromQueryResult)]
struct Raw {
    id: i64,
    company_id: Option<i64>,
    compound_id: i64,
    at: DateTime<Utc>,
}

/// Facts of problems handled by a company, one per row.
fn problem_facts(rows: Vec<Raw>, key: &str, out: &mut Vec<Fact>) {
    for r in rows {
        let Some(company_id) = r.company_id else { continue };
        out.push(Fact {
            company_id,
            compound_id: Some(r.compound_id),
            key: key.to_owned(),
            source: format!("problem:{}", r.id),
            link: format!("/problems/{}", r.id),
            on: domain::clock::china_date(r.at),
            count: 1,
            note: String::new(),
        });
    }
}

/// Every fact counted for companies serving `path` in `p`, as known at `now`.
pub async fn facts(db: &Db, path: &RegionPath, p: Period, now: DateTime<Utc>) -> Result<Vec<Fact>> {
    let (lo, hi) = range(path);
    let (t0, t1) = instants(p.start, p.end);
    let mut out = Vec::new();
    let day = domain::clock::china_date;
    // Problems resolved after their deadline, or not at all by now.
    let late: Vec<Raw> = all(
        db.conn(),
        "SELECT p.id, p.handler_org_id AS company_id, p.compound_id, p.resolve_by AS at FROM problem p \
         WHERE p.handler_kind = 'company' AND p.region_path >= $1 AND p.region_path < $2 \
         AND p.resolve_by >= $3 AND p.resolve_by < $4 AND p.resolve_by < $5 \
         AND p.state NOT IN ('withdrawn', 'rejected') AND NOT (p.state = 'closed' AND p.resolved_at IS NULL) \
         AND (p.resolved_at IS NULL OR p.resolved_at > p.resolve_by)",
        vec![lo.clone(), hi.clone(), t0.into(), t1.into(), now.into()],
    )
    .await?;
    problem_facts(late, "problem_overdue", &mut out);
    // Problems the resident reopened, not satisfied.
    let reopened: Vec<Raw> = all(
        db.conn(),
        "SELECT p.id, p.handler_org_id AS company_id, p.compound_id, e.at FROM problem_event e JOIN problem p ON p.id = e.problem_id \
         WHERE p.handler_kind = 'company' AND p.region_path >= $1 AND p.region_path < $2 AND e.at >= $3 AND e.at < $4 \
         AND e.to_state = 'reopened' AND e.step IN ('reopen', 'rate:unsatisfied')",
        vec![lo.clone(), hi.clone(), t0.into(), t1.into()],
    )
    .await?;
    problem_facts(reopened, "problem_reopened", &mut out);
    // Notices due in the period that missed their deadline.
    #[derive(FromQueryResult)]
    struct N {
        id: i64,
        number: String,
        company_id: i64,
        compound_id: i64,
        deadline: NaiveDate,
        state: String,
        answered_at: Option<DateTime<Utc>>,
    }
    let notices: Vec<N> = all(
        db.conn(),
        "SELECT n.id, n.number, n.company_id, rc.compound_id, n.deadline, n.state, n.answered_at FROM rect_notice n \
         JOIN rect_compound rc ON rc.notice_id = n.id WHERE rc.region_path >= $1 AND rc.region_path < $2 \
         AND n.deadline >= $3 AND n.deadline < $4",
        vec![lo.clone(), hi.clone(), p.start.into(), p.end.into()],
    )
    .await?;
    let today = day(now);
    for n in notices {
        let state =
            crate::sql::known(&format!("notice {}", n.id), "state", &n.state, domain::rectify::NoticeState::find)?;
        if domain::rectify::missed(state, n.deadline, n.answered_at.map(day), today) {
            out.push(Fact {
                company_id: n.company_id,
                compound_id: Some(n.compound_id),
                key: "notice_missed".into(),
                source: format!("notice:{}", n.id),
                link: format!("/oversight/notices/{}", n.id),
                on: n.deadline,
                count: 1,
                note: n.number,
            });
        }
    }
    // Answers returned as not good enough.
    let returned: Vec<Raw> = all(
        db.conn(),
        "SELECT n.id, n.company_id, rc.compound_id, e.at FROM rect_event e JOIN rect_notice n ON n.id = e.notice_id \
         JOIN rect_compound rc ON rc.notice_id = n.id WHERE e.step = 'return' AND e.at >= $3 AND e.at < $4 \
         AND rc.region_path >= $1 AND rc.region_path < $2",
        vec![lo.clone(), hi.clone(), t0.into(), t1.into()],
    )
    .await?;
    for r in returned {
        out.push(Fact {
            company_id: r.company_id.unwrap_or_default(),
            compound_id: Some(r.compound_id),
            key: "notice_returned".into(),
            source: format!("notice:{}", r.id),
            link: format!("/oversight/notices/{}", r.id),
            on: day(r.at),
            count: 1,
            note: String::new(),
        });
    }
    // Inspection findings: lines scored below full marks, counted in the points lost.
    #[derive(FromQueryResult)]
    struct F {
        id: i64,
        inspection_id: i64,
        company_id: i64,
        compound_id: i64,
        visited_on: NaiveDate,
        label: String,
        lost: i64,
    }
    let findings: Vec<F> = all(
        db.conn(),
        "SELECT ii.id, i.id AS inspection_id, i.company_id, i.compound_id, i.visited_on, ii.label, ii.max - ii.score AS lost FROM inspection_item ii \
         JOIN inspection i ON i.id = ii.inspection_id WHERE i.company_id IS NOT NULL AND i.region_path >= $1 \
         AND i.region_path < $2 AND i.visited_on >= $3 AND i.visited_on < $4 AND ii.score < ii.max",
        vec![lo.clone(), hi.clone(), p.start.into(), p.end.into()],
    )
    .await?;
    for f in findings {
        out.push(Fact {
            company_id: f.company_id,
            compound_id: Some(f.compound_id),
            key: "inspection_finding".into(),
            source: format!("finding:{}", f.id),
            link: format!("/oversight/inspections/{}", f.inspection_id),
            on: f.visited_on,
            count: f.lost,
            note: f.label,
        });
    }
    // Party building: a party organisation set up in the company on the period's last day.
    let last = p.end.pred_opt().unwrap_or(p.end);
    let coverages: Vec<String> = domain::org::PartyCoverage::ALL
        .iter()
        .filter(|c| c.is_organisational())
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    let party: Vec<Id> = all(
        db.conn(),
        &format!(
            "SELECT DISTINCT pf.org_id AS id FROM org_fact pf WHERE pf.kind = 'party_coverage' AND pf.value IN ({}) \
             AND pf.valid_from <= $1 AND (pf.valid_to IS NULL OR pf.valid_to > $1)",
            coverages.join(",")
        ),
        vec![last.into()],
    )
    .await?;
    for o in party {
        out.push(Fact {
            company_id: o.id,
            compound_id: None,
            key: "party_building".into(),
            source: format!("party:{}", o.id),
            link: format!("/organisations/{}", o.id),
            on: last,
            count: 1,
            note: String::new(),
        });
    }
    // Facts recorded by hand, with their reasons: within the region, or
    // recorded over a region that holds it.
    #[derive(FromQueryResult)]
    struct E {
        id: i64,
        company_id: i64,
        compound_id: Option<i64>,
        region_path: String,
        on_date: NaiveDate,
        item_key: String,
        count: i64,
        reason: String,
    }
    let entries: Vec<E> = all(
        db.conn(),
        "SELECT id, company_id, compound_id, region_path, on_date, item_key, count, reason FROM grade_entry \
         WHERE on_date >= $1 AND on_date < $2",
        vec![p.start.into(), p.end.into()],
    )
    .await?;
    for e in entries {
        if !(e.region_path.starts_with(path.as_str()) || path.as_str().starts_with(&e.region_path)) {
            continue;
        }
        out.push(Fact {
            company_id: e.company_id,
            compound_id: e.compound_id,
            key: e.item_key,
            source: format!("entry:{}", e.id),
            link: format!("/oversight/entries/{}", e.id),
            on: e.on_date,
            count: e.count,
            note: e.reason,
        });
    }
    // Facts a ruling on an objection struck out no longer count.
    #[derive(FromQueryResult)]
    struct X {
        company_id: i64,
        item_key: String,
        source: String,
    }
    let struck: HashSet<(i64, String, String)> = all::<X>(
        db.conn(),
        "SELECT company_id, item_key, source FROM grade_objection WHERE state = $1",
        vec![ObjectionState::Upheld.as_str().into()],
    )
    .await?
    .into_iter()
    .map(|x| (x.company_id, x.item_key, x.source))
    .collect();
    out.retain(|f| !struck.contains(&(f.company_id, f.key.clone(), f.source.clone())));
    out.sort_by(|a, b| (a.company_id, a.on, &a.key, &a.source).cmp(&(b.company_id, b.on, &b.key, &b.source)));
    Ok(out)
}

// ---- scores and grades ------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct CompoundScore {
    pub compound_id: i64,
    pub name: String,
    pub households: Option<i64>,
    pub score: Score,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompanyGrade {
    pub company_id: i64,
    pub name: String,
    /// The compounds' scores weighted by households (tenths).
    pub score: i64,
    pub grade: String,
    pub vetoed: bool,
    pub compounds: Vec<CompoundScore>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grading {
    pub region_code: String,
    pub scheme: SchemeInForce,
    pub period: Period,
    /// Best first.
    pub companies: Vec<CompanyGrade>,
    pub facts: Vec<Fact>,
}

impl Grading {
    /// How many companies took each grade, best first.
    pub fn by_grade(&self) -> Vec<(String, i64)> {
        self.scheme
            .scheme
            .grades()
            .into_iter()
            .map(|g| {
                let n = self.companies.iter().filter(|c| c.grade == g).count() as i64;
                (g, n)
            })
            .collect()
    }
}

/// The period of `region`'s scheme holding `on`, and the scheme.
pub async fn period_of(db: &Db, region: &RegionCode, on: NaiveDate) -> Result<(SchemeInForce, Period)> {
    let s = scheme_on(db, Some(region), on).await?;
    let p = s.scheme.cadence.period_of(on);
    // The scheme in force when the period began is the one it is graded by.
    let s = scheme_on(db, Some(region), p.start).await?;
    let p = s.scheme.cadence.period_of(on);
    Ok((s, p))
}

/// Grade every company serving `region` in the period holding `on`, as the facts stand at `now`.
pub async fn grade(db: &Db, region: &RegionCode, on: NaiveDate, now: DateTime<Utc>) -> Result<Grading> {
    let (scheme, period) = period_of(db, region, on).await?;
    let path = region.path();
    let served = served(db, &path, period).await?;
    let facts = facts(db, &path, period, now).await?;
    let mut companies: BTreeMap<i64, (String, Vec<&Served>)> = BTreeMap::new();
    for s in &served {
        companies.entry(s.company_id).or_insert_with(|| (s.company_name.clone(), vec![])).1.push(s);
    }
    let s = &scheme.scheme;
    let mut graded: Vec<CompanyGrade> = Vec::new();
    let mut scores: Vec<(i64, Score)> = Vec::new();
    for (company_id, (name, compounds)) in &companies {
        let mut cs = Vec::new();
        for c in compounds {
            let mut counts: HashMap<&str, i64> = HashMap::new();
            for f in facts.iter().filter(|f| {
                f.company_id == *company_id && (f.compound_id.is_none() || f.compound_id == Some(c.compound_id))
            }) {
                *counts.entry(f.key.as_str()).or_default() += f.count;
            }
            let counts: Vec<(&str, i64)> = counts.into_iter().collect();
            cs.push(CompoundScore {
                compound_id: c.compound_id,
                name: c.compound_name.clone(),
                households: c.households,
                score: s.score(&counts),
            });
        }
        let total = domain::grading::weighted(&cs.iter().map(|c| (c.score.total, c.households)).collect::<Vec<_>>())
            .unwrap_or(s.base);
        let vetoed = cs.iter().any(|c| c.score.vetoed);
        let bad = cs.iter().any(|c| c.score.bad_record);
        let company_score = Score { base: s.base, lines: vec![], total, vetoed, bad_record: bad };
        scores.push((*company_id, company_score.clone()));
        graded.push(CompanyGrade {
            company_id: *company_id,
            name: name.clone(),
            score: total,
            grade: s.grade(&company_score).unwrap_or_default(),
            vetoed,
            compounds: cs,
        });
    }
    if matches!(s.bands, domain::grading::Bands::Ranked { .. }) {
        let refs: Vec<(i64, &Score)> = scores.iter().map(|(id, s)| (*id, s)).collect();
        let ranked: HashMap<i64, String> = s.rank(&refs).into_iter().collect();
        for g in &mut graded {
            g.grade = ranked.get(&g.company_id).cloned().unwrap_or_default();
        }
    }
    graded.sort_by_key(|g| (g.vetoed, std::cmp::Reverse(g.score), g.company_id));
    let ids: HashSet<i64> = companies.keys().copied().collect();
    let facts = facts.into_iter().filter(|f| ids.contains(&f.company_id)).collect();
    Ok(Grading { region_code: region.as_str().to_owned(), scheme, period, companies: graded, facts })
}

// ---- publication -------------------------------------------------------------

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Publication {
    pub id: i64,
    pub region_code: String,
    pub region_path: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub scheme: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
    /// Published again after a ruling struck a fact out.
    pub revised_at: Option<DateTime<Utc>>,
}

impl Publication {
    pub fn scheme(&self) -> Result<Scheme> {
        serde_json::from_str(&self.scheme)
            .map_err(|e| DbError::Internal(sea_orm::DbErr::Type(format!("publication {}: {e}", self.id))))
    }

    /// The last moment a company may object.
    pub fn objections_until(&self) -> Result<DateTime<Utc>> {
        Ok(self.published_at + chrono::Duration::days(self.scheme()?.objection_days))
    }
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Published {
    pub publication_id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub score: i64,
    pub grade: String,
    pub vetoed: bool,
    pub compounds: i32,
}

const PUB_COLS: &str =
    "id, region_code, region_path, period_start, period_end, scheme, published_by, published_at, revised_at";

/// Publish a grading, all or nothing. A period is published once it has
/// ended; it is published again only after a ruling upheld an objection to
/// it (the results are replaced, the objection window keeps running from the
/// first publication), else the answer is a conflict.
pub async fn publish(db: &Db, actor: &Actor, g: &Grading, now: DateTime<Utc>) -> Result<Publication> {
    let region = RegionCode::parse(&g.region_code)?;
    let path = region.path();
    if g.period.end > domain::clock::china_date(now) {
        return Err(domain::Invalid::new("period", format!("{} has not ended yet", g.period.name()))
            .zh(format!("{}尚未结束，不能发布", g.period.words(true)))
            .into());
    }
    let tx = db.begin_write().await?;
    let existing: Option<Publication> = one(
        &*tx,
        &format!("SELECT {PUB_COLS} FROM grade_publication WHERE region_code = $1 AND period_start = $2"),
        vec![g.region_code.clone().into(), g.period.start.into()],
    )
    .await?;
    let scheme = serde_json::to_string(&g.scheme.scheme).expect("a scheme serialises");
    let id = match existing {
        Some(e) => {
            let since = e.revised_at.unwrap_or(e.published_at);
            let ruled = scalar_i64(
                &*tx,
                "SELECT COUNT(*) FROM grade_objection WHERE publication_id = $1 AND state = $3 AND ruled_at > $2",
                vec![e.id.into(), since.into(), ObjectionState::Upheld.as_str().into()],
            )
            .await?;
            if ruled == 0 {
                return Err(DbError::Conflict(
                    "published already; it is published again only after a ruling upholds an objection".into(),
                ));
            }
            exec(
                &*tx,
                "UPDATE grade_publication SET revised_at = $1 WHERE id = $2",
                vec![now.into(), e.id.into()],
            )
            .await?;
            exec(&*tx, "DELETE FROM grade_result WHERE publication_id = $1", vec![e.id.into()]).await?;
            e.id
        }
        None => {
            insert_id(
                &*tx,
                "INSERT INTO grade_publication (region_code, region_path, period_start, period_end, scheme, published_by, published_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
                vec![
                    g.region_code.clone().into(),
                    path.as_str().into(),
                    g.period.start.into(),
                    g.period.end.into(),
                    scheme.into(),
                    actor.login.clone().into(),
                    now.into(),
                ],
            )
            .await?
        }
    };
    for c in &g.companies {
        exec(
            &*tx,
            "INSERT INTO grade_result (publication_id, company_id, score, grade, vetoed, compounds) VALUES ($1,$2,$3,$4,$5,$6)",
            vec![
                id.into(),
                c.company_id.into(),
                c.score.into(),
                c.grade.clone().into(),
                c.vetoed.into(),
                (c.compounds.len() as i32).into(),
            ],
        )
        .await?;
    }
    Change::new("publish", "grade_publication", id, Some(path.as_str().to_owned()))
        .after(serde_json::json!({
            "period_start": g.period.start, "scheme": g.scheme.scheme.key, "companies": g.companies.len(),
            "by_grade": g.by_grade(),
        }))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    publication(db, id).await
}

pub async fn publication(db: &Db, id: i64) -> Result<Publication> {
    one(db.conn(), &format!("SELECT {PUB_COLS} FROM grade_publication WHERE id = $1"), vec![id.into()])
        .await?
        .ok_or(DbError::NotFound)
}

/// The publication of `region` for the period starting `start`, if any.
pub async fn publication_of(db: &Db, region: &RegionCode, start: NaiveDate) -> Result<Option<Publication>> {
    Ok(one(
        db.conn(),
        &format!("SELECT {PUB_COLS} FROM grade_publication WHERE region_code = $1 AND period_start = $2"),
        vec![region.as_str().into(), start.into()],
    )
    .await?)
}

/// Publications of `region` (latest first).
pub async fn publications(db: &Db, region: &RegionCode) -> Result<Vec<Publication>> {
    Ok(all(
        db.conn(),
        &format!("SELECT {PUB_COLS} FROM grade_publication WHERE region_code = $1 ORDER BY period_start DESC"),
        vec![region.as_str().into()],
    )
    .await?)
}

/// The latest publication over `region` or a region holding it, on or before `on`.
pub async fn latest_publication(db: &Db, region: &RegionCode, on: NaiveDate) -> Result<Option<Publication>> {
    let codes: Vec<String> = region.lineage().iter().map(|c| format!("'{}'", c.as_str())).collect();
    let rows: Vec<Publication> = all(
        db.conn(),
        &format!(
            "SELECT {PUB_COLS} FROM grade_publication WHERE region_code IN ({}) AND published_at < $1 ORDER BY period_start DESC, region_code DESC",
            codes.join(",")
        ),
        vec![domain::clock::start_of(on.succ_opt().unwrap_or(on)).into()],
    )
    .await?;
    Ok(rows.into_iter().max_by_key(|p| (p.period_start, p.region_code.len())))
}

pub async fn results(db: &Db, publication_id: i64) -> Result<Vec<Published>> {
    Ok(all(
        db.conn(),
        "SELECT g.publication_id, g.company_id, o.name AS company_name, g.score, g.grade, g.vetoed, g.compounds \
         FROM grade_result g JOIN organisation o ON o.id = g.company_id WHERE g.publication_id = $1 \
         ORDER BY g.vetoed, g.score DESC, g.company_id",
        vec![publication_id.into()],
    )
    .await?)
}

/// A company's published grades, latest first, with the region and period.
pub async fn company_results(db: &Db, company_id: i64) -> Result<Vec<(Publication, Published)>> {
    // Two queries, not one a publication.
    let publications: Vec<Publication> = all(
        db.conn(),
        &format!(
            "SELECT {PUB_COLS} FROM grade_publication WHERE id IN (SELECT publication_id FROM grade_result WHERE company_id = $1) \
             ORDER BY period_start DESC, region_code"
        ),
        vec![company_id.into()],
    )
    .await?;
    let results: Vec<Published> = all(
        db.conn(),
        "SELECT g.publication_id, g.company_id, o.name AS company_name, g.score, g.grade, g.vetoed, g.compounds \
         FROM grade_result g JOIN organisation o ON o.id = g.company_id WHERE g.company_id = $1",
        vec![company_id.into()],
    )
    .await?;
    Ok(publications
        .into_iter()
        .filter_map(|p| {
            let r = results.iter().find(|r| r.publication_id == p.id)?.clone();
            Some((p, r))
        })
        .collect())
}

// ---- objections ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = ObjectionOut))]
pub struct Objection {
    pub id: i64,
    pub publication_id: i64,
    pub company_id: i64,
    pub item_key: String,
    pub source: String,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    /// pending, upheld (the fact no longer counts) or dismissed
    pub state: ObjectionState,
    pub ruling: Option<String>,
    pub ruled_by: Option<String>,
    pub ruled_at: Option<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct ObjectionRow {
    id: i64,
    publication_id: i64,
    company_id: i64,
    item_key: String,
    source: String,
    reason: String,
    filed_by: String,
    filed_at: DateTime<Utc>,
    state: String,
    ruling: Option<String>,
    ruled_by: Option<String>,
    ruled_at: Option<DateTime<Utc>>,
}

impl FromQueryResult for Objection {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = ObjectionRow::from_query_result(res, pre)?;
        Ok(Objection {
            state: known(&format!("grade objection {}", r.id), "state", &r.state, ObjectionState::find)?,
            id: r.id,
            publication_id: r.publication_id,
            company_id: r.company_id,
            item_key: r.item_key,
            source: r.source,
            reason: r.reason,
            filed_by: r.filed_by,
            filed_at: r.filed_at,
            ruling: r.ruling,
            ruled_by: r.ruled_by,
            ruled_at: r.ruled_at,
        })
    }
}

const OBJ_COLS: &str =
    "id, publication_id, company_id, item_key, source, reason, filed_by, filed_at, state, ruling, ruled_by, ruled_at";

/// A company objects to one fact counted against it in a publication, within
/// the scheme's time; the fact must be one the publication's grading counted.
pub async fn object(
    db: &Db,
    actor: &Actor,
    publication: &Publication,
    company_id: i64,
    fact: &Fact,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Objection> {
    let reason = domain::rectify::text("reason", reason, domain::rectify::TEXT_MAX, true)?;
    if now > publication.objections_until()? {
        return Err(domain::Invalid::new("publication", "the time to object has passed").zh("已超过异议期限").into());
    }
    let tx = db.begin_write().await?;
    let pending = scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM grade_objection WHERE publication_id = $1 AND company_id = $2 AND source = $3 AND item_key = $4",
        vec![publication.id.into(), company_id.into(), fact.source.clone().into(), fact.key.clone().into()],
    )
    .await?;
    if pending > 0 {
        return Err(DbError::Conflict("this fact has been objected to already".into()));
    }
    let id = insert_id(
        &*tx,
        "INSERT INTO grade_objection (publication_id, company_id, item_key, source, reason, filed_by, filed_at, state) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        vec![
            publication.id.into(),
            company_id.into(),
            fact.key.clone().into(),
            fact.source.clone().into(),
            reason.into(),
            actor.login.clone().into(),
            now.into(),
            ObjectionState::Pending.as_str().into(),
        ],
    )
    .await?;
    Change::new("object", "grade_objection", id, Some(publication.region_path.clone()))
        .after(serde_json::json!({"company_id": company_id, "item": fact.key, "source": fact.source}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    objection(db, id).await
}

pub async fn objection(db: &Db, id: i64) -> Result<Objection> {
    one(db.conn(), &format!("SELECT {OBJ_COLS} FROM grade_objection WHERE id = $1"), vec![id.into()])
        .await?
        .ok_or(DbError::NotFound)
}

/// Objections to a publication (a company's alone when given), pending first.
pub async fn objections(db: &Db, publication_id: i64, company_id: Option<i64>) -> Result<Vec<Objection>> {
    let (cond, mut vals) = (" AND ($2 = 0 OR company_id = $2)", vec![Value::from(publication_id)]);
    vals.push(company_id.unwrap_or(0).into());
    Ok(all(
        db.conn(),
        &format!(
            "SELECT {OBJ_COLS} FROM grade_objection WHERE publication_id = $1{cond} \
             ORDER BY CASE WHEN state = '{}' THEN 0 ELSE 1 END, filed_at",
            ObjectionState::Pending.as_str()
        ),
        vals,
    )
    .await?)
}

/// Rule on a pending objection: upheld (the fact no longer counts, for this
/// and any later grading; publish again to update the published grades) or
/// dismissed, with the ruling's reasons.
pub async fn rule(
    db: &Db,
    actor: &Actor,
    id: i64,
    uphold: bool,
    ruling: &str,
    now: DateTime<Utc>,
) -> Result<Objection> {
    let ruling = domain::rectify::text("ruling", ruling, domain::rectify::TEXT_MAX, true)?;
    let tx = db.begin_write().await?;
    let state = if uphold { ObjectionState::Upheld } else { ObjectionState::Dismissed };
    let n = exec(
        &*tx,
        "UPDATE grade_objection SET state = $1, ruling = $2, ruled_by = $3, ruled_at = $4 WHERE id = $5 AND state = $6",
        vec![
            state.as_str().into(),
            ruling.into(),
            actor.login.clone().into(),
            now.into(),
            id.into(),
            ObjectionState::Pending.as_str().into(),
        ],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(DbError::Conflict("the objection has been ruled on already".into()));
    }
    let o: Objection = one(&*tx, &format!("SELECT {OBJ_COLS} FROM grade_objection WHERE id = $1"), vec![id.into()])
        .await?
        .ok_or(DbError::NotFound)?;
    let path: Option<String> =
        one::<PathRow>(&*tx, "SELECT region_path FROM grade_publication WHERE id = $1", vec![o.publication_id.into()])
            .await?
            .map(|p| p.region_path);
    Change::new("rule", "grade_objection", id, path)
        .before(serde_json::json!({"state": ObjectionState::Pending}))
        .after(serde_json::json!({"state": state, "ruling": ruling}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(o)
}

#[derive(FromQueryResult)]
struct PathRow {
    region_path: String,
}

// ---- recorded facts and talks ----------------------------------------------------

/// A fact recorded by an officer: an honour, a veto, a fault no record shows.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub company_id: i64,
    pub compound_id: Option<i64>,
    pub region: RegionCode,
    pub on_date: NaiveDate,
    pub item_key: String,
    pub count: i64,
    pub reason: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Entry {
    pub id: i64,
    pub company_id: i64,
    pub compound_id: Option<i64>,
    pub region_code: String,
    pub region_path: String,
    pub on_date: NaiveDate,
    pub item_key: String,
    pub count: i64,
    pub reason: String,
    pub evidence: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn record_entry(db: &Db, actor: &Actor, e: &NewEntry, now: DateTime<Utc>) -> Result<Entry> {
    let reason = domain::rectify::text("reason", &e.reason, domain::rectify::TEXT_MAX, true)?;
    let evidence = domain::rectify::text("evidence", &e.evidence, domain::rectify::TEXT_MAX, false)?;
    if !(1..=100).contains(&e.count) {
        return Err(domain::Invalid::new("count", "1–100").zh("次数须为 1–100").into());
    }
    past_day("on_date", e.on_date, now)?;
    let scheme = scheme_on(db, Some(&e.region), e.on_date).await?.scheme;
    if !scheme.items.iter().any(|i| i.key == e.item_key) {
        let keys: Vec<&str> = scheme.items.iter().map(|i| i.key.as_str()).collect();
        return Err(domain::Invalid::new(
            "item_key",
            format!("{:?} is not an item of {} ({})", e.item_key, scheme.name, keys.join(", ")),
        )
        .zh(format!("“{}”不是“{}”的评分项（{}）", e.item_key, scheme.name, keys.join("、")))
        .into());
    }
    let path = e.region.path();
    let tx = db.begin_write().await?;
    let id = insert_id(
        &*tx,
        "INSERT INTO grade_entry (company_id, compound_id, region_code, region_path, on_date, item_key, count, reason, evidence, \
         recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
        vec![
            e.company_id.into(),
            e.compound_id.into(),
            e.region.as_str().into(),
            path.as_str().into(),
            e.on_date.into(),
            e.item_key.clone().into(),
            e.count.into(),
            reason.into(),
            evidence.into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("record", "grade_entry", id, Some(path.as_str().to_owned()))
        .after(serde_json::json!({"company_id": e.company_id, "item": e.item_key, "count": e.count, "on": e.on_date}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    entry(db, id).await
}

/// A day something happened: from 2000 to today.
fn past_day(field: &'static str, d: NaiveDate, now: DateTime<Utc>) -> Result<()> {
    if d.year() < 2000 || d > domain::clock::china_date(now) {
        return Err(domain::Invalid::new(field, "a day from 2000 to today").zh("日期须在 2000 年至今天之间").into());
    }
    Ok(())
}

/// Whether `company` served a compound under `path` at any time (for
/// facts and talks recorded over a region: only about companies in it).
pub async fn serves_within(db: &Db, company: i64, path: &RegionPath) -> Result<bool> {
    let (lo, hi) = range(path);
    Ok(scalar_i64(
        db.conn(),
        "SELECT COUNT(*) FROM compound_fact f JOIN compound c ON c.id = f.compound_id WHERE f.kind = 'company' \
         AND f.ref_id = $1 AND c.region_path >= $2 AND c.region_path < $3",
        vec![company.into(), lo, hi],
    )
    .await?
        > 0)
}

const ENTRY_COLS: &str = "id, company_id, compound_id, region_code, region_path, on_date, item_key, count, reason, evidence, recorded_by, recorded_at";

pub async fn entry(db: &Db, id: i64) -> Result<Entry> {
    one(db.conn(), &format!("SELECT {ENTRY_COLS} FROM grade_entry WHERE id = $1"), vec![id.into()])
        .await?
        .ok_or(DbError::NotFound)
}

#[derive(Debug, Clone)]
pub struct NewTalk {
    pub company_id: i64,
    pub region: RegionCode,
    pub held_on: NaiveDate,
    pub people: String,
    pub outcome: String,
    pub notice_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Talk {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub region_code: String,
    pub region_path: String,
    pub held_on: NaiveDate,
    pub people: String,
    pub outcome: String,
    pub notice_id: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn record_talk(db: &Db, actor: &Actor, t: &NewTalk, now: DateTime<Utc>) -> Result<Talk> {
    let people = domain::rectify::text("people", &t.people, domain::rectify::TEXT_MAX, true)?;
    let outcome = domain::rectify::text("outcome", &t.outcome, domain::rectify::TEXT_MAX, true)?;
    past_day("held_on", t.held_on, now)?;
    let path = t.region.path();
    let tx = db.begin_write().await?;
    let id = insert_id(
        &*tx,
        "INSERT INTO talk (company_id, region_code, region_path, held_on, people, outcome, notice_id, recorded_by, recorded_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
        vec![
            t.company_id.into(),
            t.region.as_str().into(),
            path.as_str().into(),
            t.held_on.into(),
            people.into(),
            outcome.into(),
            t.notice_id.into(),
            actor.login.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Change::new("record", "talk", id, Some(path.as_str().to_owned()))
        .after(serde_json::json!({"company_id": t.company_id, "held_on": t.held_on}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    talk(db, id).await
}

const TALK_SELECT: &str = "SELECT t.id, t.company_id, o.name AS company_name, t.region_code, t.region_path, t.held_on, \
     t.people, t.outcome, t.notice_id, t.recorded_by, t.recorded_at FROM talk t JOIN organisation o ON o.id = t.company_id";

pub async fn talk(db: &Db, id: i64) -> Result<Talk> {
    one(db.conn(), &format!("{TALK_SELECT} WHERE t.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// Talks the reader may see (a company's alone when given), latest first.
pub async fn talks(db: &Db, v: &Visible, company_id: Option<i64>) -> Result<Vec<Talk>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut filter = row_visible("t", v, &mut vals, false);
    if let Some(c) = company_id {
        vals.push(c.into());
        filter.push_str(&format!(" AND t.company_id = ${}", vals.len()));
    }
    Ok(all(db.conn(), &format!("{TALK_SELECT} WHERE {filter} ORDER BY t.held_on DESC, t.id DESC LIMIT 500"), vals)
        .await?)
}

// ---- inspections due ------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Due {
    pub compound_id: i64,
    pub compound_name: String,
    pub company_id: i64,
    pub company_name: String,
    pub grade: String,
    pub every_months: u32,
    pub last: Option<NaiveDate>,
    pub due_on: NaiveDate,
}

/// The compounds of `region` served on `today` (any day: the figures ask as
/// of a date) by a company graded in the
/// latest publication over it, each with when its next inspection is due
/// (the last one plus the grade's interval; never inspected: the end of the
/// graded period), soonest first.
pub async fn due(db: &Db, region: &RegionCode, today: NaiveDate) -> Result<Vec<Due>> {
    let Some(publication) = latest_publication(db, region, today).await? else { return Ok(vec![]) };
    let scheme = publication.scheme()?;
    let grades: HashMap<i64, Published> =
        results(db, publication.id).await?.into_iter().map(|r| (r.company_id, r)).collect();
    let path = region.path();
    let served = served(db, &path, Period { start: today, end: today.succ_opt().unwrap_or(today) }).await?;
    #[derive(FromQueryResult)]
    struct L {
        compound_id: i64,
        last: Option<NaiveDate>,
    }
    let (lo, hi) = range(&path);
    let last: HashMap<i64, Option<NaiveDate>> = all::<L>(
        db.conn(),
        "SELECT compound_id, MAX(visited_on) AS last FROM inspection WHERE region_path >= $1 AND region_path < $2 \
         AND visited_on <= $3 GROUP BY compound_id",
        vec![lo, hi, today.into()],
    )
    .await?
    .into_iter()
    .map(|l| (l.compound_id, l.last))
    .collect();
    let mut out: Vec<Due> = served
        .into_iter()
        .filter_map(|s| {
            let g = grades.get(&s.company_id)?;
            let every = scheme.inspect_every(&g.grade);
            let last = last.get(&s.compound_id).copied().flatten();
            let due_on = match last {
                Some(d) => d.checked_add_months(Months::new(every)).unwrap_or(d),
                None => publication.period_end,
            };
            Some(Due {
                compound_id: s.compound_id,
                compound_name: s.compound_name,
                company_id: s.company_id,
                company_name: s.company_name,
                grade: g.grade.clone(),
                every_months: every,
                last,
                due_on,
            })
        })
        .collect();
    out.sort_by_key(|a| (a.due_on, a.compound_id));
    Ok(out)
}

/// Who served which compound when, under `path`: each span of a company
/// serving a compound, with the compound's place and households (for
/// loaders and benchmarks that make history along the registry's own).
#[derive(Debug, Clone, FromQueryResult)]
pub struct ServiceSpan {
    pub compound_id: i64,
    pub region_code: String,
    pub region_path: String,
    pub company_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub async fn service_spans(db: &Db, path: &RegionPath) -> Result<Vec<ServiceSpan>> {
    let (lo, hi) = range(path);
    Ok(all(
        db.conn(),
        "SELECT c.id AS compound_id, c.region_code, c.region_path, f.ref_id AS company_id, f.valid_from, f.valid_to \
         FROM compound_fact f JOIN compound c ON c.id = f.compound_id WHERE f.kind = 'company' AND f.ref_id IS NOT NULL \
         AND c.retired_at IS NULL AND c.region_path >= $1 AND c.region_path < $2 ORDER BY c.id, f.valid_from",
        vec![lo, hi],
    )
    .await?)
}
