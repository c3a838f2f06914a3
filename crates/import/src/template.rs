//! The template workbook users download and fill in.

use rust_xlsxwriter::{DataValidation, Format, Workbook, XlsxError};

use crate::spec::SHEETS;

/// Rows a drop-down covers below the header (a web import takes at most 10,000).
const LIST_ROWS: u32 = 10_000;

/// The values a column may take, offered as a drop-down (as the loader spells them).
fn choices(sheet: &str, key: &str) -> Option<&'static [&'static str]> {
    use domain::org::{CommitteeStatus, OrgKind, PartyCoverage, PartyLevel, PostRole};
    Some(match (sheet, key) {
        (_, "is_old" | "is_pmc" | "is_public_servant") => &["是", "否"],
        (_, "party_coverage") => PartyCoverage::NAMES,
        (_, "status") => CommitteeStatus::NAMES,
        (_, "party_level") => PartyLevel::NAMES,
        (_, "role") => PostRole::NAMES,
        (_, "org_kind" | "from_kind" | "to_kind") => OrgKind::NAMES,
        (_, "relation") => domain::org::Relation::NAMES,
        ("other_orgs", "kind") => &["sponsor_unit", "cooperative", "red_station"],
        ("compound_history", "kind") => domain::history::FactKind::NAMES,
        ("owners", "developer") => &["是", "否"],
        ("owners", "area_source") => &["登记", "实测", "合同"],
        ("owners", "kind") => &["住宅", "车位", "商铺"],
        _ => return None,
    })
}

/// One filled-in example per sheet (the notes sheet shows it; the data
/// sheets stay empty so the template imports as nothing until filled in).
fn example(sheet: &str, key: &str) -> &'static str {
    match (sheet, key) {
        ("grids", "code") => "371402001009001",
        ("grids", "name") => "第一网格",
        (_, "community_code") => "371402001009",
        (_, "region_code") => "371402001009",
        ("compounds", "name") | (_, "compound") => "丰华小区",
        ("compounds", "address") => "新湖大街12号",
        ("compounds", "year_built") => "2003",
        ("compounds", "is_old") => "是",
        ("compounds", "households") => "480",
        ("compounds", "floor_area") => "41250.5",
        ("compounds", "lat") => "37.4513",
        ("compounds", "long") => "116.3575",
        ("buildings", "name") | ("posts", "building") => "1号楼",
        ("buildings", "floors") => "6",
        ("buildings", "entrances") => "3",
        ("buildings", "units_per_floor") => "2",
        ("buildings", "unit_area") => "86.5",
        ("companies", "credit_code") => "91371402MA3C5E8N1A",
        ("companies", "name") => "德州丰华物业服务有限公司",
        ("companies", "party_coverage") => "own_branch",
        ("owners_committees", "name") => "丰华小区第二届业主委员会",
        ("owners_committees", "term_start") => "2021-05-01",
        ("owners_committees", "term_end") => "2026-04-30",
        ("owners_committees", "status") => "in_office",
        ("party_orgs", "name") => "丰华小区党支部",
        ("party_orgs", "party_level") => "compound_branch",
        ("other_orgs", "kind") => "red_station",
        ("other_orgs", "name") => "丰华红色驿站",
        ("relations", "relation") => "formed",
        ("relations", "from_kind") => "party_org",
        ("relations", "from_region") | ("relations", "to_region") => "371402001009",
        ("relations", "from_org") => "丰华社区党委",
        ("relations", "to_kind") => "owners_committee",
        ("relations", "to_org") => "丰华小区第二届业主委员会",
        ("relations", "date") => "2021-04-20",
        ("people", "name") => "张三",
        ("people", "phone") | ("posts", "phone") => "13800000000",
        ("people", "is_public_servant") => "否",
        ("posts", "role") => "building_head",
        (_, "start_date") | (_, "effective_from") | (_, "established") => "2021-06-01",
        ("compound_history", "kind") => "service_model",
        ("compound_history", "value") => "party_led",
        ("owners", "building") => "1号楼",
        ("owners", "entrance") => "1",
        ("owners", "number") => "301",
        ("owners", "owners") => "张三、李四",
        ("owners", "id_tails") => "1234、567X",
        ("owners", "phone") => "13800000000",
        ("owners", "developer") => "否",
        ("owners", "area") => "86.52",
        ("owners", "area_source") => "登记",
        ("owners", "kind") => "住宅",
        ("owners", "since") => "2016-06-01",
        _ => "",
    }
}

/// A column's note as the cell's pop-up (Excel allows 255 characters; a
/// longer note is cut there and points to the notes sheet, which has it whole).
fn input_message(note: &str) -> String {
    const MAX: usize = 255;
    if note.chars().count() <= MAX {
        return note.to_owned();
    }
    let more = " …（见说明表 notes）";
    let keep: String = note.chars().take(MAX - more.chars().count()).collect();
    format!("{keep}{more}")
}

/// One sheet per kind with bilingual headers `中文 (key)`, an example row in
/// the compounds sheet, and a notes sheet saying what each column holds.
pub fn template_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#F2DCDB");
    let required = Format::new().set_bold().set_background_color("#F4B183");
    for s in SHEETS {
        let ws = wb.add_worksheet();
        // Chinese first for the people who fill it in; the key keeps it unambiguous.
        ws.set_name(format!("{} {}", s.zh, s.name))?;
        for (i, c) in s.cols.iter().enumerate() {
            let f = if c.required { &required } else { &head };
            ws.write_string_with_format(0, i as u16, format!("{} ({})", c.zh, c.key), f)?;
            ws.set_column_width(i as u16, 18)?;
            if let Some(list) = choices(s.name, c.key) {
                // A list longer than Excel's 255 characters is left to the notes.
                if let Ok(dv) = DataValidation::new().allow_list_strings(list) {
                    let dv = dv.ignore_blank(true).set_input_title(c.zh)?.set_input_message(input_message(c.note))?;
                    ws.add_data_validation(1, i as u16, LIST_ROWS, i as u16, &dv)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    let notes = wb.add_worksheet();
    notes.set_name("说明 notes")?;
    let mut r = 0u32;
    notes.write_string_with_format(r, 0, "sheet 工作表", &head)?;
    notes.write_string_with_format(r, 1, "column 列", &head)?;
    notes.write_string_with_format(r, 2, "required 必填", &head)?;
    notes.write_string_with_format(r, 3, "example 示例", &head)?;
    notes.write_string_with_format(r, 4, "what goes in it 填写说明", &head)?;
    for s in SHEETS {
        for c in s.cols {
            r += 1;
            notes.write_string(r, 0, format!("{} {}", s.zh, s.name))?;
            notes.write_string(r, 1, format!("{} ({})", c.zh, c.key))?;
            notes.write_string(r, 2, if c.required { "是 yes" } else { "" })?;
            notes.write_string(r, 3, example(s.name, c.key))?;
            notes.write_string(r, 4, c.note)?;
        }
    }
    notes.set_column_width(0, 22)?;
    notes.set_column_width(1, 24)?;
    notes.set_column_width(3, 22)?;
    notes.set_column_width(4, 90)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_names_sheets_in_both_languages_offers_lists_and_shows_valid_examples() {
        let cc = example("companies", "credit_code");
        let good = domain::org::CreditCode::complete(&cc[..17]).unwrap().to_string();
        assert_eq!(cc, good, "the example credit code passes its own check");
        for s in SHEETS {
            assert!(crate::spec::sheet_spec(&format!("{} {}", s.zh, s.name)).is_some_and(|x| x.name == s.name));
        }
        let wb = crate::read_xlsx(&template_xlsx().unwrap()).unwrap();
        assert_eq!(wb.sheets[0].name, "网格 grids");
        assert_eq!(wb.sheets[1].name, "小区 compounds");
        assert!(
            wb.sheets.iter().all(|s| s.rows.len() <= 1 || s.name.contains("说明")),
            "data sheets hold only their headers"
        );
    }
}
