//! Pure types and rules of gongzhi. Nothing here touches a database, a file or
//! the network, so every rule can be tested on its own and reused by any layer.

pub mod access;
pub mod area;
pub mod audit;
pub mod clock;
pub mod compound;
pub mod divisions;
pub mod history;
pub mod kpi;
pub mod org;
pub mod paging;
pub mod password;
pub mod problem;
pub mod region;
pub mod text;

pub use area::Area;
pub use compound::{CompoundDraft, CompoundInput, CompoundPatch, ServiceModel};
pub use paging::Paging;
pub use region::{Level, RegionCode, RegionPath};

/// A rule was broken by input; `field` names where, `reason` says what, in
/// English and (where given) in Chinese. The web layer turns this into a 422
/// in the reader's language; imports list both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
    pub reason_zh: Option<String>,
}

impl Invalid {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into(), reason_zh: None }
    }

    /// The same reason in Chinese.
    pub fn zh(mut self, reason: impl Into<String>) -> Self {
        self.reason_zh = Some(reason.into());
        self
    }

    /// The reason in Chinese when asked for and known, else in English.
    pub fn reason_in(&self, zh: bool) -> &str {
        match &self.reason_zh {
            Some(r) if zh => r,
            _ => &self.reason,
        }
    }

    /// The same reason under another field's name.
    pub fn for_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}
