//! Organisations of every kind: their natural keys, upserts, dated party coverage, lists within scope.

use super::*;
use domain::org::{CommitteeStatus, OrgKind, PartyCoverage, PartyLevel};

/// A checked organisation to store. `region_path` is the stored path of `region_code`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    pub region_code: String,
    pub region_path: String,
    pub compound_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub party_level: Option<PartyLevel>,
    pub covers_org_id: Option<i64>,
    pub credit_code: Option<String>,
    pub party_coverage: Option<PartyCoverage>,
    /// When a changed party coverage took effect (default: today for a
    /// change, and "since before records" for a company's first value).
    pub party_coverage_from: Option<NaiveDate>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub status: Option<CommitteeStatus>,
    pub is_pmc: bool,
    /// When a party organisation was set up (None: since before records).
    pub established: Option<NaiveDate>,
    /// The building a building party group is set up in.
    pub building_id: Option<i64>,
}

impl NewOrg {
    /// An organisation with only its kind, name and place; the rest is set by the caller.
    pub fn new(kind: OrgKind, name: &str, region_code: &str, region_path: &str) -> NewOrg {
        NewOrg {
            kind,
            name: name.into(),
            region_code: region_code.into(),
            region_path: region_path.into(),
            compound_id: None,
            parent_id: None,
            party_level: None,
            covers_org_id: None,
            credit_code: None,
            party_coverage: None,
            party_coverage_from: None,
            term_start: None,
            term_end: None,
            status: None,
            is_pmc: false,
            established: None,
            building_id: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub region_code: String,
    pub region_path: String,
    pub region_name: String,
    pub compound_id: Option<i64>,
    pub compound_name: Option<String>,
    pub parent_id: Option<i64>,
    pub party_level: Option<PartyLevel>,
    pub covers_org_id: Option<i64>,
    pub credit_code: Option<String>,
    pub party_coverage: Option<PartyCoverage>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub status: Option<CommitteeStatus>,
    pub is_pmc: bool,
    pub established: Option<NaiveDate>,
    pub retired_at: Option<DateTime<Utc>>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
}

/// An organisation as stored: its kind as text.
#[derive(FromQueryResult)]
struct OrgRow {
    id: i64,
    kind: String,
    name: String,
    region_code: String,
    region_path: String,
    region_name: String,
    compound_id: Option<i64>,
    compound_name: Option<String>,
    parent_id: Option<i64>,
    party_level: Option<String>,
    covers_org_id: Option<i64>,
    credit_code: Option<String>,
    party_coverage: Option<String>,
    term_start: Option<NaiveDate>,
    term_end: Option<NaiveDate>,
    status: Option<String>,
    is_pmc: bool,
    established: Option<NaiveDate>,
    retired_at: Option<DateTime<Utc>>,
    building_id: Option<i64>,
    building_name: Option<String>,
}

impl FromQueryResult for Org {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = OrgRow::from_query_result(res, pre)?;
        let row = format!("organisation {}", r.id);
        Ok(Org {
            kind: known(&row, "kind", &r.kind, OrgKind::find)?,
            party_level: known_opt(&row, "party level", r.party_level.as_deref(), PartyLevel::find)?,
            party_coverage: known_opt(&row, "party coverage", r.party_coverage.as_deref(), PartyCoverage::find)?,
            status: known_opt(&row, "status", r.status.as_deref(), CommitteeStatus::find)?,
            id: r.id,
            name: r.name,
            region_code: r.region_code,
            region_path: r.region_path,
            region_name: r.region_name,
            compound_id: r.compound_id,
            compound_name: r.compound_name,
            parent_id: r.parent_id,
            covers_org_id: r.covers_org_id,
            credit_code: r.credit_code,
            term_start: r.term_start,
            term_end: r.term_end,
            is_pmc: r.is_pmc,
            established: r.established,
            retired_at: r.retired_at,
            building_id: r.building_id,
            building_name: r.building_name,
        })
    }
}

impl Org {
    /// An owners' committee's status today (a term that ended is 届满, whatever was recorded).
    pub fn status_now(&self) -> Option<CommitteeStatus> {
        self.status.map(|s| s.on(self.term_end, domain::clock::today()))
    }

    fn same_as(&self, n: &NewOrg) -> bool {
        self.name == n.name
            && self.region_code == n.region_code
            && self.compound_id == n.compound_id
            && self.parent_id == n.parent_id
            && self.party_level == n.party_level
            && self.covers_org_id == n.covers_org_id
            && self.credit_code == n.credit_code
            && self.party_coverage == n.party_coverage
            && self.term_start == n.term_start
            && self.term_end == n.term_end
            && self.status == n.status
            && self.is_pmc == n.is_pmc
            && self.established == n.established
            && self.building_id == n.building_id
    }
}

pub(super) const ORG_SELECT: &str = "SELECT o.id, o.kind, o.name, o.region_code, o.region_path, r.name AS region_name, o.compound_id, \
     c.name AS compound_name, o.parent_id, o.party_level, o.covers_org_id, o.credit_code, o.party_coverage, o.term_start, \
     o.term_end, o.status, o.is_pmc, o.established, o.retired_at, o.building_id, bd.name AS building_name \
     FROM organisation o JOIN region r ON r.code = o.region_code LEFT JOIN compound c ON c.id = o.compound_id \
     LEFT JOIN building bd ON bd.id = o.building_id";

pub async fn org(db: &Db, id: i64) -> Result<Org> {
    org_in(db.conn(), id).await
}

pub(super) async fn org_in(c: &impl ConnectionTrait, id: i64) -> Result<Org> {
    one(c, &format!("{ORG_SELECT} WHERE o.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

/// The stored organisation with `n`'s natural key, if any.
pub async fn find_org_in(c: &impl ConnectionTrait, n: &NewOrg) -> Result<Option<Org>> {
    Ok(match &n.credit_code {
        Some(cc) if n.kind == OrgKind::Company => {
            one(c, &format!("{ORG_SELECT} WHERE o.credit_code = $1"), vec![cc.clone().into()]).await?
        }
        _ => {
            one(
                c,
                &format!("{ORG_SELECT} WHERE o.kind = $1 AND o.region_code = $2 AND o.name = $3"),
                vec![n.kind.as_str().into(), n.region_code.clone().into(), n.name.clone().into()],
            )
            .await?
        }
    })
}

pub(super) fn org_values(n: &NewOrg) -> Vec<Value> {
    vec![
        n.kind.as_str().into(),
        n.name.clone().into(),
        n.region_code.clone().into(),
        n.region_path.clone().into(),
        n.compound_id.into(),
        n.parent_id.into(),
        n.party_level.map(|v| v.as_str()).into(),
        n.covers_org_id.into(),
        n.credit_code.clone().into(),
        n.party_coverage.map(|v| v.as_str()).into(),
        n.term_start.into(),
        n.term_end.into(),
        n.status.map(|v| v.as_str()).into(),
        n.is_pmc.into(),
        n.established.into(),
        n.building_id.into(),
    ]
}

/// One owners' committee in office at a time in a compound: a second whose
/// term overlaps one already in office is refused, naming it.
async fn check_one_committee(c: &impl ConnectionTrait, n: &NewOrg, this: Option<i64>) -> Result<()> {
    let (Some(compound), Some(CommitteeStatus::InOffice)) = (n.compound_id, n.status) else { return Ok(()) };
    if n.kind != OrgKind::OwnersCommittee {
        return Ok(());
    }
    let others: Vec<Org> = all(
        c,
        &format!("{ORG_SELECT} WHERE o.kind = $1 AND o.compound_id = $2 AND o.retired_at IS NULL"),
        vec![OrgKind::OwnersCommittee.as_str().into(), compound.into()],
    )
    .await?;
    let since = |d: Option<NaiveDate>| d.unwrap_or(NaiveDate::MIN);
    let mine = (since(n.term_start), n.term_end);
    if let Some(o) = others.iter().find(|o| {
        Some(o.id) != this
            && o.status == Some(CommitteeStatus::InOffice)
            && domain::history::overlaps(mine, (since(o.term_start), o.term_end))
    }) {
        return Err(domain::Invalid::new(
            "status",
            format!("{} is in office in this compound for the same time", o.name),
        )
        .zh(format!("该小区同一时期已有在任业委会「{}」", o.name))
        .into());
    }
    Ok(())
}

pub async fn upsert_org_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewOrg) -> Result<(i64, Upsert)> {
    let now = Utc::now();
    let existing = find_org_in(c, n).await?;
    check_one_committee(c, n, existing.as_ref().map(|o| o.id)).await?;
    let (id, what, before) = match existing {
        Some(o) if o.same_as(n) => return Ok((o.id, Upsert::Unchanged)),
        Some(o) => {
            let mut vals = org_values(n);
            vals.push(now.into());
            vals.push(o.id.into());
            exec(
                c,
                "UPDATE organisation SET kind=$1, name=$2, region_code=$3, region_path=$4, compound_id=$5, parent_id=$6, \
                 party_level=$7, covers_org_id=$8, credit_code=$9, party_coverage=$10, term_start=$11, term_end=$12, \
                 status=$13, is_pmc=$14, established=$15, building_id=$16, updated_at=$17 WHERE id=$18",
                vals,
            )
            .await?;
            (o.id, Upsert::Updated, serde_json::to_value(&o).ok())
        }
        None => {
            let mut vals = org_values(n);
            vals.push(now.into());
            let id = insert_id(
                c,
                "INSERT INTO organisation (kind, name, region_code, region_path, compound_id, parent_id, party_level, \
                 covers_org_id, credit_code, party_coverage, term_start, term_end, status, is_pmc, established, building_id, \
                 created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17) RETURNING id",
                vals,
            )
            .await?;
            (id, Upsert::Added, None)
        }
    };
    if n.kind == OrgKind::Company {
        sync_party_coverage(c, id, n.party_coverage.map(|v| v.as_str()), n.party_coverage_from).await?;
    }
    let after = org_in(c, id).await?;
    Change::new(
        if what == Upsert::Added { "create" } else { "update" },
        "organisation",
        id,
        Some(after.region_path.clone()),
    )
    .before(before)
    .after(serde_json::to_value(&after).ok())
    .append_in(c, actor)
    .await?;
    Ok((id, what))
}

/// The start of a company's first recorded party coverage when none is given.
pub const SINCE_BEFORE_RECORDS: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date");

/// Keep a company's dated party coverage (`org_fact`) in step with its
/// current value: a change closes the open interval where the new one opens.
pub(super) async fn sync_party_coverage(
    c: &impl ConnectionTrait,
    org_id: i64,
    value: Option<&str>,
    from: Option<NaiveDate>,
) -> Result<()> {
    #[derive(FromQueryResult)]
    struct Open {
        id: i64,
        value: Option<String>,
        valid_from: NaiveDate,
    }
    let open: Option<Open> = one(
        c,
        "SELECT id, value, valid_from FROM org_fact WHERE org_id = $1 AND kind = 'party_coverage' AND valid_to IS NULL",
        vec![org_id.into()],
    )
    .await?;
    if open.as_ref().map(|o| o.value.as_deref()) == Some(value) {
        return Ok(());
    }
    let from = match (&open, from) {
        (_, Some(f)) => f,
        (Some(_), None) => domain::clock::today(),
        (None, None) => SINCE_BEFORE_RECORDS,
    };
    if let Some(o) = &open {
        domain::history::check_succession(Some(o.valid_from), from).map_err(|e| e.for_field("party_coverage_from"))?;
        exec(c, "UPDATE org_fact SET valid_to = $1 WHERE id = $2", vec![from.into(), o.id.into()]).await?;
    }
    if value.is_some() {
        exec(
            c,
            "INSERT INTO org_fact (org_id, kind, value, valid_from, valid_to, recorded_at) \
             VALUES ($1, 'party_coverage', $2, $3, NULL, $4)",
            vec![org_id.into(), value.map(str::to_owned).into(), from.into(), Utc::now().into()],
        )
        .await?;
    }
    Ok(())
}

/// A company's party coverage over time: (value, from, to).
pub async fn party_coverage_history(
    db: &Db,
    org_id: i64,
) -> Result<Vec<(Option<String>, NaiveDate, Option<NaiveDate>)>> {
    #[derive(FromQueryResult)]
    struct Row {
        value: Option<String>,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        "SELECT value, valid_from, valid_to FROM org_fact WHERE org_id = $1 AND kind = 'party_coverage' ORDER BY valid_from",
        vec![org_id.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.value, r.valid_from, r.valid_to)).collect())
}

/// Organisations a reader may see: in the visible subtrees, or (companies)
/// serving a compound there.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub all: bool,
    pub paths: Vec<RegionPath>,
    /// Compounds the reader sees by compound grants: their organisations and serving companies.
    pub compound_ids: Vec<i64>,
    pub kind: Option<OrgKind>,
    pub within: Option<RegionPath>,
    pub compound_id: Option<i64>,
    pub name: Option<String>,
    /// Only those led by this organisation (its party chain one step down),
    /// or set up inside it (a committee's or company's party group).
    pub under: Option<i64>,
}

pub(super) fn range(vals: &mut Vec<Value>, col: &str, p: &RegionPath) -> String {
    let (lo, hi) = p.subtree_range();
    vals.push(lo.into());
    vals.push(hi.into());
    format!("({col} >= ${} AND {col} < ${})", vals.len() - 1, vals.len())
}

pub(super) fn org_where(f: &OrgFilter) -> (String, Vec<Value>) {
    let mut vals = Vec::new();
    let mut conds = vec!["o.retired_at IS NULL".to_owned()];
    let served_in = |vals: &mut Vec<Value>, p: &RegionPath| {
        let r = range(vals, "sc.region_path", p);
        format!(
            "EXISTS (SELECT 1 FROM compound_fact sf JOIN compound sc ON sc.id = sf.compound_id \
             WHERE sf.kind = 'company' AND sf.ref_id = o.id AND sf.valid_to IS NULL AND {r})"
        )
    };
    if !f.all {
        let mut any = Vec::new();
        for p in &f.paths {
            any.push(range(&mut vals, "o.region_path", p));
            any.push(served_in(&mut vals, p));
        }
        if !f.compound_ids.is_empty() {
            let ids: Vec<String> = f.compound_ids.iter().map(|i| i.to_string()).collect();
            let ids = ids.join(",");
            any.push(format!(
                "(o.compound_id IN ({ids}) OR EXISTS (SELECT 1 FROM compound_fact sf WHERE sf.kind = 'company' \
                 AND sf.ref_id = o.id AND sf.valid_to IS NULL AND sf.compound_id IN ({ids})))"
            ));
        }
        if any.is_empty() {
            any.push("1 = 0".into());
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    if let Some(p) = &f.within {
        let a = range(&mut vals, "o.region_path", p);
        let b = served_in(&mut vals, p);
        conds.push(format!("({a} OR {b})"));
    }
    if let Some(k) = f.kind {
        vals.push(k.as_str().into());
        conds.push(format!("o.kind = ${}", vals.len()));
    }
    if let Some(cid) = f.compound_id {
        vals.push(cid.into());
        conds.push(format!("o.compound_id = ${}", vals.len()));
    }
    if let Some(q) = f.name.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        vals.push(crate::sql::like_contains(&q.to_lowercase()).into());
        conds.push(format!("LOWER(o.name) LIKE ${} ESCAPE '\\'", vals.len()));
    }
    if let Some(id) = f.under {
        vals.push(id.into());
        conds.push(format!("(o.parent_id = ${n} OR o.covers_org_id = ${n})", n = vals.len()));
    }
    (format!(" WHERE {}", conds.join(" AND ")), vals)
}

pub async fn list_orgs(db: &Db, f: &OrgFilter, page: Paging) -> Result<(Vec<Org>, u64)> {
    let (w, vals) = org_where(f);
    Ok(page_of(db.conn(), ORG_SELECT, "organisation o", &w, "o.kind, o.region_path, o.name", vals, page).await?)
}

/// Whether `id` is among the organisations `f` lets through.
pub async fn org_visible(db: &Db, f: &OrgFilter, id: i64) -> Result<bool> {
    let (w, mut vals) = org_where(f);
    vals.push(id.into());
    Ok(scalar_i64(db.conn(), &format!("SELECT COUNT(*) FROM organisation o{w} AND o.id = ${}", vals.len()), vals)
        .await?
        > 0)
}

pub async fn org_by_name(db: &Db, kind: &str, name: &str) -> Result<Option<Org>> {
    Ok(one(
        db.conn(),
        &format!("{ORG_SELECT} WHERE o.kind = $1 AND o.name = $2 ORDER BY o.id LIMIT 1"),
        vec![kind.into(), name.into()],
    )
    .await?)
}

/// An organisation by natural key, inside the caller's transaction.
pub async fn find_org_key_in(
    c: &impl ConnectionTrait,
    kind: &str,
    region_code: &str,
    name: &str,
) -> Result<Option<Org>> {
    Ok(one(
        c,
        &format!("{ORG_SELECT} WHERE o.kind = $1 AND o.region_code = $2 AND o.name = $3"),
        vec![kind.into(), region_code.into(), name.into()],
    )
    .await?)
}

pub async fn find_company_in(c: &impl ConnectionTrait, credit_code: &str) -> Result<Option<Org>> {
    Ok(one(c, &format!("{ORG_SELECT} WHERE o.credit_code = $1"), vec![credit_code.into()]).await?)
}

/// The organisation of `kind` attached to a compound (its owners' committee, party branch, red station…).
pub async fn compound_org_in(c: &impl ConnectionTrait, kind: &str, compound_id: i64) -> Result<Option<Org>> {
    Ok(one(
        c,
        &format!(
            "{ORG_SELECT} WHERE o.kind = $1 AND o.compound_id = $2 AND o.retired_at IS NULL ORDER BY o.id LIMIT 1"
        ),
        vec![kind.into(), compound_id.into()],
    )
    .await?)
}

/// Names of organisations by id (for timelines).
pub async fn org_names(db: &Db, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    #[derive(FromQueryResult)]
    struct R {
        id: i64,
        name: String,
    }
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let rows: Vec<R> =
        all(db.conn(), &format!("SELECT id, name FROM organisation WHERE id IN ({})", list.join(",")), vec![]).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}
