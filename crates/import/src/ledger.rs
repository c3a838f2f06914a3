//! An existing ledger from a workbook (docs/import-format.md, 账目): sheet
//! 账户 (accounts, each with its opening balance) and sheet 流水 (entries).
//! Every row is checked and the whole is written in one transaction, or
//! nothing is; each error names its sheet, row and column. Imported history
//! is not put through the approval gates (its approvals were on paper); the
//! audit trail records it as loaded by the importer.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use db::ledger::{NewAccount, NewEntry};
use domain::audit::Actor;
use domain::ledger::{self as l, AccountKind, Model};

use crate::RowError;
use crate::read::{Limits, RawSheet, column_letters, read_xlsx_within};

/// The columns of each sheet: (key, Chinese header, English header, required).
const ACCOUNTS: [(&str, &str, &str, bool); 10] = [
    ("kind", "账户类型", "kind", true),
    ("model", "服务模式", "model", true),
    ("name", "账户名称", "name", true),
    ("bank_name", "开户银行", "bank_name", false),
    ("bank_account", "银行账号", "bank_account", false),
    ("holder", "户名", "holder", false),
    ("opened_on", "开户日期", "opened_on", true),
    ("opening", "期初余额", "opening_balance", false),
    ("opening_on", "期初日期", "opening_on", false),
    ("threshold", "审批限额", "threshold", false),
];
const ENTRIES: [(&str, &str, &str, bool); 6] = [
    ("account", "账户名称", "account", true),
    ("date", "日期", "date", true),
    ("category", "科目", "category", true),
    ("amount", "金额", "amount", true),
    ("counterparty", "对方", "counterparty", false),
    ("description", "摘要", "description", true),
];

/// What a load wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Loaded {
    pub accounts: usize,
    pub entries: usize,
}

struct Sheet<'a> {
    raw: &'a RawSheet,
    cols: HashMap<&'static str, usize>,
}

impl Sheet<'_> {
    fn cell(&self, row: &[String], key: &str) -> String {
        self.cols.get(key).and_then(|&i| row.get(i)).map(|s| s.trim().to_owned()).unwrap_or_default()
    }
    fn column(&self, key: &str) -> String {
        self.cols.get(key).map(|&i| column_letters(i)).unwrap_or_default()
    }
}

fn find<'a>(
    wb: &'a crate::Workbook,
    names: &[&str],
    spec: &[(&'static str, &str, &str, bool)],
    errors: &mut Vec<RowError>,
) -> Option<Sheet<'a>> {
    let raw = wb.sheets.iter().find(|s| names.iter().any(|n| s.name.trim().eq_ignore_ascii_case(n)))?;
    let header = raw.rows.first().cloned().unwrap_or_default();
    let mut cols = HashMap::new();
    for (key, zh, en, required) in spec {
        match header.iter().position(|h| h.trim() == *zh || h.trim().eq_ignore_ascii_case(en)) {
            Some(i) => {
                cols.insert(*key, i);
            }
            None if *required => errors.push(RowError {
                sheet: raw.name.clone(),
                row: 1,
                column: String::new(),
                en: format!("the column {en} is missing"),
                zh: format!("缺少“{zh}”列"),
            }),
            None => {}
        }
    }
    Some(Sheet { raw, cols })
}

fn err(sheet: &Sheet, row: usize, key: &str, e: &domain::Invalid) -> RowError {
    RowError {
        sheet: sheet.raw.name.clone(),
        row,
        column: sheet.column(key),
        en: format!("{}: {}", e.field, e.reason),
        zh: e.reason_zh.clone().unwrap_or_else(|| e.reason.clone()),
    }
}

fn date_of(field: &'static str, s: &str) -> Result<NaiveDate, domain::Invalid> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s.trim(), "%Y/%m/%d"))
        .map_err(|_| {
            domain::Invalid::new(field, format!("{s:?} is not a date (YYYY-MM-DD)")).zh(format!("“{s}”不是日期"))
        })
}

/// Load a compound's ledger from an XLSX workbook. The outer error is the
/// database's; the inner lists every problem of a workbook that was not written.
pub async fn load(
    db: &db::Db,
    actor: &Actor,
    compound_id: i64,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Result<Loaded, Vec<RowError>>, db::DbError> {
    let wb = match read_xlsx_within(bytes, Limits::CLI) {
        Ok(wb) => wb,
        Err(e) => {
            return Ok(Err(vec![RowError {
                sheet: String::new(),
                row: 0,
                column: String::new(),
                en: e.to_string(),
                zh: e.to_string(),
            }]));
        }
    };
    load_workbook(db, actor, compound_id, &wb, today, Utc::now()).await
}

pub async fn load_workbook(
    db: &db::Db,
    actor: &Actor,
    compound_id: i64,
    wb: &crate::Workbook,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Result<Loaded, Vec<RowError>>, db::DbError> {
    let mut errors = Vec::new();
    let accounts = find(wb, &["账户", "accounts"], &ACCOUNTS, &mut errors);
    let entries = find(wb, &["流水", "entries"], &ENTRIES, &mut errors);
    let Some(accounts) = accounts else {
        errors.push(RowError {
            sheet: "账户".into(),
            row: 0,
            column: String::new(),
            en: "the workbook has no sheet 账户 (accounts)".into(),
            zh: "工作簿缺少“账户”工作表".into(),
        });
        return Ok(Err(errors));
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let chart = db::ledger::chart(db).await?;
    let tx = db.begin_write().await?;
    let mut out = Loaded::default();
    let mut by_name: HashMap<String, i64> = HashMap::new();
    for (i, row) in accounts.raw.rows.iter().enumerate().skip(1) {
        let r = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let c = |k: &str| accounts.cell(row, k);
        let parsed = (|| {
            let kind = AccountKind::find(&c("kind"))
                .or_else(|| AccountKind::ALL.iter().copied().find(|k| k.name_zh() == c("kind")))
                .ok_or_else(|| ("kind", AccountKind::parse(&c("kind")).unwrap_err()))?;
            let model = Model::find(&c("model"))
                .or_else(|| Model::ALL.iter().copied().find(|m| m.name_zh() == c("model")))
                .ok_or_else(|| ("model", Model::parse(&c("model")).unwrap_err()))?;
            let opened_on = date_of("opened_on", &c("opened_on")).map_err(|e| ("opened_on", e))?;
            let threshold = if c("threshold").is_empty() {
                l::DEFAULT_THRESHOLD_FEN
            } else {
                l::parse_yuan("threshold_fen", &c("threshold")).map_err(|e| ("threshold", e))?
            };
            let opening = if c("opening").is_empty() {
                0
            } else {
                l::parse_yuan("opening", &c("opening")).map_err(|e| ("opening", e))?
            };
            let opening_on = if c("opening_on").is_empty() {
                opened_on
            } else {
                date_of("opening_on", &c("opening_on")).map_err(|e| ("opening_on", e))?
            };
            Ok::<_, (&str, domain::Invalid)>((kind, model, opened_on, threshold, opening, opening_on))
        })();
        let (kind, model, opened_on, threshold, opening, opening_on) = match parsed {
            Ok(p) => p,
            Err((k, e)) => {
                errors.push(err(&accounts, r, k, &e));
                continue;
            }
        };
        if by_name.contains_key(&c("name")) {
            let e = domain::Invalid::new("name", "the same account name is given twice").zh("账户名称重复");
            errors.push(err(&accounts, r, "name", &e));
            continue;
        }
        let n = NewAccount {
            compound_id,
            kind,
            model,
            name: c("name"),
            bank_name: c("bank_name"),
            bank_account: c("bank_account"),
            holder: c("holder"),
            opened_on,
            threshold_fen: threshold,
            three_quotes: false,
        };
        match db::ledger::open_in(&*tx, actor, &n, now).await {
            Ok(id) => {
                by_name.insert(c("name"), id);
                out.accounts += 1;
                if opening != 0 {
                    let e = NewEntry {
                        account_id: id,
                        entry_date: opening_on,
                        category: l::OPENING.into(),
                        amount_fen: opening,
                        counterparty: String::new(),
                        description: "期初余额（导入）".into(),
                        approval_id: None,
                        building_id: None,
                        vouchers: Vec::new(),
                        gated: false,
                    };
                    match db::ledger::enter_in(&*tx, actor, &e, today, now).await {
                        Ok(_) => out.entries += 1,
                        Err(db::DbError::Invalid(e)) => errors.push(err(&accounts, r, "opening", &e)),
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(db::DbError::Invalid(e)) => errors.push(err(&accounts, r, e.field, &e)),
            Err(e) => return Err(e),
        }
    }
    if let Some(entries) = &entries {
        for (i, row) in entries.raw.rows.iter().enumerate().skip(1) {
            let r = i + 1;
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let c = |k: &str| entries.cell(row, k);
            let Some(&account_id) = by_name.get(&c("account")) else {
                let e =
                    domain::Invalid::new("account", format!("{:?} is not an account of the sheet 账户", c("account")))
                        .zh(format!("“{}”不是“账户”表中的账户", c("account")));
                errors.push(err(entries, r, "account", &e));
                continue;
            };
            let cat = c("category");
            let code = chart.iter().find(|k| k.code == cat || k.zh == cat).map(|k| k.code.clone()).unwrap_or(cat);
            let parsed = (|| {
                Ok::<_, (&str, domain::Invalid)>((
                    date_of("date", &c("date")).map_err(|e| ("date", e))?,
                    l::parse_yuan("amount", &c("amount")).map_err(|e| ("amount", e))?,
                ))
            })();
            let (date, amount) = match parsed {
                Ok(p) => p,
                Err((k, e)) => {
                    errors.push(err(entries, r, k, &e));
                    continue;
                }
            };
            let e = NewEntry {
                account_id,
                entry_date: date,
                category: code,
                amount_fen: amount,
                counterparty: c("counterparty"),
                description: c("description"),
                approval_id: None,
                building_id: None,
                vouchers: Vec::new(),
                gated: false,
            };
            match db::ledger::enter_in(&*tx, actor, &e, today, now).await {
                Ok(_) => out.entries += 1,
                Err(db::DbError::Invalid(e)) => {
                    let key = match e.field {
                        "entry_date" => "date",
                        "amount_fen" => "amount",
                        f => f,
                    };
                    errors.push(err(entries, r, key, &e))
                }
                Err(e) => return Err(e),
            }
        }
    }
    if !errors.is_empty() {
        // Dropped without a commit: nothing is written.
        return Ok(Err(errors));
    }
    tx.commit().await?;
    Ok(Ok(out))
}
