//! The governance structure: organisations of every kind, people and their posts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Kind,
    Name,
    RegionCode,
    RegionPath,
    CompoundId,
    ParentId,
    PartyLevel,
    CoversOrgId,
    CreditCode,
    PartyCoverage,
    TermStart,
    TermEnd,
    Status,
    IsPmc,
    CreatedAt,
    UpdatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    Name,
    Phone,
    IsPartyMember,
    IsPublicServant,
    Employer,
    RegionCode,
    RegionPath,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    PersonId,
    Role,
    OrgId,
    BuildingId,
    RegionCode,
    RegionPath,
    Target,
    StartDate,
    EndDate,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Region {
    Table,
    Code,
}
#[derive(DeriveIden)]
enum Compound {
    Table,
    Id,
}
#[derive(DeriveIden)]
enum Building {
    Table,
    Id,
}

fn path_col<T: IntoIden>(b: DbBackend, name: T) -> ColumnDef {
    let mut c = string(name);
    if b == DbBackend::Postgres {
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
                .table(Organisation::Table)
                .col(big_pk_auto(Organisation::Id))
                .col(string(Organisation::Kind))
                .col(string(Organisation::Name))
                .col(string(Organisation::RegionCode))
                .col(path_col(b, Organisation::RegionPath))
                .col(big_integer_null(Organisation::CompoundId))
                .col(big_integer_null(Organisation::ParentId))
                .col(string_null(Organisation::PartyLevel))
                .col(big_integer_null(Organisation::CoversOrgId))
                .col(string_null(Organisation::CreditCode).unique_key())
                .col(string_null(Organisation::PartyCoverage))
                .col(date_null(Organisation::TermStart))
                .col(date_null(Organisation::TermEnd))
                .col(string_null(Organisation::Status))
                .col(boolean(Organisation::IsPmc))
                .col(timestamp_with_time_zone(Organisation::CreatedAt))
                .col(timestamp_with_time_zone(Organisation::UpdatedAt))
                .col(timestamp_with_time_zone_null(Organisation::RetiredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisation::Table, Organisation::RegionCode)
                        .to(Region::Table, Region::Code),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisation::Table, Organisation::CompoundId)
                        .to(Compound::Table, Compound::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisation::Table, Organisation::ParentId)
                        .to(Organisation::Table, Organisation::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisation::Table, Organisation::CoversOrgId)
                        .to(Organisation::Table, Organisation::Id),
                )
                .to_owned(),
        )
        .await?;
        // Natural key of every organisation but a company (whose key is its credit code).
        m.create_index(
            Index::create()
                .name("ux_org_kind_region_name")
                .table(Organisation::Table)
                .col(Organisation::Kind)
                .col(Organisation::RegionCode)
                .col(Organisation::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_org_path").table(Organisation::Table).col(Organisation::RegionPath).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_org_compound").table(Organisation::Table).col(Organisation::CompoundId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Person::Table)
                .col(big_pk_auto(Person::Id))
                .col(string(Person::Name))
                .col(string(Person::Phone).unique_key())
                .col(boolean(Person::IsPartyMember))
                .col(boolean(Person::IsPublicServant))
                .col(string(Person::Employer))
                .col(string(Person::RegionCode))
                .col(path_col(b, Person::RegionPath))
                .col(timestamp_with_time_zone(Person::CreatedAt))
                .col(timestamp_with_time_zone(Person::UpdatedAt))
                .foreign_key(
                    ForeignKey::create().from(Person::Table, Person::RegionCode).to(Region::Table, Region::Code),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_person_path").table(Person::Table).col(Person::RegionPath).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table(Post::Table)
                .col(big_pk_auto(Post::Id))
                .col(big_integer(Post::PersonId))
                .col(string(Post::Role))
                .col(big_integer_null(Post::OrgId))
                .col(big_integer_null(Post::BuildingId))
                .col(string_null(Post::RegionCode))
                .col(path_col(b, Post::RegionPath))
                .col(string(Post::Target))
                .col(date(Post::StartDate))
                .col(date_null(Post::EndDate))
                .col(timestamp_with_time_zone(Post::CreatedAt))
                .foreign_key(ForeignKey::create().from(Post::Table, Post::PersonId).to(Person::Table, Person::Id))
                .foreign_key(
                    ForeignKey::create().from(Post::Table, Post::OrgId).to(Organisation::Table, Organisation::Id),
                )
                .foreign_key(ForeignKey::create().from(Post::Table, Post::BuildingId).to(Building::Table, Building::Id))
                .to_owned(),
        )
        .await?;
        // Natural key: the same person, role and place from the same day is one post.
        m.create_index(
            Index::create()
                .name("ux_post")
                .table(Post::Table)
                .col(Post::PersonId)
                .col(Post::Role)
                .col(Post::Target)
                .col(Post::StartDate)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_post_path").table(Post::Table).col(Post::RegionPath).to_owned())
            .await?;
        m.create_index(Index::create().name("ix_post_org").table(Post::Table).col(Post::OrgId).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Post::Table.into_iden(), Person::Table.into_iden(), Organisation::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
