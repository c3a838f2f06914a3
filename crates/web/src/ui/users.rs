//! Administrators manage accounts: create one with its first role and a
//! generated password (shown once), add and withdraw roles, disable or
//! enable, reset the password. Everything is audited in `db::accounts`.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use db::accounts::{GrantRow, UserSummary};
use domain::Paging;
use domain::access::Role;
use serde::Deserialize;

use super::{Me, OrPage, Page, Pager, UiError, pick, render};
use crate::AppState;
use crate::auth::{self, Viewer};
use crate::error::{AppError, FieldError};
use crate::i18n::Tr;
use crate::ops::users::{self, admin_only, create_account};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(detail))
        .route("/users/{id}/grants", post(grant_add))
        .route("/users/{id}/grants/{grant}/remove", post(grant_remove))
        .route("/users/{id}/disabled", post(disabled))
        .route("/users/{id}/password", post(reset_password))
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    t: Tr,
    me: Option<Me>,
    users: Vec<UserSummary>,
    pager: Pager,
    q: String,
    roles: &'static [Role],
    /// The new-user form as sent, with what was wrong (empty on first show).
    draft: CreateForm,
    errors: Vec<FieldError>,
    /// Scheduled backups: where, and the last one's outcome.
    backup_dir: Option<String>,
    last_backup: Option<crate::status::Backup>,
}

impl ListPage {
    fn error(&self, field: &str) -> String {
        field_error(&self.errors, self.t, field)
    }
}

/// The reasons given for one field, in the reader's language.
fn field_error(errors: &[FieldError], t: Tr, field: &str) -> String {
    errors.iter().filter(|e| e.field == field).map(|e| e.reason_in(t.is_zh())).collect::<Vec<_>>().join("；")
}

#[derive(Deserialize)]
struct ListParams {
    q: Option<String>,
    page: Option<u64>,
}

async fn list(State(s): State<AppState>, viewer: Viewer, t: Tr, Query(p): Query<ListParams>) -> Result<Page, UiError> {
    Ok(render(&list_page(&s, &viewer, t, p, CreateForm::default(), vec![]).await?))
}

async fn list_page(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    p: ListParams,
    draft: CreateForm,
    errors: Vec<FieldError>,
) -> Result<ListPage, UiError> {
    admin_only(viewer).page(t)?;
    let paging = Paging::new(p.page, Some(100));
    let (users, total) = db::accounts::users(&s.db, p.q.as_deref(), paging).await.page(t)?;
    let q = p.q.unwrap_or_default();
    let pager = Pager::new("/users", &[("q", q.as_str())], paging, total);
    Ok(ListPage {
        t,
        me: Me::of(viewer),
        users,
        pager,
        q,
        roles: Role::ALL,
        draft,
        errors,
        backup_dir: s.status.backup_dir(),
        last_backup: s.status.last_backup(),
    })
}

#[derive(Deserialize, Default)]
struct CreateForm {
    login: String,
    display_name: String,
    role: String,
    scope: String,
    #[serde(default)]
    phone: String,
}

/// Create an account; its page shows the generated password once. A broken
/// rule or a taken login sends the form back filled in, the fields marked.
async fn create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<CreateForm>,
) -> Result<Response, UiError> {
    let made = match pick::scope(&s, &viewer, &f.role, &f.scope).await {
        Ok(scope) => create_account(&s, &viewer, &f.login, &f.display_name, &f.role, &scope, &f.phone).await,
        Err(e) => Err(e),
    };
    match made {
        Ok((id, password)) => {
            Ok(render(&detail_page(&s, &viewer, t, id, password, String::new()).await?).into_response())
        }
        Err(e) if matches!(e.code, "invalid_input" | "conflict") => {
            let status = e.status;
            let errors = form_fields(e, "login");
            let page = list_page(&s, &viewer, t, ListParams { q: None, page: None }, f, errors).await?;
            Ok(render(&page).status(status))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

/// A form's errors by field; a conflict (a taken key) is put on `key_field`.
fn form_fields(e: AppError, key_field: &str) -> Vec<FieldError> {
    if !e.fields.is_empty() {
        e.fields
    } else if e.code == "conflict" {
        vec![FieldError {
            reason_zh: Some("已被占用，请换一个".into()), ..FieldError::new(key_field, e.message)
        }]
    } else {
        vec![FieldError::new(key_field, e.message)]
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct DetailPage {
    t: Tr,
    me: Option<Me>,
    user: db::accounts::User,
    /// Each role with its scope in words.
    grants: Vec<(GrantRow, String)>,
    roles: &'static [Role],
    /// The add-role form as sent, with what was wrong.
    draft: GrantForm,
    errors: Vec<FieldError>,
    /// A password just set, shown this once.
    password: String,
    own: bool,
    /// A line to confirm what was just done (in the reader's language).
    notice: String,
}

#[derive(Deserialize)]
struct DetailParams {
    /// Set after disabling: how many API tokens that revoked.
    revoked: Option<u64>,
}

async fn detail(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Query(p): Query<DetailParams>,
) -> Result<Page, UiError> {
    let notice = p.revoked.map(|n| t.get("users.tokens_revoked").replace("{n}", &n.to_string())).unwrap_or_default();
    Ok(render(&detail_page(&s, &viewer, t, id, String::new(), notice).await?))
}

async fn detail_page(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    id: i64,
    password: String,
    notice: String,
) -> Result<DetailPage, UiError> {
    admin_only(viewer).page(t)?;
    let user = db::accounts::user(&s.db, id).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    let mut grants = Vec::new();
    for g in db::accounts::grant_rows(&s.db, id).await.page(t)? {
        let words = users::scope_words(&s.db, &g.scope).await.page(t)?;
        grants.push((g, words));
    }
    Ok(DetailPage {
        t,
        me: Me::of(viewer),
        own: user.id == viewer.user_id,
        user,
        grants,
        roles: Role::ALL,
        password,
        notice,
        draft: GrantForm::default(),
        errors: vec![],
    })
}

impl DetailPage {
    fn error(&self, field: &str) -> String {
        field_error(&self.errors, self.t, field)
    }
}

#[derive(Deserialize, Default)]
struct GrantForm {
    role: String,
    scope: String,
}

async fn grant_add(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> Result<Response, UiError> {
    let added = match pick::scope(&s, &viewer, &f.role, &f.scope).await {
        Ok(scope) => users::add_grant(&s, &viewer, id, &f.role, &scope).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(()) => Ok(Redirect::to(&format!("/users/{id}")).into_response()),
        Err(e) if matches!(e.code, "invalid_input" | "conflict") => {
            let status = e.status;
            let mut page = detail_page(&s, &viewer, t, id, String::new(), String::new()).await?;
            page.errors = form_fields(e, "scope");
            page.draft = f;
            Ok(render(&page).status(status))
        }
        Err(e) => Err(UiError(e, t)),
    }
}

async fn grant_remove(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path((id, grant)): Path<(i64, i64)>,
) -> Result<Redirect, UiError> {
    admin_only(&viewer).page(t)?;
    // An administrator cannot lock themselves out (checked where the grant is withdrawn).
    db::accounts::remove_grant(&s.db, &viewer.actor(), id, grant, id == viewer.user_id).await.page(t)?;
    Ok(Redirect::to(&format!("/users/{id}")))
}

#[derive(Deserialize)]
struct DisabledForm {
    /// "1" to disable, "0" to enable.
    disabled: String,
}

async fn disabled(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<DisabledForm>,
) -> Result<Redirect, UiError> {
    let disable = f.disabled == "1";
    let revoked = users::disable(&s, &viewer, id, disable).await.page(t)?;
    // Say what disabling did to the account's tokens.
    Ok(Redirect::to(&if disable { format!("/users/{id}?revoked={revoked}") } else { format!("/users/{id}") }))
}

/// A new generated password, shown once; the user's sessions end and their
/// API tokens are revoked (whoever reset it suspects the account is not only
/// its owner's).
async fn reset_password(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Page, UiError> {
    admin_only(&viewer).page(t)?;
    let user = db::accounts::user(&s.db, id).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    let password = auth::generate_password(&user.login);
    let hash = auth::hash_password(&password).await;
    let revoked = db::accounts::set_password(&s.db, &viewer.actor(), id, &hash, None, true).await.page(t)?;
    let notice = t.get("users.tokens_revoked").replace("{n}", &revoked.to_string());
    Ok(render(&detail_page(&s, &viewer, t, id, password, notice).await?))
}
