//! Users, their grants, sessions and API tokens; and the few look-ups that
//! turn a grant into the compounds it covers.

use chrono::{DateTime, NaiveDate, Utc};
use domain::access::{Grant, Role, Scope};
use domain::audit::Actor;
use sea_orm::{DbErr, FromQueryResult, SqlErr};
use serde::Serialize;
use serde_json::json;

use crate::audit::Change;
use crate::sql::{all, exec, insert_id, one};
use crate::{Db, DbError, Result};

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    /// A mobile number to call back on, if the person gave one.
    pub phone: Option<String>,
}

const USER_COLS: &str = "id, login, display_name, password_hash, disabled, phone";

fn unique(e: DbErr, what: &str) -> DbError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DbError::Conflict(what.to_owned()),
        _ => DbError::Internal(e),
    }
}

pub fn check_login(login: &str) -> Result<String, domain::Invalid> {
    let l = login.trim();
    if l.is_empty() || l.len() > 64 || !l.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(domain::Invalid::new("login", "login must be 1–64 letters, digits, '.', '_' or '-'")
            .zh("登录名须为 1–64 个字母、数字、“.”、“_”或“-”"));
    }
    Ok(l.to_owned())
}

/// Create a user with their first grants, all in one transaction.
pub async fn create_user(
    db: &Db,
    actor: &Actor,
    login: &str,
    display_name: &str,
    password_hash: &str,
    phone: Option<&domain::org::Phone>,
    grants: &[Grant],
) -> Result<i64> {
    let login = check_login(login)?;
    let phone = phone.map(|p| p.as_str().to_owned());
    let tx = db.begin_write().await?;
    let id = insert_id(
        &*tx,
        "INSERT INTO app_user (login, display_name, password_hash, disabled, created_at, phone) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        vec![
            login.clone().into(),
            display_name.into(),
            password_hash.into(),
            false.into(),
            Utc::now().into(),
            phone.clone().into(),
        ],
    )
    .await
    .map_err(|e| unique(e, "a user with this login already exists"))?;
    for g in grants {
        insert_grant(&tx, id, g).await?;
    }
    let grants_text: Vec<String> =
        grants.iter().map(|g| format!("{} {}", g.role.as_str(), g.scope.to_text())).collect();
    let phone = phone.as_deref().map(domain::access::mask_phone);
    Change::new("create", "user", id, None)
        .after(json!({"login": login, "display_name": display_name, "grants": grants_text, "phone": phone}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Set or clear an account's phone (the audit log keeps it masked).
pub async fn set_phone(db: &Db, actor: &Actor, user_id: i64, phone: Option<&domain::org::Phone>) -> Result<()> {
    let tx = db.begin_write().await?;
    let n = exec(
        &*tx,
        "UPDATE app_user SET phone = $1 WHERE id = $2",
        vec![phone.map(|p| p.as_str().to_owned()).into(), user_id.into()],
    )
    .await?
    .rows_affected();
    if n != 1 {
        return Err(DbError::NotFound);
    }
    Change::new("set_phone", "user", user_id, None)
        .after(json!({"phone": phone.map(|p| p.masked())}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_grant(c: &crate::WriteTx, user_id: i64, g: &Grant) -> Result<()> {
    exec(
        &**c,
        "INSERT INTO user_grant (user_id, role, scope, created_at) VALUES ($1,$2,$3,$4)",
        vec![user_id.into(), g.role.as_str().into(), g.scope.to_text().into(), Utc::now().into()],
    )
    .await
    .map_err(|e| unique(e, "the user already holds this grant"))?;
    Ok(())
}

pub async fn add_grant(db: &Db, actor: &Actor, user_id: i64, g: &Grant) -> Result<()> {
    let tx = db.begin_write().await?;
    insert_grant(&tx, user_id, g).await?;
    Change::new("grant", "user", user_id, None)
        .after(json!({"role": g.role.as_str(), "scope": g.scope.to_text()}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn user_by_login(db: &Db, login: &str) -> Result<Option<User>> {
    Ok(one(db.conn(), &format!("SELECT {USER_COLS} FROM app_user WHERE login = $1"), vec![login.trim().into()]).await?)
}

pub async fn user(db: &Db, id: i64) -> Result<Option<User>> {
    Ok(one(db.conn(), &format!("SELECT {USER_COLS} FROM app_user WHERE id = $1"), vec![id.into()]).await?)
}

/// A user's grants. A stored grant that no longer parses is skipped (and
/// logged): it grants nothing rather than something unintended.
pub async fn grants(db: &Db, user_id: i64) -> Result<Vec<Grant>> {
    Ok(grant_rows(db, user_id)
        .await?
        .into_iter()
        .filter_map(|r| {
            let g = Role::parse(&r.role).and_then(|role| Grant::new(role, Scope::parse(&r.scope)?));
            if let Err(e) = &g {
                tracing::warn!(user_id, role = r.role, scope = r.scope, error = %e, "ignoring unusable grant");
            }
            g.ok()
        })
        .collect())
}

// ---- administration ------------------------------------------------------------

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct UserSummary {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// Users, by login, optionally those whose login or name contains `q`.
pub async fn users(db: &Db, q: Option<&str>, page: domain::Paging) -> Result<(Vec<UserSummary>, u64)> {
    let (filter, vals): (&str, Vec<sea_orm::Value>) = match q.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => (
            " WHERE LOWER(login) LIKE $1 ESCAPE '\\' OR display_name LIKE $2 ESCAPE '\\'",
            vec![crate::sql::like_contains(&q.to_lowercase()).into(), crate::sql::like_contains(q).into()],
        ),
        None => ("", vec![]),
    };
    Ok(crate::sql::page_of(
        db.conn(),
        "SELECT id, login, display_name, disabled, created_at FROM app_user",
        "app_user",
        filter,
        "login",
        vals,
        page,
    )
    .await?)
}

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct GrantRow {
    pub id: i64,
    pub role: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
}

/// A user's grants as stored, with their ids (to withdraw one).
pub async fn grant_rows(db: &Db, user_id: i64) -> Result<Vec<GrantRow>> {
    Ok(all(
        db.conn(),
        "SELECT id, role, scope, created_at FROM user_grant WHERE user_id = $1 ORDER BY id",
        vec![user_id.into()],
    )
    .await?)
}

/// Withdraw one grant; audited.
/// Withdraw a grant. With `keep_an_admin` (an administrator withdrawing their
/// own), their last administrator role is refused — checked inside the
/// transaction, so two withdrawals at once cannot both pass.
pub async fn remove_grant(db: &Db, actor: &Actor, user_id: i64, grant_id: i64, keep_an_admin: bool) -> Result<()> {
    let tx = db.begin_write().await?;
    let g: Option<GrantRow> = one(
        &*tx,
        "SELECT id, role, scope, created_at FROM user_grant WHERE id = $1 AND user_id = $2",
        vec![grant_id.into(), user_id.into()],
    )
    .await?;
    let g = g.ok_or(DbError::NotFound)?;
    if keep_an_admin && g.role == "admin" {
        let others = crate::sql::scalar_i64(
            &*tx,
            "SELECT COUNT(*) FROM user_grant WHERE user_id = $1 AND role = 'admin' AND id <> $2",
            vec![user_id.into(), grant_id.into()],
        )
        .await?;
        if others == 0 {
            return Err(domain::Invalid::new("grant", "you cannot withdraw your own last administrator role")
                .zh("不能撤销自己仅有的管理员角色")
                .into());
        }
    }
    exec(&*tx, "DELETE FROM user_grant WHERE id = $1", vec![grant_id.into()]).await?;
    Change::new("revoke_grant", "user", user_id, None)
        .before(json!({"role": g.role, "scope": g.scope}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Disable a user (their sessions end and their API tokens are revoked in the
/// same transaction) or enable them again (revoked tokens stay revoked);
/// audited. Returns how many tokens were revoked.
pub async fn set_disabled(db: &Db, actor: &Actor, user_id: i64, disabled: bool) -> Result<u64> {
    let tx = db.begin_write().await?;
    let n = exec(&*tx, "UPDATE app_user SET disabled = $1 WHERE id = $2", vec![disabled.into(), user_id.into()])
        .await?
        .rows_affected();
    if n == 0 {
        return Err(DbError::NotFound);
    }
    let mut revoked = 0;
    if disabled {
        exec(&*tx, "DELETE FROM session WHERE user_id = $1", vec![user_id.into()]).await?;
        revoked = revoke_user_tokens(&tx, user_id).await?;
    }
    Change::new(if disabled { "disable" } else { "enable" }, "user", user_id, None)
        .after(json!({"disabled": disabled, "tokens_revoked": revoked}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Revoke every live API token of a user, in the caller's transaction; how many.
async fn revoke_user_tokens(tx: &crate::WriteTx, user_id: i64) -> Result<u64> {
    Ok(exec(
        &**tx,
        "UPDATE api_token SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        vec![Utc::now().into(), user_id.into()],
    )
    .await?
    .rows_affected())
}

/// Give a user a new password hash; every session of theirs ends except
/// `keep` (the one changing their own password), and with `revoke_tokens`
/// every API token of theirs is revoked. Audited without the hash. Returns
/// how many tokens were revoked.
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    hash: &str,
    keep: Option<&str>,
    revoke_tokens: bool,
) -> Result<u64> {
    let tx = db.begin_write().await?;
    let n = exec(&*tx, "UPDATE app_user SET password_hash = $1 WHERE id = $2", vec![hash.into(), user_id.into()])
        .await?
        .rows_affected();
    if n == 0 {
        return Err(DbError::NotFound);
    }
    exec(
        &*tx,
        "DELETE FROM session WHERE user_id = $1 AND token_hash <> $2",
        vec![user_id.into(), keep.unwrap_or("").into()],
    )
    .await?;
    let revoked = if revoke_tokens { revoke_user_tokens(&tx, user_id).await? } else { 0 };
    Change::new("set_password", "user", user_id, None)
        .after(json!({"tokens_revoked": revoked}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok(revoked)
}

// ---- sessions ---------------------------------------------------------------

#[derive(Debug, Clone, FromQueryResult)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create_session(db: &Db, user_id: i64, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
    let now = Utc::now();
    exec(
        db.conn(),
        "INSERT INTO session (user_id, token_hash, created_at, last_seen_at, expires_at) VALUES ($1,$2,$3,$3,$4)",
        vec![user_id.into(), token_hash.into(), now.into(), expires_at.into()],
    )
    .await?;
    Ok(())
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<Session>> {
    Ok(one(
        db.conn(),
        "SELECT id, user_id, created_at, last_seen_at, expires_at FROM session WHERE token_hash = $1",
        vec![token_hash.into()],
    )
    .await?)
}

pub async fn touch_session(db: &Db, id: i64, now: DateTime<Utc>) -> Result<()> {
    exec(db.conn(), "UPDATE session SET last_seen_at = $1 WHERE id = $2", vec![now.into(), id.into()]).await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<()> {
    exec(db.conn(), "DELETE FROM session WHERE token_hash = $1", vec![token_hash.into()]).await?;
    db.scope_changed();
    Ok(())
}

/// Sign a user out everywhere.
pub async fn delete_user_sessions(db: &Db, user_id: i64) -> Result<u64> {
    let n = exec(db.conn(), "DELETE FROM session WHERE user_id = $1", vec![user_id.into()]).await?.rows_affected();
    db.scope_changed();
    Ok(n)
}

// ---- API tokens ---------------------------------------------------------------

#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// None only for a row the expiry migration could not reach: expired.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Token {
    /// Live: neither revoked nor expired at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_some_and(|e| e > now)
    }

    /// "active", "expired" or "revoked".
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.live(now) {
            "active"
        } else {
            "expired"
        }
    }
}

/// Issue a token living the default number of days (see `create_token_for`).
pub async fn create_token(db: &Db, actor: &Actor, user_id: i64, name: &str, token_hash: &str) -> Result<i64> {
    Ok(create_token_for(db, actor, user_id, name, token_hash, None).await?.0)
}

/// Issue a token for `days` (default `TOKEN_DAYS_DEFAULT`, at most
/// `TOKEN_DAYS_MAX`); returns its id and when it expires. Audited.
pub async fn create_token_for(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
    token_hash: &str,
    days: Option<i64>,
) -> Result<(i64, DateTime<Utc>)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(domain::Invalid::new("name", "a token needs a name of 1–100 characters")
            .zh("令牌名称须为 1–100 个字符")
            .into());
    }
    let days = domain::access::token_days(days)?;
    let now = Utc::now();
    let expires_at = now + chrono::Duration::days(days);
    let tx = db.begin_write().await?;
    let id = insert_id(
        &*tx,
        "INSERT INTO api_token (user_id, name, token_hash, created_at, expires_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
        vec![user_id.into(), name.into(), token_hash.into(), now.into(), expires_at.into()],
    )
    .await?;
    Change::new("create", "api_token", id, None)
        .after(json!({"user_id": user_id, "name": name, "expires_at": expires_at}))
        .append_in(&*tx, actor)
        .await?;
    tx.commit().await?;
    Ok((id, expires_at))
}

/// The user of a live token (not revoked, not expired) and when it expires.
/// Its last use is written at most once a minute, so API reads stay reads
/// and writes do not double.
pub async fn token_user(db: &Db, token_hash: &str) -> Result<Option<(i64, DateTime<Utc>)>> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        user_id: i64,
        last_used_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
    }
    let row: Option<Row> = one(
        db.conn(),
        "SELECT id, user_id, last_used_at, expires_at FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL",
        vec![token_hash.into()],
    )
    .await?;
    let now = Utc::now();
    // Compared here, not in SQL: the two backends store timestamps differently.
    let Some(r) = row else { return Ok(None) };
    let Some(expires_at) = r.expires_at.filter(|e| *e > now) else { return Ok(None) };
    if r.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
        exec(db.conn(), "UPDATE api_token SET last_used_at = $1 WHERE id = $2", vec![now.into(), r.id.into()]).await?;
    }
    Ok(Some((r.user_id, expires_at)))
}

/// A user's tokens, newest first.
pub async fn tokens(db: &Db, user_id: i64) -> Result<Vec<Token>> {
    Ok(all(
        db.conn(),
        "SELECT id, name, created_at, last_used_at, revoked_at, expires_at FROM api_token WHERE user_id = $1 \
         ORDER BY id DESC",
        vec![user_id.into()],
    )
    .await?)
}

pub async fn revoke_token(db: &Db, actor: &Actor, user_id: i64, token_id: i64) -> Result<()> {
    let tx = db.begin_write().await?;
    let n = exec(
        &*tx,
        "UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        vec![Utc::now().into(), token_id.into(), user_id.into()],
    )
    .await?
    .rows_affected();
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Change::new("revoke", "api_token", token_id, None).append_in(&*tx, actor).await?;
    tx.commit().await?;
    Ok(())
}

// ---- what grants cover ------------------------------------------------------------

/// Compounds a company serves on `date` (its open or covering `company` facts).
pub async fn company_compounds(db: &Db, company_id: i64, date: NaiveDate) -> Result<Vec<i64>> {
    #[derive(FromQueryResult)]
    struct Row {
        compound_id: i64,
    }
    let rows: Vec<Row> = all(
        db.conn(),
        "SELECT DISTINCT compound_id FROM compound_fact WHERE kind = 'company' AND ref_id = $1 \
         AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)",
        vec![company_id.into(), date.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.compound_id).collect())
}

/// The compound a unit belongs to.
pub async fn unit_compound(db: &Db, unit_id: i64) -> Result<Option<i64>> {
    #[derive(FromQueryResult)]
    struct Row {
        compound_id: i64,
    }
    let r: Option<Row> = one(
        db.conn(),
        "SELECT b.compound_id FROM unit u JOIN entrance e ON e.id = u.entrance_id JOIN building b ON b.id = e.building_id \
         WHERE u.id = $1",
        vec![unit_id.into()],
    )
    .await?;
    Ok(r.map(|r| r.compound_id))
}
