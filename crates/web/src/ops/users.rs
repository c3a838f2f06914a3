//! Accounts: who may manage them, creating one with its first role, roles,
//! disabling, and who may issue API tokens. The web and the command line
//! use the same checks.

use axum::http::StatusCode;
use domain::access::{Grant, Role, Scope};

use crate::AppState;
use crate::auth::{self, Viewer};
use crate::error::AppError;

pub fn admin_only(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.is_admin() { Ok(()) } else { Err(AppError::forbidden()) }
}

/// A role and scope as typed, checked against the role rules and against
/// what exists (a region, a company, a compound, a unit).
pub async fn grant_of(db: &db::Db, role: &str, scope: &str) -> Result<Grant, AppError> {
    let g = Grant::new(Role::parse(role)?, Scope::parse(scope)?)?;
    let exists = match &g.scope {
        Scope::All => true,
        Scope::Region(c) => db::regions::require(db, c).await.is_ok(),
        Scope::Company(id) => db::structure::org(db, *id).await.is_ok_and(|o| o.kind == domain::org::OrgKind::Company),
        Scope::Compound(id) => db::compounds::get(db, *id).await.is_ok(),
        Scope::Unit(id) => db::accounts::unit_compound(db, *id).await?.is_some(),
    };
    if !exists {
        let text = g.scope.to_text();
        return Err(domain::Invalid::new("scope", format!("{text} does not exist"))
            .zh(format!("范围 {text} 不存在"))
            .into());
    }
    Ok(g)
}

/// A scope in words for people ("德城区 371402", "丰华物业", "东风小区 1号楼 1单元 301");
/// the stored text itself when what it names is gone.
pub async fn scope_words(db: &db::Db, scope: &str) -> Result<String, AppError> {
    let words = match Scope::parse(scope) {
        Ok(Scope::All) => Some("*".to_owned()),
        Ok(Scope::Region(c)) => db::regions::get(db, &c).await?.map(|r| format!("{} {}", r.name, r.code)),
        Ok(Scope::Company(id)) => db::structure::org(db, id).await.ok().map(|o| o.name),
        Ok(Scope::Compound(id)) => {
            db::compounds::get(db, id).await.ok().map(|c| format!("{} · {}", c.name, c.region_name))
        }
        Ok(Scope::Unit(id)) => db::compounds::unit_pick(db, id).await?.map(|u| u.words()),
        Err(_) => None,
    };
    Ok(words.unwrap_or_else(|| scope.to_owned()))
}

/// Create an account with its first role; returns its id and the generated password.
pub async fn create_account(
    s: &AppState,
    viewer: &Viewer,
    login: &str,
    display_name: &str,
    role: &str,
    scope: &str,
    phone: &str,
) -> Result<(i64, String), AppError> {
    admin_only(viewer)?;
    let phone = optional_phone(phone)?;
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(domain::Invalid::new("display_name", "give a name of 1–64 characters")
            .zh("请填写 1–64 个字的姓名")
            .into());
    }
    let grant = grant_of(&s.db, role, scope).await?;
    let password = auth::generate_password(login);
    let hash = auth::hash_password(&password).await;
    let id = db::accounts::create_user(&s.db, &viewer.actor(), login, name, &hash, phone.as_ref(), &[grant]).await?;
    Ok((id, password))
}

/// A phone as typed in a form: blank is none.
pub fn optional_phone(s: &str) -> Result<Option<domain::org::Phone>, AppError> {
    let s = s.trim();
    Ok(if s.is_empty() { None } else { Some(domain::org::Phone::parse(s)?) })
}

/// Set or clear one's own phone (any signed-in user, on their account page).
pub async fn set_own_phone(s: &AppState, viewer: &Viewer, phone: &str) -> Result<(), AppError> {
    let phone = optional_phone(phone)?;
    Ok(db::accounts::set_phone(&s.db, &viewer.actor(), viewer.user_id, phone.as_ref()).await?)
}

/// Give an account another role (administrators).
pub async fn add_grant(s: &AppState, viewer: &Viewer, user_id: i64, role: &str, scope: &str) -> Result<(), AppError> {
    admin_only(viewer)?;
    db::accounts::user(&s.db, user_id).await?.ok_or_else(AppError::not_found)?;
    let g = grant_of(&s.db, role, scope).await?;
    Ok(db::accounts::add_grant(&s.db, &viewer.actor(), user_id, &g).await?)
}

/// Returns how many API tokens disabling revoked.
pub async fn disable(s: &AppState, viewer: &Viewer, id: i64, disabled: bool) -> Result<u64, AppError> {
    admin_only(viewer)?;
    if disabled && id == viewer.user_id {
        return Err(domain::Invalid::new("user", "you cannot disable your own account")
            .zh("不能停用自己的账号")
            .into());
    }
    Ok(db::accounts::set_disabled(&s.db, &viewer.actor(), id, disabled).await?)
}

/// A token issued to the caller: its id, the secret (shown once; only its
/// hash is kept) and when it expires (`days`: 1–365, default 90).
pub async fn issue_token(
    s: &AppState,
    viewer: &Viewer,
    name: &str,
    days: Option<i64>,
) -> Result<(i64, String, chrono::DateTime<chrono::Utc>), AppError> {
    may_issue_tokens(viewer)?;
    let secret = auth::new_secret("gz_");
    let hash = auth::secret_hash(&secret);
    let (id, expires) =
        db::accounts::create_token_for(&s.db, &viewer.actor(), viewer.user_id, name, &hash, days).await?;
    Ok((id, secret, expires))
}

/// Revoke one of the caller's own tokens (another's answers 404).
pub async fn revoke_token(s: &AppState, viewer: &Viewer, id: i64) -> Result<(), AppError> {
    Ok(db::accounts::revoke_token(&s.db, &viewer.actor(), viewer.user_id, id).await?)
}

/// Issuing a token needs a signed-in session: a token cannot make another
/// token (which would outlive it and its expiry).
pub fn may_issue_tokens(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.via_session {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::FORBIDDEN,
            "session_required",
            "API tokens are issued only to a signed-in session, not to another token",
        ))
    }
}
