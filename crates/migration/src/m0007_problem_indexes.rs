//! Indexes for the look-ups a report and a handler's inbox make: alike open
//! reports in a compound (same category, last 7 days) and a company's problems.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Problem {
    Table,
    CompoundId,
    Category,
    SubmittedAt,
    HandlerOrgId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_problem_alike")
                .table(Problem::Table)
                .col(Problem::CompoundId)
                .col(Problem::Category)
                .col(Problem::SubmittedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_problem_handler").table(Problem::Table).col(Problem::HandlerOrgId).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_problem_handler").table(Problem::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_problem_alike").table(Problem::Table).to_owned()).await
    }
}
