//! Accounts, for administrators: list, create (with a generated password
//! returned once), add and withdraw roles, disable. The pages at `/users`
//! do the same through these functions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Page;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, ErrorBody};
use crate::ops::users::{admin_only, create_account, disable};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Part of a login or name.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
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
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            disabled: u.disabled,
            created_at: u.created_at,
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
    /// A mobile number to call back on (optional).
    #[serde(default)]
    pub phone: String,
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
    let (id, password) = create_account(&s, &viewer, &b.login, &b.display_name, &b.role, &b.scope, &b.phone).await?;
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
    crate::ops::users::add_grant(&s, &viewer, id, &b.role, &b.scope).await?;
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
