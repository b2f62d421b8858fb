//! The reply inbox (回复收件箱): what patients sent back and nobody has handled yet, of the
//! viewer's department (admins: all), urgent first, then replies that need a human read, then
//! those with findings, then the rest — each group longest waiting first. A nurse reads a reply,
//! acts (calls, closes its alert) and marks it handled; the handled ones stay listed apart.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::questionnaires::free_text::TextAnalysis;
use crate::{Result, ServiceError};
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::mask;
use careloop_domain::reply::Attention;
use careloop_store::Db;
use careloop_store::consents::{self, InboundRow};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// How many replies one listing shows.
pub const LISTED: u64 = 500;

/// A reply as the inbox shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    /// `sms` (WeChat to come).
    pub channel: String,
    /// The number it came from, masked (138****5678).
    pub sender: String,
    /// The patient's words, as sent.
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub attention: Attention,
    /// What the free-text analysis found.
    pub analysis: Option<TextAnalysis>,
    /// The alert it raised (the most severe), if any.
    pub alert_id: Option<Uuid>,
    /// The message it answers, when one was found.
    pub answers: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub handled_at: Option<OffsetDateTime>,
}

impl InboxItem {
    fn of(m: InboundRow, patient_name: String) -> InboxItem {
        InboxItem {
            id: m.id,
            patient_id: m.patient_id.unwrap_or_default(),
            patient_name,
            channel: m.channel,
            sender: mask::phone(&m.sender),
            content: m.content,
            received_at: m.received_at,
            attention: Attention::parse(&m.attention).unwrap_or(Attention::None),
            analysis: m.analysis.and_then(|a| serde_json::from_str(&a).ok()),
            alert_id: m.alert_id,
            answers: m.outbox_id,
            handled_at: m.handled_at,
        }
    }
}

/// The inbox: unhandled replies (or, with `handled`, the latest handled ones), audited.
pub async fn list(db: &Db, actor: &Actor, handled: bool, now: OffsetDateTime) -> Result<Vec<InboxItem>> {
    let department = match actor.patient_scope() {
        PatientScope::All => None,
        PatientScope::Department(d) => Some(d),
        PatientScope::Nobody => return Err(ServiceError::Forbidden),
    };
    let mut tx = db.begin().await?;
    // Ranked by the database (urgent first), so the limit never hides an urgent reply.
    let rows = consents::inbox(&mut tx, department, handled, LISTED).await?;
    let detail = format!("handled={handled} results={}", rows.len());
    record(&mut tx, event(actor, "inbox.list", None, Some(detail), now)).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| InboxItem::of(r.message, r.patient_name))
        .collect())
}

/// How many unhandled replies wait in the actor's inbox that need more than a glance (urgent, a
/// human read or findings): the count beside 患者回复 on every staff page. Not audited: a count.
pub async fn waiting(db: &Db, actor: &Actor) -> Result<i64> {
    let department = match actor.patient_scope() {
        PatientScope::All => None,
        PatientScope::Department(d) => Some(d),
        PatientScope::Nobody => return Ok(0),
    };
    let mut tx = db.begin_read().await?;
    let n = consents::count_waiting(&mut tx, department).await?;
    tx.commit().await?;
    Ok(n)
}

/// Mark a reply handled. A reply already handled is a conflict (two nurses on one reply).
pub async fn mark_handled(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<InboxItem> {
    let mut tx = db.begin().await?;
    let m = consents::inbound_for_update(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("reply"))?;
    let patient_id = m.patient_id.ok_or(ServiceError::NotFound("reply"))?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    if m.handled_at.is_some() {
        return Err(ServiceError::Conflict {
            field: "reply".into(),
            message: "the reply is already handled".into(),
            message_zh: "该回复已由他人处理".into(),
        });
    }
    let by = Some(actor.user_id).filter(|u| !u.is_nil());
    consents::mark_handled(&mut tx, id, by, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "inbound.handle",
            Some(patient_id),
            Some(format!("reply={id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let mut item = InboxItem::of(m, patient.name);
    item.handled_at = Some(now);
    Ok(item)
}
