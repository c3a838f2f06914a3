//! Bulk loading with ids assigned here, so a whole registry (compounds,
//! buildings, entrances, units, facts) goes in as multi-row INSERTs inside
//! one transaction: all or nothing, and fast on both backends.

use super::*;
use crate::WriteTx;

const ROWS: usize = 500;

use crate::sql::BulkTable as Table;

pub struct Writer {
    tx: WriteTx,
    conn: sea_orm::DatabaseConnection,
    actor: Actor,
    /// Audit rows to append at the end: (action, entity, id, compound, after).
    changes: Vec<(&'static str, &'static str, i64, i64, serde_json::Value)>,
    postgres: bool,
    compounds: Table,
    facts: Table,
    buildings: Table,
    entrances: Table,
    units: Table,
    now: DateTime<Utc>,
}

impl Writer {
    pub async fn new(db: &Db, actor: Actor) -> Result<Writer> {
        let tx = db.begin_write().await?;
        Ok(Writer {
            compounds: Table::start(
                &tx,
                "compound",
                &[
                    "region_code",
                    "community_code",
                    "region_path",
                    "name",
                    "address",
                    "year_built",
                    "is_old",
                    "households",
                    "floor_area_centi",
                    "unrecorded",
                    "lat_e6",
                    "lng_e6",
                    "created_at",
                    "updated_at",
                ],
            )
            .await?,
            facts: Table::start(
                &tx,
                "compound_fact",
                &["compound_id", "kind", "value", "ref_id", "valid_from", "valid_to", "recorded_at"],
            )
            .await?,
            buildings: Table::start(&tx, "building", &["compound_id", "name", "floors"]).await?,
            entrances: Table::start(&tx, "entrance", &["building_id", "name"]).await?,
            units: Table::start(&tx, "unit", &["entrance_id", "number", "floor", "area_centi"]).await?,
            postgres: db.backend() == sea_orm::DbBackend::Postgres,
            conn: db.conn().clone(),
            now: Utc::now(),
            actor,
            changes: Vec::new(),
            tx,
        })
    }

    /// Parents are flushed before children, so foreign keys hold at
    /// every statement; any table reaching a batch flushes them all.
    async fn after_push(&mut self, rows: usize) -> Result<()> {
        if rows >= ROWS {
            self.flush_all().await?;
        }
        Ok(())
    }

    async fn flush_all(&mut self) -> Result<()> {
        for t in [&mut self.compounds, &mut self.facts, &mut self.buildings, &mut self.entrances, &mut self.units] {
            t.flush(&self.tx).await?;
        }
        Ok(())
    }

    /// `region_path` must be the stored path of `d.region`.
    pub async fn compound(&mut self, d: &CompoundDraft, region_path: &str) -> Result<i64> {
        let now = self.now;
        let mut v = compound_values(d, region_path);
        v.extend([now.into(), now.into()]);
        let id = self.compounds.push(v);
        self.after_push(self.compounds.rows).await?;
        Ok(id)
    }

    /// Note a change for the audit log, written when the load finishes.
    pub fn record(
        &mut self,
        action: &'static str,
        entity: &'static str,
        id: i64,
        compound_id: i64,
        after: serde_json::Value,
    ) {
        self.changes.push((action, entity, id, compound_id, after));
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn fact(
        &mut self,
        compound_id: i64,
        kind: FactKind,
        value: Option<&str>,
        ref_id: Option<i64>,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> Result<i64> {
        let now = self.now;
        let id = self.facts.push(vec![
            compound_id.into(),
            kind.as_str().into(),
            value.map(str::to_owned).into(),
            ref_id.into(),
            from.into(),
            to.into(),
            now.into(),
        ]);
        self.after_push(self.facts.rows).await?;
        Ok(id)
    }

    pub async fn building(&mut self, compound_id: i64, name: &str, floors: i32) -> Result<i64> {
        let id = self.buildings.push(vec![compound_id.into(), name.into(), floors.into()]);
        self.after_push(self.buildings.rows).await?;
        Ok(id)
    }

    pub async fn entrance(&mut self, building_id: i64, name: &str) -> Result<i64> {
        let id = self.entrances.push(vec![building_id.into(), name.into()]);
        self.after_push(self.entrances.rows).await?;
        Ok(id)
    }

    pub async fn unit(&mut self, entrance_id: i64, number: &str, floor: i32, area: Area) -> Result<i64> {
        let id = self.units.push(vec![entrance_id.into(), number.into(), floor.into(), area.centi().into()]);
        self.after_push(self.units.rows).await?;
        Ok(id)
    }

    /// Write what is left and commit. Dropping a writer without this
    /// rolls everything back.
    pub async fn finish(mut self) -> Result<()> {
        self.flush_all().await?;
        for (action, entity, id, compound_id, after) in std::mem::take(&mut self.changes) {
            audit(&*self.tx, &self.actor, action, entity, id, compound_id, None, Some(after)).await?;
        }
        for t in [&self.compounds, &self.facts, &self.buildings, &self.entrances, &self.units] {
            t.follow_sequence(&self.tx).await?;
        }
        self.tx.commit().await?;
        if self.postgres {
            // Fresh statistics after a bulk load, or the planner guesses an
            // empty table and scans half a million units per building look-up.
            for t in ["compound", "compound_fact", "building", "entrance", "unit"] {
                exec(&self.conn, &format!("ANALYZE {t}"), vec![]).await?;
            }
        }
        Ok(())
    }
}
