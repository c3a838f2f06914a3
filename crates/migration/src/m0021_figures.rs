//! The maintained figures (decision 0010).
//!
//! - `figure_dirty`: the entities (1 compound, 2 organisation, 3 person)
//!   whose contribution to the figures may have changed. Triggers on every
//!   table the figures read mark them in the writing transaction itself, so
//!   no write path — the API, the pages, an import, a hand-made SQL fix —
//!   can change a fact without its figures following.
//! - `figure_part`: each entity's contribution as last counted (JSON).
//! - `figure_step`: per kept region, grain (0 year, 1 month, 2 day), bucket
//!   and counter, the sum of the +1/−1 steps of all contributions.
//!
//! Everything already stored is marked, so the first read counts it all.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, what a changed row marks: (entity kind, column)).
const MARKS: [(&str, &[(i16, &str)]); 7] = [
    ("compound", &[(1, "id")]),
    ("compound_fact", &[(1, "compound_id"), (2, "ref_id")]),
    ("organisation", &[(2, "id"), (2, "covers_org_id"), (1, "compound_id")]),
    ("org_fact", &[(2, "org_id")]),
    ("post", &[(3, "person_id"), (2, "org_id")]),
    ("person_fact", &[(3, "person_id")]),
    ("building", &[(1, "compound_id")]),
];

fn mark(sqlite: bool, kind: i16, row: &str, col: &str) -> String {
    // On PostgreSQL a mark already there is updated, not skipped: the row
    // lock makes a settle that is taking it wait for this writer's commit, so
    // the settle then recounts from what this writer wrote (a writer outside
    // the registry lock, a hand-made fix, cannot lose its mark).
    let (or_ignore, on_conflict) =
        if sqlite { (" OR IGNORE", "") } else { ("", " ON CONFLICT (kind, id) DO UPDATE SET id = EXCLUDED.id") };
    format!(
        "INSERT{or_ignore} INTO figure_dirty (kind, id) SELECT {kind}, {row}.{col} WHERE {row}.{col} IS NOT NULL{on_conflict};"
    )
}

/// The triggers that mark, in the writing transaction, what a change of `table` touches.
pub(crate) async fn create_marks<C: ConnectionTrait>(c: &C, table: &str, marks: &[(i16, &str)]) -> Result<(), DbErr> {
    let sqlite = c.get_database_backend() == DbBackend::Sqlite;
    // A building only moves its heads when it moves to another compound.
    let event = |op: &'static str| if table == "building" && op == "UPDATE" { "UPDATE OF compound_id" } else { op };
    if sqlite {
        for op in ["INSERT", "UPDATE", "DELETE"] {
            if table == "building" && op != "UPDATE" {
                continue;
            }
            let rows: &[&str] = match op {
                "INSERT" => &["NEW"],
                "DELETE" => &["OLD"],
                _ => &["OLD", "NEW"],
            };
            let body: String =
                rows.iter().flat_map(|r| marks.iter().map(move |(k, col)| mark(true, *k, r, col))).collect();
            c.execute_unprepared(&format!(
                "CREATE TRIGGER figure_{table}_{} AFTER {} ON {table} FOR EACH ROW BEGIN {body} END",
                op.to_lowercase(),
                event(op)
            ))
            .await?;
        }
    } else {
        let new: String = marks.iter().map(|(k, col)| mark(false, *k, "NEW", col)).collect();
        let old: String = marks.iter().map(|(k, col)| mark(false, *k, "OLD", col)).collect();
        c.execute_unprepared(&format!(
            "CREATE FUNCTION figure_{table}() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN \
                 IF TG_OP <> 'INSERT' THEN {old} END IF; IF TG_OP <> 'DELETE' THEN {new} END IF; \
                 RETURN NULL; END $f$"
        ))
        .await?;
        let events = if table == "building" { "UPDATE OF compound_id" } else { "INSERT OR UPDATE OR DELETE" };
        c.execute_unprepared(&format!(
            "CREATE TRIGGER figure_{table} AFTER {events} ON {table} FOR EACH ROW EXECUTE FUNCTION figure_{table}()"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        let sqlite = c.get_database_backend() == DbBackend::Sqlite;
        let no_rowid = if sqlite { " WITHOUT ROWID" } else { "" };
        c.execute_unprepared(&format!(
            "CREATE TABLE figure_dirty (kind SMALLINT NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (kind, id)){no_rowid}"
        ))
        .await?;
        c.execute_unprepared(&format!(
            "CREATE TABLE figure_part (kind SMALLINT NOT NULL, id BIGINT NOT NULL, parts TEXT NOT NULL, \
             PRIMARY KEY (kind, id)){no_rowid}"
        ))
        .await?;
        c.execute_unprepared(&format!(
            "CREATE TABLE figure_step (region BIGINT NOT NULL, grain SMALLINT NOT NULL, bucket INTEGER NOT NULL, \
             counter SMALLINT NOT NULL, delta BIGINT NOT NULL, PRIMARY KEY (region, grain, bucket, counter)){no_rowid}"
        ))
        .await?;
        for (table, marks) in MARKS {
            create_marks(c, table, marks).await?;
        }
        for (kind, table) in [(1, "compound"), (2, "organisation"), (3, "person")] {
            c.execute_unprepared(&format!("INSERT INTO figure_dirty (kind, id) SELECT {kind}, id FROM {table}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        let sqlite = c.get_database_backend() == DbBackend::Sqlite;
        for (table, _) in MARKS {
            if sqlite {
                for op in ["insert", "update", "delete"] {
                    c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS figure_{table}_{op}")).await?;
                }
            } else {
                c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS figure_{table} ON {table}")).await?;
                c.execute_unprepared(&format!("DROP FUNCTION IF EXISTS figure_{table}()")).await?;
            }
        }
        for t in ["figure_step", "figure_part", "figure_dirty"] {
            c.execute_unprepared(&format!("DROP TABLE {t}")).await?;
        }
        Ok(())
    }
}
