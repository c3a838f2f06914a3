//! Registry workbooks: one sheet (or CSV file) per kind — compounds, buildings,
//! companies, owners' committees, party organisations, other organisations,
//! people, posts and compound history. Every row is checked and every error
//! listed by sheet / row / column, in Chinese and English; only a workbook
//! without errors is written, in one transaction. Natural keys make a
//! re-import change nothing. See docs/import-format.md.

pub mod ledger;
mod load;
mod read;
mod spec;
mod template;

pub use load::{Reach, Report, load};
pub use read::{
    Limits, RawSheet, Unreadable, Workbook, column_letters, read_csv_dir, read_path, read_xlsx, read_xlsx_within,
};
pub use spec::{Col, SHEETS, SheetSpec};
pub use template::{template_xlsx, to_xlsx};

/// One problem in a workbook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub sheet: String,
    /// The row as the spreadsheet numbers it (the header is row 1); 0 for the sheet as a whole.
    pub row: usize,
    pub column: String,
    pub en: String,
    pub zh: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} row {}", self.sheet, self.row)?;
        if !self.column.is_empty() {
            write!(f, " column {}", self.column)?;
        }
        write!(f, ": {} / {}", self.en, self.zh)
    }
}

/// Every error of a workbook that was not written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} error(s); nothing was imported:\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct Rejected(pub Vec<RowError>);
