//! Residents' problems and their timeline.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Problem {
    Table,
    Id,
    CompoundId,
    RegionPath,
    Category,
    Description,
    Location,
    State,
    ReporterId,
    HandlerKind,
    HandlerOrgId,
    SupervisedAt,
    Overdue,
    SubmittedAt,
    AcceptBy,
    ResolveBy,
    ResolvedAt,
    Rating,
    Reason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProblemEvent {
    Table,
    Id,
    ProblemId,
    At,
    Actor,
    Step,
    FromState,
    ToState,
    Note,
}

#[derive(DeriveIden)]
enum Compound {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut path = string(Problem::RegionPath);
        if m.get_database_backend() == DbBackend::Postgres {
            path.extra("COLLATE \"C\"");
        }
        m.create_table(
            Table::create()
                .table(Problem::Table)
                .col(big_pk_auto(Problem::Id))
                .col(big_integer(Problem::CompoundId))
                .col(path)
                .col(string(Problem::Category))
                .col(text(Problem::Description))
                // Where in the compound: building, entrance, unit or a place (free text).
                .col(string(Problem::Location).default(""))
                .col(string(Problem::State))
                .col(big_integer_null(Problem::ReporterId))
                .col(string(Problem::HandlerKind))
                .col(big_integer_null(Problem::HandlerOrgId))
                .col(string(Problem::SupervisedAt))
                .col(boolean(Problem::Overdue))
                .col(timestamp_with_time_zone(Problem::SubmittedAt))
                .col(timestamp_with_time_zone(Problem::AcceptBy))
                .col(timestamp_with_time_zone(Problem::ResolveBy))
                .col(timestamp_with_time_zone_null(Problem::ResolvedAt))
                .col(string_null(Problem::Rating))
                .col(text_null(Problem::Reason))
                .col(timestamp_with_time_zone(Problem::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(Problem::Table, Problem::CompoundId).to(Compound::Table, Compound::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_problem_path").table(Problem::Table).col(Problem::RegionPath).to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_problem_state").table(Problem::Table).col(Problem::State).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(ProblemEvent::Table)
                .col(big_pk_auto(ProblemEvent::Id))
                .col(big_integer(ProblemEvent::ProblemId))
                .col(timestamp_with_time_zone(ProblemEvent::At))
                .col(string(ProblemEvent::Actor))
                .col(string(ProblemEvent::Step))
                .col(string_null(ProblemEvent::FromState))
                .col(string(ProblemEvent::ToState))
                .col(text(ProblemEvent::Note))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProblemEvent::Table, ProblemEvent::ProblemId)
                        .to(Problem::Table, Problem::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_problem_event").table(ProblemEvent::Table).col(ProblemEvent::ProblemId).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProblemEvent::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Problem::Table).to_owned()).await?;
        Ok(())
    }
}
