//! Paged lists: page numbers start at 1; page size is bounded so no request
//! can ask for the whole country in one answer.

use serde::Serialize;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 200;
/// No list is paged this deep; the bound keeps every offset inside an `i64`.
pub const MAX_PAGE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Self {
        Paging {
            page: page.unwrap_or(1).clamp(1, MAX_PAGE),
            per_page: per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }

    /// Paging asked for by a client: out-of-range numbers are refused, naming the field.
    pub fn parse(page: Option<u64>, per_page: Option<u64>) -> Result<Self, crate::Invalid> {
        if let Some(p) = page
            && !(1..=MAX_PAGE).contains(&p)
        {
            return Err(crate::Invalid::new("page", format!("page {p} is outside 1–{MAX_PAGE}"))
                .zh(format!("页码 {p} 超出范围 1–{MAX_PAGE}")));
        }
        if let Some(n) = per_page
            && !(1..=MAX_PER_PAGE).contains(&n)
        {
            return Err(crate::Invalid::new("per_page", format!("per_page {n} is outside 1–{MAX_PER_PAGE}"))
                .zh(format!("每页条数 {n} 超出范围 1–{MAX_PER_PAGE}")));
        }
        Ok(Paging::new(page, per_page))
    }

    pub fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn pages(self, total: u64) -> u64 {
        total.div_ceil(self.per_page).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_counts() {
        let p = Paging::new(Some(0), Some(10_000));
        assert_eq!((p.page, p.per_page), (1, MAX_PER_PAGE));
        assert_eq!(Paging::new(Some(3), Some(20)).offset(), 40);
        assert_eq!(Paging::new(None, Some(20)).pages(41), 3);
        assert_eq!(Paging::new(None, None).pages(0), 1);
        assert!(Paging::new(Some(u64::MAX), Some(u64::MAX)).offset() < i64::MAX as u64);
        assert_eq!(Paging::parse(Some(72057594037927936), None).unwrap_err().field, "page");
        assert_eq!(Paging::parse(None, Some(9223372036854775808)).unwrap_err().field, "per_page");
        assert_eq!(Paging::parse(Some(0), None).unwrap_err().field, "page");
        assert_eq!(Paging::parse(Some(2), Some(20)).unwrap(), Paging::new(Some(2), Some(20)));
    }
}
