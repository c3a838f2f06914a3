//! Small helpers over raw statements: one SQL text with `$N` placeholders
//! serves both backends.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, FromQueryResult, QueryResult, Statement, Value};

/// The id a `RETURNING id` gives back.
#[derive(FromQueryResult)]
pub(crate) struct Id {
    pub id: i64,
}

/// `(col >= $i AND col < $j)`: rows whose path lies in `p`'s subtree, the
/// bounds pushed on `vals`.
pub(crate) fn in_subtree(col: &str, p: &domain::RegionPath, vals: &mut Vec<Value>) -> String {
    let (lo, hi) = p.subtree_range();
    vals.push(lo.into());
    vals.push(hi.into());
    format!("({col} >= ${} AND {col} < ${})", vals.len() - 1, vals.len())
}

/// Quoted SQL literals of the domain's own enum spellings (lower-case
/// ASCII, never user input), for `IN (…)` lists made from a domain rule.
pub(crate) fn sql_list(values: impl IntoIterator<Item = &'static str>) -> String {
    values
        .into_iter()
        .map(|v| {
            debug_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            format!("'{v}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids for `IN (…)`, written out: they are numbers, never text from a user.
pub(crate) fn id_list(xs: &[i64]) -> String {
    xs.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

/// `(a OR b …)`; with no condition, one that no row meets.
pub(crate) fn any_of(mut conds: Vec<String>) -> String {
    if conds.is_empty() {
        conds.push("1 = 0".into());
    }
    format!("({})", conds.join(" OR "))
}

pub(crate) fn stmt(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

pub(crate) async fn all<T: FromQueryResult>(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, DbErr> {
    let rows = c.query_all_raw(stmt(c, sql, values)).await?;
    rows.iter().map(|r| T::from_query_result(r, "")).collect()
}

/// The id an `INSERT … RETURNING id` gives back.
pub(crate) async fn insert_id(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<i64, DbErr> {
    let r: Option<Id> = one(c, sql, values).await?;
    r.map(|r| r.id).ok_or_else(|| DbErr::RecordNotInserted)
}

pub(crate) async fn one<T: FromQueryResult>(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>, DbErr> {
    match c.query_one_raw(stmt(c, sql, values)).await? {
        Some(r) => Ok(Some(T::from_query_result(&r, "")?)),
        None => Ok(None),
    }
}

/// One page of `select` (columns and joins) restricted by `filter` (a
/// ` WHERE …` clause over `count_from`), with the total count. `vals` binds the
/// filter's `$N`; the page's limit and offset are appended after them.
pub(crate) async fn page_of<T: FromQueryResult>(
    c: &impl ConnectionTrait,
    select: &str,
    count_from: &str,
    filter: &str,
    order: &str,
    mut vals: Vec<Value>,
    page: domain::Paging,
) -> Result<(Vec<T>, u64), DbErr> {
    let total = scalar_i64(c, &format!("SELECT COUNT(*) FROM {count_from}{filter}"), vals.clone()).await? as u64;
    let n = vals.len();
    vals.push((page.per_page as i64).into());
    vals.push((page.offset() as i64).into());
    let sql = format!("{select}{filter} ORDER BY {order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
    Ok((all(c, &sql, vals).await?, total))
}

pub(crate) async fn scalar_i64(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<i64, DbErr> {
    let row: Option<QueryResult> = c.query_one_raw(stmt(c, sql, values)).await?;
    match row {
        Some(r) => r.try_get_by_index::<Option<i64>>(0).map(|v| v.unwrap_or(0)),
        None => Ok(0),
    }
}

pub(crate) async fn exec(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<ExecResult, DbErr> {
    c.execute_raw(stmt(c, sql, values)).await
}

/// `($1,$2,$3),($4,$5,$6),…` for a multi-row INSERT of `rows` rows of `cols`
/// columns; `(?,?,?),…` on SQLite, where binding named parameters costs a
/// linear scan each (`sqlite3_bind_parameter_name`), so a 7,000-value
/// statement bound `$N` style takes quadratic time.
pub(crate) fn placeholders(backend: DbBackend, rows: usize, cols: usize) -> String {
    if backend == DbBackend::Sqlite {
        let row = format!("({})", vec!["?"; cols].join(","));
        return vec![row; rows].join(",");
    }
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}

/// Escape `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
/// A stored spelling read back as its domain value. Rows become the domain's
/// types as they are read: a spelling gongzhi never writes is an error naming
/// the row here, not a string that later code misreads.
pub(crate) fn known<T>(
    row: &dyn std::fmt::Display,
    what: &str,
    v: &str,
    find: fn(&str) -> Option<T>,
) -> Result<T, DbErr> {
    find(v).ok_or_else(|| DbErr::Type(format!("{row}: unknown {what} {v:?}")))
}

/// [`known`] for a column that may be NULL.
pub(crate) fn known_opt<T>(
    row: &dyn std::fmt::Display,
    what: &str,
    v: Option<&str>,
    find: fn(&str) -> Option<T>,
) -> Result<Option<T>, DbErr> {
    v.map(|v| known(row, what, v, find)).transpose()
}

/// How many rows meet `cond` (our own SQL, never user input), as a BIGINT
/// that is 0, not NULL, when no row does.
pub(crate) fn count_when(cond: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}

pub(crate) fn like_contains(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 2);
    s.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    s
}

/// Rows of one table written in bulk with ids assigned here (multi-row
/// INSERTs inside the caller's transaction), so parents and children can
/// be linked before anything is written: the registry's bulk loader and
/// the backfill of past records share it.
pub(crate) struct BulkTable {
    pub name: &'static str,
    cols: &'static [&'static str],
    next_id: i64,
    vals: Vec<Value>,
    pub rows: usize,
}

impl BulkTable {
    pub async fn start(
        tx: &crate::WriteTx,
        name: &'static str,
        cols: &'static [&'static str],
    ) -> Result<BulkTable, DbErr> {
        let max = scalar_i64(&**tx, &format!("SELECT MAX(id) FROM {name}"), vec![]).await?;
        Ok(BulkTable { name, cols, next_id: max + 1, vals: Vec::new(), rows: 0 })
    }

    pub fn push(&mut self, vals: Vec<Value>) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.vals.push(id.into());
        self.vals.extend(vals);
        self.rows += 1;
        id
    }

    pub async fn flush(&mut self, tx: &crate::WriteTx) -> Result<(), DbErr> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO {} (id, {}) VALUES {}",
            self.name,
            self.cols.join(", "),
            placeholders(tx.get_database_backend(), self.rows, self.cols.len() + 1)
        );
        exec(&**tx, &sql, std::mem::take(&mut self.vals)).await?;
        self.rows = 0;
        Ok(())
    }

    /// PostgreSQL: ids were given explicitly, so move the table's sequence past them.
    pub async fn follow_sequence(&self, tx: &crate::WriteTx) -> Result<(), DbErr> {
        if tx.get_database_backend() == DbBackend::Postgres {
            exec(
                &**tx,
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {0}))",
                    self.name
                ),
                vec![],
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_placeholders_and_patterns() {
        assert_eq!(placeholders(DbBackend::Postgres, 2, 2), "($1,$2),($3,$4)");
        assert_eq!(placeholders(DbBackend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(like_contains("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
