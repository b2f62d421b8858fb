//! Alerts (预警) as every workflow raises them: the view, the first owner and SLA from the
//! domain's ladder, and the escalation a scheduler pass makes.

use crate::Result;
use careloop_domain::followup::alert::{AlertKind, first_owner};
use careloop_store::Tx;
use careloop_store::records::{self, AlertRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// `mild` (to the nurse) or `severe` (to the doctor).
    pub severity: String,
    pub status: String,
    pub owner_role: String,
    pub reason: String,
    /// When it was raised.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub sla_due_at: OffsetDateTime,
    /// How many times it passed to a higher role because nobody acted in time.
    pub escalations: i32,
    pub outcome: Option<String>,
}

impl From<AlertRow> for AlertView {
    fn from(a: AlertRow) -> Self {
        AlertView {
            id: a.id,
            patient_id: a.patient_id,
            severity: a.severity,
            status: a.status,
            owner_role: a.owner_role,
            reason: a.reason,
            created_at: a.created_at,
            sla_due_at: a.sla_due_at,
            escalations: a.escalations,
            outcome: a.outcome,
        }
    }
}

/// An alert from a signed record or a questionnaire response (`source`: record id, response
/// id). Severe findings go to the doctor within the hour; mild ones to the nurse within three
/// days — one ladder, so every alert escalates the same way.
pub fn alert_from(
    patient_id: Uuid,
    (record_id, response_id): (Option<Uuid>, Option<Uuid>),
    kind: AlertKind,
    reason: String,
    now: OffsetDateTime,
) -> AlertRow {
    let (owner, sla) = first_owner(kind);
    AlertRow {
        id: Uuid::now_v7(),
        patient_id,
        record_id,
        severity: kind.severity().into(),
        status: "open".into(),
        owner_role: owner.into(),
        reason,
        sla_due_at: now + sla,
        created_at: now,
        escalations: 0,
        outcome: None,
        response_id,
    }
}

/// Hand every open alert whose SLA has passed to the next role (inside a scheduler pass).
pub async fn escalate_overdue_alerts(tx: &mut Tx, now: OffsetDateTime) -> Result<u64> {
    let mut n = 0;
    for a in records::claim_overdue_alerts(tx, now, 500).await? {
        if let Some((role, sla)) = careloop_domain::followup::alert::escalation(&a.owner_role) {
            records::escalate_alert(tx, a.id, role, now + sla, a.escalations + 1).await?;
            n += 1;
        }
    }
    Ok(n)
}
