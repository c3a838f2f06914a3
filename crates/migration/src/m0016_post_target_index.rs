//! Indexes for the import's post checks and the party chain. Every post a
//! workbook brings is checked against the other holders of the same role at
//! the same place (`post.target`, `post.role`); without an index that is a
//! scan of every post per row, and re-importing a county's 3,200 posts took
//! 50 s on PostgreSQL. An organisation's page lists those it leads
//! (`organisation.parent_id`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Post {
    Table,
    Target,
    Role,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    ParentId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create().name("ix_post_target").table(Post::Table).col(Post::Target).col(Post::Role).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_org_parent").table(Organisation::Table).col(Organisation::ParentId).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_org_parent").table(Organisation::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_post_target").table(Post::Table).to_owned()).await
    }
}
