//! Imports already made (导入记录): the latest batches with their counts, and the report of
//! one, as it was answered when the file came in. Reports name locations and codes, never a
//! patient's values, so anyone who may import may read them.

use super::ImportReport;
use crate::{Result, ServiceError};
use careloop_domain::access::{Actor, PatientScope};
use careloop_store::Db;
use careloop_store::imports as store;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Batches a list shows.
pub const RECENT: u64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchSummary {
    pub id: Uuid,
    pub format: String,
    pub source: String,
    pub received: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who imported it (`None`: the command line).
    pub created_by: Option<String>,
}

fn may_import(actor: &Actor) -> Result<()> {
    if actor.patient_scope() == PatientScope::Nobody {
        Err(ServiceError::Forbidden)
    } else {
        Ok(())
    }
}

/// The latest imports, newest first.
pub async fn recent(db: &Db, actor: &Actor) -> Result<Vec<BatchSummary>> {
    may_import(actor)?;
    let mut tx = db.begin().await?;
    let rows = store::recent_batches(&mut tx, RECENT).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| BatchSummary {
            id: r.id,
            format: r.format,
            source: r.source,
            received: r.received.into(),
            created: r.created.into(),
            updated: r.updated.into(),
            unchanged: r.unchanged.into(),
            rejected: r.rejected.into(),
            created_at: r.created_at,
            created_by: r.created_by,
        })
        .collect())
}

/// One import as recorded: its report, when and by whom.
#[derive(Debug, Clone)]
pub struct StoredImport {
    pub report: ImportReport,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
}

/// The report of one import.
pub async fn report(db: &Db, actor: &Actor, id: Uuid) -> Result<StoredImport> {
    may_import(actor)?;
    let mut tx = db.begin().await?;
    let stored = store::batch_report(&mut tx, id).await?;
    tx.commit().await?;
    let (report, created_at, created_by) = stored.ok_or(ServiceError::NotFound("import"))?;
    Ok(StoredImport {
        report: serde_json::from_value(report.0).map_err(|_| ServiceError::Internal("stored import report"))?,
        created_at,
        created_by,
    })
}
