//! The bulletin as a Word document in the usual form: title, issuing body,
//! date, summary, then one section with a ranking table per KPI, and the
//! hotline's rates per region and per company.

use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts, Table, TableCell, TableRow};

use crate::{Bulletin, RATE_HEADS, name_zh, pct, rate_cells, signed};

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
    let title = Paragraph::new()
        .add_run(run(&format!("{}红色物业工作月度调度通报", b.region_name)).bold().size(40))
        .align(AlignmentType::Center);
    let mut doc = Docx::new()
        .add_paragraph(title)
        .add_paragraph(para(&format!("（{}）", b.month)).align(AlignmentType::Center))
        .add_paragraph(para(issuer).align(AlignmentType::Center))
        .add_paragraph(para(&format!("数据截至{}", b.as_of.format("%Y年%m月%d日"))).align(AlignmentType::Center))
        .add_paragraph(Paragraph::new().add_run(run("一、总体情况").bold().size(30)));
    for line in b.summary() {
        doc = doc.add_paragraph(para(&line));
    }
    const NUMBERS: [&str; 10] = ["二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"];
    for (i, s) in b.sections.iter().enumerate() {
        doc = doc.add_paragraph(Paragraph::new().add_run(
            run(&format!("{}、{}（目标 {}）", NUMBERS[i.min(9)], name_zh(s.kpi), pct(s.target))).bold().size(30),
        ));
        let mut rows = vec![TableRow::new(
            ["排名", "区划", "本月", "上月", "变化(百分点)", "距目标(百分点)"].iter().map(|h| cell(h, true)).collect(),
        )];
        for r in &s.rows {
            let name = if r.laggard { format!("{}（滞后）", r.name) } else { r.name.clone() };
            rows.push(TableRow::new(vec![
                cell(&r.rank.to_string(), false),
                cell(&name, r.laggard),
                cell(&r.now.percent_text(), false),
                cell(&r.before.percent_text(), false),
                cell(&signed(r.change), false),
                cell(&pct(r.gap), false),
            ]));
        }
        doc = doc.add_table(Table::new(rows));
    }
    doc = doc.add_paragraph(
        Paragraph::new()
            .add_run(run(&format!("{}、群众诉求办理情况", NUMBERS[b.sections.len().min(9)])).bold().size(30)),
    );
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
        doc = doc.add_table(Table::new(rows)).add_paragraph(para(""));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.into_inner())
}
