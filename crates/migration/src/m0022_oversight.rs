//! Oversight of companies (issue 15): grading schemes per region with their
//! history, campaigns, inspections with scored checklists, rectification
//! notices with their compounds, items, timeline and photos, recorded facts
//! for grading, published grades, objections and talks (约谈).

use crate::util::{a, index, path};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 14] = [
    "talk",
    "grade_objection",
    "grade_result",
    "grade_publication",
    "grade_entry",
    "rect_photo",
    "rect_event",
    "rect_item",
    "rect_compound",
    "rect_notice",
    "inspection_photo",
    "inspection_item",
    "inspection",
    "campaign",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("grading_scheme"))
                .col(big_pk_auto(a("id")))
                // None: the default for the whole country.
                .col(string_null(a("region_code")))
                .col(date(a("valid_from")))
                .col(text(a("scheme")))
                .col(string(a("set_by")))
                .col(timestamp_with_time_zone(a("set_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_grading_scheme_region", "grading_scheme", &["region_code", "valid_from"], false).await?;

        m.create_table(
            Table::create()
                .table(a("campaign"))
                .col(big_pk_auto(a("id")))
                .col(string(a("region_code")))
                .col(path(m, "region_path"))
                .col(string(a("name")))
                .col(date(a("starts_on")))
                .col(date(a("ends_on")))
                .col(text(a("checklist")))
                .col(text(a("note")).default(""))
                .col(string(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_campaign_path", "campaign", &["region_path"], false).await?;

        m.create_table(
            Table::create()
                .table(a("inspection"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                // The company serving the compound on the day (None: none served it).
                .col(big_integer_null(a("company_id")))
                .col(big_integer_null(a("campaign_id")))
                // A re-inspection (回头看) names the inspection it follows up.
                .col(big_integer_null(a("follows_id")))
                .col(string(a("kind")))
                .col(date(a("visited_on")))
                .col(string(a("inspector")))
                .col(big_integer(a("score")))
                .col(big_integer(a("max")))
                .col(text(a("note")).default(""))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_inspection_path", "inspection", &["region_path", "visited_on"], false).await?;
        index(m, "ix_inspection_compound", "inspection", &["compound_id", "visited_on"], false).await?;
        index(m, "ix_inspection_company", "inspection", &["company_id", "visited_on"], false).await?;
        m.create_table(
            Table::create()
                .table(a("inspection_item"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("inspection_id")))
                .col(integer(a("position")))
                .col(string(a("label")))
                .col(big_integer(a("max")))
                .col(big_integer(a("score")))
                .col(text(a("finding")).default(""))
                .to_owned(),
        )
        .await?;
        index(m, "ix_inspection_item", "inspection_item", &["inspection_id", "position"], true).await?;
        m.create_table(
            Table::create()
                .table(a("inspection_photo"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("inspection_id")))
                // The checklist line it shows (from 1).
                .col(integer(a("position")))
                .col(string(a("sha256")))
                .col(string(a("mime")))
                .col(big_integer(a("bytes")))
                .col(timestamp_with_time_zone(a("at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_inspection_photo", "inspection_photo", &["inspection_id", "position"], false).await?;

        m.create_table(
            Table::create()
                .table(a("rect_notice"))
                .col(big_pk_auto(a("id")))
                .col(string(a("number")))
                // The issuing region (a street, county or city) and the level it is supervised at now.
                .col(string(a("region_code")))
                .col(path(m, "region_path"))
                .col(string(a("level_code")))
                .col(big_integer(a("company_id")))
                .col(big_integer_null(a("campaign_id")))
                .col(big_integer_null(a("inspection_id")))
                .col(text(a("requirement")))
                .col(date(a("issued_on")))
                .col(date(a("deadline")))
                .col(string(a("state")))
                .col(string(a("issued_by")))
                .col(timestamp_with_time_zone(a("issued_at")))
                .col(timestamp_with_time_zone_null(a("received_at")))
                .col(timestamp_with_time_zone_null(a("answered_at")))
                .col(timestamp_with_time_zone_null(a("closed_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_rect_notice_number", "rect_notice", &["number"], true).await?;
        index(m, "ix_rect_notice_path", "rect_notice", &["region_path", "issued_on"], false).await?;
        index(m, "ix_rect_notice_company", "rect_notice", &["company_id", "deadline"], false).await?;
        index(m, "ix_rect_notice_campaign", "rect_notice", &["campaign_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("rect_compound"))
                .col(big_integer(a("notice_id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                .primary_key(Index::create().col(a("notice_id")).col(a("compound_id")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_rect_compound_path", "rect_compound", &["region_path", "notice_id"], false).await?;
        index(m, "ix_rect_compound_compound", "rect_compound", &["compound_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("rect_item"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("notice_id")))
                .col(integer(a("position")))
                .col(text(a("text")))
                .col(big_integer_null(a("problem_id")))
                .col(big_integer_null(a("finding_id")))
                .col(timestamp_with_time_zone_null(a("closed_at")))
                .col(string_null(a("closed_by")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_rect_item_notice", "rect_item", &["notice_id", "position"], true).await?;
        m.create_table(
            Table::create()
                .table(a("rect_event"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("notice_id")))
                .col(timestamp_with_time_zone(a("at")))
                .col(string(a("actor")))
                .col(string(a("step")))
                .col(string_null(a("from_state")))
                .col(string(a("to_state")))
                .col(text(a("note")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_rect_event_notice", "rect_event", &["notice_id", "at"], false).await?;
        index(m, "ix_rect_event_step", "rect_event", &["step", "at"], false).await?;
        m.create_table(
            Table::create()
                .table(a("rect_photo"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("notice_id")))
                // `issue` (with the notice) or `answer` (the company's evidence).
                .col(string(a("stage")))
                .col(string(a("sha256")))
                .col(string(a("mime")))
                .col(big_integer(a("bytes")))
                .col(timestamp_with_time_zone(a("at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_rect_photo_notice", "rect_photo", &["notice_id"], false).await?;

        m.create_table(
            Table::create()
                .table(a("grade_entry"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("company_id")))
                // None: the whole company (counted in every compound it serves).
                .col(big_integer_null(a("compound_id")))
                .col(string(a("region_code")))
                .col(path(m, "region_path"))
                .col(date(a("on_date")))
                .col(string(a("item_key")))
                .col(big_integer(a("count")))
                .col(text(a("reason")))
                .col(text(a("evidence")).default(""))
                .col(string(a("recorded_by")))
                .col(timestamp_with_time_zone(a("recorded_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_grade_entry_company", "grade_entry", &["company_id", "on_date"], false).await?;
        m.create_table(
            Table::create()
                .table(a("grade_publication"))
                .col(big_pk_auto(a("id")))
                .col(string(a("region_code")))
                .col(path(m, "region_path"))
                .col(date(a("period_start")))
                .col(date(a("period_end")))
                .col(text(a("scheme")))
                .col(string(a("published_by")))
                // First published (the objection window runs from here); revised after a ruling.
                .col(timestamp_with_time_zone(a("published_at")))
                .col(timestamp_with_time_zone_null(a("revised_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_grade_publication", "grade_publication", &["region_code", "period_start"], true).await?;
        m.create_table(
            Table::create()
                .table(a("grade_result"))
                .col(big_integer(a("publication_id")))
                .col(big_integer(a("company_id")))
                .col(big_integer(a("score")))
                .col(string(a("grade")))
                .col(boolean(a("vetoed")))
                .col(integer(a("compounds")))
                .primary_key(Index::create().col(a("publication_id")).col(a("company_id")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_grade_result_company", "grade_result", &["company_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("grade_objection"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("publication_id")))
                .col(big_integer(a("company_id")))
                .col(string(a("item_key")))
                // The fact objected to (`problem:12`, `notice:3`, `finding:40`, `entry:7`, `party:5`).
                .col(string(a("source")))
                .col(text(a("reason")))
                .col(string(a("filed_by")))
                .col(timestamp_with_time_zone(a("filed_at")))
                // pending, upheld (the fact no longer counts) or dismissed.
                .col(string(a("state")))
                .col(text_null(a("ruling")))
                .col(string_null(a("ruled_by")))
                .col(timestamp_with_time_zone_null(a("ruled_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_grade_objection", "grade_objection", &["company_id", "source"], false).await?;
        m.create_table(
            Table::create()
                .table(a("talk"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("company_id")))
                .col(string(a("region_code")))
                .col(path(m, "region_path"))
                .col(date(a("held_on")))
                .col(text(a("people")))
                .col(text(a("outcome")))
                .col(big_integer_null(a("notice_id")))
                .col(string(a("recorded_by")))
                .col(timestamp_with_time_zone(a("recorded_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_talk_company", "talk", &["company_id", "held_on"], false).await?;
        index(m, "ix_talk_path", "talk", &["region_path"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(a("grading_scheme")).to_owned()).await
    }
}
