//! The two migration folders (`crates/store/migrations/{sqlite,postgres}`) must make the same
//! schema: the same tables with the same columns, and the same named indexes.

use crate::helpers::{Backend, fresh_database, teardown};
use careloop_store::Db;
use careloop_store::schema::{Schema, describe};
use libtest_mimic::Failed;

async fn migrated(backend: Backend) -> Result<Schema, Failed> {
    let (url, cleanup) = fresh_database(backend).await?;
    let schema = async {
        let db = Db::connect(&url, 1).await?;
        db.migrate().await?;
        let mut tx = db.begin_read().await?;
        let schema = describe(&mut tx).await?;
        tx.commit().await?;
        db.close().await;
        Ok::<_, careloop_store::StoreError>(schema)
    }
    .await;
    teardown(cleanup).await;
    Ok(schema.map_err(|e| format!("{e}"))?)
}

/// Migrate a fresh database of each backend and compare what they hold.
pub fn both_migration_folders_make_the_same_schema() -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        // Bounded like every other trial: a database that never answers fails it.
        let both = async { Ok::<_, Failed>((migrated(Backend::Sqlite).await?, migrated(Backend::Postgres).await?)) };
        let (sqlite, pg) = tokio::time::timeout(crate::helpers::DEFAULT_BOUND, both)
            .await
            .map_err(|_| {
                format!(
                    "schema comparison still running after {} s",
                    crate::helpers::DEFAULT_BOUND.as_secs()
                )
            })??;
        if sqlite.columns.len() < 100 || sqlite.indexes.len() < 10 {
            return Err(format!("suspiciously small schema: {sqlite:?}").into());
        }
        let only = |a: &std::collections::BTreeSet<(String, String)>,
                    b: &std::collections::BTreeSet<(String, String)>| {
            a.difference(b).cloned().collect::<Vec<_>>()
        };
        let report = [
            ("columns only on SQLite", only(&sqlite.columns, &pg.columns)),
            ("columns only on PostgreSQL", only(&pg.columns, &sqlite.columns)),
            ("indexes only on SQLite", only(&sqlite.indexes, &pg.indexes)),
            ("indexes only on PostgreSQL", only(&pg.indexes, &sqlite.indexes)),
        ];
        let drift: Vec<String> = report
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(what, d)| format!("{what}: {d:?}"))
            .collect();
        if drift.is_empty() {
            Ok(())
        } else {
            Err(drift.join("\n").into())
        }
    })
}
