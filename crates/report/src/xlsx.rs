//! The bulletin as an Excel workbook: a summary sheet and one sheet per KPI,
//! formatted to print (A4 landscape, header row repeated, fitted to width).

use rust_xlsxwriter::{Chart, ChartType, Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::{Bulletin, RATE_HEADS, name_zh, pct};

/// Shares and changes are numbers with number formats, so they sort, sum
/// and chart in Excel and WPS; where there is no base the cell says "—".
struct Cells {
    text: Format,
    share: Format,
    points: Format,
    count: Format,
}

impl Cells {
    fn new(base: &Format) -> Cells {
        Cells {
            text: base.clone(),
            share: base.clone().set_num_format("0.0%").set_align(FormatAlign::Right),
            points: base.clone().set_num_format("+0.0;-0.0;0.0").set_align(FormatAlign::Right),
            count: base.clone().set_num_format("0").set_align(FormatAlign::Right),
        }
    }

    /// A share (as shown on the page, rounded to 0.1%) or "—".
    fn share(&self, ws: &mut Worksheet, r: u32, c: u16, x: domain::kpi::Ratio) -> Result<(), XlsxError> {
        self.permille(ws, r, c, x.permille())
    }

    fn permille(&self, ws: &mut Worksheet, r: u32, c: u16, p: Option<i64>) -> Result<(), XlsxError> {
        match p {
            Some(p) => ws.write_number_with_format(r, c, p as f64 / 1000.0, &self.share)?,
            None => ws.write_string_with_format(r, c, "—", &self.text)?,
        };
        Ok(())
    }

    /// A change in percentage points, or "—".
    fn points(&self, ws: &mut Worksheet, r: u32, c: u16, p: Option<i64>) -> Result<(), XlsxError> {
        match p {
            Some(p) => ws.write_number_with_format(r, c, p as f64 / 10.0, &self.points)?,
            None => ws.write_string_with_format(r, c, "—", &self.text)?,
        };
        Ok(())
    }

    fn count(&self, ws: &mut Worksheet, r: u32, c: u16, n: i64) -> Result<(), XlsxError> {
        ws.write_number_with_format(r, c, n as f64, &self.count)?;
        Ok(())
    }

    /// How far below target, in points; "已达标" when met, "—" without a target.
    fn gap(&self, ws: &mut Worksheet, r: u32, c: u16, gap: Option<i64>) -> Result<(), XlsxError> {
        match gap {
            Some(0) => ws.write_string_with_format(r, c, "已达标", &self.text)?,
            Some(g) => {
                ws.write_number_with_format(r, c, g as f64 / 10.0, &self.points.clone().set_num_format("0.0"))?
            }
            None => ws.write_string_with_format(r, c, "—", &self.text)?,
        };
        Ok(())
    }
}

pub fn bulletin_xlsx(b: &Bulletin) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF2DCDB))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin);
    let num = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::Right);
    let lag = Format::new().set_border(FormatBorder::Thin).set_font_color(Color::RGB(0xB71C1C)).set_bold();
    let (plain, lagging) = (Cells::new(&cell), Cells::new(&lag));

    let ws = wb.add_worksheet();
    ws.set_name("概况")?;
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    let title_text = format!("{}红色物业工作月度调度通报（{}）", b.region_name, b.month);
    ws.merge_range(0, 0, 0, 5, &cell_text(&title_text), &title)?;
    ws.write_string(1, 0, format!("数据截至 {}", b.as_of))?;
    // Summary lines wrap inside the printed width instead of running off the page.
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (i, line) in b.summary().iter().enumerate() {
        let r = 3 + i as u32;
        ws.merge_range(r, 0, r, 5, &cell_text(line), &wrap)?;
        ws.set_row_height(r, 32)?;
    }
    let r0 = 5 + b.sections.len() as u32;
    for (c, h) in ["指标", "本月", "上月", "变化(百分点)", "目标", "分子", "分母"].iter().enumerate() {
        ws.write_string_with_format(r0, c as u16, *h, &head)?;
    }
    for (i, s) in b.sections.iter().enumerate() {
        let r = r0 + 1 + i as u32;
        let before = b.previous.get(s.kpi);
        ws.write_string_with_format(r, 0, name_zh(s.kpi), &cell)?;
        plain.share(ws, r, 1, s.region_value)?;
        plain.share(ws, r, 2, before)?;
        plain.points(ws, r, 3, s.region_value.permille().zip(before.permille()).map(|(a, c)| a - c))?;
        plain.permille(ws, r, 4, s.target)?;
        plain.count(ws, r, 5, s.region_value.num)?;
        plain.count(ws, r, 6, s.region_value.den)?;
    }
    let r1 = r0 + 2 + b.sections.len() as u32;
    for (i, (label, v)) in [
        ("小区数", b.totals.compounds),
        ("红色驿站", b.totals.red_stations),
        ("社区专职工作者", b.totals.community_workers),
        ("仅选派党建指导员的物业企业", b.totals.company_instructor_only),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r1 + i as u32, 0, *label, &cell)?;
        ws.write_number_with_format(r1 + i as u32, 1, *v as f64, &num)?;
    }
    ws.set_column_width(0, 30)?;
    for c in 1..7 {
        ws.set_column_width(c, 12)?;
    }

    for s in &b.sections {
        let ws = wb.add_worksheet();
        // Excel sheet names: at most 31 characters, none of []:*?/\
        let name: String = name_zh(s.kpi).replace(['“', '”'], "").chars().take(31).collect();
        ws.set_name(&name)?;
        ws.set_landscape().set_paper_size(9).set_repeat_rows(1, 1)?;
        ws.set_print_fit_to_pages(1, 0);
        let title_text = format!("{}（{}，目标 {}）", name_zh(s.kpi), b.month, pct(s.target));
        ws.merge_range(0, 0, 0, 7, &title_text, &title)?;
        for (c, h) in
            ["排名", "区划", "本月", "上月", "变化(百分点)", "距目标(百分点)", "分子", "分母"].iter().enumerate()
        {
            ws.write_string_with_format(1, c as u16, *h, &head)?;
        }
        for (i, row) in s.rows.iter().enumerate() {
            let r = 2 + i as u32;
            let f = if row.laggard { &lagging } else { &plain };
            f.count(ws, r, 0, row.rank as i64)?;
            ws.write_string_with_format(r, 1, cell_text(&row.name), &f.text)?;
            f.share(ws, r, 2, row.now)?;
            f.share(ws, r, 3, row.before)?;
            f.points(ws, r, 4, row.change)?;
            f.gap(ws, r, 5, row.gap)?;
            f.count(ws, r, 6, row.now.num)?;
            f.count(ws, r, 7, row.now.den)?;
        }
        ws.set_column_width(1, 24)?;
        for c in 2..8 {
            ws.set_column_width(c, 12)?;
        }
        // The ranking as a bar chart beside the table, this month against last.
        if !s.rows.is_empty() {
            let last = 1 + s.rows.len() as u32;
            let mut chart = Chart::new(ChartType::Bar);
            chart.title().set_name(&title_text);
            for (col, label) in [(2u16, "本月"), (3u16, "上月")] {
                chart.add_series().set_name(label).set_categories((name.as_str(), 2, 1, last, 1)).set_values((
                    name.as_str(),
                    2,
                    col,
                    last,
                    col,
                ));
            }
            chart.x_axis().set_num_format("0%");
            chart.y_axis().set_reverse();
            chart.set_height(120 + 22 * s.rows.len().min(40) as u32);
            ws.insert_chart(1, 9, &chart)?;
        }
    }
    // The month's hotline: per child region, then per company.
    let ws = wb.add_worksheet();
    ws.set_name("诉求办理")?;
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.merge_range(0, 0, 0, 5, &format!("群众诉求办理情况（{}）", b.month), &title)?;
    let mut r = 1u32;
    for (first, rows) in [("区划", &b.problem_regions), ("物业企业", &b.problem_companies)] {
        r += 1;
        ws.write_string_with_format(r, 0, first, &head)?;
        for (c, h) in RATE_HEADS.iter().enumerate() {
            ws.write_string_with_format(r, 1 + c as u16, *h, &head)?;
        }
        if rows.is_empty() {
            r += 1;
            ws.write_string_with_format(r, 0, "（无）", &cell)?;
        }
        for g in rows.iter() {
            r += 1;
            let x = &g.rates;
            ws.write_string_with_format(r, 0, cell_text(&g.name), &cell)?;
            plain.count(ws, r, 1, x.submitted)?;
            for (c, ratio) in [x.response(), x.resolution(), x.on_time(), x.satisfaction()].into_iter().enumerate() {
                plain.share(ws, r, 2 + c as u16, ratio)?;
            }
        }
        r += 1;
    }
    ws.set_column_width(0, 36)?;
    for c in 1..6 {
        ws.set_column_width(c, 14)?;
    }
    // Rectification and grading: the region, then each child; the red list.
    let ws = wb.add_worksheet();
    ws.set_name("整改与四色管理")?;
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.merge_range(0, 0, 0, 6, &format!("整改通知单与现场督导（截至 {}）", b.as_of), &title)?;
    ws.write_string_with_format(2, 0, "区划", &head)?;
    for (c, h) in crate::OVERSIGHT_HEADS.iter().enumerate() {
        ws.write_string_with_format(2, 1 + c as u16, *h, &head)?;
    }
    let mut r = 2u32;
    for crate::OversightRow { name, figures: f } in &b.oversight {
        r += 1;
        ws.write_string_with_format(r, 0, cell_text(name), &cell)?;
        for (c, v) in crate::oversight_cells(f).iter().enumerate() {
            ws.write_string_with_format(r, 1 + c as u16, v, &num)?;
        }
    }
    if !b.red.is_empty() {
        r += 2;
        ws.merge_range(r, 0, r, 3, &cell_text(&format!("{}最低等级物业企业", b.red_period)), &head)?;
        for (c, h) in ["物业企业", "等级", "得分", "服务小区"].iter().enumerate() {
            ws.write_string_with_format(r + 1, c as u16, *h, &head)?;
        }
        r += 1;
        for x in &b.red {
            r += 1;
            ws.write_string_with_format(r, 0, cell_text(&x.company_name), &lag)?;
            ws.write_string_with_format(r, 1, cell_text(&x.grade), &cell)?;
            ws.write_string_with_format(r, 2, format!("{}.{}", x.score / 10, x.score % 10), &num)?;
            ws.write_number_with_format(r, 3, f64::from(x.compounds), &num)?;
        }
    }
    ws.set_column_width(0, 36)?;
    for c in 1..7 {
        ws.set_column_width(c, 14)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("议事协商与业主表决")?;
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.merge_range(0, 0, 0, 6, &format!("议事协商与业主表决（{}年{}月）", b.month.year, b.month.month), &title)?;
    ws.write_string_with_format(2, 0, "区划", &head)?;
    for (c, h) in crate::CONSULT_HEADS.iter().enumerate() {
        ws.write_string_with_format(2, 1 + c as u16, *h, &head)?;
    }
    let mut r = 2u32;
    for crate::ConsultRow { name, figures: f } in &b.consultation {
        r += 1;
        ws.write_string_with_format(r, 0, cell_text(name), &cell)?;
        for (c, v) in crate::consult_cells(f).iter().enumerate() {
            ws.write_string_with_format(r, 1 + c as u16, v, &num)?;
        }
    }
    ws.set_column_width(0, 24)?;
    for c in 1..=6 {
        ws.set_column_width(c, 14)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("账目公开")?;
    ws.set_landscape().set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.merge_range(0, 0, 0, 6, &format!("账目公开（{}年{}月）", b.month.year, b.month.month), &title)?;
    ws.write_string_with_format(2, 0, "区划", &head)?;
    for (c, h) in crate::LEDGER_HEADS.iter().enumerate() {
        ws.write_string_with_format(2, 1 + c as u16, *h, &head)?;
    }
    let mut r = 2u32;
    for crate::LedgerRow { name, figures: f } in &b.ledger {
        r += 1;
        ws.write_string_with_format(r, 0, cell_text(name), &cell)?;
        // Counts and money as numbers; the models and the rate as shown.
        for (c, v) in [f.due, f.open, f.not_open()].iter().enumerate() {
            ws.write_number_with_format(r, 1 + c as u16, *v as f64, &num)?;
        }
        let cells = crate::ledger_cells(f);
        ws.write_string_with_format(r, 4, &cells[3], &num)?;
        match f.disclosure_permille() {
            Some(p) => ws.write_number_with_format(r, 5, p as f64 / 1000.0, &num.clone().set_num_format("0.0%"))?,
            None => ws.write_string_with_format(r, 5, "—", &num)?,
        };
        match f.fund_per_household() {
            Some(fen) => ws.write_number_with_format(r, 6, fen as f64 / 100.0, &num)?,
            None => ws.write_string_with_format(r, 6, "—", &num)?,
        };
    }
    ws.set_column_width(0, 24)?;
    for c in 1..=6 {
        ws.set_column_width(c, 16)?;
    }
    wb.save_to_buffer()
}

/// Text for a cell: without the characters XML cannot carry, and within
/// Excel's 32,767 characters (a longer one makes the whole file fail).
fn cell_text(s: &str) -> String {
    const MAX: usize = 32_767;
    let s = domain::text::printable(s);
    if s.chars().count() <= MAX { s.into_owned() } else { s.chars().take(MAX - 1).chain(['…']).collect() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_stay_within_excel() {
        assert_eq!(super::cell_text("新湖\u{7}街道"), "新湖街道");
        let long = "长".repeat(40_000);
        let t = super::cell_text(&long);
        assert_eq!(t.chars().count(), 32_767);
        assert!(t.ends_with('…'));
    }
}
