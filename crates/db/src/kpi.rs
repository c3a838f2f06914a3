//! Counting the KPIs of `domain::kpi` for a region subtree as of a date.
//! A compound counts (is in the base C) when it lies in the subtree, was built
//! by that year (or its year is unknown) and was not retired by then; its
//! facts count when their interval holds that day.

use chrono::{Datelike, NaiveDate};
use domain::RegionPath;
use domain::kpi::{KpiSet, Ratio};
use sea_orm::{FromQueryResult, Value};

use crate::sql::{one, sql_list};
use crate::{Db, Result};

/// `$1`/`$2` path range, `$3` the date, `$4` its year, `$5` the start of the next day in China (for timestamps).
const BASE: &str = "c.region_path >= $1 AND c.region_path < $2 AND (c.year_built IS NULL OR c.year_built <= $4) \
                    AND (c.retired_at IS NULL OR c.retired_at >= $5)";

fn on(alias: &str) -> String {
    format!("{alias}.valid_from <= $3 AND ({alias}.valid_to IS NULL OR {alias}.valid_to > $3)")
}

/// A company's party coverage on the date `$3` (dated in `org_fact`).
const COVERAGE: &str = "(SELECT pf.value FROM org_fact pf WHERE pf.org_id = o.id AND pf.kind = 'party_coverage' \
                        AND pf.valid_from <= $3 AND (pf.valid_to IS NULL OR pf.valid_to > $3))";

/// The service models that count as professional service, as an SQL list
/// (`'professional', 'party_led', …`) made from the domain's own rule.
fn professional_models() -> String {
    sql_list(domain::ServiceModel::ALL.iter().filter(|m| m.is_professional()).map(|m| m.as_str()))
}

/// The party coverages that are a party organisation set up in the company.
fn organisational_coverages() -> String {
    sql_list(domain::org::PartyCoverage::ALL.iter().filter(|c| c.is_organisational()).map(|c| c.as_str()))
}

/// An owners' committee `o` with a party organisation set up in it by the date `$3`.
const COMMITTEE_COVERED: &str = "EXISTS (SELECT 1 FROM organisation p WHERE p.kind = 'party_org' \
                                 AND p.covers_org_id = o.id AND (p.established IS NULL OR p.established <= $3))";

/// An owners' committee `o` the party reaches in its work on `$3`: covered
/// as above, or one of its members on that day also holds a party post
/// (at any level: the compound branch, a building group, the community),
/// or a party-building instructor sits with it.
fn committee_worked() -> String {
    format!(
        "({COMMITTEE_COVERED} OR EXISTS (SELECT 1 FROM post x WHERE x.org_id = o.id AND {POST_ON} AND (x.role = 'instructor' \
         OR EXISTS (SELECT 1 FROM post y JOIN organisation po ON po.id = y.org_id WHERE y.person_id = x.person_id \
         AND po.kind = 'party_org' AND y.start_date <= $3 AND (y.end_date IS NULL OR y.end_date > $3)))))"
    )
}

/// The people holding, on `$3`, a post on the two committees (compound party
/// branch, owners' committee) of a compound of the base. Written as joins
/// from the compounds of the subtree (by the path index) down to their
/// organisations and posts, so every planner takes that road.
fn two_committee_posts() -> String {
    format!(
        "SELECT x.person_id FROM compound c JOIN organisation o ON o.compound_id = c.id \
         JOIN post x ON x.org_id = o.id WHERE {BASE} AND {POST_ON} \
         AND ((o.kind = 'party_org' AND o.party_level = 'compound_branch') \
              OR (o.kind = 'owners_committee' AND (o.term_end IS NULL OR o.term_end > $3)))"
    )
}

/// The building heads on `$3` of buildings of the base's compounds (a post
/// lies in its building's community, so the post's path narrows it first).
fn head_posts() -> String {
    format!(
        "SELECT x.person_id FROM post x JOIN building b ON b.id = x.building_id JOIN compound c ON c.id = b.compound_id \
         WHERE x.region_path >= $1 AND x.region_path < $2 AND x.role = 'building_head' AND {POST_ON} AND {BASE}"
    )
}

/// Compound `c`'s party branch shares a member with its committee or serving company on `$3`.
fn cross_appointed() -> String {
    format!(
        "EXISTS (SELECT 1 FROM post x JOIN organisation po ON po.id = x.org_id \
         JOIN post y ON y.person_id = x.person_id AND y.id <> x.id JOIN organisation oo ON oo.id = y.org_id \
         WHERE po.kind = 'party_org' AND po.compound_id = c.id AND {POST_ON} \
         AND y.start_date <= $3 AND (y.end_date IS NULL OR y.end_date > $3) \
         AND ((oo.kind = 'owners_committee' AND oo.compound_id = c.id AND (oo.term_end IS NULL OR oo.term_end > $3)) \
              OR (oo.kind = 'company' AND EXISTS ( \
             SELECT 1 FROM compound_fact g WHERE g.compound_id = c.id AND g.kind = 'company' AND g.ref_id = oo.id AND {}))))",
        on("g")
    )
}

/// The organisations serving, on `$3`, a compound of the base as `kind` (a fact kind).
fn serving(kind: &str) -> String {
    let (join, in_office) = if kind == "owners_committee" {
        (" JOIN organisation t ON t.id = f.ref_id", format!(" AND {IN_OFFICE}"))
    } else {
        ("", String::new())
    };
    format!(
        "SELECT f.ref_id FROM compound_fact f JOIN compound c ON c.id = f.compound_id{join} \
         WHERE f.kind = '{kind}' AND {} AND {BASE}{in_office}",
        on("f")
    )
}

/// Person `p` was a public servant on `$3` (their dated status).
const SERVANT_ON: &str = "EXISTS (SELECT 1 FROM person_fact sv WHERE sv.person_id = p.id AND sv.kind = 'public_servant' \
                          AND sv.value = TRUE AND sv.valid_from <= $3 AND (sv.valid_to IS NULL OR sv.valid_to > $3))";

const POST_ON: &str = "x.start_date <= $3 AND (x.end_date IS NULL OR x.end_date > $3)";

/// The compound-level counts of one date: C and how many are professionally
/// served, served at all, with a committee, with a party branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult, serde::Serialize)]
pub struct BaseCounts {
    pub n: i64,
    pub prof: i64,
    pub covered: i64,
    pub committee: i64,
    pub branch: i64,
}

use crate::sql::count_when as sum;

fn has(kind: &str) -> String {
    // An owners' committee counts while its term runs: one whose term has
    // ended (届满) is no longer in office, whatever the history says. (A join
    // by the committee's id, not `IN (subquery)`, which cost the city's count
    // 80 ms more on SQLite.)
    if kind == "owners_committee" {
        return format!(
            "EXISTS (SELECT 1 FROM compound_fact x LEFT JOIN organisation t ON t.id = x.ref_id WHERE x.compound_id = c.id \
             AND x.kind = '{kind}' AND {} AND {IN_OFFICE})",
            on("x")
        );
    }
    format!("EXISTS (SELECT 1 FROM compound_fact x WHERE x.compound_id = c.id AND x.kind = '{kind}' AND {})", on("x"))
}

/// Committee `t`'s term has not ended by `$3`.
const IN_OFFICE: &str = "(t.term_end IS NULL OR t.term_end > $3)";

fn params(within: &RegionPath, date: NaiveDate) -> Vec<Value> {
    let (lo, hi) = within.subtree_range();
    // Retired during that day (China time) is no longer counted that day.
    let next = domain::clock::start_of(date.succ_opt().unwrap_or(date));
    vec![lo.into(), hi.into(), date.into(), date.year().into(), next.into()]
}

/// The compound-level counts of a region on a date: kept (decision 0010) for
/// the country down to streets, counted from the facts below.
pub async fn base_counts(db: &Db, within: &RegionPath, date: NaiveDate) -> Result<BaseCounts> {
    match crate::figures::base_series(db, domain::figures::code_of_path(within.as_str()), &[date]).await? {
        Some(v) => Ok(BaseCounts::from(v[0])),
        None => base_counts_from_facts(db, within, date).await,
    }
}

impl From<[i64; 5]> for BaseCounts {
    fn from([n, prof, covered, committee, branch]: [i64; 5]) -> Self {
        BaseCounts { n, prof, covered, committee, branch }
    }
}

/// [`base_counts`] counted from the facts.
pub async fn base_counts_from_facts(db: &Db, within: &RegionPath, date: NaiveDate) -> Result<BaseCounts> {
    Ok(one(
        db.conn(),
        &format!(
            "SELECT COUNT(*) AS n, {} AS prof, {} AS covered, {} AS committee, {} AS branch \
             FROM compound c LEFT JOIN compound_fact sm ON sm.compound_id = c.id AND sm.kind = 'service_model' AND {} \
             WHERE {BASE}",
            sum(&format!("sm.value IN ({})", professional_models())),
            sum("sm.value IS NOT NULL AND sm.value <> 'none'"),
            sum(&has("owners_committee")),
            sum(&has("party_branch")),
            on("sm"),
        ),
        params(within, date),
    )
    .await?
    .expect("an aggregate has one row"))
}

/// [`base_counts`] for many dates at once (a trend): the subtree's compounds
/// and their dated facts are read once and counted for every date here,
/// instead of one query a date. The rules are those of `BASE` and `on`.
pub async fn base_series(db: &Db, within: &RegionPath, dates: &[NaiveDate]) -> Result<Vec<BaseCounts>> {
    if let Some(v) = crate::figures::base_series(db, domain::figures::code_of_path(within.as_str()), dates).await? {
        return Ok(v.into_iter().map(BaseCounts::from).collect());
    }
    base_series_from_facts(db, within, dates).await
}

/// [`base_series`] counted from the facts.
pub async fn base_series_from_facts(db: &Db, within: &RegionPath, dates: &[NaiveDate]) -> Result<Vec<BaseCounts>> {
    use std::collections::HashMap;
    #[derive(FromQueryResult)]
    struct C {
        id: i64,
        year_built: Option<i32>,
        retired_at: Option<chrono::DateTime<chrono::Utc>>,
    }
    #[derive(FromQueryResult)]
    struct F {
        compound_id: i64,
        kind: String,
        value: Option<String>,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
        /// An owners' committee's term end (it leaves office that day).
        term_end: Option<NaiveDate>,
    }
    let (lo, hi) = within.subtree_range();
    let range = || vec![Value::from(lo.clone()), Value::from(hi.clone())];
    let compounds: Vec<C> = crate::sql::all(
        db.conn(),
        "SELECT c.id, c.year_built, c.retired_at FROM compound c WHERE c.region_path >= $1 AND c.region_path < $2",
        range(),
    )
    .await?;
    let facts: Vec<F> = crate::sql::all(
        db.conn(),
        "SELECT x.compound_id, x.kind, x.value, x.valid_from, x.valid_to, \
         CASE WHEN x.kind = 'owners_committee' THEN o.term_end END AS term_end FROM compound_fact x \
         JOIN compound c ON c.id = x.compound_id LEFT JOIN organisation o ON o.id = x.ref_id \
         WHERE c.region_path >= $1 AND c.region_path < $2 \
         AND x.kind IN ('service_model', 'owners_committee', 'party_branch')",
        range(),
    )
    .await?;
    let mut by_compound: HashMap<i64, Vec<&F>> = HashMap::new();
    for f in &facts {
        by_compound.entry(f.compound_id).or_default().push(f);
    }
    let professional: Vec<&str> =
        domain::ServiceModel::ALL.iter().filter(|m| m.is_professional()).map(|m| m.as_str()).collect();
    let mut out = Vec::with_capacity(dates.len());
    for &d in dates {
        let next = domain::clock::start_of(d.succ_opt().unwrap_or(d));
        let mut b = BaseCounts { n: 0, prof: 0, covered: 0, committee: 0, branch: 0 };
        for c in &compounds {
            if c.year_built.is_some_and(|y| y > d.year()) || c.retired_at.is_some_and(|r| r < next) {
                continue;
            }
            b.n += 1;
            let on: Vec<&&F> = by_compound
                .get(&c.id)
                .map(|fs| fs.iter().filter(|f| f.valid_from <= d && f.valid_to.is_none_or(|t| t > d)).collect())
                .unwrap_or_default();
            let model = on.iter().find(|f| f.kind == "service_model").and_then(|f| f.value.as_deref());
            b.prof += i64::from(model.is_some_and(|m| professional.contains(&m)));
            b.covered += i64::from(model.is_some_and(|m| m != "none"));
            b.committee +=
                i64::from(on.iter().any(|f| f.kind == "owners_committee" && f.term_end.is_none_or(|t| t > d)));
            b.branch += i64::from(on.iter().any(|f| f.kind == "party_branch"));
        }
        out.push(b);
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct Two {
    a: i64,
    b: i64,
}

/// The KPI set of a region on a date: read from the kept figures (decision
/// 0010) for the country down to streets, counted from the facts below.
pub async fn kpis(db: &Db, within: &RegionPath, date: NaiveDate) -> Result<KpiSet> {
    let code = domain::figures::code_of_path(within.as_str());
    match crate::figures::kpis_of(db, &[code], date).await?.remove(code) {
        Some(set) => Ok(set),
        None => count_from_facts(db, within, date).await,
    }
}

/// The KPI sets of many regions on one date (one read for the kept ones).
pub async fn kpis_many(db: &Db, within: &[RegionPath], date: NaiveDate) -> Result<Vec<KpiSet>> {
    let codes: Vec<&str> = within.iter().map(|p| domain::figures::code_of_path(p.as_str())).collect();
    let mut kept = crate::figures::kpis_of(db, &codes, date).await?;
    let mut out = Vec::with_capacity(within.len());
    for (p, code) in within.iter().zip(&codes) {
        out.push(match kept.remove(*code) {
            Some(set) => set,
            None => count_from_facts(db, p, date).await?,
        });
    }
    Ok(out)
}

/// The KPI set counted from scratch from the dated facts: the definition the
/// kept figures are checked against, and the count below streets.
pub async fn count_from_facts(db: &Db, within: &RegionPath, date: NaiveDate) -> Result<KpiSet> {
    let vals = || params(within, date);
    let c = db.conn();
    let base = base_counts_from_facts(db, within, date).await?;
    #[derive(FromQueryResult)]
    struct Three {
        a: i64,
        b: i64,
        i: i64,
    }
    let companies: Three = one(
        c,
        &format!(
            "SELECT COUNT(*) AS a, {} AS b, {} AS i FROM organisation o WHERE o.id IN ({})",
            sum(&format!("{COVERAGE} IN ({})", organisational_coverages())),
            sum(&format!("{COVERAGE} = 'instructor_only'")),
            serving("company")
        ),
        vals(),
    )
    .await?
    .expect("one row");
    let committees: Three = one(
        c,
        &format!(
            "SELECT COUNT(*) AS a, {} AS b, {} AS i FROM organisation o WHERE o.id IN ({})",
            sum(COMMITTEE_COVERED),
            sum(&committee_worked()),
            serving("owners_committee")
        ),
        vals(),
    )
    .await?
    .expect("one row");
    let servants =
        |posts: &str| format!("SELECT COUNT(*) AS a, {} AS b FROM person p WHERE p.id IN ({posts})", sum(SERVANT_ON));
    let two_committees: Two = one(c, &servants(&two_committee_posts()), vals()).await?.expect("one row");
    let heads: Two = one(c, &servants(&head_posts()), vals()).await?.expect("one row");
    // Compounds whose party branch shares a member with their committee or serving company.
    let cross: Two = one(
        c,
        &format!(
            "SELECT {} AS a, {} AS b FROM compound c WHERE {BASE}",
            sum(&has("party_branch")),
            sum(&format!("{} AND {}", has("party_branch"), cross_appointed())),
        ),
        vals(),
    )
    .await?
    .expect("one row");
    let counts: Two = one(
        c,
        &format!(
            "SELECT (SELECT COUNT(*) FROM organisation o WHERE o.kind = 'red_station' \
                     AND (o.established IS NULL OR o.established <= $3) AND (o.retired_at IS NULL OR o.retired_at >= $5) \
                     AND ((o.region_path >= $1 AND o.region_path < $2) OR o.id IN (SELECT f.ref_id FROM compound_fact f \
                     JOIN compound c ON c.id = f.compound_id WHERE f.kind = 'red_station' AND {} AND {BASE}))) AS a, \
                    (SELECT COUNT(DISTINCT x.person_id) FROM post x WHERE x.role = 'community_worker' AND {POST_ON} \
                     AND x.region_path >= $1 AND x.region_path < $2) AS b",
            on("f")
        ),
        vals(),
    )
    .await?
    .expect("one row");

    let unrecorded: domain::kpi::Unrecorded = {
        #[derive(FromQueryResult)]
        struct U {
            year_built: i64,
            is_old: i64,
            households: i64,
            floor_area: i64,
        }
        let u: U = one(
            c,
            &format!(
                "SELECT {} AS year_built, {} AS is_old, {} AS households, {} AS floor_area FROM compound c WHERE {BASE}",
                sum("c.year_built IS NULL"),
                sum("c.unrecorded LIKE '%is_old%'"),
                sum("c.unrecorded LIKE '%households%'"),
                sum("c.unrecorded LIKE '%floor_area%'"),
            ),
            vals(),
        )
        .await?
        .expect("one row");
        domain::kpi::Unrecorded {
            year_built: u.year_built,
            is_old: u.is_old,
            households: u.households,
            floor_area: u.floor_area,
        }
    };
    Ok(KpiSet {
        unrecorded,
        compounds: base.n,
        professional_coverage: Ratio::new(base.prof, base.n),
        full_coverage: Ratio::new(base.covered, base.n),
        committee_formation: Ratio::new(base.committee, base.n),
        company_party_coverage: Ratio::new(companies.b, companies.a),
        company_instructor_only: companies.i,
        committee_party_coverage: Ratio::new(committees.b, committees.a),
        committee_work_coverage: Ratio::new(committees.i, committees.a),
        compound_party_coverage: Ratio::new(base.branch, base.n),
        servants_two_committees: Ratio::new(two_committees.b, two_committees.a),
        servants_building_heads: Ratio::new(heads.b, heads.a),
        cross_appointment: Ratio::new(cross.b, cross.a),
        red_stations: counts.a,
        community_workers: counts.b,
    })
}

/// What fails a KPI on a date: the compounds, organisations or people that
/// are in its denominator and not in its numerator, with what kind they are.
pub async fn failing(
    db: &Db,
    within: &RegionPath,
    date: NaiveDate,
    kpi: domain::kpi::Kpi,
    page: domain::Paging,
) -> Result<(Vec<Failing>, u64)> {
    use domain::kpi::Kpi;
    let compounds = |cond: String| {
        (
            "SELECT c.id, c.name, r.name AS place FROM compound c JOIN region r ON r.code = c.region_code",
            "compound c",
            format!(" WHERE {BASE} AND {cond}"),
            "c.region_path, c.name",
        )
    };
    let orgs = |cond: String| {
        (
            "SELECT o.id, o.name, r.name AS place FROM organisation o JOIN region r ON r.code = o.region_code",
            "organisation o",
            format!(" WHERE {cond}"),
            "o.name",
        )
    };
    // People who are not public servants, each with the compound they serve (the first by name).
    let people = |posts: String| {
        (
            "SELECT p.id, p.name, COALESCE((SELECT MIN(c.name) FROM post x JOIN organisation o ON o.id = x.org_id \
             JOIN compound c ON c.id = o.compound_id WHERE x.person_id = p.id AND {POST_ON}), \
             (SELECT MIN(c.name) FROM post x JOIN building b ON b.id = x.building_id JOIN compound c ON c.id = b.compound_id \
             WHERE x.person_id = p.id AND {POST_ON}), '') AS place FROM person p",
            "person p",
            format!(" WHERE NOT {SERVANT_ON} AND p.id IN ({posts})"),
            "p.name",
        )
    };
    let (select, from, filter, order) = match kpi {
        Kpi::ProfessionalCoverage => compounds(format!(
            "NOT EXISTS (SELECT 1 FROM compound_fact x WHERE x.compound_id = c.id AND x.kind = 'service_model' AND {} \
             AND x.value IN ({}))",
            on("x"),
            professional_models()
        )),
        Kpi::FullCoverage => compounds(format!(
            "NOT EXISTS (SELECT 1 FROM compound_fact x WHERE x.compound_id = c.id AND x.kind = 'service_model' AND {} \
             AND x.value <> 'none')",
            on("x")
        )),
        Kpi::CommitteeFormation => compounds(format!("NOT {}", has("owners_committee"))),
        Kpi::CompoundPartyCoverage => compounds(format!("NOT {}", has("party_branch"))),
        Kpi::CrossAppointment => compounds(format!("{} AND NOT {}", has("party_branch"), cross_appointed())),
        Kpi::CompanyPartyCoverage => orgs(format!(
            "COALESCE({COVERAGE}, 'none') NOT IN ({}) AND o.id IN ({})",
            organisational_coverages(),
            serving("company")
        )),
        Kpi::CommitteePartyCoverage => {
            orgs(format!("NOT {COMMITTEE_COVERED} AND o.id IN ({})", serving("owners_committee")))
        }
        Kpi::ServantsInTwoCommittees => people(two_committee_posts()),
        Kpi::ServantsAmongBuildingHeads => people(head_posts()),
    };
    let select = select.replace("{POST_ON}", POST_ON);
    Ok(crate::sql::page_of(db.conn(), &select, from, &filter, order, params(within, date), page).await?)
}

/// A record that fails a KPI: a compound or a company, with where it is.
#[derive(Debug, Clone, serde::Serialize, FromQueryResult)]
pub struct Failing {
    pub id: i64,
    pub name: String,
    pub place: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn sql_lists_come_from_the_domain() {
        assert_eq!(super::professional_models(), "'professional', 'party_led', 'cooperative', 'soe_backstop'");
        assert_eq!(super::organisational_coverages(), "'own_branch', 'joint_branch'");
        assert_eq!(crate::problems::satisfied_sql(), "'satisfied', 'basically_satisfied'");
    }
}
