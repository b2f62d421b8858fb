//! The schema as the database holds it — tables with their columns, and the indexes created by
//! name — so a test can migrate both backends and compare them: the two migration folders must
//! make the same schema. Column types are left out on purpose (each backend spells them its own
//! way); indexes that back a primary key or a UNIQUE constraint are named by each backend
//! itself and left out too.

use crate::{Result, Tx};
use sqlx::AssertSqlSafe;
use std::collections::BTreeSet;

/// `(table, column)` and `(table, index)` pairs, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub columns: BTreeSet<(String, String)>,
    pub indexes: BTreeSet<(String, String)>,
}

const SQLITE_COLUMNS: &str = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'";
const SQLITE_INDEXES: &str = "SELECT tbl_name, name FROM sqlite_master \
     WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' AND tbl_name NOT LIKE '\\_sqlx%' ESCAPE '\\'";
const PG_COLUMNS: &str = "SELECT table_name::text, column_name::text FROM information_schema.columns \
     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'";
const PG_INDEXES: &str = "SELECT tablename::text, indexname::text FROM pg_indexes \
     WHERE schemaname = current_schema() AND tablename NOT LIKE '\\_sqlx%' \
     AND indexname NOT IN (SELECT conname FROM pg_constraint)";

/// Read the schema of the database `tx` is on.
pub async fn describe(tx: &mut Tx) -> Result<Schema> {
    let (columns, indexes) = match tx {
        Tx::Sqlite(t, _) => (
            sqlx::query_as::<_, (String, String)>(AssertSqlSafe(SQLITE_COLUMNS))
                .fetch_all(&mut **t)
                .await?,
            sqlx::query_as::<_, (String, String)>(AssertSqlSafe(SQLITE_INDEXES))
                .fetch_all(&mut **t)
                .await?,
        ),
        Tx::Pg(t) => (
            sqlx::query_as::<_, (String, String)>(AssertSqlSafe(PG_COLUMNS))
                .fetch_all(&mut **t)
                .await?,
            sqlx::query_as::<_, (String, String)>(AssertSqlSafe(PG_INDEXES))
                .fetch_all(&mut **t)
                .await?,
        ),
    };
    Ok(Schema {
        columns: columns.into_iter().collect(),
        indexes: indexes.into_iter().collect(),
    })
}
