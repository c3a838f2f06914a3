//! Deadlines: marking overdue problems, escalating them, closing unrated resolved ones.

use super::*;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub marked_overdue: u64,
    pub escalated: u64,
    pub auto_closed: u64,
}

/// Mark overdue problems and escalate them one level per missed period
/// (community → street → county); close problems resolved and left unrated.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<Sweep> {
    let actor = Actor::system("deadline");
    let open: Vec<Problem> =
        all(db.conn(), &format!("{SELECT} WHERE p.state IN ({})", states_sql(State::is_open)), vec![]).await?;
    let mut s = Sweep::default();
    for p in open {
        let state = p.state;
        let d = problem::Deadlines { accept_by: p.accept_by, resolve_by: p.resolve_by };
        if problem::auto_closes(state, p.resolved_at, now) {
            let tx = db.begin_write_in_scope().await?;
            // Only if nobody rated it since it was read.
            let n = exec(
                &*tx,
                "UPDATE problem SET state = 'closed', updated_at = $1 WHERE id = $2 AND state = $3",
                vec![now.into(), p.id.into(), state.as_str().into()],
            )
            .await?
            .rows_affected();
            if n != 1 {
                continue;
            }
            event(&*tx, p.id, now, &actor, "auto_close", Some(state), State::Closed, "").await?;
            let change = problem_change(
                "auto_close",
                &p,
                Some(serde_json::json!({"state": state.as_str()})),
                Some(serde_json::json!({"state": State::Closed.as_str()})),
            );
            change.append_in(&*tx, &actor).await?;
            tx.commit().await?;
            s.auto_closed += 1;
            continue;
        }
        if !problem::overdue(state, d, now) {
            continue;
        }
        // One level up for each full resolve period missed.
        let period = (p.resolve_by - p.submitted_at).max(Duration::hours(1));
        let levels = if now > p.resolve_by + period { 2 } else { 1 };
        let mut level = Level::Community;
        for _ in 0..levels {
            level = problem::escalate(level);
        }
        if p.overdue && p.supervised_at == level.as_str() {
            continue;
        }
        let tx = db.begin_write_in_scope().await?;
        // Only while it is still open in the state read: a step taken meanwhile wins.
        let n = exec(
            &*tx,
            "UPDATE problem SET overdue = $1, supervised_at = $2, updated_at = $3 WHERE id = $4 AND state = $5",
            vec![true.into(), level.as_str().into(), now.into(), p.id.into(), state.as_str().into()],
        )
        .await?
        .rows_affected();
        if n != 1 {
            continue;
        }
        let step = format!("escalate:{}", level.as_str());
        event(&*tx, p.id, now, &actor, &step, Some(state), state, "").await?;
        let change = problem_change(
            &step,
            &p,
            Some(serde_json::json!({"overdue": p.overdue, "supervised_at": p.supervised_at})),
            Some(serde_json::json!({"overdue": true, "supervised_at": level.as_str()})),
        );
        change.append_in(&*tx, &actor).await?;
        tx.commit().await?;
        if !p.overdue {
            s.marked_overdue += 1;
        }
        s.escalated += 1;
    }
    Ok(s)
}
