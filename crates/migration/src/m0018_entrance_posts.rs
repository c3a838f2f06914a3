//! Building heads by entrance (楼道长 are per 单元) and party groups by
//! building (楼栋党小组): a post may name the entrance it is held at, and an
//! organisation the building it is set up in. Both optional; a post at an
//! entrance keeps its building too, so every figure by building holds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Post {
    Table,
    EntranceId,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    BuildingId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Post::Table).add_column(big_integer_null(Post::EntranceId)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(Organisation::Table).add_column(big_integer_null(Organisation::BuildingId)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Organisation::Table).drop_column(Organisation::BuildingId).to_owned())
            .await?;
        m.alter_table(Table::alter().table(Post::Table).drop_column(Post::EntranceId).to_owned()).await
    }
}
