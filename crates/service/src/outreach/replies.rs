//! What patients send back (上行): each SMS reply is stored once, matched to the patient it
//! comes from and the message it answers (the newest SMS sent to that number in the last week),
//! and an opt-out (回T退订: T, TD, 退订 …) withdraws the patient's consent to SMS at once, so
//! nothing more goes to them by SMS until they agree again (the scheduler fails such steps to
//! the nurse's list instead). Content never reaches a log line or the audit trail.

use crate::Result;
use crate::kernel::audit::{event, record};
use careloop_domain::consent::is_opt_out;
use careloop_store::Db;
use careloop_store::consents::{self, ConsentRow, InboundRow};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How far back a reply looks for the message it answers.
pub const MATCH_WINDOW: Duration = Duration::days(7);

/// A message as a provider pushes it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundReply {
    /// The provider's own key for it (Aliyun's sequence_id), to store it once.
    pub key: String,
    /// The mainland mobile it came from.
    pub sender: String,
    pub content: String,
    pub at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyOutcome {
    pub stored: usize,
    pub duplicates: usize,
    /// Replies that withdrew a patient's consent to SMS.
    pub opted_out: usize,
    /// Replies from a number no recent message went to.
    pub unmatched: usize,
}

/// Store a provider's batch of SMS replies in one transaction.
pub async fn record_sms_replies(
    db: &Db,
    provider: &str,
    replies: &[InboundReply],
    now: OffsetDateTime,
) -> Result<ReplyOutcome> {
    let system = crate::kernel::access::system_actor();
    let mut out = ReplyOutcome::default();
    let mut tx = db.begin().await?;
    let mut events = Vec::new();
    for r in replies {
        let at = r.at.unwrap_or(now);
        let matched = consents::last_sent_to(&mut tx, "sms", &r.sender, at, MATCH_WINDOW).await?;
        let opt_out = is_opt_out(&r.content);
        let row = InboundRow {
            id: Uuid::now_v7(),
            channel: "sms".into(),
            provider: provider.into(),
            provider_key: format!("{provider}|{}", r.key),
            sender: r.sender.clone(),
            patient_id: matched.map(|(_, p)| p),
            outbox_id: matched.map(|(m, _)| m),
            content: r.content.chars().take(2000).collect(),
            opt_out,
            received_at: at,
        };
        if !consents::insert_inbound(&mut tx, &row).await? {
            out.duplicates += 1;
            continue;
        }
        out.stored += 1;
        let Some(patient) = row.patient_id else {
            out.unmatched += 1;
            continue;
        };
        events.push(event(
            &system,
            "inbound.reply",
            Some(patient),
            Some(format!("provider={provider}")),
            now,
        ));
        if opt_out {
            consents::record(
                &mut tx,
                &ConsentRow {
                    id: Uuid::now_v7(),
                    patient_id: patient,
                    proxy_id: None,
                    channel: "sms".into(),
                    granted: false,
                    how: "sms_reply".into(),
                    recorded_by: None,
                    notice_version: None,
                    at,
                },
            )
            .await?;
            out.opted_out += 1;
            events.push(event(
                &system,
                "consent.withdraw",
                Some(patient),
                Some("channel=sms how=sms_reply".into()),
                now,
            ));
        }
    }
    for e in events {
        record(&mut tx, e).await?;
    }
    tx.commit().await?;
    Ok(out)
}
