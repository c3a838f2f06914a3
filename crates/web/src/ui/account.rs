//! Signing in and out, the account page with API tokens, and the audit log.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use db::accounts::Token;
use db::audit::AuditRow;
use domain::Paging;
use serde::Deserialize;

use super::{Me, OrPage, Page, Pager, UiError, render};
use crate::AppState;
use crate::auth::{self, SESSION_COOKIE, Viewer};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::links::safe_next;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/tokens", post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
        .route("/account/logout-all", post(logout_all))
        .route("/account/password", post(password_change))
        .route("/account/phone", post(phone_change))
        .route("/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    me: Option<Me>,
    login: String,
    next: String,
    error: String,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn login_form(t: Tr, Query(p): Query<NextParam>) -> Page {
    render(&LoginPage { t, me: None, login: String::new(), next: safe_next(p.next.as_deref()), error: String::new() })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

fn secure_cookies(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").is_some_and(|v| v == "https")
        || std::env::var("GONGZHI_SECURE_COOKIES").is_ok_and(|v| v == "1")
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let s = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).expect("cookie is ascii")
}

/// Verifying against a fixed hash when the login is unknown keeps the time
/// of a failed sign-in the same whether or not the account exists.
async fn dummy_hash() -> &'static str {
    static H: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    H.get_or_init(|| auth::hash_password("no such user, no such password")).await
}

/// A wait as the sign-in page says it: seconds under two minutes, else minutes.
fn wait_text(t: Tr, wait: std::time::Duration) -> String {
    let secs = wait.as_secs_f64().ceil() as u64;
    if secs < 120 {
        t.get("login.wait_seconds").replace("{n}", &secs.max(1).to_string())
    } else {
        t.get("login.wait_minutes").replace("{n}", &secs.div_ceil(60).to_string())
    }
}

/// Passwords longer than this are not even checked (the policy allows
/// `domain::password::MAX_BYTES`).
const LOGIN_PASSWORD_MAX: usize = 1024;

async fn login_submit(
    State(s): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = s.trusted_proxies.client(peer, &headers);
    let address = crate::client::throttle_key(client);
    let login = f.login.trim().to_owned();
    let next = safe_next(f.next.as_deref());
    let page = |status: StatusCode, error: String| {
        render(&LoginPage { t, me: None, login: login.clone(), next: next.clone(), error }).status(status)
    };
    // Counted before the password is looked at: concurrent tries cannot
    // all pass a check made before any of them failed.
    let attempt = match s.throttle.reserve(&login, &address) {
        Ok(a) => a,
        Err(wait) => {
            tracing::info!(login, address, wait_s = wait.as_secs(), "sign-in refused: waiting after failures");
            let mut r = page(StatusCode::TOO_MANY_REQUESTS, wait_text(t, wait));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
            return r;
        }
    };
    if !attempt.pause.is_zero() {
        tokio::time::sleep(attempt.pause).await;
    }
    let user = match db::accounts::user_by_login(&s.db, &login).await {
        Ok(u) => u,
        Err(e) => return UiError(e.into(), t).into_response(),
    };
    let ok = f.password.len() <= LOGIN_PASSWORD_MAX
        && match &user {
            Some(u) => auth::verify_password(&f.password, &u.password_hash).await && !u.disabled,
            None => {
                auth::verify_password(&f.password, dummy_hash().await).await;
                false
            }
        };
    let Some(user) = user.filter(|_| ok) else {
        s.throttle.failed(attempt);
        tracing::info!(login, address, "failed sign-in");
        return page(StatusCode::UNAUTHORIZED, t.get("login.failed").to_owned());
    };
    s.throttle.succeeded(attempt);
    // Always a new session id at sign-in; a session the browser still held ends.
    if let Some(old) = auth::cookie_of(&headers, SESSION_COOKIE) {
        let _ = db::accounts::delete_session(&s.db, &auth::secret_hash(&old)).await;
    }
    let secret = auth::new_secret("");
    if let Err(e) =
        db::accounts::create_session(&s.db, user.id, &auth::secret_hash(&secret), Utc::now() + auth::ABSOLUTE).await
    {
        return UiError(e.into(), t).into_response();
    }
    let mut r = Redirect::to(&next).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&secret, auth::ABSOLUTE.num_seconds(), secure_cookies(&headers)));
    r
}

fn signed_out(headers: &HeaderMap) -> Response {
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie("", 0, secure_cookies(headers)));
    r
}

async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(c) = auth::cookie_of(&headers, SESSION_COOKIE) {
        let _ = db::accounts::delete_session(&s.db, &auth::secret_hash(&c)).await;
    }
    signed_out(&headers)
}

async fn logout_all(State(s): State<AppState>, viewer: Viewer, t: Tr, headers: HeaderMap) -> Result<Response, UiError> {
    db::accounts::delete_user_sessions(&s.db, viewer.user_id).await.page(t)?;
    Ok(signed_out(&headers))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    me: Option<Me>,
    grants: Vec<(String, String)>,
    /// The account's own phone, in full (it is theirs).
    phone: String,
    tokens: Vec<TokenRow>,
    /// A token just created, shown this once, and when it expires.
    new_token: String,
    new_token_expires: String,
    /// A line to confirm what was just done (already in the reader's language).
    notice: String,
    days_default: i64,
    days_max: i64,
}

/// A token as the account page lists it.
struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    expires: String,
    /// "active", "expired" or "revoked" (`account.state_*`).
    state: &'static str,
    /// May still be revoked.
    live: bool,
}

fn when(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.with_timezone(&domain::clock::china()).format("%Y-%m-%d %H:%M").to_string())
}

async fn account_with(
    s: &AppState,
    viewer: &Viewer,
    t: Tr,
    new_token: Option<(String, chrono::DateTime<Utc>)>,
    notice: String,
) -> Result<Page, UiError> {
    let now = Utc::now();
    let tokens = db::accounts::tokens(&s.db, viewer.user_id)
        .await
        .page(t)?
        .into_iter()
        .map(|tk: Token| TokenRow {
            id: tk.id,
            state: tk.state(now),
            live: tk.live(now),
            name: tk.name,
            created: when(Some(tk.created_at)),
            last_used: when(tk.last_used_at),
            expires: when(tk.expires_at),
        })
        .collect();
    let mut grants = Vec::with_capacity(viewer.grants.len());
    for g in &viewer.grants {
        let words = crate::ops::users::scope_words(&s.db, &g.scope.to_text()).await.page(t)?;
        grants.push((g.role.as_str().to_owned(), words));
    }
    let phone = db::accounts::user(&s.db, viewer.user_id).await.page(t)?.and_then(|u| u.phone).unwrap_or_default();
    let (new_token, new_token_expires) = match new_token {
        Some((secret, exp)) => (secret, when(Some(exp))),
        None => (String::new(), String::new()),
    };
    Ok(render(&AccountPage {
        t,
        me: Me::of(viewer),
        grants,
        phone,
        tokens,
        new_token,
        new_token_expires,
        notice,
        days_default: domain::access::TOKEN_DAYS_DEFAULT,
        days_max: domain::access::TOKEN_DAYS_MAX,
    }))
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    again: String,
    /// "1" (the box is ticked by default): revoke every API token too.
    revoke_tokens: Option<String>,
}

/// Change one's own password: the current one is asked for, the new one
/// twice; every other session of the account ends.
///
/// API tokens are revoked too unless the owner unticks the box. A password
/// is usually changed because it may be known to someone else, and whoever
/// knew it could have signed in and made a token that the new password would
/// not stop; so the safe choice is the default. An owner changing a password
/// only by routine, whose scripts hold tokens they recognise in the list on
/// the same page, may keep them — a token is a separate secret that the old
/// password never revealed.
async fn password_change(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    headers: HeaderMap,
    ext: axum::http::Extensions,
    Form(f): Form<PasswordForm>,
) -> Result<Page, UiError> {
    let user = db::accounts::user(&s.db, viewer.user_id).await.page(t)?.ok_or_else(AppError::not_found).page(t)?;
    // Guessing the current password from a stolen session is throttled like signing in.
    let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let address = crate::client::throttle_key(s.trusted_proxies.client(peer, &headers));
    let attempt = match s.throttle.reserve(&user.login, &address) {
        Ok(a) => a,
        Err(wait) => {
            return Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", wait_text(t, wait))).page(t);
        }
    };
    if !auth::verify_password(&f.current, &user.password_hash).await {
        s.throttle.failed(attempt);
        return Err(domain::Invalid::new("password", "the current password is wrong").zh("当前密码不正确")).page(t);
    }
    s.throttle.succeeded(attempt);
    if f.new != f.again {
        return Err(domain::Invalid::new("password", "the two new passwords differ").zh("两次输入的新密码不一致"))
            .page(t);
    }
    auth::check_password(&f.new, &user.login).page(t)?;
    let keep = auth::cookie_of(&headers, SESSION_COOKIE).map(|c| auth::secret_hash(&c));
    let revoke = f.revoke_tokens.as_deref() == Some("1");
    let revoked = db::accounts::set_password(
        &s.db,
        &viewer.actor(),
        viewer.user_id,
        &auth::hash_password(&f.new).await,
        keep.as_deref(),
        revoke,
    )
    .await
    .page(t)?;
    let mut notice = t.get("account.password_changed").to_owned();
    if revoke {
        notice.push(' ');
        notice.push_str(&t.get("account.tokens_revoked").replace("{n}", &revoked.to_string()));
    } else {
        notice.push(' ');
        notice.push_str(t.get("account.tokens_kept"));
    }
    account_with(&s, &viewer, t, None, notice).await
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
}

/// Set or clear one's own phone (blank clears it).
async fn phone_change(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<PhoneForm>,
) -> Result<Page, UiError> {
    crate::ops::users::set_own_phone(&s, &viewer, &f.phone).await.page(t)?;
    account_with(&s, &viewer, t, None, t.get("account.phone_saved").to_owned()).await
}

async fn account_page(State(s): State<AppState>, viewer: Viewer, t: Tr) -> Result<Page, UiError> {
    account_with(&s, &viewer, t, None, String::new()).await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    /// How many days the token lives (blank: the default).
    days: Option<String>,
}

/// A number of days as typed, or none when the field is blank.
pub(crate) fn days_field(days: Option<&str>) -> Result<Option<i64>, domain::Invalid> {
    match days.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => d.parse::<i64>().map(Some).map_err(|_| {
            domain::Invalid::new("days", format!("{d:?} is not a whole number of days")).zh(format!("“{d}”不是整天数"))
        }),
    }
}

async fn token_create(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Form(f): Form<TokenForm>,
) -> Result<Page, UiError> {
    let days = days_field(f.days.as_deref()).page(t)?;
    let (_, secret, expires) = crate::ops::users::issue_token(&s, &viewer, &f.name, days).await.page(t)?;
    // Shown once, here; only its hash is kept.
    account_with(&s, &viewer, t, Some((secret, expires)), String::new()).await
}

async fn token_revoke(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Path(id): Path<i64>,
) -> Result<Redirect, UiError> {
    crate::ops::users::revoke_token(&s, &viewer, id).await.page(t)?;
    Ok(Redirect::to("/account"))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Tr,
    me: Option<Me>,
    rows: Vec<AuditRow>,
    pager: Pager,
    f: AuditParams,
}

/// The kinds of record the log names, for the filter.
const AUDITED: [&str; 12] = [
    "compound",
    "building",
    "organisation",
    "person",
    "post",
    "problem",
    "problem_category",
    "plan",
    "region",
    "user",
    "grant",
    "api_token",
];

impl AuditPage {
    fn entities(&self) -> &'static [&'static str] {
        &AUDITED
    }

    /// The record's page, where it has one the reader may open.
    fn link(&self, r: &AuditRow) -> Option<String> {
        let id = r.entity_id.as_str();
        let path = match r.entity.as_str() {
            "compound" => "/compounds/",
            "organisation" => "/organisations/",
            "person" => "/people/",
            "problem" => "/problems/",
            "region" => "/regions/",
            "user" if self.me.as_ref().is_some_and(|m| m.can_admin) => "/users/",
            _ => return None,
        };
        (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| format!("{path}{id}"))
    }

    /// The fields that changed, for reading (the first few; all are in the JSON below).
    fn changes(&self, r: &AuditRow) -> Vec<(String, String, String)> {
        let cut = |s: String| if s.chars().count() > 60 { s.chars().take(60).chain(['…']).collect() } else { s };
        r.changes().into_iter().take(8).map(|(k, b, a)| (k, cut(b), cut(a))).collect()
    }
}

#[derive(Deserialize, Default)]
struct AuditParams {
    entity: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
}

impl AuditParams {
    fn get(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }

    fn date(field: &'static str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
        match Self::get(v) {
            "" => Ok(None),
            d => d.parse().map(Some).map_err(|_| {
                domain::Invalid::new(field, format!("{d:?} is not a date (YYYY-MM-DD)"))
                    .zh(format!("“{d}”不是日期（格式 YYYY-MM-DD）"))
                    .into()
            }),
        }
    }
}

async fn audit_page(
    State(s): State<AppState>,
    viewer: Viewer,
    t: Tr,
    Query(p): Query<AuditParams>,
) -> Result<Page, UiError> {
    let paths = viewer.audit_paths().map_err(|e: AppError| UiError(e, t))?;
    let paging = Paging::new(p.page, Some(50));
    let filter = db::audit::AuditFilter {
        entity: Some(AuditParams::get(&p.entity).to_owned()),
        action: Some(AuditParams::get(&p.action).to_owned()),
        actor: Some(AuditParams::get(&p.actor).to_owned()),
        from: AuditParams::date("from", &p.from).page(t)?,
        to: AuditParams::date("to", &p.to).page(t)?,
    };
    let (rows, total) = db::audit::list_filtered(&s.db, paths.as_deref(), &filter, paging).await.page(t)?;
    let keep = [
        ("entity", AuditParams::get(&p.entity)),
        ("action", AuditParams::get(&p.action)),
        ("actor", AuditParams::get(&p.actor)),
        ("from", AuditParams::get(&p.from)),
        ("to", AuditParams::get(&p.to)),
    ];
    let pager = Pager::new("/audit", &keep, paging, total);
    Ok(render(&AuditPage { t, me: Me::of(&viewer), rows, pager, f: p }))
}
