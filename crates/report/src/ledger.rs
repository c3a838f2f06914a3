//! A compound account's monthly statement (收支情况公示) for the notice board
//! and the owners' phones: XLSX with amounts as numbers (they sum and sort in
//! Excel, WPS and LibreOffice) and DOCX in the usual printed form.

use db::ledger::{Category, Entry, Statement};
use domain::ledger::{Side, yuan};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// What a printed statement shows.
pub struct StatementDoc<'a> {
    pub compound: &'a str,
    pub account: &'a str,
    /// 共有资金账户 …, and the model (信托制 …).
    pub kind_zh: &'a str,
    pub model_zh: &'a str,
    /// The bank and the account number as the reader may see it.
    pub bank: String,
    pub statement: &'a Statement,
    /// The month's entries (empty for a reader who sees totals only).
    pub entries: &'a [Entry],
    pub chart: &'a [Category],
}

impl StatementDoc<'_> {
    pub fn title(&self) -> String {
        let draft = if self.statement.published_on.is_none() { "（草稿）" } else { "" };
        format!("{draft}{}{}{}收支情况公示", self.compound, self.statement.month.format("%Y年%m月"), self.account)
    }

    pub fn category(&self, code: &str) -> String {
        self.chart.iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.zh.clone())
    }

    fn side(&self, code: &str) -> Side {
        self.chart.iter().find(|c| c.code == code).map_or(Side::Income, |c| c.side)
    }

    /// Published day and the chain head, or that it is a draft.
    pub fn footer(&self) -> String {
        let s = self.statement;
        match (s.published_on, &s.head) {
            (Some(p), Some(h)) => {
                format!("公开日期：{p}（应于 {} 前公开）  账本校验：第 {} 笔 {}", s.due_on, h.seq, h.hash)
            }
            (Some(p), None) => format!("公开日期：{p}（应于 {} 前公开）", s.due_on),
            _ => format!("草稿，尚未公开（应于 {} 前公开）", s.due_on),
        }
    }

    /// The entry's amount as income (positive) or spending (positive), in yuan.
    pub fn in_out(&self, e: &Entry) -> (Option<f64>, Option<f64>) {
        let v = e.amount_fen as f64 / 100.0;
        match self.side(&e.category) {
            Side::Income => (Some(v), None),
            Side::Spending => (None, Some(-v)),
        }
    }
}

fn money(fen: i64) -> f64 {
    fen as f64 / 100.0
}

pub fn statement_xlsx(d: &StatementDoc) -> Result<Vec<u8>, XlsxError> {
    let s = &d.statement.summary;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("收支公示")?;
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let num = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let text = |t: &str| domain::text::printable(t).into_owned();
    ws.write_string_with_format(0, 0, text(&d.title()), &title)?;
    ws.write_string(1, 0, format!("{}（{}）  {}", d.kind_zh, d.model_zh, text(&d.bank)))?;
    let mut r = 3u32;
    for (label, v) in [
        ("期初余额", s.opening_fen),
        ("本月收入", s.income_fen),
        ("本月支出", s.spending_fen),
        ("期末余额", s.closing_fen),
    ] {
        ws.write_string_with_format(r, 0, label, &bold)?;
        ws.write_number_with_format(r, 1, money(v), &num)?;
        r += 1;
    }
    r += 1;
    for (c, h) in ["收支", "科目", "金额（元）", "笔数"].iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &bold)?;
    }
    r += 1;
    for l in &s.lines {
        ws.write_string(r, 0, if l.side == Side::Income { "收入" } else { "支出" })?;
        ws.write_string(r, 1, d.category(&l.category))?;
        ws.write_number_with_format(r, 2, money(l.amount_fen), &num)?;
        ws.write_number(r, 3, l.entries as f64)?;
        r += 1;
    }
    if !d.entries.is_empty() {
        r += 1;
        let heads = ["序号", "日期", "科目", "收入（元）", "支出（元）", "对方", "摘要", "凭证", "冲销"];
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, *h, &bold)?;
        }
        r += 1;
        for e in d.entries {
            ws.write_number(r, 0, e.seq as f64)?;
            let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str(&e.entry_date.to_string())?;
            ws.write_datetime_with_format(r, 1, &dt, &date)?;
            ws.write_string(r, 2, d.category(&e.category))?;
            let (i, o) = d.in_out(e);
            if let Some(i) = i {
                ws.write_number_with_format(r, 3, i, &num)?;
            }
            if let Some(o) = o {
                ws.write_number_with_format(r, 4, o, &num)?;
            }
            ws.write_string(r, 5, text(&e.counterparty))?;
            ws.write_string(r, 6, text(&e.description))?;
            ws.write_number(r, 7, e.vouchers.len() as f64)?;
            if let Some(x) = e.reverses {
                ws.write_string(r, 8, format!("冲销 #{x}"))?;
            }
            r += 1;
        }
    }
    r += 1;
    ws.write_string(r, 0, d.footer())?;
    for (c, w) in [8.0, 12.0, 18.0, 14.0, 14.0, 18.0, 36.0, 6.0, 10.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_landscape();
    ws.set_paper_size(9);
    wb.save_to_buffer()
}

/// A one-line summary of the totals, for the DOCX and the page.
pub fn totals_line(s: &Statement) -> String {
    let m = &s.summary;
    format!(
        "期初余额 {} 元，本月收入 {} 元，本月支出 {} 元，期末余额 {} 元。",
        yuan(m.opening_fen),
        yuan(m.income_fen),
        yuan(m.spending_fen),
        yuan(m.closing_fen)
    )
}
