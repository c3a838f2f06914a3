//! One set of migrations for SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m0001_registry;
mod m0002_access;
mod m0003_structure;
mod m0004_plans;
mod m0005_problems;
mod m0006_photos;
mod m0007_problem_indexes;
mod m0008_problem_categories;
mod m0009_org_facts;
mod m0010_party_org_established;
mod m0011_hardening;
mod m0012_token_expiry;
mod m0013_figure_indexes;
mod m0014_notifications;
mod m0015_user_phone;
mod m0016_post_target_index;
mod m0017_org_relation;
mod m0018_entrance_posts;
mod m0019_person_facts;
mod m0020_compound_unrecorded;
mod m0021_figures;
mod m0022_oversight;
mod m0023_votes;
mod m0024_ledger;
mod m0025_places;
mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_registry::Migration),
            Box::new(m0002_access::Migration),
            Box::new(m0003_structure::Migration),
            Box::new(m0004_plans::Migration),
            Box::new(m0005_problems::Migration),
            Box::new(m0006_photos::Migration),
            Box::new(m0007_problem_indexes::Migration),
            Box::new(m0008_problem_categories::Migration),
            Box::new(m0009_org_facts::Migration),
            Box::new(m0010_party_org_established::Migration),
            Box::new(m0011_hardening::Migration),
            Box::new(m0012_token_expiry::Migration),
            Box::new(m0013_figure_indexes::Migration),
            Box::new(m0014_notifications::Migration),
            Box::new(m0015_user_phone::Migration),
            Box::new(m0016_post_target_index::Migration),
            Box::new(m0017_org_relation::Migration),
            Box::new(m0018_entrance_posts::Migration),
            Box::new(m0019_person_facts::Migration),
            Box::new(m0020_compound_unrecorded::Migration),
            Box::new(m0021_figures::Migration),
            Box::new(m0022_oversight::Migration),
            Box::new(m0023_votes::Migration),
            Box::new(m0024_ledger::Migration),
            Box::new(m0025_places::Migration),
        ]
    }
}
