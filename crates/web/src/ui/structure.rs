//! Pages for organisations, people, cross-appointments and the registry upload.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use db::structure::{CrossAppointment, Org, PostRow};
use domain::Paging;
use serde::Deserialize;

use super::{Me, OrPage, Page, Pager, UiError, all_pages, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError};
use crate::i18n::Tr;
use crate::jobs::Outcome;
use crate::ops::import::{load_workbook, may_import, read_upload};
use crate::ops::structure::{PersonOut, cross_paths, person_out, visible_org, visible_person, within};

/// Uploaded workbooks may be larger than forms.
const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organisations", get(orgs_page))
        .route("/organisations/{id}", get(org_page))
        .route("/organisations/export.xlsx", get(orgs_export))
        .route("/people", get(people_page))
        .route("/people/export.xlsx", get(people_export))
        .route("/people/{id}", get(person_page))
        .route("/cross-appointments", get(cross_page))
        .route("/import", get(import_page).post(import_upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/import/template.xlsx", get(template))
        .route("/import/jobs/{id}", get(import_job))
}

#[derive(Deserialize)]
struct ListParams {
    kind: Option<String>,
    region: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

impl ListParams {
    /// The shared pager for `path`, keeping this list's filters.
    fn pager(&self, path: &str, paging: Paging, total: u64) -> Pager {
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        let (kind, region, q) = (v(&self.kind), v(&self.region), v(&self.q));
        Pager::new(path, &[("kind", &kind), ("region", &region), ("q", &q)], paging, total)
    }
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrgsPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<Org>,
    kind: String,
    region: String,
    q: String,
    pager: Pager,
}

impl OrgsPage {
    fn kinds(&self) -> &'static [&'static str] {
        domain::org::OrgKind::NAMES
    }
}

async fn orgs_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Page, UiError> {
    let mut f = viewer.org_filter();
    f.kind = p.kind.as_deref().and_then(domain::org::OrgKind::find);
    f.within = within(&s, &viewer, p.region.as_deref()).await.page(t)?;
    f.name = p.q.clone();
    let paging = Paging::new(p.page, None);
    let (rows, total) = db::structure::list_orgs(&s.db, &f, paging).await.page(t)?;
    Ok(render(&OrgsPage {
        t,
        me: Me::of(&viewer),
        rows,
        kind: p.kind.clone().unwrap_or_default(),
        region: p.region.clone().unwrap_or_default(),
        q: p.q.clone().unwrap_or_default(),
        pager: p.pager("/organisations", paging, total),
    }))
}

/// The organisation list, as filtered, as a workbook.
async fn orgs_export(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    use report::Cell;
    let mut f = viewer.org_filter();
    f.kind = p.kind.as_deref().and_then(domain::org::OrgKind::find);
    f.within = within(&s, &viewer, p.region.as_deref()).await.page(t)?;
    f.name = p.q.clone();
    let rows = all_pages(|pg| db::structure::list_orgs(&s.db, &f, pg)).await.page(t)?;
    let text = |x: Option<&str>, prefix: &str| Cell::Text(x.map_or(String::new(), |v| t.or(prefix, v).to_owned()));
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|o| {
            vec![
                Cell::Int(o.id),
                Cell::Text(o.name.clone()),
                Cell::Text(t.of("kind.", o.kind.as_str()).to_owned()),
                Cell::Text(o.region_name.clone()),
                Cell::Text(o.compound_name.clone().unwrap_or_default()),
                Cell::Text(o.credit_code.clone().unwrap_or_default()),
                text(o.party_coverage.map(|v| v.as_str()), "coverage."),
                text(o.party_level.map(|v| v.as_str()), "party."),
                text(o.status_now().map(|v| v.as_str()), "status."),
            ]
        })
        .collect();
    let heads = [
        "#",
        t.get("person.name"),
        t.get("org.kind"),
        t.get("org.where"),
        t.get("compound.name"),
        t.get("field.credit_code"),
        t.get("org.coverage"),
        t.get("org.party_level"),
        t.get("org.status"),
    ];
    super::xlsx_download(t, t.get("org.list"), "organisations", &heads, &cells)
}

/// The people list, as filtered, as a workbook (phones masked as on the page).
async fn people_export(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    use report::Cell;
    let mut f = viewer.people_filter();
    f.within = within(&s, &viewer, p.region.as_deref()).await.page(t)?;
    f.name = p.q.clone();
    let rows = all_pages(|pg| db::structure::list_people(&s.db, &f, pg)).await.page(t)?;
    let yes = |b: bool| Cell::Text(if b { t.get("common.yes") } else { t.get("common.no") }.to_owned());
    let cells: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| person_out(&viewer, r))
        .map(|p| {
            vec![
                Cell::Int(p.id),
                Cell::Text(p.name),
                Cell::Text(p.phone),
                yes(p.is_party_member),
                yes(p.is_public_servant),
                Cell::Text(p.employer),
                Cell::Text(p.region_name),
                Cell::Int(p.posts),
            ]
        })
        .collect();
    let heads = [
        "#",
        t.get("person.name"),
        t.get("person.phone"),
        t.get("person.party"),
        t.get("person.servant"),
        t.get("person.employer"),
        t.get("org.where"),
        t.get("post.list"),
    ];
    super::xlsx_download(t, t.get("person.list"), "people", &heads, &cells)
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrgDetailPage {
    t: Tr,
    me: Option<Me>,
    o: Org,
    posts: Vec<PostRow>,
    /// A company's party coverage over time: (value, from, to).
    coverage: Vec<(Option<String>, chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    /// The organisation leading this one, and the one it is set up in.
    parent: Option<Linked>,
    covers: Option<Linked>,
    /// The organisations it leads or that are set up in it, as far as the reader sees.
    under: Vec<Org>,
    /// How many more lie under it than one page shows.
    under_more: u64,
    /// Who formed or founded it, and what it formed or founded: (relation,
    /// whether the other one is the founder, the other one, since).
    relations: Vec<(String, bool, Linked, Option<chrono::NaiveDate>)>,
}

/// An organisation named from another's page: a link when the reader may
/// open it, else the name alone (the chain is walked only within scope).
struct Linked {
    id: i64,
    name: String,
    open: bool,
}

async fn linked(s: &AppState, viewer: &Viewer, id: Option<i64>) -> Result<Option<Linked>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let open = db::structure::org_visible(&s.db, &viewer.org_filter(), id).await?;
    let name = db::structure::org(&s.db, id).await?.name;
    Ok(Some(Linked { id, name, open }))
}

/// Organisations listed under one on its page.
const UNDER_SHOWN: u64 = 100;

async fn org_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let o = visible_org(&s, &viewer, id).await.page(t)?;
    let posts = db::structure::posts_of_org(&s.db, id).await.page(t)?;
    let coverage = db::structure::party_coverage_history(&s.db, id).await.page(t)?;
    let parent = linked(&s, &viewer, o.parent_id).await.page(t)?;
    let covers = linked(&s, &viewer, o.covers_org_id).await.page(t)?;
    let f = db::structure::OrgFilter { under: Some(id), ..viewer.org_filter() };
    let (under, total) = db::structure::list_orgs(&s.db, &f, Paging::new(None, Some(UNDER_SHOWN))).await.page(t)?;
    let under_more = total.saturating_sub(under.len() as u64);
    let mut relations = Vec::new();
    for r in db::structure::relations_of(&s.db, id).await.page(t)? {
        let by_other = r.to_id == id;
        let other = if by_other { r.from_id } else { r.to_id };
        if let Some(l) = linked(&s, &viewer, Some(other)).await.page(t)? {
            relations.push((r.kind, by_other, l, r.on_date));
        }
    }
    Ok(render(&OrgDetailPage {
        t,
        me: Me::of(&viewer),
        o,
        posts,
        coverage,
        parent,
        covers,
        under,
        under_more,
        relations,
    }))
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<PersonOut>,
    region: String,
    q: String,
    pager: Pager,
}

async fn people_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Page, UiError> {
    let mut f = viewer.people_filter();
    f.within = within(&s, &viewer, p.region.as_deref()).await.page(t)?;
    f.name = p.q.clone();
    let paging = Paging::new(p.page, None);
    let (rows, total) = db::structure::list_people(&s.db, &f, paging).await.page(t)?;
    Ok(render(&PeoplePage {
        t,
        me: Me::of(&viewer),
        rows: rows.into_iter().map(|r| person_out(&viewer, r)).collect(),
        region: p.region.clone().unwrap_or_default(),
        q: p.q.clone().unwrap_or_default(),
        pager: p.pager("/people", paging, total),
    }))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    t: Tr,
    me: Option<Me>,
    p: PersonOut,
    posts: Vec<PostRow>,
}

async fn person_page(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<i64>) -> Result<Page, UiError> {
    let p = visible_person(&s, &viewer, id).await.page(t)?;
    let posts = db::structure::posts_of_person(&s.db, id).await.page(t)?;
    Ok(render(&PersonPage { t, me: Me::of(&viewer), p: person_out(&viewer, p), posts }))
}

#[derive(Template)]
#[template(path = "cross.html")]
struct CrossPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<CrossAppointment>,
    total: u64,
}

async fn cross_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<ListParams>,
) -> Result<Page, UiError> {
    let paths = cross_paths(&s, &viewer, p.region.as_deref()).await.page(t)?;
    let (rows, total) =
        db::structure::cross_appointments(&s.db, paths.as_deref(), Paging::new(p.page, Some(200))).await.page(t)?;
    Ok(render(&CrossPage { t, me: Me::of(&viewer), rows, total }))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    t: Tr,
    me: Option<Me>,
    /// A job still running: what it does now, and how far it is (percent).
    running: Option<(String, usize)>,
    done: Vec<(String, u64, u64, u64)>,
    errors: Vec<FieldError>,
    message: String,
}

impl ImportPage {
    /// Every sheet held only its header: nothing was there to import.
    fn nothing(&self) -> bool {
        self.done.iter().all(|(_, a, u, n)| a + u + n == 0)
    }

    fn blank(t: Tr, me: Option<Me>) -> ImportPage {
        ImportPage { t, me, running: None, done: vec![], errors: vec![], message: String::new() }
    }
}

async fn import_page(viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    if !viewer.may(domain::access::Action::WriteRegistry) {
        return Err(UiError(AppError::forbidden(), t));
    }
    Ok(render(&ImportPage::blank(t, Me::of(&viewer))))
}

/// Take the upload and start checking and writing it in the background; the
/// job's page shows how far it has got.
async fn import_upload(State(s): State<AppState>, viewer: Viewer, t: Tr, mut form: Multipart) -> Response {
    // The right to import is checked before a byte of the file is read.
    if let Err(e) = may_import(&viewer) {
        return UiError(e, t).into_response();
    }
    let mut bytes = axum::body::Bytes::new();
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            match field.bytes().await {
                Ok(b) => bytes = b,
                Err(e) => return UiError(AppError::bad_request(e.to_string()), t).into_response(),
            }
        }
    }
    let id = match s.jobs.start(viewer.user_id) {
        Ok(id) => id,
        Err(e) => return UiError(e, t).into_response(),
    };
    let state = s.clone();
    let jobs = s.jobs.clone();
    let work = tokio::spawn(async move {
        let s = state;
        s.jobs.progress(id, "reading", 0, 0);
        match read_upload(bytes).await {
            Ok(wb) => {
                load_workbook(&s, &viewer, &wb, |sheet, done, total| s.jobs.progress(id, sheet, done, total)).await
            }
            Err(e) => Err(e),
        }
    });
    // The job ends whatever happens to the work, a panic included: its owner
    // and its slot are never held for ever.
    tokio::spawn(async move {
        let outcome = match work.await {
            Ok(Ok(r)) => Outcome::Imported(r),
            Ok(Err(e)) => Outcome::Failed { message: e.message, fields: e.fields },
            Err(e) => {
                tracing::error!(error = %e, "import job failed");
                Outcome::Failed { message: "internal error; see the server log".into(), fields: vec![] }
            }
        };
        jobs.finish(id, outcome);
    });
    axum::response::Redirect::to(&format!("/import/jobs/{id}")).into_response()
}

/// An import's page: its progress while it runs (the page reloads itself
/// every second), then what it did or every error it found.
async fn import_job(State(s): State<AppState>, viewer: Viewer, t: Tr, Path(id): Path<u64>) -> Response {
    let Some(job) = s.jobs.get(id, viewer.user_id) else {
        return UiError(AppError::not_found(), t).into_response();
    };
    let me = Me::of(&viewer);
    match job.outcome {
        None => {
            let p = job.progress;
            let stage = match p.stage.as_str() {
                "" | "reading" => t.get("import.reading").to_owned(),
                sheet => format!("{} {sheet}: {}/{}", t.get("import.checking"), p.done, p.total),
            };
            let pct = (p.done * 100).checked_div(p.total).unwrap_or(0);
            render(&ImportPage { running: Some((stage, pct)), ..ImportPage::blank(t, me) }).into_response()
        }
        Some(Outcome::Imported(r)) => {
            let done = r.sheets.iter().map(|(k, c)| (k.clone(), c.added, c.updated, c.unchanged)).collect();
            render(&ImportPage { done, ..ImportPage::blank(t, me) }).into_response()
        }
        Some(Outcome::Failed { message, mut fields }) => {
            // A file that could not be read is one reason, not a table of rows.
            let whole_file = fields.len() == 1 && fields[0].field == "file";
            let message = match fields.len() {
                _ if whole_file => fields.remove(0).reason_in(t.is_zh()).to_owned(),
                n if n > 0 && t.is_zh() => format!("共 {n} 处错误，未导入任何数据"),
                _ => message,
            };
            let page = ImportPage { errors: fields, message, ..ImportPage::blank(t, me) };
            render(&page).status(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn template() -> Response {
    match import::template_xlsx() {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"gongzhi-registry-template.xlsx\""),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => AppError::internal(e.to_string()).into_response(),
    }
}
