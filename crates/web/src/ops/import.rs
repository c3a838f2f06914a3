//! Registry imports: who may import, reading an upload within the web's
//! bounds, and checking and writing it within the caller's scope.

use axum::body::Bytes;
use domain::access::Action;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// Only those who may write the registry may send a workbook: checked before
/// a byte of it is read.
pub fn may_import(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.may(Action::WriteRegistry) { Ok(()) } else { Err(AppError::forbidden()) }
}

/// Read an uploaded workbook within the web's bounds (`import::Limits::WEB`),
/// on the blocking pool: decompressing and parsing must not stall the
/// workers that answer everyone else.
/// At most two are read at once over all users: reading cannot be cut off
/// once it has started (a request that times out leaves it running).
pub async fn read_upload(bytes: Bytes) -> Result<import::Workbook, AppError> {
    static READERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(crate::jobs::MAX_RUNNING);
    let permit = READERS.try_acquire().map_err(|_| {
        AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "other workbooks are being read; try again in a minute",
        )
    })?;
    let read = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        import::read_xlsx_within(&bytes, import::Limits::WEB)
    });
    read.await
        .map_err(|e| AppError::internal(e.to_string()))?
        .map_err(|e| AppError::invalid(vec![domain::Invalid::new("file", e.en).zh(e.zh)]))
}

/// Where the viewer may write the registry: their region grants that allow it.
pub fn reach_of(viewer: &Viewer) -> import::Reach {
    let mut roots = Vec::new();
    for g in viewer.grants.iter().filter(|g| g.role.may(Action::WriteRegistry)) {
        match &g.scope {
            domain::access::Scope::All => return import::Reach::All,
            domain::access::Scope::Region(c) => roots.push(c.path()),
            _ => {}
        }
    }
    import::Reach::Within(roots)
}

/// Check and write a workbook within the viewer's write scope; commit only if
/// every row is good. Shared by the API and the upload page's background job.
pub async fn load_workbook(
    s: &AppState,
    viewer: &Viewer,
    wb: &import::Workbook,
    progress: impl FnMut(&str, usize, usize),
) -> Result<import::Report, AppError> {
    may_import(viewer)?;
    let reach = reach_of(viewer);
    let tx = s.db.begin_write().await.map_err(|e| AppError::internal(e.to_string()))?;
    match import::load(&*tx, &viewer.actor(), wb, &reach, progress).await {
        Ok(r) => {
            tx.commit().await.map_err(|e| AppError::internal(e.to_string()))?;
            Ok(r)
        }
        Err(rejected) => {
            drop(tx);
            let mut e = AppError::invalid(vec![]);
            e.message = format!("{} error(s); nothing was imported", rejected.0.len());
            e.fields = rejected
                .0
                .into_iter()
                .map(|r| crate::error::FieldError {
                    field: format!("{}!{}:{}", r.sheet, r.row, r.column),
                    reason: format!("{} / {}", r.en, r.zh),
                    reason_zh: Some(r.zh),
                })
                .collect();
            Err(e)
        }
    }
}
