//! Notices: each reader's in-app list (a resident told their problem moved
//! on), the webhooks an administrator registers, and the queue of deliveries
//! to them — each tried, retried on failure and logged until it lands or is
//! given up.

use chrono::{DateTime, Utc};
use domain::audit::Actor;
use sea_orm::{FromQueryResult, Value};
use serde::Serialize;
use serde_json::json;

use crate::audit::Change;
use crate::problems::Problem;
use crate::sql::{all, exec, one, scalar_i64};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Notification {
    pub id: i64,
    pub problem_id: Option<i64>,
    /// An owners' vote announced or counted (`vote_announced`, `vote_preliminary`, `vote_final`).
    pub vote_id: Option<i64>,
    /// A monthly statement of the reader's compound published (`statement_published`).
    pub statement_id: Option<i64>,
    /// The state the problem moved to, or what happened to the vote.
    pub state: String,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Tell whom it concerns that `p` moved to its current state: its reporter
/// in the app (unless they moved it themselves), and every active webhook
/// (queued here, sent by the delivery loop). One transaction.
pub async fn problem_changed(db: &Db, p: &Problem, by_user: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    let reporter = p.reporter_id.filter(|r| Some(*r) != by_user);
    // A resident's own report with no webhook registered (the usual case) writes nothing.
    let hooks = scalar_i64(db.conn(), "SELECT COUNT(*) FROM webhook WHERE active = TRUE", vec![]).await?;
    if reporter.is_none() && hooks == 0 {
        return Ok(());
    }
    let tx = db.begin_write_in_scope().await?;
    if let Some(r) = reporter {
        exec(
            &*tx,
            "INSERT INTO notification (user_id, problem_id, state, at) VALUES ($1, $2, $3, $4)",
            vec![r.into(), p.id.into(), p.state.as_str().into(), now.into()],
        )
        .await?;
    }
    let event = format!("problem.{}", p.state.as_str());
    let body = json!({
        "event": event,
        "at": now,
        "problem": {
            "id": p.id, "state": p.state, "compound_id": p.compound_id, "compound_name": p.compound_name,
            "category": p.category, "handler_kind": p.handler_kind, "handler_org_id": p.handler_org_id,
            "reporter_user_id": p.reporter_id, "overdue": p.overdue, "resolve_by": p.resolve_by,
        },
    })
    .to_string();
    exec(
        &*tx,
        "INSERT INTO webhook_delivery (webhook_id, event, body, attempts, next_at, gave_up, created_at) \
         SELECT id, $1, $2, 0, $3, FALSE, $3 FROM webhook WHERE active = TRUE",
        vec![event.into(), body.into(), now.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Tell the owners a vote counts (accounts bound to an owner holding one of
/// its parts today) that it was announced or counted: `what` is
/// `vote_announced`, `vote_preliminary` or `vote_final`. In the caller's transaction.
pub async fn vote_changed_in(
    c: &impl sea_orm::ConnectionTrait,
    vote_id: i64,
    what: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO notification (user_id, vote_id, state, at) \
         SELECT DISTINCT o.user_id, v.id, $2, $3 FROM vote v \
         JOIN owner o ON o.compound_id = v.compound_id AND o.user_id IS NOT NULL \
         JOIN ownership w ON w.owner_id = o.id AND w.valid_from <= $4 AND (w.valid_to IS NULL OR w.valid_to > $4) \
         JOIN unit u ON u.id = w.unit_id JOIN entrance e ON e.id = u.entrance_id \
         WHERE v.id = $1 AND (NOT EXISTS (SELECT 1 FROM vote_building vb WHERE vb.vote_id = v.id) \
           OR EXISTS (SELECT 1 FROM vote_building vb WHERE vb.vote_id = v.id AND vb.building_id = e.building_id))",
        vec![vote_id.into(), what.into(), now.into(), domain::clock::china_date(now).into()],
    )
    .await?;
    Ok(())
}

/// Tell the owners of a compound holding a part today (accounts bound to an
/// owner record) that a statement was published, in the publishing transaction.
pub async fn statement_published_in(
    c: &impl sea_orm::ConnectionTrait,
    statement_id: i64,
    compound_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    exec(
        c,
        "INSERT INTO notification (user_id, statement_id, state, at) \
         SELECT DISTINCT o.user_id, $1, 'statement_published', $3 FROM owner o \
         JOIN ownership w ON w.owner_id = o.id AND w.valid_from <= $4 AND (w.valid_to IS NULL OR w.valid_to > $4) \
         WHERE o.compound_id = $2 AND o.user_id IS NOT NULL",
        vec![statement_id.into(), compound_id.into(), now.into(), domain::clock::china_date(now).into()],
    )
    .await?;
    Ok(())
}

/// Mark a reader's statement notices before `before` read (the demo's back-filled history).
pub async fn statements_read_before(db: &Db, user_id: i64, before: DateTime<Utc>) -> Result<()> {
    exec(
        db.conn(),
        "UPDATE notification SET read_at = at WHERE user_id = $1 AND statement_id IS NOT NULL AND read_at IS NULL \
         AND at < $2",
        vec![user_id.into(), before.into()],
    )
    .await?;
    Ok(())
}

/// A reader's notices, newest first.
pub async fn notifications(db: &Db, user_id: i64, limit: u64) -> Result<Vec<Notification>> {
    Ok(all(
        db.conn(),
        "SELECT id, problem_id, vote_id, statement_id, state, at, read_at FROM notification WHERE user_id = $1 \
         ORDER BY id DESC LIMIT $2",
        vec![user_id.into(), (limit.min(500) as i64).into()],
    )
    .await?)
}

pub async fn unread(db: &Db, user_id: i64) -> Result<i64> {
    Ok(scalar_i64(
        db.conn(),
        "SELECT COUNT(*) FROM notification WHERE user_id = $1 AND read_at IS NULL",
        vec![user_id.into()],
    )
    .await?)
}

pub async fn mark_read(db: &Db, user_id: i64, now: DateTime<Utc>) -> Result<()> {
    exec(
        db.conn(),
        "UPDATE notification SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
        vec![user_id.into(), now.into()],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn webhooks(db: &Db) -> Result<Vec<Webhook>> {
    Ok(all(db.conn(), "SELECT id, url, secret, active, created_at FROM webhook ORDER BY id", vec![]).await?)
}

/// Register a webhook (audited; the secret is not written to the log).
pub async fn add_webhook(db: &Db, actor: &Actor, url: &str, secret: &str) -> Result<i64> {
    let tx = db.begin_write().await?;
    let id = scalar_i64(
        &*tx,
        "INSERT INTO webhook (url, secret, active, created_at) VALUES ($1, $2, TRUE, $3) RETURNING id",
        vec![url.into(), secret.into(), Utc::now().into()],
    )
    .await?;
    Change::new("create", "webhook", id, None)
        .after(json!({"url": url, "active": true}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn set_webhook_active(db: &Db, actor: &Actor, id: i64, active: bool) -> Result<()> {
    let tx = db.begin_write().await?;
    let r = exec(&*tx, "UPDATE webhook SET active = $2 WHERE id = $1", vec![id.into(), active.into()]).await?;
    if r.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Change::new(if active { "enable" } else { "disable" }, "webhook", id, None)
        .after(json!({"active": active}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A delivery due to be tried, with where it goes.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Due {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub body: String,
    pub attempts: i32,
}

/// Deliveries due at `now` to active webhooks, oldest first.
pub async fn due(db: &Db, now: DateTime<Utc>, limit: u64) -> Result<Vec<Due>> {
    Ok(all(
        db.conn(),
        "SELECT d.id, w.url, w.secret, d.event, d.body, d.attempts FROM webhook_delivery d \
         JOIN webhook w ON w.id = d.webhook_id \
         WHERE d.delivered_at IS NULL AND d.gave_up = FALSE AND d.next_at <= $1 AND w.active = TRUE \
         ORDER BY d.id LIMIT $2",
        vec![now.into(), (limit.min(1000) as i64).into()],
    )
    .await?)
}

/// What one try came to: delivered, or failed (tried again at `retry`, or given up without one).
pub async fn record_attempt(
    db: &Db,
    id: i64,
    status: Option<u16>,
    error: Option<&str>,
    now: DateTime<Utc>,
    retry: Option<DateTime<Utc>>,
) -> Result<()> {
    let delivered = error.is_none();
    let status: Value = status.map(i32::from).into();
    let error: Value = error.map(|e| e.chars().take(500).collect::<String>()).into();
    exec(
        db.conn(),
        "UPDATE webhook_delivery SET attempts = attempts + 1, last_status = $2, last_error = $3, \
         delivered_at = CASE WHEN $4 THEN $5 ELSE NULL END, \
         next_at = CASE WHEN $6 IS NULL THEN next_at ELSE $6 END, \
         gave_up = CASE WHEN $4 THEN FALSE ELSE $6 IS NULL END WHERE id = $1",
        vec![id.into(), status, error, delivered.into(), now.into(), retry.into()],
    )
    .await?;
    Ok(())
}

/// The delivery log, newest first.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct DeliveryLog {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub attempts: i32,
    pub next_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub gave_up: bool,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn deliveries(db: &Db, limit: u64) -> Result<Vec<DeliveryLog>> {
    Ok(all(
        db.conn(),
        "SELECT id, webhook_id, event, attempts, next_at, delivered_at, gave_up, last_status, last_error, created_at \
         FROM webhook_delivery ORDER BY id DESC LIMIT $1",
        vec![(limit.min(500) as i64).into()],
    )
    .await?)
}

/// One delivery by id (tests and the log).
pub async fn delivery(db: &Db, id: i64) -> Result<Option<DeliveryLog>> {
    Ok(one(
        db.conn(),
        "SELECT id, webhook_id, event, attempts, next_at, delivered_at, gave_up, last_status, last_error, created_at \
         FROM webhook_delivery WHERE id = $1",
        vec![id.into()],
    )
    .await?)
}
