//! Past records loaded in bulk: residents' problems with their timelines,
//! and inspections with their scored lines, as they happened (the demo's
//! three years of history; a city moving its old ledgers in could use the
//! same). Ids are assigned here, rows go in as multi-row INSERTs inside one
//! transaction, and the audit log records the load as one change per kind.

use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::Actor;
use domain::problem::{Rating, State};
use domain::rectify::InspectionKind;

use crate::audit::Change;
use crate::sql::BulkTable;
use crate::{Db, Result, WriteTx};

const ROWS: usize = 400;

/// A problem as it went: its final fields and every step on its timeline.
#[derive(Debug, Clone)]
pub struct PastProblem {
    pub compound_id: i64,
    pub region_path: String,
    pub category: String,
    pub description: String,
    /// The company that handled it (None: the community).
    pub company_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub accept_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<Rating>,
    pub state: State,
    /// (when, step, from, to) after the submission.
    pub steps: Vec<(DateTime<Utc>, String, State, State)>,
}

/// One past inspection and its lines (label, full marks, score, finding).
#[derive(Debug, Clone)]
pub struct PastInspection {
    pub compound_id: i64,
    pub region_path: String,
    pub company_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// The inspection a re-inspection (回头看) follows.
    pub follows_id: Option<i64>,
    pub kind: InspectionKind,
    pub visited_on: NaiveDate,
    pub inspector: String,
    pub lines: Vec<(String, i64, i64, String)>,
}

pub struct Backfill {
    tx: WriteTx,
    actor: Actor,
    problems: BulkTable,
    events: BulkTable,
    inspections: BulkTable,
    items: BulkTable,
    counts: (u64, u64),
    /// The latest time loaded: each load's audit row says up to when.
    until: Option<DateTime<Utc>>,
}

impl Backfill {
    pub async fn new(db: &Db, actor: Actor) -> Result<Backfill> {
        let tx = db.begin_write().await?;
        Ok(Backfill {
            problems: BulkTable::start(
                &tx,
                "problem",
                &[
                    "compound_id",
                    "region_path",
                    "category",
                    "description",
                    "location",
                    "state",
                    "reporter_id",
                    "handler_kind",
                    "handler_org_id",
                    "supervised_at",
                    "overdue",
                    "submitted_at",
                    "accept_by",
                    "resolve_by",
                    "resolved_at",
                    "rating",
                    "reason",
                    "updated_at",
                ],
            )
            .await?,
            events: BulkTable::start(
                &tx,
                "problem_event",
                &["problem_id", "at", "actor", "step", "from_state", "to_state", "note"],
            )
            .await?,
            inspections: BulkTable::start(
                &tx,
                "inspection",
                &[
                    "compound_id",
                    "region_path",
                    "company_id",
                    "campaign_id",
                    "follows_id",
                    "kind",
                    "visited_on",
                    "inspector",
                    "score",
                    "max",
                    "note",
                    "created_at",
                ],
            )
            .await?,
            items: BulkTable::start(
                &tx,
                "inspection_item",
                &["inspection_id", "position", "label", "max", "score", "finding"],
            )
            .await?,
            tx,
            actor,
            counts: (0, 0),
            until: None,
        })
    }

    async fn flush(&mut self) -> Result<()> {
        // Parents first, so every reference holds at every statement.
        self.problems.flush(&self.tx).await?;
        self.events.flush(&self.tx).await?;
        self.inspections.flush(&self.tx).await?;
        self.items.flush(&self.tx).await?;
        Ok(())
    }

    async fn after_push(&mut self) -> Result<()> {
        if [self.problems.rows, self.events.rows, self.inspections.rows, self.items.rows].iter().any(|r| *r >= ROWS) {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn problem(&mut self, p: &PastProblem) -> Result<i64> {
        let updated = p.steps.last().map_or(p.submitted_at, |s| s.0);
        self.until = self.until.max(Some(updated));
        let id = self.problems.push(vec![
            p.compound_id.into(),
            p.region_path.clone().into(),
            p.category.clone().into(),
            p.description.clone().into(),
            "".into(),
            p.state.as_str().into(),
            None::<i64>.into(),
            if p.company_id.is_some() { "company" } else { "community" }.into(),
            p.company_id.into(),
            "community".into(),
            false.into(),
            p.submitted_at.into(),
            p.accept_by.into(),
            p.resolve_by.into(),
            p.resolved_at.into(),
            p.rating.map(|r| r.as_str()).into(),
            None::<String>.into(),
            updated.into(),
        ]);
        let who = self.actor.login.clone();
        self.events.push(vec![
            id.into(),
            p.submitted_at.into(),
            who.clone().into(),
            "submit".into(),
            None::<String>.into(),
            State::Submitted.as_str().into(),
            "".into(),
        ]);
        for (at, step, from, to) in &p.steps {
            self.events.push(vec![
                id.into(),
                (*at).into(),
                who.clone().into(),
                step.clone().into(),
                from.as_str().into(),
                to.as_str().into(),
                "".into(),
            ]);
        }
        self.counts.0 += 1;
        self.after_push().await?;
        Ok(id)
    }

    /// Returns the inspection's id and its lines' ids (what a notice's items name).
    pub async fn inspection(&mut self, i: &PastInspection) -> Result<(i64, Vec<i64>)> {
        let at = domain::clock::start_of(i.visited_on) + chrono::Duration::hours(17);
        self.until = self.until.max(Some(at));
        let id = self.inspections.push(vec![
            i.compound_id.into(),
            i.region_path.clone().into(),
            i.company_id.into(),
            i.campaign_id.into(),
            i.follows_id.into(),
            i.kind.as_str().into(),
            i.visited_on.into(),
            i.inspector.clone().into(),
            i.lines.iter().map(|l| l.2).sum::<i64>().into(),
            i.lines.iter().map(|l| l.1).sum::<i64>().into(),
            "".into(),
            at.into(),
        ]);
        let mut ids = Vec::with_capacity(i.lines.len());
        for (n, (label, max, score, finding)) in i.lines.iter().enumerate() {
            ids.push(self.items.push(vec![
                id.into(),
                (n as i32 + 1).into(),
                label.clone().into(),
                (*max).into(),
                (*score).into(),
                finding.clone().into(),
            ]));
        }
        self.counts.1 += 1;
        self.after_push().await?;
        Ok((id, ids))
    }

    /// Write what is left, record the load in the audit log and commit.
    pub async fn finish(mut self) -> Result<(u64, u64)> {
        self.flush().await?;
        for t in [&self.problems, &self.events, &self.inspections, &self.items] {
            t.follow_sequence(&self.tx).await?;
        }
        for (entity, n) in [("problem", self.counts.0), ("inspection", self.counts.1)] {
            if n == 0 {
                continue;
            }
            Change::new("backfill", entity, 0, None)
                .after(serde_json::json!({"rows": n, "until": self.until}))
                .append_in(&*self.tx, &self.actor)
                .await?;
        }
        self.tx.commit().await?;
        Ok(self.counts)
    }
}
