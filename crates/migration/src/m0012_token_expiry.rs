//! API tokens expire. Each token gets `expires_at`, chosen at creation
//! (90 days by default); a token issued before this migration is given 90
//! days from the moment the migration runs, so nothing stops working at once.
//! The column stays nullable for SQLite's sake (its ALTER TABLE cannot add a
//! NOT NULL column without a default); the code writes it always and treats a
//! missing value as expired.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::{ChronoDateTimeUtc, ChronoUtc};
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    ExpiresAt,
}

/// What tokens issued before expiry existed are given.
const DAYS_FOR_EXISTING: i64 = 90;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ApiToken::Table)
                .add_column(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                .to_owned(),
        )
        .await?;
        let until = ChronoDateTimeUtc::from_timestamp(ChronoUtc::now().timestamp() + DAYS_FOR_EXISTING * 86_400, 0)
            .ok_or_else(|| DbErr::Custom("token expiry out of range".into()))?;
        // Bound, not spliced: the value is stored exactly as the code's own
        // inserts store a timestamp on either backend.
        let db = m.get_connection();
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE api_token SET expires_at = $1 WHERE expires_at IS NULL",
            [until.into()],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiToken::Table).drop_column(ApiToken::ExpiresAt).to_owned()).await
    }
}
