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
