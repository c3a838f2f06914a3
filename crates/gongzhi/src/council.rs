//! The demo's consultation and owners' votes (issue 16), after the report:
//! 丰华小区 forms its first owners' committee (2021) and hires the party-led
//! company by vote; a major topic passes the community party committee's
//! review first; the owners raise the maintenance fund (a special question,
//! three quarters) and use it for lifts (an ordinary one); a neighbouring
//! compound's vote on advertising fails its quorum; and a vote is open
//! today, so the demo's resident (an owner of 1号楼 1单元 101) can vote.
//!
//! Owners are recorded for every unit of both compounds: most alone, some
//! co-owners, one buyer of three flats, a few flats still the developer's;
//! ballots go through the same storage as live use, each on a day inside
//! its window.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use db::Db;
use db::owners::{Holding, NewOwner};
use db::votes::topics::{Meeting, NewTopic};
use db::votes::{Channel, NewQuestion, NewVote};
use domain::audit::Actor;
use domain::consult::{MeetingKind, Proposer, TopicBy, TopicStep};
use domain::vote::{AreaSource, Choice, Matter, OwnerKind, UnitKind, Voter};

use crate::demo::Rng;

/// What the story made.
#[derive(Debug, Default, Clone, Copy)]
pub struct CouncilStats {
    pub owners: usize,
    pub topics: usize,
    pub votes: usize,
    pub ballots: usize,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real day")
}

fn at(d: NaiveDate, h: i64) -> DateTime<Utc> {
    domain::clock::start_of(d) + Duration::hours(h)
}

const SURNAMES: [&str; 16] =
    ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马", "朱", "胡", "郭", "何"];
const GIVEN: [&str; 20] = [
    "建国", "秀英", "桂兰", "志强", "丽娟", "海燕", "永生", "凤英", "国庆", "玉梅", "文博", "子涵", "明轩", "雨萱",
    "浩然", "欣怡", "俊杰", "淑珍", "德胜", "春花",
];

fn person(rng: &mut Rng) -> NewOwner {
    NewOwner {
        name: format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN)),
        kind: OwnerKind::Person,
        phone: None,
        id_tail: Some(format!("{:04}", rng.range(0, 9999))),
    }
}

/// Record owners for every unit of a compound, from `since`; returns how many owner records.
async fn owners(db: &Db, actor: &Actor, rng: &mut Rng, compound: i64, since: NaiveDate) -> anyhow::Result<usize> {
    let units = db::owners::holdings(db, compound, &[], since).await?;
    let tx = db.begin_write().await?;
    let now = at(since, 10);
    // One buyer holds three flats (SPC art. 9: counted as one owner).
    let investor = person(rng);
    for (i, h) in units.iter().enumerate() {
        // Most areas come from the register; some only from a survey or the contract.
        let source = match rng.range(0, 99) {
            0..=79 => AreaSource::Registered,
            80..=92 => AreaSource::Surveyed,
            _ => AreaSource::Contract,
        };
        db::owners::set_unit_area_in(&*tx, h.unit_id, h.area_centi, source, UnitKind::Dwelling).await?;
        let who: Vec<NewOwner> = if i % 23 == 7 {
            vec![NewOwner {
                name: "德州丰华置业有限公司".into(),
                kind: OwnerKind::Developer,
                phone: None,
                id_tail: None,
            }]
        } else if i == 5 || i == 40 || i == 77 {
            vec![investor.clone()]
        } else if i % 6 == 1 {
            vec![person(rng), person(rng)]
        } else {
            vec![person(rng)]
        };
        db::owners::record_in(&*tx, actor, compound, h.unit_id, &who, since, now).await?;
    }
    tx.commit().await?;
    Ok(units.len())
}

/// How a compound's owners vote on each question: percent taking part and
/// percent of those agreeing (abstaining a few).
struct Turnout {
    take_part: u64,
    agree: Vec<u64>,
}

/// Cast ballots for a vote over its window; `skip` holds voters who do not vote here.
async fn ballots(
    db: &Db,
    rng: &mut Rng,
    vote: &db::votes::Vote,
    t: &Turnout,
    skip: &[Voter],
    until: NaiveDate,
) -> anyhow::Result<usize> {
    let parts: Vec<Holding> = db::votes::parts(db, vote).await?;
    let questions = db::votes::questions(db, vote.id).await?;
    let mut voters: Vec<(Voter, Option<i64>)> = Vec::new();
    for h in &parts {
        let v = h.holder().voter();
        if !voters.iter().any(|x| x.0 == v) {
            voters.push((v, h.owners.first().map(|o| o.0)));
        }
    }
    let days = ((until.min(vote.closes_on)) - vote.opens_on).num_days().max(0);
    let mut n = 0;
    for (voter, owner) in voters {
        if skip.contains(&voter) || !rng.chance(t.take_part) {
            continue;
        }
        let choices: Vec<(i64, Choice)> = questions
            .iter()
            .zip(&t.agree)
            .map(|(q, agree)| {
                let c = if rng.chance(*agree) {
                    Choice::Agree
                } else if rng.chance(30) {
                    Choice::Abstain
                } else {
                    Choice::Disagree
                };
                (q.id, c)
            })
            .collect();
        let on = vote.opens_on + Duration::days(rng.range(0, days));
        let now = at(on, rng.range(8, 21));
        let actor = Actor { id: None, login: format!("owner-{}", owner.unwrap_or(0)) };
        db::votes::cast(db, &actor, vote.id, &voter, owner, &choices, &Channel::Online, now).await?;
        n += 1;
    }
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn new_vote(
    compound: i64,
    topic: Option<i64>,
    title: &str,
    body: &str,
    questions: &[(&str, Matter)],
    announced: NaiveDate,
    opens: NaiveDate,
    closes: NaiveDate,
) -> NewVote {
    NewVote {
        compound_id: compound,
        topic_id: topic,
        title: title.into(),
        body: body.into(),
        building_ids: Vec::new(),
        questions: questions
            .iter()
            .map(|(text, m)| NewQuestion { text: (*text).into(), matter: *m, category: m.category() })
            .collect(),
        announced_on: announced,
        opens_on: opens,
        closes_on: closes,
        notice_days: domain::vote::NOTICE_DAYS_MIN,
        objection_days: domain::vote::OBJECTION_DAYS,
        deemed_consent: false,
        salt: web::auth::new_secret(""),
    }
}

/// Publish the preliminary result the day after voting closes and the final
/// one after the objection window.
async fn count(db: &Db, actor: &Actor, v: &db::votes::Vote) -> anyhow::Result<()> {
    let prelim = v.closes_on + Duration::days(1);
    db::votes::publish(db, actor, v.id, at(prelim, 10)).await?;
    db::votes::publish(db, actor, v.id, at(prelim + Duration::days(domain::vote::OBJECTION_DAYS), 10)).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn step(
    db: &Db,
    actor: &Actor,
    topic: i64,
    s: TopicStep,
    by: TopicBy,
    note: &str,
    meeting: Option<Meeting>,
    on: NaiveDate,
) -> anyhow::Result<()> {
    db::votes::topics::step(db, actor, topic, s, by, note, meeting.as_ref(), None, None, at(on, 15)).await?;
    Ok(())
}

fn meeting(kind: MeetingKind, on: NaiveDate, attendance: i64) -> Option<Meeting> {
    Some(Meeting { kind, on, attendance, photo: None })
}

/// Make the story; `today` places the vote that is open now.
pub async fn build(db: &Db, today: NaiveDate) -> anyhow::Result<CouncilStats> {
    let mut rng = Rng::new(278);
    let community = Actor::system("丰华社区");
    let committee = Actor::system("丰华小区业委会");
    let fenghua = crate::demo::fenghua(db).await?;
    let mut st = CouncilStats {
        owners: owners(db, &community, &mut rng, fenghua, day(2016, 6, 1)).await?,
        ..Default::default()
    };
    // A neighbour in the same community, for the vote that fails its quorum.
    let f = db::compounds::Filter {
        within: Some(domain::RegionCode::parse(crate::demo::FENGHUA_COMMUNITY)?.path()),
        visible: db::compounds::Visible { all: true, ..Default::default() },
        include_retired: false,
        ..Default::default()
    };
    let (neighbours, _) = db::compounds::list(db, &f, domain::Paging::new(None, Some(20))).await?;
    let neighbour = neighbours.iter().find(|c| c.id != fenghua).map(|c| c.id);
    if let Some(n) = neighbour {
        st.owners += owners(db, &community, &mut rng, n, day(2012, 9, 1)).await?;
    }
    // The demo's resident is a verified owner from the start: the votes' notices reach them.
    bind_resident(db, "fenghua_101").await?;

    // 1. Forming the owners' committee: raised by the community, reviewed by
    //    its party committee, deliberated at a joint meeting, decided by the
    //    first owners' assembly (three ordinary questions).
    let t1 = db::votes::topics::create(
        db,
        &community,
        &NewTopic {
            compound_id: fenghua,
            title: "筹备召开首次业主大会、成立业主委员会".into(),
            body: "小区交付多年未成立业主委员会，社区党委牵头成立筹备组，推荐党员业主参选。".into(),
            proposer: Proposer::Community,
            matter: Some(Matter::ElectCommittee),
            major: true,
        },
        at(day(2021, 2, 22), 9),
    )
    .await?;
    step(db, &community, t1.id, TopicStep::Accept, TopicBy::Community, "", None, day(2021, 2, 23)).await?;
    step(db, &community, t1.id, TopicStep::Approve, TopicBy::Community, "", None, day(2021, 2, 26)).await?;
    step(
        db,
        &community,
        t1.id,
        TopicStep::Meeting,
        TopicBy::Community,
        "社区党委、街道、筹备组联席会议：确定候选人（党员占比过半）、议事规则和管理规约草案。",
        meeting(MeetingKind::Joint, day(2021, 3, 5), 11),
        day(2021, 3, 5),
    )
    .await?;
    let v1 = db::votes::create(
        db,
        &community,
        &new_vote(
            fenghua,
            Some(t1.id),
            "丰华小区首次业主大会",
            "表决《业主大会议事规则》《管理规约》，选举第一届业主委员会（5人）。纸质票与线上投票均可。",
            &[
                ("通过《丰华小区业主大会议事规则》", Matter::RulesOfProcedure),
                ("通过《丰华小区管理规约》", Matter::Covenant),
                ("选举第一届业主委员会成员（候选人5名，等额选举）", Matter::ElectCommittee),
            ],
            day(2021, 3, 8),
            day(2021, 3, 25),
            day(2021, 4, 8),
        ),
        Some(TopicBy::Community),
        at(day(2021, 3, 8), 9),
    )
    .await?;
    st.ballots += ballots(db, &mut rng, &v1, &Turnout { take_part: 86, agree: vec![92, 90, 88] }, &[], today).await?;
    count(db, &community, &v1).await?;
    step(db, &community, t1.id, TopicStep::Publish, TopicBy::Community, "", None, day(2021, 4, 16)).await?;
    step(db, &committee, t1.id, TopicStep::Complete, TopicBy::Committee, "", None, day(2021, 4, 30)).await?;

    // 2. Hiring the party-led company (丰华物业) by the owners.
    let t2 = db::votes::topics::create(
        db,
        &committee,
        &NewTopic {
            compound_id: fenghua,
            title: "选聘党建引领的物业服务企业".into(),
            body: "原物业合同到期，业委会提出选聘设有党支部的德州丰华物业服务有限公司，服务标准和收费公开。".into(),
            proposer: Proposer::Committee,
            matter: Some(Matter::HireOrDismissManager),
            major: true,
        },
        at(day(2021, 5, 10), 9),
    )
    .await?;
    step(db, &committee, t2.id, TopicStep::Accept, TopicBy::Committee, "", None, day(2021, 5, 11)).await?;
    step(db, &community, t2.id, TopicStep::Approve, TopicBy::Community, "", None, day(2021, 5, 14)).await?;
    step(
        db,
        &committee,
        t2.id,
        TopicStep::Meeting,
        TopicBy::Committee,
        "“红色议事会”：业委会、社区党委、候选物业企业三方协商服务方案与收费标准。",
        meeting(MeetingKind::Joint, day(2021, 5, 20), 14),
        day(2021, 5, 20),
    )
    .await?;
    let v2 = db::votes::create(
        db,
        &committee,
        &new_vote(
            fenghua,
            Some(t2.id),
            "选聘德州丰华物业服务有限公司",
            "合同期三年，服务标准与收费标准见公示。",
            &[("选聘德州丰华物业服务有限公司为本小区物业服务企业", Matter::HireOrDismissManager)],
            day(2021, 5, 24),
            day(2021, 6, 10),
            day(2021, 6, 24),
        ),
        Some(TopicBy::Committee),
        at(day(2021, 5, 24), 9),
    )
    .await?;
    st.ballots += ballots(db, &mut rng, &v2, &Turnout { take_part: 81, agree: vec![87] }, &[], today).await?;
    count(db, &committee, &v2).await?;
    step(db, &committee, t2.id, TopicStep::Publish, TopicBy::Committee, "", None, day(2021, 7, 2)).await?;
    step(
        db,
        &committee,
        t2.id,
        TopicStep::FollowUp,
        TopicBy::Committee,
        "7月1日新物业进驻，交接清单签字。",
        None,
        day(2021, 7, 5),
    )
    .await?;
    step(db, &committee, t2.id, TopicStep::Complete, TopicBy::Committee, "", None, day(2021, 9, 30)).await?;

    // 3. The maintenance fund: raise it (special, three quarters) and use it for lifts (ordinary).
    let t3 = db::votes::topics::create(
        db,
        &committee,
        &NewTopic {
            compound_id: fenghua,
            title: "续筹专项维修资金并更换电梯".into(),
            body: "1号楼、2号楼电梯使用超过15年，维修资金余额不足。".into(),
            proposer: Proposer::Committee,
            matter: Some(Matter::RaiseFund),
            major: true,
        },
        at(day(2022, 3, 14), 9),
    )
    .await?;
    step(db, &committee, t3.id, TopicStep::Accept, TopicBy::Committee, "", None, day(2022, 3, 15)).await?;
    step(db, &community, t3.id, TopicStep::Approve, TopicBy::Community, "", None, day(2022, 3, 18)).await?;
    step(
        db,
        &committee,
        t3.id,
        TopicStep::Meeting,
        TopicBy::Committee,
        "主题党日：党员业主入户讲解续筹方案，听取意见。",
        meeting(MeetingKind::PartyDay, day(2022, 3, 26), 38),
        day(2022, 3, 26),
    )
    .await?;
    let v3 = db::votes::create(
        db,
        &committee,
        &new_vote(
            fenghua,
            Some(t3.id),
            "续筹专项维修资金、更换1号楼2号楼电梯",
            "续筹标准：每平方米25元；电梯更换费用从维修资金列支。",
            &[
                ("按每平方米25元续筹专项维修资金", Matter::RaiseFund),
                ("使用专项维修资金更换1号楼、2号楼电梯", Matter::UseFund),
            ],
            day(2022, 4, 1),
            day(2022, 4, 18),
            day(2022, 5, 8),
        ),
        Some(TopicBy::Committee),
        at(day(2022, 4, 1), 9),
    )
    .await?;
    st.ballots += ballots(db, &mut rng, &v3, &Turnout { take_part: 90, agree: vec![84, 80] }, &[], today).await?;
    count(db, &committee, &v3).await?;
    step(db, &committee, t3.id, TopicStep::Publish, TopicBy::Committee, "", None, day(2022, 5, 16)).await?;
    step(
        db,
        &committee,
        t3.id,
        TopicStep::FollowUp,
        TopicBy::Company,
        "电梯招标完成，6月进场施工。",
        None,
        day(2022, 6, 2),
    )
    .await?;

    // 4. A neighbour's vote on advertising on common parts fails its quorum.
    if let Some(n) = neighbour {
        let v4 = db::votes::create(
            db,
            &community,
            &new_vote(
                n,
                None,
                "利用电梯轿厢设置广告位",
                "广告收益归全体业主，用于公共设施维护。",
                &[("同意利用电梯轿厢设置广告位（利用共有部分从事经营活动）", Matter::BusinessUse)],
                day(2022, 8, 1),
                day(2022, 8, 20),
                day(2022, 9, 3),
            ),
            None,
            at(day(2022, 8, 1), 9),
        )
        .await?;
        st.ballots += ballots(db, &mut rng, &v4, &Turnout { take_part: 48, agree: vec![70] }, &[], today).await?;
        count(db, &community, &v4).await?;
        st.votes += 1;
    }

    // 5. Open today: charging points for e-bikes (changing the use of common parts: special).
    let t5 = db::votes::topics::create(
        db,
        &community,
        &NewTopic {
            compound_id: fenghua,
            title: "增设电动自行车集中充电棚".into(),
            body: "居民反映楼道充电存在消防隐患，提出在3号楼北侧空地建充电棚。".into(),
            proposer: Proposer::Resident,
            matter: Some(Matter::ChangeUse),
            major: true,
        },
        at(today - Duration::days(40), 9),
    )
    .await?;
    step(db, &committee, t5.id, TopicStep::Accept, TopicBy::Committee, "", None, today - Duration::days(39)).await?;
    step(db, &community, t5.id, TopicStep::Approve, TopicBy::Community, "", None, today - Duration::days(36)).await?;
    step(
        db,
        &committee,
        t5.id,
        TopicStep::Meeting,
        TopicBy::Committee,
        "居民议事会：选址、收费标准与消防要求。",
        meeting(MeetingKind::Residents, today - Duration::days(30), 26),
        today - Duration::days(30),
    )
    .await?;
    let v5 = db::votes::create(
        db,
        &committee,
        &new_vote(
            fenghua,
            Some(t5.id),
            "增设电动自行车集中充电棚",
            "在3号楼北侧空地（共有部分）建设充电棚，改变该处用途。",
            &[("同意在3号楼北侧空地建设电动自行车集中充电棚", Matter::ChangeUse)],
            today - Duration::days(20),
            today - Duration::days(3),
            today + Duration::days(11),
        ),
        Some(TopicBy::Committee),
        at(today - Duration::days(20), 9),
    )
    .await?;
    // The demo's resident (1号楼 1单元 101) has not voted yet.
    let first = db::owners::holdings(db, fenghua, &[], today).await?.into_iter().next();
    let skip: Vec<Voter> = first.iter().map(|h| h.holder().voter()).collect();
    st.ballots += ballots(db, &mut rng, &v5, &Turnout { take_part: 45, agree: vec![88] }, &skip, today).await?;

    // 6. Topics under way: one before the party's review, one being deliberated.
    let t6 = db::votes::topics::create(
        db,
        &committee,
        &NewTopic {
            compound_id: fenghua,
            title: "利用架空层开办社区老年食堂".into(),
            body: "由物业企业运营，收益用于补贴老年人用餐。".into(),
            proposer: Proposer::Company,
            matter: Some(Matter::BusinessUse),
            major: true,
        },
        at(today - Duration::days(6), 10),
    )
    .await?;
    step(db, &committee, t6.id, TopicStep::Accept, TopicBy::Committee, "", None, today - Duration::days(5)).await?;
    let t7 = db::votes::topics::create(
        db,
        &community,
        &NewTopic {
            compound_id: fenghua,
            title: "规范小区地面停车".into(),
            body: "晚间消防通道被占，提出划线、错峰停车方案。".into(),
            proposer: Proposer::Resident,
            matter: None,
            major: false,
        },
        at(today - Duration::days(12), 10),
    )
    .await?;
    step(db, &committee, t7.id, TopicStep::Accept, TopicBy::Committee, "", None, today - Duration::days(11)).await?;
    step(
        db,
        &committee,
        t7.id,
        TopicStep::Meeting,
        TopicBy::Committee,
        "联席会议：物业拟定划线方案，下周公示征求意见。",
        meeting(MeetingKind::Joint, today - Duration::days(4), 9),
        today - Duration::days(4),
    )
    .await?;
    st.topics = 6;
    st.votes += 4;
    Ok(st)
}

/// Bind the demo's resident account to the owner record of its unit (as a
/// community worker verifying their claim would).
pub async fn bind_resident(db: &Db, login: &str) -> anyhow::Result<()> {
    let Some(user) = db::accounts::user_by_login(db, login).await? else { return Ok(()) };
    let grants = db::accounts::grants(db, user.id).await?;
    let Some(unit) = grants.iter().find_map(|g| match g.scope {
        domain::access::Scope::Unit(u) => Some(u),
        _ => None,
    }) else {
        return Ok(());
    };
    let Some(compound) = db::accounts::unit_compound(db, unit).await? else { return Ok(()) };
    let today = domain::clock::today();
    let h = db::owners::holdings(db, compound, &[], today).await?;
    let Some(part) = h.iter().find(|h| h.unit_id == unit) else { return Ok(()) };
    let Some((owner, name, _)) = part.owners.first().cloned() else { return Ok(()) };
    let actor = Actor::system("demo");
    let tail = db::owners::owner(db, owner).await?.id_tail.unwrap_or_else(|| "0000".into());
    let k = db::owners::claim(db, &actor, user.id, unit, compound, &name, &tail, "").await?;
    db::owners::decide_claim(db, &actor, k.id, Some(owner), "").await?;
    Ok(())
}
