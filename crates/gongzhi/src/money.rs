//! The demo's money (issue 17): trust accounts for the party-led and
//! cooperative compounds of 新湖街道 (丰华小区 among them) with two years of
//! monthly entries, each month's receipt as a voucher, the statements
//! published month by month (one late, so the disclosure rate shows it),
//! the yearly operating budget approved by the committee, 丰华小区's lift
//! replacement paid from the maintenance fund on the owners' 2022 vote, and
//! one cleaning invoice entered twice and corrected by a reversing entry.
//! Everything goes through the same storage as live use, gates included.

use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use db::Db;
use db::ledger::{NewAccount, NewApproval, NewEntry};
use domain::audit::Actor;
use domain::ledger::{AccountKind, Basis, Model, month_of, next_month};
use domain::vote::Matter;

use crate::demo::Rng;

#[derive(Debug, Default, Clone, Copy)]
pub struct MoneyStats {
    pub compounds: usize,
    pub entries: usize,
    pub statements: usize,
}

fn at(d: NaiveDate, h: i64) -> DateTime<Utc> {
    domain::clock::start_of(d) + Duration::hours(h)
}

/// A receipt as a small PDF (the text in ASCII: no fonts are embedded), kept by its hash.
fn receipt(data: &Path, title: &str, fen: i64) -> anyhow::Result<(String, String, i64)> {
    let text = format!("{title}  amount {}.{:02} CNY", fen / 100, fen % 100);
    let stream = format!("BT /F1 14 Tf 40 780 Td ({text}) Tj ET");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        pdf.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1).as_bytes());
    let sha: String = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&pdf))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = web::ops::problems::kept_path(data, &sha);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, &pdf)?;
    Ok((sha, "application/pdf".into(), pdf.len() as i64))
}

/// The compounds the story keeps money for: 丰华小区 and the party-led and
/// cooperative compounds of its street (at most `max`).
async fn compounds(db: &Db, max: usize) -> anyhow::Result<Vec<db::compounds::Compound>> {
    let fenghua = crate::demo::fenghua(db).await?;
    let street = domain::RegionCode::parse(&crate::demo::FENGHUA_COMMUNITY[..9])?;
    let f = db::compounds::Filter {
        within: Some(street.path()),
        visible: db::compounds::Visible { all: true, ..Default::default() },
        include_retired: false,
        ..Default::default()
    };
    let (all, _) = db::compounds::list(db, &f, domain::Paging::new(None, Some(200))).await?;
    let mut out: Vec<_> = all
        .into_iter()
        .filter(|c| c.id == fenghua || matches!(c.service_model.as_deref(), Some("party_led" | "cooperative")))
        .collect();
    out.sort_by_key(|c| (c.id != fenghua, c.id));
    out.truncate(max);
    Ok(out)
}

pub async fn build(db: &Db, data: &Path, today: NaiveDate) -> anyhow::Result<MoneyStats> {
    let mut rng = Rng::new(943);
    let mut st = MoneyStats::default();
    let fenghua = crate::demo::fenghua(db).await?;
    let first = {
        let m = month_of(today);
        NaiveDate::from_ymd_opt(m.year() - 2, m.month(), 1).unwrap_or(m)
    };
    let last_published = month_of(today).pred_opt().map(month_of).unwrap_or(first);
    for c in compounds(db, 12).await? {
        st.compounds += 1;
        let committee = Actor::system(&format!("{}业委会", c.name));
        let company = Actor::system(&format!("{}物业", c.name));
        let model = if c.service_model.as_deref() == Some("cooperative") { Model::Fee } else { Model::Trust };
        let households = i64::from(c.households.unwrap_or(200).clamp(40, 2000));
        let tail: String = (0..4).map(|_| char::from(b'0' + rng.range(0, 9) as u8)).collect();
        let tx = db.begin_write().await?;
        let common = db::ledger::open_in(
            &*tx,
            &committee,
            &NewAccount {
                compound_id: c.id,
                kind: AccountKind::Common,
                model,
                name: "共有资金账户".into(),
                bank_name: "德州银行新湖支行".into(),
                bank_account: format!("8101 0000 {:04} {tail}", c.id % 10_000),
                holder: format!("{}业主大会", c.name),
                opened_on: first,
                threshold_fen: domain::ledger::DEFAULT_THRESHOLD_FEN,
                three_quotes: true,
            },
            at(first, 9),
        )
        .await?;
        let fund_opened = NaiveDate::from_ymd_opt(2016, 6, 1).unwrap_or(first);
        let fund = db::ledger::open_in(
            &*tx,
            &committee,
            &NewAccount {
                compound_id: c.id,
                kind: AccountKind::Fund,
                model,
                name: "专项维修资金".into(),
                bank_name: "德州市住房公积金中心（代管）".into(),
                bank_account: format!("6000 {:06}", c.id),
                holder: format!("{}全体业主", c.name),
                opened_on: fund_opened,
                threshold_fen: 0,
                three_quotes: false,
            },
            at(first, 9),
        )
        .await?;
        // The fund as delivered: 30 yuan per m² of about 90 m² per household.
        let deposit = households * 90 * 3_000;
        let e = entry(fund, fund_opened, "opening", deposit, "", "交付时首期专项维修资金", None, vec![]);
        db::ledger::enter_in(&*tx, &committee, &e, fund_opened, at(fund_opened, 10)).await?;
        st.entries += 1;
        tx.commit().await?;
        if c.id == fenghua {
            st.entries += lifts(db, &committee, fund).await?;
        }
        // Month by month: the receipts of the month, then its statement in the next.
        let mut m = first;
        let mut approval: Option<(i32, i64)> = None;
        let mut duplicate: Option<i64> = None;
        while m <= last_published {
            let year = m.year();
            if approval.is_none_or(|(y, _)| y != year) {
                let decided = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(m).max(first);
                let ap = db::ledger::approve(
                    db,
                    &committee,
                    &NewApproval {
                        account_id: common,
                        basis: Basis::Committee,
                        purpose: format!("{year}年度日常运营支出预算（业委会第{}次会议决议）", year - 2020),
                        amount_fen: households * 12 * 30_000,
                        quotes: 3,
                        vote_id: None,
                        question_id: None,
                        authorised_by: String::new(),
                        decided_on: decided,
                    },
                    decided,
                    at(decided, 9),
                )
                .await?;
                let lines = vec![
                    ("fees".to_owned(), households * 12 * 16_000),
                    ("staff".to_owned(), households * 12 * 7_000),
                    ("cleaning".to_owned(), households * 12 * 2_500),
                    ("greening".to_owned(), households * 12 * 1_200),
                    ("security".to_owned(), households * 12 * 2_000),
                    ("utilities".to_owned(), households * 12 * 1_500),
                ];
                db::ledger::set_budget(db, &committee, common, year, &lines, ap.id, at(decided, 10)).await?;
                approval = Some((year, ap.id));
            }
            let ap = approval.map(|(_, id)| id);
            let day = |d: u32| NaiveDate::from_ymd_opt(m.year(), m.month(), d).unwrap_or(m);
            // Found after last month's statement was published: reversed in this month, so
            // the published statement stays as it was and this month's carries the correction.
            if let Some(d) = duplicate.take() {
                let on = day(3);
                db::ledger::reverse(db, &committee, d, on, "重复记账：同一张保洁发票上月记了两次", on, at(on, 11))
                    .await?;
                st.entries += 1;
            }
            let jitter = |rng: &mut Rng, fen: i64| fen + fen * rng.range(-10, 10) / 100;
            let fees = jitter(&mut rng, households * 15_500);
            let voucher = receipt(data, &format!("{} receipt {}", c.id, m.format("%Y-%m")), fees)?;
            let mut month = vec![
                entry(common, day(5), "fees", fees, "业主", &format!("{}月物业费收入", m.month()), None, vec![voucher]),
                entry(
                    common,
                    day(6),
                    "parking",
                    jitter(&mut rng, households * 1_800),
                    "业主",
                    "地面停车费",
                    None,
                    vec![],
                ),
                entry(
                    common,
                    day(10),
                    "staff",
                    jitter(&mut rng, households * 6_800),
                    "物业服务人员",
                    "人员工资及社保",
                    ap,
                    vec![],
                ),
                entry(
                    common,
                    day(12),
                    "cleaning",
                    jitter(&mut rng, households * 2_400),
                    "德州洁美保洁公司",
                    "保洁外包服务费",
                    ap,
                    vec![],
                ),
                entry(
                    common,
                    day(15),
                    "security",
                    jitter(&mut rng, households * 1_900),
                    "秩序维护",
                    "门岗及巡逻",
                    ap,
                    vec![],
                ),
                entry(
                    common,
                    day(20),
                    "utilities",
                    jitter(&mut rng, households * 1_400),
                    "国网德州供电公司",
                    "公共照明、电梯用电",
                    ap,
                    vec![],
                ),
            ];
            if m.month() % 3 == 0 {
                month.push(entry(
                    common,
                    day(25),
                    "advertising",
                    households * 1_000,
                    "德州分众传媒",
                    "电梯广告季度收益",
                    None,
                    vec![],
                ));
                month.push(entry(
                    common,
                    day(26),
                    "greening",
                    jitter(&mut rng, households * 3_500),
                    "园林养护",
                    "绿化养护（季度）",
                    ap,
                    vec![],
                ));
            }
            if model == Model::Fee {
                month.push(entry(
                    common,
                    day(28),
                    "remuneration",
                    fees / 10,
                    "物业公司",
                    "物业服务酬金（10%）",
                    ap,
                    vec![],
                ));
            }
            // 丰华小区, three months ago: the cleaning invoice entered twice.
            let twice = c.id == fenghua && m == month_of(last_published - Duration::days(70));
            if twice {
                month.push(entry(
                    common,
                    day(13),
                    "cleaning",
                    month[3].amount_fen,
                    "德州洁美保洁公司",
                    "保洁外包服务费",
                    ap,
                    vec![],
                ));
            }
            let tx = db.begin_write().await?;
            for e in &month {
                db::ledger::enter_in(&*tx, &company, e, e.entry_date, at(e.entry_date, 15)).await?;
            }
            tx.commit().await?;
            st.entries += month.len();
            if twice {
                let (rows, _) =
                    db::ledger::entries(db, common, Some(day(13)), Some(day(13)), domain::Paging::new(None, Some(5)))
                        .await?;
                duplicate = rows.first().map(|e| e.id);
            }
            // Published by the 10th of the next month; one month (a year ago) late, on the 20th.
            let late = m == month_of(today - Duration::days(365));
            let on = next_month(m).with_day(if late { 20 } else { rng.range(8, 12) as u32 }).unwrap_or(m);
            for acc in [common, fund] {
                db::ledger::publish(db, &company, acc, m, on, at(on, 9)).await?;
                st.statements += 1;
            }
            m = next_month(m);
        }
    }
    // The demo's owner has read the statements of the history back-filled above.
    if let Some(u) = db::accounts::user_by_login(db, "fenghua_101").await? {
        db::notify::statements_read_before(db, u.id, at(today - Duration::days(40), 0)).await?;
    }
    Ok(st)
}

#[allow(clippy::too_many_arguments)]
fn entry(
    account_id: i64,
    entry_date: NaiveDate,
    category: &str,
    amount_fen: i64,
    counterparty: &str,
    description: &str,
    approval_id: Option<i64>,
    vouchers: Vec<(String, String, i64)>,
) -> NewEntry {
    NewEntry {
        account_id,
        entry_date,
        category: category.into(),
        amount_fen,
        counterparty: counterparty.into(),
        description: description.into(),
        approval_id,
        building_id: None,
        vouchers,
        gated: true,
    }
}

/// 丰华小区's lifts (2022): the owners' vote on using the fund is final;
/// its question approves the spending; two payments follow.
async fn lifts(db: &Db, committee: &Actor, fund: i64) -> anyhow::Result<usize> {
    let fenghua = crate::demo::fenghua(db).await?;
    let f = db::votes::VoteFilter { all: true, compound_id: Some(fenghua), ..Default::default() };
    let (votes, _) = db::votes::list(db, &f, domain::Paging::new(None, Some(50))).await?;
    for v in votes.iter().filter(|v| v.final_on.is_some()) {
        let qs = db::votes::questions(db, v.id).await?;
        let results = db::votes::results(db, v.id).await?;
        let Some(q) = qs.iter().find(|q| {
            q.matter == Matter::UseFund
                && results.iter().any(|r| r.question_id == q.id && r.kind == domain::vote::VoteState::Final && r.passed)
        }) else {
            continue;
        };
        let decided = v.final_on.unwrap_or(v.closes_on);
        let ap = db::ledger::approve(
            db,
            committee,
            &NewApproval {
                account_id: fund,
                basis: Basis::Vote,
                purpose: "更换1号楼、2号楼电梯（业主共同决定）".into(),
                amount_fen: 56_000_000,
                quotes: 3,
                vote_id: Some(v.id),
                question_id: Some(q.id),
                authorised_by: String::new(),
                decided_on: decided,
            },
            decided,
            at(decided, 10),
        )
        .await?;
        // The same vote raised the fund (25 yuan per m², about 90 m² per household).
        let households = i64::from(db::compounds::get(db, fenghua).await?.households.unwrap_or(200));
        let raised = decided + Duration::days(20);
        let e = entry(
            fund,
            raised,
            "fund_deposit",
            households * 90 * 2_500,
            "全体业主",
            "续筹专项维修资金（业主共同决定）",
            None,
            vec![],
        );
        db::ledger::enter(db, committee, &e, raised, at(raised, 14)).await?;
        let mut n = 1;
        for (d, fen, what) in [
            (decided + Duration::days(30), 28_000_000, "电梯更换首付款（合同价50%）"),
            (decided + Duration::days(90), 26_500_000, "电梯验收后付款"),
        ] {
            let e = entry(fund, d, "fund_repair", fen, "德州迅达电梯工程有限公司", what, Some(ap.id), vec![]);
            db::ledger::enter(db, committee, &e, d, at(d, 14)).await?;
            n += 1;
        }
        return Ok(n);
    }
    Ok(0)
}
