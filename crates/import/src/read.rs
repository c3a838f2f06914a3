//! Reading a workbook into plain text cells: XLSX (calamine) or a folder of CSV files.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};

/// Text cells by sheet; `rows[0]` is the header.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    pub sheets: Vec<RawSheet>,
}

#[derive(Debug, Clone)]
pub struct RawSheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

impl RawSheet {
    /// A sheet from a header and its rows (generated workbooks: demo, tests).
    pub fn new(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> RawSheet {
        let mut all = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
        all.extend(rows);
        RawSheet { name: name.into(), rows: all }
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        // Whole numbers typed into Excel arrive as floats: 2020.0 means 2020.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Data::DateTime(_) | Data::DateTimeIso(_) => d.as_date().map(|x| x.to_string()).unwrap_or_else(|| d.to_string()),
        other => other.to_string(),
    }
}

pub fn read_xlsx(bytes: &[u8]) -> Result<Workbook, String> {
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| format!("not a readable .xlsx file: {e}"))?;
    let mut out = Workbook::default();
    for name in wb.sheet_names().to_owned() {
        let range = wb.worksheet_range(&name).map_err(|e| format!("sheet {name}: {e}"))?;
        // Keep row numbers true to the sheet even when it starts below row 1.
        let start = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); start];
        rows.extend(range.rows().map(|r| r.iter().map(cell_text).collect()));
        out.sheets.push(RawSheet { name, rows });
    }
    Ok(out)
}

/// Every `*.csv` in a folder is a sheet named after the file.
pub fn read_csv_dir(dir: &Path) -> Result<Workbook, String> {
    let mut out = Workbook::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
            rows.push(rec.iter().map(|s| s.trim().to_owned()).collect());
        }
        out.sheets.push(RawSheet { name, rows });
    }
    Ok(out)
}

/// An `.xlsx` file or a folder of CSV files.
pub fn read_path(path: &Path) -> Result<Workbook, String> {
    if path.is_dir() {
        read_csv_dir(path)
    } else {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        read_xlsx(&bytes)
    }
}
