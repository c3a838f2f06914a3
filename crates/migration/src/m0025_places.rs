//! Where things are (issue 18): a compound's point on the map, what an
//! Open311 client sent beside a report (the point it was reported at, a link
//! to its media), and the regions that keep their residents' reports out of
//! Open311's public view.

use crate::util::{a, index, path};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Micro-degrees (WGS-84): integers store and compare alike on both backends.
        // One column per statement: SQLite alters one at a time.
        for col in ["lat_e6", "lng_e6"] {
            m.alter_table(Table::alter().table(a("compound")).add_column(big_integer_null(a(col))).to_owned()).await?;
        }
        index(m, "ix_compound_lat", "compound", &["lat_e6"], false).await?;
        m.create_table(
            Table::create()
                .table(a("problem_extra"))
                .col(big_integer(a("problem_id")).primary_key())
                .col(big_integer_null(a("lat_e6")))
                .col(big_integer_null(a("lng_e6")))
                // A reference the client gave: stored, never fetched by the server.
                .col(string_len_null(a("media_url"), 2000))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("open311_closed"))
                .col(string(a("region_code")).primary_key())
                .col(path(m, "region_path"))
                .col(string(a("closed_by")))
                .col(timestamp_with_time_zone(a("closed_at")))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("open311_closed")).to_owned()).await?;
        m.drop_table(Table::drop().table(a("problem_extra")).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_compound_lat").table(a("compound")).to_owned()).await?;
        for col in ["lng_e6", "lat_e6"] {
            m.alter_table(Table::alter().table(a("compound")).drop_column(a(col)).to_owned()).await?;
        }
        Ok(())
    }
}
