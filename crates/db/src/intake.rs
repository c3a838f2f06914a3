//! Group commit for residents' reports. Reports that arrive while a batch is
//! being written queue here and are written together in the next
//! transaction (`problems::write_reports`: three statements for any number), so
//! under load a commit — a WAL write on SQLite, a flush on PostgreSQL — and
//! the trips to the database are shared instead of paid per report. Nobody
//! waits for company: a lone report is written at once, and each caller is
//! answered only after its own report has committed.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::problems::{NewReport, Written, write_reports};
use crate::{Db, DbError, Result};

/// At most this many reports go into one transaction.
pub const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Written>>;

async fn write(db: &Db, reports: Vec<NewReport>, replies: Vec<Reply>) {
    match write_reports(db, &reports).await {
        Ok(written) => {
            for (reply, w) in replies.into_iter().zip(written) {
                let _ = reply.send(Ok(w));
            }
        }
        // One bad report must not fail the others: write each alone so every
        // caller gets its own answer.
        Err(_) if reports.len() > 1 => {
            for (r, reply) in reports.iter().zip(replies) {
                let _ = reply.send(crate::problems::create(db, r).await);
            }
        }
        Err(e) => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
    }
}

/// The queue of reports to write, and the task that writes them.
#[derive(Clone)]
pub struct Intake {
    queue: mpsc::Sender<(NewReport, Reply)>,
}

impl Intake {
    /// Start the writers on the current Tokio runtime; they end when every
    /// `Intake` handle has been dropped. SQLite has one writer at a time, so
    /// one; on PostgreSQL a batch can gather and insert while another waits
    /// for its commit to be flushed, so a few.
    pub fn start(db: Db) -> Intake {
        let (queue, rx) = mpsc::channel::<(NewReport, Reply)>(4 * MAX_BATCH);
        let rx = Arc::new(Mutex::new(rx));
        let writers = if db.backend() == sea_orm::DbBackend::Postgres { 4 } else { 1 };
        for _ in 0..writers {
            let (db, rx) = (db.clone(), rx.clone());
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(MAX_BATCH);
                loop {
                    // Take what is waiting (at least one), then let the next writer take the rest.
                    if rx.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
                        break;
                    }
                    let (reports, replies): (Vec<NewReport>, Vec<Reply>) = batch.drain(..).unzip();
                    write(&db, reports, replies).await;
                }
            });
        }
        Intake { queue }
    }

    /// Write one report, with whatever others are waiting; answers once it has committed.
    pub async fn report(&self, r: NewReport) -> Result<Written> {
        let gone = || DbError::Internal(sea_orm::DbErr::Custom("the report writer has stopped".into()));
        let (tx, rx) = oneshot::channel();
        self.queue.send((r, tx)).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}
