//! Hardening of sign-in, tokens, passwords, redirects, caching and
//! connections (issue 10, items 5, 6, 9, 13, 14, 15, 16).

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::support::{App, enc};

// ---- 9: every `next` is checked the same strict way ---------------------------------

db_test! {
    async fn next_never_leaves_the_site(db: Db) {
        let app = App::anonymous(&db);
        let attacks = [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/%0d%0a",
            " /\\evil.example",
            "\\/evil.example",
            "/a\\b",
            "",
        ];
        for a in attacks {
            // The language switch.
            let r = app.get(&format!("/lang/en?next={}", enc(a))).await;
            assert_eq!(r.status, 303, "lang next={a:?}: {}", r.status);
            let loc = r.header("location");
            assert!(loc == "/" || (a == "/%0d%0a" && loc == "/%0d%0a"), "lang next={a:?} went to {loc:?}");
            // The sign-in page carries it in a hidden field.
            let r = app.get(&format!("/login?next={}", enc(a))).await;
            assert_eq!(r.status, 200, "login next={a:?}");
            if a != "/%0d%0a" {
                assert!(r.body.contains("name=\"next\" value=\"/\""), "login form next={a:?}");
            }
        }
        // The exact forms.
        assert_eq!(app.get("/lang/en?next=/%5Cevil.example").await.header("location"), "/");
        assert!(app.get("/login?next=%2F%09%2Fevil.example").await.body.contains("name=\"next\" value=\"/\""));
        // After a right password, the same check (a CR/LF next used to give 500).
        crate::support::user_token(&db, "nexter", "officer", "371402001").await;
        for a in ["/x\r\nSet-Cookie: a=b", "/\t/evil.example", "/\\evil.example", "//evil.example"] {
            let r = App::anonymous(&db).form("/login", &[("login", "nexter"), ("password", "test-password-1"), ("next", a)]).await;
            assert_eq!(r.status, 303, "sign-in next={a:?}: {}", r.body);
            assert_eq!(r.header("location"), "/", "sign-in next={a:?}");
        }
        // A normal next is followed, query and all.
        let r = app.get("/lang/en?next=/regions/3714%3Fpage%3D2").await;
        assert_eq!(r.header("location"), "/regions/3714?page=2");
        let r = App::anonymous(&db).form("/login", &[("login", "nexter"), ("password", "test-password-1"), ("next", "/compounds?q=%E4%B8%B0")]).await;
        assert_eq!(r.header("location"), "/compounds?q=%E4%B8%B0");
        let r = app.get("/lang/en?next=/").await;
        assert_eq!(r.header("location"), "/");
    }
}

// ---- 16: what a signed-in reader sees is not stored by caches -----------------------

db_test! {
    async fn signed_in_responses_are_not_stored(db: Db) {
        crate::support::dezhou(&db).await;
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/registry/people", json!([{"phone": "13912345678", "name": "李主任", "region_code": "371402001009"}])).await;
        assert!(r.status.is_success(), "{}", r.body);
        let id = admin.get("/api/v1/people?q=%E6%9D%8E").await.json()["items"][0]["id"].as_i64().unwrap();
        let api = admin.get(&format!("/api/v1/people/{id}")).await;
        assert_eq!(api.status, 200);
        assert!(api.body.contains("13912345678"));
        assert_eq!(api.header("cache-control"), "no-store", "API person read");
        let page = admin.get(&format!("/people/{id}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("cache-control"), "no-store", "person page");
        // With a session cookie too.
        crate::support::user_token(&db, "cc_officer", "officer", "371402001").await;
        let r = App::anonymous(&db).form("/login", &[("login", "cc_officer"), ("password", "test-password-1")]).await;
        let cookie = r.header("set-cookie").split(';').next().unwrap().to_owned();
        let page = App::anonymous(&db).with_cookie(&cookie).get(&format!("/people/{id}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("cache-control"), "no-store");
        // Static assets keep their own caching.
        let css = admin.get("/static/app.css").await;
        assert_ne!(css.header("cache-control"), "no-store");
        assert!(!css.header("cache-control").is_empty());
        let _ = Request::get("/").body(Body::empty());
    }
}

// ---- 5, 6: sign-in throttling ----------------------------------------------------------

/// The router of one server, called as clients at given addresses would
/// (the connection's peer address is what `serve` hands every request).
#[derive(Clone)]
struct Net {
    router: axum::Router,
}

struct Answer {
    status: u16,
    body: String,
}

impl Net {
    fn new(db: &db::Db, proxies: &[&str]) -> Net {
        let data = std::env::temp_dir().join(format!("gongzhi_data_{}", std::process::id()));
        let state = web::AppState::new(db.clone(), data)
            .with_trusted_proxies(web::client::TrustedProxies::parse(proxies).unwrap());
        Net { router: web::router(state) }
    }

    async fn sign_in(&self, peer: &str, xff: Option<&str>, login: &str, password: &str, lang: &str) -> Answer {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let body = format!("login={}&password={}", enc(login), enc(password));
        let mut b = Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("lang={lang}"));
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        let mut req = b.body(Body::from(body)).unwrap();
        let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Answer { status, body: String::from_utf8_lossy(&bytes).into_owned() }
    }
}

/// The free tries of one account from one address (web::auth::PAIR_FREE).
const FREE: usize = 5;

db_test! {
    async fn concurrent_guesses_are_counted_before_they_are_checked(db: Db) {
        crate::support::user_token(&db, "victim", "officer", "371402001").await;
        let net = Net::new(&db, &[]);
        let mut tasks = Vec::new();
        for i in 0..40 {
            let net = net.clone();
            tasks.push(tokio::spawn(async move {
                let pw = if i == 39 { "test-password-1".to_owned() } else { format!("wrong-guess-{i}") };
                (i, net.sign_in("198.51.100.7", None, "victim", &pw, "zh").await.status)
            }));
        }
        let mut checked = 0;
        for t in tasks {
            let (i, status) = t.await.unwrap();
            match status {
                401 => checked += 1,
                303 => { assert_eq!(i, 39); checked += 1 }
                429 => {}
                s => panic!("try {i}: {s}"),
            }
        }
        assert!(checked <= FREE, "{checked} concurrent tries had their password checked; at most {FREE} may");
        // Once the limit is reached the right password waits too.
        let r = net.sign_in("198.51.100.7", None, "victim", "test-password-1", "zh").await;
        if checked == FREE {
            assert_eq!(r.status, 429, "{}", r.body);
        }
        for _ in 0..10 {
            assert_eq!(net.sign_in("198.51.100.7", None, "victim", "test-password-1", "zh").await.status, 429);
        }
    }

    async fn strangers_cannot_lock_out_the_owner(db: Db) {
        crate::support::user_token(&db, "boss", "admin", "all").await;
        let net = Net::new(&db, &[]);
        // Guessing the administrator's password from A…
        for i in 0..FREE {
            assert_eq!(net.sign_in("203.0.113.1", None, "boss", &format!("guess-{i}-guess"), "zh").await.status, 401);
        }
        let r = net.sign_in("203.0.113.1", None, "boss", "guess-x-guess", "zh").await;
        assert_eq!(r.status, 429);
        assert!(r.body.contains("秒后再试"), "{}", r.body);
        let r = net.sign_in("203.0.113.1", None, "boss", "guess-x-guess", "en").await;
        assert!(r.body.contains("try again in") && r.body.contains(" s."), "{}", r.body);
        // …does not stop the administrator at B.
        let r = net.sign_in("198.51.100.2", None, "boss", "test-password-1", "zh").await;
        assert_eq!(r.status, 303, "{}", r.body);
        // Twenty failures from A over many accounts slow A down…
        for i in 0..20 {
            let r = net.sign_in("203.0.113.9", None, &format!("someone{i}"), "wrong-password", "zh").await;
            assert_eq!(r.status, 401, "try {i}");
        }
        assert_eq!(net.sign_in("203.0.113.9", None, "boss", "test-password-1", "zh").await.status, 429);
        // …but not the administrator at B, who also clears their own pair.
        assert_eq!(net.sign_in("198.51.100.2", None, "boss", "test-password-1", "zh").await.status, 303);
        for _ in 0..3 {
            assert_eq!(net.sign_in("198.51.100.2", None, "boss", "test-password-1", "zh").await.status, 303);
        }
    }

    async fn behind_a_trusted_proxy_clients_are_told_apart(db: Db) {
        crate::support::user_token(&db, "clerk", "officer", "371402001").await;
        let net = Net::new(&db, &["10.0.0.0/8"]);
        // Client 1.1.1.1 behind the proxy guesses until it must wait…
        for _ in 0..FREE {
            assert_eq!(net.sign_in("10.0.0.5", Some("1.1.1.1"), "clerk", "wrong-password", "zh").await.status, 401);
        }
        assert_eq!(net.sign_in("10.0.0.5", Some("1.1.1.1"), "clerk", "test-password-1", "zh").await.status, 429);
        // …a forged left-hand entry does not change who it is…
        assert_eq!(net.sign_in("10.0.0.5", Some("7.7.7.7, 1.1.1.1"), "clerk", "test-password-1", "zh").await.status, 429);
        // …and client 2.2.2.2 behind the same proxy is not held up.
        let r = net.sign_in("10.0.0.5", Some("2.2.2.2"), "clerk", "test-password-1", "zh").await;
        assert_eq!(r.status, 303, "{}", r.body);

        // An untrusted peer's X-Forwarded-For is ignored: a new header per try
        // does not buy new tries.
        for i in 0..FREE {
            let r = net.sign_in("192.0.2.1", Some(&format!("5.5.5.{i}")), "clerk", "wrong-password", "zh").await;
            assert_eq!(r.status, 401);
        }
        let r = net.sign_in("192.0.2.1", Some("5.5.5.200"), "clerk", "test-password-1", "zh").await;
        assert_eq!(r.status, 429, "{}", r.body);
        // Without the setting, even the proxy's own header is ignored.
        let plain = Net::new(&db, &[]);
        for i in 0..FREE {
            plain.sign_in("10.0.0.5", Some(&format!("6.6.6.{i}")), "clerk", "wrong-password", "zh").await;
        }
        assert_eq!(plain.sign_in("10.0.0.5", Some("6.6.6.99"), "clerk", "test-password-1", "zh").await.status, 429);
    }
}

// ---- 14: the password policy ----------------------------------------------------------

db_test! {
    async fn weak_passwords_are_refused_on_every_path(db: Db) {
        crate::support::dezhou(&db).await;
        crate::support::user_token(&db, "wangfang", "officer", "371402001").await;
        let r = App::anonymous(&db).form("/login", &[("login", "wangfang"), ("password", "test-password-1")]).await;
        let me = App::anonymous(&db).with_cookie(r.header("set-cookie").split(';').next().unwrap());
        let change = |new: String| {
            let me = me.clone();
            async move { me.form("/account/password", &[("current", "test-password-1"), ("new", &new), ("again", &new)]).await }
        };
        for (weak, why) in [
            ("aaaaaaaaaa", "太容易被猜到"),
            ("1234567890", "太容易被猜到"),
            ("qwertyuiop", "太容易被猜到"),
            ("Password2024!", "太容易被猜到"),
            ("wangfang", "至少需要 10 个字符"),
            ("wangfang12345", "登录名"),
            ("WangFang-tea-pot", "登录名"),
            ("short", "至少需要 10 个字符"),
        ] {
            let r = change(weak.to_owned()).await;
            assert_eq!(r.status, 422, "{weak}: {}", r.body);
            assert!(r.body.contains(why), "{weak}: {}", r.body);
        }
        let r = change("x7Kq-".repeat(60)).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("最长 256 字节"), "{}", r.body);
        let r = change("quiet harbour lamps".into()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Generated passwords (account creation by an administrator) pass the same rule.
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/users", json!({"login": "gen_user", "display_name": "生成", "role": "worker", "scope": "371402001009"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(web::auth::check_password(r.json()["password"].as_str().unwrap(), "gen_user"), Ok(()));
    }
}

// ---- 13: API tokens expire and are revoked with the password -------------------------

/// Set a token's expiry behind the server's back (bound, as the code writes timestamps).
async fn set_expiry(db: &db::Db, token_id: i64, at: chrono::DateTime<chrono::Utc>) {
    use sea_orm::{ConnectionTrait, Statement};
    db.conn()
        .execute_raw(Statement::from_sql_and_values(
            db.backend(),
            "UPDATE api_token SET expires_at = $1 WHERE id = $2",
            [at.into(), token_id.into()],
        ))
        .await
        .unwrap();
}

async fn session_of(db: &db::Db, login: &str, password: &str) -> App {
    let r = App::anonymous(db).form("/login", &[("login", login), ("password", password)]).await;
    assert_eq!(r.status, 303, "{login} signs in: {}", r.body);
    App::anonymous(db).with_cookie(r.header("set-cookie").split(';').next().unwrap())
}

db_test! {
    async fn tokens_expire_even_when_cached(db: Db) {
        crate::support::dezhou(&db).await;
        let token = crate::support::user_token(&db, "expiring", "officer", "371402001").await;
        let user = db::accounts::user_by_login(&db, "expiring").await.unwrap().unwrap();
        let tk = db::accounts::tokens(&db, user.id).await.unwrap()[0].clone();
        // Issued with the default lifetime.
        let days = (tk.expires_at.unwrap() - tk.created_at).num_days();
        assert_eq!(days, domain::access::TOKEN_DAYS_DEFAULT);
        let app = App::anonymous(&db).with_token(&token);
        // About to expire: it works now, and the server keeps the signed-in user…
        set_expiry(&db, tk.id, chrono::Utc::now() + chrono::Duration::milliseconds(1500)).await;
        assert_eq!(app.get("/api/v1/regions/371402001").await.status, 200);
        assert_eq!(app.get("/api/v1/regions/371402001").await.status, 200);
        // …but not past the token's end, though the cache's own 5 s are not up.
        tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
        let r = app.get("/api/v1/regions/371402001").await;
        assert_eq!(r.status, 401, "an expired token is refused: {}", r.body);
        let r = App::anonymous(&db).get(&format!("/open311/v2/requests.json?api_key={token}")).await;
        assert_eq!(r.status, 403, "Open311 too: {}", r.body);
        // Expired in the database long ago: refused as well.
        let token2 = crate::support::token_for(&db, user.id).await;
        let id2 = db::accounts::tokens(&db, user.id).await.unwrap()[0].id;
        set_expiry(&db, id2, chrono::Utc::now() - chrono::Duration::days(1)).await;
        db.scope_changed();
        assert_eq!(App::anonymous(&db).with_token(&token2).get("/api/v1/regions/371402001").await.status, 401);
        // The account page and the API say which are expired.
        let me = session_of(&db, "expiring", "test-password-1").await;
        let page = me.get("/account").await;
        assert!(page.body.contains("已过期"), "{}", page.body);
        let list = me.get("/api/v1/account/tokens").await.json();
        assert_eq!(list[0]["state"], "expired");
        assert!(list[0]["expires_at"].is_string());
    }

    async fn tokens_are_issued_listed_and_revoked_by_their_owner(db: Db) {
        crate::support::dezhou(&db).await;
        let token = crate::support::user_token(&db, "owner", "officer", "371402001").await;
        let me = session_of(&db, "owner", "test-password-1").await;
        // On the page: a lifetime within bounds, shown with the new token.
        for bad in ["0", "366", "soon"] {
            let r = me.form("/account/tokens", &[("name", "x"), ("days", bad)]).await;
            assert_eq!(r.status, 422, "days={bad}");
            assert!(r.body.contains("有效期") || r.body.contains("整天数"), "{}", r.body);
        }
        let r = me.form("/account/tokens", &[("name", "报表脚本"), ("days", "30")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let expires = r.body.split("class=\"token-expires\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        let want = (chrono::Utc::now() + chrono::Duration::days(30)).with_timezone(&domain::clock::china()).format("%Y-%m-%d").to_string();
        assert!(expires.starts_with(&want), "{expires} vs {want}");
        assert!(r.body.contains("报表脚本"));
        // Through the API: from a session, not from a token.
        let r = App::anonymous(&db).with_token(&token).json("POST", "/api/v1/account/tokens", json!({"name": "x"})).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["error"]["code"], "session_required");
        let r = me.json("POST", "/api/v1/account/tokens", json!({"name": "接口", "days": 7})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let made = r.json();
        let api_token = made["token"].as_str().unwrap().to_owned();
        let exp = chrono::DateTime::parse_from_rfc3339(made["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!((exp.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days(), 6);
        assert_eq!(me.json("POST", "/api/v1/account/tokens", json!({"name": "x", "days": 1000})).await.status, 422);
        let by_api = App::anonymous(&db).with_token(&api_token);
        assert_eq!(by_api.get("/api/v1/account/tokens").await.json().as_array().unwrap().len(), 3);
        // Revoked through the API: refused at the next request.
        let id = made["id"].as_i64().unwrap();
        assert_eq!(by_api.json("DELETE", &format!("/api/v1/account/tokens/{id}"), json!(null)).await.status, 204);
        assert_eq!(by_api.get("/api/v1/account/tokens").await.status, 401);
        // Revoked on the page.
        let first = db::accounts::tokens(&db, db::accounts::user_by_login(&db, "owner").await.unwrap().unwrap().id).await.unwrap();
        let oldest = first.last().unwrap().id;
        let app = App::anonymous(&db).with_token(&token);
        assert_eq!(app.get("/api/v1/regions/371402001").await.status, 200);
        assert_eq!(me.form(&format!("/account/tokens/{oldest}/revoke"), &[]).await.status, 303);
        assert_eq!(app.get("/api/v1/regions/371402001").await.status, 401);
        // Someone else's token cannot be revoked (nor seen).
        let other = crate::support::user_token(&db, "other", "officer", "371402001").await;
        let theirs = App::anonymous(&db).with_token(&other).get("/api/v1/account/tokens").await.json()[0]["id"].as_i64().unwrap();
        assert_eq!(me.json("DELETE", &format!("/api/v1/account/tokens/{theirs}"), json!(null)).await.status, 404);
        assert_eq!(App::anonymous(&db).with_token(&other).get("/api/v1/regions/371402001").await.status, 200);
    }

    async fn reset_disable_and_password_change_revoke_tokens(db: Db) {
        crate::support::dezhou(&db).await;
        let admin = App::new(&db).await;
        let token = crate::support::user_token(&db, "worker1", "worker", "371402001009").await;
        let id = db::accounts::user_by_login(&db, "worker1").await.unwrap().unwrap().id;
        let api = |t: &str| App::anonymous(&db).with_token(t);
        assert_eq!(api(&token).get("/api/v1/regions/371402001009").await.status, 200);
        // An administrator's reset revokes them, and says so.
        let r = admin.form(&format!("/users/{id}/password"), &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("接口令牌已全部吊销（1 个）"), "{}", r.body);
        assert_eq!(api(&token).get("/api/v1/regions/371402001009").await.status, 401);
        let fresh = r.body.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();

        // Disabling revokes them; enabling again does not bring them back.
        let t2 = crate::support::token_for(&db, id).await;
        assert_eq!(api(&t2).get("/api/v1/regions/371402001009").await.status, 200);
        assert_eq!(admin.json("PUT", &format!("/api/v1/users/{id}/disabled"), json!({"disabled": true})).await.status, 204);
        assert_eq!(admin.json("PUT", &format!("/api/v1/users/{id}/disabled"), json!({"disabled": false})).await.status, 204);
        assert_eq!(api(&t2).get("/api/v1/regions/371402001009").await.status, 401, "a disabled account's token stays revoked");
        let t3 = crate::support::token_for(&db, id).await;
        let r = admin.form(&format!("/users/{id}/disabled"), &[("disabled", "1")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), format!("/users/{id}?revoked=1"));
        assert!(admin.get(r.header("location")).await.body.contains("接口令牌已全部吊销（1 个）"));
        admin.form(&format!("/users/{id}/disabled"), &[("disabled", "0")]).await;
        assert_eq!(api(&t3).get("/api/v1/regions/371402001009").await.status, 401);
        let (log, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(200))).await.unwrap();
        assert!(log.iter().any(|r| r.action == "disable" && r.after.contains("\"tokens_revoked\":1")));

        // One's own change: revoked when the box is ticked (the default)…
        let me = session_of(&db, "worker1", &fresh).await;
        let t4 = crate::support::token_for(&db, id).await;
        let r = me.form("/account/password", &[("current", &fresh), ("new", "river stone lantern"), ("again", "river stone lantern"), ("revoke_tokens", "1")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("已吊销接口令牌 1 个"), "{}", r.body);
        assert_eq!(api(&t4).get("/api/v1/regions/371402001009").await.status, 401);
        // …kept when the owner unticks it.
        let t5 = crate::support::token_for(&db, id).await;
        let r = me.form("/account/password", &[("current", "river stone lantern"), ("new", "maple dusk harbour"), ("again", "maple dusk harbour")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("接口令牌保留不变"), "{}", r.body);
        assert_eq!(api(&t5).get("/api/v1/regions/371402001009").await.status, 200);
    }

    async fn tokens_issued_before_expiry_existed_get_ninety_days(db: Db) {
        use migration::MigratorTrait;
        use sea_orm::{ConnectionTrait, Statement};
        let token = crate::support::user_token(&db, "old_hand", "officer", "371402001").await;
        let user = db::accounts::user_by_login(&db, "old_hand").await.unwrap().unwrap();
        // Back to the schema before m0012, where a token row has no expiry…
        let since = migration::Migrator::migrations().iter().rev().position(|m| m.name().starts_with("m0012")).unwrap() + 1;
        migration::Migrator::down(db.conn(), Some(since as u32)).await.unwrap();
        db.conn()
            .execute_raw(Statement::from_sql_and_values(
                db.backend(),
                "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, 'legacy', $2, $3)",
                [user.id.into(), web::auth::secret_hash("gz_legacy").into(), chrono::Utc::now().into()],
            ))
            .await
            .unwrap();
        // …and forward again.
        db.migrate().await.unwrap();
        for t in db::accounts::tokens(&db, user.id).await.unwrap() {
            let left = t.expires_at.expect("every token has an expiry") - chrono::Utc::now();
            assert!(left.num_days() >= 89 && left.num_days() <= 90, "{}: {left}", t.name);
        }
        db.scope_changed();
        assert_eq!(App::anonymous(&db).with_token("gz_legacy").get("/api/v1/account/tokens").await.status, 200);
        assert_eq!(App::anonymous(&db).with_token(&token).get("/api/v1/account/tokens").await.status, 200);
    }
}

// ---- 15: slow headers are cut off; connections are capped ------------------------------

/// Half a request header, then nothing.
async fn slow_client(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    s
}

/// A whole request; the answer's status line and body.
async fn normal_request(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// How long until the server closes a connection (read gives EOF or a reset).
async fn closed_after(mut s: tokio::net::TcpStream, start: std::time::Instant) -> std::time::Duration {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => continue, // a 408 or similar before closing
            Err(_) => panic!("a slow connection was still open after 10 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off_and_connections_are_capped() {
    use std::time::{Duration, Instant};
    let app = axum::Router::new().route(
        "/peer",
        axum::routing::get(
            |axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>| async move {
                format!("peer={}", peer.ip())
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = Duration::from_millis(1500);
    let limits = gongzhi::net::Limits {
        header_timeout: timeout,
        max_connections: 4,
        per_address: 0,
        grace: Duration::from_secs(2),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gongzhi::net::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));

    // Three slow clients hold three of four slots; a normal request is served at once.
    let t0 = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..3 {
        slow.push(slow_client(addr).await);
    }
    let r = normal_request(addr).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.contains("peer=127.0.0.1"), "handlers see the peer address: {r}");
    assert!(t0.elapsed() < timeout, "served while the slow ones were pending ({:?})", t0.elapsed());

    // A fourth fills the cap: the next request waits for a slot, which the
    // header timeout frees, and is then served.
    slow.push(slow_client(addr).await);
    let t1 = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(8), normal_request(addr)).await.expect("served once a slot frees");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(t1.elapsed() < timeout + Duration::from_secs(3), "{:?}", t1.elapsed());

    // Every slow client was cut off after about the header timeout, not before.
    for s in slow {
        let after = closed_after(s, t0).await;
        assert!(after >= timeout - Duration::from_millis(200), "closed too early: {after:?}");
        assert!(after < timeout + Duration::from_secs(3), "closed too late: {after:?}");
    }

    // Twice the cap at once: none is left hanging, and the server still answers.
    let many = slow_clients(addr, 8).await;
    let t2 = Instant::now();
    for s in many {
        closed_after(s, t2).await;
    }
    assert!(normal_request(addr).await.starts_with("HTTP/1.1 200"));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("shuts down").unwrap().unwrap();
}

async fn slow_clients(addr: std::net::SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(slow_client(addr).await);
    }
    v
}

/// One address holds at most its share of connections: the next is closed at
/// once, while other addresses (and the slots) stay free; a trusted proxy is exempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_share_of_connections() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncReadExt;
    let app = axum::Router::new().route("/peer", axum::routing::get(|| async { "ok" }));
    let timeout = Duration::from_millis(1500);
    let limits = gongzhi::net::Limits {
        header_timeout: timeout,
        max_connections: 50,
        per_address: 3,
        grace: Duration::from_secs(2),
    };
    for exempt in [false, true] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(gongzhi::net::serve_with(listener, app.clone(), limits, move |_| exempt, async {
            let _ = stopped.await;
        }));
        let held = slow_clients(addr, 3).await;
        let mut fourth = slow_client(addr).await;
        let t0 = Instant::now();
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_millis(800), fourth.read(&mut buf)).await;
        if exempt {
            assert!(read.is_err(), "a trusted proxy's connections are not bounded per address");
        } else {
            assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the fourth is closed at once: {read:?}");
            assert!(t0.elapsed() < timeout);
        }
        drop(held);
        drop(fourth);
        // The server counts a connection until it sees it closed.
        let mut last = String::new();
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            last = normal_request(addr).await;
            if last.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(last.starts_with("HTTP/1.1 200"), "freed slots serve again (exempt: {exempt}): {last:?}");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server).await.expect("shuts down").unwrap().unwrap();
    }
}
