//! What patients send back (上行): each SMS reply is stored once, matched to the patient it
//! comes from and the message it answers (the newest SMS sent to that number in the last week),
//! and an opt-out (回T退订: T, TD, 退订 …) withdraws the patient's consent to SMS at once, so
//! nothing more goes to them by SMS until they agree again (the scheduler fails such steps to
//! the nurse's list instead). Content never reaches a log line or the audit trail.
//!
//! Every other matched reply is read by the free-text analysis as it arrives, in the same
//! transaction that stores it: an urgent finding or a value past its emergency limit raises a
//! severe alert to the doctor (within the hour); red-flag words the rules cannot explain, or
//! symptoms, raise a mild alert to the nurse; negative emotions go to the psychologist. The
//! reply waits in the reply inbox (回复收件箱), urgent first, until a nurse marks it handled.

use crate::kernel::alerts::alert_from;
use crate::kernel::audit::{event, record_all};
use crate::questionnaires::free_text::{self, TextAnalysis};
use crate::{Result, ServiceError};
use careloop_domain::consent::is_opt_out;
use careloop_domain::followup::alert::AlertKind;
use careloop_domain::reply::Attention;
use careloop_store::Db;
use careloop_store::consents::{self, ConsentRow, InboundRow};
use careloop_store::records::{self, AlertRow};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Longest reply kept (an SMS reply is at most a few segments).
pub const MAX_REPLY_CHARS: usize = 2000;

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
    /// Alerts the replies raised.
    pub alerts: usize,
}

/// Store a provider's batch of SMS replies in one transaction, a few statements per batch
/// rather than per reply: the stored keys, the messages the senders were sent, the replies with
/// their triage, their alerts, consent changes and audit events each in one go.
pub async fn record_sms_replies(
    db: &Db,
    provider: &str,
    replies: &[InboundReply],
    now: OffsetDateTime,
) -> Result<ReplyOutcome> {
    let system = crate::kernel::access::system_actor();
    let mut out = ReplyOutcome::default();
    // Reading the texts is CPU work: off the async workers, before the transaction.
    let texts: Vec<String> = replies
        .iter()
        .map(|r| r.content.chars().take(MAX_REPLY_CHARS).collect())
        .collect();
    let analyses =
        tokio::task::spawn_blocking(move || texts.iter().map(|t| TextAnalysis::of_text(t)).collect::<Vec<_>>())
            .await
            .map_err(|_| ServiceError::Internal("reply analysis"))?;
    let key = |r: &InboundReply| format!("{provider}|{}", r.key);
    let mut tx = db.begin().await?;
    let keys: Vec<String> = replies.iter().map(key).collect();
    let mut seen = consents::stored_keys(&mut tx, &keys).await?;
    let senders: Vec<String> = replies.iter().map(|r| r.sender.clone()).collect();
    let earliest = replies.iter().map(|r| r.at.unwrap_or(now)).min().unwrap_or(now);
    let sent = consents::sent_to_many(&mut tx, "sms", &senders, earliest - MATCH_WINDOW).await?;
    let mut rows: Vec<InboundRow> = Vec::new();
    let mut alerts: Vec<AlertRow> = Vec::new();
    let mut raised_by: HashMap<String, Vec<Uuid>> = HashMap::new();
    for (r, analysis) in replies.iter().zip(analyses) {
        if !seen.insert(key(r)) {
            out.duplicates += 1;
            continue;
        }
        let at = r.at.unwrap_or(now);
        // The newest message sent to that number within the window before the reply.
        let matched = sent
            .iter()
            .find(|m| m.recipient == r.sender && m.created_at >= at - MATCH_WINDOW);
        let opt_out = is_opt_out(&r.content);
        let attention = if opt_out {
            Attention::None
        } else {
            Attention::of(analysis.urgent, analysis.needs_human_read, analysis.found())
        };
        let raised = match matched {
            Some(m) if !opt_out => reply_alerts(m.patient_id, &analysis, attention, now),
            _ => Vec::new(),
        };
        rows.push(InboundRow {
            id: Uuid::now_v7(),
            channel: "sms".into(),
            provider: provider.into(),
            provider_key: key(r),
            sender: r.sender.clone(),
            patient_id: matched.map(|m| m.patient_id),
            outbox_id: matched.map(|m| m.id),
            content: r.content.chars().take(MAX_REPLY_CHARS).collect(),
            opt_out,
            received_at: at,
            attention: attention.as_str().into(),
            analysis: serde_json::to_string(&analysis).ok(),
            alert_id: raised.first().map(|a| a.id),
            handled_at: None,
            handled_by: None,
        });
        raised_by.insert(key(r), raised.iter().map(|a| a.id).collect());
        alerts.extend(raised);
    }
    // The alerts first (a reply names its alert); then the replies. A reply a concurrent push
    // stored first is not stored again, and the alerts raised for it here are taken back.
    records::insert_alerts(&mut tx, &alerts).await?;
    let stored = consents::insert_inbound_many(&mut tx, &rows).await?;
    let (rows, raced): (Vec<InboundRow>, Vec<InboundRow>) =
        rows.into_iter().partition(|r| stored.contains(&r.provider_key));
    out.duplicates += raced.len();
    let taken_back: Vec<Uuid> = raced
        .iter()
        .filter_map(|r| raised_by.get(&r.provider_key))
        .flatten()
        .copied()
        .collect();
    records::delete_alerts(&mut tx, &taken_back).await?;
    out.alerts = alerts.len() - taken_back.len();
    let mut events = Vec::new();
    for row in &rows {
        out.stored += 1;
        let Some(patient) = row.patient_id else {
            out.unmatched += 1;
            continue;
        };
        events.push(event(
            &system,
            "inbound.reply",
            Some(patient),
            Some(format!("provider={provider} attention={}", row.attention)),
            now,
        ));
        if row.opt_out {
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
                    at: row.received_at,
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
    record_all(&mut tx, events).await?;
    tx.commit().await?;
    Ok(out)
}

/// The alerts a reply raises, the most severe first: urgent findings and values past their
/// limits to the doctor, negative emotions to the psychologist, and — when nothing urgent was
/// found — symptoms or unexplained red-flag words to the nurse.
fn reply_alerts(patient: Uuid, analysis: &TextAnalysis, attention: Attention, now: OffsetDateTime) -> Vec<AlertRow> {
    let mut raised = Vec::new();
    free_text::alerts(
        patient,
        (None, None),
        "短信回复",
        std::slice::from_ref(analysis),
        &mut raised,
        now,
    );
    let reason = match attention {
        // The words stay in the reply (the inbox shows them); an alert names no patient's words.
        Attention::Read => Some("短信回复含规则未能解释的危险字词，需人工阅读，请护士阅读回复".to_string()),
        Attention::Findings if !analysis.symptoms.is_empty() || !analysis.readings.is_empty() => {
            let mut found: Vec<String> = analysis.symptoms.iter().map(|f| f.zh.clone()).collect();
            found.extend(analysis.readings.iter().map(free_text::ReadingView::describe));
            Some(format!("短信回复提示：{}，请护士查看回复并联系患者", found.join("，")))
        }
        _ => None,
    };
    if let Some(reason) = reason {
        raised.push(alert_from(patient, (None, None), AlertKind::Mild, reason, now));
    }
    raised.sort_by_key(|a| a.severity != "severe");
    raised
}
