//! Pure types and rules of gongzhi. Nothing here touches a database, a file or
//! the network, so every rule can be tested on its own and reused by any layer.

/// The one idiom for an enumeration stored and sent as text: its variants
/// with their spellings, `ALL` (in order), `as_str`, `parse` (a broken rule
/// naming `field`, in both languages) and `find` (when absence is not an
/// error). Spellings are snake_case, as serde writes them.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, $what:literal, $what_zh:literal
     { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
        $(#[$m])*
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The spellings, in the order of `ALL`.
            pub const NAMES: &'static [&'static str] = &[$($s),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// The variant spelled `s` (surrounding spaces ignored), if any.
            pub fn find(s: &str) -> Option<$name> {
                let t = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == t)
            }

            pub fn parse(s: &str) -> Result<$name, $crate::Invalid> {
                $name::find(s).ok_or_else(|| {
                    let t = s.trim();
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::Invalid::new($field, format!("{t:?} is not a {} ({})", $what, all.join(", ")))
                        .zh(format!("“{t}”不是{}（{}）", $what_zh, all.join("、")))
                })
            }
        }
    };
}

pub mod access;
pub mod area;
pub mod audit;
pub mod clock;
pub mod compound;
pub mod consult;
pub mod divisions;
pub mod figures;
pub mod geo;
pub mod grading;
pub mod history;
pub mod kpi;
pub mod ledger;
pub mod org;
pub mod paging;
pub mod password;
pub mod problem;
pub mod rectify;
pub mod region;
pub mod text;
pub mod vote;

pub use area::Area;
pub use compound::{CompoundDraft, CompoundInput, CompoundPatch, ServiceModel};
pub use geo::GeoPoint;
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
