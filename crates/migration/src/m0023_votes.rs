//! Owners, consultation and owners' votes (issue 16): where each unit's area
//! comes from and what kind of part it is; owners and their dated ownership
//! of units; residents' claims to be an owner; votes with their buildings,
//! questions, ballots, objections and kept results; consultation topics with
//! their timeline and residents' ratings.

use crate::util::{a, index, path};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 13] = [
    "vote_rule",
    "topic_rating",
    "topic_event",
    "topic",
    "vote_result",
    "vote_objection",
    "ballot",
    "vote_question",
    "vote_building",
    "vote",
    "owner_claim",
    "ownership",
    "owner",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Areas recorded before this migration said nothing of their source:
        // they are taken as the weakest (the contract's), so any registered or
        // surveyed figure given later replaces them.
        m.alter_table(
            Table::alter().table(a("unit")).add_column(string(a("area_source")).default("contract")).to_owned(),
        )
        .await?;
        // An owner is told in the app when a vote they take part in is announced or counted.
        m.alter_table(Table::alter().table(a("notification")).add_column(big_integer_null(a("vote_id"))).to_owned())
            .await?;
        // dwelling, parking (a registered space) or shop.
        m.alter_table(Table::alter().table(a("unit")).add_column(string(a("kind")).default("dwelling")).to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table(a("owner"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(string(a("name")))
                // person, organisation or developer.
                .col(string(a("kind")))
                .col(string_null(a("phone")))
                // The last four characters of the identity document, to verify a claim.
                .col(string_null(a("id_tail")))
                // The account the owner signs in with, once a claim is verified.
                .col(big_integer_null(a("user_id")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_owner_compound", "owner", &["compound_id", "name"], false).await?;
        index(m, "ix_owner_user", "owner", &["user_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("ownership"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("unit_id")))
                .col(big_integer(a("owner_id")))
                .col(date(a("valid_from")))
                // The day it ended (exclusive); None while it lasts.
                .col(date_null(a("valid_to")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_ownership_unit", "ownership", &["unit_id", "valid_from"], false).await?;
        index(m, "ix_ownership_owner", "ownership", &["owner_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("owner_claim"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("user_id")))
                .col(big_integer(a("unit_id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                .col(string(a("name")))
                .col(string(a("id_tail")))
                .col(text(a("note")).default(""))
                // pending, verified or rejected.
                .col(string(a("state")))
                .col(big_integer_null(a("owner_id")))
                .col(string_null(a("decided_by")))
                .col(timestamp_with_time_zone_null(a("decided_at")))
                .col(text(a("reason")).default(""))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_owner_claim_path", "owner_claim", &["region_path", "state"], false).await?;
        index(m, "ix_owner_claim_user", "owner_claim", &["user_id"], false).await?;

        m.create_table(
            Table::create()
                .table(a("vote"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                .col(big_integer_null(a("topic_id")))
                .col(string(a("title")))
                .col(text(a("body")).default(""))
                .col(string(a("state")))
                .col(date(a("announced_on")))
                .col(date(a("opens_on")))
                .col(date(a("closes_on")))
                .col(integer(a("objection_days")))
                // 1: the covenant deems non-returned ballots consent; reported apart only.
                .col(integer(a("deemed_consent")).default(0))
                .col(text(a("cancel_reason")).default(""))
                // Keys the owners' receipts, so a receipt does not reveal its choice.
                .col(string(a("salt")))
                .col(date_null(a("counted_on")))
                .col(date_null(a("final_on")))
                .col(string(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_vote_path", "vote", &["region_path", "opens_on"], false).await?;
        index(m, "ix_vote_compound", "vote", &["compound_id", "opens_on"], false).await?;
        m.create_table(
            Table::create()
                .table(a("vote_building"))
                .col(big_integer(a("vote_id")))
                .col(big_integer(a("building_id")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_vote_building", "vote_building", &["vote_id", "building_id"], true).await?;
        m.create_table(
            Table::create()
                .table(a("vote_question"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("vote_id")))
                .col(integer(a("position")))
                .col(text(a("text")))
                .col(string(a("matter")))
                // What the matter proposed, and what the convener confirmed.
                .col(string(a("proposed_category")))
                .col(string(a("category")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_vote_question", "vote_question", &["vote_id", "position"], true).await?;
        m.create_table(
            Table::create()
                .table(a("ballot"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("vote_id")))
                .col(big_integer(a("question_id")))
                // `developer` or `owners:1,2` (domain::vote::Voter::key).
                .col(string(a("voter_key")))
                // The owner who cast it (or for whom it was entered).
                .col(big_integer_null(a("owner_id")))
                .col(string(a("choice")))
                // online, paper or proxy.
                .col(string(a("channel")))
                .col(string_null(a("proxy_name")))
                // The photo of a paper ballot or of a proxy's written authority.
                .col(string_null(a("photo_sha256")))
                .col(string_null(a("photo_mime")))
                .col(string(a("entered_by")))
                .col(integer(a("revision")))
                .col(timestamp_with_time_zone(a("cast_at")))
                .to_owned(),
        )
        .await?;
        // One ballot per owner per question: a change replaces it.
        index(m, "ux_ballot_voter", "ballot", &["question_id", "voter_key"], true).await?;
        index(m, "ix_ballot_vote", "ballot", &["vote_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("vote_objection"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("vote_id")))
                .col(big_integer_null(a("owner_id")))
                .col(string(a("filed_by")))
                .col(text(a("text")))
                .col(timestamp_with_time_zone(a("filed_at")))
                .col(text(a("ruling")).default(""))
                .col(string_null(a("ruled_by")))
                .col(timestamp_with_time_zone_null(a("ruled_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_vote_objection", "vote_objection", &["vote_id"], false).await?;
        m.create_table(
            Table::create()
                .table(a("vote_result"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("vote_id")))
                .col(big_integer(a("question_id")))
                // preliminary or final.
                .col(string(a("kind")))
                .col(text(a("tally")))
                .col(string(a("ballots_sha256")))
                .col(boolean(a("passed")))
                .col(date(a("published_on")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_vote_result", "vote_result", &["question_id", "kind"], true).await?;
        index(m, "ix_vote_result_vote", "vote_result", &["vote_id"], false).await?;

        m.create_table(
            Table::create()
                .table(a("topic"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("compound_id")))
                .col(path(m, "region_path"))
                .col(string(a("title")))
                .col(text(a("body")).default(""))
                .col(string(a("proposer")))
                .col(string(a("proposed_by")))
                .col(string_null(a("matter")))
                .col(boolean(a("major")))
                .col(string(a("state")))
                .col(big_integer_null(a("vote_id")))
                .col(text(a("decision")).default(""))
                .col(date(a("raised_on")))
                .col(date_null(a("decided_on")))
                .col(date_null(a("done_on")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_topic_path", "topic", &["region_path", "raised_on"], false).await?;
        index(m, "ix_topic_compound", "topic", &["compound_id", "raised_on"], false).await?;
        m.create_table(
            Table::create()
                .table(a("topic_event"))
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("topic_id")))
                .col(timestamp_with_time_zone(a("at")))
                .col(string(a("actor")))
                .col(string(a("step")))
                .col(string_null(a("from_state")))
                .col(string(a("to_state")))
                .col(text(a("note")).default(""))
                .col(string_null(a("meeting_kind")))
                .col(date_null(a("meeting_on")))
                .col(big_integer_null(a("attendance")))
                .col(string_null(a("photo_sha256")))
                .col(string_null(a("photo_mime")))
                .to_owned(),
        )
        .await?;
        index(m, "ix_topic_event", "topic_event", &["topic_id", "at"], false).await?;
        m.create_table(
            Table::create()
                .table(a("topic_rating"))
                .col(big_integer(a("topic_id")))
                .col(big_integer(a("user_id")))
                .col(integer(a("stars")))
                .col(text(a("comment")).default(""))
                .col(timestamp_with_time_zone(a("at")))
                .to_owned(),
        )
        .await?;
        index(m, "ux_topic_rating", "topic_rating", &["topic_id", "user_id"], true).await?;
        // A region's own notice period and objection window (never below the law's).
        m.create_table(
            Table::create()
                .table(a("vote_rule"))
                .col(string(a("region_code")).primary_key())
                .col(integer(a("notice_days")))
                .col(integer(a("objection_days")))
                .col(string(a("set_by")))
                .col(timestamp_with_time_zone(a("set_at")))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(a("notification")).drop_column(a("vote_id")).to_owned()).await?;
        m.alter_table(Table::alter().table(a("unit")).drop_column(a("kind")).to_owned()).await?;
        m.alter_table(Table::alter().table(a("unit")).drop_column(a("area_source")).to_owned()).await
    }
}
