//! The operations: each thing a user can do, written once. An operation
//! takes the caller (`Viewer`) and typed input, decides scope (404 outside
//! it, 403 inside without the right), checks the rules and returns typed
//! output. The faces — the JSON API (`api/`), the pages (`ui/`) and Open311
//! (`open311.rs`) — translate HTTP to and from these calls and never call
//! each other. See docs/architecture.md for how to add one.

pub mod compounds;
pub mod files;
pub mod import;
pub mod kpi;
pub mod ledger;
pub mod oversight;
pub mod places;
pub mod plans;
pub mod problems;
pub mod regions;
pub mod structure;
pub mod users;
pub mod votes;
