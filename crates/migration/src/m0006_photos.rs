//! Photos attached to problems (the files live under the data directory, named by their hash).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProblemPhoto {
    Table,
    Id,
    ProblemId,
    Sha256,
    Mime,
    Bytes,
    AddedAt,
}

#[derive(DeriveIden)]
enum Problem {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProblemPhoto::Table)
                .col(big_pk_auto(ProblemPhoto::Id))
                .col(big_integer(ProblemPhoto::ProblemId))
                .col(string(ProblemPhoto::Sha256))
                .col(string(ProblemPhoto::Mime))
                .col(big_integer(ProblemPhoto::Bytes))
                .col(timestamp_with_time_zone(ProblemPhoto::AddedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProblemPhoto::Table, ProblemPhoto::ProblemId)
                        .to(Problem::Table, Problem::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_problem_photo")
                .table(ProblemPhoto::Table)
                .col(ProblemPhoto::ProblemId)
                .col(ProblemPhoto::Sha256)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProblemPhoto::Table).to_owned()).await
    }
}
