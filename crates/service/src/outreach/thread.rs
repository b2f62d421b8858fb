//! One conversation per patient (消息会话): every message sent to the patient on any channel and
//! everything they sent back, in time order — what went out (queued, sent, failed), whether the
//! provider delivered it, whether its link was opened and answered, and each reply with its
//! triage and whether a nurse has handled it.

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use careloop_domain::access::Actor;
use careloop_domain::reply::Attention;
use careloop_store::{Db, consents, outbox};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// How many messages each way a thread shows (the newest).
pub const SHOWN: u64 = 200;

/// One message of the thread.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadEntry {
    /// `out` (sent to the patient) or `in` (sent back).
    pub direction: String,
    /// `sms`, `wechat`, `voice` or `staff`.
    pub channel: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The words (an outgoing link shows as [链接]).
    pub text: String,
    /// Outgoing: `queued`, `sent` or `failed`.
    pub status: Option<String>,
    /// Outgoing: the provider's receipt, `delivered` or `undelivered`.
    pub delivery: Option<String>,
    /// Outgoing with a link: when it was first opened, and answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub opened_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// Outgoing: the follow-up task it belongs to.
    pub task_id: Option<Uuid>,
    /// Incoming: how much attention it needs, whether it opted out, when a nurse handled it.
    pub attention: Option<Attention>,
    pub opt_out: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub handled_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Thread {
    pub patient_id: Uuid,
    pub patient_name: String,
    /// Oldest first.
    pub entries: Vec<ThreadEntry>,
}

/// The patient's conversation, audited.
pub async fn thread(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Thread> {
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let sent = outbox::list(&mut tx, Some(patient_id), None, SHOWN).await?;
    let hashes: Vec<String> = sent.iter().filter_map(|m| m.link.clone()).collect();
    let fates: HashMap<String, (Option<OffsetDateTime>, Option<OffsetDateTime>)> = outbox::link_fates(&mut tx, &hashes)
        .await?
        .into_iter()
        .map(|(h, opened, answered)| (h, (opened, answered)))
        .collect();
    let received = consents::inbound_of_patient(&mut tx, patient_id, SHOWN).await?;
    let detail = format!("sent={} received={}", sent.len(), received.len());
    record(
        &mut tx,
        event(actor, "messages.read", Some(patient_id), Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    let mut entries: Vec<ThreadEntry> = sent
        .into_iter()
        .map(|m| {
            let (opened_at, answered_at) = m.link.as_ref().and_then(|h| fates.get(h).copied()).unwrap_or_default();
            ThreadEntry {
                direction: "out".into(),
                channel: m.channel,
                at: m.sent_at.unwrap_or(m.created_at),
                text: m.body,
                status: Some(m.status),
                delivery: m.delivery,
                opened_at,
                answered_at,
                task_id: m.task_id,
                attention: None,
                opt_out: false,
                handled_at: None,
            }
        })
        .collect();
    entries.extend(received.into_iter().map(|r| ThreadEntry {
        direction: "in".into(),
        channel: r.channel,
        at: r.received_at,
        text: r.content,
        status: None,
        delivery: None,
        opened_at: None,
        answered_at: None,
        task_id: None,
        attention: Attention::parse(&r.attention),
        opt_out: r.opt_out,
        handled_at: r.handled_at,
    }));
    entries.sort_by_key(|e| e.at);
    Ok(Thread {
        patient_id,
        patient_name: patient.name,
        entries,
    })
}
