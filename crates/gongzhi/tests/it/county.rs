//! A county's published figures, out of a county's workbook. The report on
//! 武城县 gives: 96 compounds, every one with a party branch and an owners'
//! committee; 459 members of the "two committees", 441 of them public
//! servants (96%); 2,689 building heads, 1,775 of them public servants (66%);
//! the party chain street → community → compound. The workbook below holds
//! exactly that, as a county office would write it, and the figures must come
//! out exact — with the work coverage of the committees the report implies
//! (every branch secretary sits on the committee) beside their organisational
//! coverage (no party group was set up inside any committee).

use import::{RawSheet, Workbook};
use serde_json::Value;

use crate::support::{App, dezhou};

const COMPOUNDS: usize = 96;
const TWO_COMMITTEES: usize = 459;
const TWO_COMMITTEES_SERVANTS: usize = 441;
const HEADS: usize = 2_689;
const HEADS_SERVANTS: usize = 1_775;

fn s(x: impl ToString) -> String {
    x.to_string()
}

fn wucheng() -> Workbook {
    let communities = crate::support::communities("371428", COMPOUNDS / 4);
    assert_eq!(communities.len(), COMPOUNDS / 4, "enough communities in the open data");
    let (mut compounds, mut buildings, mut committees, mut party, mut people, mut posts, mut history) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    // The chain's top: each street's working committee, each community's committee under it.
    let mut streets: Vec<String> = communities.iter().map(|c| c.as_str()[..9].to_owned()).collect();
    streets.dedup();
    for st in &streets {
        party.push(vec![s(st), format!("{st}街道党工委"), s("street_working_committee"), s(""), s(""), s("")]);
    }
    for c in &communities {
        let st = &c.as_str()[..9];
        party.push(vec![
            s(c),
            format!("{c}社区党委"),
            s("community_committee"),
            s(""),
            format!("{st}街道党工委"),
            s(""),
        ]);
    }
    let compound = |i: usize| (communities[i / 4].clone(), format!("武城{}号小区", i + 1));
    for i in 0..COMPOUNDS {
        let (c, name) = compound(i);
        compounds.push(vec![s(&c), name.clone()]);
        party.push(vec![
            s(&c),
            format!("{name}党支部"),
            s("compound_branch"),
            name.clone(),
            format!("{c}社区党委"),
            s(""),
        ]);
        // The fourth level: a party group in the first building, led by the branch.
        party.push(vec![
            s(&c),
            format!("{name}1号楼党小组"),
            s("building_group"),
            name.clone(),
            format!("{name}党支部"),
            s("1号楼"),
        ]);
        committees.push(vec![
            s(&c),
            name.clone(),
            format!("{name}业委会"),
            s("2021-01-01"),
            s("2026-01-01"),
            s("in_office"),
        ]);
        history.push(vec![s(&c), name.clone(), s("party_branch"), format!("{name}党支部"), s("2020-06-01")]);
        history.push(vec![s(&c), name.clone(), s("owners_committee"), format!("{name}业委会"), s("2021-01-01")]);
        // 28 buildings each, and one more in the first: 2,689.
        for b in 0..(28 + usize::from(i == 0)) {
            buildings.push(vec![s(&c), name.clone(), format!("{}号楼", b + 1), s(6), s(2), s(2), s(80)]);
        }
    }
    let mut person = |phone: String, servant: bool, c: &domain::RegionCode| {
        people.push(vec![phone, s("某"), s(if servant { "是" } else { "否" }), s(c)]);
    };
    // The two committees: a secretary per branch (who also sits on the
    // committee), then chairs, then members on one or the other.
    for p in 0..TWO_COMMITTEES {
        let i = p % COMPOUNDS;
        let (c, name) = compound(i);
        let phone = format!("1370000{p:04}");
        person(phone.clone(), p < TWO_COMMITTEES_SERVANTS, &c);
        let (role, kind, org) = match p / COMPOUNDS {
            0 => ("secretary", "party_org", format!("{name}党支部")),
            1 => ("chair", "owners_committee", format!("{name}业委会")),
            2 => ("vice_chair", "owners_committee", format!("{name}业委会")),
            k if k % 2 == 1 => ("member", "party_org", format!("{name}党支部")),
            _ => ("member", "owners_committee", format!("{name}业委会")),
        };
        posts.push(vec![phone.clone(), s(role), s(kind), org, s(&c), s(""), s(""), s("2021-01-01")]);
        if role == "secretary" {
            posts.push(vec![
                phone,
                s("member"),
                s("owners_committee"),
                format!("{name}业委会"),
                s(&c),
                s(""),
                s(""),
                s("2021-01-01"),
            ]);
        }
    }
    // A building head on every building.
    let mut h = 0;
    for i in 0..COMPOUNDS {
        let (c, name) = compound(i);
        for b in 0..(28 + usize::from(i == 0)) {
            let phone = format!("1360000{h:04}");
            person(phone.clone(), h < HEADS_SERVANTS, &c);
            posts.push(vec![
                phone,
                s("building_head"),
                s(""),
                s(""),
                s(&c),
                name.clone(),
                format!("{}号楼", b + 1),
                s("2021-01-01"),
            ]);
            h += 1;
        }
    }
    assert_eq!(h, HEADS);
    let sheet = |name: &str, header: &[&str], rows: Vec<Vec<String>>| RawSheet::new(name, header, rows);
    Workbook {
        sheets: vec![
            sheet("compounds", &["community_code", "name"], compounds),
            sheet(
                "buildings",
                &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"],
                buildings,
            ),
            sheet(
                "owners_committees",
                &["community_code", "compound", "name", "term_start", "term_end", "status"],
                committees,
            ),
            sheet("party_orgs", &["region_code", "name", "party_level", "compound", "parent", "building"], party),
            sheet("people", &["phone", "name", "is_public_servant", "region_code"], people),
            sheet(
                "posts",
                &["phone", "role", "org_kind", "org", "region_code", "compound", "building", "start_date"],
                posts,
            ),
            sheet("compound_history", &["community_code", "compound", "kind", "value", "effective_from"], history),
        ],
    }
}

async fn load(db: &db::Db, wb: &Workbook) -> import::Report {
    let tx = db.begin_write().await.unwrap();
    let t0 = std::time::Instant::now();
    let r = import::load(&*tx, &crate::support::system(), wb, &import::Reach::All, |_, _, _| {}).await;
    let r = match r {
        Ok(r) => r,
        Err(e) => panic!("{:?}", &e.0[..e.0.len().min(5)]),
    };
    tx.commit().await.unwrap();
    eprintln!("county workbook loaded in {:.1} s", t0.elapsed().as_secs_f64());
    r
}

fn ratio(v: &Value, key: &str) -> (i64, i64) {
    let x = v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == key).unwrap();
    (x["numerator"].as_i64().unwrap(), x["denominator"].as_i64().unwrap())
}

db_test! {
    async fn a_county_workbook_gives_the_published_figures(db: Db) {
        dezhou(&db).await;
        let app = App::new(&db).await;
        let wb = wucheng();
        let rows: usize = wb.sheets.iter().map(|s| s.rows.len()).sum();
        assert!(rows <= 10_000, "within what the web takes: {rows}");
        // As `gongzhi import registry` loads it (the web's upload page runs the same in the background).
        let first = load(&db, &wb).await;
        assert_eq!(first.sheets["compounds"].added, COMPOUNDS as u64);
        assert_eq!(first.sheets["posts"].added, (TWO_COMMITTEES + COMPOUNDS + HEADS) as u64);

        let v = app.get("/api/v1/kpis?region=371428&as_of=2023-06-30").await.json();
        assert_eq!(v["compounds"], COMPOUNDS as i64);
        assert_eq!(ratio(&v, "compound_party_coverage"), (96, 96), "every compound has a branch");
        assert_eq!(ratio(&v, "committee_formation"), (96, 96), "and a committee");
        assert_eq!(ratio(&v, "servants_two_committees"), (TWO_COMMITTEES_SERVANTS as i64, TWO_COMMITTEES as i64));
        assert_eq!(ratio(&v, "servants_building_heads"), (HEADS_SERVANTS as i64, HEADS as i64));
        assert_eq!(ratio(&v, "cross_appointment"), (96, 96));
        // No party group inside a committee, yet the party leads every one through its secretary.
        assert_eq!(ratio(&v, "committee_party_coverage"), (0, 96));
        let work = &v["committee_work_coverage"];
        assert_eq!((work["numerator"].as_i64(), work["denominator"].as_i64()), (Some(96), Some(96)), "{v}");
        let text = |key: &str| v["kpis"].as_array().unwrap().iter().find(|k| k["key"] == key).unwrap()["text"].as_str().unwrap().to_owned();
        assert_eq!(text("servants_two_committees"), "96.1%");
        assert_eq!(text("servants_building_heads"), "66.0%");

        // The party chain can be walked: a branch's page names its community committee, which lists its branches.
        let branches = app.get("/api/v1/organisations?kind=party_org&q=%E6%AD%A6%E5%9F%8E1%E5%8F%B7%E5%B0%8F%E5%8C%BA%E5%85%9A%E6%94%AF%E9%83%A8").await.json();
        let branch = branches["items"].as_array().unwrap().iter().find(|o| o["name"] == "武城1号小区党支部").unwrap().clone();
        let page = app.get(&format!("/organisations/{}", branch["id"])).await.body;
        let parent = page.split("<dt>上级党组织</dt><dd><a href=\"/organisations/").nth(1).expect("the parent linked by name");
        let parent_id: i64 = parent.split('"').next().unwrap().parse().unwrap();
        assert!(parent.contains("社区党委</a>"), "{page}");
        let up = app.get(&format!("/organisations/{parent_id}")).await.body;
        assert!(up.contains("下属组织") && up.contains("武城1号小区党支部") && up.contains("武城4号小区党支部"), "{up}");
        assert!(up.contains("街道党工委</a>"), "and its own parent, up the chain: {up}");
        assert!(page.contains("武城1号小区1号楼党小组") && page.contains("下属组织"), "and down to the building: {page}");

        // Again: nothing changes.
        let again = load(&db, &wb).await;
        for (sheet, c) in &again.sheets {
            assert_eq!((c.added, c.updated), (0, 0), "{sheet} changed on re-import");
        }
    }
}
