//! Who is asking, and what they may see and change. This is the one place
//! that decides scope: every handler takes a `Viewer` and asks it for the
//! compounds a list may show and whether a record may be read or changed.
//! Outside the viewer's scope a record answers 404 (its existence is not
//! revealed); inside it, an action the role may not take answers 403.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use db::compounds::Visible;
use db::problems::Problem;
use domain::access::{Action, Grant, Role, Scope};
use domain::audit::Actor;
use domain::problem::{By, Handler};
use domain::{RegionCode, RegionPath};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "gz_session";
/// A session ends after this long without a request…
pub const IDLE: chrono::Duration = chrono::Duration::hours(2);
/// …and in any case this long after sign-in.
pub const ABSOLUTE: chrono::Duration = chrono::Duration::hours(12);

// ---- secrets -------------------------------------------------------------------

/// A new random secret for a session or API token (256 bits, hex).
pub fn new_secret(prefix: &str) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Secrets are stored only as their SHA-256: a copy of the database opens no session.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Argon2 hashing and verifying take tens of milliseconds of CPU each: they
/// run on Tokio's blocking threads, at most as many at once as there are
/// cores, so a burst of sign-ins queues here instead of stalling the async
/// workers that serve every other request (and `/healthz`).
fn password_pool() -> &'static tokio::sync::Semaphore {
    static POOL: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    POOL.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

async fn on_password_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = password_pool().acquire().await.expect("the password pool is never closed");
    tokio::task::spawn_blocking(f).await.expect("password hashing panicked")
}

/// Hash a password (on the bounded blocking pool).
pub async fn hash_password(password: &str) -> String {
    let p = password.to_owned();
    on_password_pool(move || hash_password_now(&p)).await
}

/// Check a password against its stored hash (on the bounded blocking pool).
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (p, h) = (password.to_owned(), hash.to_owned());
    on_password_pool(move || verify_password_now(&p, &h)).await
}

/// Hash on the calling thread: for code that is not serving requests (the
/// demo, benchmarks, tests' fixtures).
pub fn hash_password_now(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashing").to_string()
}

fn verify_password_now(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A password for people to type: 16 characters from an unambiguous
/// alphabet, drawn again in the rare case the policy refuses it for `login`.
pub fn generate_password(login: &str) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    loop {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let p: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        if check_password(&p, login).is_ok() {
            return p;
        }
    }
}

/// The password policy (`domain::password`), for every way a password is set.
pub fn check_password(password: &str, login: &str) -> Result<(), domain::Invalid> {
    domain::password::check(password, login)
}

// ---- the viewer ------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub login: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    /// Compounds covered by company, committee and resident grants, with the role.
    compounds: Vec<(i64, Role)>,
    /// Signed in with a session cookie (not a token): pages, CSRF-checked.
    pub via_session: bool,
}

/// What a grant of this viewer covers, for one record.
enum Target<'a> {
    Region(&'a RegionCode),
    Compound { id: i64, region: &'a RegionCode },
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        Actor { id: Some(self.user_id), login: self.login.clone() }
    }

    fn covers(&self, action: Action, t: &Target) -> bool {
        let by_grant = self.grants.iter().any(|g| {
            g.role.may(action)
                && match (&g.scope, t) {
                    (Scope::All, _) => true,
                    (Scope::Region(s), Target::Region(c)) => c.is_within(s),
                    (Scope::Region(s), Target::Compound { region, .. }) => region.is_within(s),
                    _ => false,
                }
        });
        by_grant
            || match t {
                Target::Compound { id, .. } => self.compounds.iter().any(|(c, role)| c == id && role.may(action)),
                Target::Region(_) => false,
            }
    }

    fn decide(&self, action: Action, t: &Target) -> Result<(), AppError> {
        if self.covers(action, t) {
            Ok(())
        } else if self.covers(Action::Read, t) {
            Err(AppError::forbidden())
        } else {
            Err(AppError::not_found())
        }
    }

    pub fn may(&self, action: Action) -> bool {
        self.grants.iter().any(|g| g.role.may(action)) || self.compounds.iter().any(|(_, r)| r.may(action))
    }

    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    /// A region the viewer may act on, or — `None`, the whole country — only
    /// with a grant over everything; else 404 / 403.
    pub fn check_place(&self, action: Action, code: Option<&RegionCode>) -> Result<(), AppError> {
        match code {
            Some(code) => self.check_region(action, code),
            None if self.grants.iter().any(|g| g.scope == Scope::All && g.role.may(action)) => Ok(()),
            None => Err(AppError::not_found()),
        }
    }

    /// A region the viewer may act on, or 404 / 403.
    pub fn check_region(&self, action: Action, code: &RegionCode) -> Result<(), AppError> {
        self.decide(action, &Target::Region(code))
    }

    /// A compound the viewer may act on, or 404 / 403.
    pub async fn compound(&self, db: &db::Db, id: i64, action: Action) -> Result<db::compounds::Compound, AppError> {
        let c = db::compounds::get(db, id).await?;
        self.check_compound(&c, action)?;
        Ok(c)
    }

    /// The same decision for a compound already loaded.
    pub fn check_compound(&self, c: &db::compounds::Compound, action: Action) -> Result<(), AppError> {
        let region = RegionCode::parse(&c.region_code).map_err(|e| AppError::internal(e.to_string()))?;
        self.decide(action, &Target::Compound { id: c.id, region: &region })
    }

    /// A building whose compound the viewer may act on, or 404 / 403.
    pub async fn building(
        &self,
        db: &db::Db,
        id: i64,
        action: Action,
    ) -> Result<db::compounds::BuildingSummary, AppError> {
        let b = db::compounds::building(db, id).await?;
        self.compound(db, b.compound_id, action).await?;
        Ok(b)
    }

    /// Whether the viewer holds `role` for the compound through a company,
    /// committee or resident grant.
    pub fn holds_in(&self, compound_id: i64, role: Role) -> bool {
        self.compounds.iter().any(|(c, r)| *c == compound_id && *r == role)
    }

    /// Whether a region grant (or one over everything) lets the viewer do
    /// `action` on the compound: the community, street and above.
    pub fn region_may(&self, c: &db::compounds::Compound, action: Action) -> bool {
        let Ok(region) = RegionCode::parse(&c.region_code) else { return false };
        self.grants.iter().any(|g| {
            g.role.may(action)
                && match &g.scope {
                    Scope::All => true,
                    Scope::Region(s) => region.is_within(s),
                    _ => false,
                }
        })
    }

    /// The compounds lists may show this viewer.
    pub fn visible(&self) -> Visible {
        let mut v = Visible::default();
        for g in self.grants.iter().filter(|g| g.role.may(Action::Read)) {
            match &g.scope {
                Scope::All => v.all = true,
                Scope::Region(c) => v.paths.push(c.path()),
                _ => {}
            }
        }
        v.ids = self.compounds.iter().map(|(id, _)| *id).collect();
        v
    }

    /// The organisations lists may show this viewer.
    pub fn org_filter(&self) -> db::structure::OrgFilter {
        let v = self.visible();
        db::structure::OrgFilter { all: v.all, paths: v.paths, compound_ids: v.ids, ..Default::default() }
    }

    /// The people lists may show this viewer.
    pub fn people_filter(&self) -> db::structure::PeopleFilter {
        let v = self.visible();
        db::structure::PeopleFilter { all: v.all, paths: v.paths, compound_ids: v.ids, ..Default::default() }
    }

    /// Subtrees for region-wide views (cross-appointments): `None` for all.
    pub fn people_paths(&self) -> Option<Vec<RegionPath>> {
        let v = self.visible();
        if v.all { None } else { Some(v.paths) }
    }

    /// Whether the viewer may see a phone number of someone in `region_path` unmasked.
    pub fn sees_phone(&self, region_path: &str) -> bool {
        self.grants.iter().any(|g| {
            g.role.may(Action::SeePhones)
                && match &g.scope {
                    Scope::All => true,
                    Scope::Region(c) => region_path.starts_with(c.path().as_str()),
                    _ => false,
                }
        })
    }

    /// A phone number as this viewer may see it.
    pub fn phone(&self, phone: &str, region_path: &str) -> String {
        if self.sees_phone(region_path) { phone.to_owned() } else { domain::access::mask_phone(phone) }
    }

    /// Region roots of the viewer's region grants (for the region index).
    /// Only resident grants: their own reports are what they come for.
    pub fn resident_only(&self) -> bool {
        !self.grants.is_empty() && self.grants.iter().all(|g| g.role == Role::Resident)
    }

    pub fn region_roots(&self) -> Option<Vec<RegionCode>> {
        if self.grants.iter().any(|g| g.scope == Scope::All) {
            return None;
        }
        Some(
            self.grants
                .iter()
                .filter_map(|g| match &g.scope {
                    Scope::Region(c) => Some(c.clone()),
                    _ => None,
                })
                .collect(),
        )
    }

    /// Subtrees whose audit rows the viewer may read: `None` for all.
    pub fn audit_paths(&self) -> Result<Option<Vec<RegionPath>>, AppError> {
        let mut paths = Vec::new();
        for g in self.grants.iter().filter(|g| g.role.may(Action::ReadAudit)) {
            match &g.scope {
                Scope::All => return Ok(None),
                Scope::Region(c) => paths.push(c.path()),
                _ => {}
            }
        }
        if paths.is_empty() { Err(AppError::forbidden()) } else { Ok(Some(paths)) }
    }

    /// Build the viewer of a user: their grants and what those cover.
    pub async fn load(db: &db::Db, user: &db::accounts::User, via_session: bool) -> Result<Viewer, AppError> {
        let grants = db::accounts::grants(db, user.id).await?;
        let mut compounds = Vec::new();
        let today = domain::clock::today();
        for g in &grants {
            match g.scope {
                Scope::Company(id) => compounds
                    .extend(db::accounts::company_compounds(db, id, today).await?.into_iter().map(|c| (c, g.role))),
                Scope::Compound(id) => compounds.push((id, g.role)),
                Scope::Unit(u) => {
                    if let Some(c) = db::accounts::unit_compound(db, u).await? {
                        compounds.push((c, g.role));
                    }
                }
                _ => {}
            }
        }
        Ok(Viewer {
            user_id: user.id,
            login: user.login.clone(),
            display_name: user.display_name.clone(),
            grants,
            compounds,
            via_session,
        })
    }
}

/// Residents' problems: who sees them and in what role one acts on them.
impl Viewer {
    /// Which problems a viewer sees: their subtrees, their company's, their
    /// committee's compound, or — for residents — their own reports.
    pub fn problems_visible(&self) -> db::problems::Visible {
        let v = self;
        let mut out = db::problems::Visible::default();
        for g in &v.grants {
            match (&g.role, &g.scope) {
                (_, Scope::All) => out.all = true,
                (_, Scope::Region(c)) => out.paths.push(c.path()),
                (Role::Company, Scope::Company(id)) => out.company_ids.push(*id),
                (Role::Committee, Scope::Compound(id)) => out.compound_ids.push(*id),
                (Role::Resident, _) => out.reporter_id = Some(v.user_id),
                _ => {}
            }
        }
        out
    }

    /// What role the viewer plays for this problem, if any.
    pub fn problem_role(&self, p: &Problem) -> Option<By> {
        let v = self;
        for g in &v.grants {
            match (&g.role, &g.scope) {
                (Role::Admin, _) => return Some(By::Supervisor),
                (Role::Company, Scope::Company(id))
                    if p.handler_kind == Handler::Company && p.handler_org_id == Some(*id) =>
                {
                    return Some(By::Handler);
                }
                _ => {}
            }
        }
        v.grants.iter().find_map(|g| match (&g.role, &g.scope) {
            // The community's workers handle what no company serves.
            (Role::Worker | Role::Officer, Scope::Region(c))
                if p.handler_kind == Handler::Community
                    && p.region_path.starts_with(c.path().as_str())
                    && c.level() >= domain::Level::Community =>
            {
                Some(By::Handler)
            }
            // The level above (street or higher) reviews and supervises.
            (Role::Officer | Role::Supervisor, Scope::Region(c))
                if p.region_path.starts_with(c.path().as_str()) && c.level() <= domain::Level::Street =>
            {
                Some(By::Supervisor)
            }
            // The community watches over the company serving its compounds,
            // and the owners' committee over its own compound: both may press
            // the handler, neither decides (decision 0008).
            (Role::Worker | Role::Officer, Scope::Region(c))
                if p.handler_kind == Handler::Company
                    && p.region_path.starts_with(c.path().as_str())
                    && c.level() >= domain::Level::Community =>
            {
                Some(By::Overseer)
            }
            (Role::Committee, Scope::Compound(id)) if *id == p.compound_id => Some(By::Overseer),
            _ => None,
        })
    }

    pub fn sees_problem(&self, p: &Problem) -> bool {
        let v = self;
        let vis = v.problems_visible();
        vis.all
            || vis.paths.iter().any(|x| p.region_path.starts_with(x.as_str()))
            || vis.compound_ids.contains(&p.compound_id)
            || (p.handler_kind == Handler::Company && p.handler_org_id.is_some_and(|h| vis.company_ids.contains(&h)))
            || (vis.reporter_id.is_some() && vis.reporter_id == p.reporter_id)
    }
}

pub(crate) fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    cookie_of(&parts.headers, name)
}

/// A cookie's value from request headers.
pub(crate) fn cookie_of(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Not signed in: the API answers 401, pages send the reader to sign in.
pub struct SignIn {
    api: bool,
    next: String,
}

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        if self.api {
            let mut r = AppError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or send a Bearer token")
                .into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            r
        } else {
            Redirect::to(&format!("/login?next={}", crate::links::urlencode(&self.next))).into_response()
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let api = parts.uri.path().starts_with("/api/");
        let sign_in = || SignIn { api, next: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default() };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let found = if let Some(token) = bearer {
            Viewer::of_token(s, token).await
        } else if let Some(cookie) = cookie_value(parts, SESSION_COOKIE) {
            Viewer::of_session(s, &cookie).await
        } else {
            return Err(sign_in().into_response());
        };
        match found.map_err(|e| e.into_response())? {
            Some(v) => {
                parts.extensions.insert(v.clone());
                Ok(v)
            }
            None => Err(sign_in().into_response()),
        }
    }
}

impl Viewer {
    /// The viewer an API token stands for; None if it is unknown, revoked or
    /// expired, or its user is disabled.
    pub async fn of_token(s: &AppState, token: &str) -> Result<Option<Viewer>, AppError> {
        let key = format!("t:{}", secret_hash(token));
        let epoch = s.db.scope_epoch();
        if let Some(v) = s.viewers.get(&key, epoch) {
            return Ok(Some(v));
        }
        let Some((user_id, expires_at)) = db::accounts::token_user(&s.db, &secret_hash(token)).await? else {
            return Ok(None);
        };
        let v = Viewer::of_user(&s.db, user_id, false).await?;
        if let Some(v) = &v {
            // Kept no longer than the token lives; a revocation (a committed
            // write) advances the epoch and drops it at once.
            s.viewers.put(key, v.clone(), epoch, Some(expires_at));
        }
        Ok(v)
    }

    /// The viewer a session cookie stands for; None if the session is unknown
    /// or has ended (idle or too old), or its user is disabled.
    pub async fn of_session(s: &AppState, cookie: &str) -> Result<Option<Viewer>, AppError> {
        let hash = secret_hash(cookie);
        let key = format!("s:{hash}");
        let epoch = s.db.scope_epoch();
        if let Some(v) = s.viewers.get(&key, epoch) {
            return Ok(Some(v));
        }
        let Some(sess) = db::accounts::session(&s.db, &hash).await? else { return Ok(None) };
        let now = Utc::now();
        if now > sess.expires_at || now - sess.last_seen_at > IDLE {
            db::accounts::delete_session(&s.db, &hash).await?;
            return Ok(None);
        }
        // Touch at most once a minute: reads stay reads.
        let mut seen = sess.last_seen_at;
        if now - seen > chrono::Duration::minutes(1) {
            db::accounts::touch_session(&s.db, sess.id, now).await?;
            seen = now;
        }
        let v = Viewer::of_user(&s.db, sess.user_id, true).await?;
        if let Some(v) = &v {
            s.viewers.put(key, v.clone(), epoch, Some(sess.expires_at.min(seen + IDLE)));
        }
        Ok(v)
    }

    async fn of_user(db: &db::Db, user_id: i64, via_session: bool) -> Result<Option<Viewer>, AppError> {
        match db::accounts::user(db, user_id).await? {
            Some(user) if !user.disabled => Ok(Some(Viewer::load(db, &user, via_session).await?)),
            _ => Ok(None),
        }
    }
}

// ---- login throttling --------------------------------------------------------------

/// Failed sign-ins, counted so that guessing is slow but nobody can lock
/// anyone else out:
///
/// * per account *and* address: after `PAIR_FREE` failures that pair waits
///   `PAIR_FIRST`, doubling with every further failure up to `PAIR_CAP`.
///   A stranger guessing the administrator's password from one address
///   does not delay the administrator at another.
/// * per address, across accounts: after `ADDRESS_FREE` failures the address
///   waits `ADDRESS_FIRST`, doubling up to the lower `ADDRESS_CAP`.
/// * per account, across addresses: never refused; after
///   `ACCOUNT_PAUSE_AFTER` failures each try is answered `ACCOUNT_PAUSE` late.
///
/// An attempt is counted (as a failure) *before* its password is checked,
/// atomically with the decision to let it through, so concurrent tries
/// cannot slip past the count; a success takes its count back and clears the
/// pair. Counts are forgotten `FORGET` after their last failure. In memory:
/// one process serves a deployment; a restart forgets.
#[derive(Default)]
pub struct Throttle {
    state: Mutex<ThrottleState>,
}

#[derive(Default)]
struct ThrottleState {
    pairs: HashMap<(String, String), Count>,
    addresses: HashMap<String, Count>,
    accounts: HashMap<String, Count>,
}

#[derive(Clone, Copy)]
struct Count {
    failures: u32,
    last: Instant,
}

pub const PAIR_FREE: u32 = 5;
pub const PAIR_FIRST: Duration = Duration::from_secs(30);
pub const PAIR_CAP: Duration = Duration::from_secs(15 * 60);
pub const ADDRESS_FREE: u32 = 20;
pub const ADDRESS_FIRST: Duration = Duration::from_secs(5);
pub const ADDRESS_CAP: Duration = Duration::from_secs(2 * 60);
pub const ACCOUNT_PAUSE_AFTER: u32 = 10;
pub const ACCOUNT_PAUSE: Duration = Duration::from_secs(1);
pub const FORGET: Duration = Duration::from_secs(60 * 60);
/// Keys kept per kind; past this, forgotten and then idle ones are dropped.
const MAX_KEYS: usize = 100_000;

/// How long after its last failure a key with `failures` waits.
fn backoff(failures: u32, free: u32, first: Duration, cap: Duration) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let doublings = (failures - free).min(20);
    first.saturating_mul(1 << doublings).min(cap)
}

/// An attempt let through and already counted; say how it ended.
#[must_use]
pub struct Attempt {
    account: String,
    address: String,
    /// Answer no sooner than this (the per-account pause).
    pub pause: Duration,
}

impl Count {
    fn wait(&self, now: Instant, free: u32, first: Duration, cap: Duration) -> Option<Duration> {
        let until = self.last + backoff(self.failures, free, first, cap);
        (until > now).then(|| until - now)
    }
}

fn prune<K: Eq + std::hash::Hash>(map: &mut HashMap<K, Count>, now: Instant, free: u32) {
    if map.len() < MAX_KEYS {
        return;
    }
    map.retain(|_, c| now.duration_since(c.last) < FORGET);
    if map.len() >= MAX_KEYS {
        // Keep only those still waiting: the ones that matter.
        map.retain(|_, c| c.failures >= free);
    }
    if map.len() >= MAX_KEYS {
        tracing::warn!("sign-in throttle full: forgetting every count of one kind");
        map.clear();
    }
}

fn bump<K: Eq + std::hash::Hash>(map: &mut HashMap<K, Count>, key: K, now: Instant) {
    let c = map.entry(key).or_insert(Count { failures: 0, last: now });
    if now.duration_since(c.last) >= FORGET {
        c.failures = 0;
    }
    c.failures += 1;
    c.last = now;
}

fn take_back<K: Eq + std::hash::Hash>(map: &mut HashMap<K, Count>, key: &K) {
    if let Some(c) = map.get_mut(key) {
        c.failures = c.failures.saturating_sub(1);
        if c.failures == 0 {
            map.remove(key);
        }
    }
}

impl Throttle {
    /// Let an attempt through and count it, or say how long to wait.
    pub fn reserve(&self, account: &str, address: &str) -> Result<Attempt, Duration> {
        self.reserve_at(account, address, Instant::now())
    }

    pub fn reserve_at(&self, account: &str, address: &str, now: Instant) -> Result<Attempt, Duration> {
        let mut st = self.state.lock().expect("throttle lock");
        let st = &mut *st;
        prune(&mut st.pairs, now, PAIR_FREE);
        prune(&mut st.addresses, now, ADDRESS_FREE);
        prune(&mut st.accounts, now, ACCOUNT_PAUSE_AFTER);
        let pair = (account.to_owned(), address.to_owned());
        let live = |c: &&Count| now.duration_since(c.last) < FORGET;
        let wait = [
            st.pairs.get(&pair).filter(live).and_then(|c| c.wait(now, PAIR_FREE, PAIR_FIRST, PAIR_CAP)),
            st.addresses.get(address).filter(live).and_then(|c| c.wait(now, ADDRESS_FREE, ADDRESS_FIRST, ADDRESS_CAP)),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(w) = wait {
            return Err(w);
        }
        let pause = match st.accounts.get(account).filter(live) {
            Some(c) if c.failures >= ACCOUNT_PAUSE_AFTER => ACCOUNT_PAUSE,
            _ => Duration::ZERO,
        };
        bump(&mut st.pairs, pair, now);
        bump(&mut st.addresses, address.to_owned(), now);
        bump(&mut st.accounts, account.to_owned(), now);
        Ok(Attempt { account: account.to_owned(), address: address.to_owned(), pause })
    }

    /// The password was right: the pair starts afresh and the attempt is not
    /// held against the address or the account.
    pub fn succeeded(&self, a: Attempt) {
        let mut st = self.state.lock().expect("throttle lock");
        st.pairs.remove(&(a.account.clone(), a.address.clone()));
        take_back(&mut st.addresses, &a.address);
        take_back(&mut st.accounts, &a.account);
    }

    /// The password was wrong: it is already counted.
    pub fn failed(&self, a: Attempt) {
        drop(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(grants: Vec<Grant>, compounds: Vec<(i64, Role)>) -> Viewer {
        Viewer { user_id: 1, login: "t".into(), display_name: "t".into(), grants, compounds, via_session: true }
    }

    #[test]
    fn scope_decides_404_and_403() {
        let street = RegionCode::parse("371402001").unwrap();
        let inside = RegionCode::parse("371402001001").unwrap();
        let outside = RegionCode::parse("371402002001").unwrap();
        let officer = viewer(vec![Grant::new(Role::Officer, Scope::Region(street.clone())).unwrap()], vec![]);
        assert!(officer.check_region(Action::WriteRegistry, &inside).is_ok());
        assert_eq!(officer.check_region(Action::Read, &outside).unwrap_err().status, StatusCode::NOT_FOUND);
        let sup = viewer(vec![Grant::new(Role::Supervisor, Scope::Region(street)).unwrap()], vec![]);
        assert!(sup.check_region(Action::Read, &inside).is_ok());
        assert_eq!(sup.check_region(Action::WriteRegistry, &inside).unwrap_err().status, StatusCode::FORBIDDEN);
        let company = viewer(vec![], vec![(7, Role::Company)]);
        assert!(company.covers(Action::Read, &Target::Compound { id: 7, region: &outside }));
        assert!(!company.covers(Action::WriteRegistry, &Target::Compound { id: 7, region: &outside }));
        assert!(!company.covers(Action::Read, &Target::Compound { id: 8, region: &outside }));
        assert!(!company.visible().all && company.visible().paths.is_empty());
    }

    #[test]
    fn passwords_and_secrets() {
        let h = hash_password_now("correct horse battery");
        assert!(verify_password_now("correct horse battery", &h));
        assert!(!verify_password_now("wrong", &h));
        assert!(!verify_password_now("x", "not a hash"));
        let a = new_secret("gz_");
        assert_eq!(a.len(), 3 + 64);
        assert_ne!(a, new_secret("gz_"));
        assert_eq!(secret_hash("x").len(), 64);
        assert_eq!(generate_password("x").len(), 16);
        assert!(check_password("short", "x").is_err());
    }

    #[test]
    fn throttle_delays_grow_per_pair_and_address() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..PAIR_FREE {
            t.failed(t.reserve_at("admin", "1.1.1.1", t0).expect("free tries"));
        }
        assert_eq!(t.reserve_at("admin", "1.1.1.1", t0).err(), Some(PAIR_FIRST));
        // Another address, and another account from this one, go on.
        t.succeeded(t.reserve_at("admin", "2.2.2.2", t0).unwrap());
        t.failed(t.reserve_at("other", "1.1.1.1", t0).unwrap());
        // The wait doubles with every further failure, up to the cap.
        let mut at = t0 + PAIR_FIRST;
        let mut want = PAIR_FIRST;
        for _ in 0..8 {
            t.failed(t.reserve_at("admin", "1.1.1.1", at).expect("after the wait"));
            want = (want * 2).min(PAIR_CAP);
            assert_eq!(t.reserve_at("admin", "1.1.1.1", at).err(), Some(want));
            at += want;
        }
        assert_eq!(want, PAIR_CAP);
        // A success clears the pair.
        t.succeeded(t.reserve_at("admin", "1.1.1.1", at).unwrap());
        assert!(t.reserve_at("admin", "1.1.1.1", at).is_ok());

        // Per address, across accounts: a shorter, lower-capped wait.
        let t = Throttle::default();
        for i in 0..ADDRESS_FREE {
            t.failed(t.reserve_at(&format!("u{i}"), "3.3.3.3", t0).unwrap());
        }
        assert_eq!(t.reserve_at("admin", "3.3.3.3", t0).err(), Some(ADDRESS_FIRST));
        assert!(t.reserve_at("admin", "4.4.4.4", t0).is_ok(), "the address is not the account");
        assert_eq!(backoff(ADDRESS_FREE + 30, ADDRESS_FREE, ADDRESS_FIRST, ADDRESS_CAP), ADDRESS_CAP);

        // Per account, across addresses: never refused, only paused.
        let t = Throttle::default();
        for i in 0..(ACCOUNT_PAUSE_AFTER + 5) {
            let a = t.reserve_at("admin", &format!("9.9.9.{i}"), t0).expect("never refused");
            t.failed(a);
        }
        assert_eq!(t.reserve_at("admin", "8.8.8.8", t0).unwrap().pause, ACCOUNT_PAUSE);
        // Forgotten after a quiet hour.
        let later = t0 + FORGET;
        assert_eq!(t.reserve_at("admin", "7.7.7.7", later).unwrap().pause, Duration::ZERO);
    }
}
