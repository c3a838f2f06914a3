//! `gongzhi import divisions DIR`: read the five open-format files (plain or
//! gzipped), check every row, and only if all are good write them in one
//! transaction. Errors name `file:line: reason`.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use db::Db;
use db::regions::ImportStats;
use domain::RegionCode;
use domain::divisions::{Columns, Division, FILES, parse_row};

/// Every problem found, in file order; nothing was written.
#[derive(Debug)]
pub struct ImportErrors(pub Vec<String>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 50;
        for e in self.0.iter().take(SHOWN) {
            writeln!(f, "{e}")?;
        }
        if self.0.len() > SHOWN {
            writeln!(f, "… and {} more", self.0.len() - SHOWN)?;
        }
        write!(f, "{} error(s); nothing was imported", self.0.len())
    }
}

impl std::error::Error for ImportErrors {}

/// Where the rows come from: a folder on disk, or bytes compiled in (the demo).
pub enum Source<'a> {
    Dir(&'a Path),
    Embedded(&'a [(&'a str, &'a [u8])]),
}

fn open<'a>(src: &Source<'a>, stem: &str) -> Result<(String, Box<dyn Read + 'a>), String> {
    match src {
        Source::Dir(dir) => {
            for (name, gz) in [(format!("{stem}.csv"), false), (format!("{stem}.csv.gz"), true)] {
                let path: PathBuf = dir.join(&name);
                if path.is_file() {
                    let f = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let r: Box<dyn Read> = if gz { Box::new(flate2::read::GzDecoder::new(f)) } else { Box::new(f) };
                    return Ok((name, r));
                }
            }
            Err(format!("{}: no {stem}.csv or {stem}.csv.gz", dir.display()))
        }
        Source::Embedded(files) => {
            let name = format!("{stem}.csv.gz");
            let bytes = files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b)
                .ok_or_else(|| format!("{name} not embedded"))?;
            Ok((name, Box::new(flate2::read::GzDecoder::new(bytes))))
        }
    }
}

/// Whether a row belongs to an `--only` selection: inside the subtree or an ancestor of it.
fn selected(code: &RegionCode, only: Option<&RegionCode>) -> bool {
    only.is_none_or(|o| code.is_within(o) || o.is_within(code))
}

/// Checked rows and where each came from, for messages that point at a line.
pub struct Divisions {
    pub rows: Vec<Division>,
    files: Vec<String>,
    /// (index into `files`, line) per row.
    at: Vec<(usize, u64)>,
}

impl Divisions {
    pub fn location(&self, i: usize) -> String {
        let (f, line) = self.at[i];
        format!("{}:{line}", self.files[f])
    }
}

/// Read and check every row of the five files. `progress` hears each file's row count.
pub fn read_divisions(
    src: &Source,
    only: Option<&RegionCode>,
    mut progress: impl FnMut(&str, usize),
) -> Result<Divisions, ImportErrors> {
    let mut rows = Vec::new();
    let mut files = Vec::new();
    let mut at = Vec::new();
    let mut errors = Vec::new();
    for (stem, level, parent_col) in FILES {
        let (name, reader) = match open(src, stem) {
            Ok(x) => x,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
        let cols = match csv.headers() {
            Ok(h) => {
                let h: Vec<&str> = h.iter().collect();
                Columns::from_header(&h, parent_col)
            }
            Err(e) => Err(e.to_string()),
        };
        let cols = match cols {
            Ok(c) => c,
            Err(e) => {
                errors.push(format!("{name}:1: {e}"));
                continue;
            }
        };
        let before = rows.len();
        files.push(name.clone());
        let file_ix = files.len() - 1;
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map(|p| p.line()).unwrap_or(line);
                    let fields: Vec<&str> = record.iter().collect();
                    match parse_row(&fields, cols, level) {
                        Ok(d) if selected(&d.code, only) => {
                            rows.push(d);
                            at.push((file_ix, line));
                        }
                        Ok(_) => {}
                        Err(e) => errors.push(format!("{name}:{line}: {e}")),
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(line);
                    errors.push(format!("{name}:{line}: unreadable row: {}", e.kind_text()));
                    if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        break;
                    }
                }
            }
        }
        progress(&name, rows.len() - before);
    }
    // A code twice across the files is an error too: which name would win?
    let read = Divisions { rows, files, at };
    let mut seen = std::collections::HashMap::with_capacity(read.rows.len());
    for (i, d) in read.rows.iter().enumerate() {
        if let Some(first) = seen.insert(d.code.as_str(), i) {
            errors.push(format!("{}: code {} already given at {}", read.location(i), d.code, read.location(first)));
        }
    }
    if errors.is_empty() { Ok(read) } else { Err(ImportErrors(errors)) }
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for csv::Error {
    fn kind_text(&self) -> String {
        match self.kind() {
            csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 text ({err})"),
            csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
            _ => self.to_string(),
        }
    }
}

/// Read, check, then write: all or nothing.
pub async fn import_divisions(
    db: &Db,
    actor: &domain::audit::Actor,
    src: &Source<'_>,
    only: Option<&RegionCode>,
    quiet: bool,
) -> anyhow::Result<ImportStats> {
    let t0 = std::time::Instant::now();
    let read = read_divisions(src, only, |name, n| {
        if !quiet {
            eprintln!("  read {name}: {n} rows");
        }
    })?;
    // Parents outside the files must already be stored; name each row that lacks one.
    let in_files: std::collections::HashSet<&str> = read.rows.iter().map(|d| d.code.as_str()).collect();
    let outside: Vec<String> = read
        .rows
        .iter()
        .filter_map(|d| d.code.parent())
        .filter(|p| !in_files.contains(p.as_str()))
        .map(|p| p.as_str().to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored = db::regions::existing(db, &outside).await?;
    let orphans: Vec<String> = read
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let p = d.code.parent()?;
            (!in_files.contains(p.as_str()) && !stored.contains(p.as_str())).then(|| {
                format!("{}: parent {p} of {} is in neither the files nor the database", read.location(i), d.code)
            })
        })
        .collect();
    if !orphans.is_empty() {
        return Err(ImportErrors(orphans).into());
    }
    let rows = read.rows;
    if !quiet {
        eprintln!("  checked {} rows in {:.1} s; writing…", rows.len(), t0.elapsed().as_secs_f64());
    }
    let stats = db::regions::import(db, actor, &rows, |done, total| {
        if !quiet && total > 50_000 {
            eprintln!("  {done}/{total} ({:.0}%)", done as f64 * 100.0 / total as f64);
        }
    })
    .await?;
    Ok(stats)
}
