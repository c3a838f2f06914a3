//! Photos attached to problems, stored by their SHA-256.

use super::*;

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Photo {
    pub sha256: String,
    pub mime: String,
    pub bytes: i64,
}

/// Record a photo of a problem (the file is stored by the caller, by hash).
pub async fn add_photo(
    db: &Db,
    actor: &Actor,
    id: i64,
    sha256: &str,
    mime: &str,
    bytes: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    let known = crate::sql::scalar_i64(
        &*tx,
        "SELECT COUNT(*) FROM problem_photo WHERE problem_id = $1 AND sha256 = $2",
        vec![id.into(), sha256.into()],
    )
    .await?;
    if known == 0 {
        exec(
            &*tx,
            "INSERT INTO problem_photo (problem_id, sha256, mime, bytes, added_at) VALUES ($1,$2,$3,$4,$5)",
            vec![id.into(), sha256.into(), mime.into(), bytes.into(), now.into()],
        )
        .await?;
        let state = p.state;
        event(&*tx, id, now, actor, "photo", Some(state), state, sha256).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn photos(db: &Db, id: i64) -> Result<Vec<Photo>> {
    Ok(all(
        db.conn(),
        "SELECT sha256, mime, bytes FROM problem_photo WHERE problem_id = $1 ORDER BY id",
        vec![id.into()],
    )
    .await?)
}
