//! Sending automated steps (SMS, WeChat, voice robot, questionnaire links) through a
//! [`Channel`], exactly once per attempt, outside quiet hours. See `careloop_store::outbox` for
//! the two-phase protocol (queue in the task's transaction; deliver under a lease with an
//! idempotency key).

use crate::admin::auth::{new_link_token, token_hash};
use crate::followup::enrolment::stored_state;
use crate::kernel::audit::{event, record};
use crate::kernel::transitions::system_transition;
use crate::{Result, ServiceError};
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::followup::contact::QuietHours;
use careloop_domain::followup::message::{ChannelKind, LINK_SLOT, MessageContext, render, with_link};
use careloop_domain::followup::protocol::{Method, Protocol};
use careloop_domain::followup::task::{TaskEvent, transition};
use careloop_domain::patient::Sex;
use careloop_store::outbox::{self, Claim, DueStepRow, OutboxRow, PatientLinkRow};
use careloop_store::plans::{self};
use careloop_store::{Db, Tx, protocols};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// One message for a provider.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The same key for every delivery attempt of the same message.
    pub idempotency_key: &'a str,
    /// `sms`, `wechat` or `voice`.
    pub channel: &'a str,
    pub recipient: &'a str,
    /// The text as the patient receives it (the sandbox records it; a provider sends the
    /// template below, which renders to the same text).
    pub body: &'a str,
    /// The approved template it goes as (`questionnaire_link`, `revisit_reminder` …) and its
    /// named parameters, the link in place; `None` for a voice robot's opening words.
    pub template: Option<&'a str>,
    pub params: &'a [(String, String)],
}

#[derive(Debug, Clone)]
pub struct Receipt {
    /// The provider's message id.
    pub provider_ref: String,
}

#[derive(Debug, Clone)]
pub enum SendError {
    /// The provider refused the message for good (bad number, content rejected).
    Permanent(String),
    /// Worth trying again later (timeout, rate limit, provider down).
    Temporary(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<Receipt, SendError>> + Send + 'a>>;

/// A way of reaching patients. Real adapters (SMS gateways, WeChat, voice robots) pass the
/// idempotency key to the provider so that a repeated call is not a second message.
pub trait Channel: Send + Sync {
    fn send<'a>(&'a self, msg: &'a Outgoing<'a>) -> SendFuture<'a>;
}

/// The demo and test channel: "delivers" by recording the message in `sandbox_deliveries`,
/// once per idempotency key, where the outbox page and tests can see it.
pub struct SandboxChannel {
    db: Db,
}

impl SandboxChannel {
    pub fn new(db: Db) -> SandboxChannel {
        SandboxChannel { db }
    }
}

impl Channel for SandboxChannel {
    fn send<'a>(&'a self, msg: &'a Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let temporary = |e: careloop_store::StoreError| SendError::Temporary(e.to_string());
            let mut tx = self.db.begin().await.map_err(temporary)?;
            outbox::sandbox_deliver(
                &mut tx,
                msg.idempotency_key,
                msg.channel,
                msg.recipient,
                msg.body,
                OffsetDateTime::now_utc(),
            )
            .await
            .map_err(temporary)?;
            tx.commit().await.map_err(temporary)?;
            Ok(Receipt {
                provider_ref: format!("sandbox-{}", msg.idempotency_key),
            })
        })
    }
}

/// Messages routed by channel: SMS to one provider, everything else to another (the sandbox,
/// until WeChat and voice have theirs).
pub struct ByChannel {
    pub sms: Arc<dyn Channel>,
    pub other: Arc<dyn Channel>,
}

impl Channel for ByChannel {
    fn send<'a>(&'a self, msg: &'a Outgoing<'a>) -> SendFuture<'a> {
        if msg.channel == ChannelKind::Sms.as_str() {
            self.sms.send(msg)
        } else {
            self.other.send(msg)
        }
    }
}

/// How automated steps go out.
#[derive(Clone)]
pub struct Delivery {
    pub channel: Arc<dyn Channel>,
    /// Where patients' links point, e.g. `https://followup.example-hospital.cn`.
    pub public_url: String,
    /// How long a claimed message is reserved for one process before another may send it.
    pub lease: Duration,
    /// Days a questionnaire link stays valid.
    pub link_days: u32,
    /// How long one provider call may take before it counts as a temporary failure, so a
    /// provider that hangs cannot stall the scheduler pass (the message is tried again later
    /// under the same idempotency key).
    pub send_timeout: std::time::Duration,
}

/// A provider call that takes longer than this has failed for now.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Delivery {
    /// The sandbox channel with defaults (demo, tests, `careloop tick`).
    pub fn sandbox(db: &Db, public_url: &str) -> Delivery {
        Delivery {
            channel: Arc::new(SandboxChannel::new(db.clone())),
            public_url: public_url.trim_end_matches('/').to_string(),
            lease: Duration::minutes(2),
            link_days: 7,
            send_timeout: SEND_TIMEOUT,
        }
    }
}

/// What one sending pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SendOutcome {
    /// Messages written to the outbox (their tasks now in progress).
    pub queued: u64,
    /// Due steps held back because it is quiet hours for the patient.
    pub held_quiet: u64,
    /// Messages the channel accepted.
    pub sent: u64,
    /// Messages the channel refused for good (their tasks failed).
    pub failed: u64,
    /// Claimed messages this pass left alone because its lease ran out and another process
    /// claimed them meanwhile.
    pub lost: u64,
}

const BATCH: u64 = 200;
/// A message that keeps failing temporarily is given up after this many tries.
const MAX_DELIVERY_ATTEMPTS: i32 = 5;

/// Queue every due automated step outside quiet hours, then deliver everything queued.
pub async fn send_due(db: &Db, d: &Delivery, now: OffsetDateTime) -> Result<SendOutcome> {
    let mut out = SendOutcome::default();
    queue_due_steps(db, d, now, &mut out).await?;
    deliver_queued(db, d, now, &mut out).await?;
    Ok(out)
}

async fn protocol_of(tx: &mut Tx, cache: &mut HashMap<(String, i32), Protocol>, r: &DueStepRow) -> Result<Protocol> {
    let key = (r.protocol_id.clone(), r.protocol_version);
    if let Some(p) = cache.get(&key) {
        return Ok(p.clone());
    }
    let stored = protocols::version(tx, &r.protocol_id, r.protocol_version)
        .await?
        .ok_or(ServiceError::NotFound("protocol"))?;
    let p = crate::kernel::protocols::read_stored(stored.document.0)?;
    cache.insert(key, p.clone());
    Ok(p)
}

fn quiet_hours(r: &DueStepRow) -> QuietHours {
    let patient = (r.patient_quiet_start.as_deref(), r.patient_quiet_end.as_deref());
    let org = (r.org_quiet_start.as_deref(), r.org_quiet_end.as_deref());
    let chosen = if patient.0.is_some() && patient.1.is_some() {
        patient
    } else {
        org
    };
    QuietHours::from_stored(chosen.0, chosen.1).unwrap_or_default()
}

async fn queue_due_steps(db: &Db, d: &Delivery, now: OffsetDateTime, out: &mut SendOutcome) -> Result<()> {
    let mut held: Vec<Uuid> = Vec::new();
    let mut cache = HashMap::new();
    loop {
        let mut tx = db.begin().await?;
        let rows = outbox::claim_due_steps(&mut tx, BATCH, &held).await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(());
        }
        let mut log = Vec::new();
        // Patients who withdrew their consent to a channel (a 退订 reply, or told staff): their
        // steps on that channel go to a nurse.
        let patients: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
        let withdrawn = careloop_store::consents::withdrawn_channels(&mut tx, &patients).await?;
        for r in &rows {
            if quiet_hours(r).contains(now) {
                held.push(r.id);
                out.held_quiet += 1;
                continue;
            }
            let protocol = protocol_of(&mut tx, &mut cache, r).await?;
            let method: Method = serde_json::from_value(serde_json::Value::String(r.method.clone()))
                .map_err(|_| ServiceError::Internal("unknown step method"))?;
            let kind = ChannelKind::for_method(method).ok_or(ServiceError::Internal("manual step in the outbox"))?;
            let step_name = protocol
                .steps
                .iter()
                .find(|s| s.key == r.step_key)
                .map_or(r.step_key.as_str(), |s| s.name_zh.as_str());
            // A questionnaire goes to the family proxy who receives the patient's links, if any
            // (consent in force); the page then says they answer on the patient's behalf.
            let receiver = if method == Method::Questionnaire {
                careloop_store::proxies::link_receiver(&mut tx, r.patient_id).await?
            } else {
                None
            };
            let opted_out = withdrawn.get(&r.patient_id).is_some_and(|c| c.contains(kind.as_str()));
            if receiver.is_none() && opted_out {
                let failed = transition(
                    careloop_domain::followup::task::TaskState::Due,
                    TaskEvent::AttemptFailed,
                )
                .map_err(|_| ServiceError::Internal("task state machine"))?;
                let reason = match kind {
                    ChannelKind::Sms => "sms_opted_out",
                    ChannelKind::Wechat => "wechat_opted_out",
                    ChannelKind::Voice => "voice_opted_out",
                };
                log.push(system_transition(r.id, "due", failed.as_str(), reason, now));
                plans::set_task_state(&mut tx, r.id, failed.as_str(), None, now).await?;
                out.failed += 1;
                continue;
            }
            let Some(recipient) = receiver.as_ref().map(|p| p.phone.clone()).or_else(|| r.phone.clone()) else {
                // No mobile on file (a patient a hospital system sent without one) and no proxy
                // receiving links: nothing can be sent, so the task fails to the nurse's list.
                let failed = transition(
                    careloop_domain::followup::task::TaskState::Due,
                    TaskEvent::AttemptFailed,
                )
                .map_err(|_| ServiceError::Internal("task state machine"))?;
                log.push(system_transition(r.id, "due", failed.as_str(), "no_mobile", now));
                plans::set_task_state(&mut tx, r.id, failed.as_str(), None, now).await?;
                out.failed += 1;
                continue;
            };
            let link = if method == Method::Questionnaire {
                // The link's row is made now under the hash of a token nobody holds; the
                // token it is sent with is made at send time (deliver_queued) and never stored.
                let unsent = token_hash(&new_link_token());
                outbox::insert_link(
                    &mut tx,
                    &PatientLinkRow {
                        token_hash: unsent.clone(),
                        patient_id: r.patient_id,
                        task_id: Some(r.id),
                        purpose: "questionnaire".into(),
                        expires_at: now + Duration::days(i64::from(d.link_days)),
                        revoked_at: None,
                        created_at: now,
                        questionnaire_id: protocol
                            .steps
                            .iter()
                            .find(|s| s.key == r.step_key)
                            .and_then(|s| s.questionnaire.clone()),
                        proxy_id: receiver.as_ref().map(|p| p.id),
                    },
                )
                .await?;
                Some(unsent)
            } else {
                None
            };
            let context = MessageContext {
                sender: &r.org_name,
                patient_name: &r.name,
                sex: Sex::parse(&r.sex).unwrap_or(Sex::Female),
                step_name,
                method,
                link: link.as_ref().map(|_| LINK_SLOT),
                link_days: d.link_days,
                proxy_relation: receiver
                    .as_ref()
                    .and_then(|p| careloop_domain::proxy::Relation::parse(&p.relation).ok())
                    .map(|r| r.label_zh()),
                visit: careloop_domain::followup::message::Visit {
                    on: r.due_at.to_offset(careloop_domain::clock::CHINA).date(),
                    department: &r.department_name,
                    phone: r.org_phone.as_deref(),
                },
            };
            let body = render(&context);
            let template = careloop_domain::followup::message::template(&context);
            let template_params = match &template {
                Some(t) => {
                    Some(serde_json::to_string(&t.params).map_err(|_| ServiceError::Internal("template params"))?)
                }
                None => None,
            };
            let attempt = r.attempts + 1;
            let queued = outbox::enqueue(
                &mut tx,
                &OutboxRow {
                    id: Uuid::now_v7(),
                    idempotency_key: format!("task-{}-{attempt}", r.id),
                    task_id: Some(r.id),
                    patient_id: r.patient_id,
                    channel: kind.as_str().into(),
                    recipient,
                    body,
                    link,
                    status: "queued".into(),
                    attempts: 0,
                    lease_until: None,
                    provider_ref: None,
                    error: None,
                    created_at: now,
                    sent_at: None,
                    template: template.map(|t| t.key.to_string()),
                    template_params,
                    delivery: None,
                    delivery_code: None,
                    delivered_at: None,
                },
            )
            .await?;
            let next = transition(careloop_domain::followup::task::TaskState::Due, TaskEvent::Started)
                .map_err(|_| ServiceError::Internal("task state machine"))?;
            log.push(system_transition(r.id, "due", next.as_str(), "queued", now));
            plans::set_task_state(&mut tx, r.id, next.as_str(), Some(attempt), now).await?;
            out.queued += u64::from(queued);
        }
        plans::insert_transitions(&mut tx, &log).await?;
        tx.commit().await?;
    }
}

/// Send the queued messages in batches. Each message is sent only while this pass's claim holds
/// it: the lease is renewed just before the send (from the pass's clock plus the time the pass
/// has taken, so a slow batch keeps its tail), and the outcome is settled only if the claim
/// still holds. A pass that outlived its lease, and whose messages another process claimed
/// meanwhile, neither sends them again nor settles them.
async fn deliver_queued(db: &Db, d: &Delivery, now: OffsetDateTime, out: &mut SendOutcome) -> Result<()> {
    let started = std::time::Instant::now();
    let clock = || now + started.elapsed();
    loop {
        let mut tx = db.begin().await?;
        let claimed = outbox::claim_queued(&mut tx, now, now + d.lease, BATCH).await?;
        tx.commit().await?;
        for m in &claimed {
            let claim = Claim::of(m);
            let mut tx = db.begin().await?;
            let held = outbox::renew(&mut tx, claim, clock() + d.lease).await?;
            // A link gets its token now, in the transaction that renews the claim, so it opens
            // as soon as the patient has it; each attempt sends a fresh one.
            let link = match (&m.link, held) {
                (Some(old), true) => {
                    let token = new_link_token();
                    outbox::rekey_link(&mut tx, m.id, old, &token_hash(&token))
                        .await?
                        .then(|| Some(format!("{}/m/{token}", d.public_url)))
                }
                _ => Some(None),
            };
            let body = link.as_ref().map(|l| match l {
                Some(l) => with_link(&m.body, l),
                None => m.body.clone(),
            });
            let params: Vec<(String, String)> = m
                .template_params
                .as_deref()
                .and_then(|p| serde_json::from_str::<Vec<(String, String)>>(p).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| match link.as_ref().and_then(Option::as_ref) {
                    Some(l) => (name, with_link(&value, l)),
                    None => (name, value),
                })
                .collect();
            if held && body.is_none() {
                // The link was withdrawn before the message went: nothing is sent.
                if outbox::settle(&mut tx, claim, "failed", None, Some("link withdrawn"), now).await? {
                    settle_task(&mut tx, m.task_id, TaskEvent::AttemptFailed, "link_withdrawn", now).await?;
                    out.failed += 1;
                }
            }
            tx.commit().await?;
            if !held {
                out.lost += 1;
                continue;
            }
            let Some(body) = body else { continue };
            let msg = Outgoing {
                idempotency_key: &m.idempotency_key,
                channel: &m.channel,
                recipient: &m.recipient,
                body: &body,
                template: m.template.as_deref(),
                params: &params,
            };
            let result = tokio::time::timeout(d.send_timeout, d.channel.send(&msg))
                .await
                .unwrap_or_else(|_| {
                    Err(SendError::Temporary(format!(
                        "the provider did not answer within {} ms",
                        d.send_timeout.as_millis()
                    )))
                });
            let outcome = match &result {
                Ok(_) => "sent",
                Err(SendError::Temporary(_)) => "temporary_failure",
                Err(SendError::Permanent(_)) => "refused",
            };
            metrics::counter!("outreach_sends_total", "channel" => m.channel.clone(), "outcome" => outcome)
                .increment(1);
            let mut tx = db.begin().await?;
            match result {
                Ok(receipt) => {
                    if outbox::settle(&mut tx, claim, "sent", Some(&receipt.provider_ref), None, now).await? {
                        settle_task(&mut tx, m.task_id, TaskEvent::Completed, "delivered", now).await?;
                        out.sent += 1;
                    } else {
                        out.lost += 1;
                    }
                }
                Err(SendError::Temporary(e)) if m.attempts + 1 < MAX_DELIVERY_ATTEMPTS => {
                    // Stays queued under its lease; the pass after the lease ends tries again.
                    outbox::settle(&mut tx, claim, "queued", None, Some(&e), now).await?;
                }
                Err(SendError::Permanent(e) | SendError::Temporary(e)) => {
                    if outbox::settle(&mut tx, claim, "failed", None, Some(&e), now).await? {
                        settle_task(&mut tx, m.task_id, TaskEvent::AttemptFailed, "send_failed", now).await?;
                        out.failed += 1;
                    } else {
                        out.lost += 1;
                    }
                }
            }
            tx.commit().await?;
        }
        if (claimed.len() as u64) < BATCH {
            return Ok(());
        }
    }
}

/// After delivery: a reminder (SMS, WeChat) is done once delivered; a questionnaire or voice
/// call stays in progress until answered. A failed send fails the task for a person to see.
pub(crate) async fn settle_task(
    tx: &mut Tx,
    task: Option<Uuid>,
    ev: TaskEvent,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let Some(t) = (match task {
        Some(id) => plans::find_task(tx, id).await?,
        None => None,
    }) else {
        return Ok(());
    };
    let reminder = matches!(t.method.as_str(), "sms" | "wechat");
    if ev == TaskEvent::Completed && !reminder {
        return Ok(());
    }
    let state = stored_state(&t.state)?;
    // The task may have moved on meanwhile (a nurse reached the patient); leave it then.
    if let Ok(next) = transition(state, ev) {
        plans::set_task_state(tx, t.id, next.as_str(), None, now).await?;
        plans::insert_transitions(tx, &[system_transition(t.id, state.as_str(), next.as_str(), name, now)]).await?;
    }
    Ok(())
}

/// A message as shown on the outbox page and API: the text exactly as sent, the number masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub task_id: Option<Uuid>,
    /// `sms`, `wechat` or `voice`.
    pub channel: String,
    /// Masked, e.g. `139****1111`.
    pub recipient: String,
    /// The text as sent, with the link's place shown as [链接]: the link's token is made when
    /// the message goes out and is never stored.
    pub body: String,
    /// Whether the message carries a link to the patient's pages.
    pub has_link: bool,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub error: Option<String>,
    /// The provider's receipt, once one came: `delivered` or `undelivered`, with its code.
    pub delivery: Option<String>,
    pub delivery_code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// Outbox messages, newest first: one patient's, or everything the actor's department sent.
pub async fn list_outbox(
    db: &Db,
    actor: &Actor,
    patient_id: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<Vec<OutboxView>> {
    let mut tx = db.begin().await?;
    let department = match patient_id {
        Some(p) => {
            crate::kernel::access::accessible(&mut tx, actor, p).await?;
            None
        }
        None => match actor.patient_scope() {
            PatientScope::All => None,
            PatientScope::Department(d) => Some(d),
            PatientScope::Nobody => return Err(ServiceError::Forbidden),
        },
    };
    let rows = outbox::list(&mut tx, patient_id, department, 500).await?;
    record(
        &mut tx,
        event(
            actor,
            "outbox.list",
            patient_id,
            Some(format!("results={}", rows.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|m| OutboxView {
            id: m.id,
            patient_id: m.patient_id,
            task_id: m.task_id,
            channel: m.channel,
            recipient: careloop_domain::mask::phone(&m.recipient),
            body: m.body,
            has_link: m.link.is_some(),
            status: m.status,
            error: m.error,
            delivery: m.delivery,
            delivery_code: m.delivery_code,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect())
}

/// Quiet hours as set through the API: both times, or neither (back to the default).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursInput {
    /// Local time `HH:MM` (China time) when messages stop, e.g. `21:00`.
    #[schema(required = true, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: Option<String>,
    /// Local time `HH:MM` when they may resume, e.g. `08:00`. Equal to `start`: no quiet hours.
    #[schema(required = true, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: Option<String>,
}

fn quiet_window(input: &QuietHoursInput) -> Result<Option<(String, String)>> {
    use careloop_domain::followup::contact::parse_hhmm;
    match (input.start.as_deref(), input.end.as_deref()) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) => {
            parse_hhmm(s, "start")?;
            parse_hhmm(e, "end")?;
            Ok(Some((s.trim().to_string(), e.trim().to_string())))
        }
        (None, Some(_)) => Err(careloop_domain::FieldError::required("start").into()),
        (Some(_), None) => Err(careloop_domain::FieldError::required("end").into()),
    }
}

/// Set an organisation's quiet hours (admins).
pub async fn set_organisation_quiet_hours(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &QuietHoursInput,
    now: OffsetDateTime,
) -> Result<()> {
    crate::kernel::access::require_admin(actor)?;
    let window = quiet_window(input)?;
    let mut tx = db.begin().await?;
    if !outbox::set_quiet_hours(&mut tx, outbox::QuietHoursOf::Organisation, id, window).await? {
        return Err(ServiceError::NotFound("organisation"));
    }
    record(
        &mut tx,
        event(
            actor,
            "organisation.quiet_hours",
            None,
            Some(format!("organisation={id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Set one patient's quiet hours (e.g. a night-shift worker who sleeps by day).
pub async fn set_patient_quiet_hours(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &QuietHoursInput,
    now: OffsetDateTime,
) -> Result<()> {
    let window = quiet_window(input)?;
    let mut tx = db.begin().await?;
    crate::kernel::access::accessible(&mut tx, actor, patient_id).await?;
    outbox::set_quiet_hours(&mut tx, outbox::QuietHoursOf::Patient, patient_id, window).await?;
    record(
        &mut tx,
        event(actor, "patient.quiet_hours", Some(patient_id), None, now),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
