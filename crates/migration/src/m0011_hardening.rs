//! Hardening (issue 10).
//!
//! - At most one open interval per compound and kind (and per organisation
//!   and kind): a partial unique index, so no race and no bug can leave two
//!   values "in force" — the state that made a compound answer 500. Any such
//!   pair already stored is repaired first: the earlier one is closed where
//!   the later one opens.
//! - `audit_log.hash_version`: rows written from now on hash every column
//!   (version 2); older rows keep the hash they were written with (version 1).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Close every open interval that a later open interval of the same key follows.
fn repair(table: &str, key: &str) -> String {
    format!(
        "UPDATE {table} SET valid_to = (SELECT MIN(g.valid_from) FROM {table} g WHERE g.{key} = {table}.{key} \
         AND g.kind = {table}.kind AND g.valid_to IS NULL AND (g.valid_from > {table}.valid_from \
         OR (g.valid_from = {table}.valid_from AND g.id > {table}.id))) \
         WHERE valid_to IS NULL AND EXISTS (SELECT 1 FROM {table} g WHERE g.{key} = {table}.{key} \
         AND g.kind = {table}.kind AND g.valid_to IS NULL AND (g.valid_from > {table}.valid_from \
         OR (g.valid_from = {table}.valid_from AND g.id > {table}.id)))"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        for (table, key) in [("compound_fact", "compound_id"), ("org_fact", "org_id")] {
            c.execute_unprepared(&repair(table, key)).await?;
            c.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_{table}_open ON {table} ({key}, kind) WHERE valid_to IS NULL"
            ))
            .await?;
        }
        c.execute_unprepared("ALTER TABLE audit_log ADD COLUMN hash_version SMALLINT NOT NULL DEFAULT 1").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        c.execute_unprepared("DROP INDEX ux_compound_fact_open").await?;
        c.execute_unprepared("DROP INDEX ux_org_fact_open").await?;
        c.execute_unprepared("ALTER TABLE audit_log DROP COLUMN hash_version").await?;
        Ok(())
    }
}
