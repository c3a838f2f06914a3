//! The gongzhi binary's pieces that tests also drive: reading the division
//! files, building the demo registry, and the HTTP accept loop.

pub mod audit_head;
pub mod backup;
pub mod bench;
pub mod config;
pub mod council;
pub mod demo;
pub mod import;
pub mod money;
pub mod net;
pub mod story;
