//! Keeping the figures (decision 0010). Triggers mark the entities a write
//! touched (`figure_dirty`, migration m0021); [`settle`] recounts their
//! contributions from the facts (`domain::figures`), stores them
//! (`figure_part`) and adds the difference to the per-region steps
//! (`figure_step`). A read settles first, so a figure never lags a write it
//! could see; `serve` also settles every second, so readers rarely pay.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::clock::china_date;
use domain::figures::{
    self as f, CompoundIn, Counter, CrossIn, Day, FactIn, OrgIn, Parts, PersonIn, Place, PostIn, Spans,
};
use domain::kpi::KpiSet;
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::sql::{all, exec, scalar_i64};
use crate::{Db, Result};

const COMPOUND: i16 = 1;
const ORG: i16 = 2;
const PERSON: i16 = 3;

/// Ids per query: inlined as integer literals (never user input), so no
/// backend's parameter limit applies.
const CHUNK: usize = 2000;

/// Entities whose contribution is to be recounted.
#[derive(Debug, Default, Clone)]
pub struct Entities {
    pub compounds: BTreeSet<i64>,
    pub orgs: BTreeSet<i64>,
    pub persons: BTreeSet<i64>,
}

impl Entities {
    pub fn len(&self) -> usize {
        self.compounds.len() + self.orgs.len() + self.persons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[derive(FromQueryResult)]
struct Id {
    id: i64,
}

/// The ids `sql` (with `{ids}` for each chunk of `of`) returns.
async fn ids_of(c: &impl ConnectionTrait, sql: &str, of: &BTreeSet<i64>) -> Result<Vec<i64>> {
    let of: Vec<i64> = of.iter().copied().collect();
    let mut out = Vec::new();
    for chunk in of.chunks(CHUNK) {
        let rows: Vec<Id> = all(c, &sql.replace("{ids}", &list(chunk)), vec![]).await?;
        out.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(out)
}

/// Whether anything waits to be counted.
pub async fn pending(db: &Db) -> Result<bool> {
    Ok(scalar_i64(db.conn(), "SELECT COUNT(*) FROM (SELECT 1 FROM figure_dirty LIMIT 1) d", vec![]).await? > 0)
}

/// Count what writes have marked; returns how many entities were recounted.
/// Runs as a registry write (one at a time with the others), so two settles
/// never add the same difference twice.
pub async fn settle(db: &Db) -> Result<usize> {
    if !pending(db).await? {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    tx.epoch = None; // counting changes nobody's scope
    let n = settle_in(&*tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// How long a read waits for the registry lock to settle before it counts
/// from the facts instead (an import holds the lock for seconds).
const READ_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Settle before a read; whether the kept figures are current. When they
/// cannot be made so — a long write holds the lock, a read-only replica, a
/// kept value that no longer reads — the caller counts from the facts
/// instead: slower, never stale, never an error page. Failures are logged.
async fn current(db: &Db) -> bool {
    let settled = async {
        if !pending(db).await? {
            return Ok(true);
        }
        let Some(tx) = db.try_begin_write(READ_WAIT).await? else { return Ok(false) };
        settle_in(&*tx).await?;
        tx.commit().await?;
        Ok::<_, crate::DbError>(true)
    };
    match settled.await {
        Ok(true) => true,
        Ok(false) => {
            tracing::info!("a write holds the registry lock; counting these figures from the facts");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "kept figures could not be settled; counting from the facts");
            false
        }
    }
}

/// [`settle`] inside a transaction the caller holds (and has made a registry write).
pub async fn settle_in(c: &impl ConnectionTrait) -> Result<usize> {
    #[derive(FromQueryResult)]
    struct D {
        kind: i16,
        id: i64,
    }
    // Taken and cleared in one statement: a mark committed after it stays for the next settle.
    let marked: Vec<D> = all(c, "DELETE FROM figure_dirty RETURNING kind, id", vec![]).await?;
    if marked.is_empty() {
        return Ok(0);
    }
    let mut e = Entities::default();
    for m in marked {
        match m.kind {
            COMPOUND => e.compounds.insert(m.id),
            ORG => e.orgs.insert(m.id),
            _ => e.persons.insert(m.id),
        };
    }
    expand(c, &mut e).await?;
    let n = e.len();
    recount(c, &e, true).await?;
    Ok(n)
}

/// Add what a change to the marked entities can reach: a person's posts reach
/// their organisations (a committee member's party post, a branch member's
/// company post); an organisation reaches its compound and, if it changed
/// itself, the compounds whose facts name it; a compound reaches the
/// organisations on it or named by its facts; an organisation or compound
/// reaches the people posted on it.
async fn expand(c: &impl ConnectionTrait, e: &mut Entities) -> Result<()> {
    let changed_orgs = e.orgs.clone();
    // An organisation that changed itself (its kind, say) changes what its
    // members' posts elsewhere count for: take in their people first.
    let members = ids_of(c, "SELECT DISTINCT person_id AS id FROM post WHERE org_id IN ({ids})", &changed_orgs).await?;
    e.persons.extend(members);
    let of_people = ids_of(
        c,
        "SELECT DISTINCT org_id AS id FROM post WHERE org_id IS NOT NULL AND person_id IN ({ids})",
        &e.persons,
    )
    .await?;
    e.orgs.extend(of_people);
    let on = ids_of(
        c,
        "SELECT compound_id AS id FROM organisation WHERE compound_id IS NOT NULL AND id IN ({ids})",
        &e.orgs,
    )
    .await?;
    e.compounds.extend(on);
    let naming =
        ids_of(c, "SELECT DISTINCT compound_id AS id FROM compound_fact WHERE ref_id IN ({ids})", &changed_orgs)
            .await?;
    e.compounds.extend(naming);
    let orgs_on = ids_of(c, "SELECT id FROM organisation WHERE compound_id IN ({ids})", &e.compounds).await?;
    let named = ids_of(
        c,
        "SELECT DISTINCT ref_id AS id FROM compound_fact WHERE ref_id IS NOT NULL AND compound_id IN ({ids})",
        &e.compounds,
    )
    .await?;
    e.orgs.extend(orgs_on);
    e.orgs.extend(named);
    let posted = ids_of(c, "SELECT DISTINCT person_id AS id FROM post WHERE org_id IN ({ids})", &e.orgs).await?;
    let heads = ids_of(
        c,
        "SELECT DISTINCT x.person_id AS id FROM post x JOIN building b ON b.id = x.building_id WHERE b.compound_id IN ({ids})",
        &e.compounds,
    )
    .await?;
    e.persons.extend(posted);
    e.persons.extend(heads);
    Ok(())
}

/// The steps `(region, counter, day) → change` found by recounting.
type Steps = HashMap<(i64, i16, Day), i64>;

/// What [`recount`] found.
#[derive(Debug, Default)]
pub struct Recount {
    /// Entities whose stored contribution differed from the facts.
    pub differing: usize,
    /// A few of them, as `kind:id`.
    pub examples: Vec<String>,
}

/// Recount the entities from their facts; with `write`, store the new
/// contributions and add the difference to the steps; without, only report.
async fn recount(c: &impl ConnectionTrait, e: &Entities, write: bool) -> Result<Recount> {
    let mut steps = Steps::new();
    let mut out = Recount::default();
    for (kind, set) in [(COMPOUND, &e.compounds), (ORG, &e.orgs), (PERSON, &e.persons)] {
        let ids: Vec<i64> = set.iter().copied().collect();
        for chunk in ids.chunks(CHUNK) {
            let new: HashMap<i64, Parts> = match kind {
                COMPOUND => load_compounds(c, chunk).await?.iter().map(|(id, x)| (*id, f::compound_parts(x))).collect(),
                ORG => load_orgs(c, chunk).await?.iter().map(|(id, x)| (*id, f::org_parts(x))).collect(),
                _ => load_persons(c, chunk).await?.iter().map(|(id, x)| (*id, f::person_parts(x))).collect(),
            };
            let old = load_parts(c, kind, chunk).await?;
            let none = Parts::new();
            for id in chunk {
                let (o, n) = (old.get(id).unwrap_or(&none), new.get(id).unwrap_or(&none));
                if o != n {
                    out.differing += 1;
                    if out.examples.len() < 10 {
                        out.examples
                            .push(format!("{}:{id}", ["", "compound", "organisation", "person"][kind as usize]));
                    }
                    f::steps(o, n, &mut steps);
                }
            }
            if write {
                store_parts(c, kind, chunk, &new, &old).await?;
            }
        }
    }
    if write {
        add_steps(c, &steps).await?;
    }
    Ok(out)
}

/// The steps at every grain, zero sums dropped.
fn graded(steps: &Steps) -> HashMap<(i64, i16, i32, i16), i64> {
    let mut g: HashMap<(i64, i16, i32, i16), i64> = HashMap::new();
    for (&(region, counter, day), &delta) in steps {
        for (grain, bucket) in f::buckets(day) {
            *g.entry((region, grain, bucket, counter)).or_default() += delta;
        }
    }
    g.retain(|_, v| *v != 0);
    g
}

async fn add_steps(c: &impl ConnectionTrait, steps: &Steps) -> Result<()> {
    // In key order: the upserts then walk the table's B-tree once instead of
    // jumping about it (a national recount spent minutes in page reads otherwise).
    let mut rows: Vec<_> = graded(steps).into_iter().collect();
    rows.sort_unstable();
    for chunk in rows.chunks(1000) {
        let values: Vec<String> =
            chunk.iter().map(|((r, g, b, k), d)| format!("({r},{g},{b},{k},{d})")).collect::<Vec<_>>();
        exec(
            c,
            &format!(
                "INSERT INTO figure_step (region, grain, bucket, counter, delta) VALUES {} \
                 ON CONFLICT (region, grain, bucket, counter) DO UPDATE SET delta = figure_step.delta + excluded.delta",
                values.join(",")
            ),
            vec![],
        )
        .await?;
    }
    Ok(())
}

async fn load_parts(c: &impl ConnectionTrait, kind: i16, ids: &[i64]) -> Result<HashMap<i64, Parts>> {
    #[derive(FromQueryResult)]
    struct R {
        id: i64,
        parts: String,
    }
    let rows: Vec<R> =
        all(c, &format!("SELECT id, parts FROM figure_part WHERE kind = {kind} AND id IN ({})", list(ids)), vec![])
            .await?;
    rows.into_iter()
        .map(|r| {
            // Only this module writes these; one it cannot read is named, not skipped.
            let p: Parts = serde_json::from_str(&r.parts).map_err(|e| {
                sea_orm::DbErr::Type(format!("figure_part {kind}:{}: {e} (run `gongzhi figures rebuild`)", r.id))
            })?;
            Ok((r.id, p))
        })
        .collect()
}

async fn store_parts(
    c: &impl ConnectionTrait,
    kind: i16,
    ids: &[i64],
    new: &HashMap<i64, Parts>,
    old: &HashMap<i64, Parts>,
) -> Result<()> {
    let none = Parts::new();
    let changed: Vec<i64> =
        ids.iter().copied().filter(|id| old.get(id).unwrap_or(&none) != new.get(id).unwrap_or(&none)).collect();
    if changed.is_empty() {
        return Ok(());
    }
    exec(c, &format!("DELETE FROM figure_part WHERE kind = {kind} AND id IN ({})", list(&changed)), vec![]).await?;
    let rows: Vec<(i64, String)> = changed
        .iter()
        .filter_map(|id| new.get(id).filter(|p| !p.is_empty()).map(|p| (*id, p)))
        .map(|(id, p)| Ok((id, serde_json::to_string(p).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    for chunk in rows.chunks(500) {
        let marks = crate::sql::placeholders(c.get_database_backend(), chunk.len(), 3);
        let mut values = Vec::with_capacity(chunk.len() * 3);
        for (id, p) in chunk {
            values.extend([sea_orm::Value::from(kind), (*id).into(), p.clone().into()]);
        }
        exec(c, &format!("INSERT INTO figure_part (kind, id, parts) VALUES {marks}"), values).await?;
    }
    Ok(())
}

// ---- loading what the figures read ------------------------------------------

fn retired(t: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    t.map(china_date)
}

async fn load_compounds(c: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, CompoundIn>> {
    #[derive(FromQueryResult)]
    struct C {
        id: i64,
        region_code: String,
        year_built: Option<i32>,
        retired_at: Option<DateTime<Utc>>,
        unrecorded: Option<String>,
    }
    #[derive(FromQueryResult)]
    struct F {
        compound_id: i64,
        kind: String,
        value: Option<String>,
        ref_id: Option<i64>,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
        term_end: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct X {
        cid: i64,
        xf: NaiveDate,
        xt: Option<NaiveDate>,
        yf: NaiveDate,
        yt: Option<NaiveDate>,
        kind: String,
        oid: i64,
        term_end: Option<NaiveDate>,
    }
    let ids = list(ids);
    let rows: Vec<C> = all(
        c,
        &format!("SELECT id, region_code, year_built, retired_at, unrecorded FROM compound WHERE id IN ({ids})"),
        vec![],
    )
    .await?;
    let mut out: HashMap<i64, CompoundIn> = rows
        .into_iter()
        .map(|r| {
            let x = CompoundIn {
                region: r.region_code,
                year_built: r.year_built,
                retired: retired(r.retired_at),
                unrecorded: r.unrecorded.unwrap_or_default(),
                ..Default::default()
            };
            (r.id, x)
        })
        .collect();
    let facts: Vec<F> = all(
        c,
        &format!(
            "SELECT x.compound_id, x.kind, x.value, x.ref_id, x.valid_from, x.valid_to, o.term_end \
             FROM compound_fact x LEFT JOIN organisation o ON o.id = x.ref_id WHERE x.compound_id IN ({ids}) \
             AND x.kind IN ('service_model', 'owners_committee', 'party_branch', 'company')"
        ),
        vec![],
    )
    .await?;
    for r in facts {
        if let Some(x) = out.get_mut(&r.compound_id) {
            x.facts.push(FactIn {
                kind: r.kind,
                value: r.value,
                ref_id: r.ref_id,
                span: Spans::dates(r.valid_from, r.valid_to),
                term_end: r.term_end,
            });
        }
    }
    #[derive(FromQueryResult)]
    struct A {
        compound_id: i64,
        model: String,
        opened_on: NaiveDate,
        closed_on: Option<NaiveDate>,
    }
    let accounts: Vec<A> = all(
        c,
        &format!(
            "SELECT compound_id, model, opened_on, closed_on FROM ledger_account \
             WHERE compound_id IN ({ids}) AND kind = 'common'"
        ),
        vec![],
    )
    .await?;
    for r in accounts {
        if let (Some(x), Some(m)) = (out.get_mut(&r.compound_id), domain::ledger::Model::find(&r.model)) {
            x.accounts.push((m, Spans::dates(r.opened_on, r.closed_on)));
        }
    }
    let pairs: Vec<X> = all(
        c,
        &format!(
            "SELECT po.compound_id AS cid, x.start_date AS xf, x.end_date AS xt, y.start_date AS yf, y.end_date AS yt, \
             oo.kind, oo.id AS oid, oo.term_end FROM post x JOIN organisation po ON po.id = x.org_id \
             JOIN post y ON y.person_id = x.person_id AND y.id <> x.id JOIN organisation oo ON oo.id = y.org_id \
             WHERE po.kind = 'party_org' AND po.compound_id IN ({ids}) \
             AND ((oo.kind = 'owners_committee' AND oo.compound_id = po.compound_id) OR oo.kind = 'company')"
        ),
        vec![],
    )
    .await?;
    for r in pairs {
        if let Some(x) = out.get_mut(&r.cid) {
            x.cross.push(CrossIn {
                span: Spans::dates(r.xf, r.xt).intersect(&Spans::dates(r.yf, r.yt)),
                committee: r.kind == "owners_committee",
                org: r.oid,
                term_end: r.term_end,
            });
        }
    }
    Ok(out)
}

async fn load_orgs(c: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, OrgIn>> {
    #[derive(FromQueryResult)]
    struct O {
        id: i64,
        kind: String,
        region_code: String,
        established: Option<NaiveDate>,
        retired_at: Option<DateTime<Utc>>,
        term_end: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct N {
        ref_id: i64,
        kind: String,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
        region_code: String,
        year_built: Option<i32>,
        retired_at: Option<DateTime<Utc>>,
    }
    #[derive(FromQueryResult)]
    struct V {
        org_id: i64,
        value: Option<String>,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct P {
        covers_org_id: i64,
        established: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct M {
        org_id: i64,
        person_id: i64,
        role: String,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct Y {
        person_id: i64,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    }
    let list_ids = list(ids);
    let rows: Vec<O> = all(
        c,
        &format!(
            "SELECT id, kind, region_code, established, retired_at, term_end FROM organisation WHERE id IN ({list_ids})"
        ),
        vec![],
    )
    .await?;
    let mut out: HashMap<i64, OrgIn> = rows
        .into_iter()
        .map(|r| {
            let o = OrgIn {
                kind: r.kind,
                region: r.region_code,
                established: r.established,
                retired: retired(r.retired_at),
                term_end: r.term_end,
                ..Default::default()
            };
            (r.id, o)
        })
        .collect();
    let named: Vec<N> = all(
        c,
        &format!(
            "SELECT x.ref_id, x.kind, x.valid_from, x.valid_to, c.region_code, c.year_built, c.retired_at \
             FROM compound_fact x JOIN compound c ON c.id = x.compound_id WHERE x.ref_id IN ({list_ids}) \
             AND x.kind IN ('company', 'owners_committee', 'red_station')"
        ),
        vec![],
    )
    .await?;
    let mut committees = BTreeSet::new();
    for r in named {
        if let Some(o) = out.get_mut(&r.ref_id) {
            if r.kind == "owners_committee" {
                committees.insert(r.ref_id);
            }
            let place = Place { region: r.region_code, base: CompoundIn::base(r.year_built, retired(r.retired_at)) };
            o.named.push((r.kind, Spans::dates(r.valid_from, r.valid_to), place));
        }
    }
    let coverage: Vec<V> = all(
        c,
        &format!(
            "SELECT org_id, value, valid_from, valid_to FROM org_fact WHERE kind = 'party_coverage' AND org_id IN ({list_ids})"
        ),
        vec![],
    )
    .await?;
    for r in coverage {
        if let (Some(o), Some(v)) = (out.get_mut(&r.org_id), r.value) {
            o.coverage.push((v, Spans::dates(r.valid_from, r.valid_to)));
        }
    }
    if committees.is_empty() {
        return Ok(out);
    }
    let committee_ids = list(&committees.iter().copied().collect::<Vec<_>>());
    let covering: Vec<P> = all(
        c,
        &format!(
            "SELECT covers_org_id, established FROM organisation WHERE kind = 'party_org' AND covers_org_id IN ({committee_ids})"
        ),
        vec![],
    )
    .await?;
    for r in covering {
        if let Some(o) = out.get_mut(&r.covers_org_id) {
            o.covered_since = Some(match (o.covered_since, r.established) {
                (Some(None), _) | (_, None) => None,
                (Some(Some(a)), Some(b)) => Some(a.min(b)),
                (None, Some(b)) => Some(b),
            });
        }
    }
    let members: Vec<M> = all(
        c,
        &format!("SELECT org_id, person_id, role, start_date, end_date FROM post WHERE org_id IN ({committee_ids})"),
        vec![],
    )
    .await?;
    let people: BTreeSet<i64> = members.iter().map(|m| m.person_id).collect();
    let mut party: HashMap<i64, Spans> = HashMap::new();
    let people: Vec<i64> = people.into_iter().collect();
    for chunk in people.chunks(CHUNK) {
        let rows: Vec<Y> = all(
            c,
            &format!(
                "SELECT y.person_id, y.start_date, y.end_date FROM post y JOIN organisation po ON po.id = y.org_id \
                 WHERE po.kind = 'party_org' AND y.person_id IN ({})",
                list(chunk)
            ),
            vec![],
        )
        .await?;
        for y in rows {
            party.entry(y.person_id).or_default().add(&Spans::dates(y.start_date, y.end_date));
        }
    }
    for m in members {
        if let Some(o) = out.get_mut(&m.org_id) {
            let p = party.get(&m.person_id).cloned().unwrap_or_default();
            o.members.push((m.role == "instructor", Spans::dates(m.start_date, m.end_date), p));
        }
    }
    Ok(out)
}

async fn load_persons(c: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, PersonIn>> {
    #[derive(FromQueryResult)]
    struct S {
        person_id: i64,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
    }
    #[derive(FromQueryResult)]
    struct Q {
        person_id: i64,
        role: String,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
        region_path: Option<String>,
        org_kind: Option<String>,
        party_level: Option<String>,
        term_end: Option<NaiveDate>,
        oc_region: Option<String>,
        oc_year: Option<i32>,
        oc_retired: Option<DateTime<Utc>>,
        bc_region: Option<String>,
        bc_year: Option<i32>,
        bc_retired: Option<DateTime<Utc>>,
    }
    let ids = list(ids);
    let mut out: HashMap<i64, PersonIn> = HashMap::new();
    let servant: Vec<S> = all(
        c,
        &format!(
            "SELECT person_id, valid_from, valid_to FROM person_fact WHERE kind = 'public_servant' AND value = TRUE \
             AND person_id IN ({ids})"
        ),
        vec![],
    )
    .await?;
    for s in servant {
        out.entry(s.person_id).or_default().servant.add(&Spans::dates(s.valid_from, s.valid_to));
    }
    let posts: Vec<Q> = all(
        c,
        &format!(
            "SELECT x.person_id, x.role, x.start_date, x.end_date, x.region_path, o.kind AS org_kind, o.party_level, \
             o.term_end, oc.region_code AS oc_region, oc.year_built AS oc_year, oc.retired_at AS oc_retired, \
             bc.region_code AS bc_region, bc.year_built AS bc_year, bc.retired_at AS bc_retired FROM post x \
             LEFT JOIN organisation o ON o.id = x.org_id LEFT JOIN compound oc ON oc.id = o.compound_id \
             LEFT JOIN building b ON b.id = x.building_id LEFT JOIN compound bc ON bc.id = b.compound_id \
             WHERE x.person_id IN ({ids})"
        ),
        vec![],
    )
    .await?;
    for q in posts {
        let span = Spans::dates(q.start_date, q.end_date);
        // On a committee the post counts while its term runs: cut from the
        // place's days, not the post's, which other roles' counts read whole.
        let two = match (q.org_kind.as_deref(), q.party_level.as_deref(), q.oc_region) {
            (Some("party_org"), Some("compound_branch"), Some(r)) => Some((r, Spans::always())),
            (Some("owners_committee"), _, Some(r)) => Some((r, Spans::until(q.term_end))),
            _ => None,
        }
        .map(|(region, term)| Place {
            region,
            base: CompoundIn::base(q.oc_year, retired(q.oc_retired)).intersect(&term),
        });
        let building =
            q.bc_region.map(|region| Place { region, base: CompoundIn::base(q.bc_year, retired(q.bc_retired)) });
        out.entry(q.person_id).or_default().posts.push(PostIn {
            role: q.role,
            span,
            region: q.region_path.map(|p| f::code_of_path(&p).to_owned()),
            two_committees: two,
            building,
        });
    }
    Ok(out)
}

// ---- reading ----------------------------------------------------------------

/// The counters of kept regions `keys` on `date`.
async fn counters(db: &Db, keys: &[i64], date: NaiveDate) -> Result<HashMap<i64, HashMap<Counter, i64>>> {
    #[derive(FromQueryResult)]
    struct R {
        region: i64,
        counter: i16,
        v: i64,
    }
    let (y, y0, m, first, d) = f::bounds(date);
    let keys = list(keys);
    let rows: Vec<R> = all(
        db.conn(),
        &format!(
            "SELECT region, counter, CAST(SUM(delta) AS BIGINT) AS v FROM ( \
             SELECT region, counter, delta FROM figure_step WHERE region IN ({keys}) AND grain = 0 AND bucket < {y} \
             UNION ALL SELECT region, counter, delta FROM figure_step WHERE region IN ({keys}) AND grain = 1 \
             AND bucket >= {y0} AND bucket < {m} \
             UNION ALL SELECT region, counter, delta FROM figure_step WHERE region IN ({keys}) AND grain = 2 \
             AND bucket >= {first} AND bucket <= {d}) s GROUP BY region, counter"
        ),
        vec![],
    )
    .await?;
    let mut out: HashMap<i64, HashMap<Counter, i64>> = HashMap::new();
    for r in rows {
        if let Some(k) = Counter::from_code(r.counter) {
            out.entry(r.region).or_default().insert(k, r.v);
        }
    }
    Ok(out)
}

/// The KPI sets of kept regions (by code; "" is the country) on `date`,
/// after settling. Codes of levels that are not kept are left out (and all
/// of them when the kept figures are not current).
pub async fn kpis_of(db: &Db, codes: &[&str], date: NaiveDate) -> Result<HashMap<String, KpiSet>> {
    if !current(db).await {
        return Ok(HashMap::new());
    }
    let keyed: Vec<(&str, i64)> = codes.iter().filter_map(|c| Some((*c, f::key_of(c)?))).collect();
    if keyed.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<i64> = keyed.iter().map(|(_, k)| *k).collect();
    let v = counters(db, &keys, date).await?;
    let empty = HashMap::new();
    Ok(keyed.into_iter().map(|(c, k)| (c.to_owned(), f::kpi_set(v.get(&k).unwrap_or(&empty)))).collect())
}

/// The counters of one region (`code`, subtree `path`) on `date`: kept
/// figures where the region is kept and current; otherwise counted from the
/// facts of its compounds by the same rule (`compound_parts`), which is as
/// fast for a grid's handful of compounds. Compound counters only.
pub async fn counted(db: &Db, code: &str, path: &str, date: NaiveDate) -> Result<HashMap<Counter, i64>> {
    if let Some(key) = f::key_of(code)
        && current(db).await
    {
        return Ok(counters(db, &[key], date).await?.remove(&key).unwrap_or_default());
    }
    let (lo, hi) = domain::RegionPath::from_stored(path.to_owned()).subtree_range();
    let ids: Vec<crate::sql::Id> = all(
        db.conn(),
        "SELECT id FROM compound WHERE region_path >= $1 AND region_path < $2",
        vec![lo.into(), hi.into()],
    )
    .await?;
    let mut out: HashMap<Counter, i64> = HashMap::new();
    let d = f::day(date);
    for chunk in ids.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
        for c in load_compounds(db.conn(), &ids).await?.values() {
            for f::Part(_, _, k, spans) in f::compound_parts(c) {
                if let Some(k) = Counter::from_code(k)
                    && spans.holds(d)
                {
                    *out.entry(k).or_default() += 1;
                }
            }
        }
    }
    Ok(out)
}

/// The compound-level counters `[n, professional, served, committee, branch]`
/// of a kept region on each of `dates`, from one read of its day steps.
pub async fn base_series(db: &Db, code: &str, dates: &[NaiveDate]) -> Result<Option<Vec<[i64; 5]>>> {
    let Some(key) = f::key_of(code) else { return Ok(None) };
    if !current(db).await {
        return Ok(None);
    }
    #[derive(FromQueryResult)]
    struct R {
        bucket: i32,
        counter: i16,
        delta: i64,
    }
    const BASE: [Counter; 5] =
        [Counter::Compounds, Counter::Professional, Counter::Served, Counter::Committee, Counter::Branch];
    let rows: Vec<R> = all(
        db.conn(),
        &format!(
            "SELECT bucket, counter, delta FROM figure_step WHERE region = {key} AND grain = 2 AND counter IN ({}) \
             ORDER BY bucket",
            BASE.iter().map(|k| k.code().to_string()).collect::<Vec<_>>().join(",")
        ),
        vec![],
    )
    .await?;
    let mut order: Vec<(usize, Day)> = dates.iter().enumerate().map(|(i, d)| (i, f::day(*d))).collect();
    order.sort_by_key(|(_, d)| *d);
    let mut out = vec![[0i64; 5]; dates.len()];
    let (mut now, mut i) = ([0i64; 5], 0);
    for (at, d) in order {
        while i < rows.len() && rows[i].bucket <= d {
            if let Some(p) = BASE.iter().position(|k| k.code() == rows[i].counter) {
                now[p] += rows[i].delta;
            }
            i += 1;
        }
        out[at] = now;
    }
    Ok(Some(out))
}

// ---- rebuilding and checking --------------------------------------------------

async fn everything(c: &impl ConnectionTrait) -> Result<Entities> {
    let ids = |t: &str| format!("SELECT id FROM {t}");
    let get = |sql: String| async move {
        let rows: Vec<Id> = all(c, &sql, vec![]).await?;
        Ok::<_, crate::DbError>(rows.into_iter().map(|r| r.id).collect::<BTreeSet<i64>>())
    };
    Ok(Entities {
        compounds: get(ids("compound")).await?,
        orgs: get(ids("organisation")).await?,
        persons: get(ids("person")).await?,
    })
}

/// `gongzhi figures rebuild`: drop every kept figure and count them all again from the facts.
pub async fn rebuild(db: &Db) -> Result<usize> {
    let mut tx = db.begin_write().await?;
    tx.epoch = None;
    for t in ["figure_step", "figure_part", "figure_dirty"] {
        exec(&*tx, &format!("DELETE FROM {t}"), vec![]).await?;
    }
    let e = everything(&*tx).await?;
    recount(&*tx, &e, true).await?;
    tx.commit().await?;
    Ok(e.len())
}

/// What `gongzhi figures check` found.
#[derive(Debug, Default)]
pub struct Check {
    pub entities: usize,
    /// Entities whose kept contribution is not what their facts give now.
    pub parts: Recount,
    /// Kept step sums that differ from the sum of the kept contributions.
    pub steps_differing: usize,
    pub step_examples: Vec<String>,
}

impl Check {
    pub fn ok(&self) -> bool {
        self.parts.differing == 0 && self.steps_differing == 0
    }
}

/// `gongzhi figures check`: after settling, recount every entity from its
/// facts and compare with what is kept; and sum every kept contribution into
/// steps and compare with the kept steps. Writes nothing.
pub async fn check(db: &Db) -> Result<Check> {
    use sea_orm::TransactionTrait;
    settle(db).await?;
    // One snapshot for every read, so `serve` settling meanwhile cannot look like a difference.
    let tx = if db.backend() == sea_orm::DbBackend::Postgres {
        db.conn()
            .begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), Some(sea_orm::AccessMode::ReadOnly))
            .await?
    } else {
        db.conn().begin().await?
    };
    let c = &tx;
    let e = everything(c).await?;
    let parts = recount(c, &e, false).await?;
    // The steps all kept contributions add up to.
    let mut expected = Steps::new();
    #[derive(FromQueryResult)]
    struct R {
        kind: i16,
        id: i64,
        parts: String,
    }
    for kind in [COMPOUND, ORG, PERSON] {
        let mut after = i64::MIN;
        loop {
            // Paged along the key, so the national set is never all in memory as text.
            let rows: Vec<R> = all(
                c,
                &format!(
                    "SELECT kind, id, parts FROM figure_part WHERE kind = {kind} AND id > {after} ORDER BY id LIMIT 5000"
                ),
                vec![],
            )
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for r in rows {
                let p: Parts = serde_json::from_str(&r.parts)
                    .map_err(|e| sea_orm::DbErr::Type(format!("figure_part {}:{}: {e}", r.kind, r.id)))?;
                f::steps(&Vec::new(), &p, &mut expected);
            }
        }
    }
    let want = graded(&expected);
    #[derive(FromQueryResult)]
    struct S {
        region: i64,
        grain: i16,
        bucket: i32,
        counter: i16,
        delta: i64,
    }
    let have: Vec<S> =
        all(c, "SELECT region, grain, bucket, counter, delta FROM figure_step WHERE delta <> 0", vec![]).await?;
    let mut out = Check { entities: e.len(), parts, ..Default::default() };
    let mut seen = 0usize;
    for s in &have {
        let key = (s.region, s.grain, s.bucket, s.counter);
        if want.get(&key) == Some(&s.delta) {
            seen += 1;
        } else {
            out.steps_differing += 1;
            if out.step_examples.len() < 10 {
                out.step_examples.push(format!("{key:?}: kept {} counted {:?}", s.delta, want.get(&key)));
            }
        }
    }
    out.steps_differing += want.len() - seen.min(want.len());
    tx.commit().await?;
    Ok(out)
}
