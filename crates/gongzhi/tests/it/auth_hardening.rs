//! Hardening of sign-in, tokens, passwords, redirects, caching and
//! connections (issue 10, items 5, 6, 9, 13, 14, 15, 16).

use axum::body::Body;
use axum::http::Request;
use db::Db;
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
