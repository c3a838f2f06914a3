//! Oversight of companies (issue 15): a score computed by hand equals the
//! system's item by item; a veto gives the lowest grade; a back-dated fault
//! changes only its own period; objections and rulings; the notice's state
//! machine with per-item closing and escalation on a moved clock; scope.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::Db;
use db::backfill::{Backfill, PastInspection, PastProblem};
use db::oversight::{NewEntry, NewItem, NewNotice};
use domain::problem::{Rating, State};
use domain::rectify::{InspectionKind, NoticeBy, NoticeStep};
use serde_json::{Value, json};

use crate::support::{App, communities, dezhou, multipart, system, user_token};

fn cc(n: u32) -> String {
    domain::org::CreditCode::complete(&format!("91371402MA00015{n:02}")).unwrap().to_string()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(d: &str, h: i64) -> DateTime<Utc> {
    domain::clock::start_of(day(d)) + Duration::hours(h)
}

async fn rows(app: &App, sheet: &str, body: Value) {
    let r = app.json("POST", &format!("/api/v1/registry/{sheet}"), body).await;
    assert_eq!(r.status, 200, "{sheet}: {}", r.body);
}

/// Two companies: X serves 甲苑 (300 households) and 乙苑 (100) in 新湖街道
/// 丰华社区; Y serves 丙苑 in another street. Returns (a, b, c, x, y, path of a).
struct World {
    a: i64,
    b: i64,
    c: i64,
    x: i64,
    y: i64,
    path_a: String,
    path_b: String,
}

async fn world(db: &Db) -> World {
    dezhou(db).await;
    let admin = App::new(db).await;
    let fh = "371402001009";
    let other = communities("371402", 400).into_iter().find(|c| !c.as_str().starts_with("371402001")).unwrap();
    rows(
        &admin,
        "compounds",
        json!([
            {"community_code": fh, "name": "甲苑", "households": 300},
            {"community_code": fh, "name": "乙苑", "households": 100},
            {"community_code": other.as_str(), "name": "丙苑", "households": 200},
        ]),
    )
    .await;
    rows(
        &admin,
        "companies",
        json!([
            {"credit_code": cc(1), "name": "甲物业", "region_code": "371402", "party_coverage": "instructor_only"},
            {"credit_code": cc(2), "name": "丙物业", "region_code": "371402", "party_coverage": "instructor_only"},
        ]),
    )
    .await;
    rows(
        &admin,
        "compound_history",
        json!([
            {"community_code": fh, "compound": "甲苑", "kind": "company", "value": cc(1), "effective_from": "2020-01-01"},
            {"community_code": fh, "compound": "乙苑", "kind": "company", "value": cc(1), "effective_from": "2020-01-01"},
            {"community_code": other.as_str(), "compound": "丙苑", "kind": "company", "value": cc(2), "effective_from": "2020-01-01"},
        ]),
    )
    .await;
    let list = admin.get("/api/v1/compounds?region=371402&per_page=200").await.json();
    let find = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap().clone();
    let orgs = admin.get("/api/v1/organisations?kind=company").await.json();
    let org =
        |n: &str| orgs["items"].as_array().unwrap().iter().find(|o| o["name"] == n).unwrap()["id"].as_i64().unwrap();
    let a = db::compounds::get(db, find("甲苑")["id"].as_i64().unwrap()).await.unwrap();
    let b = db::compounds::get(db, find("乙苑")["id"].as_i64().unwrap()).await.unwrap();
    World {
        a: a.id,
        b: b.id,
        c: find("丙苑")["id"].as_i64().unwrap(),
        x: org("甲物业"),
        y: org("丙物业"),
        path_a: a.region_path,
        path_b: b.region_path,
    }
}

fn problem(
    compound: i64,
    path: &str,
    company: i64,
    submitted: DateTime<Utc>,
    resolved: DateTime<Utc>,
    unsatisfied: bool,
) -> PastProblem {
    let resolve_by = submitted + Duration::hours(168);
    let mut steps = vec![
        (submitted + Duration::hours(1), "accept".to_owned(), State::Submitted, State::Accepted),
        (resolved, "resolve".to_owned(), State::Accepted, State::Resolved),
    ];
    if unsatisfied {
        steps.push((resolved + Duration::hours(5), "rate:unsatisfied".into(), State::Resolved, State::Reopened));
        steps.push((resolved + Duration::hours(6), "accept".into(), State::Reopened, State::Accepted));
        steps.push((resolved + Duration::hours(9), "resolve".into(), State::Accepted, State::Resolved));
    }
    let last = steps.last().unwrap().0;
    steps.push((last + Duration::hours(2), "rate:satisfied".into(), State::Resolved, State::Closed));
    PastProblem {
        compound_id: compound,
        region_path: path.to_owned(),
        category: "repair".into(),
        description: "楼道灯不亮".into(),
        company_id: Some(company),
        submitted_at: submitted,
        accept_by: submitted + Duration::hours(24),
        resolve_by,
        resolved_at: Some(last),
        rating: Some(Rating::Satisfied),
        state: State::Closed,
        steps,
    }
}

/// The second quarter of 2021 as recorded: at 甲苑 two problems resolved
/// late, one reopened by an unsatisfied resident, an inspection that lost 8
/// checklist points, a notice answered after its deadline and returned once;
/// at 乙苑 one problem late; an honour for 甲物业; a veto for 丙物业.
async fn q2_history(db: &Db, w: &World) -> i64 {
    let mut back = Backfill::new(db, system()).await.unwrap();
    let late = |d: &str| (at(d, 2), at(d, 2) + Duration::days(9));
    for d in ["2021-05-01", "2021-06-03"] {
        let (s, r) = late(d);
        back.problem(&problem(w.a, &w.path_a, w.x, s, r, false)).await.unwrap();
    }
    back.problem(&problem(w.a, &w.path_a, w.x, at("2021-04-10", 2), at("2021-04-11", 2), true)).await.unwrap();
    back.problem(&problem(w.a, &w.path_a, w.x, at("2021-04-20", 2), at("2021-04-21", 2), false)).await.unwrap();
    let (s, r) = late("2021-05-15");
    back.problem(&problem(w.b, &w.path_b, w.x, s, r, false)).await.unwrap();
    back.inspection(&PastInspection {
        compound_id: w.a,
        region_path: w.path_a.clone(),
        company_id: Some(w.x),
        campaign_id: None,
        follows_id: None,
        kind: InspectionKind::Quarterly,
        visited_on: day("2021-05-10"),
        inspector: "xinhu".into(),
        lines: vec![
            ("环境卫生".into(), 15, 12, "楼道堆物".into()),
            ("绿化养护".into(), 10, 10, String::new()),
            ("设施设备".into(), 20, 15, "门禁损坏".into()),
        ],
    })
    .await
    .unwrap();
    back.finish().await.unwrap();

    let officer = system();
    let n = notice_at_a(w, day("2021-05-11"), day("2021-05-20"), "楼道堆物");
    let notice = db::oversight::issue(db, &officer, &n, at("2021-05-11", 2)).await.unwrap();
    let step = |s: NoticeStep, by: NoticeBy, note: &'static str, when: DateTime<Utc>| {
        let db = db.clone();
        let officer = officer.clone();
        async move { db::oversight::step(&db, &officer, notice.id, s, by, note, when).await.unwrap() }
    };
    step(NoticeStep::Receive, NoticeBy::Company, "", at("2021-05-12", 2)).await;
    step(NoticeStep::Answer, NoticeBy::Company, "已整改", at("2021-05-25", 2)).await;
    step(NoticeStep::Return, NoticeBy::Issuer, "不彻底", at("2021-05-27", 2)).await;
    step(NoticeStep::Answer, NoticeBy::Company, "已重新整改", at("2021-05-28", 2)).await;
    step(NoticeStep::Close, NoticeBy::Issuer, "", at("2021-05-30", 2)).await;

    let county = domain::RegionCode::parse("371402").unwrap();
    for (company, key, on) in [(w.x, "honour", "2021-06-01"), (w.y, "fund_misuse", "2021-05-05")] {
        let e = NewEntry {
            company_id: company,
            compound_id: None,
            region: county.clone(),
            on_date: day(on),
            item_key: key.into(),
            count: 1,
            reason: "记录".into(),
            evidence: String::new(),
        };
        db::oversight::record_entry(db, &system(), &e, at(on, 3)).await.unwrap();
    }
    notice.id
}

fn line<'a>(compound: &'a Value, key: &str) -> &'a Value {
    compound["lines"].as_array().unwrap().iter().find(|l| l["key"] == key).unwrap_or_else(|| panic!("no line {key}"))
}

/// A street's notice to company X over compound A, with one item.
fn notice_at_a(w: &World, issued_on: NaiveDate, deadline: NaiveDate, item: &str) -> NewNotice {
    NewNotice {
        region: domain::RegionCode::parse("371402001").unwrap(),
        company_id: w.x,
        compounds: vec![(w.a, w.path_a.clone())],
        campaign_id: None,
        inspection_id: None,
        requirement: "限期整改".into(),
        issued_on,
        deadline,
        items: vec![NewItem { text: item.into(), ..Default::default() }],
    }
}

db_test! {
    async fn a_score_by_hand_equals_the_systems_item_by_item(db: Db) {
        let w = world(&db).await;
        let notice = q2_history(&db, &w).await;
        let city = App::anonymous(&db).with_token(&user_token(&db, "dezhou", "supervisor", "3714").await);
        let r = city.get(&format!("/api/v1/grades/companies/{}?region=371402&period=2021Q2", w.x)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let g = r.json();
        let compounds = g["grading"]["companies"][0]["compounds"].as_array().unwrap();
        let a = compounds.iter().find(|c| c["compound_id"] == w.a).unwrap();
        let b = compounds.iter().find(|c| c["compound_id"] == w.b).unwrap();
        // By hand, under the four colours: 甲苑 100 − 2×2 − 1 − 8×1 − 10 − 3 + 2 = 76.0.
        for (key, count, points) in [
            ("problem_overdue", 2, -4.0),
            ("problem_reopened", 1, -1.0),
            ("inspection_finding", 8, -8.0),
            ("notice_missed", 1, -10.0),
            ("notice_returned", 1, -3.0),
            ("honour", 1, 2.0),
            ("party_building", 0, 0.0),
            ("fund_misuse", 0, 0.0),
        ] {
            let l = line(a, key);
            assert_eq!((l["count"].as_i64().unwrap(), l["points"].as_f64().unwrap()), (count, points), "甲苑 {key}");
        }
        assert_eq!(a["score"].as_f64(), Some(76.0));
        // 乙苑: 100 − 2 + 2 = 100.0; the company: (76×300 + 100×100) / 400 = 82.0, blue.
        assert_eq!((line(b, "problem_overdue")["points"].as_f64(), b["score"].as_f64()), (Some(-2.0), Some(100.0)));
        let x = &g["grading"]["companies"][0];
        assert_eq!((x["score"].as_f64(), x["grade"].as_str(), x["vetoed"].as_bool()), (Some(82.0), Some("blue"), Some(false)));
        // Every fact names its source and links to it.
        let facts = g["facts"].as_array().unwrap();
        let missed = facts.iter().find(|f| f["key"] == "notice_missed").unwrap();
        assert_eq!(missed["source"], format!("notice:{notice}"));
        assert_eq!(missed["link"], format!("/oversight/notices/{notice}"));
        assert!(facts.iter().filter(|f| f["key"] == "problem_overdue").all(|f| f["link"].as_str().unwrap().starts_with("/problems/")));
        assert_eq!(facts.iter().find(|f| f["key"] == "inspection_finding").map(|f| f["count"].as_i64()), Some(Some(3)));

        // A veto gives red whatever the points: 丙物业 scored 100.
        let all = city.get("/api/v1/grades?region=371402&period=2021Q2").await.json();
        let y = all["companies"].as_array().unwrap().iter().find(|c| c["company_id"] == w.y).unwrap().clone();
        assert_eq!((y["score"].as_f64(), y["grade"].as_str(), y["vetoed"].as_bool()), (Some(100.0), Some("red"), Some(true)));
        assert_eq!(all["companies"].as_array().unwrap().last().unwrap()["company_id"], w.y, "vetoed companies rank last");
        let _ = w.c;
    }
}

db_test! {
    async fn a_back_dated_fault_changes_its_own_period_only(db: Db) {
        let w = world(&db).await;
        q2_history(&db, &w).await;
        let city = App::anonymous(&db).with_token(&user_token(&db, "dezhou", "supervisor", "3714").await);
        let score = |period: &'static str| {
            let city = city.clone();
            let x = w.x;
            async move {
                let g = city.get(&format!("/api/v1/grades/companies/{x}?region=371402&period={period}")).await.json();
                g["grading"]["companies"][0]["score"].as_f64().unwrap()
            }
        };
        assert_eq!((score("2021Q1").await, score("2021Q2").await), (100.0, 82.0));
        let published = city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await;
        assert_eq!(published.status, 201, "{}", published.body);
        // An inspection of February recorded in June: 4 checklist points lost at 甲苑.
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let mut lines: Vec<Value> = domain::rectify::default_checklist().iter().map(|c| json!({"score": c.max})).collect();
        lines[0] = json!({"score": 11, "finding": "垃圾清运不及时"});
        let r = officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "quarterly", "visited_on": "2021-02-10", "lines": lines})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        // 甲苑 96, 乙苑 100: (96×300 + 100×100) / 400 = 97.0; the second quarter stays.
        assert_eq!((score("2021Q1").await, score("2021Q2").await), (97.0, 82.0));
        let p = city.get(&format!("/api/v1/grade-publications/{}", published.json()["id"])).await.json();
        let x = p["results"].as_array().unwrap().iter().find(|r| r["company_id"] == w.x).unwrap().clone();
        assert_eq!(x["score"].as_f64(), Some(82.0), "a publication keeps what it published");
    }
}

db_test! {
    async fn objections_are_filed_in_time_and_ruled(db: Db) {
        let w = world(&db).await;
        let notice = q2_history(&db, &w).await;
        let city = App::anonymous(&db).with_token(&user_token(&db, "dezhou", "supervisor", "3714").await);
        let firm = App::anonymous(&db).with_token(&user_token(&db, "jiawy", "company", &format!("company:{}", w.x)).await);
        let other = App::anonymous(&db).with_token(&user_token(&db, "bingwy", "company", &format!("company:{}", w.y)).await);
        let p = city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await.json();
        let pid = p["id"].as_i64().unwrap();
        let objection = json!({"company_id": w.x, "item_key": "notice_missed", "source": format!("notice:{notice}"), "reason": "系统延迟导致回复晚录入"});
        // Only the company itself objects, only to a fact that counted, once.
        assert_eq!(other.json("POST", &format!("/api/v1/grade-publications/{pid}/objections"), objection.clone()).await.status, 404);
        let wrong = json!({"company_id": w.x, "item_key": "notice_missed", "source": "notice:999999", "reason": "x"});
        let r = firm.json("POST", &format!("/api/v1/grade-publications/{pid}/objections"), wrong).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = firm.json("POST", &format!("/api/v1/grade-publications/{pid}/objections"), objection.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let oid = r.json()["id"].as_i64().unwrap();
        assert_eq!(firm.json("POST", &format!("/api/v1/grade-publications/{pid}/objections"), objection).await.status, 409);
        // The company does not rule on its own objection; the city does, once.
        assert_eq!(firm.json("POST", &format!("/api/v1/grade-objections/{oid}/ruling"), json!({"uphold": true, "ruling": "x"})).await.status, 403);
        let r = city.json("POST", &format!("/api/v1/grade-objections/{oid}/ruling"), json!({"uphold": true, "ruling": "核实属系统原因，予以采纳"})).await;
        assert_eq!((r.status.as_u16(), r.json()["state"].as_str()), (200, Some("upheld")), "{}", r.body);
        assert_eq!(city.json("POST", &format!("/api/v1/grade-objections/{oid}/ruling"), json!({"uphold": false, "ruling": "x"})).await.status, 409);
        // The fact no longer counts: 甲苑 86, the company (86×300 + 100×100) / 400 = 89.5.
        let g = firm.get(&format!("/api/v1/grades/companies/{}?region=371402&period=2021Q2", w.x)).await.json();
        assert_eq!(g["grading"]["companies"][0]["score"].as_f64(), Some(89.5));
        assert_eq!(g["objections"][0]["state"], "upheld");
        // Published again, the list shows it.
        city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await;
        let p = city.get(&format!("/api/v1/grade-publications/{pid}")).await.json();
        assert_eq!(p["results"].as_array().unwrap().iter().find(|r| r["company_id"] == w.x).unwrap()["score"].as_f64(), Some(89.5));
        // After the scheme's ten days, no more objections.
        let publication = db::oversight::publication(&db, pid).await.unwrap();
        let g = db::oversight::grade(&db, &domain::RegionCode::parse("371402").unwrap(), day("2021-04-01"), Utc::now()).await.unwrap();
        let fact = g.facts.iter().find(|f| f.company_id == w.x && f.key == "problem_overdue").unwrap();
        let late = db::oversight::object(&db, &system(), &publication, w.x, fact, "迟到的异议", Utc::now() + Duration::days(11)).await;
        assert!(matches!(late, Err(db::DbError::Invalid(ref e)) if e.field == "publication"), "{late:?}");
    }
}

db_test! {
    async fn grades_are_seen_within_scope(db: Db) {
        let w = world(&db).await;
        q2_history(&db, &w).await;
        let firm = App::anonymous(&db).with_token(&user_token(&db, "jiawy", "company", &format!("company:{}", w.x)).await);
        let far = App::anonymous(&db).with_token(&user_token(&db, "far", "officer", "371428").await);
        let city = App::anonymous(&db).with_token(&user_token(&db, "dezhou", "supervisor", "3714").await);
        let mine = firm.get("/api/v1/grades?region=371402&period=2021Q2").await.json();
        let ids: Vec<i64> = mine["companies"].as_array().unwrap().iter().map(|c| c["company_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [w.x], "a company sees its own grade alone");
        assert_eq!(firm.get(&format!("/api/v1/grades/companies/{}?region=371402&period=2021Q2", w.y)).await.status, 404);
        assert_eq!(far.get("/api/v1/grades?region=371402&period=2021Q2").await.status, 404);
        // Publishing is the supervisor's; an officer may not, a company may not.
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        assert_eq!(officer.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await.status, 404);
        assert_eq!(firm.json("PUT", "/api/v1/grading/scheme", json!({"region": "371402", "valid_from": "2021-01-01", "preset": "ranked"})).await.status, 404);
        assert_eq!(city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await.status, 201);
        // Once published, a period stands until a ruling; a period not yet over is not published.
        assert_eq!(city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await.status, 409);
        let now = domain::grading::Cadence::Quarter.period_of(domain::clock::today()).name();
        assert_eq!(city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": now})).await.status, 422);
        assert_eq!(city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": ""})).await.status, 422);
        // A scheme does not reach back over what was published, and starts with a period.
        let back = json!({"region": "371402", "valid_from": "2021-01-01", "preset": "ranked"});
        assert_eq!(city.json("PUT", "/api/v1/grading/scheme", back).await.status, 409);
        let mid = json!({"region": "371402", "valid_from": "2022-02-01", "preset": "shandong_credit"});
        assert_eq!(city.json("PUT", "/api/v1/grading/scheme", mid).await.status, 422);
        // An officer records facts and talks about the companies of their own region only.
        let entry = |company: i64| json!({"company_id": company, "region": "371402001", "on_date": "2021-05-01", "item_key": "honour", "reason": "表彰"});
        assert_eq!(officer.json("POST", "/api/v1/grade-entries", entry(w.y)).await.status, 404);
        assert_eq!(officer.json("POST", "/api/v1/grade-entries", entry(w.x)).await.status, 201);
        let talk = json!({"company_id": w.y, "region": "371402001", "held_on": "2021-05-01", "people": "x", "outcome": "y"});
        assert_eq!(officer.json("POST", "/api/v1/talks", talk).await.status, 404);
        // The public list: names and grades, for anyone.
        let public = App::anonymous(&db).get("/grades/public?region=371402").await;
        assert_eq!(public.status, 200);
        assert!(public.body.contains("甲物业") && public.body.contains("丙物业"));
        // A scheme chosen from 2022 leaves 2021 as it was.
        let r = city.json("PUT", "/api/v1/grading/scheme", json!({"region": "371402", "valid_from": "2022-01-01", "preset": "shandong_credit"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(city.get("/api/v1/grading/scheme?region=371402&on=2021-06-01").await.json()["scheme"]["key"], "four_colour");
        assert_eq!(city.get("/api/v1/grading/scheme?region=371402001&on=2022-06-01").await.json()["scheme"]["key"], "shandong_credit");
        let g = city.get("/api/v1/grades?region=371402&period=2022").await.json();
        assert_eq!((g["scheme_key"].as_str(), g["period"].as_str()), (Some("shandong_credit"), Some("2022")));
    }
}

db_test! {
    async fn a_notice_moves_through_its_states_item_by_item(db: Db) {
        let w = world(&db).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let firm = App::anonymous(&db).with_token(&user_token(&db, "jiawy", "company", &format!("company:{}", w.x)).await);
        let other = App::anonymous(&db).with_token(&user_token(&db, "bingwy", "company", &format!("company:{}", w.y)).await);
        let street2 = App::anonymous(&db).with_token(&user_token(&db, "s2", "officer", "371402002").await);
        let deadline = (domain::clock::today() + Duration::days(7)).to_string();
        let body = json!({"company_id": w.x, "compound_ids": [w.a, w.b], "requirement": "限期整改", "deadline": deadline,
                          "items": [{"text": "楼道堆物"}, {"text": "门禁损坏"}]});
        // Only where the officer supervises, only to the company serving it.
        let wrong = json!({"company_id": w.y, "compound_ids": [w.a], "requirement": "x", "deadline": deadline, "items": [{"text": "x"}]});
        assert_eq!(officer.json("POST", "/api/v1/rectification-notices", wrong).await.status, 422);
        assert_eq!(street2.json("POST", "/api/v1/rectification-notices", body.clone()).await.status, 404);
        assert_eq!(firm.json("POST", "/api/v1/rectification-notices", body.clone()).await.status, 403);
        let r = officer.json("POST", "/api/v1/rectification-notices", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let n = r.json();
        let id = n["id"].as_i64().unwrap();
        let year = chrono::Datelike::year(&domain::clock::today());
        assert_eq!(n["number"], format!("371402001-{year}-0001"));
        assert_eq!(n["state"], "issued");
        // Seen by the company it names and the officers over it; nobody else.
        assert_eq!(other.get(&format!("/api/v1/rectification-notices/{id}")).await.status, 404);
        assert_eq!(street2.get(&format!("/api/v1/rectification-notices/{id}")).await.status, 404);
        assert_eq!(other.get("/api/v1/rectification-notices").await.json()["total"], 0);
        let seen = firm.get(&format!("/api/v1/rectification-notices/{id}")).await.json();
        assert_eq!(seen["steps"], json!(["receive", "answer"]));
        let step = |app: &App, s: &str, note: &str| {
            let app = app.clone();
            let body = json!({"step": s, "note": note});
            async move { app.json("POST", &format!("/api/v1/rectification-notices/{id}/steps"), body).await }
        };
        assert_eq!(step(&firm, "close", "").await.status, 403, "a company does not verify itself");
        assert_eq!(step(&officer, "answer", "x").await.status, 403);
        assert_eq!(step(&firm, "answer", "x").await.status, 200, "answering signs for it");
        assert_eq!(step(&firm, "receive", "").await.status, 422, "not twice");
        assert_eq!(step(&officer, "return", "").await.status, 422, "a return needs its reason");
        assert_eq!(step(&officer, "return", "门禁仍未修复").await.json()["state"], "returned");
        let items = firm.get(&format!("/api/v1/rectification-notices/{id}")).await.json()["items"].clone();
        let (i1, i2) = (items[0]["id"].as_i64().unwrap(), items[1]["id"].as_i64().unwrap());
        let close = |app: &App, item: i64| {
            let app = app.clone();
            async move { app.json("POST", &format!("/api/v1/rectification-notices/{id}/items/{item}/close"), json!({})).await }
        };
        assert_eq!(close(&officer, i1).await.status, 422, "items close once the answer is in");
        assert_eq!(step(&firm, "answer", "门禁已更换").await.json()["state"], "answered");
        assert_eq!(close(&firm, i1).await.status, 403);
        let r = close(&officer, i1).await.json();
        assert_eq!((r["state"].as_str(), r["items"][0]["closed_at"].is_null(), r["items"][1]["closed_at"].is_null()), (Some("answered"), false, true));
        assert_eq!(close(&officer, i1).await.status, 409);
        assert_eq!(close(&officer, 999_999).await.status, 404);
        let r = close(&officer, i2).await.json();
        assert_eq!(r["state"], "closed", "the last item closes the notice");
        let steps: Vec<&str> = r["timeline"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["issue", "answer", "return", "answer", &format!("close_item:{i1}"), &format!("close_item:{i2}"), "close"]);
        // Counted in the figures; printable.
        let f = db::oversight::oversight_figures(&db, Some(&domain::RegionCode::parse("371402").unwrap().path()), domain::clock::today()).await.unwrap();
        assert_eq!((f.notices_issued, f.notices_closed, f.notices_overdue, f.notices_closed_on_time), (1, 1, 0, 1));
        let docx = officer.get(&format!("/oversight/notices/{id}/notice.docx")).await;
        assert_eq!(docx.status, 200);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.body_bytes.clone())).expect("a .docx is a zip");
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        let number = format!("371402001-{year}-0001");
        assert!(xml.contains(&number) && xml.contains("甲物业") && xml.contains("门禁损坏") && xml.contains("新湖街道"), "{xml}");
        // The bulletin's section and sheet count it.
        let month = report::Month::of(domain::clock::today()).to_string();
        let x = officer.get(&format!("/dashboard/bulletin.xlsx?region=371402001&month={month}")).await;
        let sheet = import::read_xlsx(&x.body_bytes).unwrap().sheets.into_iter().find(|s| s.name == "整改与四色管理").unwrap();
        let street = sheet.rows.iter().find(|r| r.first().is_some_and(|c| c == "新湖街道")).expect("the street's row");
        assert_eq!(street[1..4], ["1", "1", "0"], "issued, closed, overdue");
        let page = firm.get(&format!("/oversight/notices/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("已销号"), "{}", page.body);
    }
}

db_test! {
    async fn an_overdue_notice_escalates_on_a_moved_clock(db: Db) {
        let w = world(&db).await;
        let today = domain::clock::today();
        let n = notice_at_a(&w, today, today + Duration::days(3), "消防通道堵塞");
        let notice = db::oversight::issue(&db, &system(), &n, Utc::now()).await.unwrap();
        assert_eq!(db::oversight::sweep(&db, Utc::now()).await.unwrap().escalated, 0);
        // Overdue: one level up (the county); late by more than its own span: the city.
        let s = db::oversight::sweep(&db, Utc::now() + Duration::days(5)).await.unwrap();
        assert_eq!(s.escalated, 1);
        assert_eq!(db::oversight::get(&db, notice.id).await.unwrap().level_code, "371402");
        db::oversight::sweep(&db, Utc::now() + Duration::days(5)).await.unwrap();
        db::oversight::sweep(&db, Utc::now() + Duration::days(9)).await.unwrap();
        let after = db::oversight::get(&db, notice.id).await.unwrap();
        assert_eq!(after.level_code, "3714");
        assert!(after.overdue(today + Duration::days(9)) && after.missed(today + Duration::days(9)));
        let steps: Vec<String> = db::oversight::events(&db, notice.id).await.unwrap().into_iter().map(|e| e.step).collect();
        assert_eq!(steps, ["issue", "escalate:county", "escalate:city"], "each level once");
        // The county's officer now acts as issuer too.
        let county = App::anonymous(&db).with_token(&user_token(&db, "dc", "officer", "371402").await);
        let firm = App::anonymous(&db).with_token(&user_token(&db, "jiawy", "company", &format!("company:{}", w.x)).await);
        firm.json("POST", &format!("/api/v1/rectification-notices/{}/steps", notice.id), json!({"step": "answer", "note": "已疏通"})).await;
        let r = county.get(&format!("/api/v1/rectification-notices/{}", notice.id)).await.json();
        assert_eq!(r["steps"], json!(["return", "close"]));
    }
}

db_test! {
    async fn an_inspection_issues_a_notice_from_its_findings(db: Db) {
        let w = world(&db).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let checklist = officer.get("/api/v1/inspection-checklist").await.json();
        let n = checklist.as_array().unwrap().len();
        let full: Vec<Value> = checklist.as_array().unwrap().iter().map(|c| json!({"score": c["max"]})).collect();
        // A deduction without saying what was found is refused, and nothing is stored.
        let mut bad = full.clone();
        bad[1] = json!({"score": 5});
        let r = officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "quarterly", "lines": bad})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let mut over = full.clone();
        over[0] = json!({"score": 999, "finding": "x"});
        assert_eq!(officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "quarterly", "lines": over})).await.status, 422);
        assert_eq!(officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "quarterly", "lines": &full[..n - 1]})).await.status, 422);
        assert_eq!(officer.get("/api/v1/inspections").await.json()["total"], 0);
        let mut lines = full.clone();
        lines[0] = json!({"score": 10, "finding": "楼道杂物堆放"});
        lines[4] = json!({"score": 8, "finding": "灭火器压力不足"});
        let deadline = (domain::clock::today() + Duration::days(10)).to_string();
        let r = officer
            .json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "quarterly", "lines": lines,
                   "notice": {"requirement": "十日内整改完毕", "deadline": deadline}}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let (iid, nid) = (r.json()["id"].as_i64().unwrap(), r.json()["notice_id"].as_i64().unwrap());
        let i = officer.get(&format!("/api/v1/inspections/{iid}")).await.json();
        assert_eq!((i["score"].as_i64(), i["max"].as_i64(), i["company_id"].as_i64()), (Some(100 - 5 - 7), Some(100), Some(w.x)));
        let notice = officer.get(&format!("/api/v1/rectification-notices/{nid}")).await.json();
        let findings: Vec<i64> = i["lines"].as_array().unwrap().iter().filter(|l| l["score"] != l["max"]).map(|l| l["id"].as_i64().unwrap()).collect();
        let items: Vec<i64> = notice["items"].as_array().unwrap().iter().map(|x| x["finding_id"].as_i64().unwrap()).collect();
        assert_eq!(items, findings, "one item per finding");
        assert_eq!((notice["inspection_id"].as_i64(), notice["company_id"].as_i64()), (Some(iid), Some(w.x)));
        // A re-inspection names the one it follows, of the same compound.
        let r = officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.a, "kind": "follow_up", "follows_id": iid, "lines": full})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.b, "kind": "follow_up", "follows_id": iid, "lines": full})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // Out of the officer's street: not there at all.
        assert_eq!(officer.json("POST", "/api/v1/inspections", json!({"compound_id": w.c, "kind": "quarterly", "lines": full})).await.status, 404);
    }
}

/// The first problem recorded at a compound.
async fn problem_at(db: &Db, compound: i64) -> i64 {
    let all = db::problems::Visible { all: true, ..Default::default() };
    let (rows, _) =
        db::problems::list(db, &all, &Default::default(), domain::Paging::new(None, Some(200))).await.unwrap();
    rows.into_iter().find(|p| p.compound_id == compound).unwrap().id
}

db_test! {
    async fn the_inspection_form_keeps_photos_of_its_findings(db: Db) {
        let w = world(&db).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let checklist = domain::rectify::default_checklist();
        let mut fields: Vec<(String, String)> = vec![
            ("compound".into(), format!("#{}", w.a)),
            ("visited_on".into(), domain::clock::today().to_string()),
        ];
        for (i, c) in checklist.iter().enumerate() {
            fields.push((format!("score_{i}"), if i == 0 { c.max - 3 } else { c.max }.to_string()));
        }
        fields.push(("finding_0".into(), "垃圾桶满溢".into()));
        let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[7u8; 64][..]].concat();
        // Not a photo: refused before anything is stored.
        let r = officer.send(multipart("/oversight/inspections", &fields, &[("photo_0", b"%PDF-1.4 not a photo")])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(officer.get("/api/v1/inspections").await.json()["total"], 0);
        let r = officer.send(multipart("/oversight/inspections", &fields, &[("photo_0", &png)])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = r.header("location").to_owned();
        let html = officer.get(&page).await.body;
        let src = html
            .split("src=\"")
            .filter_map(|s| s.split('"').next())
            .find(|s| s.contains("/photos/"))
            .expect("the photo is shown")
            .to_owned();
        assert!(src.starts_with(&format!("{page}/photos/")), "{src}");
        let photo = officer.get(&src).await;
        assert_eq!((photo.status.as_u16(), photo.header("content-type")), (200, "image/png"));
        // Only those who may see the inspection see its photos.
        let far = App::anonymous(&db).with_token(&user_token(&db, "far", "officer", "371428").await);
        assert_eq!(far.get(&src).await.status, 404);
    }
}

db_test! {
    async fn inspections_fall_due_by_grade_and_items_name_problems(db: Db) {
        let w = world(&db).await;
        q2_history(&db, &w).await;
        let city = App::anonymous(&db).with_token(&user_token(&db, "dezhou", "supervisor", "3714").await);
        assert_eq!(city.json("POST", "/api/v1/grade-publications", json!({"region": "371402", "period": "2021Q2"})).await.status, 201);
        // 甲物业 blue: every 6 months from 甲苑's visit of 10 May; 乙苑 never visited: due when the period ended.
        let county = domain::RegionCode::parse("371402").unwrap();
        assert!(db::oversight::due(&db, &county, day("2021-08-01")).await.unwrap().is_empty(), "nothing was published by then");
        let due = db::oversight::due(&db, &county, domain::clock::today()).await.unwrap();
        let of = |c: i64| due.iter().find(|d| d.compound_id == c).unwrap().clone();
        assert_eq!((of(w.a).grade.as_str(), of(w.a).every_months, of(w.a).due_on), ("blue", 6, day("2021-11-10")));
        assert_eq!((of(w.b).last, of(w.b).due_on), (None, day("2021-07-01")));
        assert_eq!((of(w.c).grade.as_str(), of(w.c).every_months), ("red", 1), "a veto's red is inspected monthly");
        assert_eq!(due.first().map(|d| d.due_on), Some(day("2021-07-01")), "soonest first");

        // The page's notice form links an item to a problem by its number.
        let problem = problem_at(&db, w.a).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let deadline = (domain::clock::today() + Duration::days(5)).to_string();
        let form = |items: String| {
            vec![
                ("compound".to_owned(), format!("#{}", w.a)),
                ("items".to_owned(), items),
                ("requirement".to_owned(), "限期整改".to_owned()),
                ("deadline".to_owned(), deadline.clone()),
            ]
        };
        let r = officer.send(multipart("/oversight/notices", &form(format!("楼道灯不亮 #{problem}\n门禁损坏")), &[])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = r.header("location").rsplit('/').next().unwrap().to_owned();
        let n = officer.get(&format!("/api/v1/rectification-notices/{id}")).await.json();
        assert_eq!((n["items"][0]["problem_id"].as_i64(), n["items"][0]["text"].as_str()), (Some(problem), Some("楼道灯不亮")));
        assert!(n["items"][1]["problem_id"].is_null());
        let b_problem = problem_at(&db, w.b).await;
        let r = officer.send(multipart("/oversight/notices", &form(format!("别处的诉求 #{b_problem}")), &[])).await;
        assert_eq!(r.status, 422, "a problem of another compound: {}", r.body);
        assert!(r.body.contains("不在所列小区内"), "{}", r.body);
    }
}
