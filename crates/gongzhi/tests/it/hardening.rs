//! Issue 10: what an outside security and reliability probe broke, each
//! as a regression test (on both backends where it touches the database).

use serde_json::{Value, json};

use crate::support::{App, Reply, dezhou, liaocheng, user_token};

fn cc(i: usize) -> String {
    domain::org::CreditCode::complete(&format!("91371402MA{i:06}7")).unwrap().to_string()
}

async fn rows(app: &App, sheet: &str, body: Value) -> Reply {
    let r = app.json("POST", &format!("/api/v1/registry/{sheet}"), body).await;
    assert_eq!(r.status, 200, "{sheet}: {}", r.body);
    r
}

fn xlsx_request(uri: &str, bytes: Vec<u8>) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::post(uri)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(axum::body::Body::from(bytes))
        .unwrap()
}

fn multipart_file(bytes: &[u8]) -> axum::http::Request<axum::body::Body> {
    let boundary = "gongzhiBoundaryX1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    axum::http::Request::post("/import")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(axum::body::Body::from(body))
        .unwrap()
}

/// A 1.5 KB workbook whose one sheet has cells at A1 and XFD1048576: a dense
/// reader allocates the whole range (half a terabyte) and the process aborts.
fn hostile_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "x").unwrap();
    ws.write_string(1_048_575, 16_383, "y").unwrap();
    wb.save_to_buffer().unwrap()
}

/// Follow an import job's page until it has finished.
async fn finished(app: &App, location: &str) -> Reply {
    for _ in 0..600 {
        let r = app.get(location).await;
        if !r.body.contains("http-equiv=\"refresh\"") {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {location} did not finish");
}

/// Compound ids by name in a community.
async fn compound_id(app: &App, community: &str, name: &str) -> i64 {
    let list = app.get(&format!("/api/v1/compounds?region={community}&per_page=200")).await.json();
    list["items"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["id"].as_i64().unwrap()
}

db_test! {
    // 1. A hostile workbook is refused with a reason, before any range is built, and the server keeps serving.
    async fn a_hostile_workbook_is_refused_and_the_server_keeps_serving(db: Db) {
        dezhou(&db).await;
        let bytes = hostile_workbook();
        assert!(bytes.len() < 8_000, "a small file: {}", bytes.len());
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let r = officer.send(xlsx_request("/api/v1/import/registry", bytes.clone())).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("XFD1048576") && r.body.contains("columns"), "{}", r.body);
        // Through the page: the job fails with the reason, in Chinese.
        let r = officer.send(multipart_file(&bytes)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let job = finished(&officer, r.header("location")).await;
        assert_eq!(job.status, 422);
        assert!(job.body.contains("XFD1048576") && job.body.contains("列"), "{}", job.body);
        // Whoever may not import is refused before the file is read at all.
        let resident = App::anonymous(&db).with_token(&user_token(&db, "sup", "supervisor", "3714").await);
        assert_eq!(resident.send(xlsx_request("/api/v1/import/registry", bytes.clone())).await.status, 403);
        assert_eq!(resident.send(multipart_file(&bytes)).await.status, 403);
        // Rows past the web's cap are refused too (a cell far down is enough).
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("compounds").unwrap();
        ws.write_string(0, 0, "community_code").unwrap();
        ws.write_string(60_000, 0, "371402001009").unwrap();
        let r = officer.send(xlsx_request("/api/v1/import/registry", wb.save_to_buffer().unwrap())).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("10000 rows"), "{}", r.body);
        // Two sheets of one kind: which is meant is not guessed.
        let two = import::Workbook { sheets: vec![
            import::RawSheet::new("compounds", &["community_code", "name"], vec![vec!["371402001009".into(), "甲".into()]]),
            import::RawSheet::new("小区", &["community_code", "name"], vec![vec!["371402001009".into(), "乙".into()]]),
        ] };
        let r = officer.send(xlsx_request("/api/v1/import/registry", import::to_xlsx(&two).unwrap())).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("a second compounds sheet"), "{}", r.body);
        // A region that does not exist reads like one outside scope (user-made grids elsewhere stay private).
        let missing = officer.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371402001099", "name": "甲"}])).await;
        let outside = officer.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371428001001", "name": "甲"}])).await;
        let reason = |r: &Reply| r.json()["error"]["fields"][0]["reason"].as_str().unwrap().replace("371402001099", "X").replace("371428001001", "X");
        assert_eq!(reason(&missing), reason(&outside));
        assert_eq!(App::anonymous(&db).get("/healthz").await.status, 200);
    }

    // 12. A web import runs in the background: the page shows progress, then the result; only its owner sees it.
    async fn a_web_import_runs_in_the_background(db: Db) {
        dezhou(&db).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let wb = import::Workbook { sheets: vec![import::RawSheet::new(
            "compounds",
            &["community_code", "name"],
            (0..300).map(|i| vec!["371402001009".to_owned(), format!("后台小区{i}")]).collect(),
        )] };
        let r = officer.send(multipart_file(&import::to_xlsx(&wb).unwrap())).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let location = r.header("location").to_owned();
        assert!(location.starts_with("/import/jobs/"), "{location}");
        let other = App::anonymous(&db).with_token(&user_token(&db, "other", "officer", "371402001").await);
        assert_eq!(other.get(&location).await.status, 404, "a job is its owner's");
        let done = finished(&officer, &location).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("导入完成") && done.body.contains("300"), "{}", done.body);
        // The template as downloaded, sent back unfilled: nothing to import, and it says so.
        let r = officer.send(multipart_file(&import::template_xlsx().unwrap())).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let empty = finished(&officer, r.header("location")).await;
        assert!(empty.body.contains("没有可导入的数据") && !empty.body.contains("导入完成"), "{}", empty.body);
        let list = officer.get("/api/v1/compounds?region=371402001009&q=%E5%90%8E%E5%8F%B0").await.json();
        assert_eq!(list["total"], 300);
    }

    // 2. Natural keys cannot reach records outside the writer's scope, and misses do not tell what exists elsewhere.
    async fn natural_keys_do_not_cross_scope(db: Db) {
        dezhou(&db).await;
        liaocheng(&db).await;
        let admin = App::new(&db).await;
        // Another city's company, person, and the person's post there.
        rows(&admin, "companies", json!([{"credit_code": cc(1), "name": "聊城物业", "region_code": "371502", "party_coverage": "none"}])).await;
        rows(&admin, "people", json!([{"name": "聊城人", "phone": "13900000001", "region_code": "371502001001"}])).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        rows(&worker, "compounds", json!([{"community_code": "371402001009", "name": "本社区小区"}])).await;
        let refused = |r: &Reply, at: &str| {
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains(at), "{at} in {}", r.body);
        };
        // Renaming and moving the other city's company by quoting its credit code.
        let r = worker.json("POST", "/api/v1/registry/companies", json!([{"credit_code": cc(1), "name": "被改名", "region_code": "371402001009", "party_coverage": "none"}])).await;
        refused(&r, "companies!2:credit_code");
        assert!(r.body.contains("may not change"), "{}", r.body);
        // Overwriting the other city's person by quoting the phone.
        let r = worker.json("POST", "/api/v1/registry/people", json!([{"name": "被改名", "phone": "13900000001", "region_code": "371402001009"}])).await;
        refused(&r, "people!2:phone");
        // Making the other city's company serve a compound here: as if it did not exist.
        let r = worker.json("POST", "/api/v1/registry/compound_history", json!([{"community_code": "371402001009", "compound": "本社区小区", "kind": "company", "value": cc(1), "effective_from": "2024-01-01"}])).await;
        refused(&r, "compound_history!2:value");
        let unknown = worker.json("POST", "/api/v1/registry/compound_history", json!([{"community_code": "371402001009", "compound": "本社区小区", "kind": "company", "value": cc(2), "effective_from": "2024-01-01"}])).await;
        let reason = |r: &Reply| r.json()["error"]["fields"][0]["reason"].as_str().unwrap().replace(&cc(1), "X").replace(&cc(2), "X");
        assert_eq!(reason(&r), reason(&unknown), "a company elsewhere reads exactly like one that does not exist");
        // A post for the other city's person, or at the other city's company: not found, like a phone nobody has.
        let post = |phone: &str, kind: &str, org: &str| json!([{"phone": phone, "role": "manager", "org_kind": kind, "org": org, "region_code": "371402001009", "start_date": "2024-01-01"}]);
        let r = worker.json("POST", "/api/v1/registry/posts", post("13900000001", "company", &cc(1))).await;
        refused(&r, "posts!2:phone");
        let nobody = worker.json("POST", "/api/v1/registry/posts", post("13900000009", "company", &cc(1))).await;
        let reason_of = |r: &Reply| r.json()["error"]["fields"][0]["reason"].as_str().unwrap().replace("139****0001", "M").replace("139****0009", "M");
        assert_eq!(reason_of(&r), reason_of(&nobody), "a phone elsewhere reads exactly like one nobody has");
        rows(&worker, "people", json!([{"name": "本地人", "phone": "13900000002", "region_code": "371402001009"}])).await;
        let r = worker.json("POST", "/api/v1/registry/posts", post("13900000002", "company", &cc(1))).await;
        refused(&r, "posts!2:org");
        // Nothing of the other city changed.
        let company = admin.get("/api/v1/organisations?kind=company&q=%E8%81%8A%E5%9F%8E").await.json();
        assert_eq!((company["total"].as_i64(), company["items"][0]["region_code"].as_str()), (Some(1), Some("371502")));
        let people = admin.get("/api/v1/people?q=%E8%81%8A%E5%9F%8E").await.json();
        assert_eq!(people["total"], 1);
        // Inside scope the same rows work: a company of the worker's own community.
        rows(&worker, "companies", json!([{"credit_code": cc(3), "name": "本地物业", "region_code": "371402001009", "party_coverage": "none"}])).await;
        rows(&worker, "compound_history", json!([{"community_code": "371402001009", "compound": "本社区小区", "kind": "company", "value": cc(3), "effective_from": "2024-01-01"}])).await;
    }

    // 3. Concurrent writes of one compound's facts leave exactly one open interval, and every read keeps working.
    async fn concurrent_fact_writes_leave_one_open_interval(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "并发小区"}])).await;
        let id = compound_id(&admin, "371402001009", "并发小区").await;
        for round in 0..12 {
            let calls = (0..8).map(|i| {
                let app = admin.clone();
                let model = ["professional", "self_managed", "party_led", "none"][i % 4];
                let day = format!("2020-{:02}-{:02}", 1 + round, 1 + i);
                async move {
                    app.json("POST", &format!("/api/v1/compounds/{id}/facts"), json!({"kind": "service_model", "value": model, "effective_from": day})).await
                }
            });
            for r in futures_join(calls).await {
                assert!(matches!(r.status.as_u16(), 201 | 409 | 422), "{} {}", r.status, r.body);
            }
            let facts = admin.get(&format!("/api/v1/compounds/{id}/facts")).await;
            assert_eq!(facts.status, 200, "{}", facts.body);
            let open = facts.json().as_array().unwrap().iter().filter(|f| f["kind"] == "service_model" && f["valid_to"].is_null()).count();
            assert_eq!(open, 1, "round {round}: {}", facts.body);
            assert_eq!(admin.get(&format!("/api/v1/compounds/{id}")).await.status, 200);
        }
        assert_eq!(admin.get("/api/v1/compounds?region=3714").await.status, 200);
        // A typo of a date far ahead would block every later change: refused.
        let r = admin.json("POST", &format!("/api/v1/compounds/{id}/facts"), json!({"kind": "service_model", "value": "none", "effective_from": "9999-12-31"})).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["fields"][0]["field"].as_str()), (422, Some("effective_from")));
        // The database itself refuses a second open interval.
        let sql = format!("INSERT INTO compound_fact (compound_id, kind, value, valid_from, recorded_at) VALUES ({id}, 'service_model', 'none', '2030-01-01', '2030-01-01T00:00:00Z')");
        assert!(db.execute_unprepared(&sql).await.is_err());
    }

    // 4. Of concurrent steps or ratings of one problem exactly one wins; the others get 409.
    async fn concurrent_steps_and_ratings_have_one_winner(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "评价小区"}])).await;
        let id = compound_id(&admin, "371402001009", "评价小区").await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        for round in 0..6 {
            let p = worker.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": format!("第{round}次")})).await;
            assert_eq!(p.status, 201, "{}", p.body);
            let pid = p.json()["id"].as_i64().unwrap();
            let accepts = (0..6).map(|_| {
                let app = worker.clone();
                async move { app.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "accept"})).await }
            });
            let answers = futures_join(accepts).await;
            let ok = answers.iter().filter(|r| r.status == 200).count();
            assert_eq!(ok, 1, "{:?}", answers.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
            assert!(answers.iter().all(|r| r.status == 200 || r.status == 409 || r.status == 422));
            let events = worker.get(&format!("/api/v1/problems/{pid}")).await.json();
            let accepted = events["timeline"].as_array().unwrap().iter().filter(|e| e["step"] == "accept").count();
            assert_eq!(accepted, 1, "{events}");
        }
        // Ratings: the reporter rates a resolved problem from several clients at once.
        let p = worker.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": "评价"})).await.json();
        let pid = p["id"].as_i64().unwrap();
        for step in ["accept", "resolve"] {
            let r = worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": step})).await;
            assert_eq!(r.status, 200, "{step}: {}", r.body);
        }
        let ratings = ["satisfied", "unsatisfied", "basically_satisfied", "unsatisfied"].map(|rating| {
            let app = worker.clone();
            async move { app.json("POST", &format!("/api/v1/problems/{pid}/rating"), json!({"rating": rating})).await }
        });
        let answers = futures_join(ratings).await;
        assert_eq!(answers.iter().filter(|r| r.status == 200).count(), 1, "{:?}", answers.iter().map(|r| r.body.clone()).collect::<Vec<_>>());
        let events = worker.get(&format!("/api/v1/problems/{pid}")).await.json();
        assert_eq!(events["timeline"].as_array().unwrap().iter().filter(|e| e["step"].as_str().unwrap().starts_with("rate")).count(), 1);
    }

    // 7. An implausible area is refused, and a stored one breaks no read.
    async fn huge_areas_are_refused_and_cannot_break_reads(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "面积小区"}])).await;
        rows(&admin, "buildings", json!([{"community_code": "371402001009", "compound": "面积小区", "name": "1号楼", "floors": 2, "entrances": 1, "units_per_floor": 2, "unit_area": 80}])).await;
        let id = compound_id(&admin, "371402001009", "面积小区").await;
        let b = admin.get(&format!("/api/v1/compounds/{id}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let units = admin.get(&format!("/api/v1/buildings/{b}")).await.json();
        let unit = units["units"][0]["id"].as_i64().unwrap();
        let r = admin.json("PATCH", &format!("/api/v1/units/{unit}"), json!({"area_m2": "92233720368547758.07"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("area_m2"), "{}", r.body);
        let r = admin.json("PATCH", &format!("/api/v1/units/{unit}"), json!({"area_m2": "10000.01"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = admin.json("PATCH", &format!("/api/v1/compounds/{id}"), json!({"floor_area_m2": "50000000.01"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = admin.json("POST", &format!("/api/v1/compounds/{id}/buildings"), json!({"name": "2号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area_m2": "99999"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // A value stored before the bound (or by hand) breaks nothing, and the PATCH that repairs it works.
        db.execute_unprepared(&format!("UPDATE unit SET area_centi = 9223372036854775807 WHERE id = {unit}")).await.unwrap();
        let other = units["units"][1]["id"].as_i64().unwrap();
        db.execute_unprepared(&format!("UPDATE unit SET area_centi = 9223372036854775807 WHERE id = {other}")).await.unwrap();
        assert_eq!(admin.get(&format!("/api/v1/buildings/{b}")).await.status, 200);
        assert_eq!(admin.get(&format!("/api/v1/compounds/{id}/buildings")).await.status, 200);
        assert_eq!(admin.get(&format!("/compounds/{id}")).await.status, 200);
        let r = admin.json("PATCH", &format!("/api/v1/units/{unit}"), json!({"area_m2": "85.5"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    // 17. A building's JSON names each key once: `unit_count` for the number, `units` for the list.
    async fn a_building_names_each_key_once(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "键名小区"}])).await;
        rows(&admin, "buildings", json!([{"community_code": "371402001009", "compound": "键名小区", "name": "1号楼", "floors": 3, "entrances": 1, "units_per_floor": 2, "unit_area": 80}])).await;
        let id = compound_id(&admin, "371402001009", "键名小区").await;
        let b = admin.get(&format!("/api/v1/compounds/{id}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let r = admin.get(&format!("/api/v1/buildings/{b}")).await;
        assert_eq!(r.body.matches("\"units\":").count(), 1, "{}", r.body);
        assert_eq!(r.json()["unit_count"], 6);
        assert_eq!(r.json()["units"].as_array().unwrap().len(), 6);
    }

    // 10, 11. Control characters and out-of-range numbers get a 4xx naming the field; stored ones break no document.
    async fn bad_text_and_numbers_get_a_4xx_naming_the_field(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371402001009", "name": "空\u{0}字"}])).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["error"]["fields"][0]["field"], "[0].name");
        let r = admin.json("POST", "/api/v1/compounds", json!({"region": "371402001009", "name": "铃\u{7}声"})).await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["fields"][0]["field"].as_str()), (400, Some("name")));
        let r = admin.form("/compounds", &[("region", "371402001009"), ("name", "a\u{1b}[31m")]).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = admin.get("/api/v1/compounds?q=%00").await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["fields"][0]["field"].as_str()), (400, Some("q")));
        let r = admin.get("/api/v1/regions/%00").await;
        assert_eq!(r.status, 400);
        let r = admin.get("/api/v1/organisations?page=72057594037927936").await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["fields"][0]["field"].as_str()), (422, Some("page")));
        let r = admin.get("/api/v1/people?per_page=9223372036854775808").await;
        assert_eq!((r.status.as_u16(), r.json()["error"]["fields"][0]["field"].as_str()), (422, Some("per_page")));
        assert_eq!(admin.get("/organisations?page=72057594037927936").await.status, 200, "pages clamp instead");
        let r = admin.json("POST", "/open311/v2/requests.json", json!({"description": "x\u{0}"})).await;
        assert_eq!(r.status, 400, "{}", r.body);

        // A name stored before the rule: the bulletin and Open311 XML stay well-formed.
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "控制字符小区"}])).await;
        let id = compound_id(&admin, "371402001009", "控制字符小区").await;
        let chr = if db.backend_name() == "postgresql" { "chr" } else { "char" };
        db.execute_unprepared(&format!("UPDATE compound SET name = '控制' || {chr}(7) || '小区' WHERE id = {id}")).await.unwrap();
        db.execute_unprepared(&format!("UPDATE region SET name = '新湖' || {chr}(27) || {chr}(65535) WHERE code = '371402001'")).await.unwrap();
        let resident = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let r = resident.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": "灯坏了"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let xml = admin.get("/open311/v2/requests.xml?api_key=x").await;
        assert!(!xml.body.chars().any(domain::text::forbidden), "{}", xml.body);
        let docx = admin.get("/dashboard/bulletin.docx?region=371402&month=2026-01").await;
        assert_eq!(docx.status, 200);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.body_bytes.clone())).unwrap();
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut doc).unwrap();
        assert!(doc.contains("新湖") && !doc.chars().any(domain::text::forbidden));
        let xlsx = admin.get("/dashboard/bulletin.xlsx?region=371402&month=2026-01").await;
        assert_eq!(xlsx.status, 200);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.body_bytes.clone())).unwrap();
        for i in 0..zip.len() {
            let mut part = String::new();
            std::io::Read::read_to_string(&mut zip.by_index(i).unwrap(), &mut part).unwrap();
            assert!(!part.chars().any(domain::text::forbidden), "part {i}");
        }
    }

    // 8. The audit chain: every column hashed; truncation and rewriting caught against a recorded head; problems audited.
    async fn the_audit_chain_catches_truncation_rewrites_and_covers_problems(db: Db) {
        use db::audit::{Verdict, head, verify};
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "审计小区"}])).await;
        let id = compound_id(&admin, "371402001009", "审计小区").await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let p = worker.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": "审计"})).await.json();
        let pid = p["id"].as_i64().unwrap();
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "accept"})).await.status, 200);
        let (log, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(200))).await.unwrap();
        let mine: Vec<_> = log.iter().filter(|r| r.entity == "problem" && r.entity_id == pid.to_string()).map(|r| r.action.as_str()).collect();
        assert_eq!(mine, ["accept"], "steps are audited (a report is its own record: the problem and its submit event)");
        assert!(log.iter().all(|r| r.hash_version == 2));

        let recorded = head(&db).await.unwrap().unwrap();
        assert!(matches!(verify(&db, std::slice::from_ref(&recorded)).await.unwrap(), Verdict::Intact { .. }));
        // The columns that were not hashed before are now.
        db.execute_unprepared(&format!("UPDATE audit_log SET region_path = '/37/3715/' WHERE id = {}", recorded.id)).await.unwrap();
        assert!(matches!(verify(&db, &[]).await.unwrap(), Verdict::Broken { id, .. } if id == recorded.id));
        db.execute_unprepared(&format!("UPDATE audit_log SET region_path = '/37/3714/371402/371402001/371402001009/', actor_id = 999 WHERE id = {}", recorded.id)).await.unwrap();
        assert!(matches!(verify(&db, &[]).await.unwrap(), Verdict::Broken { .. }));
        // Rewrite the whole chain with fresh hashes: consistent in itself, caught by the head.
        rechain(&db).await;
        assert!(matches!(verify(&db, &[]).await.unwrap(), Verdict::Intact { .. }), "a rewritten chain is consistent in itself");
        match verify(&db, std::slice::from_ref(&recorded)).await.unwrap() {
            Verdict::Broken { reason, .. } => assert!(reason.contains("rewritten"), "{reason}"),
            v => panic!("rewrite not caught: {v:?}"),
        }
        // The head the server keeps does not follow a rewritten chain.
        let data = std::env::temp_dir().join(format!("gongzhi_kept_{}_{}", std::process::id(), db.backend_name()));
        let url = format!("test:{}", db.backend_name());
        let mut kept = None;
        let first = gongzhi::audit_head::advance(&db, &data, &url, &mut kept).await.unwrap();
        assert!(matches!(first, gongzhi::audit_head::Advance::Moved(_)), "{first:?}");
        let before_forgery = kept.clone().unwrap();
        db.execute_unprepared(&format!("UPDATE audit_log SET actor = 'forger' WHERE id = {}", before_forgery.id)).await.unwrap();
        rechain(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "审计后小区"}])).await;
        let step = gongzhi::audit_head::advance(&db, &data, &url, &mut kept).await.unwrap();
        assert_eq!(step, gongzhi::audit_head::Advance::Refused { kept: before_forgery.clone() });
        assert_eq!(gongzhi::audit_head::read(&data, &url).unwrap(), Some(before_forgery), "the file keeps the proof");
        let _ = std::fs::remove_dir_all(&data);
        // Delete the newest rows: caught by the head.
        let fresh = head(&db).await.unwrap().unwrap();
        db.execute_unprepared(&format!("DELETE FROM audit_log WHERE id >= {}", fresh.id - 1)).await.unwrap();
        assert!(matches!(verify(&db, &[]).await.unwrap(), Verdict::Intact { .. }), "truncation alone leaves a consistent chain");
        match verify(&db, &[fresh]).await.unwrap() {
            Verdict::Broken { reason, .. } => assert!(reason.contains("removed"), "{reason}"),
            v => panic!("truncation not caught: {v:?}"),
        }
    }
}

/// Run futures at once (the calls race on the database).
async fn futures_join<F: std::future::Future<Output = Reply> + Send + 'static>(
    fs: impl IntoIterator<Item = F>,
) -> Vec<Reply> {
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// What a forger with the database would do: recompute every hash in order.
async fn rechain(db: &db::Db) {
    let (mut rows, _) = db::audit::list(db, None, domain::Paging::new(None, Some(200))).await.unwrap();
    rows.reverse();
    let mut prev = domain::audit::GENESIS.to_owned();
    for r in rows {
        let e = domain::audit::Entry {
            id: r.id,
            at: &r.at,
            actor_id: r.actor_id,
            actor: &r.actor,
            region_path: r.region_path.as_deref(),
            action: &r.action,
            entity: &r.entity,
            entity_id: &r.entity_id,
            before: &r.before,
            after: &r.after,
        };
        let h = domain::audit::hash(&prev, &e);
        db.execute_unprepared(&format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{h}', hash_version = 2 WHERE id = {}",
            r.id
        ))
        .await
        .unwrap();
        prev = h;
    }
}

db_test! {
    // Fuzz the registry loader: workbooks of random rows drawn from good,
    // bad and hostile values (a fixed seed, so a failure repeats). Each load
    // either writes or is refused with every error placed; a refused one
    // leaves the database exactly as it was, and no stored value breaks a read.
    async fn the_loader_takes_random_workbooks_all_or_nothing(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let pool: &[&str] = &[
            "", "371402001009", "371402001", "3714", "371402", "abc", "37140200100", cc_text(1), cc_text(2), "91371402MA0000017X",
            "13900000001", "13900000002", "1390000", "2024-01-01", "2024-13-45", "1999/2/3", "96", "-1", "0", "2",
            "99999999999999999999", "1e308", "NaN", "85.5", "1.234", "是", "否", "maybe", "company", "service_model",
            "party_branch", "owners_committee", "manager", "secretary", "building_head", "own_branch", "none",
            "in_office", "丰华小区", "1号楼", "名\u{0}字", "\u{FFFF}", "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长",
            "'; DROP TABLE compound; --", "<script>", "party_led", "professional", "branch", "community", "street",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let counts = |db: db::Db| async move {
            let mut out = Vec::new();
            for t in ["compound", "building", "unit", "organisation", "person", "post", "compound_fact", "audit_log"] {
                let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {t}");
                let row = sea_orm::ConnectionTrait::query_one_raw(db.conn(), sea_orm_stmt(&db, &sql)).await.unwrap().unwrap();
                let n: i64 = row.try_get("", "n").unwrap();
                out.push(n);
            }
            out
        };
        let (mut written, mut refused) = (0, 0);
        for round in 0..40 {
            let mut sheets = Vec::new();
            if round % 8 == 0 {
                // Now and then a good row among the noise: the writing path is exercised too.
                sheets.push(import::RawSheet::new("compounds", &["community_code", "name"], vec![vec!["371402001009".into(), format!("好小区{round}")]]));
            }
            for spec in import::SHEETS.iter() {
                if round % 8 == 0 {
                    break;
                }
                if next() % 3 != 0 {
                    continue;
                }
                let header: Vec<&str> = spec.cols.iter().map(|c| c.key).collect();
                let rows = (0..1 + next() % 6)
                    .map(|_| header.iter().map(|_| pool[(next() as usize) % pool.len()].to_owned()).collect())
                    .collect();
                sheets.push(import::RawSheet::new(spec.name, &header, rows));
            }
            let wb = import::Workbook { sheets };
            let before = counts(db.clone()).await;
            let tx = db.begin_write().await.unwrap();
            match import::load(&*tx, &crate::support::system(), &wb, &import::Reach::All, |_, _, _| {}).await {
                Ok(_) => {
                    tx.commit().await.unwrap();
                    written += 1;
                }
                Err(rejected) => {
                    drop(tx);
                    assert!(!rejected.0.is_empty());
                    for e in &rejected.0 {
                        assert!(!e.sheet.is_empty() && !e.en.is_empty() && !e.zh.is_empty(), "{e}");
                    }
                    assert_eq!(counts(db.clone()).await, before, "a refused workbook writes nothing");
                    refused += 1;
                }
            }
        }
        assert!(refused > 0);
        assert!(written >= 5, "every good workbook was written ({written})");
        for path in ["/api/v1/compounds?region=3714", "/api/v1/organisations", "/api/v1/people", "/compounds", "/organisations"] {
            assert_eq!(admin.get(path).await.status, 200, "{path}");
        }
        assert!(matches!(db::audit::verify(&db, &[]).await.unwrap(), db::audit::Verdict::Intact { .. }));
    }
}

fn cc_text(i: usize) -> &'static str {
    Box::leak(cc(i).into_boxed_str())
}

fn sea_orm_stmt(db: &db::Db, sql: &str) -> sea_orm::Statement {
    sea_orm::Statement::from_string(db.backend(), sql.to_owned())
}

db_test! {
    // 2 (review): a grid's worker cannot reach a compound of a sibling grid through the community-wide key.
    async fn a_grid_worker_cannot_reach_a_sibling_grids_compound(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let a = admin.json("POST", "/api/v1/regions/371402001009/grids", json!({"name": "甲网格"})).await.json()["code"].as_str().unwrap().to_owned();
        let b = admin.json("POST", "/api/v1/regions/371402001009/grids", json!({"name": "乙网格"})).await.json()["code"].as_str().unwrap().to_owned();
        let wa = App::anonymous(&db).with_token(&user_token(&db, "wa", "worker", &a).await);
        let wb = App::anonymous(&db).with_token(&user_token(&db, "wb", "worker", &b).await);
        rows(&wa, "compounds", json!([{"community_code": a, "name": "甲小区", "households": 100}])).await;
        // Taking it over by naming it from the other grid: refused, nothing moved.
        let r = wb.json("POST", "/api/v1/registry/compounds", json!([{"community_code": b, "name": "甲小区", "households": 1}])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("compounds!2:name"), "{}", r.body);
        let c = admin.get(&format!("/api/v1/compounds?region={a}")).await.json();
        assert_eq!((c["total"].as_i64(), c["items"][0]["households"].as_i64()), (Some(1), Some(100)));
        // Writing into it (a building, a fact): as if it did not exist.
        let r = wb.json("POST", "/api/v1/registry/buildings", json!([{"community_code": b, "compound": "甲小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("compound 甲小区"), "{}", r.body);
        // Its own grid's worker still can.
        rows(&wa, "buildings", json!([{"community_code": a, "compound": "甲小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
    }
}
