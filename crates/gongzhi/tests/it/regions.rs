use serde_json::json;

use crate::support::{App, dezhou};

db_test! {
    async fn region_api_counts_children_and_compounds(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.get("/api/v1/regions/3714").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        assert_eq!(v["name"], "德州市");
        assert_eq!(v["level"], "city");
        assert_eq!(v["parent_code"], "37");
        assert_eq!(v["path"], "/37/3714/");
        assert_eq!(v["child_count"], 12);
        assert_eq!(v["compound_count"], 0);

        // A compound in 新湖街道's first community shows in every ancestor's count.
        let c = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001", "name": "丰华小区"})).await;
        assert_eq!(c.status, 201, "{}", c.body);
        for (code, n) in [("37", 1), ("3714", 1), ("371402", 1), ("371402001", 1), ("371402001001", 1), ("371402001002", 0), ("371403", 0)] {
            let v = app.get(&format!("/api/v1/regions/{code}")).await.json();
            assert_eq!(v["compound_count"], n, "{code}");
        }

        let r = app.get("/api/v1/regions/3714/children?per_page=5&page=3").await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["total"], 12);
        assert_eq!(v["items"].as_array().unwrap().len(), 2, "12 children, pages of 5: the third has 2");
        let first = app.get("/api/v1/regions/3714/children").await.json();
        assert_eq!(first["items"][0]["code"], "371402");
        assert_eq!(first["items"][0]["name"], "德城区");
        assert_eq!(first["items"][0]["compound_count"], 1);
        assert_eq!(first["items"][0]["child_count"], 7);

        let roots = app.get("/api/v1/regions").await.json();
        assert_eq!(roots[0]["code"], "37");
    }

    async fn bad_and_unknown_codes_get_clear_errors(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.get("/api/v1/regions/37x4").await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["code"], "bad_request");
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("only digits"));
        let r = app.get("/api/v1/regions/3799").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"]["code"], "not_found");
    }

    async fn grids_are_numbered_under_their_community(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.json("POST", "/api/v1/regions/371402001001/grids", json!({"name": "第一网格"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["code"], "371402001001001");
        assert_eq!(r.json()["level"], "grid");
        let r = app.json("POST", "/api/v1/regions/371402001001/grids", json!({"name": "第二网格"})).await;
        assert_eq!(r.json()["code"], "371402001001002");
        // Not under a street.
        let r = app.json("POST", "/api/v1/regions/371402001/grids", json!({"name": "x"})).await;
        assert_eq!(r.status, 422);
        // A compound may sit in a grid and counts for the community.
        let c = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001002", "name": "网格小区"})).await;
        assert_eq!(c.status, 201, "{}", c.body);
        assert_eq!(c.json()["community_code"], "371402001001");
        assert_eq!(app.get("/api/v1/regions/371402001001").await.json()["compound_count"], 1);
    }

    async fn subtree_ranges_do_not_leak_into_siblings(db: Db) {
        // Two cities whose paths share a prefix as text: /37/3714/ and /37/3715/.
        let dir = std::env::temp_dir().join(format!("gongzhi_sib_{}_{}", std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        crate::import::write_fixture(&dir, "");
        gongzhi::import::import_divisions(&db, &crate::support::system(), &gongzhi::import::Source::Dir(&dir), None, true).await.unwrap();
        let app = App::new(&db).await;
        for (region, name) in [("371402001001", "甲"), ("371502001001", "乙")] {
            let r = app.json("POST", "/api/v1/compounds", json!({"region": region, "name": name})).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let v = app.get("/api/v1/compounds?region=3714").await.json();
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["name"], "甲");
        let v = app.get("/api/v1/compounds?region=37").await.json();
        assert_eq!(v["total"], 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
