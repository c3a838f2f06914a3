//! Residents' problems: the loop from report to rating, review of a
//! rejection, and deadlines swept with a moved clock.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::{App, dezhou, multipart, user_token};

fn cc() -> String {
    domain::org::CreditCode::complete("91371402MA0000771").unwrap().to_string()
}

async fn rows(app: &App, sheet: &str, body: Value) {
    let r = app.json("POST", &format!("/api/v1/registry/{sheet}"), body).await;
    assert_eq!(r.status, 200, "{sheet}: {}", r.body);
}

db_test! {
    async fn a_problem_goes_from_report_to_rating(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        rows(&admin, "compounds", json!([{"community_code": fh, "name": "丰华小区"}, {"community_code": fh, "name": "无物业小区"}])).await;
        rows(&admin, "buildings", json!([{"community_code": fh, "compound": "丰华小区", "name": "1号楼", "floors": 2, "entrances": 1, "units_per_floor": 2, "unit_area": 80}])).await;
        rows(&admin, "companies", json!([{"credit_code": cc(), "name": "丰华物业", "region_code": "371402", "party_coverage": "own_branch"}])).await;
        rows(&admin, "compound_history", json!([{"community_code": fh, "compound": "丰华小区", "kind": "company", "value": cc(), "effective_from": "2020-01-01"}])).await;
        let list = admin.get("/api/v1/compounds?region=371402001009").await.json();
        let id_of = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["id"].as_i64().unwrap();
        let (served, unserved) = (id_of("丰华小区"), id_of("无物业小区"));
        let b = admin.get(&format!("/api/v1/compounds/{served}/buildings")).await.json();
        let units = admin.get(&format!("/api/v1/buildings/{}", b[0]["id"])).await.json();
        let (u1, u2) = (units["units"][0]["id"].as_i64().unwrap(), units["units"][1]["id"].as_i64().unwrap());
        let company_id = admin.get("/api/v1/organisations?kind=company").await.json()["items"][0]["id"].as_i64().unwrap();

        let resident = App::anonymous(&db).with_token(&user_token(&db, "r1", "resident", &format!("unit:{u1}")).await);
        let neighbour = App::anonymous(&db).with_token(&user_token(&db, "r2", "resident", &format!("unit:{u2}")).await);
        let company = App::anonymous(&db).with_token(&user_token(&db, "wy", "company", &format!("company:{company_id}")).await);
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        let street = App::anonymous(&db).with_token(&user_token(&db, "jd", "supervisor", "371402001").await);

        // A resident reports; it goes to the serving company.
        let r = resident.json("POST", "/api/v1/problems", json!({"compound_id": served, "category": "utilities", "description": "停水", "location": "3号楼2单元"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let p = r.json();
        let id = p["id"].as_i64().unwrap();
        assert_eq!((p["handler_kind"].as_str(), p["state"].as_str()), (Some("company"), Some("submitted")));
        assert_eq!(p["location"], "3号楼2单元");
        assert_eq!(resident.get("/api/v1/problems").await.json()["total"], 1);
        assert_eq!(neighbour.get("/api/v1/problems").await.json()["total"], 0, "a neighbour does not see it");
        assert_eq!(neighbour.get(&format!("/api/v1/problems/{id}")).await.status, 404);
        assert_eq!(company.get("/api/v1/problems").await.json()["total"], 1, "in the company's inbox");
        // Only the handler moves it; the resident cannot accept.
        assert_eq!(resident.json("POST", &format!("/api/v1/problems/{id}/steps"), json!({"step": "accept"})).await.status, 403);
        for s in ["accept", "start", "resolve"] {
            let r = company.json("POST", &format!("/api/v1/problems/{id}/steps"), json!({"step": s})).await;
            assert_eq!(r.status, 200, "{s}: {}", r.body);
        }
        // Not satisfied: reopened; resolved again; satisfied: closed.
        let r = resident.json("POST", &format!("/api/v1/problems/{id}/rating"), json!({"rating": "unsatisfied"})).await;
        assert_eq!(r.json()["state"], "reopened");
        for s in ["accept", "resolve"] {
            company.json("POST", &format!("/api/v1/problems/{id}/steps"), json!({"step": s})).await;
        }
        assert_eq!(neighbour.json("POST", &format!("/api/v1/problems/{id}/rating"), json!({"rating": "satisfied"})).await.status, 404);
        let r = resident.json("POST", &format!("/api/v1/problems/{id}/rating"), json!({"rating": "basically_satisfied"})).await;
        assert_eq!(r.json()["state"], "closed");
        let tl = resident.get(&format!("/api/v1/problems/{id}")).await.json()["timeline"].clone();
        let steps: Vec<&str> = tl.as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["submit", "accept", "start", "resolve", "rate:unsatisfied", "accept", "resolve", "rate:basically_satisfied"]);

        // Without a company the community handles it; a rejection is reviewed by the street.
        let r = worker.json("POST", "/api/v1/problems", json!({"compound_id": unserved, "category": "environment", "description": "垃圾清运不及时"})).await;
        let id2 = r.json()["id"].as_i64().unwrap();
        assert_eq!(r.json()["handler_kind"], "community");
        assert_eq!(company.get(&format!("/api/v1/problems/{id2}")).await.status, 404);
        let r = worker.json("POST", &format!("/api/v1/problems/{id2}/steps"), json!({"step": "reject"})).await;
        assert_eq!(r.status, 422, "a rejection needs a reason");
        let r = worker.json("POST", &format!("/api/v1/problems/{id2}/steps"), json!({"step": "reject", "note": "不属于物业范围"})).await;
        assert_eq!(r.json()["state"], "rejected");
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{id2}/steps"), json!({"step": "overturn_rejection"})).await.status, 422);
        let r = street.json("POST", &format!("/api/v1/problems/{id2}/steps"), json!({"step": "overturn_rejection", "note": "应予处理"})).await;
        assert_eq!(r.json()["state"], "reopened");

        // The same loop through the pages, at phone width as residents use them.
        let page = resident.get("/problems").await;
        assert!(page.status == 200 && page.body.contains("我要反映问题") && page.body.contains("丰华小区"));
        assert!(!page.body.contains("href=\"/dashboard\""), "no links a resident cannot use");
        assert!(!page.body.contains("href=\"/organisations\"") && !page.body.contains("href=\"/people\""));
        assert!(company.get("/problems").await.body.contains("href=\"/organisations\""), "staff have them");
        assert_eq!(resident.get("/").await.header("location"), "/problems", "residents start at their reports");
        assert!(street.get("/problems").await.body.contains("href=\"/dashboard\""));
        let r = resident.send(multipart("/problems", &[("compound_id", served.to_string().as_str()), ("category", "repair"), ("description", "楼道灯坏了")], &[])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let at = r.header("location").to_owned();
        let pid = at.rsplit('/').next().unwrap().to_owned();
        assert!(resident.get(&at).await.body.contains("楼道灯坏了"));
        let inbox = company.get("/problems").await.body;
        assert!(inbox.contains(&format!("/problems/{pid}")));
        let detail = company.get(&at).await.body;
        assert!(detail.contains("value=\"accept\"") && detail.contains("value=\"reject\""), "the handler's buttons");
        assert!(detail.contains(r#"value="accept">"#) && detail.contains(r#"value="reject" class="danger">"#), "a refusal is marked");
        assert!(!resident.get(&at).await.body.contains("value=\"accept\""), "residents get none");
        for s in ["accept", "resolve"] {
            assert_eq!(company.form(&format!("{at}/steps"), &[("step", s)]).await.status, 303);
        }
        assert!(resident.get(&at).await.body.contains("value=\"basically_satisfied\""), "the reporter may rate now");
        assert_eq!(resident.form(&format!("{at}/rating"), &[("rating", "satisfied")]).await.status, 303);
        assert!(resident.get(&at).await.body.contains("已关闭"));
        let page = resident.get(&at).await.body;
        assert!(page.contains("评价 · 满意") && !page.contains("rate:"), "the timeline reads in Chinese");

        // Photos: checked by content, stored by hash, served only to those who see the problem.
        let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64][..]].concat();
        let upload = |app: &App, bytes: Vec<u8>| {
            let app = app.clone();
            async move {
                app.send(axum::http::Request::post(format!("/api/v1/problems/{id}/photos")).body(axum::body::Body::from(bytes)).unwrap()).await
            }
        };
        let r = upload(&resident, png.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["mime"], "image/png");
        let url = r.json()["url"].as_str().unwrap().to_owned();
        assert_eq!(upload(&resident, b"GIF89a....".to_vec()).await.status, 422);
        assert_eq!(upload(&resident, vec![0xFF; 6 * 1024 * 1024]).await.status, 413);
        assert_eq!(upload(&neighbour, png.clone()).await.status, 404);
        let got = company.get(&url).await;
        assert_eq!((got.status.as_u16(), got.header("content-type")), (200, "image/png"));
        assert_eq!(got.body_bytes, png);
        assert_eq!(neighbour.get(&url).await.status, 404);
        assert!(company.get(&format!("/problems/{id}")).await.body.contains(&url));
        // From the phone form, in one go.
        let r = resident.send(multipart("/problems", &[("compound_id", served.to_string().as_str()), ("category", "repair"), ("description", "窗户玻璃碎了")], &[("photo", &png)])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = resident.get(r.header("location")).await.body;
        assert!(page.contains("窗户玻璃碎了") && page.contains("/photos/"), "the report carries its photo");
        let pid2 = r.header("location").rsplit('/').next().unwrap().to_owned();
        company.json("POST", &format!("/api/v1/problems/{pid2}/steps"), json!({"step": "reject", "note": "测试"})).await;

        // Deadlines, with the clock moved: utilities are due in 24 h.
        let r = resident.json("POST", "/api/v1/problems", json!({"compound_id": served, "category": "utilities", "description": "电梯停运"})).await;
        let id3 = r.json()["id"].as_i64().unwrap();
        // The same kind of problem again in the same compound is pointed out.
        let r = neighbour.json("POST", "/api/v1/problems", json!({"compound_id": served, "category": "utilities", "description": "电梯又坏了"})).await;
        assert_eq!(r.json()["possible_duplicates"], json!([id3]));
        let dup = r.json()["id"].as_i64().unwrap();
        assert!(company.get(&format!("/problems/{dup}")).await.body.contains(&format!("/problems/{id3}")));
        assert!(!neighbour.get(&format!("/problems/{dup}")).await.body.contains(&format!("/problems/{id3}")), "not another resident's report");
        company.json("POST", &format!("/api/v1/problems/{dup}/steps"), json!({"step": "reject", "note": "重复"})).await;
        let now = Utc::now();
        assert_eq!(db::problems::sweep(&db, now).await.unwrap().escalated, 0);
        let s = db::problems::sweep(&db, now + Duration::hours(25)).await.unwrap();
        assert!(s.marked_overdue >= 1);
        let p = db::problems::get(&db, id3).await.unwrap();
        assert!(p.overdue);
        assert_eq!(p.supervised_at, "street");
        let sup = db::problems::supervision(&db, Some(&domain::RegionCode::parse("371402001").unwrap())).await.unwrap();
        let row = sup.iter().find(|x| x.code == "371402001009").unwrap();
        assert_eq!((row.overdue, row.escalated), (2, 2), "both open problems of 丰华社区 (the reopened one too) are late");
        assert!(row.open >= 2);
        assert_eq!(sup[0].code, "371402001009", "worst first");
        let dash = street.get("/dashboard?region=371402001").await.body;
        assert!(dash.contains("诉求督办") && dash.contains("丰华社区居委会"));
        db::problems::sweep(&db, now + Duration::hours(49)).await.unwrap();
        assert_eq!(db::problems::get(&db, id3).await.unwrap().supervised_at, "county");
        assert_eq!(company.get("/api/v1/problems").await.json()["items"][0]["id"], id3, "overdue first in the inbox");
        // A resolved problem nobody rates closes itself after seven days.
        for s in ["accept", "resolve"] {
            company.json("POST", &format!("/api/v1/problems/{id3}/steps"), json!({"step": s})).await;
        }
        let resolved = db::problems::get(&db, id3).await.unwrap().resolved_at.unwrap();
        db::problems::sweep(&db, resolved + Duration::days(6)).await.unwrap();
        assert_eq!(db::problems::get(&db, id3).await.unwrap().state.as_str(), "resolved");
        let s = db::problems::sweep(&db, resolved + Duration::days(7)).await.unwrap();
        assert_eq!(s.auto_closed, 1);
        assert_eq!(db::problems::get(&db, id3).await.unwrap().state.as_str(), "closed");

        // The month's hotline rates: six reported; three answered and resolved in time; two rated, both satisfied.
        let r = street.get("/api/v1/problems/rates?region=371402001").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        assert_eq!(v["submitted"], 6);
        assert_eq!((v["response_rate"].as_str(), v["resolution_rate"].as_str()), (Some("50.0%"), Some("50.0%")));
        assert_eq!((v["on_time_rate"].as_str(), v["satisfaction_rate"].as_str()), (Some("100.0%"), Some("100.0%")));
        let r = street.get(&format!("/api/v1/problems/rates?region=371402001&company={company_id}")).await.json();
        assert_eq!((r["submitted"].as_i64(), r["response_rate"].as_str()), (Some(5), Some("60.0%")), "the company's own");
        assert_eq!(neighbour.get("/api/v1/problems/rates?region=371402001").await.status, 404);
        let dash = street.get("/dashboard?region=371402001").await;
        assert!(dash.body.contains("响应率") && dash.body.contains("50.0%"));
        // Per company and per child region on the dashboard and in the bulletin.
        assert!(dash.body.contains("各物业企业诉求办理") && dash.body.contains(&format!("/organisations/{company_id}")));
        assert!(dash.body.contains("各区划诉求办理"));
        let month = (Utc::now() + Duration::hours(8)).format("%Y-%m").to_string();
        let b = street.get(&format!("/api/v1/bulletin?region=371402001&month={month}")).await.json();
        let firms = b["problem_companies"].as_array().unwrap();
        assert_eq!(firms.len(), 1, "the community-handled problem belongs to no company");
        assert_eq!((firms[0]["name"].as_str(), firms[0]["rates"]["submitted"].as_i64()), (Some("丰华物业"), Some(5)));
        assert_eq!((firms[0]["rates"]["responded"].as_i64(), firms[0]["rates"]["satisfied"].as_i64()), (Some(3), Some(2)));
        let fh_row = b["problem_regions"].as_array().unwrap().iter().find(|g| g["key"] == "371402001009").unwrap().clone();
        assert_eq!(fh_row["rates"]["submitted"], 6);
        assert!(b["problem_regions"].as_array().unwrap().iter().filter(|g| g["key"] != "371402001009").all(|g| g["rates"]["submitted"] == 0));
        let x = street.get(&format!("/dashboard/bulletin.xlsx?region=371402001&month={month}")).await;
        let sheet = import::read_xlsx(&x.body_bytes).unwrap().sheets.into_iter().find(|s| s.name == "诉求办理").unwrap();
        let firm = sheet.rows.iter().find(|r| r.first().is_some_and(|c| c == "丰华物业")).expect("the company's row");
        assert_eq!(firm[1..], ["5", "0.6", "0.6", "1", "1"], "counts and shares as numbers (shown as 60.0% …)");
        let w = street.get(&format!("/dashboard/bulletin.docx?region=371402001&month={month}")).await;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(w.body_bytes.clone())).expect("a .docx is a zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        assert!(xml.contains("群众诉求办理情况") && xml.contains("丰华物业") && xml.contains("60.0%"));
    }
}

db_test! {
    async fn open311_as_a_client_drives_it(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        rows(&admin, "compounds", json!([{"community_code": "371402001009", "name": "丰华小区"}, {"community_code": "371428001002", "name": "畅和名居"}])).await;
        let list = admin.get("/api/v1/compounds").await.json();
        let id_of = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["id"].as_i64().unwrap();
        let (mine, elsewhere) = (id_of("丰华小区"), id_of("畅和名居"));
        let key = user_token(&db, "hotline", "worker", "371402001009").await;
        let anon = App::anonymous(&db);
        let post = |body: String| {
            axum::http::Request::post("/open311/v2/requests.json")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap()
        };

        // Discovery and services need no key, in JSON and XML.
        let d = anon.get("/open311/v2/discovery.json").await;
        assert_eq!(d.status, 200);
        assert_eq!(d.json()["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
        let x = anon.get("/open311/v2/discovery.xml").await;
        assert!(x.header("content-type").starts_with("text/xml") && x.body.contains("<endpoints><endpoint>"));
        let s = anon.get("/open311/v2/services.json").await.json();
        assert_eq!(s.as_array().unwrap().len(), 10, "the installed categories");
        assert!(s.as_array().unwrap().iter().any(|v| v["service_code"] == "utilities"));
        assert!(anon.get("/open311/v2/services.xml").await.body.contains("<service_code>emergency</service_code>"));
        assert_eq!(anon.get("/open311/v2/services.csv").await.status, 404);

        // Creating needs a valid key; errors are a list of {code, description}.
        let r = anon.send(post(format!("service_code=repair&address_id={mine}&description=x"))).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()[0]["code"], 403);
        let r = anon.send(post(format!("api_key=gz_wrong&service_code=repair&address_id={mine}&description=x"))).await;
        assert_eq!(r.status, 403);
        let r = anon.send(post(format!("api_key={key}&service_code=plumbing&address_id={mine}&description=x"))).await;
        assert_eq!(r.status, 404, "an unknown service");
        assert!(r.json()[0]["description"].as_str().unwrap().contains("service_code"));
        let r = anon.send(post(format!("api_key={key}&service_code=repair&description=x"))).await;
        assert_eq!(r.status, 400, "address_id is required");
        let r = anon.send(post(format!("api_key={key}&service_code=repair&address_id={elsewhere}&description=x"))).await;
        assert_eq!(r.status, 404, "outside the key's scope");
        let r = anon.send(post(format!("api_key={key}&service_code=repair&address_id={mine}&description="))).await;
        assert_eq!(r.status, 400, "a description is required");
        let r = anon.send(post(format!(
            "api_key={key}&service_code=repair&address_id={mine}&address_string={}&description={}",
            crate::support::enc("5号楼"),
            crate::support::enc("单元门禁坏了")
        )))
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()[0]["service_request_id"].as_i64().unwrap().to_string();

        // Fetch it, list it, in both formats.
        let one = anon.get(&format!("/open311/v2/requests/{id}.json?api_key={key}")).await;
        assert_eq!(one.status, 200, "{}", one.body);
        let v = one.json();
        assert_eq!((v[0]["status"].as_str(), v[0]["service_code"].as_str()), (Some("open"), Some("repair")));
        assert_eq!(v[0]["description"], "单元门禁坏了");
        assert_eq!(v[0]["address_id"], mine);
        assert_eq!(v[0]["address"], "丰华小区 5号楼");
        let xml = anon.get(&format!("/open311/v2/requests/{id}.xml?api_key={key}")).await.body;
        assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id>")) && xml.contains("<status>open</status>"));
        // Without a key: the public view, the place inside the compound left out.
        let public = anon.get(&format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!((public.status.as_u16(), public.json()[0]["address"].as_str()), (200, Some("丰华小区")));
        assert_eq!(anon.get(&format!("/open311/v2/requests/99999.json?api_key={key}")).await.status, 404);
        assert_eq!(anon.get(&format!("/open311/v2/requests/abc.json?api_key={key}")).await.status, 400);
        let open = anon.get(&format!("/open311/v2/requests.json?api_key={key}&status=open")).await.json();
        assert_eq!(open.as_array().unwrap().len(), 1);
        let closed = anon.get(&format!("/open311/v2/requests.xml?api_key={key}&status=closed")).await.body;
        assert!(closed.contains("<service_requests></service_requests>"));
        assert_eq!(anon.get(&format!("/open311/v2/requests.json?api_key={key}&status=maybe")).await.status, 400);
        // The spec's other filters: ids, service_code, start_date / end_date (ISO 8601).
        let r = anon.send(post(format!("api_key={key}&service_code=roads&address_id={mine}&description=x2"))).await;
        let id2 = r.json()[0]["service_request_id"].as_i64().unwrap().to_string();
        let list = |q: String| {
            let (anon, key) = (anon.clone(), key.clone());
            async move {
                let r = anon.get(&format!("/open311/v2/requests.json?api_key={key}&{q}")).await;
                assert_eq!(r.status, 200, "{q}: {}", r.body);
                let mut ids: Vec<String> =
                    r.json().as_array().unwrap().iter().map(|v| v["service_request_id"].as_i64().unwrap().to_string()).collect();
                ids.sort();
                ids
            }
        };
        let mut both = vec![id.clone(), id2.clone()];
        both.sort();
        assert_eq!(list(String::new()).await, both);
        assert_eq!(list(format!("service_request_id={id2}")).await, vec![id2.clone()]);
        assert_eq!(list("service_code=roads".into()).await, vec![id2.clone()]);
        let hour_ago = crate::support::enc(&(Utc::now() - Duration::hours(1)).to_rfc3339());
        let in_an_hour = crate::support::enc(&(Utc::now() + Duration::hours(1)).to_rfc3339());
        assert_eq!(list(format!("start_date={hour_ago}&end_date={in_an_hour}")).await, both);
        assert!(list(format!("start_date={in_an_hour}")).await.is_empty());
        assert!(list(format!("end_date={hour_ago}")).await.is_empty());
        assert_eq!(anon.get(&format!("/open311/v2/requests.json?api_key={key}&start_date=yesterday")).await.status, 400);
        // tokens/{token}: the token a POST returns leads to its request.
        let r = anon.send(post(format!("api_key={key}&service_code=greening&address_id={mine}&description=x3"))).await;
        let token = r.json()[0]["token"].as_str().unwrap().to_owned();
        let t = anon.get(&format!("/open311/v2/tokens/{token}.json?api_key={key}")).await;
        assert_eq!(t.status, 200, "{}", t.body);
        assert_eq!(t.json()[0]["service_request_id"], r.json()[0]["service_request_id"]);
        assert!(anon.get(&format!("/open311/v2/tokens/{token}.xml?api_key={key}")).await.body.contains("<token>"));
        assert_eq!(anon.get(&format!("/open311/v2/tokens/nonsense.json?api_key={key}")).await.status, 404);
        // Another area's key sees nothing of it.
        let other = user_token(&db, "other", "worker", "371428001002").await;
        assert_eq!(anon.get(&format!("/open311/v2/requests/{id}.json?api_key={other}")).await.status, 404);
        assert_eq!(anon.get(&format!("/open311/v2/requests.json?api_key={other}")).await.json().as_array().unwrap().len(), 0);
        assert_eq!(anon.get(&format!("/open311/v2/tokens/{token}.json?api_key={other}")).await.status, 404);
    }
}

db_test! {
    async fn reports_written_together_are_each_routed_and_answered(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        rows(&admin, "compounds", json!([{"community_code": fh, "name": "丰华小区"}, {"community_code": fh, "name": "无物业小区"}])).await;
        rows(&admin, "companies", json!([{"credit_code": cc(), "name": "丰华物业", "region_code": "371402", "party_coverage": "own_branch"}])).await;
        rows(&admin, "compound_history", json!([{"community_code": fh, "compound": "丰华小区", "kind": "company", "value": cc(), "effective_from": "2020-01-01"}])).await;
        let served = db::compounds::find_in(db.conn(), fh, "丰华小区").await.unwrap().unwrap();
        let unserved = db::compounds::find_in(db.conn(), fh, "无物业小区").await.unwrap().unwrap();
        let served = db::compounds::get(&db, served.id).await.unwrap();
        let unserved = db::compounds::get(&db, unserved.id).await.unwrap();
        let company_id = admin.get("/api/v1/organisations?kind=company").await.json()["items"][0]["id"].as_i64().unwrap();
        let actor = |n: i64| db::Actor { id: Some(n), login: format!("r{n}") };
        let now = Utc::now();
        let cats = db::problems::categories(&db).await.unwrap();
        let category = |code: &str| cats.iter().find(|c| c.code == code).unwrap().clone();
        let report = |who: i64, c: &db::compounds::Compound, cat: &str, text: &str| {
            db::problems::NewReport::new(&actor(who), c, &category(cat), text, "", now).unwrap()
        };
        // One batch: two reports alike in every value, one elsewhere, one by someone else.
        let batch = [
            report(1, &served, "repair", "楼道灯不亮"),
            report(1, &served, "repair", "楼道灯不亮"),
            report(2, &unserved, "environment", "垃圾没人收"),
            report(3, &served, "complaint", "保安态度差"),
        ];
        let out = db::problems::write_reports(&db, &batch).await.unwrap();
        assert_eq!(out.len(), 4);
        let ids: std::collections::BTreeSet<i64> = out.iter().map(|w| w.problem.id).collect();
        assert_eq!(ids.len(), 4, "every report its own row");
        for (w, r) in out.iter().zip(&batch) {
            let (p, e) = (&w.problem, &w.event);
            let stored = db::problems::get(&db, p.id).await.unwrap();
            assert_eq!((stored.description.as_str(), stored.reporter_id), (r.description.as_str(), r.actor.id));
            assert_eq!((stored.handler_kind.as_str(), stored.handler_org_id), (p.handler_kind.as_str(), p.handler_org_id));
            assert_eq!(stored.submitted_at, p.submitted_at, "the answer is what was stored");
            let events = db::problems::events(&db, p.id).await.unwrap();
            assert_eq!(events.len(), 1);
            assert_eq!((events[0].step.as_str(), events[0].actor.as_str(), events[0].at), ("submit", e.actor.as_str(), e.at));
        }
        let p = |i: usize| &out[i].problem;
        assert_eq!((p(0).handler_kind.as_str(), p(0).handler_org_id), ("company", Some(company_id)));
        assert_eq!((p(2).handler_kind.as_str(), p(2).handler_org_id), ("community", None));
        assert_eq!(p(3).reporter_id, Some(3));
        // Alike reports in the same batch point at each other, and at nothing else.
        assert_eq!((out[0].alike.clone(), out[1].alike.clone()), (vec![p(1).id], vec![p(0).id]));
        assert!(out[2].alike.is_empty() && out[3].alike.is_empty());

        // Through the queue, many at once: each caller gets its own answer.
        let intake = db::intake::Intake::start(db.clone());
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (intake, r) = (intake.clone(), report(10 + i % 3, &served, "security", &format!("第{i}次：门禁坏了")));
            tasks.push(tokio::spawn(async move { (i, intake.report(r).await.unwrap()) }));
        }
        let (mut seen, mut most_alike) = (std::collections::BTreeSet::new(), 0);
        for t in tasks {
            let (i, w) = t.await.unwrap();
            let p = w.problem;
            assert!(w.alike.len() <= 5 && !w.alike.contains(&p.id));
            most_alike = most_alike.max(w.alike.len());
            assert_eq!(p.description, format!("第{i}次：门禁坏了"));
            assert_eq!(p.reporter_id, Some(10 + i % 3));
            assert!(seen.insert(p.id));
            assert_eq!(db::problems::get(&db, p.id).await.unwrap().description, p.description);
        }
        assert_eq!(most_alike, 5, "at most the five latest are pointed out");
        // A retired compound takes no reports.
        let mut retired = served.clone();
        retired.retired_at = Some(now);
        assert_eq!(db::problems::NewReport::new(&actor(1), &retired, &category("repair"), "x", "", now).unwrap_err().field, "compound_id");
    }
}

db_test! {
    async fn categories_are_configured_by_administrators(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        rows(&admin, "compounds", json!([{"community_code": fh, "name": "丰华小区"}])).await;
        let compound = db::compounds::find_in(db.conn(), fh, "丰华小区").await.unwrap().unwrap().id;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        // The installed ones: the issue's list, with its deadlines.
        let all = worker.get("/api/v1/problem-categories").await.json();
        let codes: Vec<&str> = all.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
        for c in ["environment", "roads", "parking", "greening", "repair", "security", "utilities", "complaint", "emergency"] {
            assert!(codes.contains(&c), "{c}");
        }
        let hours = |code: &str| {
            let c = all.as_array().unwrap().iter().find(|c| c["code"] == code).unwrap();
            (c["accept_hours"].as_i64().unwrap(), c["resolve_hours"].as_i64().unwrap())
        };
        assert_eq!((hours("parking"), hours("utilities").1, hours("emergency").1), ((24, 168), 24, 2));

        // Only administrators change them; bad input names every field.
        let noise = json!({"name_zh": "噪音扰民", "name_en": "Noise", "accept_hours": 12, "resolve_hours": 72});
        assert_eq!(worker.json("PUT", "/api/v1/problem-categories/noise", noise.clone()).await.status, 403);
        let r = admin.json("PUT", "/api/v1/problem-categories/Noise!", json!({"name_zh": "", "name_en": "x", "accept_hours": 0, "resolve_hours": 1})).await;
        assert_eq!(r.status, 422);
        for f in ["code", "name_zh", "accept_hours"] {
            assert!(r.body.contains(f), "{f}: {}", r.body);
        }
        assert_eq!(admin.json("PUT", "/api/v1/problem-categories/noise", noise.clone()).await.status, 200);
        // A report in the new category takes its deadlines.
        let r = worker.json("POST", "/api/v1/problems", json!({"compound_id": compound, "category": "noise", "description": "夜间施工"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let p = db::problems::get(&db, r.json()["id"].as_i64().unwrap()).await.unwrap();
        assert_eq!((p.accept_by - p.submitted_at, p.resolve_by - p.submitted_at), (Duration::hours(12), Duration::hours(72)));
        assert!(worker.get("/problems").await.body.contains("噪音扰民"), "offered on the form");
        let services = worker.get("/open311/v2/services.json").await.body;
        assert!(services.contains("\"noise\""));

        // Withdrawn: no longer offered, old problems keep it; the change is audited.
        let mut off = noise.clone();
        off["active"] = json!(false);
        assert_eq!(admin.json("PUT", "/api/v1/problem-categories/noise", off).await.status, 200);
        let r = worker.json("POST", "/api/v1/problems", json!({"compound_id": compound, "category": "noise", "description": "又在施工"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(!worker.get("/open311/v2/services.json").await.body.contains("\"noise\""));
        assert!(worker.get(&format!("/problems/{}", p.id)).await.body.contains("噪音扰民"), "the old problem keeps its name");
        assert!(matches!(db::audit::verify(&db, &[]).await.unwrap(), db::audit::Verdict::Intact { .. }));
        let (log, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(100))).await.unwrap();
        let changes = log.iter().filter(|r| r.entity == "problem_category" && r.entity_id == "noise").count();
        assert_eq!(changes, 2, "added, then withdrawn");

        // The page: everyone sees the list, administrators the form.
        let page = worker.get("/problems/categories").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("停车管理") && !page.body.contains("name=\"name_zh\""));
        let page = admin.get("/problems/categories?edit=noise").await.body;
        assert!(page.contains("name=\"name_zh\"") && page.contains("value=\"噪音扰民\""));
        let r = admin.form("/problems/categories", &[("code", "pets"), ("name_zh", "宠物管理"), ("name_en", "Pets"), ("accept_hours", "24"), ("resolve_hours", "72"), ("active", "on")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(worker.form("/problems/categories", &[("code", "pets2"), ("name_zh", "x"), ("name_en", "x"), ("accept_hours", "1"), ("resolve_hours", "2")]).await.status, 403);
        assert!(worker.get("/problems").await.body.contains("宠物管理"));

        // The compound a report was made in is kept a few seconds; retiring it counts at once.
        let report = json!({"compound_id": compound, "category": "repair", "description": "门禁坏了"});
        assert_eq!(worker.json("POST", "/api/v1/problems", report.clone()).await.status, 201);
        assert_eq!(admin.json("POST", &format!("/api/v1/compounds/{compound}/retire"), json!({})).await.status, 200);
        let r = worker.json("POST", "/api/v1/problems", report).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("该小区已注销"), "{}", r.body);
    }
}

db_test! {
    async fn the_owners_committee_and_the_community_press_the_company(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        rows(&admin, "compounds", json!([{"community_code": fh, "name": "丰华小区"}, {"community_code": fh, "name": "邻家小区"}])).await;
        rows(&admin, "companies", json!([{"credit_code": cc(), "name": "丰华物业", "region_code": "371402", "party_coverage": "own_branch"}])).await;
        rows(&admin, "compound_history", json!([{"community_code": fh, "compound": "丰华小区", "kind": "company", "value": cc(), "effective_from": "2020-01-01"}])).await;
        let list = admin.get("/api/v1/compounds?region=371402001009").await.json();
        let id_of = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["id"].as_i64().unwrap();
        let (served, other) = (id_of("丰华小区"), id_of("邻家小区"));
        let company_id = admin.get("/api/v1/organisations?kind=company").await.json()["items"][0]["id"].as_i64().unwrap();
        let company = App::anonymous(&db).with_token(&user_token(&db, "wy", "company", &format!("company:{company_id}")).await);
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{served}")).await);
        let elsewhere = App::anonymous(&db).with_token(&user_token(&db, "ywh2", "committee", &format!("compound:{other}")).await);
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);

        // The committee reports a problem in its compound's common parts.
        let r = committee.json("POST", "/api/v1/problems", json!({"compound_id": served, "category": "repair", "description": "电梯停运"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let step = |app: &App, s: &str, note: &str| {
            let (app, body) = (app.clone(), json!({"step": s, "note": note}));
            async move { app.json("POST", &format!("/api/v1/problems/{id}/steps"), body).await }
        };
        assert_eq!(step(&company, "accept", "").await.status, 200);
        // It presses the company, with a note; the state stays as it was.
        assert_eq!(step(&committee, "urge", "").await.status, 422, "pressing needs a word on what to do");
        let r = step(&committee, "urge", "三天了仍未修好，请尽快处理").await;
        assert_eq!((r.status.as_u16(), r.json()["state"].as_str()), (200, Some("accepted")), "{}", r.body);
        // The community over the company presses too; neither decides anything.
        assert_eq!(step(&worker, "urge", "请今日内回复业委会").await.status, 200);
        for s in ["resolve", "reject", "close", "uphold_rejection", "overturn_rejection"] {
            assert_eq!(step(&committee, s, "x").await.status, 422, "{s}");
        }
        // Another compound's committee does not see it; the handler cannot press itself.
        assert_eq!(step(&elsewhere, "urge", "x").await.status, 404);
        assert_eq!(step(&company, "urge", "x").await.status, 422);
        let p = company.get(&format!("/api/v1/problems/{id}")).await.json();
        let steps: Vec<&str> = p["timeline"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["submit", "accept", "urge", "urge"]);
        // The page offers the committee its one button, in words.
        let page = committee.get(&format!("/problems/{id}")).await.body;
        assert!(page.contains("value=\"urge\"") && page.contains("督办") && !page.contains("value=\"resolve\""));
        // Once resolved there is nothing left to press.
        assert_eq!(step(&company, "resolve", "").await.status, 200);
        assert_eq!(step(&committee, "urge", "x").await.status, 422);
    }
}
