//! Plans and their targets, and the report's three-year plan so that every
//! install starts with it: 红色物业三年行动 2020–2022, end-2022 targets
//! 80 % / 100 % / 60 % / 90 % / 70 %, with yearly milestones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plan {
    Table,
    Id,
    Name,
    StartYear,
    EndYear,
}

#[derive(DeriveIden)]
enum PlanTarget {
    Table,
    Id,
    PlanId,
    Kpi,
    Year,
    RegionCode,
    Permille,
}

/// (kpi, 2020, 2021, 2022) in per mille.
const MILESTONES: [(&str, i64, i64, i64); 5] = [
    ("professional_coverage", 600, 700, 800),
    ("full_coverage", 900, 950, 1000),
    ("committee_formation", 400, 500, 600),
    ("company_party_coverage", 700, 800, 900),
    ("committee_party_coverage", 500, 600, 700),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Plan::Table)
                .col(big_pk_auto(Plan::Id))
                .col(string(Plan::Name))
                .col(integer(Plan::StartYear))
                .col(integer(Plan::EndYear))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PlanTarget::Table)
                .col(big_pk_auto(PlanTarget::Id))
                .col(big_integer(PlanTarget::PlanId))
                .col(string(PlanTarget::Kpi))
                .col(integer(PlanTarget::Year))
                .col(string_null(PlanTarget::RegionCode))
                .col(big_integer(PlanTarget::Permille))
                .foreign_key(ForeignKey::create().from(PlanTarget::Table, PlanTarget::PlanId).to(Plan::Table, Plan::Id))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO plan (id, name, start_year, end_year) VALUES (1, '红色物业三年行动 2020–2022', 2020, 2022)",
        )
        .await?;
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            db.execute_unprepared("SELECT setval(pg_get_serial_sequence('plan', 'id'), 1)").await?;
        }
        for (kpi, a, b, c) in MILESTONES {
            for (year, p) in [(2020, a), (2021, b), (2022, c)] {
                db.execute_unprepared(&format!(
                    "INSERT INTO plan_target (plan_id, kpi, year, region_code, permille) VALUES (1, '{kpi}', {year}, NULL, {p})"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PlanTarget::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Plan::Table).to_owned()).await?;
        Ok(())
    }
}
