//! HTTP: the JSON API under `/api/v1` (with its OpenAPI document), the
//! server-rendered pages, static assets and the middleware around them.

pub mod api;
mod assets;
pub mod auth;
mod cache;
pub mod client;
pub mod error;
pub mod i18n;
mod input;
pub mod jobs;
pub mod links;
mod metrics;
mod middleware;
pub mod notify;
mod open311;
pub mod ops;
pub mod status;
pub mod ui;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub throttle: std::sync::Arc<auth::Throttle>,
    /// Signed-in users by credential ("t:" or "s:" and its hash), kept a few seconds.
    pub viewers: std::sync::Arc<cache::Kept<String, auth::Viewer>>,
    /// Residents' reports are written through here, several to a transaction under load.
    pub intake: db::intake::Intake,
    pub categories: std::sync::Arc<ops::problems::Categories>,
    /// Compounds being reported in, kept a few seconds (the intake's hot path).
    pub compounds: std::sync::Arc<cache::Kept<i64, db::compounds::Compound>>,
    /// Where uploaded files (problem photos) live, named by their SHA-256.
    pub data_dir: std::path::PathBuf,
    /// Background jobs started from pages (registry imports).
    pub jobs: std::sync::Arc<jobs::Jobs>,
    /// Proxies whose X-Forwarded-For names the client (none by default).
    pub trusted_proxies: std::sync::Arc<client::TrustedProxies>,
    /// The server's upkeep as its background tasks report it (backups).
    pub status: std::sync::Arc<status::Status>,
    /// Counters for `/metrics` (off unless a token is set: `with_metrics_token`).
    pub metrics: std::sync::Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(db: db::Db, data_dir: std::path::PathBuf) -> AppState {
        AppState {
            intake: db::intake::Intake::start(db.clone()),
            db,
            throttle: Default::default(),
            viewers: Default::default(),
            categories: Default::default(),
            compounds: Default::default(),
            data_dir,
            jobs: Default::default(),
            trusted_proxies: Default::default(),
            status: Default::default(),
            metrics: Default::default(),
        }
    }

    /// Serve `/metrics` to scrapers that send this token.
    pub fn with_metrics_token(mut self, token: &str) -> AppState {
        self.metrics = std::sync::Arc::new(metrics::Metrics::with_token(token));
        self
    }

    /// Believe X-Forwarded-For from these proxies (see `client`).
    pub fn with_trusted_proxies(mut self, proxies: client::TrustedProxies) -> AppState {
        self.trusted_proxies = std::sync::Arc::new(proxies);
        self
    }
}

pub use cache::CACHE_TTL;

/// Request bodies above this are refused with 413: room for one 5 MB photo
/// and its form; everything else is far smaller.
pub(crate) const BODY_LIMIT: usize = domain::problem::PHOTO_MAX_BYTES + 256 * 1024;

pub fn router(state: AppState) -> Router {
    let (api_router, mut openapi) = api::router().split_for_parts();
    api::complete(&mut openapi);
    Router::new()
        .merge(ui::router(&state))
        .merge(api_router)
        .merge(open311::router())
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::serve))
        // After routing, so each request counts under its route's pattern.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .route("/static/{*file}", get(assets::serve))
        .fallback(ui::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(input::refuse_control_characters))
        .layer(axum::middleware::from_fn(middleware::csrf))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        // A body that stops arriving for 10 s ends its request (a slow client holds no slot for 30 s).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(Duration::from_secs(10)))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(error::panic_response))
}

/// Ready to serve: the database answers and its schema is this binary's
/// (nothing pending, nothing newer). 503 with the reason otherwise.
async fn readyz(axum::extract::State(s): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    // Anyone may ask: the answer names the reason, the details (hosts, users) go to the log.
    let unavailable = |why: &'static str, detail: String| {
        tracing::warn!(%detail, "not ready: {why}");
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, why).into_response()
    };
    if let Err(e) = s.db.ping().await {
        return unavailable("database unreachable", e.to_string());
    }
    match db::backup::schema_state(&s.db).await {
        Ok(st) if st.pending.is_empty() && st.unknown.is_empty() => "ready".into_response(),
        Ok(st) => unavailable("schema not current", format!("pending {:?}, unknown {:?}", st.pending, st.unknown)),
        Err(e) => unavailable("schema unreadable", e.to_string()),
    }
}

async fn healthz(axum::extract::State(s): axum::extract::State<AppState>) -> Result<&'static str, AppError> {
    s.db.ping().await.map_err(|e| AppError::internal(e.to_string()))?;
    Ok("ok")
}
