use serde_json::json;

use crate::support::{App, dezhou};

db_test! {
    async fn pages_render_in_chinese_and_english(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let c = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001", "name": "丰华小区", "service_model": "party_led"})).await;
        let id = c.json()["id"].as_i64().unwrap();

        let r = app.get("/regions/371402001").await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").starts_with("text/html"));
        // Breadcrumb from the province down, children with counts.
        for s in ["山东省", "德州市", "德城区", "新湖街道", "尉署社区居委会", "下级区划", "<html lang=\"zh-CN\">"] {
            assert!(r.body.contains(s), "region page lacks {s}");
        }
        assert!(!r.body.contains("/compounds/new?region="), "a street holds no compounds of its own");
        let r = app.get("/regions/371402001001").await;
        assert!(r.body.contains("丰华小区"), "a community page lists its compounds");
        assert!(r.body.contains("/compounds/new?region=371402001001"), "a community offers a new compound");
        assert!(r.body.contains("社区党组织领办"), "service model shown translated");

        let r = app.get(&format!("/compounds/{id}")).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("丰华小区") && r.body.contains("物业服务模式"));

        let en = app.get_with(&format!("/compounds/{id}"), "cookie", "lang=en").await;
        assert!(en.body.contains("<html lang=\"en\">"));
        assert!(en.body.contains("Property-service model"));
        assert!(en.body.contains("Led by the community party organisation"));

        let r = app.get("/regions").await;
        assert!(r.body.contains("山东省"));
        let r = app.get(&format!("/compounds?region=3714&q={}", crate::support::enc("丰华"))).await;
        assert!(r.body.contains(&format!("/compounds/{id}")));

        // The switch sets a cookie and goes back where the reader was.
        let r = app.get_with("/lang/en", "referer", &format!("http://localhost:8080/compounds/{id}")).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), format!("/compounds/{id}"));
        assert!(r.header("set-cookie").starts_with("lang=en;"));
        let r = app.get("/lang/en?next=//evil.example/").await;
        assert_eq!(r.header("location"), "/", "no open redirect");

        let r = app.get("/no/such/page").await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("找不到该页面或记录"));
        let r = app.get("/compounds/99999").await;
        assert_eq!(r.status, 404);
    }

    async fn forms_create_edit_and_report_errors(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.get("/compounds/new?region=371402001001").await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("value=\"371402001001\""));

        let bad = app.form("/compounds", &[("region", "371402001001"), ("name", ""), ("households", "many"), ("floor_area", "1.234")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("输入有误"));
        assert!(bad.body.contains("名称为必填项") && bad.body.contains("“many”不是整数"), "reasons in Chinese");
        // In English for a reader who chose English.
        let en = app
            .send(
                axum::http::Request::post("/compounds")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", "lang=en")
                    .body(axum::body::Body::from("region=371402001001&name=&households=many"))
                    .unwrap(),
            )
            .await;
        assert!(en.body.contains("name is required") && en.body.contains("is not a whole number"));
        assert!(bad.body.contains("value=\"1.234\""), "what was typed is kept");

        let ok = app.form("/compounds", &[("region", "371402001001"), ("name", "丰华小区"), ("households", "300"),
            ("floor_area", "25000"), ("is_old", "yes"), ("service_model", "professional"), ("service_model_from", "2020-01-01")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        let loc = ok.header("location").to_owned();
        let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
        let c = app.get(&format!("/api/v1/compounds/{id}")).await.json();
        assert_eq!((c["is_old"].as_bool(), c["households"].as_i64(), c["service_model"].as_str()), (Some(true), Some(300), Some("professional")));

        let dup = app.form("/compounds", &[("region", "371402001001"), ("name", "丰华小区")]).await;
        assert_eq!(dup.status, 422);
        assert!(dup.body.contains("本社区已有同名小区"));

        let e = app.form(&format!("/compounds/{id}"), &[("name", "丰华小区"), ("address", "新湖大街9号"), ("households", "310"),
            ("floor_area", "25000.00"), ("year_built", "1999"), ("is_old", "no")]).await;
        assert_eq!(e.status, 303, "{}", e.body);
        let c = app.get(&format!("/api/v1/compounds/{id}")).await.json();
        assert_eq!((c["address"].as_str(), c["is_old"].as_bool(), c["year_built"].as_i64()), (Some("新湖大街9号"), Some(false), Some(1999)));

        let f = app.form(&format!("/compounds/{id}/facts"), &[("kind", "service_model"), ("value", "party_led"), ("effective_from", "2022-03-01")]).await;
        assert_eq!(f.status, 303);
        let page = app.get(&format!("/compounds/{id}")).await;
        assert!(page.body.contains("2022-03-01") && page.body.contains("2020-01-01"), "timeline shows both periods");

        let b = app.form(&format!("/compounds/{id}/buildings"), &[("name", "1号楼"), ("floors", "5"), ("entrances", "2"),
            ("units_per_floor", "2"), ("unit_area", "80")]).await;
        assert_eq!(b.status, 303);
        let bs = app.get(&format!("/api/v1/compounds/{id}/buildings")).await.json();
        assert_eq!(bs[0]["units"], 20);
        let bp = app.get(&format!("/buildings/{}", bs[0]["id"])).await;
        assert!(bp.body.contains("2单元") && bp.body.contains("501"));

        let r = app.form(&format!("/compounds/{id}/retire"), &[]).await;
        assert_eq!(r.status, 303);
        assert!(app.get(&format!("/compounds/{id}")).await.body.contains("已注销"));
    }

    async fn health_static_headers_and_openapi(db: Db) {
        let app = App::new(&db).await;
        let r = app.get("/healthz").await;
        assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "ok"));

        let css = app.get("/static/app.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").starts_with("text/css"));
        let etag = css.header("etag").to_owned();
        assert!(etag.starts_with('"'));
        let again = app.get_with("/static/app.css", "if-none-match", &etag).await;
        assert_eq!(again.status, 304);
        assert_eq!(app.get("/static/nope.js").await.status, 404);

        let r = app.get("/regions").await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert_eq!(r.header("referrer-policy"), "same-origin");
        assert!(!r.header("x-request-id").is_empty());

        let spec = app.get("/api/openapi.json").await;
        assert_eq!(spec.status, 200);
        let v = spec.json();
        for p in ["/api/v1/regions/{code}", "/api/v1/regions/{code}/children", "/api/v1/compounds", "/api/v1/compounds/{id}"] {
            assert!(v["paths"][p].is_object(), "spec lacks {p}");
        }
        let docs = app.get("/api/docs/").await;
        assert_eq!(docs.status, 200);
        assert!(docs.body.contains("swagger"), "the docs page is served from the binary");
    }
}

/// The OpenAPI document is a reviewed artefact: a change to the API shows as
/// a diff of docs/openapi.json. Run with UPDATE_OPENAPI=1 to accept a change.
#[test]
fn openapi_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let now = web::api::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &now).unwrap();
        return;
    }
    let before = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        before == now,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test openapi_snapshot` and review the diff"
    );
}
