//! Residents' problems, each operation once: report, load within scope,
//! take a step, rate, attach a photo, configure categories. The API, the
//! pages and Open311 call these and never each other.

use std::sync::Arc;

use chrono::Utc;
use db::problems::{NewReport, Problem, WorkCounts, Written};
use domain::Paging;
use domain::access::Action;
use domain::problem::{By, Category, Queue, Rating, State, Step};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// A report as a resident makes it, from any face.
pub struct ReportIn<'a> {
    pub compound_id: i64,
    pub category: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    /// A photo taken with it (checked before anything is written), if any.
    pub photo: Option<&'a [u8]>,
    /// What an Open311 client sent beside it: the point, a link to media.
    pub extra: db::problems::Extra,
}

/// Report a problem in a compound the caller can see: routed to the company
/// serving it that day (else its community), written with whatever other
/// reports arrive at the same time, and its photo stored.
pub async fn report(s: &AppState, viewer: &Viewer, r: ReportIn<'_>) -> Result<Written, AppError> {
    let compound = report_compound(s, viewer, r.compound_id).await?;
    let category = s.categories.offered(&s.db, r.category).await?;
    if let Some(photo) = r.photo {
        domain::problem::photo_type(photo)?;
    }
    if let Some(u) = &r.extra.media_url {
        domain::problem::check_media_url(u)?;
    }
    let report = NewReport::new(&viewer.actor(), &compound, &category, r.description, r.location, Utc::now())?;
    let w = s.intake.report(report).await?;
    s.metrics.reports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(photo) = r.photo {
        store_photo(s, viewer, w.problem.id, photo).await?;
    }
    db::problems::put_extra(&s.db, w.problem.id, &r.extra).await?;
    changed(s, viewer, &w.problem).await;
    Ok(w)
}

/// Which problems a list shows, from any face: a work list and the filters.
#[derive(Debug, Clone, Default)]
pub struct ListIn {
    pub queue: Option<Queue>,
    pub state: Option<State>,
    pub category: Option<String>,
    pub compound_id: Option<i64>,
    pub text: Option<String>,
    pub order: Option<domain::problem::Order>,
}

impl ListIn {
    pub fn filter(&self) -> db::problems::ListFilter {
        let queue = self.queue.unwrap_or(Queue::Work);
        let states = match self.state {
            Some(s) => vec![s],
            None => queue.states().to_vec(),
        };
        db::problems::ListFilter {
            states,
            overdue: queue.overdue_only(),
            category: self.category.clone().filter(|c| !c.trim().is_empty()),
            compound_id: self.compound_id,
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
            order: self.order,
            ..Default::default()
        }
    }
}

/// The problems this viewer sees that `l` picks, overdue first.
pub async fn list(s: &AppState, viewer: &Viewer, l: &ListIn, page: Paging) -> Result<(Vec<Problem>, u64), AppError> {
    Ok(db::problems::list(&s.db, &viewer.problems_visible(), &l.filter(), page).await?)
}

/// The work waiting for this viewer: the counts of the header and the inbox's lists.
pub async fn work(s: &AppState, viewer: &Viewer) -> Result<WorkCounts, AppError> {
    Ok(db::problems::work_counts(&s.db, &viewer.problems_visible()).await?)
}

/// The categories as last read, kept a few seconds (see `crate::cache`):
/// every report needs its category, and they change rarely.
#[derive(Default)]
pub struct Categories {
    kept: crate::cache::Kept<(), Arc<Vec<Category>>>,
}

impl Categories {
    pub async fn all(&self, db: &db::Db) -> Result<Arc<Vec<Category>>, AppError> {
        let epoch = db.scope_epoch();
        if let Some(list) = self.kept.get(&(), epoch) {
            return Ok(list);
        }
        let list = Arc::new(db::problems::categories(db).await?);
        self.kept.put((), list.clone(), epoch, None);
        Ok(list)
    }

    /// A category offered for new reports, by code.
    pub async fn offered(&self, db: &db::Db, code: &str) -> Result<Category, AppError> {
        let code = code.trim();
        self.all(db).await?.iter().find(|c| c.code == code && c.active).cloned().ok_or_else(|| {
            AppError::from(
                domain::Invalid::new("category", format!("{code:?} is not a category offered"))
                    .zh(format!("“{code}”不是可选的诉求类别")),
            )
        })
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CategoryIn {
    pub name_zh: String,
    pub name_en: String,
    pub accept_hours: i64,
    pub resolve_hours: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

pub async fn save_category(s: &AppState, viewer: &Viewer, code: &str, b: &CategoryIn) -> Result<Category, AppError> {
    if !viewer.is_admin() {
        return Err(AppError::forbidden());
    }
    let c = Category::new(code, &b.name_zh, &b.name_en, b.accept_hours, b.resolve_hours, b.active)
        .map_err(AppError::invalid)?;
    db::problems::save_category(&s.db, &viewer.actor(), &c).await?;
    Ok(c)
}

/// The compound a report is made in, checked against the reporter's scope
/// (404 outside it). Kept a few seconds (see `crate::cache`): under load the
/// same compounds are reported in again and again.
pub async fn report_compound(s: &AppState, viewer: &Viewer, id: i64) -> Result<db::compounds::Compound, AppError> {
    let epoch = s.db.scope_epoch();
    let c = match s.compounds.get(&id, epoch) {
        Some(c) => c,
        None => {
            let c = db::compounds::get(&s.db, id).await?;
            s.compounds.put(id, c.clone(), epoch, None);
            c
        }
    };
    viewer.check_compound(&c, Action::Read)?;
    Ok(c)
}

pub async fn load(s: &AppState, v: &Viewer, id: i64) -> Result<Problem, AppError> {
    let p = db::problems::get(&s.db, id).await?;
    if v.sees_problem(&p) { Ok(p) } else { Err(AppError::not_found()) }
}

/// Take a step as this viewer (shared by the API and the pages).
pub async fn act(s: &AppState, viewer: &Viewer, id: i64, step: &str, note: &str) -> Result<Problem, AppError> {
    let p = load(s, viewer, id).await?;
    let step = Step::parse(step)?;
    let by = if matches!(step, Step::Reopen | Step::Close | Step::Withdraw) && p.reporter_id == Some(viewer.user_id) {
        By::Resident
    } else {
        viewer.problem_role(&p).ok_or_else(AppError::forbidden)?
    };
    let p = db::problems::step(&s.db, &viewer.actor(), id, step, by, note, Utc::now()).await?;
    changed(s, viewer, &p).await;
    Ok(p)
}

/// Take a step with a photo of the site (the handler's "after" photo): the
/// photo is checked before the step is taken, and stored once it is.
pub async fn act_with_photo(
    s: &AppState,
    viewer: &Viewer,
    id: i64,
    step: &str,
    note: &str,
    photo: Option<&[u8]>,
) -> Result<Problem, AppError> {
    if let Some(photo) = photo {
        domain::problem::photo_type(photo)?;
    }
    let p = act(s, viewer, id, step, note).await?;
    if let Some(photo) = photo {
        store_photo(s, viewer, id, photo).await?;
    }
    Ok(p)
}

/// Rate as the reporter (shared by the API and the pages).
pub async fn rate_as(s: &AppState, viewer: &Viewer, id: i64, rating: &str, note: &str) -> Result<Problem, AppError> {
    let p = load(s, viewer, id).await?;
    if p.reporter_id != Some(viewer.user_id) {
        return Err(AppError::forbidden());
    }
    let r = Rating::parse(rating)?;
    let p = db::problems::rate(&s.db, &viewer.actor(), id, r, note, Utc::now()).await?;
    changed(s, viewer, &p).await;
    Ok(p)
}

/// Tell whom it concerns that `p` moved on (its reporter in the app, the
/// webhooks). The change itself is committed already: a failure here is
/// logged, not answered as the request's failure.
async fn changed(s: &AppState, viewer: &Viewer, p: &Problem) {
    if let Err(e) = db::notify::problem_changed(&s.db, p, Some(viewer.user_id), Utc::now()).await {
        tracing::error!(problem = p.id, error = %e, "notices of a problem's change");
    }
}

/// How many open reports like this one (same compound and category, last
/// seven days) exist, for a compound the viewer may report in; a count only,
/// so a resident learns nothing of who reported what.
pub async fn alike(s: &AppState, viewer: &Viewer, compound_id: i64, category: &str) -> Result<i64, AppError> {
    report_compound(s, viewer, compound_id).await?;
    let category = s.categories.offered(&s.db, category).await?;
    Ok(db::problems::alike_count(&s.db, compound_id, &category.code, Utc::now()).await?)
}

/// Who reported `p`, as those who act on it need to know them: the
/// reporter's name, for a resident their home in words, and their phone
/// (in full to the handler, masked to the level reviewing). `None` for the
/// reporter themself, for readers who do not act on it, and for reports
/// without an account (Open311 without a key).
pub async fn reporter_for(s: &AppState, viewer: &Viewer, p: &Problem) -> Result<Option<String>, AppError> {
    let Some(id) = p.reporter_id.filter(|r| *r != viewer.user_id) else { return Ok(None) };
    // Those who handle or decide; an overseer (a neighbour on the owners'
    // committee, say) does not learn who reported what.
    let role = viewer.problem_role(p);
    if !matches!(role, Some(By::Handler | By::Supervisor)) {
        return Ok(None);
    }
    let Some(u) = db::accounts::user(&s.db, id).await? else { return Ok(None) };
    let mut homes = Vec::new();
    for g in db::accounts::grant_rows(&s.db, id).await? {
        if g.scope.starts_with("unit:") {
            homes.push(crate::ops::users::scope_words(&s.db, &g.scope).await?);
        }
    }
    let mut words = vec![u.display_name];
    if !homes.is_empty() {
        words.push(homes.join("；"));
    }
    // The handler calls back; the level reviewing sees that a number exists.
    if let Some(phone) = u.phone {
        words.push(if role == Some(By::Handler) { phone } else { domain::access::mask_phone(&phone) });
    }
    Ok(Some(words.join(" · ")))
}

/// The steps this viewer may offer on this problem now (for the page's buttons).
pub fn offered(viewer: &Viewer, p: &Problem) -> Vec<Step> {
    let state = p.state;
    let mut by = vec![];
    if let Some(b) = viewer.problem_role(p) {
        by.push(b);
    }
    if p.reporter_id == Some(viewer.user_id) {
        by.push(By::Resident);
    }
    Step::ALL.iter().filter(|st| by.iter().any(|b| domain::problem::next(state, **st, *b).is_ok())).copied().collect()
}

/// Check a photo by its content and store it under the data directory by its
/// hash (the same photo twice is one file); record it on the problem.
pub async fn store_photo(
    s: &AppState,
    viewer: &Viewer,
    id: i64,
    bytes: &[u8],
) -> Result<(String, &'static str), AppError> {
    load(s, viewer, id).await?;
    let (sha, mime) = keep_photo(s, bytes).await?;
    db::problems::add_photo(&s.db, &viewer.actor(), id, &sha, mime, bytes.len() as i64, Utc::now()).await?;
    Ok((sha, mime))
}

/// Check a photo by its content and keep it under the data directory by its
/// hash (written then renamed, so a reader never sees half a file): for
/// problems and for rectification notices alike.
pub async fn keep_photo(s: &AppState, bytes: &[u8]) -> Result<(String, &'static str), AppError> {
    let mime = domain::problem::photo_type(bytes)?;
    Ok((keep_bytes(s, bytes).await?, mime))
}

/// Keep checked bytes under the data directory by their SHA-256 (written then
/// renamed, so a reader never sees half a file); the same bytes twice are one file.
pub async fn keep_bytes(s: &AppState, bytes: &[u8]) -> Result<String, AppError> {
    let sha: String = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(bytes))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = photo_path(s, &sha);
    if !path.exists() {
        let dir = path.parent().expect("photo paths have a parent");
        tokio::fs::create_dir_all(dir).await.map_err(|e| AppError::internal(e.to_string()))?;
        let tmp = dir.join(format!(".{sha}.tmp"));
        tokio::fs::write(&tmp, bytes).await.map_err(|e| AppError::internal(e.to_string()))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| AppError::internal(e.to_string()))?;
    }
    Ok(sha)
}

pub fn photo_path(s: &AppState, sha: &str) -> std::path::PathBuf {
    kept_path(&s.data_dir, sha)
}

/// Where a file kept by its hash lies under a data directory (photos, ballots, vouchers).
pub fn kept_path(data_dir: &std::path::Path, sha: &str) -> std::path::PathBuf {
    data_dir.join("photos").join(&sha[..2]).join(sha)
}
