//! Everyday use (issue 12): the inbox as people use it — each reader's work on the default
//! list (a rejection waits for the street), counts in the header, search,
//! filters and pages that keep them, the export, the compound picker, and
//! the report form sent back filled in when something is wrong.

use serde_json::json;

use crate::support::{App, dezhou, multipart, user_token};

async fn signed_in(app: &App, login: &str) -> App {
    let ok = app.form("/login", &[("login", login), ("password", "test-password-1")]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    app.with_cookie(ok.header("set-cookie").split(';').next().unwrap())
}

/// The report form as a phone sends it (multipart, no photo).
fn report_form(fields: &[(&str, &str)]) -> axum::http::Request<axum::body::Body> {
    multipart("/problems", fields, &[])
}

db_test! {
    async fn each_reader_finds_their_work(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([
            {"community_code": fh, "name": "无物业小区"}, {"community_code": fh, "name": "东风小区"}, {"community_code": fh, "name": "东风二期"}
        ])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json();
        let id_of = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["id"].as_i64().unwrap();
        let unserved = id_of("无物业小区");
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        user_token(&db, "jd", "supervisor", "371402001").await;
        let street = signed_in(&App::anonymous(&db), "jd").await;

        // The community handles it and rejects it: the street must review it.
        let r = worker.json("POST", "/api/v1/problems", json!({"compound_id": unserved, "category": "environment", "description": "垃圾清运不及时\n第二行"})).await;
        let rejected = r.json()["id"].as_i64().unwrap();
        let r = worker.json("POST", &format!("/api/v1/problems/{rejected}/steps"), json!({"step": "reject", "note": "不属于物业范围"})).await;
        assert_eq!(r.json()["state"], "rejected");
        let inbox = street.get("/problems").await;
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        assert!(inbox.body.contains(&format!("href=\"/problems/{rejected}\"")), "a rejection is on the reviewer's default list");
        assert!(inbox.body.contains("垃圾清运不及时…"), "the list shows what is wrong, cut to a line");
        assert!(inbox.body.contains("待复核 <b class=\"count\">1</b>"), "the list that needs them says how many");
        let header = street.get("/compounds").await.body;
        assert!(header.contains("<b class=\"count\" title=\"待办\">1</b>"), "every page's header counts the work");
        let review = street.get("/problems?view=review").await.body;
        assert!(review.contains(&format!("/problems/{rejected}")));
        assert!(!street.get("/problems?view=new").await.body.contains(&format!("/problems/{rejected}\"")));
        // The API's default list is the same work list.
        let api = worker.get("/api/v1/problems").await.json();
        assert!(api["items"].as_array().unwrap().iter().any(|p| p["id"] == rejected), "{api}");
        assert_eq!(worker.get("/api/v1/problems?view=closed").await.json()["total"], 0);
        assert_eq!(worker.get("/api/v1/problems?view=nope").await.status, 422);

        // Search and filters; a bad value is an error naming it, in Chinese.
        assert!(street.get("/problems?q=垃圾").await.body.contains(&format!("/problems/{rejected}\"")));
        assert!(street.get(&format!("/problems?q=%23{rejected}")).await.body.contains(&format!("/problems/{rejected}\"")), "by number");
        assert!(!street.get("/problems?q=电梯").await.body.contains(&format!("/problems/{rejected}\"")));
        assert!(!street.get("/problems?state=submitted").await.body.contains(&format!("/problems/{rejected}\"")));
        let bad = street.get("/problems?view=bogus").await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("列表") && bad.body.contains("href=\"/account\""), "named, and still signed in: {}", bad.body);

        // Pages keep the filters.
        for i in 0..55 {
            let r = worker.json("POST", "/api/v1/problems", json!({"compound_id": unserved, "category": "repair", "description": format!("路灯不亮 {i}")})).await;
            assert_eq!(r.status, 201);
        }
        let first = street.get("/problems?q=路灯").await.body;
        assert!(first.contains("href=\"/problems?view=work&#38;q=%E8%B7%AF%E7%81%AF&#38;page=2\""), "{first}");
        assert!(first.contains("共 55 条"));
        let second = street.get("/problems?view=work&q=路灯&page=2").await.body;
        assert_eq!(second.matches("路灯不亮").count(), 5, "the rest on page two");
        // Ordered as asked, the order kept across pages; the API orders the same way.
        let newest = street.get("/problems?q=路灯&order=newest").await.body;
        assert!(newest.find("路灯不亮 54").unwrap() < newest.find("路灯不亮 53").unwrap(), "newest first");
        assert!(newest.contains("order=newest&#38;page=2"), "the pager keeps the order");
        assert!(newest.contains("<option value=\"newest\" selected>最新反映</option>"));
        let oldest = worker.get("/api/v1/problems?q=路灯&order=oldest&per_page=1").await.json();
        assert_eq!(oldest["items"][0]["description"], "路灯不亮 0");
        let newest = worker.get("/api/v1/problems?q=路灯&order=newest&per_page=1").await.json();
        assert_eq!(newest["items"][0]["description"], "路灯不亮 54");
        assert_eq!(worker.get("/api/v1/problems?order=random").await.status, 422);
        // Compounds by name, by households.
        let by_name = street.get("/compounds?order=name").await.body;
        assert!(by_name.find("东风二期").unwrap() < by_name.find("无物业小区").unwrap());

        // The export holds the filtered list, numbers as numbers.
        let x = street.get("/problems/export.xlsx?view=review").await;
        assert_eq!(x.status, 200);
        assert!(x.header("content-type").contains("spreadsheetml"));
        let book = import::read_xlsx(&x.body_bytes).unwrap();
        let rows = &book.sheets[0].rows;
        assert_eq!(rows.len(), 2, "a header and the one problem awaiting review: {rows:?}");
        assert_eq!(rows[1][0], rejected.to_string());
        assert!(rows[1].iter().any(|c| c.contains("垃圾清运不及时")));
        let outsider = App::anonymous(&db).with_token(&user_token(&db, "far", "worker", "371428001001").await);
        let far = outsider.get("/problems/export.xlsx?view=all").await;
        assert_eq!(import::read_xlsx(&far.body_bytes).unwrap().sheets[0].rows.len(), 1, "others' problems are not exported");
    }

    async fn the_report_form_picks_compounds_by_name_and_keeps_what_was_typed(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let mut many: Vec<_> = (0..31).map(|i| json!({"community_code": fh, "name": format!("花园{i:02}号院")})).collect();
        many.push(json!({"community_code": fh, "name": "东风小区"}));
        many.push(json!({"community_code": "371428001001", "name": "东风远方"}));
        let r = admin.json("POST", "/api/v1/registry/compounds", json!(many)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);

        // More compounds than a list can hold: the form asks for a name.
        let page = worker.get("/problems").await.body;
        assert!(page.contains("data-pick=\"/pick/compounds\"") && !page.contains("name=\"compound_id\""), "{page}");
        let picked = worker.get(&format!("/pick/compounds?q={}", crate::support::enc("东风"))).await.json();
        let labels: Vec<&str> = picked.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
        assert_eq!(labels.len(), 1, "only what the reader sees: {labels:?}");
        assert!(labels[0].starts_with("东风小区 · "));

        // A picked label, and a unique name, both report.
        let r = worker.send(report_form(&[("compound", labels[0]), ("category", "repair"), ("description", "门禁坏了")])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = worker.send(report_form(&[("compound", "东风小区"), ("category", "repair"), ("description", "门禁又坏了")])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // An ambiguous name comes back with the candidates and the text kept.
        let r = worker.send(report_form(&[("compound", "花园0"), ("category", "repair"), ("description", "水管漏水"), ("location", "2号楼")])).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("个小区与“花园0”相符") && r.body.contains("花园01号院"), "{}", r.body);
        assert!(r.body.contains(">水管漏水</textarea>") && r.body.contains("value=\"2号楼\""), "what was typed is kept");
        // A blank description is marked on the form, not a page of its own.
        let r = worker.send(report_form(&[("compound", "东风小区"), ("category", "repair"), ("description", " ")])).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("class=\"field-error\"") && r.body.contains("value=\"东风小区\""), "{}", r.body);
        // A compound out of sight is not found, whatever its name.
        let r = worker.send(report_form(&[("compound", "东风远方"), ("category", "repair"), ("description", "看不见")])).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("没有名为“东风远方”的小区"));
    }
}

/// The links of a page that a GET may follow (forms and assets aside).
fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| {
            h.starts_with('/') && !h.starts_with("/static/") && !h.starts_with("/lang/") && !h.starts_with("/api/docs")
        })
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
        .collect()
}

/// Every link on `page` answers this reader with a page (2xx) or a redirect to one.
async fn every_link_opens(app: &App, page: &str) {
    let body = app.get(page).await;
    assert_eq!(body.status, 200, "{page}: {}", body.body);
    for href in links(&body.body) {
        let r = app.get(&href).await;
        let status = r.status.as_u16();
        assert!((200..400).contains(&status), "{page} links to {href}, which answers {status}: {}", r.body);
    }
}

db_test! {
    async fn every_card_drills_down_and_no_link_leads_out_of_scope(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "链接小区"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let county = App::anonymous(&db).with_token(&user_token(&db, "xq", "supervisor", "371402").await);
        let dash = county.get("/dashboard?region=371402").await.body;
        let drills: Vec<String> = links(&dash).into_iter().filter(|l| l.starts_with("/dashboard/drill")).collect();
        assert_eq!(drills.len(), 9, "a drill-down from each of the nine cards: {drills:?}");
        for d in &drills {
            let r = county.get(d).await;
            assert_eq!(r.status, 200, "{d}: {}", r.body);
        }
        every_link_opens(&county, "/dashboard?region=371402").await;
        // In English, the chart speaks English too.
        let en = county.get_with("/dashboard?region=371402", "cookie", "lang=en").await.body;
        assert!(en.contains("Monthly trend") && en.contains("Professional property service coverage"), "{en}");
        assert!(!en.contains("月度趋势") && !en.contains("专业化物业服务覆盖率"), "no Chinese left in the English dashboard's chart");
        // A community worker: the compound's and the community's pages link only where they may go.
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        every_link_opens(&worker, &format!("/compounds/{id}")).await;
        every_link_opens(&worker, &format!("/regions/{fh}")).await;
        every_link_opens(&worker, "/problems").await;
        // The compound list exports as filtered, within scope.
        let x = worker.get(&format!("/compounds/export.xlsx?region={fh}")).await;
        assert_eq!(x.status, 200);
        let rows = import::read_xlsx(&x.body_bytes).unwrap().sheets[0].rows.clone();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[1].iter().any(|c| c == "链接小区"));
        let far = App::anonymous(&db).with_token(&user_token(&db, "far", "worker", "371428001001").await);
        assert_eq!(import::read_xlsx(&far.get("/compounds/export.xlsx").await.body_bytes).unwrap().sheets[0].rows.len(), 1);
        for list in ["/organisations", "/people"] {
            let x = worker.get(&format!("{list}/export.xlsx")).await;
            assert_eq!(x.status, 200, "{list}");
            assert!(!import::read_xlsx(&x.body_bytes).unwrap().sheets[0].rows.is_empty(), "{list}: at least its header");
            assert!(worker.get(list).await.body.contains(&format!("href=\"{list}/export.xlsx?")), "{list} offers it");
        }
    }
}

db_test! {
    async fn an_administrator_makes_a_resident_account_with_the_pickers(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "东风小区"}, {"community_code": fh, "name": "东风二期"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for c in ["东风小区", "东风二期"] {
            let r = admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": fh, "compound": c, "name": "1号楼", "floors": 3, "entrances": 1, "units_per_floor": 2, "unit_area": 80}])).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let page = admin.get("/users").await.body;
        assert!(page.contains("<select name=\"role\" required><option value=\"\">请选择角色</option>"), "no role is chosen for the administrator");

        // The picker finds homes by "compound building number".
        let q = crate::support::enc("东风小区 1号楼 30");
        let found = admin.get(&format!("/pick/scopes?role=resident&q={q}")).await.json();
        let labels: Vec<&str> = found.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
        assert_eq!(labels.len(), 2, "301 and 302 of that building only: {labels:?}");
        assert!(labels[0].starts_with("东风小区 1号楼 ") && labels[0].contains(" 301 #unit:"), "{labels:?}");
        let r = admin.form("/users", &[("login", "wang5"), ("display_name", "王五"), ("role", "resident"), ("scope", labels[0]), ("phone", "1380000")]).await;
        assert!(r.status == 422 && r.body.contains("不是电话号码") && r.body.contains("value=\"王五\""), "a bad phone is marked, the form kept");
        let r = admin.form("/users", &[("login", "zhang3"), ("display_name", "张三"), ("role", "resident"), ("scope", labels[0]), ("phone", "13900002222")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("初始密码只显示这一次"));
        assert!(r.body.contains("东风小区 1号楼") && r.body.contains(" 301 <span class=\"code muted\">unit:"), "the home in words: {}", r.body);
        // Words that fit more than one home come back with the candidates, the form kept.
        let r = admin.form("/users", &[("login", "li4"), ("display_name", "李四"), ("role", "resident"), ("scope", "东风 1号楼 301")]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("可能是") && r.body.contains("东风二期 1号楼"), "{}", r.body);
        assert!(r.body.contains("value=\"李四\"") && r.body.contains("<option value=\"resident\" selected>"), "what was typed is kept");
        // A login taken is marked on its field.
        let r = admin.form("/users", &[("login", "zhang3"), ("display_name", "张三"), ("role", "worker"), ("scope", fh)]).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("class=\"field-error\">已被占用"), "{}", r.body);
        // A region by name, for a worker.
        let r = admin.form("/users", &[("login", "wang5"), ("display_name", "王五"), ("role", "worker"), ("scope", fh)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Pickers are for administrators only.
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        assert_eq!(worker.get("/pick/scopes?role=resident&q=东风").await.status, 403);
    }
}

db_test! {
    async fn hand_edited_links_get_a_named_error_in_chinese_never_a_server_error(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let bad = [
            "/dashboard?region=abc", "/dashboard?region=371402&as_of=yesterday", "/dashboard/drill?region=abc&as_of=2024-01-01&kpi=full_coverage",
            "/dashboard/drill?region=371402&as_of=2024-13-01&kpi=full_coverage", "/dashboard/drill?region=371402&as_of=2024-01-01&kpi=nope",
            "/dashboard/bulletin.xlsx?region=abc&month=2024-06", "/dashboard/bulletin.docx?region=371402&month=June",
            "/compounds?region=abc", "/organisations?region=abc", "/people?region=abc", "/regions/abc",
            "/problems?compound=abc", "/problems?state=lost", "/problems/export.xlsx?view=x", "/compounds/abc", "/problems/abc",
            "/cross-appointments?region=abc", "/audit?page=abc", "/problems?order=x", "/compounds?order=x",
        ];
        for uri in bad {
            let r = admin.get(uri).await;
            assert!(r.status.is_client_error(), "{uri}: {} {}", r.status, r.body);
            if r.header("content-type").starts_with("text/html") {
                for english in ["no such record", "your role may not", "is not a", "Zip error"] {
                    assert!(!r.body.contains(english), "{uri} shows English ({english}) on a Chinese page: {}", r.body);
                }
            }
        }
    }
}

db_test! {
    async fn the_handler_resolves_with_an_after_photo_and_a_rejection_needs_its_reason_on_the_page(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "照片小区"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        let pid = worker.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": "路面塌陷"})).await.json()["id"].as_i64().unwrap();
        let steps = format!("/problems/{pid}/steps");
        // Without a reason: the page comes back with the note field marked, nothing changed.
        let r = worker.send(multipart(&steps, &[("step", "reject"), ("note", " ")], &[])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("class=\"field-error\"") && r.body.contains("enctype=\"multipart/form-data\""), "{}", r.body);
        assert_eq!(worker.get(&format!("/api/v1/problems/{pid}")).await.json()["state"], "submitted");
        // Not a photo: refused before the step is taken.
        let r = worker.send(multipart(&steps, &[("step", "accept")], &[("photo", b"GIF89a not really")])).await;
        assert_eq!(r.status, 422);
        assert_eq!(worker.get(&format!("/api/v1/problems/{pid}")).await.json()["state"], "submitted");
        // Accepted from a plain form, resolved with the after photo.
        assert_eq!(worker.form(&steps, &[("step", "accept")]).await.status, 303);
        let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[7u8; 64][..]].concat();
        let r = worker.send(multipart(&steps, &[("step", "resolve"), ("note", "已修复")], &[("photo", &png)])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = worker.get(&format!("/problems/{pid}")).await.body;
        assert!(page.contains("已解决") || page.contains("待评价") || page.contains("/photos/"), "{page}");
        assert_eq!(page.matches("class=\"photo\"").count(), 1, "the after photo is on the problem");
        assert_eq!(worker.get(&format!("/api/v1/problems/{pid}")).await.json()["state"], "resolved");
        // A step is confirmed on the page it leads back to.
        let r = worker.send(multipart(&steps, &[("step", "resolve")], &[])).await;
        assert_eq!(r.status, 422, "already resolved: {}", r.body);
        let pid2 = worker.json("POST", "/api/v1/problems", json!({"compound_id": id, "category": "repair", "description": "井盖松动"})).await.json()["id"].as_i64().unwrap();
        let r = worker.form(&format!("/problems/{pid2}/steps"), &[("step", "reject"), ("note", "不归物业管")]).await;
        assert_eq!(r.header("location"), format!("/problems/{pid2}?done=1"));
        let page = worker.get(r.header("location")).await.body;
        assert!(page.contains("已提交，当前状态：已退回") && page.contains("不归物业管"), "{page}");
        assert!(page.contains("value=\"reject\" class=\"danger\"") || !page.contains("value=\"reject\""), "退回 looks unlike 受理");
        // Overturned by the street: the rejection's reason no longer stands on the page (the timeline keeps it).
        let street = App::anonymous(&db).with_token(&user_token(&db, "jd", "officer", "371402001").await);
        let r = street.form(&format!("/problems/{pid2}/steps"), &[("step", "overturn_rejection"), ("note", "应予处理")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = street.get(&format!("/problems/{pid2}")).await.body;
        assert!(!page.contains("<dt>退回理由</dt>") && page.contains("不归物业管"), "{page}");
        // A resident's rating may say why.
        let p = street.get(&format!("/api/v1/problems/{pid2}")).await.json();
        assert_eq!(p["reason"], serde_json::Value::Null);
    }
}

db_test! {
    async fn the_audit_log_reads_in_words_and_filters(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "日志小区", "households": 120}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        assert_eq!(admin.json("PATCH", &format!("/api/v1/compounds/{id}"), json!({"households": 150})).await.status, 200);
        let page = admin.get("/audit?entity=compound").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&format!("<a href=\"/compounds/{id}\">{id}</a>")), "the record links to its page");
        assert!(page.body.contains("<del>120</del> → 150"), "what changed, field by field: {}", page.body);
        assert!(page.body.contains("修改") && page.body.contains("小区"), "actions and records in words");
        assert!(!page.body.contains("Z</td>"), "times are Beijing time to the second, not raw UTC");
        // Filters narrow it; pages keep them.
        let none = admin.get("/audit?entity=compound&actor=nobody").await.body;
        assert!(!none.contains(&format!("/compounds/{id}\"")));
        let today = domain::clock::today();
        assert!(admin.get(&format!("/audit?entity=compound&from={today}&to={today}")).await.body.contains(&format!("/compounds/{id}\"")));
        let tomorrow = today.succ_opt().unwrap();
        assert!(!admin.get(&format!("/audit?entity=compound&from={tomorrow}")).await.body.contains(&format!("/compounds/{id}\"")));
        assert_eq!(admin.get("/audit?from=yesterday").await.status, 422);
    }
}

/// A webhook receiver on a loopback port: records each request (headers,
/// body) and answers with the next status in `answers` (then 200).
async fn receiver(answers: Vec<u16>) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let head = text[..end].to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if buf.len() >= end + 4 + len {
                        break (head, String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string());
                    }
                }
            };
            seen.lock().unwrap().push((head, body));
            let status = answers.next().unwrap_or(200);
            let _ = sock
                .write_all(format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                .await;
        }
    });
    (port, got)
}

db_test! {
    async fn residents_are_told_and_webhooks_carry_every_change_signed_and_retried(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "通知小区"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": fh, "compound": "通知小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let cid = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let b = admin.get(&format!("/api/v1/compounds/{cid}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let unit = admin.get(&format!("/api/v1/buildings/{b}")).await.json()["units"][0]["id"].as_i64().unwrap();
        user_token(&db, "r1", "resident", &format!("unit:{unit}")).await;
        let resident = signed_in(&App::anonymous(&db), "r1").await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        // The resident leaves a number to be called back on; a bad one is named.
        let r = resident.form("/account/phone", &[("phone", "12345")]).await;
        assert!(r.status == 422 && r.body.contains("不是电话号码"), "{}", r.body);
        let r = resident.form("/account/phone", &[("phone", "138 0000 1234")]).await;
        assert!(r.status == 200 && r.body.contains("value=\"13800001234\"") && r.body.contains("通知小区 1号楼"), "{}", r.body);

        // An administrator registers a webhook; its secret is shown once.
        let (port, got) = receiver(vec![500]).await;
        let page = admin.form("/webhooks", &[("url", "https://sms.example.com/hook")]).await.body;
        assert!(page.contains("https"), "https is refused with a reason: {page}");
        let page = admin.form("/webhooks", &[("url", &format!("http://127.0.0.1:{port}/hook"))]).await.body;
        let secret = page.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{page}");
        assert_eq!(worker.get("/webhooks").await.status, 403, "webhooks are the administrator's");

        // The resident reports; the community accepts: the resident is told, the webhook gets both.
        let r = resident.send(report_form(&[("compound_id", &cid.to_string()), ("category", "repair"), ("description", "门禁坏了")])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let pid: i64 = r.header("location").rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "accept"})).await.status, 200);
        let seen = worker.get(&format!("/problems/{pid}")).await.body;
        assert!(seen.contains("<dt>反映人</dt><dd>r1 · 通知小区 1号楼"), "the handler sees who and where: {seen}");
        assert!(seen.contains(" · 13800001234</dd>"), "and the number to call back on: {seen}");
        let street = App::anonymous(&db).with_token(&user_token(&db, "jd", "officer", "371402001").await);
        let reviewed = street.get(&format!("/problems/{pid}")).await.body;
        assert!(reviewed.contains(" · 138****1234</dd>") && !reviewed.contains("13800001234"), "masked to the street: {reviewed}");
        assert!(!resident.get(&format!("/problems/{pid}")).await.body.contains("<dt>反映人</dt>"), "not shown to the reporter");
        let home = resident.get("/problems").await.body;
        assert!(home.contains("消息 <b class=\"count lag\">1</b>"), "one notice, not their own report: {home}");
        let notices = resident.get("/notifications").await.body;
        assert!(notices.contains(&format!("#{pid} 已受理")), "{notices}");
        assert!(!resident.get("/problems").await.body.contains("消息 <b"), "seen, so no longer counted");

        // First round: the receiver answers 500 to the first and 200 to the next; the failure is retried later.
        let now = chrono::Utc::now();
        let round = web::notify::deliver_due(&db, &web::notify::HttpWebhook::default(), now).await.unwrap();
        assert_eq!(round, web::notify::Round { delivered: 1, failed: 1 });
        let log = db::notify::deliveries(&db, 10).await.unwrap();
        let failed = log.iter().find(|d| d.delivered_at.is_none()).unwrap();
        assert_eq!((failed.attempts, failed.last_status, failed.gave_up), (1, Some(500), false));
        let wait = (failed.next_at - now).num_milliseconds();
        assert!((wait - web::notify::RETRY_AFTER[0] * 1000).abs() <= 1, "tried again a minute later: {wait} ms");
        let again = web::notify::deliver_due(&db, &web::notify::HttpWebhook::default(), now).await.unwrap();
        assert_eq!(again, web::notify::Round::default(), "nothing is due before its time");
        let later = web::notify::deliver_due(&db, &web::notify::HttpWebhook::default(), now + chrono::Duration::minutes(2)).await.unwrap();
        assert_eq!(later, web::notify::Round { delivered: 1, failed: 0 });
        // Each body is signed with the secret; the events are the problem's states.
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 3);
        for (head, body) in &got {
            let sig = head.lines().find_map(|l| l.strip_prefix("x-gongzhi-signature:")).unwrap().trim().to_owned();
            assert_eq!(sig, format!("sha256={}", web::notify::sign(secret.as_bytes(), body.as_bytes())));
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["problem"]["id"], pid);
        }
        let events: std::collections::BTreeSet<String> = got.iter().map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap()["event"].as_str().unwrap().to_owned()).collect();
        assert_eq!(events.into_iter().collect::<Vec<_>>(), ["problem.accepted", "problem.submitted"]);
        // Stopped: nothing more is queued for it.
        let hook = db::notify::webhooks(&db).await.unwrap()[0].id;
        assert_eq!(admin.form(&format!("/webhooks/{hook}/active"), &[("active", "0")]).await.status, 303);
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "resolve"})).await.status, 200);
        assert_eq!(db::notify::deliveries(&db, 10).await.unwrap().len(), 2);
        assert!(admin.get("/webhooks").await.body.contains("problem.accepted"), "the delivery log is on the page");
        // Not satisfied, and the resident says why; the timeline keeps it.
        let r = resident.form(&format!("/problems/{pid}/rating"), &[("rating", "unsatisfied"), ("note", "晚上还是打不开")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = resident.get(&format!("/problems/{pid}")).await.body;
        assert!(page.contains("重新办理") && page.contains("晚上还是打不开"), "{page}");
        let long = "长".repeat(501);
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "accept", "note": long})).await.status, 422, "notes are bounded");
    }
}

db_test! {
    async fn a_resident_may_take_a_report_back_before_it_is_resolved(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "撤回小区"}])).await;
        admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": fh, "compound": "撤回小区", "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        let cid = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"][0]["id"].as_i64().unwrap();
        let b = admin.get(&format!("/api/v1/compounds/{cid}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let unit = admin.get(&format!("/api/v1/buildings/{b}")).await.json()["units"][0]["id"].as_i64().unwrap();
        let resident = App::anonymous(&db).with_token(&user_token(&db, "r1", "resident", &format!("unit:{unit}")).await);
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", fh).await);
        let pid = resident.json("POST", "/api/v1/problems", json!({"compound_id": cid, "category": "repair", "description": "已经自己修好了"})).await.json()["id"].as_i64().unwrap();
        // Before a second report of the same kind is sent, the form can say how many are open (a count only).
        assert_eq!(resident.get(&format!("/pick/alike?compound={cid}&category=repair")).await.json()["count"], 1);
        assert_eq!(resident.get(&format!("/pick/alike?compound={cid}&category=environment")).await.json()["count"], 0);
        let far = App::anonymous(&db).with_token(&user_token(&db, "far", "worker", "371428001001").await);
        assert_eq!(far.get(&format!("/pick/alike?compound={cid}&category=repair")).await.status, 404, "not outside scope");
        assert!(resident.get("/problems").await.body.contains("data-alike=\"/pick/alike\""));
        let page = resident.get(&format!("/problems/{pid}")).await.body;
        assert!(page.contains("value=\"withdraw\" class=\"danger\""), "the reporter is offered it: {page}");
        assert!(!worker.get(&format!("/problems/{pid}")).await.body.contains("value=\"withdraw\""), "the handler is not");
        assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid}/steps"), json!({"step": "withdraw"})).await.status, 422);
        let r = resident.form(&format!("/problems/{pid}/steps"), &[("step", "withdraw"), ("note", "已自行解决")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(resident.get(r.header("location")).await.body.contains("已提交，当前状态：已撤回"));
        assert_eq!(worker.get(&format!("/api/v1/problems/{pid}")).await.json()["state"], "withdrawn");
        // Off every work list, on the closed one; not counted in the hotline's rates.
        assert!(!worker.get("/problems").await.body.contains(&format!("href=\"/problems/{pid}\"")));
        assert!(worker.get("/problems?view=closed").await.body.contains(&format!("href=\"/problems/{pid}\"")));
        let month = domain::clock::today().format("%Y-%m").to_string();
        let b = admin.get(&format!("/api/v1/bulletin?region=371402001&month={month}")).await.json();
        let row = b["problem_regions"].as_array().unwrap().iter().find(|g| g["key"] == fh).unwrap();
        assert_eq!(row["rates"]["submitted"], 0, "a withdrawn report is not counted");
        // Once resolved it is rated, not withdrawn.
        let pid2 = resident.json("POST", "/api/v1/problems", json!({"compound_id": cid, "category": "repair", "description": "门坏了"})).await.json()["id"].as_i64().unwrap();
        for s in ["accept", "resolve"] {
            assert_eq!(worker.json("POST", &format!("/api/v1/problems/{pid2}/steps"), json!({"step": s})).await.status, 200);
        }
        assert_eq!(resident.json("POST", &format!("/api/v1/problems/{pid2}/steps"), json!({"step": "withdraw"})).await.status, 422);
    }
}
