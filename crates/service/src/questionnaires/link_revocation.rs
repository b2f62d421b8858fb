//! The staff side of a patient's links: the list of links made for the patient (by staff or
//! by the scheduler) with their state, and withdrawing one link (发错了 / 患者不需要) so it opens
//! nothing from then on, whoever holds it.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_store::Db;
use careloop_store::Tx;
use careloop_store::outbox::{self, LinkListRow};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Links shown per patient.
const LIST_LIMIT: u64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkSummary {
    /// The link's id: the hash of its token (the token itself is never stored).
    pub id: String,
    /// `questionnaire` or `message`.
    pub purpose: String,
    pub questionnaire: Option<String>,
    /// Sent by the scheduler for this task, if so.
    pub task_id: Option<Uuid>,
    /// The family proxy it was made for, if not the patient.
    pub proxy_id: Option<Uuid>,
    /// `open`, `answered`, `withdrawn` or `expired`.
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

fn summary(r: LinkListRow, now: OffsetDateTime) -> LinkSummary {
    let state = careloop_domain::followup::message::link_state(
        r.answered_at.is_some(),
        r.revoked_at.is_some(),
        r.expires_at,
        now,
    );
    LinkSummary {
        id: r.token_hash,
        purpose: r.purpose,
        questionnaire: r.questionnaire_id,
        task_id: r.task_id,
        proxy_id: r.proxy_id,
        state: state.into(),
        created_at: r.created_at,
        expires_at: r.expires_at,
    }
}

/// A patient's newest links, newest first.
pub async fn links_of_patient(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<LinkSummary>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = links_in(&mut tx, patient_id, now).await?;
    record(&mut tx, event(actor, "patient_link.list", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's recent links with their state, inside the caller's transaction.
pub(crate) async fn links_in(tx: &mut Tx, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<LinkSummary>> {
    let rows = outbox::links_of_patient(tx, patient_id, LIST_LIMIT).await?;
    Ok(rows.into_iter().map(|r| summary(r, now)).collect())
}

/// Withdraw one open link of the patient, with a reason (kept in the audit trail).
pub async fn withdraw(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    link_id: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<LinkSummary> {
    let reason = crate::patients::proxies::withdrawal_reason(reason)?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let link = outbox::find_link(&mut tx, link_id)
        .await?
        .filter(|l| l.patient_id == patient_id)
        .ok_or(ServiceError::NotFound("link"))?;
    // Answering a link also revokes it; either way it is no longer open.
    if link.revoked_at.is_some() || link.expires_at <= now {
        return Err(ServiceError::Conflict {
            field: "link".into(),
            message: "the link was answered, withdrawn or has expired".into(),
            message_zh: "该链接已失效（已提交、已收回或已过期）".into(),
        });
    }
    outbox::revoke_link(&mut tx, link_id, now).await?;
    let detail = format!("link={} reason={reason}", &link_id[..link_id.len().min(12)]);
    record(
        &mut tx,
        event(actor, "patient_link.withdraw", Some(patient_id), Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok(LinkSummary {
        id: link.token_hash,
        purpose: link.purpose,
        questionnaire: link.questionnaire_id,
        task_id: link.task_id,
        proxy_id: link.proxy_id,
        state: "withdrawn".into(),
        created_at: link.created_at,
        expires_at: link.expires_at,
    })
}
