//! Notices as pages: each reader's list (a resident is told when their
//! problem moves on), and for administrators the webhooks that carry every
//! problem event to another system, with the log of each delivery.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use super::{Me, OrPage, Page, UiError, render};
use crate::AppState;
use crate::auth::Viewer;
use crate::i18n::Tr;
use crate::ops::users::admin_only;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/webhooks", get(webhooks).post(webhook_add))
        .route("/webhooks/{id}/active", post(webhook_active))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<db::notify::Notification>,
}

/// The reader's notices, newest first; seeing them marks them read.
async fn list(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    let rows = db::notify::notifications(&s.db, viewer.user_id, 100).await.page(t)?;
    db::notify::mark_read(&s.db, viewer.user_id, Utc::now()).await.page(t)?;
    Ok(render(&ListPage { t, me: Me::of(&viewer), rows }))
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    t: Tr,
    me: Option<Me>,
    hooks: Vec<db::notify::Webhook>,
    log: Vec<db::notify::DeliveryLog>,
    /// A secret just made, shown this once.
    secret: String,
    error: String,
}

async fn webhooks_page(s: &AppState, viewer: &Viewer, t: Tr, secret: String, error: String) -> Result<Page, UiError> {
    admin_only(viewer).page(t)?;
    let hooks = db::notify::webhooks(&s.db).await.page(t)?;
    let log = db::notify::deliveries(&s.db, 50).await.page(t)?;
    Ok(render(&WebhooksPage { t, me: Me::of(viewer), hooks, log, secret, error }))
}

async fn webhooks(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    webhooks_page(&s, &viewer, t, String::new(), String::new()).await
}

#[derive(Deserialize)]
struct AddForm {
    url: String,
}

/// Register a webhook; its signing secret is made here and shown once.
async fn webhook_add(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<AddForm>,
) -> Result<Page, UiError> {
    admin_only(&viewer).page(t)?;
    let url = f.url.trim();
    if let Err(e) = crate::notify::check_url(url) {
        let why = if t.is_zh() { e.reason_zh.unwrap_or(e.reason) } else { e.reason };
        return webhooks_page(&s, &viewer, t, String::new(), why).await;
    }
    let secret = crate::auth::new_secret("whsec_");
    db::notify::add_webhook(&s.db, &viewer.actor(), url, &secret).await.page(t)?;
    webhooks_page(&s, &viewer, t, secret, String::new()).await
}

#[derive(Deserialize)]
struct ActiveForm {
    /// "1" to deliver again, "0" to stop.
    active: String,
}

async fn webhook_active(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> Result<Redirect, UiError> {
    admin_only(&viewer).page(t)?;
    db::notify::set_webhook_active(&s.db, &viewer.actor(), id, f.active == "1").await.page(t)?;
    Ok(Redirect::to("/webhooks"))
}
