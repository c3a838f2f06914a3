use serde_json::json;

use crate::support::{App, dezhou};

db_test! {
    async fn create_read_list_edit_and_retire(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.json("POST", "/api/v1/compounds", json!({
            "region": "371402001001", "name": "丰华小区", "address": "新湖大街1号", "year_built": 1998,
            "is_old": true, "households": 320, "floor_area_m2": 28000.5,
            "service_model": "party_led", "service_model_from": "2021-05-01"
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let c = r.json();
        let id = c["id"].as_i64().unwrap();
        assert_eq!(c["floor_area_m2"], "28000.50");
        assert_eq!(c["service_model"], "party_led");
        assert_eq!(c["region_name"], "尉署社区居委会");
        assert_eq!(c["retired"], false);

        let got = app.get(&format!("/api/v1/compounds/{id}")).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["name"], "丰华小区");

        // The same name again in the same community is a conflict; in another community it is fine.
        let dup = app.json("POST", "/api/v1/compounds", json!({"region": "371402001001", "name": "丰华小区"})).await;
        assert_eq!(dup.status, 409);
        assert_eq!(dup.json()["error"]["code"], "conflict");
        let other = app.json("POST", "/api/v1/compounds", json!({"region": "371402001002", "name": "丰华小区"})).await;
        assert_eq!(other.status, 201);
        for i in 0..3 {
            let r = app.json("POST", "/api/v1/compounds", json!({"region": "371482002002", "name": format!("禹城{i}号院")})).await;
            assert_eq!(r.status, 201);
        }

        // Lists: by subtree, by name, paged.
        let v = app.get("/api/v1/compounds?region=371402").await.json();
        assert_eq!(v["total"], 2);
        let v = app.get(&format!("/api/v1/compounds?q={}", crate::support::enc("丰华"))).await.json();
        assert_eq!(v["total"], 2);
        let v = app.get(&format!("/api/v1/compounds?region=3714&q={}", crate::support::enc("禹城"))).await.json();
        assert_eq!(v["total"], 3);
        let v = app.get("/api/v1/compounds?region=3714&per_page=2&page=3").await.json();
        assert_eq!((v["total"].as_i64(), v["items"].as_array().unwrap().len()), (Some(5), 1));
        // A LIKE wildcard typed by a user is a literal character.
        let v = app.get("/api/v1/compounds?q=%25").await.json();
        assert_eq!(v["total"], 0);

        let p = app.json("PATCH", &format!("/api/v1/compounds/{id}"), json!({"households": 330, "address": "新湖大街2号"})).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.json()["households"], 330);
        assert_eq!(p.json()["name"], "丰华小区", "untouched fields stay");

        let r = app.json("POST", &format!("/api/v1/compounds/{id}/retire"), json!({})).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["retired"], true);
        let v = app.get("/api/v1/compounds?region=371402").await.json();
        assert_eq!(v["total"], 1, "retired compounds leave lists");
        let v = app.get("/api/v1/compounds?region=371402&include_retired=true").await.json();
        assert_eq!(v["total"], 2);
        assert_eq!(app.get(&format!("/api/v1/compounds/{id}")).await.status, 200, "but can still be read");
        assert_eq!(app.get("/api/v1/regions/371402").await.json()["compound_count"], 1);
    }

    async fn bad_input_names_every_field(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let r = app.json("POST", "/api/v1/compounds", json!({
            "region": "3714", "name": " ", "year_built": 1800, "households": -1, "floor_area_m2": "12.345", "service_model": "private"
        })).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let v = r.json();
        assert_eq!(v["error"]["code"], "invalid_input");
        let fields: Vec<&str> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["region", "name", "year_built", "households", "floor_area", "service_model"]);

        // A region that does not exist, a body of the wrong shape, no JSON at all.
        let r = app.json("POST", "/api/v1/compounds", json!({"region": "371402999999", "name": "x"})).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("does not exist"));
        let r = app.json("POST", "/api/v1/compounds", json!({"name": 5})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["error"]["code"], "bad_json");
        let r = app.send(axum::http::Request::post("/api/v1/compounds").body(axum::body::Body::from("x")).unwrap()).await;
        assert_eq!(r.status, 415);
        assert_eq!(r.json()["error"]["code"], "bad_json");
        let r = app.get("/api/v1/compounds/999999").await;
        assert_eq!(r.status, 404);
        let r = app.get("/api/v1/compounds/abc").await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"]["code"], "bad_path");
        assert_eq!(db::regions::count_compounds(&db, &domain::RegionCode::parse("37").unwrap().path()).await.unwrap(), 0);
    }

    async fn dated_facts_answer_as_of_any_date(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let c = app.json("POST", "/api/v1/compounds", json!({
            "region": "371428001002", "name": "畅和名居", "service_model": "none", "service_model_from": "2020-01-01"
        })).await.json();
        let id = c["id"].as_i64().unwrap();
        let r = app.json("POST", &format!("/api/v1/compounds/{id}/facts"),
            json!({"kind": "service_model", "value": "party_led", "effective_from": "2021-07-01"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let timeline = r.json();
        assert_eq!(timeline.as_array().unwrap().len(), 2);
        assert_eq!(timeline[0]["value"], "party_led");
        assert_eq!(timeline[1]["valid_to"], "2021-07-01");

        for (date, want) in [("2019-12-31", None), ("2020-01-01", Some("none")), ("2021-06-30", Some("none")),
                             ("2021-07-01", Some("party_led")), ("2030-01-01", Some("party_led"))] {
            let v = app.get(&format!("/api/v1/compounds/{id}/facts?as_of={date}")).await.json();
            let got = v.as_array().unwrap().first().map(|f| f["value"].as_str().unwrap().to_owned());
            assert_eq!(got.as_deref(), want, "as of {date}");
        }
        assert_eq!(app.get(&format!("/api/v1/compounds/{id}")).await.json()["service_model"], "party_led");

        // History moves forward only; unknown kinds and values are refused.
        let r = app.json("POST", &format!("/api/v1/compounds/{id}/facts"),
            json!({"kind": "service_model", "value": "professional", "effective_from": "2021-07-01"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["error"]["fields"][0]["field"], "effective_from");
        let r = app.json("POST", &format!("/api/v1/compounds/{id}/facts"),
            json!({"kind": "mood", "value": "x", "effective_from": "2022-01-01"})).await;
        assert_eq!(r.status, 422);
        let r = app.json("POST", &format!("/api/v1/compounds/{id}/facts"),
            json!({"kind": "service_model", "value": "excellent", "effective_from": "2022-01-01"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(app.get(&format!("/api/v1/compounds/{id}/facts")).await.json().as_array().unwrap().len(), 2);
    }

    async fn buildings_entrances_and_units(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let id = app.json("POST", "/api/v1/compounds", json!({"region": "371482002002", "name": "蕙泽嘉园"})).await.json()["id"]
            .as_i64().unwrap();
        let r = app.json("POST", &format!("/api/v1/compounds/{id}/buildings"),
            json!({"name": "1号楼", "floors": 6, "entrances": 2, "units_per_floor": 2, "unit_area_m2": "89.5"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let b = r.json();
        assert_eq!((b["entrances"].as_i64(), b["units"].as_i64()), (Some(2), Some(24)));
        assert_eq!(b["area_m2"], "2148.00");
        let bid = b["id"].as_i64().unwrap();

        let d = app.get(&format!("/api/v1/buildings/{bid}")).await.json();
        let units = d["units"].as_array().unwrap();
        assert_eq!(units.len(), 24);
        assert_eq!(units[0]["number"], "101");
        assert_eq!(units[0]["entrance"], "1单元");
        let uid = units[0]["id"].as_i64().unwrap();
        let u = app.json("PATCH", &format!("/api/v1/units/{uid}"), json!({"area_m2": "120.25"})).await;
        assert_eq!(u.status, 200, "{}", u.body);
        assert_eq!(u.json()["area_m2"], "120.25");
        assert_eq!(app.get(&format!("/api/v1/buildings/{bid}")).await.json()["area_m2"], "2178.75");

        let dup = app.json("POST", &format!("/api/v1/compounds/{id}/buildings"),
            json!({"name": "1号楼", "floors": 6, "entrances": 1, "units_per_floor": 2, "unit_area_m2": 90})).await;
        assert_eq!(dup.status, 409, "{}", dup.body);
        assert_eq!(app.get(&format!("/api/v1/compounds/{id}/buildings")).await.json().as_array().unwrap().len(), 1,
            "the failed building left nothing behind");
        let bad = app.json("POST", &format!("/api/v1/compounds/{id}/buildings"),
            json!({"name": "2号楼", "floors": 0, "entrances": 1, "units_per_floor": 2, "unit_area_m2": 90})).await;
        assert_eq!(bad.status, 422);

        let p = app.json("PATCH", &format!("/api/v1/buildings/{bid}"), json!({"name": "A座"})).await;
        assert_eq!(p.json()["name"], "A座");
        let r = app.json("POST", &format!("/api/v1/buildings/{bid}/retire"), json!({})).await;
        assert_eq!(r.json()["retired"], true);
    }

    async fn the_demo_holds_the_named_compounds(db: Db) {
        let stats = gongzhi::demo::build(&db, true).await.unwrap();
        assert_eq!(stats.communities, 456);
        assert_eq!(stats.compounds, 456 * gongzhi::demo::PER_COMMUNITY);
        let app = App::new(&db).await;
        for (name, region, community) in [
            ("蕙泽嘉园", "371482002", "古城社区居委会"),
            ("丰华小区", "371402001", "丰华社区居委会"),
            ("畅和名居", "371428001", "贝州社区居民委员会"),
        ] {
            let v = app.get(&format!("/api/v1/compounds?region={region}&q={}", crate::support::enc(name))).await.json();
            assert_eq!(v["total"], 1, "{name}");
            assert_eq!(v["items"][0]["region_name"], community, "{name}");
            let id = v["items"][0]["id"].as_i64().unwrap();
            let b = app.get(&format!("/api/v1/compounds/{id}/buildings")).await.json();
            assert!(!b.as_array().unwrap().is_empty(), "{name} has buildings");
        }
        // The synthetic history: coverage rises from 2020 to 2022.
        let facts = db::compounds::facts(&db, 1).await.unwrap();
        assert!(!facts.is_empty());
        // The structure of 新湖街道: committees and party branches spread from 2020 to 2022,
        // and branch secretaries sit on committees (交叉任职).
        let street = domain::RegionCode::parse("371402001").unwrap();
        let report = gongzhi::demo::structure(&db, &street, true).await.unwrap();
        assert!(report.changed() > 500, "{report:?}");
        let again = gongzhi::demo::structure(&db, &street, true).await.unwrap();
        assert_eq!(again.changed(), 0, "the demo structure loads idempotently");
        let (ids, _) = db::compounds::list(&db, &db::compounds::Filter {
            within: Some(street.path()), visible: db::compounds::Visible { all: true, ..Default::default() }, name: None, include_retired: false, order: None,
        }, domain::Paging::new(None, Some(200))).await.unwrap();
        let mut with_committee = [0, 0, 0];
        let today = domain::clock::today().to_string();
        for c in &ids {
            for (i, date) in ["2020-06-30", "2022-12-31", today.as_str()].iter().enumerate() {
                let f = db::compounds::facts_as_of(&db, c.id, date.parse().unwrap()).await.unwrap();
                if f.iter().any(|f| f.kind == domain::history::FactKind::OwnersCommittee) {
                    with_committee[i] += 1;
                }
            }
        }
        assert!(with_committee[0] < with_committee[1], "committees rise: {with_committee:?}");
        assert!(with_committee[1] < with_committee[2], "and go on rising after the plan's years, up to today: {with_committee:?}");
        let (cross, _) = db::structure::cross_appointments(&db, Some(&[street.path()]), domain::Paging::new(None, None)).await.unwrap();
        assert!(!cross.is_empty());
        // The chain street → community → compound → building, who formed what, and the rosters.
        let levels = |level: &str| {
            let app = app.clone();
            let uri = "/api/v1/organisations?kind=party_org&region=371402001&per_page=200".to_owned();
            let level = level.to_owned();
            async move {
                let v = app.get(&uri).await.json();
                v["items"].as_array().unwrap().iter().filter(|o| o["party_level"] == level.as_str()).count()
            }
        };
        assert_eq!(levels("street_working_committee").await, 1);
        assert!(levels("community_committee").await > 1 && levels("building_group").await > 0);
        let fenghua = app.get("/api/v1/organisations?kind=company&q=%E4%B8%B0%E5%8D%8E").await.json();
        let page = app.get(&format!("/organisations/{}", fenghua["items"][0]["id"])).await.body;
        assert!(page.contains("创办方：") && page.contains("社区党委"), "丰华物业 founded by its community's party committee: {page}");
        let committees = app.get("/api/v1/organisations?kind=owners_committee&region=371402001").await.json();
        let page = app.get(&format!("/organisations/{}", committees["items"][0]["id"])).await.body;
        assert!(page.contains("组建方："), "a committee formed by its community's party committee: {page}");
        let v = app.get("/api/v1/kpis?region=371402001").await.json();
        assert!(v["community_workers"].as_i64().unwrap() >= 2 && v["red_stations"].as_i64().unwrap() > 0, "{v}");
        // Ids continue after a bulk load (PostgreSQL sequences moved past them).
        let r = app.json("POST", "/api/v1/compounds", serde_json::json!({"region": "371402001001", "name": "新建小区"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["id"], stats.compounds as i64 + 1);
    }
}
