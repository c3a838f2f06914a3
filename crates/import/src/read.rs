//! Reading a workbook into plain text cells: XLSX (calamine) or a folder of CSV files.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};

/// Text cells by sheet; `rows[0]` is the header.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    pub sheets: Vec<RawSheet>,
}

/// A sheet's rows as the spreadsheet numbers them (`rows[0]` is row 1).
/// Rows are ragged: each ends at its last non-empty cell, and an empty row
/// is an empty list, so a sparse hostile sheet costs no more than its cells.
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
    /// Bytes of text held over the whole workbook. A cell that refers to a
    /// shared string gets its own copy, so a small file whose every cell
    /// names one long string would otherwise fill the memory.
    pub text_bytes: usize,
}

impl Limits {
    /// Uploads through the web: an officer's workbook, read while others work.
    pub const WEB: Limits = Limits {
        unzipped_bytes: 64 << 20,
        rows: 10_000,
        columns: 64,
        sheets: 32,
        cell_chars: 4_000,
        text_bytes: 32 << 20,
    };
    /// The command line, run by an operator on their own files: as large as Excel goes.
    pub const CLI: Limits = Limits {
        unzipped_bytes: 4 << 30,
        rows: 1_048_576,
        columns: 64,
        sheets: 32,
        cell_chars: 32_767,
        text_bytes: 4 << 30,
    };
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
        unreadable(
            format!("not a readable .xlsx file: {e}"),
            "无法读取该文件：它不是有效的 Excel 工作簿（.xlsx）。请在 Excel 或 WPS 中另存为 .xlsx 后重试",
        )
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

/// Read an `.xlsx` into text cells within `limits`. A hostile file is an
/// error, never a crash: should the spreadsheet reader panic on one, that too
/// is reported as an unreadable file.
pub fn read_xlsx_within(bytes: &[u8], limits: Limits) -> Result<Workbook, Unreadable> {
    std::panic::catch_unwind(|| read_bounded(bytes, limits)).unwrap_or_else(|_| {
        Err(unreadable("not a readable .xlsx file: its structure is broken", "无法读取该 Excel 文件：文件结构已损坏"))
    })
}

fn read_bounded(bytes: &[u8], limits: Limits) -> Result<Workbook, Unreadable> {
    check_unzipped(bytes, limits.unzipped_bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        unreadable(
            format!("not a readable .xlsx file: {e}"),
            "无法读取该文件：它不是有效的 Excel 工作簿（.xlsx）。请在 Excel 或 WPS 中另存为 .xlsx 后重试",
        )
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
    let mut held = 0usize;
    for name in names {
        let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| {
            unreadable(format!("sheet {name}: {e}"), format!("工作表「{name}」无法读取，文件可能已损坏"))
        })?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        loop {
            let cell = match cells.next_cell() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    return Err(unreadable(
                        format!("sheet {name}: {e}"),
                        format!("工作表「{name}」无法读取，文件可能已损坏"),
                    ));
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
            // Measure before copying: a shared string is copied into every cell that names it.
            let long = match cell.get_value() {
                calamine::DataRef::SharedString(t) => t.len(),
                calamine::DataRef::String(t) => t.len(),
                _ => 0,
            };
            if long > limits.cell_chars * 4 {
                return Err(unreadable(
                    format!("sheet {name} cell {at}: more than {} characters", limits.cell_chars),
                    format!("工作表「{name}」单元格 {at}：超过 {} 个字符", limits.cell_chars),
                ));
            }
            let value: Data = cell.get_value().clone().into();
            let text = cell_text(&value);
            held += text.len();
            if held > limits.text_bytes {
                return Err(unreadable(
                    format!(
                        "sheet {name} cell {at}: the workbook holds more than {} MB of text",
                        limits.text_bytes >> 20
                    ),
                    format!("工作表「{name}」单元格 {at}：工作簿中的文字超过 {} MB", limits.text_bytes >> 20),
                ));
            }
            if text.is_empty() {
                continue;
            }
            if let Some((i, ch)) = domain::text::first_forbidden(&text) {
                return Err(unreadable(
                    format!("sheet {name} cell {at}: character {} is the control character U+{:04X}", i + 1, ch as u32),
                    format!("工作表「{name}」单元格 {at}：第 {} 个字符是不允许的控制字符 U+{:04X}", i + 1, ch as u32),
                ));
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
            for (c, cell) in rec.iter().enumerate() {
                if let Some((_, ch)) = domain::text::first_forbidden(cell) {
                    return Err(format!(
                        "{}:{}: column {}: the control character U+{:04X} is not allowed",
                        path.display(),
                        i + 1,
                        c + 1,
                        ch as u32
                    ));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, v) in cells {
            ws.write_string(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn cells_far_away_are_refused_before_anything_is_built() {
        let e = read_xlsx_within(&xlsx(&[(0, 0, "a"), (1_048_575, 16_383, "b")]), Limits::WEB).unwrap_err();
        assert!(e.en.contains("XFD1048576"), "{}", e.en);
        assert!(e.zh.contains("XFD1048576"), "{}", e.zh);
        let e = read_xlsx_within(&xlsx(&[(0, 0, "a"), (60_000, 0, "b")]), Limits::WEB).unwrap_err();
        assert!(e.en.contains("A60001") && e.en.contains("10000 rows"), "{}", e.en);
        // The command line reads as deep as Excel goes.
        let wb = read_xlsx_within(&xlsx(&[(0, 0, "a"), (60_000, 1, "b")]), Limits::CLI).unwrap();
        assert_eq!(wb.sheets[0].rows.len(), 60_001);
        assert_eq!(wb.sheets[0].rows[60_000], ["", "b"]);
    }

    #[test]
    fn a_zip_bomb_is_measured_not_inflated() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/sharedStrings.xml", opts).unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..3 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
        let bytes = buf.into_inner();
        assert!(bytes.len() < 20_000, "{}", bytes.len());
        let small = Limits { unzipped_bytes: 2 << 20, ..Limits::WEB };
        assert!(small.text_bytes > 0);
        let e = read_xlsx_within(&bytes, small).unwrap_err();
        assert!(e.en.contains("unpacks to more than 2 MB"), "{}", e.en);
    }

    /// One long shared string named by every cell: a few hundred KB on the
    /// wire, gigabytes if each cell kept its copy.
    #[test]
    fn shared_strings_cannot_amplify_a_small_file() {
        let long = "长".repeat(1_300);
        let cells: Vec<(u32, u16, &str)> = (0..2_000u32).flat_map(|r| (0..64u16).map(move |c| (r, c, ""))).collect();
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, _) in &cells {
            ws.write_string(*r, *c, &long).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        assert!(bytes.len() < 2_000_000, "{}", bytes.len());
        let e = read_xlsx_within(&bytes, Limits::WEB).unwrap_err();
        assert!(e.en.contains("MB of text"), "{}", e.en);
    }

    #[test]
    fn control_characters_in_cells_are_refused_naming_the_cell() {
        let e = read_xlsx_within(&xlsx(&[(0, 0, "ok"), (6, 1, "铃\u{7}声")]), Limits::WEB).unwrap_err();
        assert!(e.en.contains("cell B7") && e.en.contains("U+0007"), "{}", e.en);
    }

    #[test]
    fn columns_and_long_cells_are_bounded_and_letters_are_right() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert!(read_xlsx_within(&xlsx(&[(0, 64, "x")]), Limits::WEB).unwrap_err().en.contains("BM1"));
        let long = "长".repeat(4_001);
        assert!(read_xlsx_within(&xlsx(&[(0, 0, &long)]), Limits::WEB).unwrap_err().en.contains("4000 characters"));
    }

    /// Fuzz: bytes of a real workbook, flipped, cut and spliced at random
    /// (a fixed seed, so a failure repeats), never crash the reader: each is
    /// a workbook or a clear error.
    #[test]
    fn mangled_workbooks_are_errors_never_crashes() {
        let good = crate::template_xlsx().unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..300 {
            let mut b = good.clone();
            match next() % 4 {
                0 => {
                    for _ in 0..1 + next() % 8 {
                        let i = (next() as usize) % b.len();
                        b[i] ^= 1 << (next() % 8);
                    }
                }
                1 => b.truncate((next() as usize) % b.len()),
                2 => {
                    let i = (next() as usize) % b.len();
                    let j = (next() as usize) % b.len();
                    b.splice(i..i, good[j..(j + 64).min(good.len())].iter().copied());
                }
                _ => {
                    let i = (next() as usize) % b.len();
                    let n = ((next() as usize) % 64).min(b.len() - i);
                    b.drain(i..i + n);
                }
            }
            match read_xlsx_within(&b, Limits::WEB) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(!e.en.is_empty() && !e.zh.is_empty());
                    refused += 1;
                }
            }
        }
        assert_eq!(ok + refused, 300);
        assert!(refused > 100, "most mangled files are refused ({refused})");
    }
}
