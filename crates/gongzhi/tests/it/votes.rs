//! Owners, consultation and owners' votes (issue 16), on the stored path:
//! a count at the two-thirds and one-half boundaries with a buyer of two
//! parts, co-owners and the developer's parts; changed ballots, proxies,
//! some-buildings votes, concurrent ballots; results kept and recounted;
//! scope and secrecy through the API; topics through the party's review to
//! a decision by the owners.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::Db;
use db::owners::NewOwner;
use db::votes::{Channel, NewQuestion, NewVote};
use domain::consult::{TopicBy, TopicStep};
use domain::vote::{AreaSource, Category, Choice, Matter, OwnerKind, UnitKind, Voter};
use serde_json::{Value, json};

use crate::support::{App, dezhou, multipart, system, user_token};

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn at(d: NaiveDate, h: i64) -> DateTime<Utc> {
    domain::clock::start_of(d) + Duration::hours(h)
}

fn owner(name: &str, tail: &str) -> NewOwner {
    NewOwner { name: name.into(), kind: OwnerKind::Person, phone: None, id_tail: Some(tail.into()) }
}

fn developer() -> NewOwner {
    NewOwner { name: "某置业公司".into(), kind: OwnerKind::Developer, phone: None, id_tail: None }
}

/// 议苑 in 丰华社区: building 1 with five units of 50, 50, 100, 60, 40 m²
/// (甲 holds the first two, 乙 and 丙 co-own the third, the developer holds
/// the fourth, nobody is recorded for the fifth) and building 2 with one
/// unit of 丁's. Returns (compound, building 1's unit ids, building 2, its unit).
pub(crate) struct World {
    pub compound: i64,
    pub units: Vec<i64>,
    pub b2: i64,
    pub u2: i64,
}

pub(crate) async fn world(db: &Db) -> World {
    dezhou(db).await;
    let admin = App::new(db).await;
    let fh = "371402001009";
    let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": fh, "name": "议苑"}])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .json(
            "POST",
            "/api/v1/registry/buildings",
            json!([
                {"community_code": fh, "compound": "议苑", "name": "1号楼", "floors": 5, "entrances": 1, "units_per_floor": 1, "unit_area": 80},
                {"community_code": fh, "compound": "议苑", "name": "2号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 90},
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let compound = admin.get(&format!("/api/v1/compounds?region={fh}")).await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "议苑")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let buildings = admin.get(&format!("/api/v1/compounds/{compound}/buildings")).await.json();
    let bid = |n: &str| buildings.as_array().unwrap().iter().find(|b| b["name"] == n).unwrap()["id"].as_i64().unwrap();
    let units =
        |b: Value| -> Vec<i64> { b["units"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect() };
    let b1 = bid("1号楼");
    let b2 = bid("2号楼");
    let mut u1 = units(admin.get(&format!("/api/v1/buildings/{b1}")).await.json());
    u1.sort_unstable();
    let u2 = units(admin.get(&format!("/api/v1/buildings/{b2}")).await.json())[0];
    let tx = db.begin_write().await.unwrap();
    for (u, area) in u1.iter().zip([5000, 5000, 10000, 6000, 4000]) {
        db::owners::set_unit_area_in(&*tx, *u, area, AreaSource::Registered, UnitKind::Dwelling).await.unwrap();
    }
    let since = day("2020-01-01");
    let now = Utc::now();
    let a = system();
    db::owners::record_in(&*tx, &a, compound, u1[0], &[owner("甲", "1111")], since, now).await.unwrap();
    db::owners::record_in(&*tx, &a, compound, u1[1], &[owner("甲", "1111")], since, now).await.unwrap();
    db::owners::record_in(&*tx, &a, compound, u1[2], &[owner("乙", "2222"), owner("丙", "3333")], since, now)
        .await
        .unwrap();
    db::owners::record_in(&*tx, &a, compound, u1[3], &[developer()], since, now).await.unwrap();
    db::owners::record_in(&*tx, &a, compound, u2, &[owner("丁", "4444")], since, now).await.unwrap();
    tx.commit().await.unwrap();
    World { compound, units: u1, b2, u2 }
}

pub(crate) fn new_vote(w: &World, questions: &[(Matter, Category)], buildings: Vec<i64>, opens: NaiveDate) -> NewVote {
    NewVote {
        compound_id: w.compound,
        topic_id: None,
        title: "测试表决".into(),
        body: String::new(),
        building_ids: buildings,
        questions: questions
            .iter()
            .map(|(m, c)| NewQuestion { text: format!("{} 事项", m.as_str()), matter: *m, category: *c })
            .collect(),
        announced_on: opens - Duration::days(15),
        opens_on: opens,
        closes_on: opens + Duration::days(7),
        notice_days: 15,
        objection_days: 3,
        deemed_consent: true,
        salt: "test".into(),
    }
}

db_test! {
    async fn a_stored_vote_is_counted_exactly_at_its_boundaries(db: Db) {
        let w = world(&db).await;
        let a = system();
        let opens = day("2022-03-01");
        let v = db::votes::create(&db, &a, &new_vote(&w, &[(Matter::Covenant, Category::Ordinary), (Matter::RaiseFund, Category::Special)], vec![], opens), None, at(opens - Duration::days(15), 9)).await.unwrap();
        let qs = db::votes::questions(&db, v.id).await.unwrap();
        let (q1, q2) = (qs[0].id, qs[1].id);
        // The electorate: 甲 (two parts, 100 m²), 乙+丙 (100 m²), the developer
        // (its part and the unrecorded one, 100 m²); 丁 in building 2 (90 m²).
        let el = db::votes::electorate(&db, &v).await.unwrap();
        let holdings = db::owners::holdings(&db, w.compound, &[], opens).await.unwrap();
        let key = |unit: i64| holdings.iter().find(|h| h.unit_id == unit).unwrap().holder().voter();
        let (jia, yibing, dev, ding) = (key(w.units[0]), key(w.units[2]), key(w.units[3]), key(w.u2));
        assert_eq!(key(w.units[1]), jia, "a buyer of two parts is one owner");
        assert_eq!(key(w.units[4]), Voter::Developer, "a part with no owner recorded is the developer's");
        assert_eq!(el.len(), 4);
        assert_eq!((el[&jia], el[&yibing], el[&dev], el[&ding]), (10000, 10000, 10000, 9000));

        let cast = |voter: Voter, choices: Vec<(i64, Choice)>, d: &str| {
            let db = db.clone();
            let a = a.clone();
            let d = day(d);
            async move { db::votes::cast(&db, &a, v.id, &voter, None, &choices, &Channel::Online, at(d, 10)).await }
        };
        // Before it opens, and after it closes, nothing is taken.
        assert!(matches!(cast(jia.clone(), vec![(q1, Choice::Agree)], "2022-02-28").await, Err(db::DbError::Conflict(_))));
        assert!(matches!(cast(jia.clone(), vec![(q1, Choice::Agree)], "2022-03-09").await, Err(db::DbError::Conflict(_))));
        // A question of another vote is refused.
        assert!(matches!(cast(jia.clone(), vec![(q1 + 1000, Choice::Agree)], "2022-03-02").await, Err(db::DbError::Invalid(_))));
        cast(jia.clone(), vec![(q1, Choice::Agree), (q2, Choice::Agree)], "2022-03-01").await.unwrap();
        cast(yibing.clone(), vec![(q1, Choice::Disagree), (q2, Choice::Agree)], "2022-03-02").await.unwrap();
        cast(ding.clone(), vec![(q1, Choice::Disagree), (q2, Choice::Agree)], "2022-03-03").await.unwrap();
        // Participation 3 of 4 owners, 290 of 390 m²: quorum. q1: 100 of 290 m² agree → fails.
        let c = db::votes::recount(&db, &v).await.unwrap();
        assert!(c[0].tally.quorum && !c[0].tally.passed);
        // 丁 changes their ballot on q1 to agree (the last day counts whole): 190 of 290 m², 2 of 3 owners.
        let b = cast(ding.clone(), vec![(q1, Choice::Agree)], "2022-03-08").await.unwrap();
        assert_eq!(b[0].revision, 2, "a changed ballot replaces the first");
        assert_eq!(db::votes::ballots(&db, v.id, Some(&ding)).await.unwrap().len(), 2, "one ballot per owner per question");
        let c = db::votes::recount(&db, &v).await.unwrap();
        assert!(c[0].tally.passed, "{:?}", c[0].tally);
        // 乙丙 abstain on q1: they still take part (quorum unchanged), and do not agree.
        cast(yibing.clone(), vec![(q1, Choice::Abstain)], "2022-03-08").await.unwrap();
        let c = db::votes::recount(&db, &v).await.unwrap();
        assert_eq!((c[0].tally.participating_owners, c[0].tally.abstain_owners, c[0].tally.agree_owners), (3, 1, 2));
        // q2 (special): all three agree → passes; the covenant's deemed consent is reported apart.
        assert!(c[1].tally.passed);
        assert_eq!(c[1].deemed.as_ref().unwrap().participating_owners, 4);
        // Publishing waits for the close; then the preliminary result, then (after the window) the final one.
        assert!(db::votes::publish(&db, &a, v.id, at(day("2022-03-08"), 20)).await.is_err());
        db::votes::publish(&db, &a, v.id, at(day("2022-03-09"), 9)).await.unwrap();
        assert!(db::votes::publish(&db, &a, v.id, at(day("2022-03-10"), 9)).await.is_err(), "objections are still open");
        let o = db::votes::object(&db, &a, v.id, None, "丁的选票有误", at(day("2022-03-10"), 9)).await.unwrap();
        assert!(db::votes::object(&db, &a, v.id, None, "晚了", at(day("2022-03-12"), 9)).await.is_err());
        // The final result waits for every objection's ruling.
        assert!(matches!(db::votes::publish(&db, &a, v.id, at(day("2022-03-12"), 9)).await, Err(db::DbError::Conflict(_))));
        db::votes::rule(&db, &a, v.id, o.id, "经核对，丁的选票有效").await.unwrap();
        assert!(matches!(db::votes::rule(&db, &a, v.id, o.id + 100, "无").await, Err(db::DbError::NotFound)));
        let fin = db::votes::publish(&db, &a, v.id, at(day("2022-03-12"), 9)).await.unwrap();
        assert_eq!(fin.state, domain::vote::VoteState::Final);
        let results = db::votes::results(&db, v.id).await.unwrap();
        let c = db::votes::recount(&db, &v).await.unwrap();
        for r in &results {
            let mine = c.iter().find(|x| x.question_id == r.question_id).unwrap();
            assert_eq!((&r.tally, &r.ballots_sha256), (&mine.tally, &mine.ballots_sha256), "the kept result is the recount");
        }
        assert_eq!(results.len(), 4);
        // Ownership before an opened vote is fixed.
        let tx = db.begin_write().await.unwrap();
        let e = db::owners::record_in(&*tx, &a, w.compound, w.units[4], &[owner("戊", "5555")], day("2022-02-01"), Utc::now()).await;
        assert!(matches!(e, Err(db::DbError::Invalid(_))), "{e:?}");
    }
}

db_test! {
    async fn proxies_buildings_and_concurrent_ballots(db: Db) {
        let w = world(&db).await;
        let a = system();
        let opens = day("2022-06-01");
        // A vote for building 2 alone: only 丁 counts.
        let v = db::votes::create(&db, &a, &new_vote(&w, &[(Matter::UseFund, Category::Ordinary)], vec![w.b2], opens), None, at(opens - Duration::days(15), 9)).await.unwrap();
        let el = db::votes::electorate(&db, &v).await.unwrap();
        assert_eq!(el.len(), 1);
        let q = db::votes::questions(&db, v.id).await.unwrap()[0].id;
        let ding = el.keys().next().unwrap().clone();
        // A ballot from an owner of building 1 is stored but never counted.
        let jia = db::owners::holdings(&db, w.compound, &[], opens).await.unwrap()[0].holder().voter();
        db::votes::cast(&db, &a, v.id, &jia, None, &[(q, Choice::Agree)], &Channel::Online, at(opens, 9)).await.unwrap();
        // An owner's own ballot stands: no paper ballot is entered over it.
        let paper = Channel::Paper { sha256: "cd".repeat(32), mime: "image/png".into() };
        let r = db::votes::cast(&db, &a, v.id, &jia, None, &[(q, Choice::Disagree)], &paper, at(opens, 9)).await;
        assert!(matches!(r, Err(db::DbError::Conflict(_))), "{r:?}");
        // 丁 votes by proxy with a written authority; then twelve changes at once.
        let proxy = Channel::Proxy { name: "丁某代理人".into(), sha256: "ab".repeat(32), mime: "image/png".into() };
        db::votes::cast(&db, &a, v.id, &ding, None, &[(q, Choice::Disagree)], &proxy, at(opens, 10)).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (db, a, ding) = (db.clone(), a.clone(), ding.clone());
            let choice = if i % 2 == 0 { Choice::Agree } else { Choice::Disagree };
            tasks.push(tokio::spawn(async move {
                db::votes::cast(&db, &a, v.id, &ding, None, &[(q, choice)], &Channel::Online, at(opens, 11)).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mine = db::votes::ballots(&db, v.id, Some(&ding)).await.unwrap();
        assert_eq!(mine.len(), 1, "one ballot however many writers");
        assert_eq!(mine[0].revision, 13, "every change counted once");
        let c = db::votes::recount(&db, &v).await.unwrap();
        assert_eq!((c[0].tally.total_owners, c[0].tally.participating_owners), (1, 1), "building 1's ballot is not counted");
    }
}

/// Create an account bound to a unit and verify it as the owner through the
/// API, as a community worker would; returns its token.
pub(crate) async fn verified_owner(db: &Db, worker: &App, login: &str, unit: i64, name: &str, tail: &str) -> App {
    let token = user_token(db, login, "resident", &format!("unit:{unit}")).await;
    let me = App::anonymous(db).with_token(&token);
    let r = me.json("POST", "/api/v1/owner-claims", json!({"unit_id": unit, "name": name, "id_tail": tail})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let claim = r.json()["id"].as_i64().unwrap();
    // The worker sees the unit's owners and binds the account to the right record.
    let owners = worker.get("/api/v1/owner-claims").await;
    assert_eq!(owners.status, 200, "{}", owners.body);
    let compound = db::owners::get_claim(db, claim).await.unwrap().compound_id;
    let roll = worker.get(&format!("/api/v1/compounds/{compound}/owners")).await.json();
    let record = roll["owners"].as_array().unwrap().iter().find(|o| o["owner"]["name"] == name).unwrap()["owner"]["id"]
        .as_i64()
        .unwrap();
    let r = worker.json("POST", &format!("/api/v1/owner-claims/{claim}/decision"), json!({"owner_id": record})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    me
}

db_test! {
    async fn only_owners_vote_and_nobody_sees_how_they_voted(db: Db) {
        let w = world(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let jia = verified_owner(&db, &worker, "jia", w.units[0], "甲", "1111").await;
        // A claim that names the wrong owner cannot be verified against another unit's record.
        let tenant = App::anonymous(&db).with_token(&user_token(&db, "zuhu", "resident", &format!("unit:{}", w.units[4])).await);
        let elsewhere = App::anonymous(&db).with_token(&user_token(&db, "other", "worker", "371402001001").await);
        // The committee announces; owners may not, and the law's notice and categories hold.
        let today = domain::clock::today();
        let body = |opens: NaiveDate, matter: &str, category: &str| json!({
            "compound_id": w.compound, "title": "更换门禁", "opens_on": opens, "closes_on": opens + Duration::days(10),
            "questions": [{"text": "更换单元门禁", "matter": matter, "category": category}]});
        let r = committee.json("POST", "/api/v1/votes", body(today + Duration::days(10), "use_fund", "ordinary")).await;
        assert_eq!(r.status, 422, "ten days' notice is too short: {}", r.body);
        let r = committee.json("POST", "/api/v1/votes", body(today + Duration::days(15), "raise_fund", "ordinary")).await;
        assert_eq!(r.status, 422, "raising the fund is special by law: {}", r.body);
        let r = jia.json("POST", "/api/v1/votes", body(today + Duration::days(15), "use_fund", "ordinary")).await;
        assert_eq!(r.status, 403, "{}", r.body);
        // The county asks for 20 days' notice: 15 no longer do, and a committee may not change the rule.
        let sup = App::anonymous(&db).with_token(&user_token(&db, "sup", "supervisor", "371402").await);
        let rule = json!({"region": "371402", "notice_days": 20, "objection_days": 5});
        assert_eq!(committee.json("PUT", "/api/v1/vote-rules", rule.clone()).await.status, 404);
        let r = sup.json("PUT", "/api/v1/vote-rules", json!({"region": "371402", "notice_days": 14, "objection_days": 5})).await;
        assert_eq!(r.status, 422, "never below the law's 15 days: {}", r.body);
        let r = sup.json("PUT", "/api/v1/vote-rules", rule).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let got = worker.get("/api/v1/vote-rules?region=371402001009").await.json();
        assert_eq!((got["notice_days"].as_i64(), got["region_code"].as_str()), (Some(20), Some("371402")), "{got}");
        let r = committee.json("POST", "/api/v1/votes", body(today + Duration::days(15), "use_fund", "ordinary")).await;
        assert_eq!(r.status, 422, "the county's 20 days: {}", r.body);
        let r = committee.json("POST", "/api/v1/votes", body(today + Duration::days(20), "use_fund", "ordinary")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["vote"]["objection_days"], 5, "the county's objection window");
        let future = r.json()["vote"]["id"].as_i64().unwrap();
        // 甲 is told in the app; the tenant (no owner) is not.
        let uid = |login: &str| {
            let db = db.clone();
            let login = login.to_owned();
            async move { db::accounts::user_by_login(&db, &login).await.unwrap().unwrap().id }
        };
        let told = db::notify::notifications(&db, uid("jia").await, 10).await.unwrap();
        assert!(told.iter().any(|n| n.vote_id == Some(future) && n.state == "vote_announced"), "{told:?}");
        assert!(db::notify::notifications(&db, uid("zuhu").await, 10).await.unwrap().is_empty());
        let page = jia.get("/notifications").await;
        assert!(page.body.contains(&format!("/votes/{future}")) && page.body.contains("业主表决公告"), "{}", page.body);
        let r = jia.json("POST", &format!("/api/v1/votes/{future}/ballot"), json!({"choices": [{"question_id": 1, "choice": "agree"}]})).await;
        assert_eq!(r.status, 409, "not open yet: {}", r.body);
        // A vote open today (announced earlier, straight in the storage).
        let a = system();
        let mut n = new_vote(&w, &[(Matter::UseFund, Category::Ordinary)], vec![], today - Duration::days(2));
        n.deemed_consent = false;
        let v = db::votes::create(&db, &a, &n, None, at(today - Duration::days(17), 9)).await.unwrap();
        let q = db::votes::questions(&db, v.id).await.unwrap()[0].id;
        let url = format!("/api/v1/votes/{}", v.id);
        let seen = jia.get(&url).await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        let mine = seen.json()["mine"].clone();
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["units"].as_array().unwrap().len(), 2, "甲's two parts count as one owner");
        let r = jia.json("POST", &format!("{url}/ballot"), json!({"choices": [{"question_id": q, "choice": "disagree"}]})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let first = r.json()[0]["receipt"].as_str().unwrap().to_owned();
        let r = jia.json("POST", &format!("{url}/ballot"), json!({"choices": [{"question_id": q, "choice": "agree"}]})).await;
        let second = r.json()[0]["receipt"].as_str().unwrap().to_owned();
        assert_ne!(first, second, "a changed ballot has a new receipt");
        assert_eq!(jia.get(&url).await.json()["mine"][0]["ballots"][0]["receipt"], second, "the receipt is the stored ballot's");
        // Casting for someone else's voter is refused.
        let r = jia.json("POST", &format!("{url}/ballot"), json!({"voter": "owners:999", "choices": [{"question_id": q, "choice": "agree"}]})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // Those who manage or oversee see the process, not the choices.
        for who in [&worker, &committee] {
            let r = who.get(&url).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["returned"], 1);
            assert!(r.json()["mine"].as_array().unwrap().is_empty());
            assert!(!r.body.contains("\"choice\"") && r.json()["count"].is_null(), "no choice while open: {}", r.body);
        }
        // A resident who is not an owner, the company, another community: no such vote.
        for who in [&tenant, &elsewhere] {
            assert_eq!(who.get(&url).await.status, 404);
            assert_eq!(who.get(&format!("/api/v1/compounds/{}/owners", w.compound)).await.status, 404);
        }
        assert_eq!(jia.get(&format!("/api/v1/compounds/{}/owners", w.compound)).await.status, 403, "owners do not read the roll");
        let listed = tenant.get("/api/v1/votes").await.json();
        assert_eq!(listed["total"], 0, "{listed}");
        // The claim flow refuses a claim for a unit the account is not granted.
        let r = tenant.json("POST", "/api/v1/owner-claims", json!({"unit_id": w.units[0], "name": "甲", "id_tail": "1111"})).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = tenant.json("POST", "/api/v1/owner-claims", json!({"unit_id": w.units[4], "name": "x", "id_tail": "12"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // Once 甲 has sold both flats, the account is an owner here no more.
        let admin = App::new(&db).await;
        for u in &w.units[..2] {
            let r = admin.json("POST", &format!("/api/v1/compounds/{}/owners", w.compound), json!({"unit_id": u, "since": today, "owners": [{"name": "新业主", "id_tail": "9999"}]})).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert_eq!(jia.get(&url).await.status, 404, "a former owner reads no vote");
    }
}

db_test! {
    async fn a_major_topic_passes_the_party_review_and_the_owners_decide(db: Db) {
        let w = world(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let jia = verified_owner(&db, &worker, "jia", w.units[0], "甲", "1111").await;
        let r = jia.json("POST", "/api/v1/topics", json!({"compound_id": w.compound, "title": "维修资金更换电梯", "matter": "use_fund"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let t = r.json()["topic"]["id"].as_i64().unwrap();
        assert_eq!(r.json()["topic"]["major"], true, "an owners' matter is major");
        let step = |who: &App, s: &str| {
            let url = format!("/api/v1/topics/{t}/steps");
            let body = json!({"step": s, "note": "理由"});
            let who = who.clone();
            async move { who.json("POST", &url, body).await }
        };
        assert_eq!(step(&committee, "accept").await.json()["topic"]["state"], "review");
        let r = step(&committee, "approve").await;
        assert_eq!(r.status, 403, "the committee does not review for the party: {}", r.body);
        assert_eq!(step(&worker, "return").await.json()["topic"]["state"], "returned");
        assert_eq!(step(&jia, "resubmit").await.json()["topic"]["state"], "review");
        assert_eq!(step(&worker, "approve").await.json()["topic"]["state"], "deliberation");
        let r = committee.json("POST", &format!("/api/v1/topics/{t}/steps"), json!({"step": "meeting", "note": "联席会议", "meeting_kind": "joint", "meeting_on": domain::clock::today(), "attendance": 12})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = step(&committee, "decide").await;
        assert_eq!(r.status, 422, "an owners' matter is not decided by a meeting: {}", r.body);
        // Put to a vote (held in the past, straight in the storage), counted and final: the topic is decided.
        let a = system();
        let opens = day("2022-09-01");
        let v = db::votes::create(&db, &a, &new_vote(&w, &[(Matter::UseFund, Category::Ordinary)], vec![], opens), None, at(opens - Duration::days(15), 9)).await.unwrap();
        db::votes::topics::step(&db, &a, t, TopicStep::PutToVote, TopicBy::Committee, "", None, Some(v.id), None, at(opens - Duration::days(15), 10)).await.unwrap();
        let q = db::votes::questions(&db, v.id).await.unwrap()[0].id;
        // Three of the four owners agree (甲, 乙丙, 丁; the developer does not vote).
        let el = db::votes::electorate(&db, &v).await.unwrap();
        for voter in el.keys().filter(|k| **k != Voter::Developer) {
            db::votes::cast(&db, &a, v.id, voter, None, &[(q, Choice::Agree)], &Channel::Online, at(opens, 10)).await.unwrap();
        }
        db::votes::publish(&db, &a, v.id, at(day("2022-09-09"), 9)).await.unwrap();
        db::votes::publish(&db, &a, v.id, at(day("2022-09-12"), 9)).await.unwrap();
        // The month's bulletin counts the vote and its participation.
        let b = report::bulletin(&db, Some(&domain::RegionCode::parse("371402").unwrap()), report::Month::parse("2022-09").unwrap()).await.unwrap();
        let f = &b.consultation[0].figures;
        assert_eq!((f.votes_final, f.questions_final, f.questions_passed, f.participating_owners, f.electorate_owners), (1, 1, 1, 3, 4), "{f:?}");
        assert!(b.summary().iter().any(|l| l.contains("完成业主表决1次")), "{:?}", b.summary());
        let got = committee.get(&format!("/api/v1/topics/{t}")).await.json();
        assert_eq!(got["topic"]["state"], "decided", "{got}");
        assert!(got["topic"]["decision"].as_str().unwrap().contains("表决通过"), "{got}");
        assert_eq!(step(&committee, "publish").await.json()["topic"]["state"], "implementing");
        assert_eq!(step(&committee, "complete").await.json()["topic"]["state"], "done");
        let r = jia.json("POST", &format!("/api/v1/topics/{t}/rating"), json!({"stars": 9})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = jia.json("POST", &format!("/api/v1/topics/{t}/rating"), json!({"stars": 4})).await;
        assert_eq!((r.status.as_u16(), r.json()["ratings"].as_i64(), r.json()["stars"].as_i64()), (200, Some(1), Some(4)), "{}", r.body);
        let r = worker.json("POST", &format!("/api/v1/topics/{t}/rating"), json!({"stars": 1})).await;
        assert_eq!(r.status, 403, "{}", r.body);
        // The page shows the timeline with the meeting.
        let page = App::new(&db).await.get(&format!("/topics/{t}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("联席会议"), "{}", page.body);
        let page = App::new(&db).await.get(&format!("/votes/{}", v.id)).await;
        let gt = page.body.contains("&#62; 1/2") || page.body.contains("&gt; 1/2");
        assert!(page.body.contains("≥ 2/3") && gt, "the four fractions are shown: {}", page.body);
    }
}

db_test! {
    async fn owners_import_from_the_registry_sheet_all_or_nothing(db: Db) {
        let w = world(&db).await;
        let admin = App::new(&db).await;
        let fh = "371402001009";
        let row = |number: &str, owners: &str, tails: &str, developer: &str, area: &str, source: &str| json!({
            "community_code": fh, "compound": "议苑", "building": "1号楼", "number": number, "owners": owners,
            "id_tails": tails, "developer": developer, "area": area, "area_source": source, "since": "2021-01-01"});
        // One bad row (no unit 999): nothing is stored, and the row and column are named.
        let r = admin
            .json("POST", "/api/v1/registry/owners", json!([row("101", "赵、钱", "1234、567X", "", "88.5", "实测"), row("999", "孙", "", "", "", "")]))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("owners!3:number"), "{}", r.body);
        let unit = db::compounds::unit(&db, w.units[0]).await.unwrap().0;
        assert_eq!(unit.area_centi, 5000, "nothing written");
        // Good rows: co-owners with their document tails; the developer's; an area from the survey.
        let r = admin
            .json("POST", "/api/v1/registry/owners", json!([row("101", "赵、钱", "1234、567x", "", "88.5", "登记"), row("401", "", "", "是", "", ""),
                {"community_code": fh, "compound": "议苑", "building": "2号楼", "number": "101", "owners": "丁", "id_tails": "4444", "area": "91.25", "area_source": "surveyed", "since": "2021-01-01"}]))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let h = db::owners::holdings(&db, w.compound, &[], day("2021-06-01")).await.unwrap();
        let second = h.iter().find(|h| h.unit_id == w.u2).unwrap();
        assert_eq!((second.area_centi, second.area_source), (9125, AreaSource::Surveyed), "a survey replaces the contract's area");
        let h = db::owners::holdings(&db, w.compound, &[], day("2021-06-01")).await.unwrap();
        let first = h.iter().find(|h| h.unit_id == w.units[0]).unwrap();
        assert_eq!(first.owners.iter().map(|o| o.1.as_str()).collect::<Vec<_>>(), ["赵", "钱"]);
        assert_eq!((first.area_centi, first.area_source), (8850, AreaSource::Registered));
        // A registered area stays: a contract figure given later does not replace it.
        let r = admin.json("POST", "/api/v1/registry/owners", json!([row("101", "赵、钱", "1234、567X", "", "70", "合同")])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let h = db::owners::holdings(&db, w.compound, &[], day("2021-06-01")).await.unwrap();
        assert_eq!(h.iter().find(|h| h.unit_id == w.units[0]).unwrap().area_centi, 8850);
        assert!(h.iter().find(|h| h.unit_id == w.units[3]).unwrap().owners.iter().all(|o| o.2 == OwnerKind::Developer));
        // The developer with a name, and tails that do not match the owners, are refused.
        let r = admin.json("POST", "/api/v1/registry/owners", json!([row("201", "周", "1、2", "", "", "")])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("owners!2:id_tails"), "{}", r.body);
        // Another community's worker may not import here.
        let other = App::anonymous(&db).with_token(&user_token(&db, "other", "worker", "371402001001").await);
        let r = other.json("POST", "/api/v1/registry/owners", json!([row("201", "周", "", "", "", "")])).await;
        assert_ne!(r.status, 200, "{}", r.body);
        assert!(!r.body.contains("议苑") || r.body.contains("找不到") || r.body.contains("not found"), "{}", r.body);
    }
}

db_test! {
    async fn kept_files_are_served_to_readers_of_their_record_only(db: Db) {
        let w = world(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let far = App::anonymous(&db).with_token(&user_token(&db, "far", "officer", "371428").await);
        let jia = verified_owner(&db, &worker, "jia", w.units[0], "甲", "1111").await;
        // A problem's photo, from the phone form: the reporter and the community see it; others get 404.
        let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[5u8; 64][..]].concat();
        let fields = [("compound_id", w.compound.to_string()), ("category", "repair".into()), ("description", "楼道灯坏了".into())];
        let r = jia.send(multipart("/problems", &fields, &[("photo", &png)])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = r.header("location").to_owned();
        let html = jia.get(&page).await.body;
        let src = html.split("src=\"").filter_map(|s| s.split('"').next()).find(|s| s.contains("/photos/")).unwrap().to_owned();
        let sha = src.rsplit('/').next().unwrap().to_owned();
        for who in [&jia, &worker] {
            let f = who.get(&src).await;
            assert_eq!((f.status.as_u16(), f.header("content-type"), f.body_bytes.len()), (200, "image/png", png.len()));
        }
        assert_eq!(far.get(&src).await.status, 404);
        for bad in ["a", "zz", &"0".repeat(64)] {
            assert_eq!(jia.get(&format!("{page}/photos/{bad}")).await.status, 404, "{bad}");
        }
        // A paper ballot's photo (the same file): those who manage the vote, not the owners.
        let a = system();
        let opens = day("2022-09-01");
        let v = db::votes::create(&db, &a, &new_vote(&w, &[(Matter::UseFund, Category::Ordinary)], vec![], opens), None, at(opens - Duration::days(15), 9)).await.unwrap();
        let q = db::votes::questions(&db, v.id).await.unwrap()[0].id;
        let voter = db::votes::electorate(&db, &v).await.unwrap().keys().find(|k| **k != Voter::Developer).unwrap().clone();
        let paper = Channel::Paper { sha256: sha.clone(), mime: "image/png".into() };
        db::votes::cast(&db, &a, v.id, &voter, None, &[(q, Choice::Agree)], &paper, at(opens, 9)).await.unwrap();
        let ballot = format!("/votes/{}/photos/{sha}", v.id);
        assert_eq!(worker.get(&ballot).await.status, 200);
        assert_eq!(jia.get(&ballot).await.status, 404, "an owner sees no ballot");
        assert_eq!(far.get(&ballot).await.status, 404);
        assert_eq!(worker.get(&format!("/votes/{}/photos/{sha}", v.id + 1)).await.status, 404, "another vote holds no such file");
        // A topic step's evidence: the topic's readers.
        let r = jia.json("POST", "/api/v1/topics", json!({"compound_id": w.compound, "title": "加装电梯", "matter": "use_fund"})).await;
        let t = r.json()["topic"]["id"].as_i64().unwrap();
        let photo = (sha.clone(), "image/png".to_owned());
        db::votes::topics::step(&db, &a, t, TopicStep::Accept, TopicBy::Committee, "", None, None, Some(&photo), Utc::now()).await.unwrap();
        let evidence = format!("/topics/{t}/photos/{sha}");
        for who in [&jia, &worker] {
            assert_eq!(who.get(&evidence).await.status, 200);
        }
        assert_eq!(far.get(&evidence).await.status, 404);
        assert_eq!(worker.get(&format!("/oversight/notices/{t}/photos/{sha}")).await.status, 404, "no notice holds it");
    }
}

db_test! {
    async fn a_claim_is_decided_once_however_many_decide_it_at_once(db: Db) {
        let w = world(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let yi = App::anonymous(&db).with_token(&user_token(&db, "yi", "resident", &format!("unit:{}", w.units[2])).await);
        let r = yi.json("POST", "/api/v1/owner-claims", json!({"unit_id": w.units[2], "name": "乙", "id_tail": "2222"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["state"], "pending");
        let claim = r.json()["id"].as_i64().unwrap();
        let roll = worker.get(&format!("/api/v1/compounds/{}/owners", w.compound)).await.json();
        let record = roll["owners"].as_array().unwrap().iter().find(|o| o["owner"]["name"] == "乙").unwrap()["owner"]["id"].as_i64().unwrap();
        let url = format!("/api/v1/owner-claims/{claim}/decision");
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (worker, url) = (worker.clone(), url.clone());
            let body = if i % 2 == 0 { json!({"owner_id": record}) } else { json!({"reason": "信息不符"}) };
            tasks.push(tokio::spawn(async move { worker.json("POST", &url, body).await }));
        }
        let mut won = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            match r.status.as_u16() {
                200 => won.push(r.json()["state"].as_str().unwrap().to_owned()),
                409 => {}
                s => panic!("{s}: {}", r.body),
            }
        }
        assert_eq!(won.len(), 1, "one decision stands: {won:?}");
        let k = db::owners::get_claim(&db, claim).await.unwrap();
        assert_eq!(k.state.as_str(), won[0]);
        let decisions = db::audit::list_filtered(&db, None, &db::audit::AuditFilter { entity: Some("owner_claim".into()), ..Default::default() }, domain::Paging::new(None, Some(50)))
            .await
            .unwrap()
            .0
            .into_iter()
            .filter(|a| a.entity_id == claim.to_string() && a.action != "claim")
            .count();
        assert_eq!(decisions, 1, "one decision audited");
    }
}
