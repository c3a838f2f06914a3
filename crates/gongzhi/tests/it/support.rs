use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use db::Db;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// `db_test! { async fn name(db: Db) { … } }` makes `name::sqlite` and
/// `name::postgres`.
macro_rules! db_test {
    ($(async fn $name:ident($db:ident : Db) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($db: db::Db) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::support::on_sqlite(run).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::support::on_postgres(run).await
            }
        }
    )*};
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub async fn on_sqlite<F, Fut>(f: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(unique("gongzhi_test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
    let db = Db::open(&url).await.expect("open sqlite");
    f(db.clone()).await;
    let _ = db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The PostgreSQL server to test on, if any. With CI=true it must be there.
pub fn pg_url() -> Option<String> {
    match std::env::var("GONGZHI_TEST_PG") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but GONGZHI_TEST_PG is not set: PostgreSQL tests must run in CI");
            }
            eprintln!("GONGZHI_TEST_PG not set: skipping the PostgreSQL half of this test");
            None
        }
    }
}

/// The same server URL with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

pub async fn on_postgres<F, Fut>(f: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(admin_url) = pg_url() else { return };
    let admin = Db::connect(&admin_url).await.unwrap_or_else(|e| panic!("GONGZHI_TEST_PG: {e}"));
    let name = unique("gz_t");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let db = Db::open(&with_database(&admin_url, &name)).await.expect("open test database");
    f(db.clone()).await;
    let _ = db.close().await;
    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    let _ = admin.close().await;
}

/// The first `n` communities of a county in the demo's open division data.
pub fn communities(county: &str, n: usize) -> Vec<domain::RegionCode> {
    gongzhi::import::read_divisions(
        &gongzhi::import::Source::Embedded(gongzhi::demo::DEZHOU),
        Some(&domain::RegionCode::parse(county).unwrap()),
        |_, _| {},
    )
    .unwrap()
    .rows
    .iter()
    .filter(|d| d.code.level() == domain::Level::Community)
    .map(|d| d.code.clone())
    .take(n)
    .collect()
}

/// Dezhou's divisions (the demo's subset) without the synthetic registry.
pub async fn dezhou(db: &Db) {
    use gongzhi::import::{Source, import_divisions};
    import_divisions(db, &system(), &Source::Embedded(gongzhi::demo::DEZHOU), None, true).await.expect("import Dezhou");
}

pub fn system() -> domain::audit::Actor {
    domain::audit::Actor::system("test")
}

/// A second city (聊城, 3715) with one community, outside Dezhou.
pub async fn liaocheng(db: &Db) {
    let dir = std::env::temp_dir().join(unique("gongzhi_lc"));
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        ("provinces.csv", "code,name\n37,山东省\n"),
        ("cities.csv", "code,name,provinceCode\n3715,聊城市,37\n"),
        ("areas.csv", "code,name,cityCode\n371502,东昌府区,3715\n"),
        ("streets.csv", "code,name,areaCode\n371502001,古楼街道,371502\n"),
        ("villages.csv", "code,name,streetCode\n371502001001,古楼社区居委会,371502001\n"),
    ];
    for (n, t) in files {
        std::fs::write(dir.join(n), t).unwrap();
    }
    use gongzhi::import::{Source, import_divisions};
    import_divisions(db, &system(), &Source::Dir(&dir), None, true).await.expect("import 聊城");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Create a user holding one grant and return an API token for them.
pub async fn user_token(db: &Db, login: &str, role: &str, scope: &str) -> String {
    let grant = domain::access::Grant::new(
        domain::access::Role::parse(role).unwrap(),
        domain::access::Scope::parse(scope).unwrap(),
    )
    .unwrap();
    let hash = web::auth::hash_password_now("test-password-1");
    let id = db::accounts::create_user(db, &system(), login, login, &hash, None, &[grant]).await.unwrap();
    token_for(db, id).await
}

pub async fn token_for(db: &Db, user_id: i64) -> String {
    let secret = web::auth::new_secret("gz_");
    db::accounts::create_token(db, &system(), user_id, "test", &web::auth::secret_hash(&secret)).await.unwrap();
    secret
}

/// The real router, driven in process, as one client: a Bearer token, a
/// session cookie, or nobody.
#[derive(Clone)]
pub struct App {
    router: axum::Router,
    pub auth: Option<(String, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub body_bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

impl App {
    /// Nobody signed in.
    pub fn anonymous(db: &Db) -> App {
        // One data directory for the test process: files are named by their hash.
        let data = std::env::temp_dir().join(format!("gongzhi_data_{}", std::process::id()));
        App { router: web::router(web::AppState::new(db.clone(), data)), auth: None }
    }

    /// Nobody signed in, on a server set up by `setup` (a metrics token, …).
    pub fn anonymous_with(db: &Db, setup: impl FnOnce(web::AppState) -> web::AppState) -> App {
        let data = std::env::temp_dir().join(format!("gongzhi_data_{}", std::process::id()));
        App { router: web::router(setup(web::AppState::new(db.clone(), data))), auth: None }
    }

    /// An administrator of everything (made on first use).
    pub async fn new(db: &Db) -> App {
        let token = match db::accounts::user_by_login(db, "test_admin").await.unwrap() {
            Some(u) => token_for(db, u.id).await,
            None => user_token(db, "test_admin", "admin", "all").await,
        };
        App::anonymous(db).with_token(&token)
    }

    pub fn with_token(&self, token: &str) -> App {
        App { router: self.router.clone(), auth: Some(("authorization".into(), format!("Bearer {token}"))) }
    }

    pub fn with_cookie(&self, cookie: &str) -> App {
        App { router: self.router.clone(), auth: Some(("cookie".into(), cookie.to_owned())) }
    }

    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        if let Some((k, v)) = &self.auth {
            let name = axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
            if !req.headers().contains_key(&name) {
                req.headers_mut().insert(name, v.parse().unwrap());
            }
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), body_bytes: bytes.to_vec() }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn get_with(&self, uri: &str, name: &str, value: &str) -> Reply {
        self.send(Request::get(uri).header(name, value).body(Body::empty()).unwrap()).await
    }

    pub async fn json(&self, method: &str, uri: &str, body: serde_json::Value) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    pub async fn form(&self, uri: &str, pairs: &[(&str, &str)]) -> Reply {
        let body: String = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

/// A page's form as a browser posts it with files: multipart, each file
/// `(field, bytes)` sent as a PNG (the server reads the type from the bytes).
pub fn multipart(uri: &str, fields: &[(impl AsRef<str>, impl AsRef<str>)], files: &[(&str, &[u8])]) -> Request<Body> {
    let boundary = "gongzhiBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in fields {
        let (name, value) = (name.as_ref(), value.as_ref());
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    Request::post(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A new, empty database on the same server as `db` (a file beside the
/// test's on SQLite): its URL. Restores and upgrades start from one.
pub async fn empty_beside(db: &Db) -> String {
    match db.backend() {
        sea_orm::DbBackend::Postgres => {
            let admin_url = pg_url().expect("a PostgreSQL test has GONGZHI_TEST_PG");
            let admin = Db::connect(&admin_url).await.unwrap();
            let name = unique("gz_r");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
            let _ = admin.close().await;
            with_database(&admin_url, &name)
        }
        _ => {
            let dir = std::env::temp_dir().join(unique("gongzhi_empty"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("r.db").display())
        }
    }
}
