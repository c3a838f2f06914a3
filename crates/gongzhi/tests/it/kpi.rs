//! The KPIs against hand counts on a small registry, on both sides of each change.

use serde_json::{Value, json};

use crate::support::{App, dezhou};

async fn rows(app: &App, sheet: &str, body: Value) {
    let r = app.json("POST", &format!("/api/v1/registry/{sheet}"), body).await;
    assert_eq!(r.status, 200, "{sheet}: {}", r.body);
}

async fn kpis(app: &App, region: &str, date: &str) -> Value {
    let r = app.get(&format!("/api/v1/kpis?region={region}&as_of={date}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn k(v: &Value, key: &str) -> (i64, i64) {
    let x = v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == key).unwrap();
    (x["numerator"].as_i64().unwrap(), x["denominator"].as_i64().unwrap())
}

fn cc(i: usize) -> String {
    domain::org::CreditCode::complete(&format!("91371402MA{i:06}2")).unwrap().to_string()
}

db_test! {
    async fn kpis_match_hand_counts_as_of_any_date(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let (fh, ws) = ("371402001009", "371402001001");
        rows(&app, "compounds", json!([
            {"community_code": fh, "name": "A", "year_built": 1998},
            {"community_code": fh, "name": "B", "year_built": 2010},
            {"community_code": fh, "name": "C", "year_built": 2022},
            {"community_code": ws, "name": "D", "year_built": 2000},
        ])).await;
        rows(&app, "buildings", json!([{"community_code": fh, "compound": "A", "name": "1号楼", "floors": 2, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        rows(&app, "companies", json!([
            {"credit_code": cc(1), "name": "X物业", "region_code": "371402", "party_coverage": "own_branch"},
            {"credit_code": cc(2), "name": "Y物业", "region_code": "371402", "party_coverage": "instructor_only"},
        ])).await;
        rows(&app, "owners_committees", json!([{"community_code": fh, "compound": "A", "name": "A业委会", "status": "in_office"}])).await;
        rows(&app, "party_orgs", json!([
            {"region_code": fh, "name": "A党支部", "party_level": "compound_branch", "compound": "A"},
            {"region_code": fh, "name": "A业委会党小组", "party_level": "committee_branch", "covers": "A业委会", "established": "2021-03-01"},
        ])).await;
        rows(&app, "people", json!([
            {"phone": "13800000001", "name": "甲", "is_public_servant": true, "region_code": fh},
            {"phone": "13800000002", "name": "乙", "is_public_servant": false, "region_code": fh},
        ])).await;
        rows(&app, "posts", json!([
            {"phone": "13800000001", "role": "secretary", "org_kind": "party_org", "org": "A党支部", "region_code": fh, "start_date": "2020-06-01"},
            {"phone": "13800000001", "role": "member", "org_kind": "owners_committee", "org": "A业委会", "region_code": fh, "start_date": "2021-01-01"},
            {"phone": "13800000002", "role": "building_head", "region_code": fh, "compound": "A", "building": "1号楼", "start_date": "2020-01-01"},
        ])).await;
        rows(&app, "compound_history", json!([
            {"community_code": fh, "compound": "A", "kind": "service_model", "value": "none", "effective_from": "2020-01-01"},
            {"community_code": fh, "compound": "A", "kind": "service_model", "value": "party_led", "effective_from": "2021-07-01"},
            {"community_code": fh, "compound": "A", "kind": "company", "value": cc(1), "effective_from": "2021-07-01"},
            {"community_code": fh, "compound": "A", "kind": "owners_committee", "value": "A业委会", "effective_from": "2021-01-01"},
            {"community_code": fh, "compound": "A", "kind": "party_branch", "value": "A党支部", "effective_from": "2020-06-01"},
            {"community_code": fh, "compound": "B", "kind": "service_model", "value": "self_managed", "effective_from": "2020-01-01"},
            {"community_code": ws, "compound": "D", "kind": "service_model", "value": "professional", "effective_from": "2020-01-01"},
            {"community_code": ws, "compound": "D", "kind": "company", "value": cc(2), "effective_from": "2020-01-01"},
        ])).await;

        // A community party committee member manages the company serving A:
        // a cross-appointment at the community's level.
        rows(&app, "party_orgs", json!([{"region_code": fh, "name": "丰华社区党委", "party_level": "community_committee"}])).await;
        rows(&app, "people", json!([{"phone": "13800000003", "name": "丙", "is_public_servant": false, "region_code": fh}])).await;
        rows(&app, "posts", json!([
            {"phone": "13800000003", "role": "member", "org_kind": "party_org", "org": "丰华社区党委", "region_code": fh, "start_date": "2021-01-01"},
            {"phone": "13800000003", "role": "manager", "org_kind": "company", "org": cc(1), "region_code": "371402", "start_date": "2021-07-01"},
        ])).await;
        let cross = app.get("/api/v1/cross-appointments?region=371402001").await.json();
        let levels: Vec<(String, String)> = cross["items"].as_array().unwrap().iter()
            .map(|r| (r["person_name"].as_str().unwrap().to_owned(), r["party_level"].as_str().unwrap_or("").to_owned())).collect();
        assert!(levels.contains(&("丙".to_owned(), "community_committee".to_owned())), "{cross}");
        assert!(levels.contains(&("甲".to_owned(), "compound_branch".to_owned())), "{cross}");
        assert!(app.get("/cross-appointments").await.body.contains("社区党委（总支）"), "the level in words");

        // A red station opened in May 2021 serves A and B: one station, counted once, from its opening.
        rows(&app, "other_orgs", json!([{"kind": "red_station", "region_code": fh, "name": "丰华红色驿站", "established": "2021-05-01"}])).await;
        rows(&app, "compound_history", json!([
            {"community_code": fh, "compound": "A", "kind": "red_station", "value": "丰华红色驿站", "effective_from": "2021-05-01"},
            {"community_code": fh, "compound": "B", "kind": "red_station", "value": "丰华红色驿站", "effective_from": "2021-05-01"},
        ])).await;
        assert_eq!(kpis(&app, "371402001", "2021-06-30").await["red_stations"], 1);
        assert_eq!(kpis(&app, "371402001", "2021-04-30").await["red_stations"], 0, "not yet open");
        assert_eq!(kpis(&app, ws, "2021-06-30").await["red_stations"], 0, "not in another community");

        let street = "371402001";
        // The day before A's company and model change.
        let v = kpis(&app, street, "2021-06-30").await;
        assert_eq!(v["compounds"], 3, "A, B, D (C is built in 2022)");
        assert_eq!(k(&v, "professional_coverage"), (1, 3));
        assert_eq!(k(&v, "full_coverage"), (2, 3));
        assert_eq!(k(&v, "committee_formation"), (1, 3));
        assert_eq!(k(&v, "compound_party_coverage"), (1, 3));
        assert_eq!(k(&v, "company_party_coverage"), (0, 1), "only Y serves, and Y has an instructor only");
        assert_eq!(v["company_instructor_only"], 1);
        assert_eq!(k(&v, "committee_party_coverage"), (1, 1));
        assert_eq!(k(&v, "servants_two_committees"), (1, 1));
        assert_eq!(k(&v, "servants_building_heads"), (0, 1));
        assert_eq!(k(&v, "cross_appointment"), (1, 1));
        // The day of the change.
        let v = kpis(&app, street, "2021-07-01").await;
        assert_eq!(k(&v, "professional_coverage"), (2, 3));
        assert_eq!(k(&v, "company_party_coverage"), (1, 2));
        // The committee exists from January 2021, its party group from March.
        let v = kpis(&app, street, "2021-02-28").await;
        assert_eq!(k(&v, "committee_party_coverage"), (0, 1));
        // But the branch secretary sits on it: the party reaches it in its work already.
        let work = &v["committee_work_coverage"];
        assert_eq!((work["numerator"].as_i64(), work["denominator"].as_i64()), (Some(1), Some(1)), "{v}");
        assert_eq!(k(&kpis(&app, street, "2021-03-01").await, "committee_party_coverage"), (1, 1));
        // Before the committee and the cross-appointment existed.
        let v = kpis(&app, street, "2020-12-31").await;
        assert_eq!(k(&v, "committee_formation"), (0, 3));
        assert_eq!(k(&v, "cross_appointment"), (0, 1));
        assert_eq!(k(&v, "committee_party_coverage"), (0, 0));
        // Before the branch: no two-committee members at all.
        let v = kpis(&app, street, "2020-05-31").await;
        assert_eq!(k(&v, "servants_two_committees"), (0, 0));
        // 2022: C joins the base.
        let v = kpis(&app, street, "2022-06-30").await;
        assert_eq!(v["compounds"], 4);
        assert_eq!(k(&v, "professional_coverage"), (2, 4));
        // 甲 leaves public service at the start of 2022: past months keep the status of their time.
        rows(&app, "people", json!([{"phone": "13800000001", "name": "甲", "is_public_servant": false, "region_code": fh, "servant_from": "2022-01-01"}])).await;
        assert_eq!(k(&kpis(&app, street, "2021-06-30").await, "servants_two_committees"), (1, 1));
        assert_eq!(k(&kpis(&app, street, "2022-06-30").await, "servants_two_committees"), (0, 1));
        let drill = app.get(&format!("/dashboard/drill?region={street}&as_of=2021-06-30&kpi=servants_two_committees")).await.body;
        assert!(!drill.contains(">甲<"), "not failing in 2021: {drill}");
        // A change dated before the status it replaces began is refused, naming the column.
        let r = app.json("POST", "/api/v1/registry/people", json!([{"phone": "13800000001", "name": "甲", "is_public_servant": true, "region_code": fh, "servant_from": "2021-01-01"}])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("people!2:servant_from") && r.body.contains("须晚于"), "{}", r.body);
        // A region without compounds: no division by zero, shown as "—".
        let v = kpis(&app, "371402001002", "2022-06-30").await;
        assert_eq!(v["compounds"], 0);
        let first = &v["kpis"][0];
        assert_eq!((first["text"].as_str(), first["permille"].is_null()), (Some("—"), true));
        // A community's figures are its own; the children ranking has them all.
        let v = kpis(&app, ws, "2021-06-30").await;
        assert_eq!(k(&v, "professional_coverage"), (1, 1));
        let kids = app.get(&format!("/api/v1/kpis/children?region={street}&as_of=2021-06-30")).await.json();
        assert_eq!(kids.as_array().unwrap().len(), 19);
        // The trend's counts, all dates at once, are the same as one date at a time (B retired today).
        let b_id = app.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"].as_array().unwrap().iter().find(|c| c["name"] == "B").unwrap()["id"].as_i64().unwrap();
        assert_eq!(app.json("POST", &format!("/api/v1/compounds/{b_id}/retire"), json!({})).await.status, 200);
        let path = domain::RegionCode::parse(street).unwrap().path();
        let today = domain::clock::today();
        let mut dates: Vec<chrono::NaiveDate> = ["2019-12-31", "2020-01-01", "2020-05-31", "2020-06-01", "2021-02-28", "2021-06-30", "2021-07-01", "2022-01-01"]
            .iter().map(|d| d.parse().unwrap()).collect();
        dates.extend([today.pred_opt().unwrap(), today, today.succ_opt().unwrap()]);
        let series = db::kpi::base_series(&db, &path, &dates).await.unwrap();
        for (d, got) in dates.iter().zip(&series) {
            assert_eq!(*got, db::kpi::base_counts(&db, &path, *d).await.unwrap(), "on {d}");
        }
        assert_eq!(series[8].n - series[9].n, 1, "retired today: counted yesterday, not today");
        let page = app.get(&format!("/dashboard?region={street}&as_of=2021-06-30")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("33.3%") && page.body.contains("丰华社区居委会"), "cards and ranking");
        assert!(page.body.contains("<svg") && page.body.contains("<polyline"), "the trend chart");
        assert!(app.get("/kpis").await.body.contains("专业化物业服务覆盖率"));
        // Drill-down: which compounds and companies fail.
        let d = app.get(&format!("/dashboard/drill?region={street}&as_of=2021-06-30&kpi=professional_coverage")).await;
        assert_eq!(d.status, 200);
        assert!(d.body.contains("共 2 条"), "A and B are not professionally served yet");
        let d = app.get(&format!("/dashboard/drill?region={street}&as_of=2021-07-01&kpi=company_party_coverage")).await;
        assert!(d.body.contains("Y物业") && !d.body.contains("X物业"));
        assert_eq!(app.get(&format!("/dashboard/drill?region={street}&as_of=2021-07-01&kpi=nonsense")).await.status, 404);
        // The bulletin of June 2021 for the street, as Excel, read back.
        let cells = |bytes: &[u8]| -> Vec<Vec<String>> {
            import::read_xlsx(bytes).unwrap().sheets.into_iter().flat_map(|s| s.rows).collect()
        };
        let get = |app: App| async move {
            let r = app.get(&format!("/dashboard/bulletin.xlsx?region={street}&month=2021-06")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.header("content-disposition").contains("bulletin-371402001-2021-06.xlsx"));
            r
        };
        let first = get(app.clone()).await;
        let bytes = first.body_bytes.clone();
        let june = cells(&bytes);
        let flat: Vec<&str> = june.iter().flatten().map(|s| s.as_str()).collect();
        assert!(flat.iter().any(|c| c.contains("新湖街道红色物业工作月度调度通报（2021-06）")));
        assert!(flat.contains(&"0.333"), "professional coverage of the street, as a number (shown 33.3%): {flat:?}");
        let part = |name: &str| {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut xml).unwrap();
            xml
        };
        assert!(part("xl/styles.xml").contains("formatCode=\"0.0%\""), "shares carry a percent format");
        assert!(part("xl/charts/chart1.xml").contains("<c:barChart>"), "each ranking has its chart");
        assert!(flat.contains(&"丰华社区居委会"));
        // A later change does not alter a past month's bulletin — of a compound, or of a company.
        rows(&app, "compound_history", json!([
            {"community_code": fh, "compound": "B", "kind": "service_model", "value": "professional", "effective_from": "2021-08-01"},
        ])).await;
        rows(&app, "companies", json!([
            {"credit_code": cc(2), "name": "Y物业", "region_code": "371402", "party_coverage": "own_branch", "party_coverage_from": "2021-08-01"},
        ])).await;
        assert_eq!(cells(&get(app.clone()).await.body_bytes), june);
        assert_eq!(k(&kpis(&app, street, "2021-07-31").await, "company_party_coverage"), (1, 2));
        assert_eq!(k(&kpis(&app, street, "2021-08-01").await, "company_party_coverage"), (2, 2), "Y has its own branch now");
        let y = app.get("/api/v1/organisations?kind=company").await.json()["items"].as_array().unwrap().iter().find(|o| o["name"] == "Y物业").unwrap()["id"].clone();
        let page = app.get(&format!("/organisations/{y}")).await.body;
        assert!(page.contains("党组织覆盖变化") && page.contains("1990-01-01 – 2021-08-01") && page.contains("2021-08-01 – 至今"), "{page}");
        // A coverage change must come after the value it replaces.
        let r = app.json("POST", "/api/v1/registry/companies", json!([
            {"credit_code": cc(2), "name": "Y物业", "region_code": "371402", "party_coverage": "none", "party_coverage_from": "2021-05-01"},
        ])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("party_coverage_from"), "{}", r.body);
        // The bulletin as data.
        let j = app.get(&format!("/api/v1/bulletin?region={street}&month=2021-07")).await;
        assert_eq!(j.status, 200, "{}", j.body);
        let j = j.json();
        let prof = j["sections"].as_array().unwrap().iter().find(|s| s["kpi"] == "professional_coverage").unwrap();
        assert_eq!((prof["region_value"]["num"].as_i64(), prof["region_value"]["den"].as_i64()), (Some(2), Some(3)));
        let fh_row = prof["rows"].as_array().unwrap().iter().find(|r| r["code"] == fh).unwrap();
        assert_eq!(fh_row["change"], 500, "丰华社区: 0 of 2 in June, 1 of 2 in July");
        assert!(j["summary"][0].as_str().unwrap().contains("新湖街道"));
        // The Word form of the same bulletin.
        let w = app.get(&format!("/dashboard/bulletin.docx?region={street}&month=2021-06")).await;
        assert_eq!(w.status, 200);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(w.body_bytes.clone())).expect("a .docx is a zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        for s in ["新湖街道红色物业工作月度调度通报", "（2021-06）", "专业化物业服务覆盖率", "丰华社区居委会", "33.3%", "分子/分母", "0/2", "<w:pStyle w:val=\"Heading1\" />", "<w:gridCol w:w="] {
            assert!(xml.contains(s), "the Word bulletin lacks {s}");
        }
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains("heading 1"), "Word's own heading style, so the outline works");
        assert!(xml.contains("<a:blip") && xml.contains("图：专业化物业服务覆盖率本月排名"), "each ranking has its chart, captioned");
        let media: Vec<String> = zip.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).filter(|n| n.starts_with("word/media/") && n.ends_with(".png")).collect();
        assert!(!media.is_empty(), "the chart images are in the document");
        let mut png = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&media[0]).unwrap(), &mut png).unwrap();
        assert_eq!(&png[..4], b"\x89PNG");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gongzhi"))
            .args(["report", "bulletin", "--region", street, "--month", "2021-6x", "--out", "/tmp/x.xlsx"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("is not a month"));
        // Scope: an officer of another street sees neither figures nor page.
        let other = App::anonymous(&db).with_token(&crate::support::user_token(&db, "o2", "officer", "371402002").await);
        assert_eq!(other.get(&format!("/api/v1/kpis?region={street}")).await.status, 404);
        assert_eq!(other.get(&format!("/dashboard?region={street}")).await.status, 404);
        assert_eq!(other.get(&format!("/dashboard/bulletin.xlsx?region={street}&month=2021-06")).await.status, 404);
        // A committee whose term has ended (届满) is no longer in office: it leaves the figures that day,
        // its members leave the two committees, the trend agrees.
        rows(&app, "owners_committees", json!([{"community_code": fh, "compound": "A", "name": "A业委会", "status": "in_office", "term_start": "2021-01-01", "term_end": "2024-01-01"}])).await;
        let before = kpis(&app, street, "2023-12-31").await;
        let after = kpis(&app, street, "2024-01-01").await;
        assert_eq!((k(&before, "committee_formation").0, k(&after, "committee_formation").0), (1, 0));
        assert_eq!((k(&before, "committee_party_coverage").1, k(&after, "committee_party_coverage").1), (1, 0));
        assert_eq!((k(&before, "cross_appointment").0, k(&after, "cross_appointment").0), (1, 0));
        let dates: Vec<chrono::NaiveDate> = ["2023-12-31", "2024-01-01"].iter().map(|d| d.parse().unwrap()).collect();
        let series = db::kpi::base_series(&db, &path, &dates).await.unwrap();
        assert_eq!((series[0].committee, series[1].committee), (1, 0));
    }
}

db_test! {
    async fn the_plan_and_stricter_regional_targets(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let plan = admin.get("/api/v1/plan").await.json();
        assert_eq!(plan["name"], "红色物业三年行动 2020–2022");
        assert_eq!(plan["targets"].as_array().unwrap().len(), 15, "five KPIs × three yearly milestones");
        let target = |v: &Value| {
            v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == "professional_coverage").unwrap()["target_permille"].clone()
        };
        assert_eq!(target(&kpis(&admin, "3714", "2021-06-30").await), 700, "the 2021 milestone");
        assert_eq!(target(&kpis(&admin, "3714", "2026-01-01").await), 800, "after the plan: its end target");

        let sup = App::anonymous(&db).with_token(&crate::support::user_token(&db, "sup", "supervisor", "3714").await);
        let r = sup.json("PUT", "/api/v1/plan/targets", json!({"kpi": "professional_coverage", "year": 2022, "region": "3714", "percent": 85})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(target(&kpis(&admin, "371402", "2022-12-31").await), 850, "Dezhou's stricter target reaches its counties");
        assert_eq!(target(&kpis(&admin, "37", "2022-12-31").await), 800, "but not the province");
        let r = sup.json("PUT", "/api/v1/plan/targets", json!({"kpi": "professional_coverage", "year": 2022, "percent": 50})).await;
        assert_eq!(r.status, 403, "general targets are the administrator's");
        let r = sup.json("PUT", "/api/v1/plan/targets", json!({"kpi": "professional_coverage", "year": 2022, "region": "3715", "percent": 50})).await;
        assert_eq!(r.status, 404);
        let r = sup.json("PUT", "/api/v1/plan/targets", json!({"kpi": "professional_coverage", "year": 2030, "region": "3714", "percent": 50})).await;
        assert_eq!(r.status, 422, "outside the plan's years");
        let officer = App::anonymous(&db).with_token(&crate::support::user_token(&db, "off", "officer", "371402").await);
        let r = officer.json("PUT", "/api/v1/plan/targets", json!({"kpi": "professional_coverage", "year": 2022, "region": "371402", "percent": 90})).await;
        assert_eq!(r.status, 403);
        let page = sup.get("/plan").await;
        assert!(page.status == 200 && page.body.contains("85.0%") && page.body.contains("设置目标"));
        assert!(!officer.get("/plan").await.body.contains("设置目标"));
    }
}
