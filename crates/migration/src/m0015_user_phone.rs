//! An account may carry a mobile number (optional: a resident may give one
//! so the handler can call back). Shown in full only to those who handle the
//! account's problems, masked to everyone else.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Phone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(AppUser::Table).add_column(string_len_null(AppUser::Phone, 20)).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(AppUser::Table).drop_column(AppUser::Phone).to_owned()).await
    }
}
