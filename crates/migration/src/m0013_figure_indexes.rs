//! Indexes the figures need: which party organisation covers an owners'
//! committee (asked once per committee for its party coverage) and who heads
//! a building. Without them a city's KPI set took 0.4 s, one committee at a time.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    CoversOrgId,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    BuildingId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create().name("ix_org_covers").table(Organisation::Table).col(Organisation::CoversOrgId).to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_post_building").table(Post::Table).col(Post::BuildingId).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_post_building").table(Post::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_org_covers").table(Organisation::Table).to_owned()).await
    }
}
