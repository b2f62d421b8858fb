//! The health record (健康档案) and diagnoses (诊断) of a patient.

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::risk::facts::record_of;
use careloop_domain::access::Actor;
use careloop_domain::clock::iso_date;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::record::{DiagnosisInput, HealthRecord, NewDiagnosis};
use careloop_store::Db;
use careloop_store::Tx;
use careloop_store::diagnoses::{self, DiagnosisRow};
use careloop_store::health_records::{self, HealthRecordRow};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct HealthRecordView {
    #[serde(flatten)]
    #[schema(inline)]
    pub record: HealthRecord,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

fn view(r: HealthRecordRow) -> HealthRecordView {
    let updated_at = r.updated_at;
    HealthRecordView {
        record: record_of(r),
        updated_at,
    }
}

pub async fn get_health_record(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<HealthRecordView> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let view = health_record_in(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "health_record.read", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(view)
}

/// The patient's health record, inside the caller's transaction (access already checked).
pub(crate) async fn health_record_in(tx: &mut Tx, patient_id: Uuid) -> Result<HealthRecordView> {
    Ok(view(health_records::find(tx, patient_id).await?.unwrap_or_default()))
}

/// Replace the whole health record.
pub async fn save_health_record(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: HealthRecord,
    now: OffsetDateTime,
) -> Result<HealthRecordView> {
    let r = input.validated()?;
    let row = HealthRecordRow {
        past_history: r.past_history,
        family_history: r.family_history,
        allergies: r.allergies,
        medications: r.medications,
        smoking: r.smoking,
        alcohol: r.alcohol,
        exercise: r.exercise,
        diet: r.diet,
        sleep: r.sleep,
        region: r.region,
        residence: r.residence,
        bp_treated: r.bp_treated,
        family_history_ascvd: r.family_history_ascvd,
        family_history_diabetes: r.family_history_diabetes,
        updated_at: Some(careloop_store::stored_time(now)),
    };
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    health_records::upsert(&mut tx, patient_id, &row, actor.user_id, now).await?;
    // Smoking, treatment, family history and location are model inputs: the tier and the
    // tags follow the record.
    crate::reactions::facts_changed(&mut tx, actor, &[patient_id], false, now).await?;
    record(
        &mut tx,
        event(actor, "health_record.update", Some(patient_id), None, now),
    )
    .await?;
    tx.commit().await?;
    Ok(view(row))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiagnosisView {
    pub id: Uuid,
    pub icd10_code: String,
    pub name: String,
    #[serde(with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub diagnosed_on: Option<Date>,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Protocols this diagnosis enrolled the patient in (自动入组), when just added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrolled_in: Vec<String>,
}

impl From<DiagnosisRow> for DiagnosisView {
    fn from(d: DiagnosisRow) -> Self {
        DiagnosisView {
            id: d.id,
            icd10_code: d.icd10_code,
            name: d.name,
            diagnosed_on: d.diagnosed_on,
            note: d.note,
            created_at: d.created_at,
            enrolled_in: Vec::new(),
        }
    }
}

pub async fn list_diagnoses(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<DiagnosisView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = diagnoses_in(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "diagnosis.read", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's diagnoses, inside the caller's transaction (access already checked).
pub(crate) async fn diagnoses_in(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<DiagnosisView>> {
    Ok(diagnoses::list(tx, patient_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn add_diagnosis(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &DiagnosisInput,
    now: OffsetDateTime,
) -> Result<DiagnosisView> {
    let d = NewDiagnosis::parse(input, local_today(now))?;
    let row = DiagnosisRow {
        id: Uuid::now_v7(),
        patient_id,
        icd10_code: d.icd10_code,
        name: d.name,
        diagnosed_on: d.diagnosed_on,
        note: d.note,
        created_at: careloop_store::stored_time(now),
        created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
        external_id: None,
    };
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    diagnoses::insert_many(&mut tx, std::slice::from_ref(&row)).await?;
    let trigger = TriggerEvent::Diagnosis {
        icd10: row.icd10_code.clone(),
    };
    let plans = crate::reactions::event_happened(&mut tx, actor, &patient, &[trigger], now).await?;
    crate::reactions::facts_changed(&mut tx, actor, &[patient_id], false, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "diagnosis.create",
            Some(patient_id),
            Some(row.icd10_code.clone()),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let mut view = DiagnosisView::from(row);
    view.enrolled_in = plans.into_iter().map(|p| p.protocol).collect();
    Ok(view)
}
