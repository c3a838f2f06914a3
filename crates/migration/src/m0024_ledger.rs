//! The owners' money (issue 17): accounts per compound, the chart of
//! accounts' additions, append-only entries chained by hash with their
//! vouchers, approvals, yearly budgets and published monthly statements.
//! A common-funds account marks its compound for the figures (opened /
//! closed / model), as every table the figures read does (m0021).

use crate::util::{a, index, path};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 7] = [
    "ledger_statement",
    "ledger_budget",
    "ledger_voucher",
    "ledger_entry",
    "ledger_approval",
    "ledger_account",
    "ledger_category",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Owners are told in the app when a statement of their compound is published.
        m.alter_table(
            Table::alter().table(a("notification")).add_column(big_integer_null(a("statement_id"))).to_owned(),
        )
        .await?;
        // Categories added to the built-in chart (domain::ledger::DEFAULT_CHART).
        m.create_table(
            Table::create()
                .table(a("ledger_category"))
                .col(string(a("code")).primary_key())
                .col(string(a("zh")))
                .col(string(a("en")))
                .col(string(a("side")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("ledger_account"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                // common, fund or remuneration.
                .col(string(a("kind")))
                // lump, fee or trust.
                .col(string(a("model")))
                .col(string(a("name")))
                .col(string(a("bank_name")).default(""))
                .col(string(a("bank_account")).default(""))
                .col(string(a("holder")).default(""))
                .col(date(a("opened_on")))
                .col(date_null(a("closed_on")))
                // Spending above this needs the committee's approval.
                .col(big_integer(a("threshold_fen")))
                // 1: such spending also needs three quotes.
                .col(integer(a("three_quotes")).default(0))
                .col(string(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_ledger_account_compound", "ledger_account", &["compound_id"], false).await?;
        index(m, "ix_ledger_account_path", "ledger_account", &["region_path"], false).await?;
        m.create_table(
            Table::create()
                .table(a("ledger_approval"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(big_integer(a("account_id")))
                // committee, vote or emergency.
                .col(string(a("basis")))
                .col(text(a("purpose")))
                .col(big_integer(a("amount_fen")))
                .col(integer(a("quotes")).default(0))
                .col(big_integer_null(a("vote_id")))
                .col(big_integer_null(a("question_id")))
                // Who authorised it (a resolution's signatories, the emergency's authoriser).
                .col(string(a("authorised_by")).default(""))
                .col(date(a("decided_on")))
                .col(string(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_ledger_approval_account", "ledger_approval", &["account_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("ledger_entry"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                // The place in the compound's chain, from 1.
                .col(big_integer(a("seq")))
                .col(big_integer(a("account_id")))
                .col(date(a("entry_date")))
                .col(string(a("category")))
                // Signed: income adds, spending takes away.
                .col(big_integer(a("amount_fen")))
                .col(string(a("counterparty")).default(""))
                .col(text(a("description")).default(""))
                .col(big_integer_null(a("reverses")))
                .col(big_integer_null(a("approval_id")))
                .col(big_integer_null(a("building_id")))
                .col(string(a("prev_hash")))
                .col(string(a("hash")))
                .col(string(a("entered_by")))
                // Whole seconds, so the hash reads the same on both backends.
                .col(timestamp_with_time_zone(a("entered_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_ledger_entry_seq", "ledger_entry", &["compound_id", "seq"], true).await?;
        index(m, "ux_ledger_entry_reverses", "ledger_entry", &["reverses"], true).await?;
        index(m, "ix_ledger_entry_account", "ledger_entry", &["account_id", "entry_date"], false).await?;
        index(m, "ix_ledger_entry_approval", "ledger_entry", &["approval_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("ledger_voucher"))
                .col(big_integer(a("entry_id")))
                .col(integer(a("position")))
                .col(string(a("sha256")))
                .col(string(a("mime")))
                .col(big_integer(a("bytes")))
                .primary_key(Index::create().col(a("entry_id")).col(a("position")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("ledger_budget"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("account_id")))
                .col(integer(a("year")))
                .col(string(a("category")))
                .col(big_integer(a("amount_fen")))
                .col(big_integer(a("approval_id")))
                .col(string(a("set_by")))
                .col(timestamp_with_time_zone(a("set_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_ledger_budget", "ledger_budget", &["account_id", "year", "category"], true).await?;
        m.create_table(
            Table::create()
                .table(a("ledger_statement"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("account_id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                // The first day of the month it states.
                .col(date(a("month")))
                .col(big_integer(a("opening_fen")))
                .col(big_integer(a("income_fen")))
                .col(big_integer(a("spending_fen")))
                .col(big_integer(a("closing_fen")))
                .col(big_integer(a("entries")))
                // The lines by category (JSON), as published.
                .col(text(a("lines")))
                // The compound's chain head when published: truncation below it shows.
                .col(big_integer(a("head_seq")))
                .col(string(a("head_hash")))
                .col(date(a("due_on")))
                .col(date(a("published_on")))
                .col(string(a("published_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_ledger_statement", "ledger_statement", &["account_id", "month"], true).await?;
        index(m, "ix_ledger_statement_path", "ledger_statement", &["region_path", "month"], false).await?;
        let c = m.get_connection();
        crate::m0021_figures::create_marks(c, "ledger_account", &[(1, "compound_id")]).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        if c.get_database_backend() == DbBackend::Sqlite {
            for op in ["insert", "update", "delete"] {
                c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS figure_ledger_account_{op}")).await?;
            }
        } else {
            c.execute_unprepared("DROP TRIGGER IF EXISTS figure_ledger_account ON ledger_account").await?;
            c.execute_unprepared("DROP FUNCTION IF EXISTS figure_ledger_account()").await?;
        }
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(a("notification")).drop_column(a("statement_id")).to_owned()).await?;
        Ok(())
    }
}
