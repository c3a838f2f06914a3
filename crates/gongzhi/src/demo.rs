//! The demo registry: Dezhou's real divisions (shipped, made from the open
//! data by `scripts/make-demo-divisions.sh`) and a synthetic but believable
//! set of compounds. Deterministic: the same program makes the same data.

use chrono::{Datelike, NaiveDate};
use db::Db;
use db::compounds::bulk::Writer;
use domain::access::{Grant, Role, Scope};
use domain::audit::Actor;
use domain::history::FactKind;
use domain::{Area, CompoundDraft, Paging, RegionCode, ServiceModel};

use crate::import::{Source, import_divisions};

pub const DEZHOU: &[(&str, &[u8])] = &[
    ("provinces.csv.gz", include_bytes!("../data/divisions-3714/provinces.csv.gz")),
    ("cities.csv.gz", include_bytes!("../data/divisions-3714/cities.csv.gz")),
    ("areas.csv.gz", include_bytes!("../data/divisions-3714/areas.csv.gz")),
    ("streets.csv.gz", include_bytes!("../data/divisions-3714/streets.csv.gz")),
    ("villages.csv.gz", include_bytes!("../data/divisions-3714/villages.csv.gz")),
];

/// The compounds the 2022 report names, with where they are.
pub const NAMED: [(&str, &str); 3] = [
    ("蕙泽嘉园", "371482002002"), // 禹城市 禹兴街道 古城社区
    ("丰华小区", "371402001009"), // 德城区 新湖街道 丰华社区
    ("畅和名居", "371428001002"), // 武城县 广运街道 贝州社区
];

/// SplitMix64: tiny, deterministic, good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next_u64() % xs.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "阳光", "幸福", "和谐", "锦绣", "翠苑", "康城", "盛世", "金色", "新城", "御景", "书香", "华府", "水岸", "世纪",
    "泰和", "明珠", "东方", "紫薇", "枫林", "嘉和", "馨园", "润泽", "福瑞", "天衢", "运河", "德兴", "长河", "安居",
    "怡景", "锦华",
];
const LAST: &[&str] = &["小区", "花园", "家园", "名苑", "嘉园", "公寓", "雅居", "新村", "华庭", "名居"];
const ROADS: &[&str] =
    &["东方红路", "三八路", "湖滨路", "新湖大街", "天衢路", "德兴大道", "解放路", "大学路", "长河大道", "运河街"];

/// How many compounds each urban community gets.
pub const PER_COMMUNITY: usize = 5;

/// One synthetic compound with its buildings and its service-model history.
pub struct Planned {
    pub draft: CompoundDraft,
    pub history: Vec<(ServiceModel, NaiveDate)>,
    /// (floors, entrances, units per floor, unit area) per building.
    pub buildings: Vec<(i32, i32, i32, Area)>,
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// A generator for what happens after the plan's years (2023 to now), seeded
/// by the compound's name: the 2020–2022 history stays exactly as it was.
pub fn later_rng(name: &str) -> Rng {
    Rng::new(name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3)))
}

/// A first day of a month from January 2023 up to this month: the programme
/// goes on after the plan's end, so today's dashboard still moves.
pub fn later_date(rng: &mut Rng) -> NaiveDate {
    let today = domain::clock::today();
    let months = (today.year() - 2023) * 12 + today.month() as i32; // Jan 2023 … this month
    let m = rng.range(0, i64::from(months.max(1))) as i32;
    d(2023 + m / 12, (m % 12) as u32 + 1, 1)
}

/// A service-model history 2020–2022 in which coverage rises the way the
/// report describes: many old compounds start without service and are taken
/// over by party-led, cooperative or state-owned backstop companies; after
/// 2022 most of those still left are taken over month by month up to now.
pub fn history(rng: &mut Rng, later: &mut Rng, is_old: bool) -> Vec<(ServiceModel, NaiveDate)> {
    use ServiceModel::*;
    let start = d(2020, 1, 1);
    let first = if !is_old && rng.chance(85) {
        Professional
    } else if rng.chance(35) {
        SelfManaged
    } else {
        None
    };
    let mut h = vec![(first, start)];
    if first == Professional {
        return h;
    }
    // Most uncovered or self-managed compounds are brought under service by 2022.
    if rng.chance(85) {
        let year = *rng.pick(&[2020, 2021, 2021, 2022, 2022]);
        let when = d(year, rng.range(3, 11) as u32, 1);
        let next = *rng.pick(&[PartyLed, PartyLed, Cooperative, SoeBackstop, Professional]);
        h.push((next, when));
    } else if later.chance(70) {
        let next = *later.pick(&[PartyLed, Cooperative, SoeBackstop, Professional]);
        h.push((next, later_date(later)));
    }
    h
}

/// FNV-1a: a stable spread of names over places (the seeded generator's
/// sequence is left as it was, so the rest of the demo does not move).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A compound's point: its community somewhere in Dezhou (37.2–37.7 N,
/// 116.0–116.7 E), the compound within about 400 m of the community's centre.
pub fn place(region: &RegionCode, name: &str) -> domain::GeoPoint {
    let c = fnv(&region.as_str()[..12.min(region.as_str().len())]);
    let n = fnv(name);
    let lat = 37.2 + (c % 50_000) as f64 / 100_000.0 + ((n % 7_000) as f64 - 3_500.0) / 1_000_000.0;
    let lng = 116.0 + (c / 50_000 % 70_000) as f64 / 100_000.0 + ((n / 7_000 % 9_000) as f64 - 4_500.0) / 1_000_000.0;
    domain::GeoPoint::from_degrees(lat, lng)
}

pub fn plan_compound(rng: &mut Rng, region: &RegionCode, name: String) -> Planned {
    let year = rng.range(1985, 2021) as i32;
    let is_old = year < 2000;
    let nb = rng.range(3, if is_old { 6 } else { 10 }) as usize;
    let mut buildings = Vec::with_capacity(nb);
    let mut households = 0;
    let mut area = 0;
    for _ in 0..nb {
        let floors = if is_old { rng.range(5, 7) } else { rng.range(6, 18) } as i32;
        let entrances = rng.range(1, 3) as i32;
        let per_floor = 2;
        let unit_area = Area::from_centi(rng.range(55, 140) * 100 + rng.range(0, 99));
        households += floors * entrances * per_floor;
        area += unit_area.centi() * i64::from(floors * entrances * per_floor);
        buildings.push((floors, entrances, per_floor, unit_area));
    }
    let road = rng.pick(ROADS);
    let location = Some(place(region, &name));
    let draft = CompoundDraft {
        region: region.clone(),
        address: format!("{road}{}号", rng.range(1, 399)),
        name,
        year_built: Some(year),
        is_old: Some(is_old),
        households: Some(households),
        // Total floor area includes common parts: about 1.2 × exclusive area.
        floor_area: Some(Area::from_centi(area * 6 / 5)),
        location,
    };
    let history = history(rng, &mut later_rng(&draft.name), is_old);
    Planned { draft, history, buildings }
}

/// Load Dezhou's divisions and the synthetic registry into `db` (which should be empty).
pub async fn build(db: &Db, quiet: bool) -> anyhow::Result<DemoStats> {
    let actor = Actor::system("demo");
    import_divisions(db, &actor, &Source::Embedded(DEZHOU), None, quiet).await?;
    let stats = registry(db, &RegionCode::parse("3714")?, &Options { units: true, ..Default::default() }).await?;
    serve_fenghua(db, &actor).await?;
    db.refresh_statistics().await?;
    Ok(stats)
}

/// What `registry` makes besides compounds and their service-model history.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Buildings, entrances and units (the demo), or none (benchmarks of the figures).
    pub units: bool,
    /// Company ids per county code: add company, committee and party-branch facts.
    pub companies: Option<std::collections::HashMap<String, Vec<i64>>>,
    /// Compounds per urban community (0: `PER_COMMUNITY`); the scaling simulation asks for more.
    pub per_community: usize,
}

/// The synthetic registry of every urban community under `within`.
pub async fn registry(db: &Db, within: &RegionCode, opts: &Options) -> anyhow::Result<DemoStats> {
    let communities = urban_communities(db, within).await?;
    let mut rng = Rng::new(3714);
    let mut w = Writer::new(db, Actor::system("demo")).await?;
    let mut stats = DemoStats::default();
    for (code, path) in &communities {
        let mut names = std::collections::HashSet::new();
        let mut wanted: Vec<String> =
            NAMED.iter().filter(|(_, at)| *at == code.as_str()).map(|(n, _)| n.to_string()).collect();
        let per = if opts.per_community == 0 { PER_COMMUNITY } else { opts.per_community.min(250) };
        while wanted.len() < per {
            let n = format!("{}{}", rng.pick(FIRST), rng.pick(LAST));
            if !wanted.contains(&n) {
                wanted.push(n);
            }
        }
        for name in wanted {
            if !names.insert(name.clone()) {
                continue;
            }
            let p = plan_compound(&mut rng, code, name);
            let id = w.compound(&p.draft, path).await?;
            for (i, (model, from)) in p.history.iter().enumerate() {
                let to = p.history.get(i + 1).map(|(_, t)| *t);
                w.fact(id, FactKind::ServiceModel, Some(model.as_str()), None, *from, to).await?;
            }
            if let Some(companies) = &opts.companies {
                // Dated facts for the figures, without organisations behind them (benchmarks).
                let county = &code.as_str()[..6];
                if let (Some(ids), Some((_, from))) =
                    (companies.get(county), p.history.iter().find(|(m, _)| m.is_professional()))
                {
                    let cid = ids[rng.range(0, ids.len() as i64 - 1) as usize];
                    w.fact(id, FactKind::Company, None, Some(cid), *from, None).await?;
                }
                for kind in [FactKind::OwnersCommittee, FactKind::PartyBranch] {
                    let year = *rng.pick(&[2019, 2020, 2021, 2021, 2022, 0, 0]);
                    if year > 0 {
                        w.fact(id, kind, None, None, d(year, rng.range(1, 12) as u32, 1), None).await?;
                    }
                }
            }
            if !opts.units {
                stats.compounds += 1;
                continue;
            }
            for (bi, (floors, entrances, per_floor, area)) in p.buildings.iter().enumerate() {
                let bid = w.building(id, &format!("{}号楼", bi + 1), *floors).await?;
                for e in 1..=*entrances {
                    let eid = w.entrance(bid, &format!("{e}单元")).await?;
                    for f in 1..=*floors {
                        for u in 1..=*per_floor {
                            w.unit(eid, &format!("{f}{u:02}"), f, *area).await?;
                            stats.units += 1;
                        }
                    }
                }
                stats.buildings += 1;
            }
            stats.compounds += 1;
        }
    }
    w.record("bulk_load", "compound", 0, 0, serde_json::json!({"compounds": stats.compounds, "units": stats.units}));
    w.finish().await?;
    stats.communities = communities.len();
    Ok(stats)
}

#[derive(Debug, Default, Clone, Copy)]
pub struct DemoStats {
    pub communities: usize,
    pub compounds: usize,
    pub buildings: usize,
    pub units: usize,
}

/// Urban communities (社区, not villages) under `within`, with their paths.
async fn urban_communities(db: &Db, within: &RegionCode) -> anyhow::Result<Vec<(RegionCode, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![within.clone()];
    while let Some(code) = stack.pop() {
        for child in db::regions::kids(db, Some(&code)).await? {
            let c = RegionCode::parse(&child.code)?;
            if c.level() == domain::Level::Community {
                if child.name.contains("社区") {
                    out.push((c, child.path.clone()));
                }
            } else {
                stack.push(c);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The community of 丰华小区 (德城区 新湖街道 丰华社区).
pub const FENGHUA_COMMUNITY: &str = "371402001009";
pub const FENGHUA_COMPANY: &str = "德州丰华物业服务有限公司";
/// Synthetic, but with a valid GB 32100 check character.
pub const FENGHUA_CREDIT_CODE: &str = "91371402MA3C0FH219";
/// The password of every demo account (a demo, not a deployment).
pub const PASSWORD: &str = "gongzhi-demo-2022";

/// A property company serving the company-served compounds of 丰华社区,
/// 丰华小区 among them, from the day their current model began.
async fn serve_fenghua(db: &Db, actor: &Actor) -> anyhow::Result<i64> {
    let district = RegionCode::parse("371402")?;
    let tx = db.begin_write().await?;
    let (company, _) = db::structure::upsert_org_in(
        &*tx,
        actor,
        &db::structure::NewOrg {
            credit_code: Some(FENGHUA_CREDIT_CODE.into()),
            party_coverage: Some(domain::org::PartyCoverage::OwnBranch),
            ..db::structure::NewOrg::new(
                domain::org::OrgKind::Company,
                FENGHUA_COMPANY,
                district.as_str(),
                district.path().as_str(),
            )
        },
    )
    .await?;
    tx.commit().await?;
    let community = RegionCode::parse(FENGHUA_COMMUNITY)?;
    let f = db::compounds::Filter {
        within: Some(community.path()),
        visible: db::compounds::Visible { all: true, ..Default::default() },
        name: None,
        include_retired: false,
        ..Default::default()
    };
    let (compounds, _) = db::compounds::list(db, &f, Paging::new(None, Some(200))).await?;
    for c in compounds {
        let served =
            c.service_model.as_deref().map(ServiceModel::parse).transpose()?.is_some_and(|m| m.is_professional());
        if !served && c.name != "丰华小区" {
            continue;
        }
        let facts = db::compounds::facts(db, c.id).await?;
        let since = facts
            .iter()
            .find(|f| f.kind == FactKind::ServiceModel && f.valid_to.is_none())
            .map(|f| f.valid_from)
            .unwrap_or(d(2020, 1, 1));
        db::compounds::set_fact(db, actor, c.id, FactKind::Company, None, Some(company), since).await?;
    }
    Ok(company)
}

/// One demo account per role, in believable scopes around 丰华小区.
/// Returns (login, what it is) for printing.
pub async fn users(db: &Db) -> anyhow::Result<Vec<(String, String)>> {
    let actor = Actor::system("demo");
    let fenghua = fenghua(db).await?;
    let company = company_id(db).await?;
    let unit = db::compounds::units(db, db::compounds::buildings(db, fenghua).await?[0].id).await?[0].id;
    let hash = web::auth::hash_password_now(PASSWORD);
    let accounts: Vec<(&str, &str, Role, Scope, &str)> = vec![
        ("admin", "系统管理员", Role::Admin, Scope::All, "admin — everything"),
        (
            "dezhou",
            "德州市住建局监管员",
            Role::Supervisor,
            Scope::Region(RegionCode::parse("3714")?),
            "supervisor — 德州市 (3714)",
        ),
        (
            "xinhu",
            "新湖街道干部",
            Role::Officer,
            Scope::Region(RegionCode::parse("371402001")?),
            "officer — 德城区 新湖街道",
        ),
        (
            "fenghua_sq",
            "丰华社区网格员",
            Role::Worker,
            Scope::Region(RegionCode::parse(FENGHUA_COMMUNITY)?),
            "worker — 新湖街道 丰华社区",
        ),
        (
            "fenghua_wy",
            "丰华物业",
            Role::Company,
            Scope::Company(company),
            "company — 德州丰华物业服务有限公司 (serves 丰华小区)",
        ),
        ("fenghua_ywh", "丰华小区业委会", Role::Committee, Scope::Compound(fenghua), "committee — 丰华小区"),
        ("fenghua_101", "丰华小区住户", Role::Resident, Scope::Unit(unit), "resident — 丰华小区 1号楼 1单元 101"),
    ];
    let mut out = Vec::new();
    for (login, name, role, scope, what) in accounts {
        let grant = Grant::new(role, scope)?;
        db::accounts::create_user(db, &actor, login, name, &hash, None, &[grant]).await?;
        out.push((login.to_owned(), what.to_owned()));
    }
    Ok(out)
}

pub async fn fenghua(db: &Db) -> anyhow::Result<i64> {
    let f = db::compounds::Filter {
        within: Some(RegionCode::parse(FENGHUA_COMMUNITY)?.path()),
        visible: db::compounds::Visible { all: true, ..Default::default() },
        name: Some("丰华小区".into()),
        include_retired: false,
        ..Default::default()
    };
    let (rows, _) = db::compounds::list(db, &f, Paging::new(None, None)).await?;
    rows.first().map(|c| c.id).ok_or_else(|| anyhow::anyhow!("丰华小区 is missing"))
}

/// 德州丰华物业服务有限公司's id (the demo company's).
pub async fn fenghua_company(db: &Db) -> anyhow::Result<i64> {
    company_id(db).await
}

async fn company_id(db: &Db) -> anyhow::Result<i64> {
    Ok(db::structure::org_by_name(db, "company", FENGHUA_COMPANY)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{FENGHUA_COMPANY} is missing"))?
        .id)
}

/// A community's party committee named as people say it: 丰华社区居委会 →
/// 丰华社区党委, 李庄村民委员会 → 李庄村党委.
fn party_committee(community: &str) -> String {
    let base = community
        .strip_suffix("居民委员会")
        .or_else(|| community.strip_suffix("居委会"))
        .map(str::to_owned)
        .or_else(|| {
            community.strip_suffix("村民委员会").or_else(|| community.strip_suffix("村委会")).map(|v| format!("{v}村"))
        })
        .unwrap_or_else(|| community.to_owned());
    format!("{base}党委")
}

/// The sponsor unit (包保单位) helping found compound branches in the demo.
const SPONSOR: &str = "德州市住房和城乡建设局";

/// The governance structure of the demo compounds under `within` (the whole
/// city by default): property companies, owners' committees, compound party
/// branches, red stations, people and posts, and their dated history. Made as
/// a registry workbook and loaded through the importer, so the demo walks the
/// path officials use. Coverage rises from 2020 to 2022 as the report tells.
pub async fn structure(db: &Db, within: &RegionCode, quiet: bool) -> anyhow::Result<import::Report> {
    use import::{RawSheet, Workbook};
    let f = db::compounds::Filter {
        within: Some(within.path()),
        visible: db::compounds::Visible { all: true, ..Default::default() },
        name: None,
        include_retired: false,
        ..Default::default()
    };
    let mut compounds = Vec::new();
    let mut page = 1;
    loop {
        let (rows, total) = db::compounds::list(db, &f, Paging::new(Some(page), Some(200))).await?;
        compounds.extend(rows);
        if compounds.len() as u64 >= total {
            break;
        }
        page += 1;
    }
    let mut rng = Rng::new(2022);
    let cc = |county: &str, i: usize| -> String {
        domain::org::CreditCode::complete(&format!("91{county}MA{i:06}1")).map(|c| c.to_string()).unwrap_or_default()
    };
    let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let (mut companies, mut committees, mut party, mut other, mut people, mut posts, mut history) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut company_codes: std::collections::HashMap<String, Vec<String>> = Default::default();
    // Most companies have their own or a joint branch by 2022, a few only an instructor.
    let coverages =
        ["own_branch", "own_branch", "joint_branch", "joint_branch", "joint_branch", "own_branch", "instructor_only"];
    let mut person_no = 0usize;
    // For the party chain and the relations drawn after the loop (without
    // touching the loop's own draws, so the figures stay as the report tells):
    // each branch (community, compound, branch, since, first building) and
    // each committee (community, name, since).
    let mut branches: Vec<(String, String, String, String, Option<String>)> = Vec::new();
    let mut formed: Vec<(String, String, String, String)> = Vec::new();
    let mut own_station: std::collections::HashSet<i64> = Default::default();
    // Each compound's branch secretary (phone), to sit on the next committee too.
    let mut secretaries: std::collections::HashMap<String, String> = Default::default();
    // Communities by name (a compound in a grid names its grid, not its community).
    let mut communities: Vec<(String, String)> = Vec::new();
    for code in compounds.iter().map(|c| c.community_code.clone()).collect::<std::collections::BTreeSet<_>>() {
        let name = db::regions::get(db, &RegionCode::parse(&code)?).await?.map(|r| r.name).unwrap_or_default();
        communities.push((code, name));
    }
    let name_of = |code: &str| communities.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone()).unwrap_or_default();
    for c in &compounds {
        let county = &c.community_code[..6];
        // Four companies per county, 丰华物业 among them in 德城区.
        let codes = company_codes.entry(county.to_owned()).or_insert_with(|| {
            (0..4)
                .map(|i| {
                    let code = cc(county, i);
                    companies.push(row(&[
                        &code,
                        &format!("德州{county}第{}物业服务有限公司", i + 1),
                        county,
                        coverages[(i * 3 + county.len()) % coverages.len()],
                    ]));
                    code
                })
                .collect()
        });
        let facts = db::compounds::facts(db, c.id).await?;
        // A company from the day a company-served model began.
        let served_since = facts
            .iter()
            .filter(|f| {
                f.kind == FactKind::ServiceModel
                    && f.value.as_deref().map(ServiceModel::parse).is_some_and(|m| m.is_ok_and(|m| m.is_professional()))
            })
            .map(|f| f.valid_from)
            .min();
        let has_company = facts.iter().any(|f| f.kind == FactKind::Company);
        // Draw the company whether or not it is used, so the same program makes
        // the same workbook whatever is already stored.
        let code = rng.pick(codes).clone();
        if let (Some(since), false) = (served_since, has_company) {
            history.push(row(&[&c.community_code, &c.name, "company", &code, &since.to_string()]));
        }
        let mut pick_person = |rng: &mut Rng, servant: u64, party_member: bool| {
            person_no += 1;
            let phone = format!("13{:09}", 500_000_000 + person_no);
            let surname = rng.pick(&["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马"]);
            let given =
                rng.pick(&["建国", "秀英", "志强", "桂兰", "海燕", "明", "静", "磊", "洪涛", "丽华", "春梅", "德胜"]);
            let servant = if rng.chance(servant) { "是" } else { "否" };
            people.push(row(&[
                &phone,
                &format!("{surname}{given}"),
                if party_member { "是" } else { "否" },
                servant,
                "",
                &c.community_code,
            ]));
            phone
        };
        // Party branch: about half in 2020, most by the end of 2022.
        let branch = format!("{}党支部", c.name);
        let branch_year = *rng.pick(&[2019, 2020, 2020, 2021, 2021, 2022, 2022, 0]);
        let month = rng.range(1, 12) as u32;
        // After the plan's years, most compounds still without a branch get one, month by month.
        let mut later = later_rng(&c.name);
        let branch_from = match branch_year {
            0 if later.chance(60) => Some(later_date(&mut later)),
            0 => None,
            y => Some(d(y, month, 1)),
        };
        let secretary = if let Some(from) = branch_from {
            let parent = party_committee(&name_of(&c.community_code));
            party.push(row(&[&c.community_code, &branch, "compound_branch", &c.name, "", &parent, ""]));
            let from = from.to_string();
            let first = db::compounds::buildings(db, c.id).await?.first().map(|b| b.name.clone());
            branches.push((c.community_code.clone(), c.name.clone(), branch.clone(), from.clone(), first));
            history.push(row(&[&c.community_code, &c.name, "party_branch", &branch, &from]));
            let p = pick_person(&mut rng, 70, true);
            posts.push(row(&[&p, "secretary", "party_org", &branch, &c.community_code, "", "", &from]));
            secretaries.insert(format!("{}/{}", c.community_code, c.name), p.clone());
            Some((p, from))
        } else {
            None
        };
        // Owners' committee: about 40 % in 2020, about 65 % by the end of 2022.
        let committee_year = *rng.pick(&[2018, 2019, 2020, 2021, 2021, 2022, 0, 0, 0]);
        let committee_start = match committee_year {
            0 if later.chance(45) => Some(later_date(&mut later)),
            0 => None,
            y => Some(d(y, rng.range(1, 12) as u32, 1)),
        };
        if let Some(start) = committee_start {
            let name = format!("{}业主委员会", c.name);
            // A five-year term (业主委员会任期不超过五年); one that has ended shows as 届满.
            let end = d(start.year() + 5, 1, 1);
            committees.push(row(&[
                &c.community_code,
                &c.name,
                &name,
                &start.to_string(),
                &end.to_string(),
                "in_office",
                "否",
            ]));
            history.push(row(&[&c.community_code, &c.name, "owners_committee", &name, &start.to_string()]));
            formed.push((c.community_code.clone(), c.name.clone(), name.clone(), start.to_string()));
            let member = rng.chance(50);
            let chair = pick_person(&mut rng, 40, member);
            // A party group set up inside most committees (业委会党组织覆盖).
            if rng.chance(72) {
                party.push(row(&[&c.community_code, &format!("{name}党小组"), "committee_branch", "", &name, "", ""]));
            }
            posts.push(row(&[
                &chair,
                "chair",
                "owners_committee",
                &name,
                &c.community_code,
                "",
                "",
                &start.to_string(),
            ]));
            // 交叉任职: the branch secretary also sits on the committee in most compounds.
            if let Some((sec, from)) = &secretary
                && rng.chance(70)
            {
                let since = std::cmp::max(start.to_string(), from.clone());
                posts.push(row(&[sec, "member", "owners_committee", &name, &c.community_code, "", "", &since]));
            }
        }
        // Building heads for the first two buildings.
        for b in db::compounds::buildings(db, c.id).await?.iter().take(2) {
            let member = rng.chance(40);
            let head = pick_person(&mut rng, 60, member);
            posts.push(row(&[&head, "building_head", "", "", &c.community_code, &c.name, &b.name, "2021-01-01"]));
        }
        if rng.chance(30) {
            own_station.insert(c.id);
            other.push(row(&["red_station", &c.community_code, &format!("{}红色驿站", c.name), &c.name]));
            history.push(row(&[
                &c.community_code,
                &c.name,
                "red_station",
                &format!("{}红色驿站", c.name),
                &d(*rng.pick(&[2020, 2021, 2022]), 7, 1).to_string(),
            ]));
        }
    }
    // The four-level chain (street → community → compound → building), who
    // formed what, red stations serving several compounds, and the
    // communities' rosters of full-time workers (社区专职工作者).
    let mut rng = Rng::new(2026);
    let mut relations = Vec::new();
    let mut chain = Vec::new();
    let mut streets: Vec<String> = compounds.iter().map(|c| c.community_code[..9].to_owned()).collect();
    streets.sort();
    streets.dedup();
    for st in &streets {
        let name = db::regions::get(db, &RegionCode::parse(st)?).await?.map(|r| r.name).unwrap_or_default();
        // A town (镇, 乡) has a party committee of its own; a street office a working committee.
        let name = name.strip_suffix("办事处").unwrap_or(&name);
        let (title, level) = if name.ends_with('镇') || name.ends_with('乡') {
            (format!("{name}党委"), "town_committee")
        } else {
            (format!("{name}党工委"), "street_working_committee")
        };
        chain.push(row(&[st, &title, level, "", "", "", ""]));
    }
    let street_committee =
        |code: &str| chain.iter().find(|r| r[0] == code[..9]).map(|r| r[1].clone()).unwrap_or_default();
    let community_rows: Vec<Vec<String>> = communities
        .iter()
        .map(|(code, name)| {
            row(&[code, &party_committee(name), "community_committee", "", "", &street_committee(code), ""])
        })
        .collect();
    chain.extend(community_rows);
    party.splice(0..0, chain);
    for (community, compound, branch, from, first) in &branches {
        if let Some(b) = first.as_ref().filter(|_| rng.chance(50)) {
            let group = format!("{compound}{b}党小组");
            party.push(row(&[community, &group, "building_group", compound, "", branch, b]));
        }
        // The city's housing bureau, as sponsor unit, helped found a third of the branches.
        if rng.chance(33) {
            relations.push(row(&[
                "helped_found",
                "sponsor_unit",
                "3714",
                SPONSOR,
                "party_org",
                community,
                branch,
                from,
            ]));
        }
    }
    other.push(row(&["sponsor_unit", "3714", SPONSOR, ""]));
    // A committee's five-year term ends; most compounds elect the next one
    // from that day (第二届), formed again by the community's party committee.
    let today = domain::clock::today();
    let mut next_terms = Vec::new();
    for (community, compound, _, since) in &formed {
        let Ok(start) = since.parse::<NaiveDate>() else { continue };
        let end = d(start.year() + 5, 1, 1);
        if end <= today && rng.chance(85) {
            let name = format!("{compound}第二届业主委员会");
            committees.push(row(&[
                community,
                compound,
                &name,
                &end.to_string(),
                &d(end.year() + 5, 1, 1).to_string(),
                "in_office",
                "否",
            ]));
            history.push(row(&[community, compound, "owners_committee", &name, &end.to_string()]));
            if let Some(sec) = secretaries.get(&format!("{community}/{compound}")).filter(|_| rng.chance(70)) {
                posts.push(row(&[sec, "member", "owners_committee", &name, community, "", "", &end.to_string()]));
            }
            next_terms.push((community.clone(), compound.clone(), name, end.to_string()));
        }
    }
    formed.extend(next_terms);
    for (community, _, committee, since) in &formed {
        relations.push(row(&[
            "formed",
            "party_org",
            community,
            &party_committee(&name_of(community)),
            "owners_committee",
            community,
            committee,
            since,
        ]));
    }
    if communities.iter().any(|(c, _)| c == FENGHUA_COMMUNITY) {
        relations.push(row(&[
            "founded",
            "party_org",
            FENGHUA_COMMUNITY,
            &party_committee(&name_of(FENGHUA_COMMUNITY)),
            "company",
            "",
            FENGHUA_CREDIT_CODE,
            "2020-09-01",
        ]));
    }
    for (code, name) in &communities {
        // A community station serving up to three of its compounds.
        let here: Vec<&db::compounds::Compound> =
            compounds.iter().filter(|c| &c.community_code == code && !own_station.contains(&c.id)).take(3).collect();
        if !here.is_empty() && rng.chance(40) {
            let station = format!("{name}红色驿站");
            let opened = d(*rng.pick(&[2021, 2022, 2023, 2024]), rng.range(1, 12) as u32, 1).to_string();
            other.push(row(&["red_station", code, &station, ""]));
            for c in &here {
                history.push(row(&[code, &c.name, "red_station", &station, &opened]));
            }
        }
        for _ in 0..2 {
            person_no += 1;
            let phone = format!("13{:09}", 500_000_000 + person_no);
            let given = rng.pick(&["晓燕", "卫东", "玉梅", "建军", "丽娜", "国庆"]);
            people.push(row(&[&phone, &format!("社工{given}"), "是", "否", "", code]));
            posts.push(row(&[&phone, "community_worker", "", "", code, "", "", "2021-01-01"]));
        }
    }
    let sheet = RawSheet::new;
    let wb = Workbook {
        sheets: vec![
            sheet("companies", &["credit_code", "name", "region_code", "party_coverage"], companies),
            sheet(
                "owners_committees",
                &["community_code", "compound", "name", "term_start", "term_end", "status", "is_pmc"],
                committees,
            ),
            sheet(
                "party_orgs",
                &["region_code", "name", "party_level", "compound", "covers", "parent", "building"],
                party,
            ),
            sheet("other_orgs", &["kind", "region_code", "name", "compound"], other),
            sheet(
                "people",
                &["phone", "name", "is_party_member", "is_public_servant", "employer", "region_code"],
                people,
            ),
            sheet(
                "posts",
                &["phone", "role", "org_kind", "org", "region_code", "compound", "building", "start_date"],
                posts,
            ),
            sheet("compound_history", &["community_code", "compound", "kind", "value", "effective_from"], history),
            sheet(
                "relations",
                &["relation", "from_kind", "from_region", "from_org", "to_kind", "to_region", "to_org", "date"],
                relations,
            ),
        ],
    };
    let tx = db.begin_write().await?;
    let report = import::load(&*tx, &Actor::system("demo"), &wb, &import::Reach::All, |sheet, done, total| {
        if !quiet && done == total {
            eprintln!("  {sheet}: {total} rows");
        }
    })
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// This week's reports through Open311 at 丰华小区 and its neighbours, as a
/// resident's phone app files them (a point, sometimes a picture's link), so
/// that the public view (`/open311/v2/requests.json` without a key) has
/// something to show: the story's problems are from before the form said a
/// description may be public, and stay out of it.
pub async fn open311_this_week(db: &Db, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<usize> {
    let Some(resident) = db::accounts::user_by_login(db, "fenghua_101").await? else { return Ok(0) };
    let actor = Actor { id: Some(resident.id), login: resident.login.clone() };
    let fenghua = db::compounds::get(db, fenghua(db).await?).await?;
    let Some(at) = fenghua.location() else { return Ok(0) };
    let categories = db::problems::categories(db).await?;
    // Category, what the resident wrote, where, hours ago, the phone's offset from the compound's point, a picture.
    type Report<'a> = (&'a str, &'a str, &'a str, i64, f64, f64, Option<&'a str>);
    let reports: [Report; 5] = [
        ("repair", "3号楼2单元楼道灯不亮，晚上回家看不见台阶", "3号楼2单元", 3, 0.00012, -0.00008, None),
        (
            "greening",
            "小区北门绿化带杂草很高，有蚊虫",
            "北门",
            20,
            -0.00030,
            0.00021,
            Some("https://img.example.cn/fenghua/north-gate.jpg"),
        ),
        ("utilities", "1号楼停水两天了，物业电话 138-0534-1234 打不通", "1号楼", 30, 0.0, 0.0, None),
        ("repair", "地下车库入口的道闸坏了，车辆随意进出", "地下车库", 50, 0.00041, 0.00035, None),
        ("parking", "消防通道被私家车长期占用，救护车进不来", "5号楼旁", 70, -0.00015, -0.00027, None),
    ];
    let mut n = 0;
    for (code, text, place, hours_ago, dlat, dlng, media) in reports {
        let Some(category) = categories.iter().find(|c| c.code == code && c.active) else { continue };
        let when = now - chrono::Duration::hours(hours_ago);
        let report = db::problems::NewReport::new(&actor, &fenghua, category, text, place, when)?;
        let w = db::problems::create(db, &report).await?;
        let point = domain::GeoPoint::from_degrees(at.lat() + dlat, at.lng() + dlng);
        let extra = db::problems::Extra { point: Some(point), media_url: media.map(str::to_owned) };
        db::problems::put_extra(db, w.problem.id, &extra).await?;
        n += 1;
    }
    Ok(n)
}
