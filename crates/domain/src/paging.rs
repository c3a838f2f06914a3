//! Paged lists: page numbers start at 1; page size is bounded so no request
//! can ask for the whole country in one answer.

use serde::Serialize;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Self {
        Paging { page: page.unwrap_or(1).max(1), per_page: per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE) }
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
    }
}
