//! Accounts, for administrators: list, create (with a generated password
//! returned once), add and withdraw roles, disable. The pages at `/users`
//! do the same through these functions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::access::{Grant, Role, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Page;
use crate::AppState;
use crate::auth::{self, Viewer};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};

pub(crate) fn admin_only(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.is_admin() { Ok(()) } else { Err(AppError::forbidden()) }
}

/// A role and scope as typed, checked against the role rules and against
/// what exists (a region, a company, a compound, a unit).
pub(crate) async fn grant_of(s: &AppState, role: &str, scope: &str) -> Result<Grant, AppError> {
    let g = Grant::new(Role::parse(role)?, Scope::parse(scope)?)?;
    let exists = match &g.scope {
        Scope::All => true,
        Scope::Region(c) => db::regions::require(&s.db, c).await.is_ok(),
        Scope::Company(id) => db::structure::org(&s.db, *id).await.is_ok_and(|o| o.kind == "company"),
        Scope::Compound(id) => db::compounds::get(&s.db, *id).await.is_ok(),
        Scope::Unit(id) => db::accounts::unit_compound(&s.db, *id).await?.is_some(),
    };
    if !exists {
        let text = g.scope.to_text();
        return Err(domain::Invalid::new("scope", format!("{text} does not exist"))
            .zh(format!("范围 {text} 不存在"))
            .into());
    }
    Ok(g)
}

/// Create an account with its first role; returns its id and the generated password.
pub(crate) async fn create_account(
    s: &AppState,
    viewer: &Viewer,
    login: &str,
    display_name: &str,
    role: &str,
    scope: &str,
) -> Result<(i64, String), AppError> {
    admin_only(viewer)?;
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(domain::Invalid::new("display_name", "give a name of 1–64 characters")
            .zh("请填写 1–64 个字的姓名")
            .into());
    }
    let grant = grant_of(s, role, scope).await?;
    let password = auth::generate_password(login);
    let hash = auth::hash_password(&password).await;
    let id = db::accounts::create_user(&s.db, &viewer.actor(), login, name, &hash, &[grant]).await?;
    Ok((id, password))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Part of a login or name.
    pub q: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub user: serde_json::Value,
    /// "role scope", e.g. "officer 371402001".
    pub grants: Vec<String>,
}

/// Accounts (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UsersQuery),
    responses((status = 200, body = Page<UserOut>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> Result<Json<Page<UserOut>>, AppError> {
    admin_only(&viewer)?;
    let p = domain::Paging::parse(q.page, q.per_page)?;
    let (rows, total) = db::accounts::users(&s.db, q.q.as_deref(), p).await?;
    let mut items = Vec::with_capacity(rows.len());
    for u in rows {
        let grants = db::accounts::grant_rows(&s.db, u.id).await?;
        items.push(UserOut {
            user: serde_json::to_value(&u).map_err(|e| AppError::internal(e.to_string()))?,
            grants: grants.into_iter().map(|g| format!("{} {}", g.role, g.scope)).collect(),
        });
    }
    Ok(Json(Page { items, page: p.page, per_page: p.per_page, total }))
}

#[derive(Deserialize, ToSchema)]
pub struct UserIn {
    pub login: String,
    pub display_name: String,
    /// admin, supervisor, officer, worker, company, committee, resident
    pub role: String,
    /// all, a region code, company:ID, compound:ID or unit:ID
    pub scope: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserCreated {
    pub id: i64,
    /// Shown this once; only its hash is kept.
    pub password: String,
}

/// Create an account with its first role and a generated password (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<UserIn>,
) -> Result<(StatusCode, Json<UserCreated>), AppError> {
    let (id, password) = create_account(&s, &viewer, &b.login, &b.display_name, &b.role, &b.scope).await?;
    Ok((StatusCode::CREATED, Json(UserCreated { id, password })))
}

#[derive(Deserialize, ToSchema)]
pub struct GrantIn {
    pub role: String,
    pub scope: String,
}

/// Give an account another role (administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "users", request_body = GrantIn,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_grant(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<GrantIn>,
) -> Result<StatusCode, AppError> {
    admin_only(&viewer)?;
    db::accounts::user(&s.db, id).await?.ok_or_else(AppError::not_found)?;
    let g = grant_of(&s, &b.role, &b.scope).await?;
    db::accounts::add_grant(&s.db, &viewer.actor(), id, &g).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct DisabledIn {
    pub disabled: bool,
}

/// Disable an account (its sessions end and its API tokens are revoked) or enable it again
/// (administrators; not one's own). Revoked tokens stay revoked when it is enabled again.
#[utoipa::path(put, path = "/api/v1/users/{id}/disabled", tag = "users", request_body = DisabledIn,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_disabled(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DisabledIn>,
) -> Result<StatusCode, AppError> {
    disable(&s, &viewer, id, b.disabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns how many API tokens disabling revoked.
pub(crate) async fn disable(s: &AppState, viewer: &Viewer, id: i64, disabled: bool) -> Result<u64, AppError> {
    admin_only(viewer)?;
    if disabled && id == viewer.user_id {
        return Err(domain::Invalid::new("user", "you cannot disable your own account")
            .zh("不能停用自己的账号")
            .into());
    }
    Ok(db::accounts::set_disabled(&s.db, &viewer.actor(), id, disabled).await?)
}
