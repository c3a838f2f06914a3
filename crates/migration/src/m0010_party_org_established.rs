//! When a party organisation was set up, so that "a committee covered by a
//! party organisation" counts from that day in the committee party-coverage
//! KPI (and a past month's bulletin does not move when one is added later).
//! Unknown (NULL): it has existed since before records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Established,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Organisation::Table).add_column(date_null(Organisation::Established)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Organisation::Table).drop_column(Organisation::Established).to_owned()).await
    }
}
