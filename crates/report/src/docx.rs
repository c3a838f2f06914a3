//! The bulletin as a Word document in the usual form: title, issuing body,
//! date, summary, then one section with a ranking table per KPI, and the
//! hotline's rates per region and per company.

use docx_rs::{
    AlignmentType, Docx, Paragraph, Pic, Run, RunFonts, Style, StyleType, Table, TableCell, TableRow, WidthType,
};

use crate::{Bulletin, RATE_HEADS, name_zh, pct, rate_cells, signed};

/// The body width of an A4 page with the default margins, in twentieths of a point.
const BODY: usize = 9000;

/// Word's own heading styles (by their built-in names), so the document has
/// an outline, a navigation pane and a table of contents.
fn headings(doc: Docx) -> Docx {
    let fonts = || RunFonts::new().east_asia("黑体").ascii("Times New Roman");
    doc.add_style(
        Style::new("Title", StyleType::Paragraph)
            .name("Title")
            .size(40)
            .bold()
            .fonts(fonts())
            .align(AlignmentType::Center),
    )
    .add_style(
        Style::new("Heading1", StyleType::Paragraph).name("heading 1").size(30).bold().fonts(fonts()).outline_lvl(0),
    )
}

/// A table on a real column grid: `weights` share the body width.
fn table(rows: Vec<TableRow>, weights: &[usize]) -> Table {
    let total: usize = weights.iter().sum::<usize>().max(1);
    let grid: Vec<usize> = weights.iter().map(|w| BODY * w / total).collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            let TableRow { cells, .. } = r;
            let widths = grid.clone();
            TableRow::new(
                cells
                    .into_iter()
                    .zip(widths)
                    .map(|(c, w)| match c {
                        docx_rs::TableRowChild::TableCell(c) => c.width(w, WidthType::Dxa),
                    })
                    .collect(),
            )
        })
        .collect();
    Table::new(rows).set_grid(grid).width(BODY, WidthType::Dxa)
}

/// The ranking's bar chart (`png::bars`) at the body's width, with its caption.
fn chart(s: &crate::Section) -> Vec<Paragraph> {
    if s.rows.is_empty() {
        return vec![];
    }
    let values: Vec<(Option<i64>, bool)> = s.rows.iter().map(|r| (r.now.permille(), r.laggard)).collect();
    let (png, w, h) = crate::png::bars(&values, s.target);
    // 6 inches wide (EMU: 914,400 an inch), the height in proportion.
    let w_emu = 6 * 914_400u32;
    let pic = Pic::new_with_dimensions(png, w, h).size(w_emu, (u64::from(w_emu) * u64::from(h) / u64::from(w)) as u32);
    let more = if s.rows.len() > crate::png::MAX_BARS {
        format!("（前 {} 名）", crate::png::MAX_BARS)
    } else {
        String::new()
    };
    let target = s.target.map(|t| format!("；红色虚线为目标 {}", pct(Some(t)))).unwrap_or_default();
    vec![
        Paragraph::new().add_run(Run::new().add_image(pic)),
        para(&format!(
            "图：{}本月排名{more}，自上而下与下表同序；绿色为达标，红色为未达目标{target}。",
            name_zh(s.kpi)
        ))
        .align(AlignmentType::Center),
    ]
}

fn heading(text: &str) -> Paragraph {
    Paragraph::new().style("Heading1").add_run(run(text))
}

/// How far below target; "已达标" when met.
fn gap_text(gap: Option<i64>) -> String {
    match gap {
        Some(0) => "已达标".into(),
        g => pct(g).trim_end_matches('%').to_owned(),
    }
}

/// Every text goes through here: characters XML cannot carry are dropped (see `domain::text`).
fn run(text: &str) -> Run {
    Run::new().add_text(domain::text::printable(text)).fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman"))
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn cell(text: &str, bold: bool) -> TableCell {
    let r = if bold { run(text).bold() } else { run(text) };
    TableCell::new().add_paragraph(Paragraph::new().add_run(r))
}

/// `issuer` is the body that issues the bulletin (e.g. 德州市红色物业工作专班).
pub fn bulletin_docx(b: &Bulletin, issuer: &str) -> Result<Vec<u8>, String> {
    let title = Paragraph::new().style("Title").add_run(run(&format!("{}红色物业工作月度调度通报", b.region_name)));
    let mut doc = headings(Docx::new())
        .add_paragraph(title)
        .add_paragraph(para(&format!("（{}）", b.month)).align(AlignmentType::Center))
        .add_paragraph(para(issuer).align(AlignmentType::Center))
        .add_paragraph(para(&format!("数据截至{}", b.as_of.format("%Y年%m月%d日"))).align(AlignmentType::Center))
        .add_paragraph(heading("一、总体情况"));
    for line in b.summary() {
        doc = doc.add_paragraph(para(&line));
    }
    const NUMBERS: [&str; 10] = ["二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"];
    for (i, s) in b.sections.iter().enumerate() {
        doc =
            doc.add_paragraph(heading(&format!("{}、{}（目标 {}）", NUMBERS[i.min(9)], name_zh(s.kpi), pct(s.target))));
        let mut rows = vec![TableRow::new(
            ["排名", "区划", "本月", "上月", "变化(百分点)", "距目标(百分点)", "分子/分母"]
                .iter()
                .map(|h| cell(h, true))
                .collect(),
        )];
        for r in &s.rows {
            let name = if r.laggard { format!("{}（滞后）", r.name) } else { r.name.clone() };
            rows.push(TableRow::new(vec![
                cell(&r.rank.to_string(), false),
                cell(&name, r.laggard),
                cell(&r.now.percent_text(), false),
                cell(&r.before.percent_text(), false),
                cell(&signed(r.change), false),
                cell(&gap_text(r.gap), false),
                cell(&format!("{}/{}", r.now.num, r.now.den), false),
            ]));
        }
        for p in chart(s) {
            doc = doc.add_paragraph(p);
        }
        doc = doc.add_table(table(rows, &[6, 22, 10, 10, 12, 12, 12]));
    }
    doc = doc.add_paragraph(heading(&format!("{}、群众诉求办理情况", NUMBERS[b.sections.len().min(9)])));
    for (first, groups) in [("区划", &b.problem_regions), ("物业企业", &b.problem_companies)] {
        if groups.is_empty() {
            continue;
        }
        let mut rows = vec![TableRow::new(std::iter::once(first).chain(RATE_HEADS).map(|h| cell(h, true)).collect())];
        for g in groups.iter() {
            let mut cells = vec![cell(&g.name, false)];
            cells.extend(rate_cells(&g.rates).iter().map(|v| cell(v, false)));
            rows.push(TableRow::new(cells));
        }
        doc = doc.add_table(table(rows, &[30, 10, 10, 10, 12, 10])).add_paragraph(para(""));
    }
    doc = doc.add_paragraph(heading(&format!("{}、整改通知单与四色管理", NUMBERS[(b.sections.len() + 1).min(9)])));
    let mut rows =
        vec![TableRow::new(std::iter::once("区划").chain(crate::OVERSIGHT_HEADS).map(|h| cell(h, true)).collect())];
    for crate::OversightRow { name, figures: f } in &b.oversight {
        let mut cells = vec![cell(name, false)];
        cells.extend(crate::oversight_cells(f).iter().map(|v| cell(v, false)));
        rows.push(TableRow::new(cells));
    }
    doc = doc.add_table(table(rows, &[24, 12, 10, 12, 12, 10, 14])).add_paragraph(para(""));
    if !b.red.is_empty() {
        let names: Vec<String> = b
            .red
            .iter()
            .map(|r| format!("{}（{}，{}.{}分）", r.company_name, r.grade, r.score / 10, r.score % 10))
            .collect();
        doc = doc.add_paragraph(para(&format!("{}评价为最低等级的物业企业：{}。", b.red_period, names.join("、"))));
    }
    doc = doc.add_paragraph(heading(&format!("{}、议事协商与业主表决", NUMBERS[(b.sections.len() + 2).min(9)])));
    let mut rows =
        vec![TableRow::new(std::iter::once("区划").chain(crate::CONSULT_HEADS).map(|h| cell(h, true)).collect())];
    for crate::ConsultRow { name, figures: f } in &b.consultation {
        let mut cells = vec![cell(name, false)];
        cells.extend(crate::consult_cells(f).iter().map(|v| cell(v, false)));
        rows.push(TableRow::new(cells));
    }
    doc = doc.add_table(table(rows, &[24, 12, 12, 10, 12, 14, 12])).add_paragraph(para(""));
    doc = doc.add_paragraph(heading(&format!("{}、账目公开", NUMBERS[(b.sections.len() + 3).min(9)])));
    let mut rows =
        vec![TableRow::new(std::iter::once("区划").chain(crate::LEDGER_HEADS).map(|h| cell(h, true)).collect())];
    for crate::LedgerRow { name, figures: f } in &b.ledger {
        let mut cells = vec![cell(name, false)];
        cells.extend(crate::ledger_cells(f).iter().map(|v| cell(v, false)));
        rows.push(TableRow::new(cells));
    }
    doc = doc.add_table(table(rows, &[22, 14, 10, 10, 16, 14, 14])).add_paragraph(para(""));
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.into_inner())
}

/// A rectification notice as printed (整改通知单): what `notice_docx` needs.
pub struct NoticeDoc {
    pub number: String,
    /// The issuing region's name (德城区新湖街道办事处 …).
    pub issuer: String,
    pub company: String,
    pub compounds: Vec<String>,
    /// Each item and the day it was closed (销号), if it was.
    pub items: Vec<(String, Option<chrono::NaiveDate>)>,
    pub requirement: String,
    pub issued_on: chrono::NaiveDate,
    pub deadline: chrono::NaiveDate,
}

/// The notice in the usual printed form: title, number, addressee, the
/// faults as numbered items, the requirement and deadline, the issuer and
/// date, and a receipt line for the company to sign (签收).
pub fn notice_docx(n: &NoticeDoc) -> Result<Vec<u8>, String> {
    let date = |d: chrono::NaiveDate| d.format("%Y年%m月%d日").to_string();
    let mut doc = headings(Docx::new())
        .add_paragraph(Paragraph::new().style("Title").add_run(run("物业服务整改通知单")))
        .add_paragraph(para(&format!("编号：{}", n.number)).align(AlignmentType::Right))
        .add_paragraph(para(&format!("{}：", n.company)))
        .add_paragraph(para(&format!("经检查，你单位服务的{}存在以下问题，现通知如下：", n.compounds.join("、"))));
    let mut rows = vec![TableRow::new(vec![cell("序号", true), cell("存在问题", true), cell("销号", true)])];
    for (i, (it, closed)) in n.items.iter().enumerate() {
        let closed = closed.map(|d| d.format("%m月%d日").to_string()).unwrap_or_default();
        rows.push(TableRow::new(vec![cell(&(i + 1).to_string(), false), cell(it, false), cell(&closed, false)]));
    }
    doc = doc
        .add_table(table(rows, &[8, 76, 16]))
        .add_paragraph(para(""))
        .add_paragraph(para(&format!("整改要求：{}", n.requirement)))
        .add_paragraph(para(&format!(
            "请于{}前完成整改，并将整改情况（附整改前后照片）书面报送。逾期未整改的，将提级督办，并计入物业服务企业信用评价。",
            date(n.deadline)
        )))
        .add_paragraph(para(""))
        .add_paragraph(para(&n.issuer).align(AlignmentType::Right))
        .add_paragraph(para(&date(n.issued_on)).align(AlignmentType::Right))
        .add_paragraph(para(""))
        .add_paragraph(para("签收人：________________    签收日期：________________"));
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.into_inner())
}

/// A compound account's monthly statement as printed for the notice board.
pub fn statement_docx(d: &crate::ledger::StatementDoc) -> Result<Vec<u8>, String> {
    use domain::ledger::{Side, yuan};
    let s = &d.statement.summary;
    let mut doc = headings(Docx::new())
        .add_paragraph(Paragraph::new().style("Title").add_run(run(&d.title())))
        .add_paragraph(para(&format!("{}（{}）  {}", d.kind_zh, d.model_zh, d.bank)))
        .add_paragraph(para(&crate::ledger::totals_line(d.statement)));
    let mut rows =
        vec![TableRow::new(vec![cell("收支", true), cell("科目", true), cell("金额（元）", true), cell("笔数", true)])];
    for l in &s.lines {
        rows.push(TableRow::new(vec![
            cell(if l.side == Side::Income { "收入" } else { "支出" }, false),
            cell(&d.category(&l.category), false),
            cell(&yuan(l.amount_fen), false),
            cell(&l.entries.to_string(), false),
        ]));
    }
    doc = doc.add_table(table(rows, &[12, 48, 26, 14]));
    if !d.entries.is_empty() {
        doc = doc.add_paragraph(para("")).add_paragraph(heading("收支明细"));
        let mut rows = vec![TableRow::new(
            ["序号", "日期", "科目", "收入", "支出", "摘要", "凭证"].iter().map(|h| cell(h, true)).collect(),
        )];
        for e in d.entries {
            let (i, o) = d.in_out(e);
            let f = |x: Option<f64>| x.map(|v| yuan((v * 100.0).round() as i64)).unwrap_or_default();
            let what = if e.counterparty.is_empty() {
                e.description.clone()
            } else {
                format!("{}（{}）", e.description, e.counterparty)
            };
            rows.push(TableRow::new(vec![
                cell(&e.seq.to_string(), false),
                cell(&e.entry_date.format("%m-%d").to_string(), false),
                cell(&d.category(&e.category), false),
                cell(&f(i), false),
                cell(&f(o), false),
                cell(&what, false),
                cell(&e.vouchers.len().to_string(), false),
            ]));
        }
        doc = doc.add_table(table(rows, &[7, 9, 16, 13, 13, 34, 8]));
    }
    doc = doc
        .add_paragraph(para(""))
        .add_paragraph(para(&d.footer()))
        .add_paragraph(para("业主可登录共治系统查阅每一笔收支及凭证；如有疑问，请向业主委员会反映。"));
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.into_inner())
}
