//! Who formed or founded an organisation (组建关系), and when: a community
//! party organisation forming an owners' committee or founding a party-led
//! company, a cooperative founding a company, a sponsor unit helping found a
//! compound's branch. One row per relation; the pair and kind are its key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgRelation {
    Table,
    Id,
    Kind,
    FromOrgId,
    ToOrgId,
    OnDate,
    CreatedAt,
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
                .table(OrgRelation::Table)
                .col(big_pk_auto(OrgRelation::Id))
                .col(string_len(OrgRelation::Kind, 20))
                .col(big_integer(OrgRelation::FromOrgId))
                .col(big_integer(OrgRelation::ToOrgId))
                .col(date_null(OrgRelation::OnDate))
                .col(timestamp_with_time_zone(OrgRelation::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgRelation::Table, OrgRelation::FromOrgId)
                        .to(Organisation::Table, Organisation::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgRelation::Table, OrgRelation::ToOrgId)
                        .to(Organisation::Table, Organisation::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_org_relation")
                .table(OrgRelation::Table)
                .col(OrgRelation::ToOrgId)
                .col(OrgRelation::Kind)
                .col(OrgRelation::FromOrgId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_org_relation_from")
                .table(OrgRelation::Table)
                .col(OrgRelation::FromOrgId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrgRelation::Table).to_owned()).await
    }
}
