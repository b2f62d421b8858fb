//! Alerts as staff work them (预警处理): the list of a department's open, acknowledged or closed
//! alerts, and acknowledging or closing one with its outcome.

use crate::kernel::access::accessible;
use crate::kernel::alerts::AlertView;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::followup::alert::{desk_of, urgency};
use careloop_domain::patient::optional_text;
use careloop_store::records::AlertRow;
use careloop_store::{Db, patients, records};
use time::OffsetDateTime;
use uuid::Uuid;

/// Open alerts of the actor's department (admins: all), most urgent first.
pub async fn list_alerts(db: &Db, actor: &Actor, status: Option<&str>, now: OffsetDateTime) -> Result<Vec<AlertView>> {
    Ok(listed(db, actor, status, now)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// An alert as the alert centre (预警中心) shows it.
#[derive(Debug, Clone)]
pub struct BoardAlert {
    pub alert: AlertView,
    pub patient_name: String,
    /// Minutes until it escalates; negative once overdue.
    pub minutes_left: i64,
    /// Owned by the viewer's role (on their desk), rather than by a colleague's.
    pub mine: bool,
}

/// The alert centre: the department's alerts with `status` (admins: all), the viewer's own
/// first, then severe before mild, then the least time left.
pub async fn board(db: &Db, actor: &Actor, status: Option<&str>, now: OffsetDateTime) -> Result<Vec<BoardAlert>> {
    let rows = listed(db, actor, status, now).await?;
    let mut ids: Vec<Uuid> = rows.iter().map(|a| a.patient_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut tx = db.begin_read().await?;
    let names: std::collections::HashMap<Uuid, String> = patients::find_many(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    tx.commit().await?;
    let mut board: Vec<BoardAlert> = rows
        .into_iter()
        .map(|a| {
            let name = names.get(&a.patient_id).cloned().unwrap_or_default();
            on_board(a, name, actor, now)
        })
        .collect();
    board.sort_by_key(|b| (!b.mine, urgency(&b.alert.severity, b.alert.sla_due_at)));
    Ok(board)
}

/// An alert as the viewer sees it: whether it is on their desk and how long is left.
pub fn on_board(a: AlertRow, patient_name: String, actor: &Actor, now: OffsetDateTime) -> BoardAlert {
    BoardAlert {
        patient_name,
        minutes_left: (a.sla_due_at - now).whole_minutes(),
        mine: desk_of(actor.role.as_str()).contains(&a.owner_role.as_str()),
        alert: a.into(),
    }
}

/// How many open alerts are on the actor's desk (their role's, in their department): the badge
/// in the top bar of every staff page. A count, not patient data, so not audited.
pub async fn open_on_desk(db: &Db, actor: &Actor) -> Result<i64> {
    let department = match actor.patient_scope() {
        PatientScope::All => None,
        PatientScope::Department(d) => Some(d),
        PatientScope::Nobody => return Ok(0),
    };
    let mut tx = db.begin_read().await?;
    let n = records::count_open_alerts(&mut tx, desk_of(actor.role.as_str()), department).await?;
    tx.commit().await?;
    Ok(n)
}

/// The department's alerts with `status` (admins: all), most urgent first, the listing audited.
async fn listed(db: &Db, actor: &Actor, status: Option<&str>, now: OffsetDateTime) -> Result<Vec<AlertRow>> {
    let status = status.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("open");
    if !["open", "acknowledged", "closed"].contains(&status) {
        return Err(FieldError::new(
            "status",
            "state_unknown",
            "status must be open, acknowledged or closed",
            "预警状态无效",
        )
        .into());
    }
    let department = match actor.patient_scope() {
        PatientScope::All => None,
        PatientScope::Department(d) => Some(d),
        PatientScope::Nobody => return Err(ServiceError::Forbidden),
    };
    let mut tx = db.begin().await?;
    let rows = records::list_alerts(&mut tx, status, department, 500).await?;
    record(
        &mut tx,
        event(actor, "alert.list", None, Some(format!("results={}", rows.len())), now),
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Acknowledge an open alert (stops its escalation) or close it with an outcome.
pub async fn handle_alert(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    close_with: Option<&str>,
    now: OffsetDateTime,
) -> Result<AlertView> {
    use careloop_domain::followup::alert::AlertStatus;
    let outcome = match close_with {
        Some(o) => {
            Some(optional_text(&Some(o.to_string()), "outcome", 500)?.ok_or_else(|| FieldError::required("outcome"))?)
        }
        None => None,
    };
    let mut tx = db.begin().await?;
    let mut a = records::find_alert(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("alert"))?;
    accessible(&mut tx, actor, a.patient_id).await?;
    let status = AlertStatus::parse(&a.status).ok_or(ServiceError::Internal("unknown alert status"))?;
    let next = match &outcome {
        None => status.acknowledge(),
        Some(_) => status.close(),
    }
    .ok_or_else(|| conflict_alert(status.as_str()))?;
    let by = Some(actor.user_id).filter(|u| !u.is_nil());
    let moved = (status.as_str(), next.as_str());
    if !records::set_alert_status(&mut tx, id, moved, by, outcome.as_deref(), now).await? {
        // Someone acknowledged or closed it between our read and this write.
        return Err(conflict_alert("handled"));
    }
    let action = if outcome.is_some() {
        "alert.close"
    } else {
        "alert.acknowledge"
    };
    record(
        &mut tx,
        event(actor, action, Some(a.patient_id), Some(format!("alert={id}")), now),
    )
    .await?;
    tx.commit().await?;
    a.status = next.as_str().into();
    a.outcome = outcome;
    Ok(a.into())
}

fn conflict_alert(status: &str) -> ServiceError {
    ServiceError::Conflict {
        field: "alert".into(),
        message: format!("the alert is already {status}"),
        message_zh: "该预警已处理".into(),
    }
}
