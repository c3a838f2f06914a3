//! A compound's dated facts: the timeline, as of a date, setting and correcting a value.

use super::*;

/// One dated value of a compound: `[valid_from, valid_to)`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = FactOut))]
pub struct Fact {
    pub id: i64,
    pub kind: FactKind,
    pub value: Option<String>,
    pub ref_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// Exclusive end; null while in force.
    pub valid_to: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct FactRow {
    id: i64,
    kind: String,
    value: Option<String>,
    ref_id: Option<i64>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    recorded_at: DateTime<Utc>,
}

impl FromQueryResult for Fact {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let r = FactRow::from_query_result(res, pre)?;
        Ok(Fact {
            kind: crate::sql::known(&format!("compound fact {}", r.id), "kind", &r.kind, FactKind::find)?,
            id: r.id,
            value: r.value,
            ref_id: r.ref_id,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            recorded_at: r.recorded_at,
        })
    }
}

pub(super) async fn insert_fact(
    c: &impl ConnectionTrait,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    from: NaiveDate,
) -> Result<(), DbErr> {
    exec(
        c,
        "INSERT INTO compound_fact (compound_id, kind, value, ref_id, valid_from, recorded_at) VALUES ($1,$2,$3,$4,$5,$6)",
        vec![
            compound_id.into(),
            kind.as_str().into(),
            value.map(str::to_owned).into(),
            ref_id.into(),
            from.into(),
            Utc::now().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The whole timeline of a compound, newest first within each kind.
pub async fn facts(db: &Db, compound_id: i64) -> Result<Vec<Fact>> {
    Ok(all(
        db.conn(),
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 ORDER BY valid_from DESC, id DESC",
        vec![compound_id.into()],
    )
    .await?)
}

/// The facts in force on `date`.
pub async fn facts_as_of(db: &Db, compound_id: i64, date: NaiveDate) -> Result<Vec<Fact>> {
    Ok(all(
        db.conn(),
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY kind",
        vec![compound_id.into(), date.into()],
    )
    .await?)
}

/// Give `kind` a new value from `effective` on: the open interval closes
/// there and a new one opens. Both writes or neither.
pub async fn set_fact(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    effective: NaiveDate,
) -> Result<Vec<Fact>> {
    let tx = db.begin_write().await?;
    set_fact_in(&*tx, actor, compound_id, kind, value, ref_id, effective).await?;
    tx.commit().await?;
    facts(db, compound_id).await
}

/// `set_fact` inside the caller's transaction.
pub async fn set_fact_in(
    c: &impl ConnectionTrait,
    actor: &Actor,
    compound_id: i64,
    kind: FactKind,
    value: Option<&str>,
    ref_id: Option<i64>,
    effective: NaiveDate,
) -> Result<()> {
    get_in(c, compound_id).await?;
    domain::history::check_plausible("effective_from", effective, domain::clock::today())?;
    #[derive(FromQueryResult)]
    struct Open {
        id: i64,
        valid_from: NaiveDate,
    }
    let open: Option<Open> = one(
        c,
        "SELECT id, valid_from FROM compound_fact WHERE compound_id = $1 AND kind = $2 AND valid_to IS NULL",
        vec![compound_id.into(), kind.as_str().into()],
    )
    .await?;
    check_succession(open.as_ref().map(|o| o.valid_from), effective)?;
    if let Some(o) = open {
        let n = exec(
            c,
            "UPDATE compound_fact SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL",
            vec![effective.into(), o.id.into()],
        )
        .await?
        .rows_affected();
        if n != 1 {
            return Err(DbError::Conflict("the compound's history was changed meanwhile; reload and try again".into()));
        }
    }
    // The unique index on open intervals refuses a second one whatever happened above.
    insert_fact(c, compound_id, kind, value, ref_id, effective)
        .await
        .map_err(|e| conflict_on_unique(e, "the compound's history was changed meanwhile; reload and try again"))?;
    let after = serde_json::json!({"kind": kind.as_str(), "value": value, "ref_id": ref_id, "valid_from": effective});
    audit(c, actor, "set_fact", "compound", compound_id, compound_id, None, Some(after)).await?;
    Ok(())
}

/// Correct a recorded fact: when it took effect and/or its value. The fact
/// before it is moved to end on the new date. Audited with before and after.
#[allow(clippy::too_many_arguments)]
pub async fn correct_fact(
    db: &Db,
    actor: &Actor,
    compound_id: i64,
    fact_id: i64,
    new_from: NaiveDate,
    value: Option<&str>,
    ref_id: Option<i64>,
) -> Result<Vec<Fact>> {
    let tx = db.begin_write().await?;
    let all_facts: Vec<Fact> = all(
        &*tx,
        "SELECT id, kind, value, ref_id, valid_from, valid_to, recorded_at FROM compound_fact \
         WHERE compound_id = $1 ORDER BY valid_from, id",
        vec![compound_id.into()],
    )
    .await?;
    let Some(f) = all_facts.iter().find(|f| f.id == fact_id).cloned() else {
        return Err(DbError::NotFound);
    };
    let prev = all_facts.iter().rev().find(|x| x.kind == f.kind && x.valid_from < f.valid_from).cloned();
    domain::history::check_plausible("valid_from", new_from, domain::clock::today())?;
    domain::history::check_correction(prev.as_ref().map(|p| p.valid_from), f.valid_to, new_from)?;
    if let Some(p) = &prev {
        exec(&*tx, "UPDATE compound_fact SET valid_to = $1 WHERE id = $2", vec![new_from.into(), p.id.into()]).await?;
    }
    exec(
        &*tx,
        "UPDATE compound_fact SET valid_from = $1, value = $2, ref_id = $3 WHERE id = $4",
        vec![new_from.into(), value.map(str::to_owned).into(), ref_id.into(), fact_id.into()],
    )
    .await?;
    let after =
        serde_json::json!({"fact": fact_id, "kind": f.kind, "value": value, "ref_id": ref_id, "valid_from": new_from});
    audit(&*tx, actor, "correct_fact", "compound", compound_id, compound_id, to_json(&f), Some(after)).await?;
    tx.commit().await?;
    facts(db, compound_id).await
}
