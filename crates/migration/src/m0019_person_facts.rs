//! Dated status of a person: whether they are a public servant (公职人员),
//! as intervals `[valid_from, valid_to)` like a compound's facts, so a past
//! month's share of public servants uses the status of that month. Everyone
//! already stored gets their current status "since before records".

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonFact {
    Table,
    Id,
    PersonId,
    Kind,
    Value,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PersonFact::Table)
                .col(big_pk_auto(PersonFact::Id))
                .col(big_integer(PersonFact::PersonId))
                .col(string_len(PersonFact::Kind, 30))
                .col(boolean(PersonFact::Value))
                .col(date(PersonFact::ValidFrom))
                .col(date_null(PersonFact::ValidTo))
                .foreign_key(
                    ForeignKey::create().from(PersonFact::Table, PersonFact::PersonId).to(Person::Table, Person::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_person_fact")
                .table(PersonFact::Table)
                .col(PersonFact::PersonId)
                .col(PersonFact::Kind)
                .to_owned(),
        )
        .await?;
        // The date bound, not spliced, so it is stored as the code's own writes store a date.
        let since = sea_orm_migration::sea_orm::prelude::ChronoDate::from_ymd_opt(1990, 1, 1).expect("a date");
        let db = m.get_connection();
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO person_fact (person_id, kind, value, valid_from) \
             SELECT id, 'public_servant', is_public_servant, $1 FROM person",
            [since.into()],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PersonFact::Table).to_owned()).await
    }
}
