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

/// How much of a workbook a reader accepts. A hostile `.xlsx` is small on
/// the wire and huge inside: a 1.5 KB file whose one sheet names cells A1 and
/// XFD1048576 makes a dense reader allocate half a terabyte. These bounds are
/// checked before anything is built, while the file is read as a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The sum of every part's size once decompressed.
    pub unzipped_bytes: u64,
    /// Rows (counted to the last row that has a cell) over all sheets.
    pub rows: usize,
    /// The rightmost column a cell may sit in (1 = A).
    pub columns: usize,
    pub sheets: usize,
    /// Characters in one cell.
    pub cell_chars: usize,
}

impl Limits {
    /// Uploads through the web: an officer's workbook, read while others work.
    pub const WEB: Limits =
        Limits { unzipped_bytes: 256 << 20, rows: 50_000, columns: 64, sheets: 32, cell_chars: 4_000 };
    /// The command line, run by an operator on their own files: as large as Excel goes.
    pub const CLI: Limits =
        Limits { unzipped_bytes: 4 << 30, rows: 1_048_576, columns: 64, sheets: 32, cell_chars: 32_767 };
}

/// Why a workbook could not be read, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub en: String,
    pub zh: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

fn unreadable(en: impl Into<String>, zh: impl Into<String>) -> Unreadable {
    Unreadable { en: en.into(), zh: zh.into() }
}

/// Spreadsheet column letters of a 0-based column index (0 → A, 26 → AA).
pub fn column_letters(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Decompress every part once, counting, and stop at the limit: a zip bomb
/// is refused before the spreadsheet reader inflates any of it.
fn check_unzipped(bytes: &[u8], limit: u64) -> Result<(), Unreadable> {
    let not_xlsx = |e: &dyn std::fmt::Display| {
        unreadable(format!("not a readable .xlsx file: {e}"), format!("无法读取该 Excel 文件（不是有效的 .xlsx）：{e}"))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    let too_big = || {
        unreadable(
            format!("the workbook unpacks to more than {} MB", limit >> 20),
            format!("该工作簿解压后超过 {} MB", limit >> 20),
        )
    };
    if zip.len() > 10_000 {
        return Err(too_big());
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| not_xlsx(&e))?;
        let left = limit.saturating_sub(total);
        let n =
            std::io::copy(&mut std::io::Read::take(entry, left + 1), &mut std::io::sink()).map_err(|e| not_xlsx(&e))?;
        total += n;
        if total > limit {
            return Err(too_big());
        }
    }
    Ok(())
}

/// Read an `.xlsx` into text cells within `limits`.
pub fn read_xlsx_within(bytes: &[u8], limits: Limits) -> Result<Workbook, Unreadable> {
    check_unzipped(bytes, limits.unzipped_bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        unreadable(format!("not a readable .xlsx file: {e}"), format!("无法读取该 Excel 文件（不是有效的 .xlsx）：{e}"))
    })?;
    let names = wb.sheet_names().to_owned();
    if names.len() > limits.sheets {
        return Err(unreadable(
            format!("the workbook has {} sheets; at most {} are read", names.len(), limits.sheets),
            format!("该工作簿有 {} 个工作表，最多读取 {} 个", names.len(), limits.sheets),
        ));
    }
    let mut out = Workbook::default();
    let mut rows_so_far = 0usize;
    for name in names {
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| unreadable(format!("sheet {name}: {e}"), format!("工作表「{name}」无法读取：{e}")))?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        loop {
            let cell = match cells.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    return Err(unreadable(format!("sheet {name}: {e}"), format!("工作表「{name}」无法读取：{e}")));
                }
            };
            let (r, c) = cell.get_position();
            let (r, c) = (r as usize, c as usize);
            let at = format!("{}{}", column_letters(c), r + 1);
            if c >= limits.columns {
                return Err(unreadable(
                    format!(
                        "sheet {name} cell {at}: beyond column {}; at most {} columns are read",
                        column_letters(limits.columns - 1),
                        limits.columns
                    ),
                    format!(
                        "工作表「{name}」单元格 {at}：超出 {} 列，最多读取 {} 列",
                        column_letters(limits.columns - 1),
                        limits.columns
                    ),
                ));
            }
            if rows_so_far + r >= limits.rows {
                return Err(unreadable(
                    format!("sheet {name} cell {at}: more than {} rows in the workbook", limits.rows),
                    format!("工作表「{name}」单元格 {at}：整个工作簿超过 {} 行", limits.rows),
                ));
            }
            let value: Data = cell.get_value().clone().into();
            let text = cell_text(&value);
            if text.is_empty() {
                continue;
            }
            if text.chars().count() > limits.cell_chars {
                return Err(unreadable(
                    format!("sheet {name} cell {at}: more than {} characters", limits.cell_chars),
                    format!("工作表「{name}」单元格 {at}：超过 {} 个字符", limits.cell_chars),
                ));
            }
            // Row numbers stay true to the sheet even when it starts below row 1.
            if rows.len() <= r {
                rows.resize_with(r + 1, Vec::new);
            }
            let row = &mut rows[r];
            if row.len() <= c {
                row.resize_with(c + 1, String::new);
            }
            row[c] = text;
        }
        rows_so_far += rows.len();
        out.sheets.push(RawSheet { name, rows });
    }
    Ok(out)
}

/// Read an `.xlsx` as the command line does (see `Limits::CLI`).
pub fn read_xlsx(bytes: &[u8]) -> Result<Workbook, String> {
    read_xlsx_within(bytes, Limits::CLI).map_err(|e| e.en)
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
