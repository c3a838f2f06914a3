//! Steps and ratings of a problem, each a conditional update from the state it was read in.

use super::*;

/// Someone else changed the problem between our read and our write.
pub(super) fn moved_on() -> DbError {
    DbError::Conflict("the problem was changed by someone else meanwhile; reload and try again".into())
}

/// Take a workflow step (see `domain::problem::next`).
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    step: Step,
    by: By,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Problem> {
    let note = problem::note(note)?;
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    let from = p.state;
    let to = problem::next(from, step, by)?;
    if step == Step::Reject && note.is_empty() {
        return Err(domain::Invalid::new("note", "a rejection needs a reason").zh("退回须说明理由").into());
    }
    if step == Step::Urge && note.is_empty() {
        return Err(domain::Invalid::new("note", "say what the handler should do").zh("督办须写明督办意见").into());
    }
    let resolved_at = if to == State::Resolved { Some(now) } else { p.resolved_at };
    // An overturned rejection's reason no longer stands (the timeline keeps it).
    let reason = match step {
        Step::Reject => Some(note.to_owned()),
        Step::OverturnRejection => None,
        _ => p.reason.clone(),
    };
    // Only from the state read above: of two concurrent steps one wins, the other is told.
    let n = exec(
        &*tx,
        "UPDATE problem SET state = $1, resolved_at = $2, reason = $3, updated_at = $4 WHERE id = $5 AND state = $6",
        vec![to.as_str().into(), resolved_at.into(), reason.into(), now.into(), id.into(), from.as_str().into()],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(moved_on());
    }
    event(&*tx, id, now, actor, step.as_str(), Some(from), to, note).await?;
    let change = problem_change(
        step.as_str(),
        &p,
        Some(serde_json::json!({"state": from.as_str()})),
        Some(serde_json::json!({"state": to.as_str(), "note": note})),
    );
    change.append_in(&*tx, actor).await?;
    tx.commit().await?;
    get(db, id).await
}

/// The resident rates a resolved problem: closed, or reopened when unsatisfied.
/// Rate a resolved problem; `note` is the resident's word on it (why not satisfied, say).
pub async fn rate(db: &Db, actor: &Actor, id: i64, rating: Rating, note: &str, now: DateTime<Utc>) -> Result<Problem> {
    let note = problem::note(note)?;
    let tx = db.begin_write_in_scope().await?;
    let p = get_in(&*tx, id).await?;
    if p.state != State::Resolved {
        return Err(domain::Invalid::new("rating", "only a resolved problem can be rated")
            .zh("只有已办结的诉求才能评价")
            .into());
    }
    let to = problem::after_rating(rating);
    let n = exec(
        &*tx,
        "UPDATE problem SET state = $1, rating = $2, updated_at = $3 WHERE id = $4 AND state = $5",
        vec![to.as_str().into(), rating.as_str().into(), now.into(), id.into(), State::Resolved.as_str().into()],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(moved_on());
    }
    event(&*tx, id, now, actor, &format!("rate:{}", rating.as_str()), Some(State::Resolved), to, note).await?;
    let change = problem_change(
        "rate",
        &p,
        Some(serde_json::json!({"state": State::Resolved.as_str()})),
        Some(serde_json::json!({"state": to.as_str(), "rating": rating.as_str(), "note": note})),
    );
    change.append_in(&*tx, actor).await?;
    tx.commit().await?;
    get(db, id).await
}
