//! Dated facts of organisations, starting with a property company's party
//! coverage, so that the company party-coverage KPI — and a past month's
//! bulletin — answer as of their date instead of as of now. Values already
//! stored have no known start: they are taken to hold from 1990-01-01.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgFact {
    Table,
    Id,
    OrgId,
    Kind,
    Value,
    ValidFrom,
    ValidTo,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OrgFact::Table)
                .col(big_pk_auto(OrgFact::Id))
                .col(big_integer(OrgFact::OrgId))
                .col(string(OrgFact::Kind))
                .col(string_null(OrgFact::Value))
                .col(date(OrgFact::ValidFrom))
                .col(date_null(OrgFact::ValidTo))
                .col(timestamp_with_time_zone(OrgFact::RecordedAt))
                .foreign_key(
                    ForeignKey::create().from(OrgFact::Table, OrgFact::OrgId).to(Organisation::Table, Organisation::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_org_fact_org_kind")
                .table(OrgFact::Table)
                .col(OrgFact::OrgId)
                .col(OrgFact::Kind)
                .col(OrgFact::ValidFrom)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO org_fact (org_id, kind, value, valid_from, valid_to, recorded_at) \
                 SELECT id, 'party_coverage', party_coverage, '1990-01-01', NULL, updated_at FROM organisation \
                 WHERE kind = 'company' AND party_coverage IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrgFact::Table).to_owned()).await
    }
}
