//! The database handle and transaction, dispatching each statement to the right backend.

use crate::{Result, StoreError};
use sea_query::ExprTrait;
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, ConnectOptions, FromRow, Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the two supported databases. SQLite's pool comes with the
/// process's writer queue: SQLite has one writer at a time, and its busy handler lets waiting
/// writers poll rather than queue, so under load some waited out the busy timeout while later
/// ones got in. Writers of this process instead take turns in arrival order (a fair mutex held
/// for the whole write transaction); the busy timeout is left for other processes.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, WriterQueue),
    Pg(PgPool),
}

/// The turn of one SQLite writer at a time, first come first served.
pub type WriterQueue = std::sync::Arc<tokio::sync::Mutex<()>>;

/// How long a writer waits for its turn before the request fails as unavailable (as long as
/// SQLite's own busy timeout).
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// An open transaction. Dropping it without [`Tx::commit`] rolls back. A SQLite write
/// transaction holds its writer's turn until it ends.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, Option<tokio::sync::OwnedMutexGuard<()>>),
    Pg(Transaction<'static, Postgres>),
}

impl Db {
    /// Connect to `url` (`sqlite://path` or `postgres://...`), creating a SQLite file if needed.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        if url.starts_with("sqlite:") {
            // WAL lets readers proceed during a write; synchronous=FULL makes each commit
            // survive power loss, which health records need more than raw write speed.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // 32 MiB of page cache per connection instead of SQLite's 2 MiB: with millions
                // of follow-up tasks the default holds a sliver of the worklist indexes.
                .pragma("cache_size", "-32768")
                // A deleted or overwritten row's bytes are zeroed, not left in free space where
                // a copy of the file would still show an old address or phone number.
                .pragma("secure_delete", "ON")
                .busy_timeout(Duration::from_secs(10))
                .disable_statement_logging();
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .after_release(|conn, _| Box::pin(async move { still_clean(conn).await }))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool, WriterQueue::default()))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?.disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .after_release(|conn, _| Box::pin(async move { still_clean(conn).await }))
                .connect_with(opts)
                .await?;
            Ok(Db::Pg(pool))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Apply the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p, _) => {
                sqlx::migrate!("./migrations/sqlite").run(p).await?;
                // Gathers statistics for tables that lack or have stale ones (SQLite's advice
                // for long-lived connections); cheap when nothing changed.
                sqlx::raw_sql("PRAGMA optimize=0x10002").execute(p).await?;
            }
            Db::Pg(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Begin a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// nearly every use case writes (at least an audit event), and upgrading a read lock later
    /// fails with SQLITE_BUSY instead of waiting.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, writers) => {
                let waited = std::time::Instant::now();
                let turn = tokio::time::timeout(WRITER_WAIT, writers.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                metrics::histogram!("sqlite_writer_wait_seconds").record(waited.elapsed().as_secs_f64());
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// Begin a transaction that only reads (SQLite: deferred, so readers do not queue behind
    /// writers in WAL mode).
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, _) => Tx::Sqlite(p.begin().await?, None),
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// Refresh the query planner's statistics. Run after bulk loads: without statistics
    /// SQLite may scan a whole department instead of using the name index.
    pub async fn optimize(&self) -> Result<()> {
        match self {
            Db::Sqlite(p, _) => {
                sqlx::raw_sql("ANALYZE").execute(p).await?;
            }
            // VACUUM also sets the visibility map, so counts can use index-only scans.
            Db::Pg(p) => {
                sqlx::raw_sql("VACUUM (ANALYZE)").execute(p).await?;
            }
        }
        Ok(())
    }

    /// Whether a write can be committed: an UPDATE that changes no value but is written all the
    /// same (SQLite appends the page to its log, PostgreSQL a new row version). A full disk or a
    /// read-only file fails here while reads still answer.
    ///
    /// SQLite reuses its write-ahead log's space, so a small write can still commit on a full
    /// disk while any larger one fails: for SQLite the probe also writes and syncs 64 KiB beside
    /// the database file, then removes it.
    pub async fn probe_write(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.execute_raw("UPDATE counters SET value = value WHERE name = 'card_number'")
            .await?;
        tx.commit().await?;
        if let Db::Sqlite(pool, _) = self {
            let (_, _, file): (i64, String, String) = sqlx::query_as("PRAGMA database_list").fetch_one(pool).await?;
            let Some(dir) = std::path::Path::new(&file).parent().map(std::path::Path::to_path_buf) else {
                return Ok(());
            };
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                use std::io::Write;
                let probe = dir.join(".careloop-write-probe");
                let written = std::fs::File::create(&probe).and_then(|mut f| {
                    f.write_all(&[0u8; 64 * 1024])?;
                    f.sync_all()
                });
                let _ = std::fs::remove_file(&probe);
                written
            })
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))?
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        Ok(())
    }

    /// The pool's connections: how many are open, and how many of them idle.
    pub fn pool_use(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p, _) => (p.size(), p.num_idle()),
            Db::Pg(p) => (p.size(), p.num_idle()),
        }
    }

    /// Work waiting: messages queued in the outbox, patients waiting for their tier and tags
    /// to be refreshed.
    pub async fn queue_depths(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut tx = self.begin_read().await?;
        let mut out = Vec::new();
        for (queue, table, filter) in [
            ("outbox", "outbox", Some(("status", "queued"))),
            ("refresh", "refresh_queue", None),
        ] {
            let mut stmt = sea_query::Query::select()
                .expr_as(sea_query::Expr::col(sea_query::Asterisk).count(), "n")
                .from(table)
                .to_owned();
            if let Some((col, value)) = filter {
                stmt.and_where(sea_query::Expr::col(col).eq(value));
            }
            let c: Count = tx.fetch_one(&stmt).await?;
            out.push((queue, c.n));
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn ping(&self) -> Result<()> {
        match self {
            Db::Sqlite(p, _) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
            Db::Pg(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Pg(p) => p.close().await,
        }
    }
}

/// Whether a connection handed back to the pool may serve again: its queued rollback, if any,
/// has run (the ping goes through the same queue) and it is outside any transaction. When a
/// write fails with a full disk, SQLite may roll the transaction back itself; the rollback
/// the dropped transaction then sends fails, the driver still counts the connection as in a
/// transaction, and every later BEGIN on it failed ("begin_with at non-zero transaction
/// depth") long after space was freed. Such a connection is closed instead.
async fn still_clean<C: sqlx::Connection>(conn: &mut C) -> std::result::Result<bool, sqlx::Error> {
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// A row type decodable from both backends' rows (what `#[derive(sqlx::FromRow)]` gives).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, turn) => {
                t.commit().await?;
                // The next writer's turn begins once this one's COMMIT is done.
                drop(turn);
            }
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }

    /// Run a statement; returns the number of rows affected.
    pub async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t, _) => {
                let (sql, v) = stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), v)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }
            Tx::Pg(t) => {
                let (sql, v) = stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), v)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }
        })
    }

    pub async fn fetch_all<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(t, _) => {
                let (sql, v) = stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v)
                    .fetch_all(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                let (sql, v) = stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v)
                    .fetch_all(&mut **t)
                    .await?
            }
        })
    }

    pub async fn fetch_optional<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(t, _) => {
                let (sql, v) = stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v)
                    .fetch_optional(&mut **t)
                    .await?
            }
            Tx::Pg(t) => {
                let (sql, v) = stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v)
                    .fetch_optional(&mut **t)
                    .await?
            }
        })
    }

    pub async fn fetch_one<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<T> {
        self.fetch_optional(stmt)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Run raw SQL without parameters (scratch tables in benchmarks, maintenance).
    pub async fn execute_raw(&mut self, sql: &str) -> Result<()> {
        match self {
            Tx::Sqlite(t, _) => {
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await?;
            }
            Tx::Pg(t) => {
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await?;
            }
        }
        Ok(())
    }
}

/// A single `COUNT(*)` or other integer result.
#[derive(Debug, sqlx::FromRow)]
pub struct Count {
    pub n: i64,
}
