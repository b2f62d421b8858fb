//! Importing and exporting protocols (随访方案) as JSON documents. An import of a protocol id
//! that exists becomes its next version (running plans keep the version they started with);
//! importing a document identical to the newest version changes nothing.

use crate::kernel::access::require_admin;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::followup::protocol::Protocol;
use careloop_store::{Db, protocols};
use time::OffsetDateTime;

/// What an import did.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The stored document (with the version the server gave it).
    pub document: serde_json::Value,
    /// False when the document equalled the newest version and nothing was stored.
    pub created: bool,
}

/// Validate and store a protocol document as the next version of its id (admins).
pub async fn import_protocol(db: &Db, actor: &Actor, json: &str, now: OffsetDateTime) -> Result<Imported> {
    require_admin(actor)?;
    let mut p = Protocol::from_json(json)?;
    let mut tx = db.begin().await?;
    let latest = protocols::latest(&mut tx, &p.id).await?;
    if let Some(l) = &latest {
        let current: Option<Protocol> = serde_json::from_value(l.document.0.clone()).ok();
        if let Some(mut c) = current {
            c.version = p.version;
            if c == p {
                tx.commit().await?;
                return Ok(Imported {
                    document: l.document.0.clone(),
                    created: false,
                });
            }
        }
    }
    // The server numbers versions: whatever the file says, this is the next one.
    p.version = latest.map_or(1, |l| u32::try_from(l.version).unwrap_or(0) + 1);
    let doc = serde_json::to_value(&p).map_err(|_| ServiceError::Internal("protocol serialisation"))?;
    protocols::insert(
        &mut tx,
        &p.id,
        i32::try_from(p.version).unwrap_or(i32::MAX),
        doc.clone(),
        now,
    )
    .await?;
    record(
        &mut tx,
        event(
            actor,
            "protocol.import",
            None,
            Some(format!("protocol={} v{}", p.id, p.version)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        document: doc,
        created: true,
    })
}

/// One protocol's document: the newest version, or the one asked for.
pub async fn export_protocol(db: &Db, id: &str, version: Option<i32>) -> Result<serde_json::Value> {
    let mut tx = db.begin_read().await?;
    let row = match version {
        Some(v) => protocols::version(&mut tx, id, v).await?,
        None => protocols::latest(&mut tx, id).await?,
    };
    tx.commit().await?;
    row.map(|r| r.document.0).ok_or(ServiceError::NotFound("protocol"))
}
