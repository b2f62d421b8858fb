//! Persistence for CareLoop. One [`Db`] enum over typed sqlx pools (SQLite, the embedded
//! default, and PostgreSQL, the production store); SQL is built once with sea-query and emitted
//! in each backend's dialect. Repository functions take a [`Tx`]: the service layer owns
//! begin/commit, so every use case is one transaction.
//!
//! Invariants: timestamps are stored in UTC truncated to whole seconds (SQLite keeps them as
//! RFC 3339 text, which then sorts correctly); ids are UUID v7, so they sort by creation time.

pub mod advice;
pub mod amendments;
pub mod audit;
pub mod consents;
pub mod counters;
pub mod critical_limits;
mod db;
pub mod departments;
pub mod diagnoses;
pub mod discharges;
pub mod figure_targets;
pub mod health_records;
pub mod imports;
pub mod observations;
pub mod organisations;
pub mod outbox;
pub mod patients;
pub mod plans;
pub mod protocols;
pub mod proxies;
pub mod questionnaires;
pub mod records;
pub mod refresh_queue;
pub mod risk_tiers;
pub mod schema;
pub mod sessions;
pub mod stats;
pub mod tags;
pub mod users;

pub use db::{Backend, Count, Db, Row, Tx};

use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the string names the constraint or column.
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let what = db
                .constraint()
                .map(str::to_string)
                .unwrap_or_else(|| db.message().to_string());
            return StoreError::Conflict(what);
        }
        StoreError::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An instant as the store keeps it: UTC, whole seconds.
pub fn stored_time(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// The exclusive upper bound for a prefix search: every string starting with `prefix` sorts
/// below it under byte-wise collation (SQLite BINARY, PostgreSQL "C").
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The driver's error type, for callers that classify failures (e.g. unavailable vs. bug).
pub use sqlx::Error as SqlxError;
pub use sqlx::types::Json;
