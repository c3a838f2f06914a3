//! Helpers the later migrations share: tables and columns named by text,
//! region paths compared byte-wise on both backends, indexes in one call.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

pub(crate) fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// A region path column, compared byte-wise on PostgreSQL as on SQLite.
pub(crate) fn path(m: &SchemaManager, name: &str) -> ColumnDef {
    let mut c = string(a(name));
    if m.get_database_backend() == DbBackend::Postgres {
        c.extra("COLLATE \"C\"");
    }
    c
}

pub(crate) async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(a(table));
    for c in cols {
        i.col(a(c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}
