//! One's own API tokens: list them, issue one (from a signed-in session
//! only: a token cannot make another token that would outlive it), revoke
//! one. The account page does the same through `db::accounts`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiJson, ApiPath, AppError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// active, expired or revoked
    pub state: String,
}

/// My API tokens, newest first (the secrets themselves are never shown again).
#[utoipa::path(get, path = "/api/v1/account/tokens", tag = "account",
    responses((status = 200, body = Vec<TokenOut>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(State(s): State<AppState>, viewer: Viewer) -> Result<Json<Vec<TokenOut>>, AppError> {
    let now = Utc::now();
    let rows = db::accounts::tokens(&s.db, viewer.user_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenOut {
                id: t.id,
                state: t.state(now).to_owned(),
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenIn {
    pub name: String,
    /// Days the token lives: 1–365, default 90.
    pub days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    /// Shown this once; only its hash is kept. Send it as `Authorization: Bearer …`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Issue an API token for myself (from a signed-in session, not from another token).
#[utoipa::path(post, path = "/api/v1/account/tokens", tag = "account", request_body = TokenIn,
    responses((status = 201, body = TokenCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiJson(b): ApiJson<TokenIn>,
) -> Result<(StatusCode, Json<TokenCreated>), AppError> {
    let (id, token, expires_at) = crate::ops::users::issue_token(&s, &viewer, &b.name, b.days).await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { id, token, expires_at })))
}

/// Revoke one of my API tokens; it stops working at the next request.
#[utoipa::path(delete, path = "/api/v1/account/tokens/{id}", tag = "account", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    crate::ops::users::revoke_token(&s, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
