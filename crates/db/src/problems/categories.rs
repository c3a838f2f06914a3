//! Problem categories: read and configured by administrators (a problem keeps the deadlines it was given).

use super::*;

#[derive(FromQueryResult)]
pub(super) struct CategoryRow {
    code: String,
    name_zh: String,
    name_en: String,
    accept_hours: i64,
    resolve_hours: i64,
    active: bool,
}

/// Every category, withdrawn ones too, in the order forms offer them.
pub async fn categories(db: &Db) -> Result<Vec<Category>> {
    let rows: Vec<CategoryRow> = all(
        db.conn(),
        "SELECT code, name_zh, name_en, accept_hours, resolve_hours, active FROM problem_category \
         ORDER BY position, code",
        vec![],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Category {
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            accept_hours: r.accept_hours,
            resolve_hours: r.resolve_hours,
            active: r.active,
        })
        .collect())
}

/// Add a category or change one (names, deadlines, withdrawn or offered);
/// audited. New deadlines apply to problems reported from now on.
pub async fn save_category(db: &Db, actor: &Actor, c: &Category) -> Result<()> {
    let tx = db.begin_write().await?;
    let before: Option<CategoryRow> = one(
        &*tx,
        "SELECT code, name_zh, name_en, accept_hours, resolve_hours, active FROM problem_category WHERE code = $1",
        vec![c.code.clone().into()],
    )
    .await?;
    let vals = vec![
        c.code.clone().into(),
        c.name_zh.clone().into(),
        c.name_en.clone().into(),
        c.accept_hours.into(),
        c.resolve_hours.into(),
        c.active.into(),
    ];
    let before_json = match before {
        Some(b) => {
            exec(
                &*tx,
                "UPDATE problem_category SET name_zh = $2, name_en = $3, accept_hours = $4, resolve_hours = $5, \
                 active = $6 WHERE code = $1",
                vals,
            )
            .await?;
            Some(serde_json::json!({"name_zh": b.name_zh, "name_en": b.name_en, "accept_hours": b.accept_hours,
                "resolve_hours": b.resolve_hours, "active": b.active}))
        }
        None => {
            exec(
                &*tx,
                "INSERT INTO problem_category (code, name_zh, name_en, accept_hours, resolve_hours, active, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 10 FROM problem_category))",
                vals,
            )
            .await?;
            None
        }
    };
    let action = if before_json.is_some() { "update" } else { "create" };
    crate::audit::Change::new(action, "problem_category", &c.code, None)
        .before(before_json)
        .after(serde_json::to_value(c).ok())
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}
