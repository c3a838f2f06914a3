//! The one integration-test binary. Every database test runs on SQLite and,
//! when GONGZHI_TEST_PG names a PostgreSQL server, on PostgreSQL too — each
//! in a database of its own.

#[macro_use]
mod support;

mod access;
mod auth_hardening;
mod browser;
mod compounds;
mod contract;
mod county;
mod everyday;
mod figures;
mod hardening;
mod import;
mod kpi;
mod ledger;
mod open311;
mod oversight;
mod problems;
mod regions;
mod running;
mod structure;
mod votes;
mod web;
