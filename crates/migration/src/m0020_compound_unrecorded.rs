//! Unknown is not zero: a compound's old-compound flag, households and floor
//! area may be not recorded. The columns stay NOT NULL (SQLite cannot relax
//! a column without rebuilding a table half the schema refers to); which of
//! them are not recorded is listed in `unrecorded` (`is_old,households`), and
//! the store reads those back as unknown. Rows already stored keep what they
//! hold: nothing can tell a recorded 0 from a blank any more.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Compound {
    Table,
    Unrecorded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Compound::Table).add_column(string_len_null(Compound::Unrecorded, 60)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Compound::Table).drop_column(Compound::Unrecorded).to_owned()).await
    }
}
