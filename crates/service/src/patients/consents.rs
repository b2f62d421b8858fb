//! Consent to be contacted, per channel (联系同意, PIPL): what stands now on each channel and
//! every change behind it (granted or withdrawn, when, how, by whom, the notice told), and staff
//! recording a change the patient made on the phone or at the desk — the way back after a 退订
//! reply. Nothing is sent on a channel whose latest change is a withdrawal (the scheduler fails
//! those steps to the nurse's list instead).

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use careloop_domain::access::Actor;
use careloop_domain::consent::{CHANNELS, staff_change};
use careloop_store::Db;
use careloop_store::consents::{self, ConsentRow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One consent change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentChangeView {
    /// `sms`, `wechat` or `voice`.
    pub channel: String,
    pub granted: bool,
    /// `sms_reply`, `wechat_event`, `staff` or `patient_page`.
    pub how: String,
    pub recorded_by: Option<Uuid>,
    pub notice_version: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What stands on one channel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelConsent {
    pub channel: String,
    /// `granted`, `withdrawn`, or `unrecorded` (no change yet: messages go, as on enrolment).
    pub state: String,
    /// The change that stands, if any.
    pub since: Option<ConsentChangeView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Consents {
    pub channels: Vec<ChannelConsent>,
    /// Every change, newest first.
    pub history: Vec<ConsentChangeView>,
}

/// A change staff record for the patient.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// `sms`, `wechat` or `voice`.
    pub channel: String,
    /// true: the patient agrees to be contacted on the channel; false: they withdraw.
    pub granted: bool,
    /// The notice the patient was told (required when granting), e.g. 随访服务告知书 2026版.
    pub notice_version: Option<String>,
}

fn view(c: ConsentRow) -> ConsentChangeView {
    ConsentChangeView {
        channel: c.channel,
        granted: c.granted,
        how: c.how,
        recorded_by: c.recorded_by,
        notice_version: c.notice_version,
        at: c.at,
    }
}

/// The patient's consents from their changes (oldest first).
pub fn consents_of(rows: Vec<ConsentRow>) -> Consents {
    let history: Vec<ConsentChangeView> = rows.into_iter().rev().map(view).collect();
    let channels = CHANNELS
        .iter()
        .map(|ch| {
            let since = history.iter().find(|c| c.channel == *ch).cloned();
            let state = match &since {
                Some(c) if c.granted => "granted",
                Some(_) => "withdrawn",
                None => "unrecorded",
            };
            ChannelConsent {
                channel: (*ch).into(),
                state: state.into(),
                since,
            }
        })
        .collect();
    Consents { channels, history }
}

/// A patient's consents, audited.
pub async fn list(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Consents> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let rows = consents::of_patient(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "consent.read", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(consents_of(rows))
}

/// Record a change the patient made through staff, audited.
pub async fn change(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &ConsentInput,
    now: OffsetDateTime,
) -> Result<Consents> {
    let c = staff_change(&input.channel, input.granted, input.notice_version.as_deref())?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    consents::record(
        &mut tx,
        &ConsentRow {
            id: Uuid::now_v7(),
            patient_id,
            proxy_id: None,
            channel: c.channel.into(),
            granted: c.granted,
            how: "staff".into(),
            recorded_by: Some(actor.user_id).filter(|u| !u.is_nil()),
            notice_version: c.notice_version,
            at: now,
        },
    )
    .await?;
    let action = if c.granted { "consent.grant" } else { "consent.withdraw" };
    let detail = format!("channel={} how=staff", c.channel);
    record(&mut tx, event(actor, action, Some(patient_id), Some(detail), now)).await?;
    let rows = consents::of_patient(&mut tx, patient_id).await?;
    tx.commit().await?;
    Ok(consents_of(rows))
}
