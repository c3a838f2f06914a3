//! The kept figures (decision 0010) against a count from scratch: random
//! writes and back-dated corrections through the real write paths, then the
//! KPI sets of random regions on random dates compared, on both backends.

use chrono::NaiveDate;
use domain::RegionPath;
use domain::history::FactKind;
use serde_json::{Value, json};

use crate::support::{App, communities, dezhou, system};

/// A small reproducible generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn date(&mut self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + chrono::Duration::days(self.below(8 * 365) as i64)
    }
}

async fn rows(app: &App, sheet: &str, body: Value) -> bool {
    let r = app.json("POST", &format!("/api/v1/registry/{sheet}"), body).await;
    assert!(r.status == 200 || r.status == 422, "{sheet}: {} {}", r.status, r.body);
    r.status == 200
}

fn cc(i: usize) -> String {
    domain::org::CreditCode::complete(&format!("91371402MF{i:06}2")).unwrap().to_string()
}

db_test! {
    async fn kept_figures_equal_a_count_from_the_facts_after_random_writes(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        // Three communities over two streets.
        let all = communities("371402", 60);
        let first = all[0].clone();
        let same_street = all.iter().find(|c| c.as_str()[..9] == first.as_str()[..9] && **c != first).unwrap().clone();
        let other_street = all.iter().find(|c| c.as_str()[..9] != first.as_str()[..9]).unwrap().clone();
        let places = [first.to_string(), same_street.to_string(), other_street.to_string()];
        let mut compounds = Vec::new();
        for (i, place) in places.iter().enumerate() {
            for j in 0..2 {
                let name = format!("小区{i}{j}");
                let year = if j == 0 { json!(2000 + 10 * i) } else { json!(null) };
                assert!(rows(&app, "compounds", json!([{"community_code": place, "name": name, "year_built": year}])).await);
                let c = db::compounds::find_in(db.conn(), place, &name).await.unwrap().unwrap();
                compounds.push((c.id, place.clone(), name));
            }
        }
        for (id, place, name) in &compounds {
            rows(&app, "buildings", json!([{"community_code": place, "compound": name, "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 60}])).await;
            rows(&app, "owners_committees", json!([{"community_code": place, "compound": name, "name": format!("{name}业委会"), "status": "in_office", "term_end": if *id % 2 == 0 { json!("2023-06-30") } else { json!(null) }}])).await;
            rows(&app, "party_orgs", json!([
                {"region_code": place, "name": format!("{name}党支部"), "party_level": "compound_branch", "compound": name, "established": "2019-05-01"},
            ])).await;
        }
        rows(&app, "party_orgs", json!([
            {"region_code": places[0], "name": "小区00业委会党小组", "party_level": "committee_branch", "covers": "小区00业委会", "established": "2021-03-01"},
            {"region_code": places[2], "name": "社区党委", "party_level": "community_committee"},
        ])).await;
        for (i, cov) in ["own_branch", "instructor_only", "none"].into_iter().enumerate() {
            rows(&app, "companies", json!([{"credit_code": cc(i), "name": format!("物业{i}"), "region_code": "371402", "party_coverage": cov}])).await;
        }
        rows(&app, "other_orgs", json!([{"kind": "red_station", "region_code": places[1], "name": "红色驿站", "established": "2020-02-01"}])).await;
        let phones: Vec<String> = (0..6).map(|i| format!("1390000000{i}")).collect();
        for (i, p) in phones.iter().enumerate() {
            rows(&app, "people", json!([{"phone": p, "name": format!("人{i}"), "is_public_servant": i % 2 == 0, "region_code": places[i % 3]}])).await;
        }
        let org_of = |kind: &str, i: usize| -> (String, String) {
            let (_, place, name) = &compounds[i];
            match kind {
                "party_org" => (format!("{name}党支部"), place.clone()),
                "owners_committee" => (format!("{name}业委会"), place.clone()),
                _ => (cc(i % 3), "371402".into()),
            }
        };

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let paths: Vec<RegionPath> = ["/", "/37/", "/37/3714/", "/37/3714/371402/"]
            .iter()
            .map(|p| RegionPath::from_stored(p.to_string()))
            .chain(places.iter().flat_map(|p| {
                let code = domain::RegionCode::parse(p).unwrap();
                [code.path(), code.parent().unwrap().path()]
            }))
            .collect();
        let actor = system();
        let mut done = 0;
        for step in 0..100 {
            let (cid, place, name) = rng.pick(&compounds).clone();
            let d = rng.date();
            let ok = match rng.below(9) {
                0 => {
                    let v = rng.pick(domain::ServiceModel::NAMES);
                    db::compounds::set_fact(&db, &actor, cid, FactKind::ServiceModel, Some(v), None, d).await.is_ok()
                }
                1 => rows(&app, "compound_history", json!([{"community_code": place, "compound": name, "kind": "company", "value": cc(rng.below(3)), "effective_from": d.to_string()}])).await,
                2 => {
                    let kind = *rng.pick(&["owners_committee", "party_branch"]);
                    let value = if kind == "party_branch" { format!("{name}党支部") } else { format!("{name}业委会") };
                    rows(&app, "compound_history", json!([{"community_code": place, "compound": name, "kind": kind, "value": value, "effective_from": d.to_string()}])).await
                }
                3 => {
                    // A back-dated correction of a recorded fact.
                    let facts = db::compounds::facts(&db, cid).await.unwrap();
                    if facts.is_empty() { false } else {
                        let f = rng.pick(&facts).clone();
                        db::compounds::correct_fact(&db, &actor, cid, f.id, d, f.value.as_deref(), f.ref_id).await.is_ok()
                    }
                }
                4 | 5 => {
                    let kind = *rng.pick(&["party_org", "owners_committee", "company", "company"]);
                    let (org, region) = org_of(kind, rng.below(compounds.len()));
                    let role = match kind { "party_org" => *rng.pick(&["secretary", "member"]), "company" => "manager", _ => *rng.pick(&["member", "instructor", "community_worker"]) };
                    let end = if rng.below(3) == 0 { json!((d + chrono::Duration::days(400)).to_string()) } else { json!(null) };
                    rows(&app, "posts", json!([{"phone": rng.pick(&phones), "role": role, "org_kind": kind, "org": org, "region_code": region, "start_date": d.to_string(), "end_date": end}])).await
                }
                6 => {
                    let i = rng.below(3);
                    rows(&app, "companies", json!([{"credit_code": cc(i), "name": format!("物业{i}"), "region_code": "371402", "party_coverage": rng.pick(&["own_branch", "instructor_only", "none", "joint_branch"]), "party_coverage_from": d.to_string()}])).await
                }
                7 => {
                    let patch = domain::CompoundPatch {
                        year_built: Some(if rng.below(2) == 0 { None } else { Some(2015 + rng.below(10) as i32) }),
                        households: Some(if rng.below(2) == 0 { None } else { Some(100) }),
                        ..Default::default()
                    };
                    db::compounds::update(&db, &actor, cid, &patch).await.is_ok()
                }
                _ => {
                    let p = rng.pick(&phones);
                    rows(&app, "people", json!([{"phone": p, "name": format!("人{}", &p[10..]), "is_public_servant": rng.below(2) == 0, "region_code": places[0], "servant_from": d.to_string()}])).await
                        || rows(&app, "posts", json!([{"phone": p, "role": "building_head", "region_code": place, "compound": name, "building": "1号楼", "start_date": d.to_string()}])).await
                }
            };
            done += usize::from(ok);
            for _ in 0..3 {
                let path = rng.pick(&paths);
                let when = rng.date();
                let kept = db::kpi::kpis(&db, path, when).await.unwrap();
                let counted = db::kpi::count_from_facts(&db, path, when).await.unwrap();
                assert_eq!(kept, counted, "step {step}: {} on {when}", path.as_str());
            }
            if step % 20 == 19 {
                let c = db::figures::check(&db).await.unwrap();
                assert!(c.ok(), "step {step}: {c:?}");
            }
        }
        assert!(done >= 30, "most random writes should be accepted, {done} were");
        // Something was counted at all levels, so the comparison above was not of zeros.
        let whole = db::kpi::kpis(&db, &RegionPath::from_stored("/".into()), "2026-01-01".parse().unwrap()).await.unwrap();
        assert!(whole.compounds >= 4 && whole.committee_formation.den > 0, "{whole:?}");
        // Rebuilding from the facts gives what was kept.
        let before = db::kpi::kpis(&db, &RegionPath::from_stored("/37/".into()), "2024-06-30".parse().unwrap()).await.unwrap();
        db::figures::rebuild(&db).await.unwrap();
        assert!(db::figures::check(&db).await.unwrap().ok());
        let after = db::kpi::kpis(&db, &RegionPath::from_stored("/37/".into()), "2024-06-30".parse().unwrap()).await.unwrap();
        assert_eq!(before, after);
    }
}

db_test! {
    async fn a_tampered_figure_is_found_by_check_and_mended_by_rebuild(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let place = communities("371402", 1)[0].to_string();
        assert!(rows(&app, "compounds", json!([{"community_code": place, "name": "甲小区", "year_built": 2001}])).await);
        let path = RegionPath::from_stored("/37/3714/".into());
        let day: NaiveDate = "2025-01-01".parse().unwrap();
        assert_eq!(db::kpi::kpis(&db, &path, day).await.unwrap().compounds, 1);
        db.execute_unprepared("UPDATE figure_step SET delta = delta + 5 WHERE region = 3714 AND grain = 0").await.unwrap();
        let c = db::figures::check(&db).await.unwrap();
        assert!(!c.ok() && c.steps_differing > 0, "{c:?}");
        db::figures::rebuild(&db).await.unwrap();
        assert!(db::figures::check(&db).await.unwrap().ok());
        assert_eq!(db::kpi::kpis(&db, &path, day).await.unwrap().compounds, 1);

        // A kept contribution that no longer reads cannot fail a read: the
        // figures are counted from the facts until a rebuild mends it.
        db.execute_unprepared("UPDATE figure_part SET parts = 'not json' WHERE kind = 1").await.unwrap();
        assert!(rows(&app, "compounds", json!([{"community_code": place, "name": "甲小区", "year_built": 1999}])).await);
        let set = db::kpi::kpis(&db, &path, day).await.unwrap();
        assert_eq!(set, db::kpi::count_from_facts(&db, &path, day).await.unwrap());
        let err = db::figures::check(&db).await.unwrap_err().to_string();
        assert!(err.contains("figure_part 1:") && err.contains("figures rebuild"), "{err}");
        db::figures::rebuild(&db).await.unwrap();
        assert!(db::figures::check(&db).await.unwrap().ok());
        assert_eq!(db::kpi::kpis(&db, &path, day).await.unwrap().compounds, 1);
    }
}

db_test! {
    async fn the_whole_country_is_a_place_for_those_over_everything(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let place = communities("371402", 1)[0].to_string();
        assert!(rows(&app, "compounds", json!([{"community_code": place, "name": "甲小区", "year_built": 2001}])).await);
        let all = app.get("/api/v1/kpis?region=all&as_of=2025-01-01").await;
        assert_eq!(all.status, 200, "{}", all.body);
        let v = all.json();
        assert_eq!((v["region_code"].as_str(), v["compounds"].as_i64()), (Some("all"), Some(1)), "{v}");
        let kids = app.get("/api/v1/kpis/children?region=all&as_of=2025-01-01").await.json();
        assert!(kids.as_array().unwrap().iter().any(|k| k["region_code"] == "37" && k["compounds"] == 1), "{kids}");
        let b = app.get("/api/v1/bulletin?region=all&month=2025-01").await;
        assert_eq!(b.status, 200, "{}", b.body);
        assert_eq!(b.json()["region_code"], "all");
        let page = app.get("/dashboard?region=all&as_of=2025-01-01").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("全国") || page.body.contains("Whole country"));
        assert_eq!(app.get("/dashboard/bulletin.xlsx?region=all&month=2025-01").await.status, 200);
        // A city's supervisor neither sees the country nor learns more than "not found".
        let sup = App::anonymous(&db).with_token(&crate::support::user_token(&db, "sup3714", "supervisor", "3714").await);
        assert_eq!(sup.get("/api/v1/kpis?region=all").await.status, 404);
        assert_eq!(sup.get("/api/v1/kpis/children?region=all").await.status, 404);
        assert_eq!(sup.get("/api/v1/bulletin?region=all&month=2025-01").await.status, 404);
        assert_eq!(sup.get("/dashboard?region=all").await.status, 404);
        assert_eq!(sup.get("/api/v1/kpis?region=3714").await.status, 200);
    }
}
