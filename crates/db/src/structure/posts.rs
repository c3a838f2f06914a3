//! Posts (a person's role in an organisation, at a building or in a region) and cross-appointments.

use super::*;
use domain::org::{OrgKind, PostRole};

/// Where a post is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PostAt {
    Org(i64),
    Building(i64),
    /// An entrance (单元) of a building: (building, entrance).
    Entrance(i64, i64),
    Region(String),
}

impl PostAt {
    fn target(&self) -> String {
        match self {
            PostAt::Org(i) => format!("org:{i}"),
            PostAt::Building(i) => format!("building:{i}"),
            PostAt::Entrance(_, e) => format!("entrance:{e}"),
            PostAt::Region(c) => format!("region:{c}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPost {
    pub person_id: i64,
    pub role: PostRole,
    pub at: PostAt,
    /// Path of the region the post lies in (the organisation's, building's compound's, or the region's).
    pub region_path: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub role: PostRole,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub org_kind: Option<OrgKind>,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub region_code: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl FromQueryResult for PostRow {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let row = |col: &str| res.try_get::<Option<String>>(pre, col);
        let id: i64 = res.try_get(pre, "id")?;
        let at = format!("post {id}");
        Ok(PostRow {
            id,
            person_id: res.try_get(pre, "person_id")?,
            person_name: res.try_get(pre, "person_name")?,
            role: known(&at, "role", &res.try_get::<String>(pre, "role")?, PostRole::find)?,
            org_id: res.try_get(pre, "org_id")?,
            org_name: row("org_name")?,
            org_kind: known_opt(&at, "organisation kind", row("org_kind")?.as_deref(), OrgKind::find)?,
            building_id: res.try_get(pre, "building_id")?,
            building_name: row("building_name")?,
            region_code: row("region_code")?,
            start_date: res.try_get(pre, "start_date")?,
            end_date: res.try_get(pre, "end_date")?,
        })
    }
}

pub(super) const POST_SELECT: &str = "SELECT x.id, x.person_id, p.name AS person_name, x.role, x.org_id, o.name AS org_name, \
     o.kind AS org_kind, x.building_id, CASE WHEN e.name IS NULL THEN b.name ELSE b.name || ' ' || e.name END AS building_name, \
     x.region_code, x.start_date, x.end_date \
     FROM post x JOIN person p ON p.id = x.person_id LEFT JOIN organisation o ON o.id = x.org_id \
     LEFT JOIN building b ON b.id = x.building_id LEFT JOIN entrance e ON e.id = x.entrance_id";

/// A post must not overlap the same person's same post, nor (for a post one
/// person holds at a time) another holder's; and it starts no earlier than
/// its organisation was set up.
async fn check_post_rules(c: &impl ConnectionTrait, n: &NewPost, target: &str, this: Option<i64>) -> Result<()> {
    #[derive(FromQueryResult)]
    struct Other {
        id: i64,
        person_id: i64,
        name: String,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    }
    let others: Vec<Other> = all(
        c,
        "SELECT x.id, x.person_id, p.name, x.start_date, x.end_date FROM post x JOIN person p ON p.id = x.person_id \
         WHERE x.target = $1 AND x.role = $2",
        vec![target.into(), n.role.as_str().into()],
    )
    .await?;
    let mine = (n.start_date, n.end_date);
    for o in others.iter().filter(|o| Some(o.id) != this && domain::history::overlaps(mine, (o.start_date, o.end_date)))
    {
        let until = o.end_date.map_or_else(|| "—".to_owned(), |e| e.to_string());
        if o.person_id == n.person_id {
            return Err(domain::Invalid::new(
                "start_date",
                format!("the same post is already held from {} to {until}", o.start_date),
            )
            .zh(format!("同一职务已在 {} 至 {until} 担任，任期不能重叠", o.start_date))
            .into());
        }
        if n.role.is_single() {
            return Err(domain::Invalid::new(
                "role",
                format!("{} already holds this post from {} to {until}: one at a time", o.name, o.start_date),
            )
            .zh(format!("{} 已于 {} 至 {until} 担任该职务，同一时间只能一人担任", o.name, o.start_date))
            .into());
        }
    }
    if let PostAt::Org(org) = &n.at {
        #[derive(FromQueryResult)]
        struct Founded {
            established: Option<NaiveDate>,
        }
        let f: Option<Founded> =
            one(c, "SELECT established FROM organisation WHERE id = $1", vec![(*org).into()]).await?;
        if let Some(e) = f.and_then(|f| f.established).filter(|e| n.start_date < *e) {
            return Err(domain::Invalid::new("start_date", format!("starts before the organisation was set up ({e})"))
                .zh(format!("任职开始早于该组织成立日期（{e}）"))
                .into());
        }
    }
    Ok(())
}

pub async fn upsert_post_in(c: &impl ConnectionTrait, actor: &Actor, n: &NewPost) -> Result<(i64, Upsert)> {
    let target = n.at.target();
    #[derive(FromQueryResult)]
    struct Found {
        id: i64,
        end_date: Option<NaiveDate>,
    }
    let found: Option<Found> = one(
        c,
        "SELECT id, end_date FROM post WHERE person_id = $1 AND role = $2 AND target = $3 AND start_date = $4",
        vec![n.person_id.into(), n.role.as_str().into(), target.clone().into(), n.start_date.into()],
    )
    .await?;
    if n.end_date.is_some_and(|e| e <= n.start_date) {
        return Err(domain::Invalid::new("end_date", "the post ends before it starts").zh("任职结束早于开始").into());
    }
    check_post_rules(c, n, &target, found.as_ref().map(|f| f.id)).await?;
    let (id, what) = match found {
        Some(f) if f.end_date == n.end_date => return Ok((f.id, Upsert::Unchanged)),
        Some(f) => {
            exec(c, "UPDATE post SET end_date = $1 WHERE id = $2", vec![n.end_date.into(), f.id.into()]).await?;
            (f.id, Upsert::Updated)
        }
        None => {
            let (org, building, entrance, region) = match &n.at {
                PostAt::Org(i) => (Some(*i), None, None, None),
                PostAt::Building(i) => (None, Some(*i), None, None),
                PostAt::Entrance(b, e) => (None, Some(*b), Some(*e), None),
                PostAt::Region(r) => (None, None, None, Some(r.clone())),
            };
            let id = insert_id(
                c,
                "INSERT INTO post (person_id, role, org_id, building_id, region_code, region_path, target, start_date, end_date, \
                 created_at, entrance_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
                vec![
                    n.person_id.into(),
                    n.role.as_str().into(),
                    org.into(),
                    building.into(),
                    region.into(),
                    n.region_path.clone().into(),
                    target.clone().into(),
                    n.start_date.into(),
                    n.end_date.into(),
                    Utc::now().into(),
                    entrance.into(),
                ],
            )
            .await?;
            (id, Upsert::Added)
        }
    };
    let action = if what == Upsert::Added { "create" } else { "update" };
    let after = json!({"person_id": n.person_id, "role": n.role, "at": target, "start_date": n.start_date, "end_date": n.end_date});
    Change::new(action, "post", id, Some(n.region_path.clone())).after(after).append_in(c, actor).await?;
    Ok((id, what))
}

pub async fn posts_of_person(db: &Db, person_id: i64) -> Result<Vec<PostRow>> {
    Ok(all(
        db.conn(),
        &format!("{POST_SELECT} WHERE x.person_id = $1 ORDER BY x.end_date IS NOT NULL, x.start_date DESC"),
        vec![person_id.into()],
    )
    .await?)
}

pub async fn posts_of_org(db: &Db, org_id: i64) -> Result<Vec<PostRow>> {
    Ok(all(
        db.conn(),
        &format!("{POST_SELECT} WHERE x.org_id = $1 ORDER BY x.end_date IS NOT NULL, x.role, p.name"),
        vec![org_id.into()],
    )
    .await?)
}

/// A person holding a post in a party organisation that leads a compound
/// and one in that compound's owners' committee or serving property company
/// (交叉任职). The party organisation may be the compound's own (branch,
/// building group) or one over its place at any level (community, street,
/// town, village): `party_level` says which.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct CrossAppointment {
    pub person_id: i64,
    pub person_name: String,
    pub compound_id: i64,
    pub compound_name: String,
    pub party_org: String,
    pub party_level: Option<String>,
    pub party_role: String,
    pub other_org: String,
    pub other_kind: String,
    pub other_role: String,
}

pub async fn cross_appointments(
    db: &Db,
    paths: Option<&[RegionPath]>,
    page: Paging,
) -> Result<(Vec<CrossAppointment>, u64)> {
    let mut vals = Vec::new();
    let scope = match paths {
        None => "1 = 1".to_owned(),
        Some(ps) => {
            let any: Vec<String> = ps.iter().map(|p| range(&mut vals, "c.region_path", p)).collect();
            if any.is_empty() { "1 = 0".into() } else { format!("({})", any.join(" OR ")) }
        }
    };
    // The party organisation leads the compound when it is the compound's
    // own, or a territorial one (not set up inside another organisation, not
    // the industry committee) whose place holds the compound's.
    // The other post's compound: the committee's own, or one the company
    // serves now. Two joins in a UNION ALL, not one join on an OR, so each
    // side walks its index (the OR made the city's list take 0.6 s).
    let branch = |reach: &str| {
        format!(
            "SELECT p.id AS person_id, p.name AS person_name, c.id AS compound_id, c.name AS compound_name, \
             c.region_path AS place, po.name AS party_org, po.party_level, a.role AS party_role, o2.name AS other_org, \
             o2.kind AS other_kind, b.role AS other_role \
             FROM post a JOIN organisation po ON po.id = a.org_id AND po.kind = 'party_org' \
             JOIN post b ON b.person_id = a.person_id AND b.id <> a.id AND b.end_date IS NULL \
             {reach} JOIN person p ON p.id = a.person_id \
             WHERE a.end_date IS NULL AND {scope} AND (po.compound_id = c.id OR (po.compound_id IS NULL \
                 AND po.covers_org_id IS NULL AND COALESCE(po.party_level, '') <> 'industry_committee' \
                 AND c.region_path >= po.region_path \
                 AND c.region_path < (SUBSTR(po.region_path, 1, LENGTH(po.region_path) - 1) || '0')))"
        )
    };
    let from = format!(
        "FROM ({} UNION ALL {}) x",
        branch(
            "JOIN organisation o2 ON o2.id = b.org_id AND o2.kind = 'owners_committee' \
             JOIN compound c ON c.id = o2.compound_id"
        ),
        branch(
            "JOIN organisation o2 ON o2.id = b.org_id AND o2.kind = 'company' \
             JOIN compound_fact f ON f.ref_id = o2.id AND f.kind = 'company' AND f.valid_to IS NULL \
             JOIN compound c ON c.id = f.compound_id"
        )
    );
    let total = scalar_i64(db.conn(), &format!("SELECT COUNT(*) {from}"), vals.clone()).await? as u64;
    let n = vals.len();
    vals.push((page.per_page as i64).into());
    vals.push((page.offset() as i64).into());
    let rows = all(
        db.conn(),
        &format!(
            "SELECT person_id, person_name, compound_id, compound_name, party_org, party_level, party_role, other_org, \
             other_kind, other_role {from} ORDER BY place, compound_name, person_name LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        vals,
    )
    .await?;
    Ok((rows, total))
}
