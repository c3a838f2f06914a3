//! Long jobs started from a page (a registry import): they run in the
//! background while the page shows their progress, so no request waits for
//! them and no request timeout cuts them off half-way. Jobs live in memory:
//! a job's page is for the person who started it, while they wait.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, FieldError};

/// A finished job is kept this long for its page.
const KEEP: Duration = Duration::from_secs(3600);
/// At most this many jobs run at once over all users (each holds a database
/// transaction while it writes); one more waits its turn as a refusal.
pub const MAX_RUNNING: usize = 2;

#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// What is being done: "reading", or the sheet being checked and written.
    pub stage: String,
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Imported(import::Report),
    Failed { message: String, fields: Vec<FieldError> },
}

#[derive(Debug, Clone)]
pub struct Job {
    pub owner: i64,
    pub started: Instant,
    pub progress: Progress,
    pub outcome: Option<Outcome>,
    finished: Option<Instant>,
}

#[derive(Default)]
pub struct Jobs {
    inner: Mutex<(u64, HashMap<u64, Job>)>,
}

impl Jobs {
    /// Register a job for `owner`, or refuse if they already run one or the server is busy.
    pub fn start(&self, owner: i64) -> Result<u64, AppError> {
        let mut g = self.inner.lock().expect("jobs lock");
        let (next, jobs) = &mut *g;
        jobs.retain(|_, j| j.finished.is_none_or(|f| f.elapsed() < KEEP));
        let running = jobs.values().filter(|j| j.outcome.is_none());
        if running.clone().any(|j| j.owner == owner) {
            return Err(AppError::new(
                axum::http::StatusCode::CONFLICT,
                "busy",
                "an import of yours is still running; wait for it to finish",
            ));
        }
        if running.count() >= MAX_RUNNING {
            return Err(AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "other imports are running; try again in a minute",
            ));
        }
        *next += 1;
        jobs.insert(
            *next,
            Job { owner, started: Instant::now(), progress: Progress::default(), outcome: None, finished: None },
        );
        Ok(*next)
    }

    pub fn progress(&self, id: u64, stage: &str, done: usize, total: usize) {
        if let Some(j) = self.inner.lock().expect("jobs lock").1.get_mut(&id) {
            j.progress = Progress { stage: stage.to_owned(), done, total };
        }
    }

    pub fn finish(&self, id: u64, outcome: Outcome) {
        if let Some(j) = self.inner.lock().expect("jobs lock").1.get_mut(&id) {
            j.outcome = Some(outcome);
            j.finished = Some(Instant::now());
        }
    }

    /// The job, if `viewer_id` started it.
    /// How many jobs are running now (`/metrics`).
    pub fn running(&self) -> usize {
        self.inner.lock().map(|g| g.1.values().filter(|j| j.finished.is_none()).count()).unwrap_or(0)
    }

    pub fn get(&self, id: u64, viewer_id: i64) -> Option<Job> {
        self.inner.lock().expect("jobs lock").1.get(&id).filter(|j| j.owner == viewer_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_per_owner_and_a_bounded_number_running() {
        let jobs = Jobs::default();
        let a = jobs.start(1).unwrap();
        assert_eq!(jobs.start(1).unwrap_err().status, axum::http::StatusCode::CONFLICT);
        let _b = jobs.start(2).unwrap();
        assert_eq!(jobs.start(3).unwrap_err().status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(jobs.get(a, 2).is_none(), "only its owner sees a job");
        jobs.progress(a, "compounds", 5, 10);
        assert_eq!(jobs.get(a, 1).unwrap().progress.done, 5);
        jobs.finish(a, Outcome::Failed { message: "x".into(), fields: vec![] });
        assert!(jobs.start(1).is_ok(), "a finished job frees its owner");
    }
}
