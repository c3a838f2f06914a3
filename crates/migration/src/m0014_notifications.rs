//! Notices: what a reader is told in the app (a resident, that their problem
//! moved on), and the webhooks an administrator registers with the delivery
//! of each event to each of them, retried and logged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    UserId,
    ProblemId,
    State,
    At,
    ReadAt,
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
    Url,
    Secret,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    WebhookId,
    Event,
    Body,
    Attempts,
    NextAt,
    DeliveredAt,
    GaveUp,
    LastStatus,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notification::Table)
                .col(big_pk_auto(Notification::Id))
                .col(big_integer(Notification::UserId))
                .col(big_integer_null(Notification::ProblemId))
                .col(string(Notification::State))
                .col(timestamp_with_time_zone(Notification::At))
                .col(timestamp_with_time_zone_null(Notification::ReadAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notification_user")
                .table(Notification::Table)
                .col(Notification::UserId)
                .col(Notification::ReadAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Webhook::Table)
                .col(big_pk_auto(Webhook::Id))
                .col(string(Webhook::Url))
                .col(string(Webhook::Secret))
                .col(boolean(Webhook::Active))
                .col(timestamp_with_time_zone(Webhook::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDelivery::Table)
                .col(big_pk_auto(WebhookDelivery::Id))
                .col(big_integer(WebhookDelivery::WebhookId))
                .col(string(WebhookDelivery::Event))
                .col(text(WebhookDelivery::Body))
                .col(integer(WebhookDelivery::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDelivery::NextAt))
                .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                .col(boolean(WebhookDelivery::GaveUp).default(false))
                .col(integer_null(WebhookDelivery::LastStatus))
                .col(text_null(WebhookDelivery::LastError))
                .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_delivery_due")
                .table(WebhookDelivery::Table)
                .col(WebhookDelivery::DeliveredAt)
                .col(WebhookDelivery::NextAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookDelivery::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Webhook::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Notification::Table).to_owned()).await
    }
}
