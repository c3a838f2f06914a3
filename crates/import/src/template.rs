//! The template workbook users download and fill in.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::spec::SHEETS;

/// One sheet per kind with bilingual headers `中文 (key)`, an example row in
/// the compounds sheet, and a notes sheet saying what each column holds.
pub fn template_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#F2DCDB");
    let required = Format::new().set_bold().set_background_color("#F4B183");
    for s in SHEETS {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (i, c) in s.cols.iter().enumerate() {
            let f = if c.required { &required } else { &head };
            ws.write_string_with_format(0, i as u16, format!("{} ({})", c.zh, c.key), f)?;
            ws.set_column_width(i as u16, 18)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    let notes = wb.add_worksheet();
    notes.set_name("说明 notes")?;
    let mut r = 0u32;
    notes.write_string_with_format(r, 0, "sheet 工作表", &head)?;
    notes.write_string_with_format(r, 1, "column 列", &head)?;
    notes.write_string_with_format(r, 2, "required 必填", &head)?;
    notes.write_string_with_format(r, 3, "what goes in it 填写说明", &head)?;
    for s in SHEETS {
        for c in s.cols {
            r += 1;
            notes.write_string(r, 0, format!("{} {}", s.name, s.zh))?;
            notes.write_string(r, 1, format!("{} ({})", c.zh, c.key))?;
            notes.write_string(r, 2, if c.required { "是 yes" } else { "" })?;
            notes.write_string(r, 3, c.note)?;
        }
    }
    notes.set_column_width(0, 22)?;
    notes.set_column_width(1, 24)?;
    notes.set_column_width(3, 90)?;
    wb.save_to_buffer()
}

/// Write a workbook of text cells as `.xlsx` (tests, and exports of what was loaded).
pub fn to_xlsx(wb: &crate::Workbook) -> Result<Vec<u8>, XlsxError> {
    let mut out = Workbook::new();
    for sheet in &wb.sheets {
        let ws = out.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, domain::text::printable(cell))?;
                }
            }
        }
    }
    out.save_to_buffer()
}
