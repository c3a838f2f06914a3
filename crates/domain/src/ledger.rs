//! The owners' money under the trust model (信托制) and its neighbours: the
//! accounts a compound keeps, the chart of accounts, the rules an entry must
//! meet before it is written (the approval gates), the hash chain that makes
//! the ledger tamper-evident, and a month's statement as a sum of entries.
//! Integer fen throughout; no I/O.
//!
//! - The common funds (Civil Code arts. 282, 943): fees and income from
//!   common parts, disclosed to the owners every month.
//! - The maintenance fund (art. 281): the owners' own, used only after an
//!   owners' vote (art. 278, an ordinary question) or under the emergency
//!   procedure, which names who authorised it and is published.
//! - The remuneration (酬金) the company draws under the 酬金制 and 信托制 models.

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::Invalid;

text_enum!(
    /// What an account holds.
    AccountKind, "kind", "kind of account", "账户类型" {
        /// 共有资金账户: fees and common income (parking, advertising, rent of common parts).
        Common = "common",
        /// 专项维修资金: kept by building and by household.
        Fund = "fund",
        /// 物业服务酬金: what the company draws under the 酬金 or trust model.
        Remuneration = "remuneration",
    }
);

text_enum!(
    /// How the company is paid (物业服务收费模式).
    Model, "model", "management model", "物业服务模式" {
        /// 包干制: the company keeps what is left over.
        Lump = "lump",
        /// 酬金制: the owners' money, the company draws an agreed remuneration.
        Fee = "fee",
        /// 信托制: the owners' money in a trust account, every entry open to them.
        Trust = "trust",
    }
);

text_enum!(
    /// Whether a category brings money in or pays it out.
    #[cfg_attr(feature = "schema", schema(as = LedgerSide))]
    Side, "side", "side", "收支方向" {
        Income = "income",
        Spending = "spending",
    }
);

text_enum!(
    /// On what authority spending is made.
    #[cfg_attr(feature = "schema", schema(as = ApprovalBasis))]
    Basis, "basis", "basis of approval", "审批依据" {
        /// 业委会决议: a resolution of the owners' committee.
        Committee = "committee",
        /// 业主共同决定: a passed question of an owners' vote.
        Vote = "vote",
        /// 应急使用: the emergency procedure, authorised by a named person and published.
        Emergency = "emergency",
    }
);

impl AccountKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            AccountKind::Common => "共有资金账户",
            AccountKind::Fund => "专项维修资金",
            AccountKind::Remuneration => "物业服务酬金",
        }
    }
}

impl Model {
    pub fn name_zh(self) -> &'static str {
        match self {
            Model::Lump => "包干制",
            Model::Fee => "酬金制",
            Model::Trust => "信托制",
        }
    }
}

/// A category of the chart of accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryDef {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub side: Side,
}

/// The category of an account's opening balance (期初余额): either sign, no gate.
pub const OPENING: &str = "opening";

/// The chart a fresh install starts with; administrators add to it.
pub const DEFAULT_CHART: [CategoryDef; 18] = [
    CategoryDef { code: OPENING, zh: "期初余额", en: "Opening balance", side: Side::Income },
    CategoryDef { code: "fees", zh: "物业费收入", en: "Service fees", side: Side::Income },
    CategoryDef { code: "parking", zh: "停车收入", en: "Parking", side: Side::Income },
    CategoryDef { code: "advertising", zh: "广告收入", en: "Advertising", side: Side::Income },
    CategoryDef { code: "rent", zh: "共有部分租金", en: "Rent of common parts", side: Side::Income },
    CategoryDef { code: "interest", zh: "利息收入", en: "Interest", side: Side::Income },
    CategoryDef { code: "fund_deposit", zh: "维修资金缴存", en: "Fund deposits", side: Side::Income },
    CategoryDef { code: "other_income", zh: "其他收入", en: "Other income", side: Side::Income },
    CategoryDef { code: "staff", zh: "人员费用", en: "Staff", side: Side::Spending },
    CategoryDef { code: "cleaning", zh: "保洁费用", en: "Cleaning", side: Side::Spending },
    CategoryDef { code: "greening", zh: "绿化养护", en: "Greening", side: Side::Spending },
    CategoryDef { code: "security", zh: "秩序维护", en: "Security", side: Side::Spending },
    CategoryDef { code: "repairs", zh: "公共设施维修", en: "Repairs of common facilities", side: Side::Spending },
    CategoryDef { code: "utilities", zh: "公共能耗", en: "Common utilities", side: Side::Spending },
    CategoryDef { code: "remuneration", zh: "物业服务酬金", en: "Company remuneration", side: Side::Spending },
    CategoryDef { code: "fund_repair", zh: "维修资金使用", en: "Repairs from the fund", side: Side::Spending },
    CategoryDef { code: "tax", zh: "税费", en: "Taxes and fees", side: Side::Spending },
    CategoryDef { code: "other_spending", zh: "其他支出", en: "Other spending", side: Side::Spending },
];

/// Whether a category belongs in an account of `kind`: the maintenance fund
/// takes deposits, repairs from the fund, interest, openings and the two
/// "other" lines; other accounts take everything but the fund's own lines.
pub fn fits(kind: AccountKind, code: &str) -> bool {
    match kind {
        AccountKind::Fund => {
            matches!(code, OPENING | "fund_deposit" | "fund_repair" | "interest" | "other_income" | "other_spending")
        }
        _ => !code.starts_with("fund_"),
    }
}

/// The largest amount of one entry: ten billion yuan.
pub const AMOUNT_MAX_FEN: i64 = 1_000_000_000_000;
/// Spending above this needs the committee's approval unless the account says otherwise (5,000 yuan).
pub const DEFAULT_THRESHOLD_FEN: i64 = 500_000;
/// Statements are due by this day of the following month.
pub const STATEMENT_DUE_DAY: u32 = 15;
/// Vouchers: at most this many per entry, each at most this many bytes.
pub const VOUCHERS_MAX: usize = 6;
pub const VOUCHER_MAX_BYTES: usize = crate::problem::PHOTO_MAX_BYTES;

/// A category code: lower-case letters, digits and `_`, 2–32 long.
pub fn check_code(code: &str) -> Result<(), Invalid> {
    let ok = (2..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new("category", format!("{code:?} is not a category code (a-z, 0-9 and _, 2 to 32 long)"))
            .zh(format!("“{code}”不是有效的科目代码（小写字母、数字和下划线，2 至 32 位）")))
    }
}

/// A text field of an entry or account: trimmed, at most `max` characters, no control characters.
pub fn check_text(field: &'static str, s: &str, max: usize, required: bool) -> Result<(), Invalid> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(Invalid::new(field, "is required").zh("必填"));
    }
    if t.chars().count() > max {
        return Err(Invalid::new(field, format!("at most {max} characters")).zh(format!("不能超过 {max} 个字符")));
    }
    crate::text::check(field, t)
}

/// An amount given by a person: positive whole fen, within bounds.
pub fn check_amount(fen: i64) -> Result<(), Invalid> {
    if fen <= 0 || fen > AMOUNT_MAX_FEN {
        return Err(Invalid::new("amount_fen", "must be more than 0 and at most 10,000,000,000 yuan")
            .zh("金额须大于 0 且不超过 100 亿元"));
    }
    Ok(())
}

/// Yuan as written in a workbook or a form ("1,234.5", "-20") to fen, exactly.
pub fn parse_yuan(field: &'static str, s: &str) -> Result<i64, Invalid> {
    let bad = || {
        Invalid::new(field, format!("{s:?} is not an amount in yuan (up to two decimals)"))
            .zh(format!("“{s}”不是以元为单位的金额（最多两位小数）"))
    };
    // Full-width digits and point (a Chinese keyboard's) read as ASCII.
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' => '-',
            c => c,
        })
        .collect();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_owned()),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || whole.len() > 11
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let fen = w * 100 + f;
    if fen > AMOUNT_MAX_FEN {
        return Err(bad());
    }
    Ok(if neg { -fen } else { fen })
}

/// Fen as yuan with two decimals and thousands separators: `-1,234.50`.
pub fn yuan(fen: i64) -> String {
    let neg = fen < 0;
    let a = fen.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, a % 100)
}

/// A bank account number shown to someone who does not manage it: its last four digits.
pub fn mask_account(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return String::new();
    }
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("**** {tail}")
}

/// The signed amount an entry adds to the balance: income adds, spending takes away.
pub fn signed(side: Side, amount_fen: i64) -> i64 {
    match side {
        Side::Income => amount_fen,
        Side::Spending => -amount_fen,
    }
}

/// What authorises a spending entry, as the gate needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub basis: Basis,
    pub quotes: i32,
    /// What is left of the approved amount.
    pub remaining_fen: i64,
}

/// The rules a spending entry must meet before it is written. `amount_fen`
/// is positive; income, openings and reversals pass without a gate.
/// - From the maintenance fund: a passed owners' vote or the emergency procedure.
/// - Above the account's threshold: the committee's approval (or a vote), and
///   three quotes where the account's rules say so.
/// - An approval covers at most the amount it approved, all entries together.
pub fn gate(
    kind: AccountKind,
    amount_fen: i64,
    threshold_fen: i64,
    three_quotes: bool,
    auth: Option<&Authority>,
) -> Result<(), Invalid> {
    if kind == AccountKind::Fund {
        match auth {
            Some(a) if matches!(a.basis, Basis::Vote | Basis::Emergency) => {}
            _ => {
                return Err(Invalid::new(
                    "approval_id",
                    "spending from the maintenance fund needs a passed owners' vote or the emergency procedure",
                )
                .zh("使用专项维修资金须经业主共同决定通过，或按应急程序使用"));
            }
        }
    } else if amount_fen > threshold_fen && auth.is_none() {
        return Err(Invalid::new(
            "approval_id",
            format!("spending above {} yuan needs the committee's approval", yuan(threshold_fen)),
        )
        .zh(format!("单笔支出超过 {} 元须经业主委员会批准", yuan(threshold_fen))));
    }
    if let Some(a) = auth {
        if three_quotes && amount_fen > threshold_fen && a.basis != Basis::Emergency && a.quotes < 3 {
            return Err(Invalid::new("approval_id", "this compound's rules ask for three quotes for this spending")
                .zh("按本小区规定，此项支出须有三家报价"));
        }
        if amount_fen > a.remaining_fen {
            return Err(Invalid::new(
                "amount_fen",
                format!("the approval has {} yuan left", yuan(a.remaining_fen.max(0))),
            )
            .zh(format!("该审批剩余额度为 {} 元", yuan(a.remaining_fen.max(0)))));
        }
    }
    Ok(())
}

/// The first day of `d`'s month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `month`.
pub fn next_month(month: NaiveDate) -> NaiveDate {
    let (y, m) = if month.month() == 12 { (month.year() + 1, 1) } else { (month.year(), month.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(month)
}

/// The day a month's statement is due: the 15th of the following month.
pub fn statement_due(month: NaiveDate) -> NaiveDate {
    next_month(month).with_day(STATEMENT_DUE_DAY).unwrap_or(month)
}

/// The month whose statement is due to be published next: the month after
/// the last published (or the opening month), if it has ended by `today` and
/// the account was open in it.
pub fn next_to_publish(
    opened_on: NaiveDate,
    closed_on: Option<NaiveDate>,
    last_published: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let next = last_published.map_or(month_of(opened_on), next_month);
    let ended = next_month(next) <= today;
    let open = closed_on.is_none_or(|c| next < c);
    (ended && open).then_some(next)
}

/// A month as written `2026-10` (also `2026-10-01`).
pub fn parse_month(field: &'static str, s: &str) -> Result<NaiveDate, Invalid> {
    let t = s.trim();
    let d = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .map_err(|_| {
            Invalid::new(field, format!("{t:?} is not a month (YYYY-MM)")).zh(format!("“{t}”不是月份（YYYY-MM）"))
        })?;
    if !(2000..=2100).contains(&d.year()) {
        return Err(Invalid::new(field, "is out of range").zh("超出范围"));
    }
    Ok(month_of(d))
}

/// An entry as the chain hashes it: every stored column that says what happened.
#[derive(Debug, Clone)]
pub struct Chained<'a> {
    pub compound_id: i64,
    pub seq: i64,
    pub account_id: i64,
    pub entry_date: NaiveDate,
    pub category: &'a str,
    pub amount_fen: i64,
    pub counterparty: &'a str,
    pub description: &'a str,
    pub reverses: Option<i64>,
    pub approval_id: Option<i64>,
    /// The building a maintenance-fund entry is kept under.
    pub building_id: Option<i64>,
    /// The vouchers' SHA-256, in the order attached.
    pub vouchers: &'a [String],
    pub entered_by: &'a str,
    /// RFC 3339, as stored.
    pub entered_at: &'a str,
}

/// The hash before a compound's first entry.
pub const GENESIS: &str = "";

/// SHA-256 over the previous hash and every field, each length-prefixed, so
/// no two different entries hash alike and editing any field shows.
pub fn entry_hash(prev: &str, e: &Chained<'_>) -> String {
    let mut h = Sha256::new();
    h.update(b"gongzhi-ledger-v1");
    let nums = [
        e.compound_id.to_string(),
        e.seq.to_string(),
        e.account_id.to_string(),
        e.entry_date.to_string(),
        e.amount_fen.to_string(),
        e.reverses.map(|r| r.to_string()).unwrap_or_default(),
        e.approval_id.map(|r| r.to_string()).unwrap_or_default(),
        e.building_id.map(|r| r.to_string()).unwrap_or_default(),
    ];
    let texts = [prev, e.category, e.counterparty, e.description, e.entered_by, e.entered_at];
    for p in nums.iter().map(String::as_str).chain(texts).chain(e.vouchers.iter().map(String::as_str)) {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A compound's chain head as published: `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl serde::Serialize for Head {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}:{}", self.seq, self.hash))
    }
}

impl std::str::FromStr for Head {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Head, Invalid> {
        let bad = || Invalid::new("head", format!("{s:?} is not SEQ:HASH")).zh(format!("“{s}”不是“序号:哈希”"));
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Head { seq, hash: hash.to_ascii_lowercase() })
    }
}

/// One line of a statement: a category's sum in the month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerLine))]
pub struct Line {
    pub category: String,
    pub side: Side,
    /// Positive for money in on an income line and money out on a spending
    /// line; a reversal counts against its own line.
    pub amount_fen: i64,
    pub entries: i64,
}

/// A month's statement of one account, as sums of its entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = LedgerSummary))]
pub struct Summary {
    pub opening_fen: i64,
    pub income_fen: i64,
    pub spending_fen: i64,
    pub closing_fen: i64,
    pub entries: i64,
    pub lines: Vec<Line>,
}

/// Sum a month's entries `(category, side, signed amount)` onto the opening balance.
pub fn summarise<'a>(opening_fen: i64, entries: impl IntoIterator<Item = (&'a str, Side, i64)>) -> Summary {
    let mut lines: Vec<Line> = Vec::new();
    let (mut income, mut spending, mut n, mut net) = (0i64, 0i64, 0i64, 0i64);
    for (cat, side, signed_fen) in entries {
        n += 1;
        net += signed_fen;
        let shown = match side {
            Side::Income => signed_fen,
            Side::Spending => -signed_fen,
        };
        match side {
            Side::Income => income += shown,
            Side::Spending => spending += shown,
        }
        match lines.iter_mut().find(|l| l.category == cat && l.side == side) {
            Some(l) => {
                l.amount_fen += shown;
                l.entries += 1;
            }
            None => lines.push(Line { category: cat.to_owned(), side, amount_fen: shown, entries: 1 }),
        }
    }
    lines.sort_by(|a, b| (a.side, &a.category).cmp(&(b.side, &b.category)));
    Summary {
        opening_fen,
        income_fen: income,
        spending_fen: spending,
        closing_fen: opening_fen + net,
        entries: n,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn yuan_round_trips_exactly() {
        assert_eq!(parse_yuan("a", "1,234.5").unwrap(), 123_450);
        assert_eq!(parse_yuan("a", "-20").unwrap(), -2000);
        assert_eq!(parse_yuan("a", "0.07").unwrap(), 7);
        assert_eq!(parse_yuan("a", "１２３．４").unwrap(), 12_340);
        assert!(fits(AccountKind::Fund, "fund_repair") && !fits(AccountKind::Fund, "cleaning"));
        assert!(!fits(AccountKind::Common, "fund_repair") && fits(AccountKind::Common, "cleaning"));
        for bad in ["", "1.234", "abc", "1e5", "--1", "99999999999999", "NaN", "1.-2"] {
            assert!(parse_yuan("a", bad).is_err(), "{bad}");
        }
        assert_eq!(yuan(123_450), "1,234.50");
        assert_eq!(yuan(-7), "-0.07");
        assert_eq!(yuan(100_000_000), "1,000,000.00");
    }

    #[test]
    fn the_gates() {
        let committee = Authority { basis: Basis::Committee, quotes: 1, remaining_fen: 1_000_000 };
        let vote = Authority { basis: Basis::Vote, quotes: 3, remaining_fen: 1_000_000 };
        let emergency = Authority { basis: Basis::Emergency, quotes: 0, remaining_fen: 1_000_000 };
        // Small common spending passes; above the threshold it needs an approval.
        assert!(gate(AccountKind::Common, 500_000, 500_000, false, None).is_ok());
        assert!(gate(AccountKind::Common, 500_001, 500_000, false, None).is_err());
        assert!(gate(AccountKind::Common, 500_001, 500_000, false, Some(&committee)).is_ok());
        // Three quotes where the rules ask for them.
        assert!(gate(AccountKind::Common, 500_001, 500_000, true, Some(&committee)).is_err());
        assert!(gate(AccountKind::Common, 500_001, 500_000, true, Some(&vote)).is_ok());
        // The fund: never without a vote or the emergency procedure, however small.
        assert!(gate(AccountKind::Fund, 100, 500_000, false, None).is_err());
        assert!(gate(AccountKind::Fund, 100, 500_000, false, Some(&committee)).is_err());
        assert!(gate(AccountKind::Fund, 100, 500_000, false, Some(&vote)).is_ok());
        assert!(gate(AccountKind::Fund, 100, 500_000, true, Some(&emergency)).is_ok());
        // Never beyond what was approved.
        assert!(gate(AccountKind::Fund, 1_000_001, 500_000, false, Some(&vote)).is_err());
    }

    #[test]
    fn months_and_due_dates() {
        assert_eq!(month_of(d(2026, 10, 31)), d(2026, 10, 1));
        assert_eq!(next_month(d(2026, 12, 1)), d(2027, 1, 1));
        assert_eq!(statement_due(d(2026, 12, 1)), d(2027, 1, 15));
        assert_eq!(parse_month("m", "2026-02").unwrap(), d(2026, 2, 1));
        // Next due: the month after the last published, once it has ended, while the account is open.
        assert_eq!(next_to_publish(d(2026, 3, 9), None, None, d(2026, 4, 1)), Some(d(2026, 3, 1)));
        assert_eq!(next_to_publish(d(2026, 3, 9), None, None, d(2026, 3, 31)), None);
        assert_eq!(next_to_publish(d(2026, 3, 9), None, Some(d(2026, 9, 1)), d(2026, 11, 28)), Some(d(2026, 10, 1)));
        assert_eq!(next_to_publish(d(2026, 3, 9), Some(d(2026, 10, 1)), Some(d(2026, 9, 1)), d(2026, 11, 28)), None);
        assert!(parse_month("m", "2026-13").is_err());
        assert!(parse_month("m", "1900-01").is_err());
    }

    #[test]
    fn every_field_is_in_the_hash() {
        let v = vec!["ab".to_owned()];
        let e = Chained {
            compound_id: 1,
            seq: 1,
            account_id: 2,
            entry_date: d(2026, 1, 5),
            category: "fees",
            amount_fen: 100,
            counterparty: "x",
            description: "y",
            reverses: None,
            approval_id: None,
            building_id: None,
            vouchers: &v,
            entered_by: "u",
            entered_at: "2026-01-05T00:00:00Z",
        };
        let h = entry_hash(GENESIS, &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, entry_hash(GENESIS, &Chained { amount_fen: 101, ..e.clone() }));
        assert_ne!(h, entry_hash(GENESIS, &Chained { description: "", counterparty: "xy", ..e.clone() }));
        assert_ne!(h, entry_hash(GENESIS, &Chained { vouchers: &[], ..e.clone() }));
        assert_ne!(h, entry_hash("00", &e));
        assert_eq!(h, entry_hash(GENESIS, &e));
        let head: Head = format!("3:{h}").parse().unwrap();
        assert_eq!(head.seq, 3);
        assert!("3:abc".parse::<Head>().is_err());
    }

    #[test]
    fn a_statement_is_the_sum_of_its_entries() {
        let s = summarise(
            10_000,
            [("fees", Side::Income, 5_000), ("cleaning", Side::Spending, -2_000), ("cleaning", Side::Spending, 500)],
        );
        assert_eq!(s.income_fen, 5_000);
        // A reversal of a spending entry reduces the spending line.
        assert_eq!(s.spending_fen, 1_500);
        assert_eq!(s.closing_fen, 10_000 + 5_000 - 1_500);
        assert_eq!(s.opening_fen + s.income_fen - s.spending_fen, s.closing_fen);
        assert_eq!(s.lines.len(), 2);
        assert_eq!(mask_account("6222 0212 3456 7890"), "**** 7890");
    }
}
