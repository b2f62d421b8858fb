//! Building and reading audit events. Details carry ids, counts and field names only, never a
//! name, identifier or health value, so the trail itself is not a second copy of the record.

use crate::{Page, Result, ServiceError, page_bounds};
use careloop_domain::access::Actor;
use careloop_store::audit::{self, AuditEvent};
use careloop_store::{Db, Tx};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

pub fn event(
    actor: &Actor,
    action: &str,
    patient_id: Option<Uuid>,
    detail: Option<String>,
    now: OffsetDateTime,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        at: now,
        actor_id: (!actor.user_id.is_nil()).then_some(actor.user_id),
        actor_username: actor.username.clone(),
        action: action.to_string(),
        patient_id,
        detail,
        ip: actor.ip.clone(),
    }
}

/// Append one event inside the caller's transaction.
pub async fn record(tx: &mut Tx, event: AuditEvent) -> Result<()> {
    audit::insert_many(tx, &[event]).await?;
    Ok(())
}

/// Append events inside the caller's transaction, in one statement per thousand.
pub async fn record_all(tx: &mut Tx, events: Vec<AuditEvent>) -> Result<()> {
    audit::insert_many(tx, &events).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_username: String,
    pub action: String,
    pub patient_id: Option<Uuid>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        AuditEventView {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_username: e.actor_username,
            action: e.action,
            patient_id: e.patient_id,
            detail: e.detail,
            ip: e.ip,
        }
    }
}

/// The audit trail, newest first (admin only). Reading it is itself audited.
pub async fn list_events(
    db: &Db,
    actor: &Actor,
    patient_id: Option<Uuid>,
    page: Option<u64>,
    per_page: Option<u64>,
    now: OffsetDateTime,
) -> Result<Page<AuditEventView>> {
    if !actor.is_admin() {
        return Err(ServiceError::Forbidden);
    }
    let (page, per_page, offset) = page_bounds(page, per_page)?;
    let mut tx = db.begin().await?;
    let total = audit::count(&mut tx, patient_id).await?;
    let items = audit::list(&mut tx, patient_id, per_page, offset).await?;
    record(&mut tx, event(actor, "audit.read", patient_id, None, now)).await?;
    tx.commit().await?;
    Ok(Page {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    })
}
