//! Who formed or founded an organisation (`domain::org::Relation`).

use super::*;
use domain::org::Relation;

/// A relation as an organisation's page shows it, from either side.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct RelationRow {
    pub kind: String,
    pub from_id: i64,
    pub from_name: String,
    pub to_id: i64,
    pub to_name: String,
    pub on_date: Option<NaiveDate>,
}

/// Record that `from` stands in `kind` to `to` (since `on`), inside the
/// caller's transaction: added, its date corrected, or left as it is.
pub async fn upsert_relation_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    kind: Relation,
    from: &Org,
    to: &Org,
    on: Option<NaiveDate>,
) -> Result<Upsert> {
    if !kind.allows(from.kind, to.kind) {
        return Err(domain::Invalid::new(
            "relation",
            format!("a {} cannot have {} a {}", from.kind.as_str(), kind.as_str(), to.kind.as_str()),
        )
        .zh(format!("「{}」与「{}」之间不能是这种组建关系", from.name, to.name))
        .into());
    }
    #[derive(FromQueryResult)]
    struct Have {
        id: i64,
        on_date: Option<NaiveDate>,
    }
    let have: Option<Have> = one(
        c,
        "SELECT id, on_date FROM org_relation WHERE to_org_id = $1 AND kind = $2 AND from_org_id = $3",
        vec![to.id.into(), kind.as_str().into(), from.id.into()],
    )
    .await?;
    let what = match have {
        Some(h) if h.on_date == on => return Ok(Upsert::Unchanged),
        Some(h) => {
            exec(c, "UPDATE org_relation SET on_date = $1 WHERE id = $2", vec![on.into(), h.id.into()]).await?;
            Upsert::Updated
        }
        None => {
            exec(
                c,
                "INSERT INTO org_relation (kind, from_org_id, to_org_id, on_date, created_at) VALUES ($1,$2,$3,$4,$5)",
                vec![kind.as_str().into(), from.id.into(), to.id.into(), on.into(), Utc::now().into()],
            )
            .await?;
            Upsert::Added
        }
    };
    Change::new(
        if what == Upsert::Added { "relate" } else { "update" },
        "organisation",
        to.id,
        Some(to.region_path.clone()),
    )
    .after(json!({"relation": kind.as_str(), "from": from.name, "on": on}))
    .append_in(c, actor)
    .await?;
    Ok(what)
}

/// The relations an organisation stands in, either side, oldest first.
pub async fn relations_of(db: &Db, org_id: i64) -> Result<Vec<RelationRow>> {
    Ok(all(
        db.conn(),
        "SELECT r.kind, r.from_org_id AS from_id, f.name AS from_name, r.to_org_id AS to_id, t.name AS to_name, r.on_date \
         FROM org_relation r JOIN organisation f ON f.id = r.from_org_id JOIN organisation t ON t.id = r.to_org_id \
         WHERE r.from_org_id = $1 OR r.to_org_id = $1 ORDER BY r.on_date, r.id",
        vec![org_id.into()],
    )
    .await?)
}
