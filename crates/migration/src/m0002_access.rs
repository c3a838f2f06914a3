//! Accounts, grants, sessions, API tokens and the audit chain.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Login,
    DisplayName,
    PasswordHash,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserGrant {
    Table,
    Id,
    UserId,
    Role,
    Scope,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Actor,
    Action,
    Entity,
    EntityId,
    RegionPath,
    Before,
    After,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let pg = m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres;
        m.create_table(
            Table::create()
                .table(AppUser::Table)
                .col(big_pk_auto(AppUser::Id))
                .col(string(AppUser::Login).unique_key())
                .col(string(AppUser::DisplayName))
                .col(string(AppUser::PasswordHash))
                .col(boolean(AppUser::Disabled))
                .col(timestamp_with_time_zone(AppUser::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserGrant::Table)
                .col(big_pk_auto(UserGrant::Id))
                .col(big_integer(UserGrant::UserId))
                .col(string(UserGrant::Role))
                .col(string(UserGrant::Scope))
                .col(timestamp_with_time_zone(UserGrant::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(UserGrant::Table, UserGrant::UserId).to(AppUser::Table, AppUser::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_grant")
                .table(UserGrant::Table)
                .col(UserGrant::UserId)
                .col(UserGrant::Role)
                .col(UserGrant::Scope)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(big_pk_auto(Session::Id))
                .col(big_integer(Session::UserId))
                .col(string(Session::TokenHash).unique_key())
                .col(timestamp_with_time_zone(Session::CreatedAt))
                .col(timestamp_with_time_zone(Session::LastSeenAt))
                .col(timestamp_with_time_zone(Session::ExpiresAt))
                .foreign_key(ForeignKey::create().from(Session::Table, Session::UserId).to(AppUser::Table, AppUser::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(big_pk_auto(ApiToken::Id))
                .col(big_integer(ApiToken::UserId))
                .col(string(ApiToken::Name))
                .col(string(ApiToken::TokenHash).unique_key())
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .foreign_key(
                    ForeignKey::create().from(ApiToken::Table, ApiToken::UserId).to(AppUser::Table, AppUser::Id),
                )
                .to_owned(),
        )
        .await?;
        let mut path = string_null(AuditLog::RegionPath);
        if pg {
            path.extra("COLLATE \"C\"");
        }
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_integer(AuditLog::Id).primary_key())
                .col(string(AuditLog::At))
                .col(big_integer_null(AuditLog::ActorId))
                .col(string(AuditLog::Actor))
                .col(string(AuditLog::Action))
                .col(string(AuditLog::Entity))
                .col(string(AuditLog::EntityId))
                .col(path)
                .col(text(AuditLog::Before))
                .col(text(AuditLog::After))
                .col(string(AuditLog::PrevHash))
                .col(string(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_audit_path").table(AuditLog::Table).col(AuditLog::RegionPath).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            ApiToken::Table.into_iden(),
            Session::Table.into_iden(),
            UserGrant::Table.into_iden(),
            AppUser::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
