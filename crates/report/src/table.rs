//! Any list as a plain workbook that opens in Excel and WPS: one sheet, a
//! bold header row that stays in view with filters on it, numbers as
//! numbers and times as times (so they sort and sum), columns sized.

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// One cell of a list.
pub enum Cell {
    Text(String),
    Int(i64),
    /// A measure with decimals (an area in m²), shown to two places.
    Decimal(f64),
    /// A local time (the caller has already moved it to Beijing time).
    Time(NaiveDateTime),
}

/// Text cells longer than this are cut (Excel's own limit is 32,767).
const CELL_MAX: usize = 32_000;

pub fn table_xlsx(sheet: &str, heads: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let head = Format::new().set_bold();
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let decimal = Format::new().set_num_format("#,##0.00");
    let mut widths: Vec<usize> = heads.iter().map(|h| h.chars().count() * 2 + 2).collect();
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &head)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            let w = match cell {
                Cell::Text(s) => {
                    let s: String = s.chars().take(CELL_MAX).collect();
                    ws.write_string(r, col, &s)?;
                    s.chars().map(|ch| if ch.is_ascii() { 1 } else { 2 }).sum::<usize>()
                }
                Cell::Int(n) => {
                    ws.write_number(r, col, *n as f64)?;
                    n.to_string().len()
                }
                Cell::Decimal(x) => {
                    ws.write_number_with_format(r, col, *x, &decimal)?;
                    12
                }
                Cell::Time(t) => {
                    let d = ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        t.second() as f64,
                    )?;
                    ws.write_datetime_with_format(r, col, &d, &time)?;
                    16
                }
            };
            if let Some(m) = widths.get_mut(c) {
                *m = (*m).max(w.min(60));
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w as f64 + 1.0)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !heads.is_empty() {
        ws.autofilter(0, 0, rows.len() as u32, heads.len() as u16 - 1)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_becomes_a_workbook() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(20, 30, 0).unwrap();
        let rows = vec![vec![Cell::Int(7), Cell::Text("=1+1 电梯坏了".into()), Cell::Time(t)]];
        let bytes = table_xlsx("诉求", &["编号", "描述", "时间"], &rows).unwrap();
        assert_eq!(&bytes[..2], b"PK", "a zip (xlsx) file");
        assert!(table_xlsx("bad/name", &["a"], &[]).is_err(), "sheet names are checked");
    }
}
