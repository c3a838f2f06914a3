//! One error type for the API: a stable snake_case code the UI can translate,
//! a message for people, and the right status. Internal details are logged,
//! never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
    /// The reason in Chinese, where the rule gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), reason: reason.into(), reason_zh: None }
    }

    pub fn reason_in(&self, zh: bool) -> &str {
        match &self.reason_zh {
            Some(r) if zh => r,
            _ => &self.reason,
        }
    }
}

/// `{"error": {"code": "not_found", "message": "…"}}`
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError { status, code, message: message.into(), fields: Vec::new() }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "your role may not do this here")
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn invalid(errors: Vec<domain::Invalid>) -> Self {
        let message = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ");
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message,
            fields: errors
                .into_iter()
                .map(|e| FieldError { field: e.field.to_owned(), reason: e.reason, reason_zh: e.reason_zh })
                .collect(),
        }
    }
    pub fn internal(detail: String) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }
}

impl From<db::DbError> for AppError {
    fn from(e: db::DbError) -> Self {
        match e {
            db::DbError::NotFound => AppError::not_found(),
            db::DbError::Conflict(m) => AppError::new(StatusCode::CONFLICT, "conflict", m),
            db::DbError::Invalid(i) => AppError::invalid(vec![i]),
            db::DbError::Internal(e) => AppError::internal(e.to_string()),
        }
    }
}

impl From<domain::Invalid> for AppError {
    fn from(e: domain::Invalid) -> Self {
        AppError::invalid(vec![e])
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message, fields: self.fields } };
        (self.status, Json(body)).into_response()
    }
}

pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal("handler panicked".into()).into_response()
}

/// `Json`, `Query` and `Path` whose rejections answer in the API's error
/// format (400 for a malformed request, 422 for a body of the wrong shape).
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        let status = match r {
            JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        AppError::new(status, "bad_json", r.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "bad_query", r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "bad_path", r.body_text())
    }
}
