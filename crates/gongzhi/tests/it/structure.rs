//! Organisations, people, posts and the registry workbook.

use import::{RawSheet, Workbook};
use serde_json::{Value, json};

use crate::support::{App, dezhou, user_token};

fn sheet(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> RawSheet {
    RawSheet::new(name, header, rows)
}

fn cc(i: usize) -> String {
    domain::org::CreditCode::complete(&format!("91371428MA{i:06}1")).unwrap().to_string()
}

/// A county (武城县) as an official would bring it: 20 communities × 5
/// compounds, their buildings, 5 companies, committees, party branches,
/// red stations, 12 people per compound with posts, and three years of history.
pub fn county_workbook() -> Workbook {
    let communities: Vec<String> = crate::support::communities("371428", 20).iter().map(|c| c.to_string()).collect();
    let (mut compounds, mut buildings, mut committees, mut party, mut other, mut people, mut posts, mut history) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let companies: Vec<Vec<String>> = (0..5)
        .map(|i| {
            vec![
                cc(i),
                format!("武城第{i}物业有限公司"),
                "371428".into(),
                ["own_branch", "joint_branch", "instructor_only", "none", "单独组建"][i].into(),
            ]
        })
        .collect();
    let mut n = 0usize;
    for comm in &communities {
        for k in 0..5 {
            n += 1;
            let name = format!("武城{n}号小区");
            compounds.push(vec![
                comm.clone(),
                name.clone(),
                format!("运河街{n}号"),
                "1998".into(),
                if n.is_multiple_of(3) { "是" } else { "否" }.into(),
                "96".into(),
                "9800.5".into(),
            ]);
            for b in 1..=2 {
                buildings.push(vec![
                    comm.clone(),
                    name.clone(),
                    format!("{b}号楼"),
                    "6".into(),
                    "2".into(),
                    "2".into(),
                    "88.5".into(),
                ]);
            }
            let committee = format!("{name}业主委员会");
            let has_committee = n % 10 < 7;
            if has_committee {
                committees.push(vec![
                    comm.clone(),
                    name.clone(),
                    committee.clone(),
                    "2021-01-01".into(),
                    "2026-01-01".into(),
                    "在任".into(),
                    "否".into(),
                ]);
            }
            let branch = format!("{name}党支部");
            party.push(vec![
                comm.clone(),
                branch.clone(),
                "compound_branch".into(),
                name.clone(),
                String::new(),
                String::new(),
            ]);
            if k == 0 {
                other.push(vec!["red_station".into(), comm.clone(), format!("{name}红色驿站"), name.clone()]);
            }
            for p in 0..12 {
                let phone = format!("139{:04}{:04}", n, p);
                people.push(vec![
                    phone.clone(),
                    format!("居民{n}-{p}"),
                    if p < 4 { "是" } else { "否" }.into(),
                    if p % 3 == 0 { "是" } else { "否" }.into(),
                    "武城县某单位".into(),
                    comm.clone(),
                ]);
                let (role, kind, org) = match p {
                    0 => ("secretary", "party_org", branch.clone()),
                    1 | 2 => ("member", "party_org", branch.clone()),
                    3 if has_committee => ("chair", "owners_committee", committee.clone()),
                    4 | 5 if has_committee => ("member", "owners_committee", committee.clone()),
                    _ => ("building_head", "", String::new()),
                };
                let building = if role == "building_head" { format!("{}号楼", 1 + p % 2) } else { String::new() };
                posts.push(vec![
                    phone.clone(),
                    role.into(),
                    kind.into(),
                    org,
                    comm.clone(),
                    if role == "building_head" { name.clone() } else { String::new() },
                    building,
                    "2021-01-01".into(),
                    String::new(),
                ]);
                // The secretary also chairs… a cross-appointment in every committee compound.
                if p == 0 && has_committee {
                    posts.push(vec![
                        phone,
                        "member".into(),
                        "owners_committee".into(),
                        committee.clone(),
                        comm.clone(),
                        String::new(),
                        String::new(),
                        "2021-06-01".into(),
                        String::new(),
                    ]);
                }
            }
            let professional = !n.is_multiple_of(5);
            history.push(vec![comm.clone(), name.clone(), "service_model".into(), "none".into(), "2020-01-01".into()]);
            if professional {
                history.push(vec![
                    comm.clone(),
                    name.clone(),
                    "service_model".into(),
                    "party_led".into(),
                    format!("202{}-07-01", 1 + n % 2),
                ]);
                history.push(vec![comm.clone(), name.clone(), "company".into(), cc(n % 5), "2021-07-01".into()]);
            }
            if has_committee {
                history.push(vec![
                    comm.clone(),
                    name.clone(),
                    "owners_committee".into(),
                    committee.clone(),
                    "2021-01-01".into(),
                ]);
            }
            history.push(vec![comm.clone(), name.clone(), "party_branch".into(), branch.clone(), "2020-06-01".into()]);
        }
    }
    Workbook {
        sheets: vec![
            sheet(
                "compounds",
                &["社区代码", "小区名称", "地址", "建成年份", "老旧小区", "户数", "建筑面积"],
                compounds,
            ),
            sheet(
                "buildings",
                &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"],
                buildings,
            ),
            sheet(
                "物业企业",
                &["统一社会信用代码 (credit_code)", "企业名称", "注册地区划代码", "党组织覆盖"],
                companies,
            ),
            sheet(
                "owners_committees",
                &["社区代码", "小区名称", "名称", "任期开始", "任期结束", "状态", "物业管理委员会"],
                committees,
            ),
            sheet("party_orgs", &["region_code", "name", "party_level", "compound", "covers", "parent"], party),
            sheet("other_orgs", &["kind", "region_code", "name", "compound"], other),
            sheet(
                "people",
                &["phone", "name", "is_party_member", "is_public_servant", "employer", "region_code"],
                people,
            ),
            sheet(
                "posts",
                &["phone", "role", "org_kind", "org", "region_code", "compound", "building", "start_date", "end_date"],
                posts,
            ),
            sheet("compound_history", &["community_code", "compound", "kind", "value", "effective_from"], history),
        ],
    }
}

async fn upload(app: &App, wb: &Workbook) -> crate::support::Reply {
    let bytes = import::to_xlsx(wb).unwrap();
    app.send(
        axum::http::Request::post("/api/v1/import/registry")
            .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .body(axum::body::Body::from(bytes))
            .unwrap(),
    )
    .await
}

async fn total(app: &App, path: &str) -> i64 {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()["total"].as_i64().unwrap()
}

db_test! {
    async fn a_county_workbook_imports_and_reimports_unchanged(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let wb = county_workbook();
        let r = upload(&app, &wb).await;
        assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(3000)]);
        let sheets = r.json()["sheets"].clone();
        assert_eq!(sheets["compounds"]["added"], 100);
        assert_eq!(sheets["people"]["added"], 1200);
        assert!(sheets["posts"]["added"].as_i64().unwrap() >= 1200);

        assert_eq!(total(&app, "/api/v1/compounds?region=371428").await, 100);
        assert_eq!(total(&app, "/api/v1/organisations?kind=company").await, 5);
        assert_eq!(total(&app, "/api/v1/organisations?kind=owners_committee&region=371428").await, 70);
        assert_eq!(total(&app, "/api/v1/people?region=371428").await, 1200);
        let cross = total(&app, "/api/v1/cross-appointments?region=371428").await;
        assert_eq!(cross, 70, "the secretary also sits on the committee in every committee compound");

        // As-of queries on the imported history.
        let c = app.get(&format!("/api/v1/compounds?region=371428&q={}", crate::support::enc("武城1号小区"))).await.json();
        let id = c["items"].as_array().unwrap().iter().find(|x| x["name"] == "武城1号小区").unwrap()["id"].as_i64().unwrap();
        let before: Value = app.get(&format!("/api/v1/compounds/{id}/facts?as_of=2021-06-30")).await.json();
        let after: Value = app.get(&format!("/api/v1/compounds/{id}/facts?as_of=2022-07-01")).await.json();
        let kinds = |v: &Value| v.as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert!(!kinds(&before).contains(&"company".to_owned()));
        assert!(kinds(&after).contains(&"company".to_owned()));
        let model = |v: &Value| v.as_array().unwrap().iter().find(|f| f["kind"] == "service_model").unwrap()["value"].clone();
        assert_eq!(model(&before), "none");
        assert_eq!(model(&after), "party_led");

        // Pages show it.
        let page = app.get(&format!("/compounds/{id}")).await;
        assert!(page.body.contains("武城1号小区党支部") && page.body.contains("武城第1物业有限公司"), "timeline names organisations");
        assert!(app.get("/organisations?kind=company").await.body.contains("武城第0物业有限公司"));
        assert!(app.get("/cross-appointments").await.body.contains("武城1号小区"));

        // The same workbook again changes nothing, not even the audit log.
        let audit_before = db::audit::list(&db, None, domain::Paging::new(None, Some(1))).await.unwrap().1;
        let r = upload(&app, &wb).await;
        assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(2000)]);
        for (sheet, c) in r.json()["sheets"].as_object().unwrap() {
            assert_eq!((c["added"].as_i64(), c["updated"].as_i64()), (Some(0), Some(0)), "{sheet} changed on re-import");
        }
        assert_eq!(db::audit::list(&db, None, domain::Paging::new(None, Some(1))).await.unwrap().1, audit_before);
    }

    async fn every_error_is_listed_and_nothing_is_written(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let mut wb = county_workbook();
        let cell = |wb: &mut Workbook, sheet: usize, row: usize, col: usize, v: &str| wb.sheets[sheet].rows[row][col] = v.into();
        cell(&mut wb, 0, 1, 3, "19x8");                    // compounds row 2: year
        cell(&mut wb, 0, 2, 0, "371428999999");            // compounds row 3: unknown community
        cell(&mut wb, 0, 3, 4, "maybe");                   // compounds row 4: is_old
        cell(&mut wb, 1, 1, 6, "88.555");                  // buildings row 2: unit_area
        cell(&mut wb, 2, 1, 0, "91371428MA0000001X");      // companies row 2: check character
        cell(&mut wb, 2, 2, 3, "partly");                  // companies row 3: coverage
        cell(&mut wb, 3, 1, 4, "2020-01-01");              // committees row 2: ends before it starts
        cell(&mut wb, 4, 1, 2, "big_branch");              // party_orgs row 2: level
        cell(&mut wb, 6, 1, 0, "12345");                   // people row 2: phone
        cell(&mut wb, 6, 2, 1, "");                        // people row 3: name empty
        cell(&mut wb, 7, 3, 1, "king");                    // posts row 4: role
        cell(&mut wb, 8, 1, 4, "2020-13-01");              // history row 2 (first after sorting is unchanged): date
        wb.sheets[5].rows[0].push("colour".into());        // other_orgs: unknown column
        let r = upload(&app, &wb).await;
        assert_eq!(r.status, 422, "{}", &r.body[..r.body.len().min(2000)]);
        let v = r.json();
        let fields: Vec<String> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
        let reasons: Vec<String> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["reason"].as_str().unwrap().to_owned()).collect();
        for want in ["compounds!2:year_built", "compounds!3:community_code", "compounds!4:is_old", "buildings!2:unit_area",
                     "companies!2:credit_code", "companies!3:party_coverage", "owners_committees!2:term_end",
                     "party_orgs!2:party_level", "people!2:phone", "people!3:name", "posts!4:role", "other_orgs!1:colour"] {
            assert!(fields.iter().any(|f| f == want), "missing {want} in {fields:?}");
        }
        assert!(fields.iter().any(|f| f.starts_with("compound_history!") && f.ends_with(":effective_from")), "{fields:?}");
        assert!(reasons.iter().all(|r| r.contains(" / ")), "every reason in both languages");
        for r in &reasons {
            let zh = r.rsplit(" / ").next().unwrap();
            for english in ["not found", "compound ", "term ends", " is not ", "before it starts"] {
                assert!(!zh.contains(english), "the Chinese half carries English ({english}): {r}");
            }
        }
        // Errors come in the workbook's order: sheet by sheet, row by row.
        let order: Vec<(String, usize)> = fields.iter().filter_map(|f| {
            let (sheet, rest) = f.split_once('!')?;
            Some((sheet.to_owned(), rest.split(':').next()?.parse().ok()?))
        }).collect();
        for pair in order.windows(2) {
            if pair[0].0 == pair[1].0 {
                assert!(pair[0].1 <= pair[1].1, "{order:?}");
            }
        }
        assert!(reasons.iter().any(|r| r.contains("check character should be")));
        // Nothing at all was written.
        assert_eq!(total(&app, "/api/v1/compounds?region=371428").await, 0);
        assert_eq!(total(&app, "/api/v1/people").await, 0);
        assert_eq!(total(&app, "/api/v1/organisations").await, 0);
    }

    async fn the_same_record_twice_in_a_workbook_is_refused_naming_both_rows(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name", "households"], vec![
                vec![fh.into(), "重复小区".into(), "100".into()],
                vec![fh.into(), "别的小区".into(), "80".into()],
                vec![fh.into(), " 重复小区 ".into(), "120".into()],
            ]),
            sheet("people", &["phone", "name", "region_code"], vec![
                vec!["13800000011".into(), "甲".into(), fh.into()],
                vec!["13800000011".into(), "乙".into(), fh.into()],
            ]),
        ]};
        let r = upload(&app, &wb).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let v = r.json();
        let fields: Vec<(String, String)> = v["error"]["fields"].as_array().unwrap().iter()
            .map(|f| (f["field"].as_str().unwrap().to_owned(), f["reason"].as_str().unwrap().to_owned())).collect();
        assert!(fields.iter().any(|(f, r)| f == "compounds!4:name" && r.contains("row 2") && r.contains("第 2 行")), "{fields:?}");
        assert!(fields.iter().any(|(f, r)| f == "people!3:phone" && r.contains("row 2")), "{fields:?}");
        assert_eq!(fields.len(), 2, "each once: {fields:?}");
        assert_eq!(total(&app, &format!("/api/v1/compounds?region={fh}")).await, 0, "nothing written");
    }

    async fn posts_do_not_overlap_and_start_after_their_organisation(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let base = || vec![
            sheet("compounds", &["community_code", "name"], vec![vec![fh.into(), "任职小区".into()]]),
            sheet("party_orgs", &["region_code", "name", "party_level", "compound", "established"], vec![vec![fh.into(), "任职小区党支部".into(), "compound_branch".into(), "任职小区".into(), "2020-06-01".into()]]),
            sheet("people", &["phone", "name", "region_code"], vec![
                vec!["13800000021".into(), "甲".into(), fh.into()],
                vec!["13800000022".into(), "乙".into(), fh.into()],
            ]),
        ];
        let post = |phone: &str, role: &str, start: &str, end: &str| -> Vec<String> {
            vec![phone.into(), role.into(), "party_org".into(), "任职小区党支部".into(), fh.into(), start.into(), end.into()]
        };
        let cols = ["phone", "role", "org_kind", "org", "region_code", "start_date", "end_date"];
        let try_posts = |rows: Vec<Vec<String>>| {
            let mut sheets = base();
            sheets.push(sheet("posts", &cols, rows));
            Workbook { sheets }
        };
        // Two secretaries at once; the same person's same post twice over; a post before the branch existed.
        for (rows, field, zh) in [
            (vec![post("13800000021", "secretary", "2021-01-01", ""), post("13800000022", "secretary", "2022-01-01", "")], "posts!3:role", "同一时间只能一人担任"),
            (vec![post("13800000021", "member", "2021-01-01", ""), post("13800000021", "member", "2022-01-01", "2023-01-01")], "posts!3:start_date", "任期不能重叠"),
            (vec![post("13800000021", "secretary", "2019-01-01", "")], "posts!2:start_date", "早于该组织成立日期"),
        ] {
            let r = upload(&app, &try_posts(rows)).await;
            assert_eq!(r.status, 422, "{}", r.body);
            let v = r.json();
            let hit = v["error"]["fields"].as_array().unwrap().iter().find(|f| f["field"] == field);
            assert!(hit.is_some_and(|f| f["reason"].as_str().unwrap().contains(zh)), "{field}: {v}");
            assert_eq!(total(&app, &format!("/api/v1/compounds?region={fh}")).await, 0, "nothing written");
        }
        // One secretary after another, and a member's successive terms, are fine.
        let ok = try_posts(vec![
            post("13800000021", "secretary", "2020-06-01", "2022-01-01"),
            post("13800000022", "secretary", "2022-01-01", ""),
            post("13800000021", "member", "2022-01-01", "2023-01-01"),
            post("13800000021", "member", "2023-01-01", ""),
        ]);
        let r = upload(&app, &ok).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let again = upload(&app, &ok).await;
        assert_eq!(again.status, 200, "re-imports unchanged: {}", again.body);
    }

    async fn one_owners_committee_in_office_at_a_time(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = |second: &[&str]| Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name"], vec![vec![fh.into(), "业委小区".into()]]),
            sheet("owners_committees", &["community_code", "compound", "name", "term_start", "term_end", "status"], vec![
                vec![fh.into(), "业委小区".into(), "第一届业委会".into(), "2018-01-01".into(), "2023-01-01".into(), "in_office".into()],
                second.iter().map(|s| s.to_string()).collect(),
            ]),
        ]};
        let r = upload(&app, &wb(&[fh, "业委小区", "第二届业委会", "2022-06-01", "2027-06-01", "in_office"])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("owners_committees!3:status") && r.body.contains("同一时期已有在任业委会「第一届业委会」"), "{}", r.body);
        assert_eq!(total(&app, "/api/v1/organisations").await, 0, "nothing written");
        // The next term from the day the first ends is fine.
        let r = upload(&app, &wb(&[fh, "业委小区", "第二届业委会", "2023-01-01", "2028-01-01", "in_office"])).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn grids_come_from_the_workbook_and_compounds_name_them(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = |grids: Vec<Vec<String>>| Workbook { sheets: vec![
            sheet("网格", &["网格代码", "网格名称"], grids),
            sheet("compounds", &["community_code", "name"], vec![vec![format!("{fh}001"), "网格小区".into()]]),
            sheet("posts", &["phone", "role", "region_code", "start_date"], vec![]),
        ]};
        let good = vec![vec![format!("{fh}001"), "第一网格".into()], vec![format!("{fh}002"), "第二网格".into()]];
        let r = upload(&app, &wb(good.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["sheets"]["grids"]["added"], 2);
        let grid = app.get(&format!("/api/v1/regions/{fh}001")).await;
        assert!(grid.status == 200 && grid.json()["name"] == "第一网格", "{}", grid.body);
        assert_eq!(total(&app, &format!("/api/v1/compounds?region={fh}001")).await, 1, "the compound lies in its grid");
        // Again: nothing changes; a new name is a rename.
        let r = upload(&app, &wb(good)).await;
        assert_eq!(r.json()["sheets"]["grids"]["unchanged"], 2, "{}", r.body);
        let r = upload(&app, &wb(vec![vec![format!("{fh}001"), "东片网格".into()]])).await;
        assert_eq!(r.json()["sheets"]["grids"]["updated"], 1, "{}", r.body);
        // Bad codes are named by row and column, and nothing is written.
        let bad = vec![
            vec![fh.into(), "社区不是网格".into()],
            vec!["371402001099001".into(), "无此社区".into()],
            vec![format!("{fh}003"), "".into()],
        ];
        let r = upload(&app, &wb(bad)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        for want in ["grids!2:code", "grids!3:code", "grids!4:name"] {
            assert!(r.body.contains(want), "{want}: {}", r.body);
        }
        assert!(r.body.contains("不是 15 位网格代码"), "{}", r.body);
        assert_eq!(app.get(&format!("/api/v1/regions/{fh}003")).await.status, 404, "nothing written");
        // A grid worker may not draw grids in the community around them.
        let grid_worker = App::anonymous(&db).with_token(&crate::support::user_token(&db, "wg", "worker", &format!("{fh}001")).await);
        let r = upload(&grid_worker, &Workbook { sheets: vec![sheet("grids", &["code", "name"], vec![vec![format!("{fh}009"), "私建网格".into()]])] }).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("不在您的管辖范围内"), "{}", r.body);
    }

    async fn a_branch_or_committee_is_entered_once(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = |history: Vec<Vec<String>>| Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name"], vec![vec![fh.into(), "一次小区".into()], vec![fh.into(), "二次小区".into()]]),
            sheet("owners_committees", &["community_code", "compound", "name", "term_start", "term_end", "status"], vec![
                vec![fh.into(), "一次小区".into(), "一次业委会".into(), "2021-05-01".into(), "2026-05-01".into(), "in_office".into()],
            ]),
            sheet("party_orgs", &["region_code", "name", "party_level", "compound", "established"], vec![
                vec![fh.into(), "一次党支部".into(), "compound_branch".into(), "一次小区".into(), "2020-03-01".into()],
                vec![fh.into(), "二次党支部".into(), "compound_branch".into(), "二次小区".into(), "2019-01-01".into()],
            ]),
            sheet("compound_history", &["community_code", "compound", "kind", "value", "effective_from"], history),
        ]};
        // The second compound's history says its branch began serving it later than it was set up: that wins.
        let history = vec![vec![fh.into(), "二次小区".into(), "party_branch".into(), "二次党支部".into(), "2022-01-01".into()]];
        let r = upload(&app, &wb(history.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["sheets"]["compound_history"]["added"], 3, "one history row and two facts implied: {}", r.body);
        let kpi = |date: &str| {
            let app = app.clone();
            let uri = format!("/api/v1/kpis?region={fh}&as_of={date}");
            async move {
                let v = app.get(&uri).await.json();
                let k = |key: &str| {
                    let x = v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == key).unwrap().clone();
                    (x["numerator"].as_i64().unwrap(), x["denominator"].as_i64().unwrap())
                };
                (k("compound_party_coverage"), k("committee_formation"))
            }
        };
        assert_eq!(kpi("2020-06-30").await, ((1, 2), (0, 2)), "the first branch from its establishment");
        assert_eq!(kpi("2021-06-30").await, ((1, 2), (1, 2)), "its committee from the term's start");
        assert_eq!(kpi("2022-06-30").await, ((2, 2), (1, 2)), "the second branch from its history row");
        // Again: nothing more.
        let r = upload(&app, &wb(history)).await;
        assert_eq!(r.json()["sheets"]["compound_history"]["added"], 0, "{}", r.body);
    }

    async fn who_formed_or_founded_what_is_recorded_and_shown(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let company = cc(77);
        let wb = |bad: Option<Vec<String>>| {
            let mut relations = vec![
                vec!["formed".into(), "party_org".into(), fh.into(), "丰华社区党委".into(), "owners_committee".into(), fh.into(), "关系业委会".into(), "2021-04-20".into()],
                vec!["founded".into(), "cooperative".into(), fh.into(), "丰华股份经济合作社".into(), "company".into(), "".into(), company.clone(), "2020-09-01".into()],
                vec!["helped_found".into(), "sponsor_unit".into(), fh.into(), "市住建局".into(), "party_org".into(), fh.into(), "关系小区党支部".into(), "".into()],
            ];
            relations.extend(bad);
            Workbook { sheets: vec![
                sheet("compounds", &["community_code", "name"], vec![vec![fh.into(), "关系小区".into()]]),
                sheet("companies", &["credit_code", "name", "region_code", "party_coverage"], vec![vec![company.clone(), "丰华惠民物业".into(), "371402".into(), "own_branch".into()]]),
                sheet("owners_committees", &["community_code", "compound", "name", "status"], vec![vec![fh.into(), "关系小区".into(), "关系业委会".into(), "in_office".into()]]),
                sheet("party_orgs", &["region_code", "name", "party_level", "compound"], vec![
                    vec![fh.into(), "丰华社区党委".into(), "community_committee".into(), "".into()],
                    vec![fh.into(), "关系小区党支部".into(), "compound_branch".into(), "关系小区".into()],
                ]),
                sheet("other_orgs", &["kind", "region_code", "name"], vec![
                    vec!["cooperative".into(), fh.into(), "丰华股份经济合作社".into()],
                    vec!["sponsor_unit".into(), fh.into(), "市住建局".into()],
                ]),
                sheet("组建关系", &["关系", "发起方类型", "发起方区划代码", "发起方", "对象类型", "对象区划代码", "对象", "日期"], relations),
            ]}
        };
        // A company cannot form the committee that oversees it: refused, naming the row, nothing written.
        let bad = vec!["formed".into(), "company".into(), "".into(), company.clone(), "owners_committee".into(), fh.into(), "关系业委会".into(), "".into()];
        let r = upload(&app, &wb(Some(bad))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("relations!5:relation") && r.body.contains("不能是这种组建关系"), "{}", r.body);
        assert_eq!(total(&app, "/api/v1/organisations").await, 0, "nothing written");
        let r = upload(&app, &wb(None)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["sheets"]["relations"]["added"], 3);
        let orgs = app.get("/api/v1/organisations?kind=owners_committee").await.json();
        let committee = orgs["items"][0]["id"].as_i64().unwrap();
        let page = app.get(&format!("/organisations/{committee}")).await.body;
        assert!(page.contains("组建关系") && page.contains("组建方：<a href=\"/organisations/") && page.contains("丰华社区党委</a> · 2021-04-20"), "{page}");
        let companies = app.get("/api/v1/organisations?kind=company").await.json();
        let page = app.get(&format!("/organisations/{}", companies["items"][0]["id"])).await.body;
        assert!(page.contains("创办方：") && page.contains("丰华股份经济合作社"), "{page}");
        // Again: nothing changes.
        let r = upload(&app, &wb(None)).await;
        assert_eq!(r.json()["sheets"]["relations"]["unchanged"], 3, "{}", r.body);
    }

    async fn building_heads_by_entrance_and_party_groups_by_building(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = |entrance: &str, group_building: &str| Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name"], vec![vec![fh.into(), "单元小区".into()]]),
            sheet("buildings", &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"],
                vec![vec![fh.into(), "单元小区".into(), "1号楼".into(), "6".into(), "3".into(), "2".into(), "80".into()]]),
            sheet("party_orgs", &["region_code", "name", "party_level", "compound", "building"], vec![
                vec![fh.into(), "1号楼党小组".into(), "building_group".into(), "单元小区".into(), group_building.into()],
            ]),
            sheet("people", &["phone", "name", "region_code"], vec![vec!["13911112222".into(), "楼道长甲".into(), fh.into()]]),
            sheet("posts", &["phone", "role", "region_code", "compound", "building", "entrance", "start_date"], vec![
                vec!["13911112222".into(), "building_head".into(), fh.into(), "单元小区".into(), "1号楼".into(), entrance.into(), "2022-01-01".into()],
            ]),
        ]};
        let r = upload(&app, &wb("4", "9号楼")).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("posts!2:entrance") && r.body.contains("单元「4」"), "{}", r.body);
        assert!(r.body.contains("party_orgs!2:building") && r.body.contains("楼栋「9号楼」"), "{}", r.body);
        let r = upload(&app, &wb("2", "1号楼")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let people = app.get("/api/v1/people?q=%E6%A5%BC%E9%81%93%E9%95%BF%E7%94%B2").await.json();
        let page = app.get(&format!("/people/{}", people["items"][0]["id"])).await.body;
        assert!(page.contains("1号楼 2单元"), "the head's entrance: {page}");
        let v = app.get(&format!("/api/v1/kpis?region={fh}&as_of=2023-01-01")).await.json();
        let heads = v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == "servants_building_heads").unwrap().clone();
        assert_eq!(heads["denominator"], 1, "an entrance's head is a building head in the figures");
        let orgs = app.get("/api/v1/organisations?kind=party_org").await.json();
        let page = app.get(&format!("/organisations/{}", orgs["items"][0]["id"])).await.body;
        assert!(page.contains("单元小区</a> · 1号楼"), "the group's building: {page}");
        // "2单元" is the same entrance as "2": re-importing changes nothing.
        let r = upload(&app, &wb("2单元", "1号楼")).await;
        assert_eq!(r.json()["sheets"]["posts"]["unchanged"], 1, "{}", r.body);
    }

    async fn a_roster_without_phones_is_matched_by_name(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = |people: Vec<Vec<String>>, posts: Vec<Vec<String>>| Workbook { sheets: vec![
            sheet("people", &["phone", "name", "region_code", "is_public_servant"], people),
            sheet("posts", &["phone", "name", "role", "region_code", "start_date"], posts),
        ]};
        let roster = vec![
            vec!["".into(), "王社工".into(), fh.into(), "否".into()],
            vec!["".into(), "李社工".into(), fh.into(), "是".into()],
            vec!["13900001111".into(), "张社工".into(), fh.into(), "否".into()],
        ];
        let posts = vec![
            vec!["".into(), "王社工".into(), "community_worker".into(), fh.into(), "2022-01-01".into()],
            vec!["".into(), "李社工".into(), "community_worker".into(), fh.into(), "2022-01-01".into()],
            vec!["13900001111".into(), "".into(), "community_worker".into(), fh.into(), "2022-01-01".into()],
        ];
        let r = upload(&app, &wb(roster.clone(), posts.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["sheets"]["people"]["added"], 3);
        let v = app.get(&format!("/api/v1/kpis?region={fh}&as_of=2023-01-01")).await.json();
        assert_eq!(v["community_workers"], 3, "all three counted: {v}");
        let page = app.get(&format!("/people?region={fh}")).await.body;
        assert!(page.contains("王社工") && page.contains("未登记"), "{page}");
        assert!(!page.contains("~371402"), "the key is not shown as a phone: {page}");
        // Again: the same people, not new ones.
        let r = upload(&app, &wb(roster.clone(), posts)).await;
        assert_eq!((r.json()["sheets"]["people"]["unchanged"].as_i64(), r.json()["sheets"]["posts"]["unchanged"].as_i64()), (Some(3), Some(3)), "{}", r.body);
        // A post naming nobody, or nobody known, is an error that says so.
        let r = upload(&app, &wb(vec![], vec![
            vec!["".into(), "".into(), "community_worker".into(), fh.into(), "2022-01-01".into()],
            vec!["".into(), "赵社工".into(), "community_worker".into(), fh.into(), "2022-01-01".into()],
        ])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("posts!2:phone") && r.body.contains("请填写人员的手机号或姓名"), "{}", r.body);
        assert!(r.body.contains("posts!3:name") && r.body.contains("赵社工"), "{}", r.body);
        // Two namesakes without phones in the street cannot be told apart: the import says so.
        let ws = "371402001001";
        let r = upload(&app, &wb(vec![vec!["".into(), "王社工".into(), ws.into(), "否".into()]], vec![
            vec!["".into(), "王社工".into(), "grid_worker".into(), "371402001".into(), "2022-01-01".into()],
        ])).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("2 位未登记手机号的「王社工」"), "{}", r.body);
    }

    async fn unknown_is_not_zero(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let r = upload(&app, &Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name", "is_old", "households", "floor_area"], vec![
                vec![fh.into(), "未知小区".into(), "".into(), "".into(), "".into()],
                vec![fh.into(), "零户小区".into(), "否".into(), "0".into(), "0".into()],
            ]),
        ]}).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = app.get(&format!("/api/v1/compounds?region={fh}")).await.json();
        let get = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap().clone();
        let (unknown, zero) = (get("未知小区"), get("零户小区"));
        assert_eq!((unknown["is_old"].clone(), unknown["households"].clone(), unknown["floor_area_m2"].clone()), (json!(null), json!(null), json!(null)));
        assert_eq!((zero["is_old"].clone(), zero["households"].clone(), zero["floor_area_m2"].clone()), (json!(false), json!(0), json!("0.00")));
        // The figures count what is not recorded.
        let v = app.get(&format!("/api/v1/kpis?region={fh}")).await.json();
        assert_eq!(v["unrecorded"], json!({"year_built": 2, "is_old": 1, "households": 1, "floor_area": 1}), "{v}");
        assert!(app.get(&format!("/dashboard?region={fh}")).await.body.contains("未登记的小区数"));
        let page = app.get(&format!("/compounds/{}", unknown["id"])).await.body;
        assert!(page.matches("未登记").count() >= 3, "{page}");
        // Recorded on the page, then made unknown again by leaving it blank.
        let id = unknown["id"].as_i64().unwrap();
        let form = |households: &str, is_old: &str| vec![("name", "未知小区".to_owned()), ("households", households.to_owned()), ("is_old", is_old.to_owned()), ("floor_area", String::new())];
        let send = |pairs: Vec<(&'static str, String)>| {
            let app = app.clone();
            async move {
                let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.form(&format!("/compounds/{id}"), &pairs).await
            }
        };
        assert_eq!(send(form("120", "yes")).await.status, 303);
        let c = app.get(&format!("/api/v1/compounds/{id}")).await.json();
        assert_eq!((c["households"].clone(), c["is_old"].clone()), (json!(120), json!(true)));
        assert_eq!(send(form("", "")).await.status, 303);
        let c = app.get(&format!("/api/v1/compounds/{id}")).await.json();
        assert_eq!((c["households"].clone(), c["is_old"].clone()), (json!(null), json!(null)), "{c}");
        // Through the API: a fact marked not recorded, a bad key named.
        let r = app.json("PATCH", &format!("/api/v1/compounds/{}", zero["id"]), json!({"unrecord": ["households"]})).await;
        assert_eq!((r.status.as_u16(), r.json()["households"].clone()), (200, json!(null)), "{}", r.body);
        let r = app.json("PATCH", &format!("/api/v1/compounds/{}", zero["id"]), json!({"unrecord": ["name"]})).await;
        assert_eq!(r.status, 422, "{}", r.body);
    }

    async fn a_workbook_with_every_bad_case_is_refused_whole_each_error_once(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        let wb = |bad: bool| {
            let mut compounds = vec![v(&[fh, "坏例小区"]), v(&[if bad { "371402001099" } else { fh }, "错码小区"])];
            if bad {
                compounds.push(v(&[fh, "坏例小区"]));
            }
            let mut committees = vec![v(&[fh, "坏例小区", "第一届", "2018-01-01", "2023-01-01", "in_office"])];
            committees.push(v(&[fh, "坏例小区", "第二届", if bad { "2022-06-01" } else { "2023-01-01" }, "2028-01-01", "in_office"]));
            let posts = vec![
                v(&["13800000031", "secretary", "party_org", "坏例党支部", fh, "2020-06-01", "2022-01-01"]),
                v(&["13800000032", "secretary", "party_org", "坏例党支部", fh, if bad { "2021-06-01" } else { "2022-01-01" }, ""]),
                v(&["13800000031", "member", "party_org", "坏例党支部", fh, "2022-01-01", "2023-01-01"]),
                v(&["13800000031", "member", "party_org", "坏例党支部", fh, if bad { "2022-06-01" } else { "2023-01-01" }, ""]),
                v(&["13800000032", "member", "party_org", "坏例党支部", fh, if bad { "2019-01-01" } else { "2020-06-01" }, "2021-01-01"]),
            ];
            Workbook { sheets: vec![
                sheet("compounds", &["community_code", "name"], compounds),
                sheet("buildings", &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"], vec![
                    v(&[fh, "错码小区", "1号楼", "6", "2", "2", "80"]), v(&[fh, "错码小区", "2号楼", "6", "2", "2", "80"]),
                ]),
                sheet("owners_committees", &["community_code", "compound", "name", "term_start", "term_end", "status"], committees),
                sheet("party_orgs", &["region_code", "name", "party_level", "compound", "established"], vec![v(&[fh, "坏例党支部", "compound_branch", "坏例小区", "2020-06-01"])]),
                sheet("people", &["phone", "name", "region_code"], vec![v(&["13800000031", "甲", fh]), v(&["13800000032", "乙", fh])]),
                sheet("posts", &["phone", "role", "org_kind", "org", "region_code", "start_date", "end_date"], posts),
            ]}
        };
        let r = upload(&app, &wb(true)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let fields: Vec<(String, String)> = r.json()["error"]["fields"].as_array().unwrap().iter()
            .map(|f| (f["field"].as_str().unwrap().to_owned(), f["reason_zh"].as_str().unwrap_or("").to_owned())).collect();
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, [
            "compounds!3:community_code",      // the mistyped code, once, naming the buildings that depend on it
            "compounds!4:name",                // the same compound twice
            "owners_committees!3:status",      // two committees in office at once
            "posts!3:role",                    // two secretaries at once
            "posts!5:start_date",              // the same person's same post twice over
            "posts!6:start_date",              // a post before its branch was set up
        ], "{fields:?}");
        for (f, zh) in &fields {
            assert!(!zh.is_empty() && !zh.contains("compound ") && !zh.contains("term "), "{f}: in Chinese: {zh}");
        }
        assert!(fields[0].1.contains("楼栋 第 2、3 行"), "{fields:?}");
        assert_eq!(total(&app, "/api/v1/organisations").await, 0, "nothing written");
        assert_eq!(total(&app, &format!("/api/v1/compounds?region={fh}")).await, 0);
        // Fixed, it imports, and again changes nothing.
        let r = upload(&app, &wb(false)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = upload(&app, &wb(false)).await;
        for (sheet, c) in r.json()["sheets"].as_object().unwrap() {
            assert_eq!((c["added"].as_i64(), c["updated"].as_i64()), (Some(0), Some(0)), "{sheet} changed on re-import");
        }
    }

    async fn a_root_error_is_reported_once_naming_the_rows_that_depend_on_it(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let fh = "371402001009";
        let wb = Workbook { sheets: vec![
            // The compound's community code is mistyped; everything else names the right one.
            sheet("compounds", &["community_code", "name"], vec![vec!["371402001099".into(), "根因小区".into()]]),
            sheet("buildings", &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"], (1..=3)
                .map(|i| vec![fh.into(), "根因小区".into(), format!("{i}号楼"), "6".into(), "2".into(), "2".into(), "80".into()]).collect()),
            sheet("compound_history", &["community_code", "compound", "kind", "value", "effective_from"], vec![
                vec![fh.into(), "根因小区".into(), "service_model".into(), "party_led".into(), "2021-01-01".into()],
            ]),
        ]};
        let r = upload(&app, &wb).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let fields = r.json()["error"]["fields"].as_array().unwrap().clone();
        assert_eq!(fields.len(), 1, "one root cause: {fields:?}");
        let reason = fields[0]["reason"].as_str().unwrap();
        assert_eq!(fields[0]["field"], "compounds!2:community_code");
        assert!(reason.contains("buildings rows 2, 3, 4") && reason.contains("楼栋 第 2、3、4 行") && reason.contains("小区动态 第 2 行"), "{reason}");
        assert_eq!(total(&app, &format!("/api/v1/compounds?region={fh}")).await, 0, "nothing written");
    }

    async fn phones_are_masked_by_role(db: Db) {
        gongzhi::demo::build(&db, true).await.unwrap();
        gongzhi::demo::users(&db).await.unwrap();
        // 丰华小区 gets a party branch with a secretary.
        let wb = Workbook { sheets: vec![
            sheet("party_orgs", &["region_code", "name", "party_level", "compound"], vec![vec!["371402001009".into(), "丰华小区党支部".into(), "compound_branch".into(), "丰华小区".into()]]),
            sheet("people", &["phone", "name", "region_code", "is_party_member"], vec![vec!["13812341234".into(), "张书记".into(), "371402001009".into(), "是".into()]]),
            sheet("posts", &["phone", "role", "org_kind", "org", "region_code", "start_date"], vec![vec!["13812341234".into(), "secretary".into(), "party_org".into(), "丰华小区党支部".into(), "371402001009".into(), "2021-01-01".into()]]),
        ]};
        let admin = App::new(&db).await;
        let r = upload(&admin, &wb).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = admin.get("/api/v1/people?q=%E5%BC%A0").await.json()["items"][0]["id"].as_i64().unwrap();
        for (login, want) in [("admin", Some("13812341234")), ("dezhou", Some("138****1234")), ("xinhu", Some("13812341234")),
                              ("fenghua_sq", Some("13812341234")), ("fenghua_wy", Some("138****1234")), ("fenghua_ywh", Some("138****1234")),
                              ("fenghua_101", Some("138****1234"))] {
            let u = db::accounts::user_by_login(&db, login).await.unwrap().unwrap();
            let app = App::anonymous(&db).with_token(&crate::support::token_for(&db, u.id).await);
            let r = app.get(&format!("/api/v1/people/{id}")).await;
            match want {
                Some(phone) => {
                    assert_eq!(r.status, 200, "{login}");
                    assert_eq!(r.json()["phone"], phone, "{login}");
                    let page = app.get(&format!("/people/{id}")).await.body;
                    assert!(page.contains(phone), "{login} page");
                    if phone.contains('*') {
                        assert!(!page.contains("13812341234"), "{login} page leaks the number");
                    }
                }
                None => assert_eq!(r.status, 404, "{login}"),
            }
        }
        // Someone outside every scope but the administrator's.
        let other = App::anonymous(&db).with_token(&user_token(&db, "yucheng", "officer", "371482").await);
        assert_eq!(other.get(&format!("/api/v1/people/{id}")).await.status, 404);
    }

    async fn organisation_facts_are_set_and_corrected(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let comm = "371402001009";
        let wb = Workbook { sheets: vec![
            sheet("compounds", &["community_code", "name"], vec![vec![comm.into(), "丰华小区".into()], vec![comm.into(), "华庭小区".into()]]),
            sheet("companies", &["credit_code", "name", "region_code", "party_coverage"], vec![vec![cc(7), "丰华物业".into(), "371402".into(), "own_branch".into()]]),
            sheet("owners_committees", &["community_code", "compound", "name", "status"], vec![
                vec![comm.into(), "丰华小区".into(), "丰华业委会".into(), "in_office".into()],
                vec![comm.into(), "华庭小区".into(), "华庭业委会".into(), "in_office".into()]]),
        ]};
        assert_eq!(upload(&app, &wb).await.status, 200);
        let list = app.get("/api/v1/compounds?region=371402001009").await.json();
        let id_of = |n: &str| list["items"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["id"].as_i64().unwrap();
        let (fh, ht) = (id_of("丰华小区"), id_of("华庭小区"));
        let orgs = app.get("/api/v1/organisations").await.json();
        let org_of = |n: &str| orgs["items"].as_array().unwrap().iter().find(|o| o["name"] == n).unwrap()["id"].as_i64().unwrap();

        let r = app.json("POST", &format!("/api/v1/compounds/{fh}/facts"),
            serde_json::json!({"kind": "company", "org_id": org_of("丰华物业"), "effective_from": "2021-03-01"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.json("POST", &format!("/api/v1/compounds/{fh}/facts"),
            serde_json::json!({"kind": "owners_committee", "org_id": org_of("华庭业委会"), "effective_from": "2021-03-01"})).await;
        assert_eq!(r.status, 422, "another compound's committee is refused");
        let r = app.json("POST", &format!("/api/v1/compounds/{fh}/facts"),
            serde_json::json!({"kind": "owners_committee", "org_id": org_of("丰华物业"), "effective_from": "2021-03-01"})).await;
        assert_eq!(r.status, 422, "a company is not a committee");
        let r = app.json("POST", &format!("/api/v1/compounds/{fh}/facts"),
            serde_json::json!({"kind": "company", "effective_from": "2021-03-01"})).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["error"]["fields"][0]["field"], "org_id");
        let _ = ht;

        // Two service-model periods, then the second one's start is corrected.
        for (m, d) in [("none", "2020-01-01"), ("party_led", "2022-06-01")] {
            let r = app.json("POST", &format!("/api/v1/compounds/{fh}/facts"), serde_json::json!({"kind": "service_model", "value": m, "effective_from": d})).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let facts = app.get(&format!("/api/v1/compounds/{fh}/facts")).await.json();
        let led = facts.as_array().unwrap().iter().find(|f| f["value"] == "party_led").unwrap()["id"].as_i64().unwrap();
        let model_on = |app: App, d: &'static str| async move {
            let v = app.get(&format!("/api/v1/compounds/{fh}/facts?as_of={d}")).await.json();
            v.as_array().unwrap().iter().find(|f| f["kind"] == "service_model").unwrap()["value"].as_str().unwrap().to_owned()
        };
        assert_eq!(model_on(app.clone(), "2021-12-31").await, "none");
        let r = app.json("PATCH", &format!("/api/v1/compounds/{fh}/facts/{led}"), serde_json::json!({"valid_from": "2021-09-01"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(model_on(app.clone(), "2021-08-31").await, "none");
        assert_eq!(model_on(app.clone(), "2021-09-01").await, "party_led");
        let r = app.json("PATCH", &format!("/api/v1/compounds/{fh}/facts/{led}"), serde_json::json!({"valid_from": "2019-01-01"})).await;
        assert_eq!(r.status, 422, "a correction may not overlap the period before");
        let (rows, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(5))).await.unwrap();
        assert!(rows.iter().any(|r| r.action == "correct_fact" && r.before.contains("2022-06-01") && r.after.contains("2021-09-01")));
        let page = app.get(&format!("/compounds/{fh}")).await.body;
        assert!(page.contains("丰华物业") && page.contains("2021-09-01"));
    }

    async fn json_rows_and_scope_follow_the_same_rules(db: Db) {
        dezhou(&db).await;
        let officer = App::anonymous(&db).with_token(&user_token(&db, "xinhu", "officer", "371402001").await);
        let r = officer.json("POST", "/api/v1/registry/compounds", serde_json::json!([
            {"community_code": "371402001009", "name": "新建小区", "households": 120, "is_old": true}
        ])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["sheets"]["compounds"]["added"], 1);
        let r = officer.json("POST", "/api/v1/registry/companies", serde_json::json!([
            {"credit_code": cc(9), "name": "新湖物业", "region_code": "371402001", "party_coverage": "joint_branch"}
        ])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Outside the officer's street: refused with the region named, nothing written.
        let r = officer.json("POST", "/api/v1/registry/compounds", serde_json::json!([
            {"community_code": "371402001009", "name": "又一个小区"},
            {"community_code": "371428001002", "name": "越界小区"}
        ])).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("compounds!3:community_code") && r.body.contains("outside your scope"), "{}", r.body);
        assert_eq!(total(&App::new(&db).await, "/api/v1/compounds?q=%E5%8F%88").await, 0, "the good row was not kept either");
        let r = officer.json("POST", "/api/v1/registry/compounds", serde_json::json!([{"community_code": "371402001009", "colour": "red"}])).await;
        assert_eq!(r.status, 422);
        assert_eq!(officer.json("POST", "/api/v1/registry/kings", serde_json::json!([])).await.status, 404);
        // A supervisor reads but may not import.
        let sup = App::anonymous(&db).with_token(&user_token(&db, "sup", "supervisor", "3714").await);
        assert_eq!(sup.json("POST", "/api/v1/registry/compounds", serde_json::json!([])).await.status, 403);
        assert_eq!(sup.get("/import").await.status, 403);
    }

    async fn the_template_downloads_and_reads_back(db: Db) {
        let app = App::new(&db).await;
        let r = app.get("/import/template.xlsx").await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-disposition").contains("gongzhi-registry-template.xlsx"));
        let bytes = import::template_xlsx().unwrap();
        let wb = import::read_xlsx(&bytes).unwrap();
        let names: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
        for s in import::SHEETS {
            let named = format!("{} {}", s.zh, s.name);
            assert!(names.contains(&named.as_str()), "{named}");
        }
        // An empty template is a valid (empty) import.
        let tx = db.begin_write().await.unwrap();
        let r = import::load(&*tx, &crate::support::system(), &wb, &import::Reach::All, |_, _, _| {}).await.unwrap();
        assert_eq!(r.changed(), 0);
    }
}
