//! Regions, compounds, their buildings, entrances and units, and the dated
//! facts of each compound.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
    Path,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Compound {
    Table,
    Id,
    RegionCode,
    CommunityCode,
    RegionPath,
    Name,
    Address,
    YearBuilt,
    IsOld,
    Households,
    FloorAreaCenti,
    RetiredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompoundFact {
    Table,
    Id,
    CompoundId,
    Kind,
    Value,
    RefId,
    ValidFrom,
    ValidTo,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Building {
    Table,
    Id,
    CompoundId,
    Name,
    Floors,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Entrance {
    Table,
    Id,
    BuildingId,
    Name,
}

#[derive(DeriveIden)]
enum Unit {
    Table,
    Id,
    EntranceId,
    Number,
    Floor,
    AreaCenti,
}

/// Paths are compared by byte ranges (`path >= lo AND path < hi`); on
/// PostgreSQL a locale collation could order '/' and digits differently,
/// so the column is pinned to "C". SQLite compares bytes already.
fn path_col<T: IntoIden>(backend: DbBackend, name: T) -> ColumnDef {
    let mut c = string(name);
    if backend == DbBackend::Postgres {
        c.extra("COLLATE \"C\"");
    }
    c
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(Region::Table)
                .col(string(Region::Code).primary_key())
                .col(string(Region::Name))
                .col(string(Region::Level))
                .col(string_null(Region::ParentCode))
                .col(path_col(b, Region::Path).unique_key())
                .col(timestamp_with_time_zone(Region::CreatedAt))
                .col(timestamp_with_time_zone(Region::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(Region::Table, Region::ParentCode).to(Region::Table, Region::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_region_parent").table(Region::Table).col(Region::ParentCode).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Compound::Table)
                .col(big_pk_auto(Compound::Id))
                .col(string(Compound::RegionCode))
                .col(string(Compound::CommunityCode))
                .col(path_col(b, Compound::RegionPath))
                .col(string(Compound::Name))
                .col(string(Compound::Address))
                .col(integer_null(Compound::YearBuilt))
                .col(boolean(Compound::IsOld))
                .col(integer(Compound::Households))
                .col(big_integer(Compound::FloorAreaCenti))
                .col(timestamp_with_time_zone_null(Compound::RetiredAt))
                .col(timestamp_with_time_zone(Compound::CreatedAt))
                .col(timestamp_with_time_zone(Compound::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(Compound::Table, Compound::RegionCode).to(Region::Table, Region::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_compound_path")
                .table(Compound::Table)
                .col(Compound::RegionPath)
                .col(Compound::Name)
                .to_owned(),
        )
        .await?;
        // Natural key of a compound: its community and its name.
        m.create_index(
            Index::create()
                .name("ux_compound_community_name")
                .table(Compound::Table)
                .col(Compound::CommunityCode)
                .col(Compound::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CompoundFact::Table)
                .col(big_pk_auto(CompoundFact::Id))
                .col(big_integer(CompoundFact::CompoundId))
                .col(string(CompoundFact::Kind))
                .col(string_null(CompoundFact::Value))
                .col(big_integer_null(CompoundFact::RefId))
                .col(date(CompoundFact::ValidFrom))
                .col(date_null(CompoundFact::ValidTo))
                .col(timestamp_with_time_zone(CompoundFact::RecordedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CompoundFact::Table, CompoundFact::CompoundId)
                        .to(Compound::Table, Compound::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_fact_compound_kind")
                .table(CompoundFact::Table)
                .col(CompoundFact::CompoundId)
                .col(CompoundFact::Kind)
                .col(CompoundFact::ValidFrom)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Building::Table)
                .col(big_pk_auto(Building::Id))
                .col(big_integer(Building::CompoundId))
                .col(string(Building::Name))
                .col(integer(Building::Floors))
                .col(timestamp_with_time_zone_null(Building::RetiredAt))
                .foreign_key(
                    ForeignKey::create().from(Building::Table, Building::CompoundId).to(Compound::Table, Compound::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_building_compound_name")
                .table(Building::Table)
                .col(Building::CompoundId)
                .col(Building::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Entrance::Table)
                .col(big_pk_auto(Entrance::Id))
                .col(big_integer(Entrance::BuildingId))
                .col(string(Entrance::Name))
                .foreign_key(
                    ForeignKey::create().from(Entrance::Table, Entrance::BuildingId).to(Building::Table, Building::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_entrance_building_name")
                .table(Entrance::Table)
                .col(Entrance::BuildingId)
                .col(Entrance::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Unit::Table)
                .col(big_pk_auto(Unit::Id))
                .col(big_integer(Unit::EntranceId))
                .col(string(Unit::Number))
                .col(integer(Unit::Floor))
                .col(big_integer(Unit::AreaCenti))
                .foreign_key(ForeignKey::create().from(Unit::Table, Unit::EntranceId).to(Entrance::Table, Entrance::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_unit_entrance_number")
                .table(Unit::Table)
                .col(Unit::EntranceId)
                .col(Unit::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Unit::Table.into_iden(),
            Entrance::Table.into_iden(),
            Building::Table.into_iden(),
            CompoundFact::Table.into_iden(),
            Compound::Table.into_iden(),
            Region::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
