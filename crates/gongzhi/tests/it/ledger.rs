//! The owners' money (issue 17): balances are the sum of entries on every
//! day; a reversing entry; a published statement unchanged by later
//! entries; the approval gates; tamper detection by `ledger verify`; scope;
//! the statement workbook with numbers as numbers; the workbook import.

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Duration, NaiveDate};
use domain::vote::{Category, Choice, Matter, Voter};
use serde_json::{Value, json};

use crate::support::{App, system, user_token};
use crate::votes::{at, day, new_vote, verified_owner, world};

/// A tiny valid PNG (1×1).
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6,
    0, 0, 0, 0x1F, 0x15, 0xC4, 0x89,
];

async fn open(app: &App, compound: i64, kind: &str, opened: &str, extra: Value) -> i64 {
    let mut b = json!({"kind": kind, "model": "trust", "name": format!("{kind} 账户"), "bank_name": "德州银行",
        "bank_account": "6222 0212 3456 7890", "holder": "议苑业主大会", "opened_on": opened});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    let r = app.json("POST", &format!("/api/v1/compounds/{compound}/ledger/accounts"), b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

async fn enter(app: &App, account: i64, date: &str, category: &str, fen: i64, extra: Value) -> crate::support::Reply {
    let mut b = json!({"entry_date": date, "category": category, "amount_fen": fen, "description": format!("{category} {date}")});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    app.json("POST", &format!("/api/v1/ledger/accounts/{account}/entries"), b).await
}

fn field(r: &crate::support::Reply) -> String {
    r.json()["error"]["fields"][0]["field"].as_str().unwrap_or("").to_owned()
}

db_test! {
    async fn balances_are_sums_and_a_published_statement_never_changes(db: Db) {
        let w = world(&db).await;
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let acc = open(&committee, w.compound, "common", "2024-01-01", json!({})).await;
        let book = [
            ("2024-01-01", "opening", 1_000_000),
            ("2024-01-05", "fees", 2_345_600),
            ("2024-01-20", "cleaning", 120_000),
            ("2024-02-03", "parking", 50_050),
            ("2024-02-28", "greening", 499_999),
            ("2024-03-15", "fees", 1_000_001),
        ];
        for (d, c, f) in book {
            let r = enter(&committee, acc, d, c, f, json!({})).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        // Every day from before the opening to after the last entry: the balance is the sum of the entries up to it.
        let all = committee.get(&format!("/api/v1/ledger/accounts/{acc}/entries?per_page=200")).await.json();
        let entries: Vec<(NaiveDate, i64)> = all["items"].as_array().unwrap().iter()
            .map(|e| (e["entry_date"].as_str().unwrap().parse().unwrap(), e["amount_fen"].as_i64().unwrap())).collect();
        assert_eq!(entries.len(), book.len());
        let mut d = day("2023-12-30");
        while d <= day("2024-03-17") {
            let want: i64 = entries.iter().filter(|(x, _)| *x <= d).map(|(_, a)| a).sum();
            let got = committee.get(&format!("/api/v1/ledger/accounts/{acc}?on={d}")).await.json()["balance_fen"].as_i64().unwrap();
            assert_eq!(got, want, "balance on {d}");
            d += Duration::days(1);
        }
        // Spending takes away: opening 10,000 + fees 23,456 − cleaning 1,200 = 32,256.00 at January's end.
        let jan = committee.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": "2024-01"})).await;
        assert_eq!(jan.status, 201, "{}", jan.body);
        let jan = jan.json()["statement"].clone();
        assert_eq!(jan["summary"]["closing_fen"], 3_225_600);
        assert_eq!((jan["summary"]["income_fen"].as_i64(), jan["summary"]["spending_fen"].as_i64()), (Some(3_345_600), Some(120_000)));
        assert!(jan["head"].as_str().unwrap().starts_with("6:"), "the chain head when published: {jan}");
        // Twice is refused; a month not yet ended cannot be published.
        let again = committee.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": "2024-01"})).await;
        assert_eq!(again.status, 409, "{}", again.body);
        let this_month = domain::clock::today().format("%Y-%m").to_string();
        let early = committee.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": this_month})).await;
        assert_eq!(early.status, 422, "{}", early.body);
        // Nothing may be dated in (or before) a published month.
        let late = enter(&committee, acc, "2024-01-31", "fees", 100, json!({})).await;
        assert_eq!((late.status.as_u16(), field(&late).as_str()), (422, "entry_date"), "{}", late.body);
        // January's cleaning was wrong: reversed today, by a new entry naming it; the original stays.
        let cleaning = all["items"].as_array().unwrap().iter().find(|e| e["category"] == "cleaning").unwrap()["id"].as_i64().unwrap();
        let rev = committee.json("POST", &format!("/api/v1/ledger/entries/{cleaning}/reverse"), json!({"reason": "重复记账"})).await;
        assert_eq!(rev.status, 201, "{}", rev.body);
        let rev = rev.json();
        assert_eq!((rev["amount_fen"].as_i64(), rev["reverses"].as_i64()), (Some(120_000), Some(cleaning)));
        assert_eq!(rev["entry_date"].as_str().unwrap(), domain::clock::today().to_string());
        let twice = committee.json("POST", &format!("/api/v1/ledger/entries/{cleaning}/reverse"), json!({"reason": "再次"})).await;
        assert_eq!(twice.status, 409, "{}", twice.body);
        let of_reversal = committee.json("POST", &format!("/api/v1/ledger/entries/{}/reverse", rev["id"]), json!({"reason": "x"})).await;
        assert_eq!(of_reversal.status, 409, "{}", of_reversal.body);
        // January's published statement is as it was; the correction is in this month's.
        let kept = committee.get(&format!("/api/v1/ledger/accounts/{acc}/statements/2024-01")).await.json();
        assert_eq!(kept["statement"], jan, "a published statement never changes");
        assert_eq!(kept["entries"].as_array().unwrap().len(), 3, "its entries are January's three");
        // No draft of a month to come or before the account opened.
        assert_eq!(committee.get(&format!("/api/v1/ledger/accounts/{acc}/statements/2099-01")).await.status, 404);
        assert_eq!(committee.get(&format!("/api/v1/ledger/accounts/{acc}/statements/2023-12")).await.status, 404);
        let now = committee.get(&format!("/api/v1/ledger/accounts/{acc}/statements/{this_month}")).await.json();
        assert!(now["statement"]["id"].is_null(), "a draft");
        let line = now["statement"]["summary"]["lines"].as_array().unwrap().iter().find(|l| l["category"] == "cleaning").unwrap().clone();
        assert_eq!(line["amount_fen"], -120_000, "the reversal lowers the cleaning line of the month it is entered in");
        let total: i64 = book.iter().map(|(_, c, f)| if ["cleaning", "greening"].contains(c) { -f } else { *f }).sum::<i64>() + 120_000;
        assert_eq!(committee.get(&format!("/api/v1/ledger/accounts/{acc}")).await.json()["balance_fen"], total);
        // The statement as a workbook: amounts are numbers, not text.
        let x = committee.get(&format!("/ledger/accounts/{acc}/statements/2024-01/xlsx")).await;
        assert_eq!(x.status, 200);
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(x.body_bytes.clone())).unwrap();
        use calamine::Reader;
        let sheet = wb.worksheet_range("收支公示").unwrap();
        let closing = sheet.rows().find(|r| r[0] == calamine::Data::String("期末余额".into())).unwrap()[1].clone();
        assert_eq!(closing, calamine::Data::Float(32_256.0), "the closing balance is a number");
        let docx = committee.get(&format!("/ledger/accounts/{acc}/statements/2024-01/docx")).await;
        assert_eq!(docx.status, 200);
        assert!(docx.body_bytes.starts_with(b"PK"));
    }
}

db_test! {
    async fn spending_passes_the_gates_or_is_refused(db: Db) {
        let w = world(&db).await;
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let common = open(&committee, w.compound, "common", "2024-01-01", json!({"threshold_fen": 500_000})).await;
        enter(&committee, common, "2024-01-02", "fees", 10_000_000, json!({})).await;
        // One open account of a kind; the fund's own categories stay in the fund.
        let r = committee.json("POST", &format!("/api/v1/compounds/{}/ledger/accounts", w.compound),
            json!({"kind": "common", "model": "fee", "name": "第二个", "opened_on": "2024-01-01"})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "kind"), "{}", r.body);
        let r = enter(&committee, common, "2024-01-02", "fund_repair", 100, json!({})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "category"), "{}", r.body);
        // Closed from its page, the remuneration account takes nothing on or after that day.
        let rem = open(&committee, w.compound, "remuneration", "2023-06-01", json!({})).await;
        let r = committee.form(&format!("/ledger/accounts/{rem}/close"), &[("closed_on", "2023-12-31")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = enter(&committee, rem, "2024-01-02", "fees", 100, json!({})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "entry_date"), "{}", r.body);
        // Up to the threshold needs nothing; above it, the committee's approval.
        assert_eq!(enter(&committee, common, "2024-01-03", "repairs", 500_000, json!({})).await.status, 201);
        let r = enter(&committee, common, "2024-01-03", "repairs", 600_000, json!({})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "approval_id"), "{}", r.body);
        let ap = committee.json("POST", "/api/v1/ledger/approvals", json!({"account_id": common, "basis": "committee",
            "purpose": "更换门禁", "amount_fen": 800_000, "decided_on": "2024-01-03"})).await;
        assert_eq!(ap.status, 201, "{}", ap.body);
        let ap = ap.json()["id"].as_i64().unwrap();
        assert_eq!(enter(&committee, common, "2024-01-04", "repairs", 600_000, json!({"approval_id": ap})).await.status, 201);
        // The approval covers at most what it approved, all entries together.
        let r = enter(&committee, common, "2024-01-05", "repairs", 300_000, json!({"approval_id": ap})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "amount_fen"), "{}", r.body);
        // An owner-facing community worker may not approve as the committee.
        let r = worker.json("POST", "/api/v1/ledger/approvals", json!({"account_id": common, "basis": "committee",
            "purpose": "x", "amount_fen": 1, "decided_on": "2024-01-03"})).await;
        assert_eq!(r.status, 403, "{}", r.body);
        // Where the rules ask for three quotes, an approval with one is not enough.
        let strict = open(&committee, w.compound, "remuneration", "2024-01-01", json!({"three_quotes": true, "threshold_fen": 100_000})).await;
        enter(&committee, strict, "2024-01-02", "fees", 5_000_000, json!({})).await;
        let one = committee.json("POST", "/api/v1/ledger/approvals", json!({"account_id": strict, "basis": "committee",
            "purpose": "保洁外包", "amount_fen": 400_000, "quotes": 1, "decided_on": "2024-01-02"})).await.json()["id"].as_i64().unwrap();
        let three = committee.json("POST", "/api/v1/ledger/approvals", json!({"account_id": strict, "basis": "committee",
            "purpose": "保洁外包", "amount_fen": 400_000, "quotes": 3, "decided_on": "2024-01-02"})).await.json()["id"].as_i64().unwrap();
        let r = enter(&committee, strict, "2024-01-04", "cleaning", 200_000, json!({"approval_id": one})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "approval_id"), "{}", r.body);
        assert_eq!(enter(&committee, strict, "2024-01-04", "cleaning", 200_000, json!({"approval_id": three})).await.status, 201);
        // The maintenance fund: never without a passed vote or the emergency procedure, however small.
        let fund = open(&committee, w.compound, "fund", "2021-01-01", json!({})).await;
        enter(&committee, fund, "2021-01-01", "fund_deposit", 50_000_000, json!({})).await;
        let r = enter(&committee, fund, "2024-01-05", "fund_repair", 100, json!({})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "approval_id"), "{}", r.body);
        let by_committee = committee.json("POST", "/api/v1/ledger/approvals", json!({"account_id": fund, "basis": "committee",
            "purpose": "屋面防水", "amount_fen": 3_000_000, "decided_on": "2024-01-02"})).await.json()["id"].as_i64().unwrap();
        let r = enter(&committee, fund, "2024-01-05", "fund_repair", 100, json!({"approval_id": by_committee})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "approval_id"), "a committee resolution is not enough: {}", r.body);
        // A vote on using the fund, counted and final, in the past; until final, the approval is refused.
        let a = system();
        let opens = day("2022-09-01");
        let v = db::votes::create(&db, &a, &new_vote(&w, &[(Matter::UseFund, Category::Ordinary)], vec![], opens), None,
            at(opens - Duration::days(15), 9)).await.unwrap();
        let q = db::votes::questions(&db, v.id).await.unwrap()[0].id;
        let by_vote = json!({"account_id": fund, "basis": "vote", "purpose": "1号楼屋面防水", "amount_fen": 3_000_000,
            "vote_id": v.id, "question_id": q, "decided_on": "2022-09-12"});
        let r = committee.json("POST", "/api/v1/ledger/approvals", by_vote.clone()).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "question_id"), "not yet final: {}", r.body);
        let el = db::votes::electorate(&db, &v).await.unwrap();
        for voter in el.keys().filter(|k| **k != Voter::Developer) {
            db::votes::cast(&db, &a, v.id, voter, None, &[(q, Choice::Agree)], &db::votes::Channel::Online, at(opens, 10)).await.unwrap();
        }
        db::votes::publish(&db, &a, v.id, at(day("2022-09-09"), 9)).await.unwrap();
        db::votes::publish(&db, &a, v.id, at(day("2022-09-12"), 9)).await.unwrap();
        let r = committee.json("POST", "/api/v1/ledger/approvals", by_vote).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let voted = r.json()["id"].as_i64().unwrap();
        assert_eq!(enter(&committee, fund, "2024-01-05", "fund_repair", 2_800_000, json!({"approval_id": voted})).await.status, 201);
        // The emergency procedure: the community side records who authorised it; it is listed for the owners.
        let r = worker.json("POST", "/api/v1/ledger/approvals", json!({"account_id": fund, "basis": "emergency",
            "purpose": "电梯困人抢修", "amount_fen": 500_000, "decided_on": "2024-01-06"})).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "authorised_by"), "{}", r.body);
        let r = worker.json("POST", "/api/v1/ledger/approvals", json!({"account_id": fund, "basis": "emergency",
            "purpose": "电梯困人抢修", "amount_fen": 500_000, "authorised_by": "街道办 王主任", "decided_on": "2024-01-06"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let em = r.json()["id"].as_i64().unwrap();
        assert_eq!(enter(&committee, fund, "2024-01-06", "fund_repair", 450_000, json!({"approval_id": em})).await.status, 201);
        let o = committee.get(&format!("/api/v1/compounds/{}/ledger", w.compound)).await.json();
        let listed = o["approvals"].as_array().unwrap().iter().find(|x| x["id"] == em).unwrap().clone();
        assert_eq!((listed["authorised_by"].as_str(), listed["used_fen"].as_i64()), (Some("街道办 王主任"), Some(450_000)));
        // A budget rests on a resolution or a vote, never on an emergency.
        let r = committee.json("PUT", &format!("/api/v1/ledger/accounts/{common}/budget/2024"),
            json!({"approval_id": em, "lines": [{"category": "cleaning", "amount_fen": 1}]})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = committee.json("PUT", &format!("/api/v1/ledger/accounts/{common}/budget/2024"),
            json!({"approval_id": ap, "lines": [{"category": "repairs", "amount_fen": 2_000_000}, {"category": "fees", "amount_fen": 12_000_000}]})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = r.json();
        let repairs = b.as_array().unwrap().iter().find(|l| l["category"] == "repairs").unwrap().clone();
        assert_eq!(repairs["actual_fen"], 1_100_000, "the year's repairs so far");
    }
}

db_test! {
    async fn ledger_verify_names_edits_deletions_and_truncation(db: Db) {
        let w = world(&db).await;
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let acc = open(&committee, w.compound, "common", "2024-01-01", json!({})).await;
        for (i, d) in ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"].iter().enumerate() {
            assert_eq!(enter(&committee, acc, d, "fees", 1000 + i as i64, json!({})).await.status, 201);
        }
        let r = committee.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": "2024-01"})).await;
        assert_eq!(r.status, 201);
        assert_eq!(enter(&committee, acc, "2024-02-01", "fees", 5000, json!({})).await.status, 201);
        let ok = db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap();
        assert_eq!((ok[0].entries, ok[0].broken.clone()), (5, None));
        let head = ok[0].head.clone().unwrap();
        // An amount edited in place.
        db.execute_unprepared(&format!("UPDATE ledger_entry SET amount_fen = 999999 WHERE compound_id = {} AND seq = 2", w.compound)).await.unwrap();
        let v = db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap();
        assert_eq!(v[0].broken.as_ref().map(|b| b.0), Some(2), "{v:?}");
        assert!(v[0].broken.as_ref().unwrap().1.contains("changed"));
        db.execute_unprepared(&format!("UPDATE ledger_entry SET amount_fen = 1001 WHERE compound_id = {} AND seq = 2", w.compound)).await.unwrap();
        assert!(db::ledger::verify(&db, None, &[]).await.unwrap().iter().all(|c| c.broken.is_none()));
        // A voucher swapped is an edit too.
        // The last entry removed: the chain still links, but the head written down says 5.
        db.execute_unprepared(&format!("DELETE FROM ledger_entry WHERE compound_id = {} AND seq = 5", w.compound)).await.unwrap();
        assert!(db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap()[0].broken.is_none(), "nothing inside shows it…");
        let v = db::ledger::verify(&db, Some(w.compound), &[(w.compound, head)]).await.unwrap();
        assert_eq!(v[0].broken.as_ref().map(|b| b.0), Some(5), "…the head given from outside does: {v:?}");
        // Truncated below what a published statement recorded (its head was entry 4).
        db.execute_unprepared(&format!("DELETE FROM ledger_entry WHERE compound_id = {} AND seq = 4", w.compound)).await.unwrap();
        let v = db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap();
        assert_eq!(v[0].broken.as_ref().map(|b| b.0), Some(4), "{v:?}");
        // An entry deleted from the middle.
        db.execute_unprepared(&format!("DELETE FROM ledger_entry WHERE compound_id = {} AND seq = 2", w.compound)).await.unwrap();
        let v = db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap();
        assert_eq!(v[0].broken.as_ref().map(|b| b.0), Some(2), "{v:?}");
        assert!(v[0].broken.as_ref().unwrap().1.contains("missing"));
    }
}

db_test! {
    async fn owners_read_their_own_ledger_and_nobody_else_does(db: Db) {
        let w = world(&db).await;
        let worker = App::anonymous(&db).with_token(&user_token(&db, "sq", "worker", "371402001009").await);
        let committee = App::anonymous(&db).with_token(&user_token(&db, "ywh", "committee", &format!("compound:{}", w.compound)).await);
        let acc = open(&committee, w.compound, "common", "2024-01-01", json!({})).await;
        // A voucher, checked by its content.
        let up = |bytes: &'static [u8], ct: &str| {
            let req = Request::post(format!("/api/v1/ledger/accounts/{acc}/vouchers")).header(header::CONTENT_TYPE, ct).body(Body::from(bytes)).unwrap();
            committee.send(req)
        };
        assert_eq!(up(b"<svg onload=alert(1)>", "image/png").await.status, 422);
        let v = up(PNG, "image/png").await;
        assert_eq!(v.status, 201, "{}", v.body);
        let sha = v.json()["sha256"].as_str().unwrap().to_owned();
        let e = enter(&committee, acc, "2024-01-02", "fees", 12_300, json!({"vouchers": [sha]})).await;
        assert_eq!(e.status, 201, "{}", e.body);
        let entry = e.json()["id"].as_i64().unwrap();
        // An owner of this compound reads every entry and opens the voucher; the bank number is masked.
        let owner = verified_owner(&db, &worker, "jia", w.units[0], "甲", "1111").await;
        let o = owner.get(&format!("/api/v1/compounds/{}/ledger", w.compound)).await;
        assert_eq!(o.status, 200, "{}", o.body);
        assert_eq!(o.json()["accounts"][0]["bank_account"], "**** 7890");
        assert_eq!(committee.get(&format!("/api/v1/compounds/{}/ledger", w.compound)).await.json()["accounts"][0]["bank_account"], "6222 0212 3456 7890");
        assert_eq!(owner.get(&format!("/api/v1/ledger/accounts/{acc}/entries")).await.json()["total"], 1);
        let f = owner.get(&format!("/ledger/entries/{entry}/vouchers/{sha}")).await;
        assert_eq!((f.status.as_u16(), f.header("content-type")), (200, "image/png"));
        assert_eq!(f.body_bytes, PNG);
        // The owner neither enters nor publishes, and is told when the committee publishes.
        assert_eq!(enter(&owner, acc, "2024-01-03", "fees", 1, json!({})).await.status, 403);
        let r = owner.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": "2024-01"})).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = committee.json("POST", &format!("/api/v1/ledger/accounts/{acc}/statements"), json!({"month": "2024-01"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let jia = db::accounts::user_by_login(&db, "jia").await.unwrap().unwrap().id;
        let told = db::notify::notifications(&db, jia, 50).await.unwrap();
        assert!(told.iter().any(|n| n.statement_id == r.json()["statement"]["id"].as_i64() && n.state == "statement_published"), "{told:?}");
        // An owner of another compound of the same community, a worker of another community: 404 everywhere.
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/registry/compounds", json!([{"community_code": "371402001009", "name": "别苑"}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = admin.json("POST", "/api/v1/registry/buildings", json!([{"community_code": "371402001009", "compound": "别苑",
            "name": "1号楼", "floors": 1, "entrances": 1, "units_per_floor": 1, "unit_area": 80}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let other_compound = admin.get("/api/v1/compounds?region=371402001009").await.json()["items"].as_array().unwrap().iter()
            .find(|c| c["name"] == "别苑").unwrap()["id"].as_i64().unwrap();
        let b = admin.get(&format!("/api/v1/compounds/{other_compound}/buildings")).await.json()[0]["id"].as_i64().unwrap();
        let other_unit = admin.get(&format!("/api/v1/buildings/{b}")).await.json()["units"][0]["id"].as_i64().unwrap();
        let r = admin.json("POST", &format!("/api/v1/compounds/{other_compound}/owners"),
            json!({"unit_id": other_unit, "owners": [{"name": "戊", "id_tail": "5555"}], "since": "2020-01-01"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let neighbour = verified_owner(&db, &worker, "wu", other_unit, "戊", "5555").await;
        let elsewhere = App::anonymous(&db).with_token(&user_token(&db, "other", "worker", "371402001001").await);
        for who in [&neighbour, &elsewhere] {
            for uri in [
                format!("/api/v1/compounds/{}/ledger", w.compound),
                format!("/api/v1/ledger/accounts/{acc}"),
                format!("/api/v1/ledger/accounts/{acc}/entries"),
                format!("/api/v1/ledger/accounts/{acc}/statements/2024-01"),
                format!("/ledger/entries/{entry}/vouchers/{sha}"),
                format!("/compounds/{}/ledger", w.compound),
            ] {
                assert_eq!(who.get(&uri).await.status, 404, "{uri}");
            }
            assert_eq!(enter(who, acc, "2024-01-03", "fees", 1, json!({})).await.status, 404);
        }
        let tenant = App::anonymous(&db).with_token(&user_token(&db, "zuhu", "resident", &format!("unit:{}", w.units[4])).await);
        assert_eq!(tenant.get(&format!("/api/v1/ledger/accounts/{acc}")).await.status, 404, "a resident who is not an owner");
        // The street sees accounts and totals; entries only with a reason, which is logged.
        let street = App::anonymous(&db).with_token(&user_token(&db, "jd", "officer", "371402001").await);
        assert_eq!(street.get(&format!("/api/v1/compounds/{}/ledger", w.compound)).await.status, 200);
        let r = street.get(&format!("/api/v1/ledger/accounts/{acc}/entries")).await;
        assert_eq!((r.status.as_u16(), field(&r).as_str()), (422, "reason"), "{}", r.body);
        let r = street.get(&format!("/api/v1/ledger/accounts/{acc}/entries?reason=%E4%B8%BE%E6%8A%A5%E6%A0%B8%E6%9F%A5")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (rows, _) = db::audit::list(&db, None, domain::Paging::new(None, Some(50))).await.unwrap();
        assert!(rows.iter().any(|a| a.action == "inspect" && a.after.contains("举报核查")), "the request is in the audit log");
    }
}

db_test! {
    async fn a_ledger_workbook_loads_whole_or_not_at_all(db: Db) {
        use ::import::{RawSheet, Workbook};
        let w = world(&db).await;
        let accounts = RawSheet::new("账户", &["账户类型", "服务模式", "账户名称", "开户日期", "期初余额"], vec![
            vec!["共有资金账户".into(), "信托制".into(), "议苑共有资金".into(), "2023-01-01".into(), "12,345.67".into()],
            vec!["fund".into(), "trust".into(), "议苑维修资金".into(), "2020-01-01".into(), "500000".into()],
        ]);
        let bad = RawSheet::new("流水", &["账户名称", "日期", "科目", "金额", "摘要"], vec![
            vec!["议苑共有资金".into(), "2023-02-01".into(), "物业费收入".into(), "1000".into(), "二月物业费".into()],
            vec!["议苑共有资金".into(), "2023-02-30".into(), "保洁费用".into(), "100".into(), "保洁".into()],
            vec!["无此账户".into(), "2023-02-01".into(), "fees".into(), "1".into(), "x".into()],
            vec!["议苑共有资金".into(), "2023-02-05".into(), "no_such".into(), "1".into(), "x".into()],
        ]);
        let a = system();
        let today = domain::clock::today();
        let errors = ::import::ledger::load_workbook(&db, &a, w.compound, &Workbook { sheets: vec![accounts.clone(), bad] }, today, chrono::Utc::now())
            .await.unwrap().unwrap_err();
        let at: Vec<(usize, String)> = errors.iter().map(|e| (e.row, e.column.clone())).collect();
        assert_eq!(at, vec![(3, "B".to_owned()), (4, "A".to_owned()), (5, "C".to_owned())], "{errors:?}");
        assert!(db::ledger::accounts(&db, w.compound).await.unwrap().is_empty(), "nothing written");
        let good = RawSheet::new("流水", &["账户名称", "日期", "科目", "金额", "摘要"], vec![
            vec!["议苑共有资金".into(), "2023-02-01".into(), "物业费收入".into(), "1000".into(), "二月物业费".into()],
            vec!["议苑共有资金".into(), "2023-02-28".into(), "保洁费用".into(), "100.5".into(), "保洁".into()],
        ]);
        let loaded = ::import::ledger::load_workbook(&db, &a, w.compound, &Workbook { sheets: vec![accounts, good] }, today, chrono::Utc::now())
            .await.unwrap().unwrap();
        assert_eq!((loaded.accounts, loaded.entries), (2, 4));
        let accs = db::ledger::accounts(&db, w.compound).await.unwrap();
        let common = accs.iter().find(|x| x.name == "议苑共有资金").unwrap();
        assert_eq!(db::ledger::balance(&db, common.id, day("2023-03-01")).await.unwrap(), 1_234_567 + 100_000 - 10_050);
        assert!(db::ledger::verify(&db, Some(w.compound), &[]).await.unwrap()[0].broken.is_none());
    }
}
