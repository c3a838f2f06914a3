//! People: upserts by phone, lists within scope.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPerson {
    pub name: String,
    pub phone: String,
    pub is_party_member: bool,
    pub is_public_servant: bool,
    pub employer: String,
    pub region_code: String,
    pub region_path: String,
    /// When the public-servant status as given took effect (a change
    /// without a date takes effect today; a first record without one holds
    /// since before records).
    pub servant_from: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub is_party_member: bool,
    pub is_public_servant: bool,
    pub employer: String,
    pub region_code: String,
    pub region_path: String,
    pub region_name: String,
    pub posts: i64,
}

/// The key of a person recorded without a phone: their name in their region.
/// Kept in the phone column (unique, as phones are) behind a `~`, which no
/// phone number starts with; read back as an empty phone.
pub fn unphoned_key(region_code: &str, name: &str) -> String {
    format!("~{region_code}:{name}")
}

pub(super) const PERSON_SELECT: &str = "SELECT p.id, p.name, \
     CASE WHEN SUBSTR(p.phone, 1, 1) = '~' THEN '' ELSE p.phone END AS phone, p.is_party_member, p.is_public_servant, p.employer, \
     p.region_code, p.region_path, r.name AS region_name, \
     (SELECT COUNT(*) FROM post x WHERE x.person_id = p.id AND x.end_date IS NULL) AS posts \
     FROM person p JOIN region r ON r.code = p.region_code";

pub async fn person(db: &Db, id: i64) -> Result<Person> {
    one(db.conn(), &format!("{PERSON_SELECT} WHERE p.id = $1"), vec![id.into()]).await?.ok_or(DbError::NotFound)
}

pub async fn upsert_person_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewPerson) -> Result<(i64, Upsert)> {
    let found: Option<Person> =
        one(c, &format!("{PERSON_SELECT} WHERE p.phone = $1"), vec![n.phone.clone().into()]).await?;
    // A key without a phone has its phone read back empty: compare what was read.
    let shown_phone = if n.phone.starts_with('~') { "" } else { n.phone.as_str() };
    let now = Utc::now();
    let vals = |extra: Vec<Value>| {
        let mut v: Vec<Value> = vec![
            n.name.clone().into(),
            n.phone.clone().into(),
            n.is_party_member.into(),
            n.is_public_servant.into(),
            n.employer.clone().into(),
            n.region_code.clone().into(),
            n.region_path.clone().into(),
            now.into(),
        ];
        v.extend(extra);
        v
    };
    let (id, what, before) = match found {
        Some(p)
            if p.name == n.name
                && p.phone == shown_phone
                && p.is_party_member == n.is_party_member
                && p.is_public_servant == n.is_public_servant
                && p.employer == n.employer
                && p.region_code == n.region_code =>
        {
            // Every stored person has their dated status (m0019, and every write below).
            return Ok((p.id, Upsert::Unchanged));
        }
        Some(p) => {
            exec(
                c,
                "UPDATE person SET name=$1, phone=$2, is_party_member=$3, is_public_servant=$4, employer=$5, region_code=$6, \
                 region_path=$7, updated_at=$8 WHERE id=$9",
                vals(vec![p.id.into()]),
            )
            .await?;
            (p.id, Upsert::Updated, Some(person_audit(&p.name, p.is_party_member, p.is_public_servant, &p.employer)))
        }
        None => {
            let id = insert_id(
                c,
                "INSERT INTO person (name, phone, is_party_member, is_public_servant, employer, region_code, region_path, \
                 created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id",
                vals(vec![]),
            )
            .await?;
            (id, Upsert::Added, None)
        }
    };
    sync_servant(c, id, n.is_public_servant, n.servant_from).await?;
    let action = if what == Upsert::Added { "create" } else { "update" };
    Change::new(action, "person", id, Some(n.region_path.clone()))
        .before(before)
        // The phone number is personal data: the log keeps it masked.
        .after(person_audit(&n.name, n.is_party_member, n.is_public_servant, &n.employer))
        .append_in(c, actor)
        .await?;
    Ok((id, what))
}

/// Keep a person's dated public-servant status in step with the value given:
/// a change closes the open interval where the new one opens (`from`, else
/// today); a first value holds from `from`, else since before records. A
/// first value dated later than before-records is extended back only by an
/// explicit earlier date. Whether anything was written.
async fn sync_servant(c: &impl ConnectionTrait, person_id: i64, value: bool, from: Option<NaiveDate>) -> Result<bool> {
    #[derive(FromQueryResult)]
    struct Open {
        id: i64,
        value: bool,
        valid_from: NaiveDate,
    }
    let open: Option<Open> = one(
        c,
        "SELECT id, value, valid_from FROM person_fact WHERE person_id = $1 AND kind = 'public_servant' AND valid_to IS NULL",
        vec![person_id.into()],
    )
    .await?;
    let insert = |from: NaiveDate| {
        exec(
            c,
            "INSERT INTO person_fact (person_id, kind, value, valid_from) VALUES ($1, 'public_servant', $2, $3)",
            vec![person_id.into(), value.into(), from.into()],
        )
    };
    match open {
        None => {
            insert(from.unwrap_or(super::SINCE_BEFORE_RECORDS)).await?;
            Ok(true)
        }
        Some(o) if o.value == value => Ok(false),
        Some(o) => {
            let at = from.unwrap_or_else(domain::clock::today);
            if at <= o.valid_from {
                return Err(domain::Invalid::new(
                    "servant_from",
                    format!("the status changes on {at}, not after the current one began ({})", o.valid_from),
                )
                .zh(format!("公职身份变更日期 {at} 须晚于现有身份的起始日期 {}", o.valid_from))
                .into());
            }
            exec(c, "UPDATE person_fact SET valid_to = $1 WHERE id = $2", vec![at.into(), o.id.into()]).await?;
            insert(at).await?;
            Ok(true)
        }
    }
}

pub(super) fn person_audit(name: &str, party: bool, servant: bool, employer: &str) -> serde_json::Value {
    json!({"name": name, "is_party_member": party, "is_public_servant": servant, "employer": employer})
}

/// People a reader may see: in the visible subtrees, or holding a current
/// post in an organisation of one of the given compounds (or their company).
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub all: bool,
    pub paths: Vec<RegionPath>,
    pub compound_ids: Vec<i64>,
    pub within: Option<RegionPath>,
    pub name: Option<String>,
}

pub(super) fn people_where(f: &PeopleFilter) -> (String, Vec<Value>) {
    let mut vals = Vec::new();
    let mut conds = Vec::new();
    if !f.all {
        let mut any: Vec<String> = f.paths.iter().map(|p| range(&mut vals, "p.region_path", p)).collect();
        if !f.compound_ids.is_empty() {
            let ids: Vec<String> = f.compound_ids.iter().map(|i| i.to_string()).collect();
            let ids = ids.join(",");
            any.push(format!(
                "EXISTS (SELECT 1 FROM post x JOIN organisation o ON o.id = x.org_id WHERE x.person_id = p.id \
                 AND x.end_date IS NULL AND (o.compound_id IN ({ids}) OR EXISTS (SELECT 1 FROM compound_fact sf \
                 WHERE sf.kind = 'company' AND sf.ref_id = o.id AND sf.valid_to IS NULL AND sf.compound_id IN ({ids}))))"
            ));
        }
        conds.push(if any.is_empty() { "1 = 0".into() } else { format!("({})", any.join(" OR ")) });
    }
    if let Some(p) = &f.within {
        conds.push(range(&mut vals, "p.region_path", p));
    }
    if let Some(q) = f.name.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        vals.push(crate::sql::like_contains(&q.to_lowercase()).into());
        conds.push(format!("LOWER(p.name) LIKE ${} ESCAPE '\\'", vals.len()));
    }
    if conds.is_empty() {
        conds.push("1 = 1".into());
    }
    (format!(" WHERE {}", conds.join(" AND ")), vals)
}

pub async fn list_people(db: &Db, f: &PeopleFilter, page: Paging) -> Result<(Vec<Person>, u64)> {
    let (w, vals) = people_where(f);
    Ok(page_of(db.conn(), PERSON_SELECT, "person p", &w, "p.region_path, p.name", vals, page).await?)
}

pub async fn person_visible(db: &Db, f: &PeopleFilter, id: i64) -> Result<bool> {
    let (w, mut vals) = people_where(f);
    vals.push(id.into());
    Ok(scalar_i64(db.conn(), &format!("SELECT COUNT(*) FROM person p{w} AND p.id = ${}", vals.len()), vals).await? > 0)
}

/// People recorded without a phone, by name, whose region holds `path` or
/// lies under it (a post is held at their place or above or below it).
pub async fn unphoned_by_name_in(c: &impl ConnectionTrait, name: &str, path: &RegionPath) -> Result<Vec<Person>> {
    let (lo, hi) = path.subtree_range();
    Ok(all(
        c,
        &format!(
            "{PERSON_SELECT} WHERE p.name = $1 AND SUBSTR(p.phone, 1, 1) = '~' AND ((p.region_path >= $2 AND p.region_path < $3) \
             OR ($4 >= p.region_path AND $4 < (SUBSTR(p.region_path, 1, LENGTH(p.region_path) - 1) || '0')))"
        ),
        vec![name.into(), lo.into(), hi.into(), path.as_str().into()],
    )
    .await?)
}

pub async fn find_person_in(c: &impl ConnectionTrait, phone: &str) -> Result<Option<Person>> {
    Ok(one(c, &format!("{PERSON_SELECT} WHERE p.phone = $1"), vec![phone.into()]).await?)
}
