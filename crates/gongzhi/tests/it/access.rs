//! Who sees and changes what: the scope matrix, sessions, throttling, CSRF
//! and the audit chain.

use serde_json::{Value, json};

use crate::support::{App, Reply, liaocheng, user_token};

/// One client's expected answers.
struct Expect<'a> {
    who: &'a str,
    app: App,
    failures: Vec<String>,
}

/// Effective dates that always move forward, whoever sets them (and stay
/// in the past: a fact may take effect at most a year ahead).
fn next_date() -> String {
    static N: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    (chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Duration::days(n)).to_string()
}

impl Expect<'_> {
    async fn check(&mut self, method: &str, path: &str, body: Option<Value>, want: u16) -> Reply {
        let r = match (method, body) {
            ("GET", _) => self.app.get(path).await,
            ("FORM", Some(b)) => {
                let pairs: Vec<(String, String)> =
                    b.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
                let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                self.app.form(path, &refs).await
            }
            (m, b) => self.app.json(m, path, b.unwrap_or(json!({}))).await,
        };
        // Pages answer a successful form post with a redirect.
        let got = if method == "FORM" && r.status == 303 { 200 } else { r.status.as_u16() };
        if got != want {
            self.failures.push(format!("{} {method} {path}: got {got}, want {want}", self.who));
        }
        r
    }
}

db_test! {
    async fn scope_matrix_every_role_inside_and_outside(db: Db) {
        gongzhi::demo::build(&db, true).await.unwrap();
        gongzhi::demo::users(&db).await.unwrap();
        liaocheng(&db).await;
        let admin = App::new(&db).await;
        // Three compounds: 丰华小区 (inside every demo user's scope), 蕙泽嘉园 (Dezhou,
        // outside 新湖街道), and one in 聊城 (outside Dezhou).
        let inside = gongzhi::demo::fenghua(&db).await.unwrap();
        let v = admin.get(&format!("/api/v1/compounds?q={}", crate::support::enc("蕙泽嘉园"))).await.json();
        let dezhou_other = v["items"][0]["id"].as_i64().unwrap();
        let r = admin.json("POST", "/api/v1/compounds", json!({"region": "371502001001", "name": "古楼小区"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let outside = r.json()["id"].as_i64().unwrap();
        let r = admin.json("POST", &format!("/api/v1/compounds/{outside}/buildings"),
            json!({"name": "1号楼", "floors": 2, "entrances": 1, "units_per_floor": 1, "unit_area_m2": 80})).await;
        assert_eq!(r.status, 201);

        let mut ids = std::collections::HashMap::new();
        for (tag, id) in [("F", inside), ("H", dezhou_other), ("O", outside)] {
            let b = admin.get(&format!("/api/v1/compounds/{id}/buildings")).await.json();
            let bid = b[0]["id"].as_i64().unwrap();
            let u = admin.get(&format!("/api/v1/buildings/{bid}")).await.json();
            ids.insert(tag, (id, bid, u["units"][0]["id"].as_i64().unwrap(), admin.get(&format!("/api/v1/compounds/{id}")).await.json()["region_code"].as_str().unwrap().to_owned()));
        }

        // (login, read F, write F, read H, write H, read O, write O); demo users sign in by token here.
        let table: [(&str, u16, u16, u16, u16, u16, u16); 7] = [
            ("admin",       200, 200, 200, 200, 200, 200),
            ("dezhou",      200, 403, 200, 403, 404, 404),
            ("xinhu",       200, 200, 404, 404, 404, 404),
            ("fenghua_sq",  200, 200, 404, 404, 404, 404),
            ("fenghua_wy",  200, 403, 404, 404, 404, 404),
            ("fenghua_ywh", 200, 403, 404, 404, 404, 404),
            ("fenghua_101", 200, 403, 404, 404, 404, 404),
        ];
        let mut failures = Vec::new();
        for (login, rf, wf, rh, wh, ro, wo) in table {
            let user = db::accounts::user_by_login(&db, login).await.unwrap().unwrap();
            let token = crate::support::token_for(&db, user.id).await;
            let mut e = Expect { who: login, app: App::anonymous(&db).with_token(&token), failures: Vec::new() };
            for (tag, read, write) in [("F", rf, wf), ("H", rh, wh), ("O", ro, wo)] {
                let (id, bid, uid, region) = ids[tag].clone();
                // Reads: API and pages.
                for p in [format!("/api/v1/compounds/{id}"), format!("/api/v1/compounds/{id}/facts"),
                          format!("/api/v1/compounds/{id}/buildings"), format!("/api/v1/buildings/{bid}"),
                          format!("/compounds/{id}"), format!("/buildings/{bid}")] {
                    e.check("GET", &p, None, read).await;
                }
                // Writes: API and forms. A write outside scope is 404, inside without the right 403.
                e.check("PATCH", &format!("/api/v1/compounds/{id}"), Some(json!({"households": 101})), write).await;
                e.check("POST", &format!("/api/v1/compounds/{id}/facts"),
                    Some(json!({"kind": "service_model", "value": "professional", "effective_from": next_date()})), if write == 200 { 201 } else { write }).await;
                e.check("PATCH", &format!("/api/v1/buildings/{bid}"), Some(json!({"floors": 7})), write).await;
                e.check("PATCH", &format!("/api/v1/units/{uid}"), Some(json!({"area_m2": "88.00"})), write).await;
                e.check("POST", &format!("/api/v1/compounds/{id}/buildings"),
                    Some(json!({"name": format!("{login}楼"), "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area_m2": 50})),
                    if write == 200 { 201 } else { write }).await;
                e.check("GET", &format!("/compounds/{id}/edit"), None, write).await;
                e.check("FORM", &format!("/compounds/{id}"), Some(json!({"name": admin_name(&admin, id).await, "households": "102", "floor_area": "1000"})), write).await;
                e.check("FORM", &format!("/compounds/{id}/facts"), Some(json!({"kind": "service_model", "value": "party_led", "effective_from": next_date()})), write).await;
                // New compounds in the compound's own community.
                let want_new = match (login, tag) {
                    ("admin", _) | ("xinhu", "F") | ("fenghua_sq", "F") => 201,
                    ("dezhou", "F" | "H") => 403,
                    _ => 404,
                };
                e.check("POST", "/api/v1/compounds", Some(json!({"region": region, "name": format!("{login}{tag}新小区")})), want_new).await;
                // The region of the compound.
                let want_region = match (login, tag) {
                    ("admin", _) | ("dezhou", "F" | "H") | ("xinhu", "F") | ("fenghua_sq", "F") => 200,
                    _ => 404,
                };
                e.check("GET", &format!("/api/v1/regions/{region}"), None, want_region).await;
                e.check("GET", &format!("/api/v1/regions/{region}/children"), None, want_region).await;
                e.check("GET", &format!("/regions/{region}"), None, want_region).await;
            }
            // Lists and counts hold only what is in scope.
            let list = e.app.get("/api/v1/compounds?per_page=200").await.json();
            let visible: Vec<i64> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
            for (tag, read, _, _, _, _, _) in [("F", rf, 0, 0, 0, 0, 0), ("H", rh, 0, 0, 0, 0, 0), ("O", ro, 0, 0, 0, 0, 0)] {
                let id = ids[tag].0;
                let listed = list["total"].as_i64().unwrap() <= 200 && visible.contains(&id);
                if listed != (read == 200) && list["total"].as_i64().unwrap() <= 200 {
                    e.failures.push(format!("{login}: list shows {tag}={listed}, expected {}", read == 200));
                }
            }
            let audit = e.app.get("/audit").await.status.as_u16();
            let want_audit = if matches!(login, "admin" | "dezhou") { 200 } else { 403 };
            if audit != want_audit {
                e.failures.push(format!("{login}: /audit {audit}, want {want_audit}"));
            }
            failures.extend(e.failures);
        }
        assert!(failures.is_empty(), "{} scope failures:\n{}", failures.len(), failures.join("\n"));

        // Whole-list counts for region-scoped users equal the subtree counts.
        for (login, region) in [("dezhou", "3714"), ("xinhu", "371402001"), ("fenghua_sq", "371402001009")] {
            let user = db::accounts::user_by_login(&db, login).await.unwrap().unwrap();
            let app = App::anonymous(&db).with_token(&crate::support::token_for(&db, user.id).await);
            let total = app.get("/api/v1/compounds").await.json()["total"].clone();
            let region_count = admin.get(&format!("/api/v1/regions/{region}")).await.json()["compound_count"].clone();
            assert_eq!(total, region_count, "{login}");
            assert_eq!(app.get("/api/v1/compounds?region=3715").await.status, 404, "{login}");
            let q = app.get(&format!("/api/v1/compounds?q={}", crate::support::enc("古楼"))).await.json();
            assert_eq!(q["total"], 0, "{login}: search must not reach outside the scope");
        }
        let wy = db::accounts::user_by_login(&db, "fenghua_wy").await.unwrap().unwrap();
        let wy = App::anonymous(&db).with_token(&crate::support::token_for(&db, wy.id).await);
        let served = wy.get("/api/v1/compounds").await.json();
        assert!(served["total"].as_i64().unwrap() >= 1);
        assert!(served["items"].as_array().unwrap().iter().any(|c| c["name"] == "丰华小区"));
        assert_eq!(wy.get("/api/v1/regions").await.json().as_array().unwrap().len(), 0, "a company sees no regions");
    }

    async fn anonymous_requests_are_turned_away(db: Db) {
        crate::support::dezhou(&db).await;
        let app = App::anonymous(&db);
        let r = app.get("/api/v1/compounds").await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error"]["code"], "unauthenticated");
        let r = app.get("/api/v1/regions/3714").await;
        assert_eq!(r.status, 401);
        let r = app.get("/regions/3714").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), "/login?next=%2Fregions%2F3714");
        let r = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001", "name": "x"})).await;
        assert_eq!(r.status, 401);
        let r = app.with_token("gz_not_a_token").get("/api/v1/compounds").await;
        assert_eq!(r.status, 401);
        // Public: health, static files, the API description, the sign-in page.
        for p in ["/healthz", "/static/app.css", "/api/openapi.json", "/login"] {
            assert_eq!(app.get(p).await.status, 200, "{p}");
        }
    }

    async fn sessions_sign_in_expire_and_sign_out(db: Db) {
        crate::support::dezhou(&db).await;
        user_token(&db, "xinhu", "officer", "371402001").await;
        let app = App::anonymous(&db);
        let bad = app.form("/login", &[("login", "xinhu"), ("password", "wrong-password")]).await;
        assert_eq!(bad.status, 401);
        assert!(bad.body.contains("用户名或密码错误"));
        let nobody = app.form("/login", &[("login", "nobody"), ("password", "wrong-password")]).await;
        assert_eq!(nobody.status, 401, "an unknown login gets the same answer");

        let ok = app.form("/login", &[("login", "xinhu"), ("password", "test-password-1"), ("next", "/regions/371402001")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(ok.header("location"), "/regions/371402001");
        let set = ok.header("set-cookie").to_owned();
        for attr in ["gz_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attr), "{set} lacks {attr}");
        }
        assert!(!set.contains("Secure"), "no Secure flag over plain HTTP");
        let cookie = set.split(';').next().unwrap().to_owned();
        let me = app.with_cookie(&cookie);
        let page = me.get("/regions/371402001").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("新湖街道干部") || page.body.contains("xinhu"));
        assert_eq!(me.get("/regions/371402002").await.status, 404, "another street is hidden");

        // A second sign-in gets a new session id; the old one ends.
        let again = me.form("/login", &[("login", "xinhu"), ("password", "test-password-1")]).await;
        let cookie2 = again.header("set-cookie").split(';').next().unwrap().to_owned();
        assert_ne!(cookie, cookie2);
        assert_eq!(me.get("/regions/371402001").await.status, 303, "the old session id is void");
        let me = app.with_cookie(&cookie2);
        assert_eq!(me.get("/regions/371402001").await.status, 200);

        // Idle expiry: a session unused for longer than the idle limit ends.
        db.execute_unprepared("UPDATE session SET last_seen_at = '2000-01-01T00:00:00Z'").await.unwrap();
        // Written behind the server's back, as another process would; the server's
        // signed-in cache would notice within seconds. Tell it now.
        db.scope_changed();
        assert_eq!(me.get("/regions/371402001").await.status, 303);

        // Sign out, and sign out everywhere.
        let c3 = app.form("/login", &[("login", "xinhu"), ("password", "test-password-1")]).await.header("set-cookie").split(';').next().unwrap().to_owned();
        let c4 = app.form("/login", &[("login", "xinhu"), ("password", "test-password-1")]).await.header("set-cookie").split(';').next().unwrap().to_owned();
        let out = app.with_cookie(&c3).form("/logout", &[]).await;
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").contains("Max-Age=0"));
        assert_eq!(app.with_cookie(&c3).get("/regions/371402001").await.status, 303);
        assert_eq!(app.with_cookie(&c4).get("/regions/371402001").await.status, 200);
        let c5 = app.form("/login", &[("login", "xinhu"), ("password", "test-password-1")]).await.header("set-cookie").split(';').next().unwrap().to_owned();
        assert_eq!(app.with_cookie(&c5).form("/account/logout-all", &[]).await.status, 303);
        assert_eq!(app.with_cookie(&c4).get("/regions/371402001").await.status, 303, "signed out everywhere");
    }

    async fn sign_in_is_throttled_per_account(db: Db) {
        crate::support::dezhou(&db).await;
        user_token(&db, "target", "officer", "371402001").await;
        let app = App::anonymous(&db);
        for _ in 0..web::auth::PAIR_FREE {
            assert_eq!(app.form("/login", &[("login", "target"), ("password", "guess-guess")]).await.status, 401);
        }
        let r = app.form("/login", &[("login", "target"), ("password", "test-password-1")]).await;
        assert_eq!(r.status, 429, "even the right password waits once the limit is reached");
        assert!(r.body.contains("秒后再试"), "{}", r.body);
    }

    async fn cross_site_writes_are_refused(db: Db) {
        crate::support::dezhou(&db).await;
        let app = App::new(&db).await;
        let req = |site: Option<&str>, origin: Option<&str>| {
            let mut b = axum::http::Request::post("/api/v1/compounds")
                .header("content-type", "application/json")
                .header("host", "gongzhi.example");
            if let Some(s) = site { b = b.header("sec-fetch-site", s); }
            if let Some(o) = origin { b = b.header("origin", o); }
            b.body(axum::body::Body::from(json!({"region": "371402001001", "name": format!("{site:?}{origin:?}")}).to_string())).unwrap()
        };
        assert_eq!(app.send(req(Some("cross-site"), None)).await.status, 403);
        assert_eq!(app.send(req(Some("same-site"), None)).await.status, 403);
        assert_eq!(app.send(req(None, Some("https://evil.example"))).await.status, 403);
        let r = app.send(req(None, Some("https://evil.example"))).await;
        assert_eq!(r.json()["error"]["code"], "cross_site");
        assert_eq!(app.send(req(Some("same-origin"), None)).await.status, 201);
        assert_eq!(app.send(req(None, Some("https://gongzhi.example"))).await.status, 201);
        assert_eq!(app.send(req(None, None)).await.status, 201, "non-browser clients send neither");
        // Form posts too.
        let r = app.send(axum::http::Request::post("/logout").header("sec-fetch-site", "cross-site").body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(r.status, 403);
    }

    async fn audit_chain_records_changes_and_shows_tampering(db: Db) {
        crate::support::dezhou(&db).await;
        let app = App::new(&db).await;
        let c = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001", "name": "丰华小区"})).await.json();
        let id = c["id"].as_i64().unwrap();
        app.json("PATCH", &format!("/api/v1/compounds/{id}"), json!({"households": 300})).await;
        let (rows, total) = db::audit::list(&db, None, domain::Paging::new(None, Some(200))).await.unwrap();
        assert!(total >= 4, "import, user, token, create, update");
        let update = rows.iter().find(|r| r.action == "update" && r.entity == "compound").unwrap();
        assert_eq!(update.actor, "test_admin");
        assert!(update.before.contains("\"households\":null") && update.after.contains("\"households\":300"), "not recorded, then 300: {}", update.before);
        assert_eq!(update.region_path.as_deref(), Some("/37/3714/371402/371402001/371402001001/"));

        // Supervisors read only the changes inside their scope.
        let sup = App::anonymous(&db).with_token(&user_token(&db, "sup", "supervisor", "371402001").await);
        let page = sup.get("/audit").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&format!("<td>小区 <a href=\"/compounds/{id}\">{id}</a>")), "{}", page.body);
        assert!(!page.body.contains("<td>接口令牌 ") && !page.body.contains("<td>用户 "), "account changes are the administrator's");
        let other = App::anonymous(&db).with_token(&user_token(&db, "sup2", "supervisor", "371403").await);
        assert!(!other.get("/audit").await.body.contains(&format!("/compounds/{id}\">")));

        assert!(matches!(db::audit::verify(&db, &[]).await.unwrap(), db::audit::Verdict::Intact { rows, .. } if rows == db::audit::list(&db, None, domain::Paging::new(None, None)).await.unwrap().1));
        db.execute_unprepared(&format!("UPDATE audit_log SET after = replace(after, '300', '30') WHERE id = {}", update.id)).await.unwrap();
        match db::audit::verify(&db, &[]).await.unwrap() {
            db::audit::Verdict::Broken { id: broken, reason } => {
                assert_eq!(broken, update.id);
                assert!(reason.contains("content"), "{reason}");
            }
            v => panic!("tampering not found: {v:?}"),
        }
    }
}

async fn admin_name(admin: &App, id: i64) -> String {
    admin.get(&format!("/api/v1/compounds/{id}")).await.json()["name"].as_str().unwrap().to_owned()
}

/// `gongzhi audit verify` passes on an untouched database and fails, naming
/// the row, after a row is changed by hand in SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_command_names_the_broken_row() {
    let dir = std::env::temp_dir().join(format!("gongzhi_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.db");
    let bin = env!("CARGO_BIN_EXE_gongzhi");
    let out = std::process::Command::new(bin).args(["demo", "--no-serve", "--file"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for login in ["admin", "dezhou", "xinhu", "fenghua_sq", "fenghua_wy", "fenghua_ywh", "fenghua_101"] {
        assert!(stdout.contains(login), "demo prints login {login}: {stdout}");
    }
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let verify = || std::process::Command::new(bin).args(["--db", &url, "audit", "verify"]).output().unwrap();
    let ok = verify();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    // The head written down now catches rows removed from the end later.
    let head = std::process::Command::new(bin).args(["--db", &url, "audit", "head"]).output().unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    assert!(domain::audit::Head::parse(&head).is_ok(), "{head}");
    let db = db::Db::open(&url).await.unwrap();
    let last = domain::audit::Head::parse(&head).unwrap().id;
    db.execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {last}")).await.unwrap();
    assert!(verify().status.success(), "truncation alone leaves a consistent chain");
    let with_head =
        std::process::Command::new(bin).args(["--db", &url, "audit", "verify", "--head", &head]).output().unwrap();
    assert_eq!(with_head.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&with_head.stdout).contains("removed"),
        "{}",
        String::from_utf8_lossy(&with_head.stdout)
    );
    db.execute_unprepared("UPDATE audit_log SET actor = 'someone else' WHERE id = 3").await.unwrap();
    db.close().await.unwrap();
    let bad = verify();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("BROKEN at row 3"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

db_test! {
    async fn signed_in_users_are_cached_but_changes_count_at_once(db: Db) {
        crate::support::dezhou(&db).await;
        let token = user_token(&db, "cached", "worker", "371402001009").await;
        let app = App::anonymous(&db).with_token(&token);
        let user = db::accounts::user_by_login(&db, "cached").await.unwrap().unwrap();
        let actor = db::Actor { id: None, login: "test".into() };
        assert_eq!(app.get("/api/v1/regions/371402001009").await.status, 200);
        assert_eq!(app.get("/api/v1/regions/371402001001").await.status, 404);
        // A new grant is seen by the next request, not seconds later.
        let g = domain::access::Grant::new(
            domain::access::Role::Worker,
            domain::access::Scope::parse("371402001001").unwrap(),
        )
        .unwrap();
        db::accounts::add_grant(&db, &actor, user.id, &g).await.unwrap();
        assert_eq!(app.get("/api/v1/regions/371402001001").await.status, 200);
        // So is a revoked token, on the API and on Open311.
        let t = db::accounts::tokens(&db, user.id).await.unwrap()[0].id;
        db::accounts::revoke_token(&db, &actor, user.id, t).await.unwrap();
        assert_eq!(app.get("/api/v1/regions/371402001009").await.status, 401);
        let r = App::anonymous(&db).get(&format!("/open311/v2/requests.json?api_key={token}")).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
}

db_test! {
    async fn administrators_manage_accounts_from_the_web(db: Db) {
        crate::support::dezhou(&db).await;
        let admin = App::new(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq_worker", "worker", "371402001009").await);
        let secret = |body: &str| body.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        let sign_in = |login: &str, password: &str| {
            let (app, login, password) = (App::anonymous(&db), login.to_owned(), password.to_owned());
            async move {
                let r = app.form("/login", &[("login", &login), ("password", &password)]).await;
                (r.status.as_u16(), r.header("set-cookie").split(';').next().unwrap_or("").to_owned())
            }
        };
        // Only administrators.
        assert_eq!(worker.get("/users").await.status, 403);
        assert_eq!(worker.form("/users", &[("login", "x"), ("display_name", "x"), ("role", "resident"), ("scope", "unit:1")]).await.status, 403);
        assert!(admin.get("/users").await.body.contains("test_admin"));
        assert!(admin.get("/problems").await.body.contains("href=\"/users\""), "in the menu");
        assert!(!worker.get("/problems").await.body.contains("href=\"/users\""));

        // Bad roles and scopes are refused, in Chinese.
        let r = admin.form("/users", &[("login", "jd_new"), ("display_name", "新人"), ("role", "worker"), ("scope", "371402")]).await;
        assert_eq!(r.status, 422);
        let r = admin.form("/users", &[("login", "jd_new"), ("display_name", "新人"), ("role", "officer"), ("scope", "371402999")]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("范围 371402999 不存在"), "{}", r.body);

        // Created with a password shown once; it signs in.
        let r = admin.form("/users", &[("login", "jd_new"), ("display_name", "新湖街道新人"), ("role", "officer"), ("scope", "371402001")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let password = secret(&r.body);
        assert_eq!(password.len(), 16);
        let (status, cookie) = sign_in("jd_new", &password).await;
        assert_eq!(status, 303);
        let me = App::anonymous(&db).with_cookie(&cookie);
        assert_eq!(me.get("/regions/371402001").await.status, 200);
        assert_eq!(me.get("/regions/371402002").await.status, 404);
        assert_eq!(admin.form("/users", &[("login", "jd_new"), ("display_name", "重名"), ("role", "officer"), ("scope", "371402001")]).await.status, 409);

        // Another role, then withdrawn; each counts at once.
        let id = db::accounts::user_by_login(&db, "jd_new").await.unwrap().unwrap().id;
        assert_eq!(admin.form(&format!("/users/{id}/grants"), &[("role", "officer"), ("scope", "371402002")]).await.status, 303);
        assert_eq!(me.get("/regions/371402002").await.status, 200);
        let g = db::accounts::grant_rows(&db, id).await.unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(admin.form(&format!("/users/{id}/grants/{}/remove", g[1].id), &[]).await.status, 303);
        assert_eq!(me.get("/regions/371402002").await.status, 404);

        // Disabled: the session ends and sign-in fails; enabled again: it works.
        assert_eq!(admin.form(&format!("/users/{id}/disabled"), &[("disabled", "1")]).await.status, 303);
        assert_eq!(me.get("/regions/371402001").await.status, 303, "sent to sign in");
        assert_eq!(sign_in("jd_new", &password).await.0, 401, "refused");
        assert_eq!(admin.form(&format!("/users/{id}/disabled"), &[("disabled", "0")]).await.status, 303);
        assert_eq!(sign_in("jd_new", &password).await.0, 303);

        // A reset password replaces the old one.
        let r = admin.form(&format!("/users/{id}/password"), &[]).await;
        let fresh = secret(&r.body);
        assert_ne!(fresh, password);
        assert_eq!(sign_in("jd_new", &password).await.0, 401);
        let (status, cookie) = sign_in("jd_new", &fresh).await;
        assert_eq!(status, 303);

        // The user changes their own password; their other sessions end, this one stays.
        let (_, other) = sign_in("jd_new", &fresh).await;
        let me = App::anonymous(&db).with_cookie(&cookie);
        let change = |current: &str, new: &str, again: &str| {
            let (me, c, n, a) = (me.clone(), current.to_owned(), new.to_owned(), again.to_owned());
            async move { me.form("/account/password", &[("current", &c), ("new", &n), ("again", &a)]).await }
        };
        assert_eq!(change("wrong-password", "brand-new-pass-1", "brand-new-pass-1").await.status, 422);
        assert_eq!(change(&fresh, "brand-new-pass-1", "brand-new-pass-2").await.status, 422);
        assert_eq!(change(&fresh, "short", "short").await.status, 422);
        let r = change(&fresh, "brand-new-pass-1", "brand-new-pass-1").await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("密码已修改"));
        assert_eq!(me.get("/regions/371402001").await.status, 200, "this session stays");
        assert_eq!(App::anonymous(&db).with_cookie(&other).get("/regions/371402001").await.status, 303, "others end");
        assert_eq!(sign_in("jd_new", "brand-new-pass-1").await.0, 303);

        // An administrator cannot lock themselves out; everything above is in the audit log.
        let own = db::accounts::user_by_login(&db, "test_admin").await.unwrap().unwrap().id;
        assert_eq!(admin.form(&format!("/users/{own}/disabled"), &[("disabled", "1")]).await.status, 422);
        let own_grant = db::accounts::grant_rows(&db, own).await.unwrap()[0].id;
        assert_eq!(admin.form(&format!("/users/{own}/grants/{own_grant}/remove"), &[]).await.status, 422);
        // The same through the API.
        let r = admin.json("POST", "/api/v1/users", json!({"login": "api_new", "display_name": "接口新人", "role": "worker", "scope": "371402001009"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let (api_id, api_pw) = (r.json()["id"].as_i64().unwrap(), r.json()["password"].as_str().unwrap().to_owned());
        assert_eq!(sign_in("api_new", &api_pw).await.0, 303);
        assert_eq!(worker.json("POST", "/api/v1/users", json!({"login": "x", "display_name": "x", "role": "resident", "scope": "unit:1"})).await.status, 403);
        assert_eq!(worker.get("/api/v1/users").await.status, 403);
        let r = admin.json("POST", &format!("/api/v1/users/{api_id}/grants"), json!({"role": "worker", "scope": "371402001001"})).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let found = admin.get("/api/v1/users?q=api_").await.json();
        assert_eq!(found["total"], 1);
        assert_eq!(found["items"][0]["grants"], json!(["worker 371402001009", "worker 371402001001"]));
        assert_eq!(admin.json("PUT", &format!("/api/v1/users/{api_id}/disabled"), json!({"disabled": true})).await.status, 204);
        assert_eq!(sign_in("api_new", &api_pw).await.0, 401);
        assert_eq!(admin.json("PUT", &format!("/api/v1/users/{own}/disabled"), json!({"disabled": true})).await.status, 422);
        let (log, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(200))).await.unwrap();
        let actions: Vec<&str> =
            log.iter().filter(|r| r.entity == "user" && r.entity_id == id.to_string()).map(|r| r.action.as_str()).collect();
        for a in ["create", "grant", "revoke_grant", "disable", "enable", "set_password"] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
    }
}
