//! The gongzhi binary's pieces that tests also drive: reading the division
//! files and building the demo registry.

pub mod audit_head;
pub mod bench;
pub mod demo;
pub mod import;
