//! Patient events that can start follow-up: discharges (出院登记) and tags (标签). Each is
//! written with the automatic enrolment it causes, in one transaction, and audited.

use crate::followup::triggers::enrol_on;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::clock::iso_date;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::patient::{optional_text, parse_date};
use careloop_domain::record::parse_icd10;
use careloop_store::Tx;
use careloop_store::discharges::{self, DischargeRow};
use careloop_store::tags::{self, TagRow};
use careloop_store::{Db, stored_time};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DischargeInput {
    /// YYYY-MM-DD; today or earlier.
    #[schema(required = true, format = Date)]
    pub discharged_on: Option<String>,
    /// The ward or department discharged from (病区).
    pub ward: Option<String>,
    /// The main discharge diagnosis, ICD-10.
    pub diagnosis_code: Option<String>,
    /// A short discharge summary (出院小结摘要).
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DischargeView {
    pub id: Uuid,
    pub patient_id: Uuid,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub discharged_on: Date,
    pub ward: Option<String>,
    pub diagnosis_code: Option<String>,
    pub summary: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Protocols the discharge enrolled the patient in, when just recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrolled_in: Vec<String>,
}

impl From<DischargeRow> for DischargeView {
    fn from(d: DischargeRow) -> Self {
        DischargeView {
            id: d.id,
            patient_id: d.patient_id,
            discharged_on: d.discharged_on,
            ward: d.ward,
            diagnosis_code: d.diagnosis_code,
            summary: d.summary,
            created_at: d.created_at,
            enrolled_in: Vec::new(),
        }
    }
}

/// Record a discharge; post-discharge protocols start from its date.
pub async fn record_discharge(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &DischargeInput,
    now: OffsetDateTime,
) -> Result<DischargeView> {
    let raw = input
        .discharged_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| FieldError::required("discharged_on"))?;
    let on = parse_date(raw, "discharged_on")?;
    if on > local_today(now) {
        return Err(FieldError::new(
            "discharged_on",
            "date_in_future",
            "the discharge date cannot be in the future",
            "出院日期不能晚于今天",
        )
        .into());
    }
    let diagnosis_code = match input.diagnosis_code.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(parse_icd10(c).map_err(|e| e.at("diagnosis_code"))?),
        _ => None,
    };
    let row = DischargeRow {
        id: Uuid::now_v7(),
        patient_id,
        discharged_on: on,
        ward: optional_text(&input.ward, "ward", 100)?,
        diagnosis_code,
        summary: optional_text(&input.summary, "summary", 2000)?,
        created_at: stored_time(now),
        created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
    };
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    if on < patient.birth_date {
        return Err(FieldError::new(
            "discharged_on",
            "date_before_birth",
            "the discharge date is before the patient's birth",
            "出院日期早于出生日期",
        )
        .into());
    }
    discharges::insert(&mut tx, &row).await?;
    let plans = enrol_on(&mut tx, actor, &patient, &[TriggerEvent::Discharge { on }], now).await?;
    record(
        &mut tx,
        event(
            actor,
            "discharge.create",
            Some(patient_id),
            Some(format!("plans={}", plans.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let mut view = DischargeView::from(row);
    view.enrolled_in = plans.into_iter().map(|p| p.protocol).collect();
    Ok(view)
}

pub async fn list_discharges(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<DischargeView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let rows = discharges::of_patient(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "discharge.list", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagView {
    pub tag: String,
    /// `manual` (set by staff) or `rule` (set by a tag rule).
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<TagRow> for TagView {
    fn from(t: TagRow) -> Self {
        TagView {
            tag: t.tag,
            source: t.source,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagOutcome {
    pub tag: TagView,
    /// False when the patient already had the tag (nothing changed).
    pub created: bool,
    /// Protocols the tag enrolled the patient in.
    pub enrolled_in: Vec<String>,
}

/// A tag: 1–20 characters, no line breaks or control characters.
fn parse_tag(raw: &str) -> Result<String> {
    let tag = raw.trim();
    if tag.is_empty() {
        return Err(FieldError::required("tag").into());
    }
    if tag.chars().count() > 20 || tag.chars().any(char::is_control) {
        return Err(FieldError::new(
            "tag",
            "tag_invalid",
            "a tag is at most 20 characters on one line",
            "标签最多20个字，不能换行",
        )
        .into());
    }
    Ok(tag.to_string())
}

/// Set a tag by hand; protocols triggered by the tag start.
pub async fn add_tag(db: &Db, actor: &Actor, patient_id: Uuid, raw: &str, now: OffsetDateTime) -> Result<TagOutcome> {
    let tag = parse_tag(raw)?;
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let row = TagRow {
        patient_id,
        tag: tag.clone(),
        source: "manual".into(),
        created_at: stored_time(now),
        created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
    };
    let created = tags::insert_if_missing(&mut tx, &row).await?;
    let plans = if created {
        enrol_on(&mut tx, actor, &patient, &[TriggerEvent::Tag { tag: tag.clone() }], now).await?
    } else {
        Vec::new()
    };
    // The tag itself may describe health (e.g. 糖尿病前期): the audit names the action only.
    record(
        &mut tx,
        event(
            actor,
            "tag.add",
            Some(patient_id),
            Some(format!("created={created}")),
            now,
        ),
    )
    .await?;
    let stored = tags::of_patient(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|t| t.tag == tag)
        .ok_or(ServiceError::Internal("tag not stored"))?;
    tx.commit().await?;
    Ok(TagOutcome {
        tag: stored.into(),
        created,
        enrolled_in: plans.into_iter().map(|p| p.protocol).collect(),
    })
}

/// Remove a tag. Plans it started keep running: stopping follow-up is a separate decision.
pub async fn remove_tag(db: &Db, actor: &Actor, patient_id: Uuid, raw: &str, now: OffsetDateTime) -> Result<()> {
    let tag = parse_tag(raw)?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    if !tags::remove(&mut tx, patient_id, &tag).await? {
        return Err(ServiceError::NotFound("tag"));
    }
    record(&mut tx, event(actor, "tag.remove", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_tags(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<TagView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = tags_in(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "tag.list", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's tags, inside the caller's transaction.
pub(crate) async fn tags_in(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<TagView>> {
    Ok(tags::of_patient(tx, patient_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
