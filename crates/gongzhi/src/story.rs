//! The demo's three years (2020–2022) of the report's story, on top of the
//! registry `demo::build` and `demo::structure` make: residents' problems
//! (about 13,000 solved), quarterly on-site supervision of every compound a
//! company serves, three rounds of campaigns, 169 rectification notices
//! issued from what the inspections found, with the states and dates they
//! would have, and every company graded each quarter under the four colours
//! and published — most green or blue, some yellow, a few red with a talk
//! (约谈). Everything goes through the same storage as live use, and the
//! grades are computed from those records by the grading itself.
//!
//! Each company has a hidden standard of service (0 excellent … 4 very
//! poor) that sets how often it is late, leaves residents unsatisfied and
//! is found wanting on site; the records follow from it, and the grades
//! follow from the records.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use db::Db;
use db::backfill::{Backfill, PastInspection, PastProblem};
use db::oversight::{NewCampaign, NewEntry, NewItem, NewNotice, NewTalk, ServiceSpan};
use domain::RegionCode;
use domain::audit::Actor;
use domain::problem::{Rating, State};
use domain::rectify::{InspectionKind, NoticeBy, NoticeStep};

use crate::demo::Rng;

/// What the story made.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoryStats {
    pub problems: u64,
    pub inspections: u64,
    pub notices: usize,
    pub publications: usize,
    pub talks: usize,
}

/// The three rounds of the report (开展3轮物业领域突出问题整治) and how many notices each issued.
/// A day as (year, month, day).
type Ymd = (i32, u32, u32);

const ROUNDS: [(&str, Ymd, Ymd, usize); 3] = [
    ("第一轮物业领域突出问题专项整治", (2020, 5, 1), (2020, 8, 31), 60),
    ("第二轮物业领域突出问题专项整治", (2021, 4, 1), (2021, 7, 31), 55),
    ("第三轮物业领域突出问题专项整治", (2022, 3, 1), (2022, 6, 30), 54),
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real day")
}

/// A moment on `d` in China, `h` hours after midnight.
fn at(d: NaiveDate, h: i64) -> DateTime<Utc> {
    domain::clock::start_of(d) + Duration::hours(h)
}

/// Per standard (0 excellent … 4 very poor), in per mille: a problem
/// resolved late, a resident not satisfied, a checklist line found wanting.
const LATE: [u64; 6] = [15, 40, 90, 220, 420, 600];
const UNSATISFIED: [u64; 6] = [15, 30, 60, 120, 220, 300];
const FINDING: [u64; 6] = [20, 80, 300, 420, 600, 950];

/// A company's standard in a year: the worst improve a step a year after
/// the city takes them in hand (the report's story), never past average.
fn standard_in(base: usize, year: i32) -> usize {
    if base >= 4 { base.saturating_sub((year - 2020) as usize).max(2) } else { base }
}

fn permille(rng: &mut Rng, p: u64) -> bool {
    rng.next_u64() % 1000 < p
}

const DESCRIPTIONS: &[(&str, &[&str])] = &[
    ("environment", &["楼道垃圾堆放多日无人清运", "垃圾桶满溢异味大", "单元门口污水横流"]),
    ("repair", &["楼道感应灯不亮", "单元门禁损坏", "屋顶漏水", "电梯按钮失灵"]),
    ("parking", &["消防通道被车辆占用", "地面停车位划线不清", "外来车辆随意进出"]),
    ("greening", &["绿化带杂草丛生", "树木枝杈遮挡窗户"]),
    ("security", &["小区大门无人值守", "监控摄像头损坏"]),
    ("utilities", &["停水未提前通知", "暖气不热", "二次供水水箱未清洗"]),
    ("complaint", &["物业服务人员态度差", "物业费收支未公开"]),
    ("roads", &["小区道路坑洼积水", "井盖松动"]),
];

const FINDINGS: [&str; 8] = [
    "楼道杂物堆放、卫生死角未清理",
    "绿化带缺株断垄、枯枝未修剪",
    "门岗登记缺失、巡逻记录不全",
    "电梯年检标志过期、单元门禁损坏",
    "消防通道被占、灭火器压力不足",
    "小区党群服务站未正常开放",
    "收费标准和服务内容未公示",
    "诉求台账不全、回访不及时",
];

/// Make the story in `db` (the demo's, with its registry and structure).
pub async fn build(db: &Db, quiet: bool) -> anyhow::Result<StoryStats> {
    let city = RegionCode::parse("3714")?;
    let actor = Actor::system("demo");
    let mut rng = Rng::new(2020);
    let spans = db::oversight::service_spans(db, &city.path()).await?;
    // Each company's standard of service; 丰华物业 (the demo's own) is good.
    let fenghua = crate::demo::fenghua_company(db).await?;
    let mut standard: HashMap<i64, usize> = HashMap::new();
    let mut companies: Vec<i64> = spans.iter().map(|s| s.company_id).collect();
    companies.sort_unstable();
    companies.dedup();
    for c in &companies {
        let draw = rng.range(0, 99);
        let s = match draw {
            0..=29 => 0,
            30..=64 => 1,
            65..=84 => 2,
            85..=93 => 3,
            94..=97 => 4,
            _ => 5,
        };
        standard.insert(*c, if *c == fenghua { 1 } else { s });
    }
    // At least one company fails outright at first (the report's few red ones).
    if !standard.values().any(|s| *s == 5)
        && let Some(c) = companies.iter().rev().find(|c| standard[*c] >= 3)
    {
        standard.insert(*c, 5);
    }
    let categories = db::problems::categories(db).await?;
    let hours: HashMap<&str, (i64, i64)> =
        categories.iter().map(|c| (c.code.as_str(), (c.accept_hours, c.resolve_hours))).collect();

    // The city chose the four colours from the start of the plan.
    db::oversight::set_scheme(
        db,
        &actor,
        Some(&city),
        day(2020, 1, 1),
        &domain::grading::four_colour(),
        at(day(2020, 1, 6), 10),
    )
    .await?;
    let mut campaigns = Vec::new();
    for (name, s, e, _) in ROUNDS {
        let c = NewCampaign {
            region: city.clone(),
            name: name.into(),
            starts_on: day(s.0, s.1, s.2),
            ends_on: day(e.0, e.1, e.2),
            checklist: None,
            note: "市住建局牵头，各县市区、街道组织实施".into(),
        };
        campaigns.push(db::oversight::create_campaign(db, &actor, &c, at(c.starts_on, 9)).await?);
    }

    // Problems and quarterly inspections, quarter by quarter.
    if !quiet {
        eprintln!("  problems and quarterly inspections, 2020–2022…");
    }
    let checklist = domain::rectify::default_checklist();
    let mut back = Backfill::new(db, actor.clone()).await?;
    // (inspection, compound, company, region code, visited, [(line id, label, finding)])
    type Found = (i64, i64, i64, String, String, NaiveDate, Vec<(i64, String)>);
    let mut found: Vec<Found> = Vec::new();
    for q in 0..12u32 {
        let year = 2020 + (q / 4) as i32;
        let start = day(year, (q % 4) * 3 + 1, 1);
        let end = start.checked_add_months(chrono::Months::new(3)).expect("a later day");
        let days = (end - start).num_days();
        for s in spans.iter().filter(|s| s.valid_from < end && s.valid_to.is_none_or(|t| t > start)) {
            let std = standard_in(standard.get(&s.company_id).copied().unwrap_or(2), year);
            // Reports rise as residents learn to use the channel: about 0.4 a
            // compound a quarter in 2020, 0.6 by 2022.
            let rate = 50 + 2 * q as u64;
            let mut n = 0;
            while rng.next_u64() % 100 < rate.saturating_sub(n * 45) {
                n += 1;
                let (code, texts) = rng.pick(DESCRIPTIONS);
                let (acc, res) = hours.get(code).copied().unwrap_or((24, 168));
                let submitted = at(start + Duration::days(rng.range(0, days - 1)), rng.range(7, 21));
                if s.valid_from > domain::clock::china_date(submitted)
                    || s.valid_to.is_some_and(|t| t <= domain::clock::china_date(submitted))
                {
                    continue;
                }
                let text = rng.pick(texts).to_string();
                back.problem(&past_problem(&mut rng, s, std, code, text, submitted, acc, res)).await?;
            }
            // The quarter's on-site supervision, in its middle two months.
            let visited = start + Duration::days(rng.range(20, days - 10));
            if s.valid_from > visited || s.valid_to.is_some_and(|t| t <= visited) {
                continue;
            }
            let campaign = campaigns.iter().find(|c| c.starts_on <= visited && visited <= c.ends_on);
            let lines: Vec<(String, i64, i64, String)> = checklist
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if permille(&mut rng, FINDING[std]) {
                        // The worse the company, the more a finding costs on the checklist.
                        let off = rng.range(1, (c.max * (std as i64 + 2) / 8).max(1));
                        (c.label.clone(), c.max, (c.max - off).max(0), FINDINGS[i].to_owned())
                    } else {
                        (c.label.clone(), c.max, c.max, String::new())
                    }
                })
                .collect();
            let street = &s.region_code[..9.min(s.region_code.len())];
            let (id, ids) = back
                .inspection(&PastInspection {
                    compound_id: s.compound_id,
                    region_path: s.region_path.clone(),
                    company_id: Some(s.company_id),
                    campaign_id: campaign.map(|c| c.id),
                    follows_id: None,
                    kind: if campaign.is_some() { InspectionKind::Campaign } else { InspectionKind::Quarterly },
                    visited_on: visited,
                    inspector: format!("督导组-{street}"),
                    lines: lines.clone(),
                })
                .await?;
            let findings: Vec<(i64, String)> = ids
                .into_iter()
                .zip(&lines)
                .filter(|(_, l)| l.2 < l.1)
                .map(|(id, l)| (id, format!("{}：{}", l.0, l.3)))
                .collect();
            if campaign.is_some() && findings.len() >= 3 {
                found.push((
                    id,
                    s.compound_id,
                    s.company_id,
                    street.to_owned(),
                    s.region_path.clone(),
                    visited,
                    findings,
                ));
            }
        }
    }
    let (problems, inspections) = back.finish().await?;
    // PostgreSQL plans the grading's queries over these tables: fresh statistics first.
    db.refresh_statistics().await?;

    // 169 notices: in each round, to the compounds found most wanting.
    if !quiet {
        eprintln!("  169 rectification notices through their states…");
    }
    let mut notices = 0usize;
    let mut open_left: Vec<(i64, i64, NaiveDate)> = Vec::new();
    let mut follow: Vec<(i64, &ServiceSpan, NaiveDate)> = Vec::new();
    for (round, c) in campaigns.iter().enumerate() {
        let mut pool: Vec<&Found> = found.iter().filter(|f| c.starts_on <= f.5 && f.5 <= c.ends_on).collect();
        pool.sort_by_key(|f| (std::cmp::Reverse(f.6.len()), f.0));
        for f in pool.into_iter().take(ROUNDS[round].3) {
            let (inspection, compound, company, street, path, visited, items) = f;
            let issued_on = *visited + Duration::days(1);
            let deadline = issued_on + Duration::days(15);
            let n = NewNotice {
                region: RegionCode::parse(street)?,
                company_id: *company,
                compounds: vec![(*compound, path.clone())],
                campaign_id: Some(c.id),
                inspection_id: Some(*inspection),
                requirement: "对照问题清单逐项整改，整改前后照片存档，按期书面报告整改情况".into(),
                issued_on,
                deadline,
                items: items
                    .iter()
                    .map(|(id, text)| NewItem { text: text.clone(), problem_id: None, finding_id: Some(*id) })
                    .collect(),
            };
            let officer = Actor { id: None, login: format!("督导组-{street}") };
            // The company's steps read as its name on the timeline.
            let firm = Actor { id: None, login: db::structure::org(db, *company).await?.name };
            let notice = db::oversight::issue(db, &officer, &n, at(issued_on, 10)).await?;
            notices += 1;
            let std = standard_in(standard.get(company).copied().unwrap_or(2), issued_on.year()).min(4);
            let id = notice.id;
            db::oversight::step(
                db,
                &firm,
                id,
                NoticeStep::Receive,
                NoticeBy::Company,
                "",
                at(issued_on + Duration::days(1), 9),
            )
            .await?;
            // The last round leaves a few of the worst still owed: overdue, escalated.
            if round == 2 && std >= 3 && open_left.len() < 4 {
                open_left.push((id, *company, deadline));
                continue;
            }
            let late = permille(&mut rng, [30, 60, 120, 450, 700][std]);
            let mut answered = if late {
                deadline + Duration::days(rng.range(2, 20))
            } else {
                issued_on + Duration::days(rng.range(4, 14))
            };
            let say = "已按清单逐项整改完毕，附整改前后照片";
            db::oversight::step(db, &firm, id, NoticeStep::Answer, NoticeBy::Company, say, at(answered, 16)).await?;
            if permille(&mut rng, [80, 120, 200, 350, 500][std]) {
                let back_on = answered + Duration::days(2);
                db::oversight::step(
                    db,
                    &officer,
                    id,
                    NoticeStep::Return,
                    NoticeBy::Issuer,
                    "复查发现整改不彻底，请重新整改",
                    at(back_on, 11),
                )
                .await?;
                answered = back_on + Duration::days(rng.range(2, 6));
                db::oversight::step(db, &firm, id, NoticeStep::Answer, NoticeBy::Company, say, at(answered, 16))
                    .await?;
            }
            let verified = answered + Duration::days(rng.range(1, 4));
            if rng.chance(30) {
                // Verified item by item (逐项销号): the last closes the notice.
                for (k, it) in db::oversight::items(db, id).await?.iter().enumerate() {
                    db::oversight::close_item(db, &officer, id, it.id, at(verified, 9 + k as i64)).await?;
                }
            } else {
                db::oversight::step(
                    db,
                    &officer,
                    id,
                    NoticeStep::Close,
                    NoticeBy::Issuer,
                    "经复查，整改到位，予以销号",
                    at(verified, 15),
                )
                .await?;
            }
            // The third round's notices are re-inspected a month on (回头看).
            if round == 2
                && let Some(s) = spans.iter().find(|s| s.compound_id == *compound && s.company_id == *company)
            {
                follow.push((*inspection, s, verified + Duration::days(30)));
            }
        }
    }
    let mut back = Backfill::new(db, actor.clone()).await?;
    let mut follow_ups = 0u64;
    for (first, s, on) in &follow {
        let std = standard_in(standard.get(&s.company_id).copied().unwrap_or(2), 2022);
        let lines = checklist
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if permille(&mut rng, FINDING[std] / 3) {
                    (c.label.clone(), c.max, c.max - 1, FINDINGS[i].to_owned())
                } else {
                    (c.label.clone(), c.max, c.max, String::new())
                }
            })
            .collect();
        back.inspection(&PastInspection {
            compound_id: s.compound_id,
            region_path: s.region_path.clone(),
            company_id: Some(s.company_id),
            campaign_id: None,
            follows_id: Some(*first),
            kind: InspectionKind::FollowUp,
            visited_on: *on,
            inspector: format!("督导组-{}", &s.region_code[..9.min(s.region_code.len())]),
            lines,
        })
        .await?;
        follow_ups += 1;
    }
    back.finish().await?;

    // Facts recorded by hand: honours for the best, a grave accident for one of the worst.
    let best: Vec<i64> = companies.iter().copied().filter(|c| standard[c] == 0).take(3).collect();
    for c in &best {
        let e = NewEntry {
            company_id: *c,
            compound_id: None,
            region: city.clone(),
            on_date: day(2021, 12, 20),
            item_key: "honour".into(),
            count: 1,
            reason: "获评德州市“红色物业”示范企业".into(),
            evidence: "德住建字〔2021〕表彰通报".into(),
        };
        db::oversight::record_entry(db, &actor, &e, at(e.on_date, 10)).await?;
    }
    if let Some(worst) = companies.iter().copied().find(|c| standard[c] >= 4) {
        let e = NewEntry {
            company_id: worst,
            compound_id: None,
            region: city.clone(),
            on_date: day(2021, 8, 12),
            item_key: "major_accident".into(),
            count: 1,
            reason: "电梯维保缺失致困人受伤，经调查认定负有安全责任".into(),
            evidence: "事故调查报告".into(),
        };
        db::oversight::record_entry(db, &actor, &e, at(e.on_date + Duration::days(3), 10)).await?;
    }

    // Every quarter graded and published; a talk with each company at the lowest grade.
    if !quiet {
        eprintln!("  grading and publishing twelve quarters…");
    }
    let mut publications = 0;
    let mut talks = 0;
    for q in 0..12u32 {
        let start = day(2020 + (q / 4) as i32, (q % 4) * 3 + 1, 1);
        let end = start.checked_add_months(chrono::Months::new(3)).expect("a later day");
        let g = db::oversight::grade(db, &city, start, at(end + Duration::days(10), 9)).await?;
        db::oversight::publish(db, &actor, &g, at(end + Duration::days(12), 10)).await?;
        publications += 1;
        let lowest = g.scheme.scheme.lowest();
        for c in g.companies.iter().filter(|c| c.grade == lowest) {
            let t = NewTalk {
                company_id: c.company_id,
                region: city.clone(),
                held_on: end + Duration::days(20),
                people: "市住建局物业管理科、所在街道办事处、企业法定代表人及项目经理".into(),
                outcome: format!(
                    "通报{}评价为红色（{}.{}分），责令限期整改，列入重点监管名单，下季度每月现场督导",
                    g.period.words(true),
                    c.score / 10,
                    c.score % 10
                ),
                notice_id: None,
            };
            db::oversight::record_talk(db, &actor, &t, at(t.held_on, 15)).await?;
            talks += 1;
        }
    }
    // The notices still owed are talked about too, then escalated by the deadline sweep.
    for (id, company, deadline) in &open_left {
        let t = NewTalk {
            company_id: *company,
            region: city.clone(),
            held_on: *deadline + Duration::days(10),
            people: "市住建局物业管理科、街道办事处、企业负责人".into(),
            outcome: "整改通知单逾期未整改，约谈企业负责人，提级督办".into(),
            notice_id: Some(*id),
        };
        db::oversight::record_talk(db, &actor, &t, at(t.held_on, 15)).await?;
        talks += 1;
    }
    db::oversight::sweep(db, Utc::now()).await?;
    Ok(StoryStats { problems, inspections: inspections + follow_ups, notices, publications, talks })
}

/// One past problem of a company of standard `std`: accepted in time,
/// resolved in time or late, rated; an unsatisfied resident reopens it and
/// it is resolved again.
#[allow(clippy::too_many_arguments)]
fn past_problem(
    rng: &mut Rng,
    s: &ServiceSpan,
    std: usize,
    category: &str,
    description: String,
    submitted: DateTime<Utc>,
    accept_hours: i64,
    resolve_hours: i64,
) -> PastProblem {
    let accept_by = submitted + Duration::hours(accept_hours);
    let resolve_by = submitted + Duration::hours(resolve_hours);
    let accepted = submitted + Duration::minutes(rng.range(10, (accept_hours * 60 * 2 / 3).max(11)));
    let resolved = if permille(rng, LATE[std]) {
        resolve_by + Duration::hours(rng.range(6, 240))
    } else {
        accepted + Duration::minutes(rng.range(30, ((resolve_by - accepted).num_minutes() - 10).max(31)))
    };
    let mut steps = vec![
        (accepted, "accept".to_owned(), State::Submitted, State::Accepted),
        (resolved, "resolve".to_owned(), State::Accepted, State::Resolved),
    ];
    let mut last = resolved;
    if permille(rng, UNSATISFIED[std]) {
        let reopened = resolved + Duration::hours(rng.range(2, 48));
        steps.push((reopened, "rate:unsatisfied".into(), State::Resolved, State::Reopened));
        let again = reopened + Duration::hours(rng.range(1, 6));
        steps.push((again, "accept".into(), State::Reopened, State::Accepted));
        last = again + Duration::hours(rng.range(4, 72));
        steps.push((last, "resolve".into(), State::Accepted, State::Resolved));
    }
    let rating = if rng.chance(78) { Rating::Satisfied } else { Rating::BasicallySatisfied };
    let rated = last + Duration::hours(rng.range(1, 72));
    steps.push((rated, format!("rate:{}", rating.as_str()), State::Resolved, State::Closed));
    PastProblem {
        compound_id: s.compound_id,
        region_path: s.region_path.clone(),
        category: category.to_owned(),
        description,
        company_id: Some(s.company_id),
        submitted_at: submitted,
        accept_by,
        resolve_by,
        resolved_at: Some(last),
        rating: Some(rating),
        state: State::Closed,
        steps,
    }
}
