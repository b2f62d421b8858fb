//! Reading signed follow-up records (随访记录) and correcting them by amendment (更正). The
//! original stays as signed; each amendment names its reason and signer, and readers see the
//! record, every amendment, and the values in effect after the last one.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::patient::optional_text;
use careloop_store::Db;
use careloop_store::Json;
use careloop_store::amendments::{self, AmendmentRow, RecordWithAnswers};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AmendmentView {
    pub id: Uuid,
    pub reason: String,
    pub note: Option<String>,
    pub answers: Option<serde_json::Value>,
    pub signed_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpRecordView {
    pub id: Uuid,
    pub task_id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub contact_result: String,
    pub classification: Option<String>,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    pub referral: bool,
    /// As signed.
    pub note: Option<String>,
    /// As signed.
    pub answers: Option<serde_json::Value>,
    pub signed_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    /// Corrections, oldest first.
    pub amendments: Vec<AmendmentView>,
    /// The note in effect: the last amendment's, if any amended it.
    pub current_note: Option<String>,
    /// The answers in effect: the last amendment's, if any amended them.
    pub current_answers: Option<serde_json::Value>,
}

fn view(r: RecordWithAnswers, all: &[AmendmentRow]) -> FollowUpRecordView {
    let rec = r.record;
    let amendments: Vec<AmendmentView> = all
        .iter()
        .filter(|a| a.record_id == rec.id)
        .map(|a| AmendmentView {
            id: a.id,
            reason: a.reason.clone(),
            note: a.note.clone(),
            answers: a.answers.as_ref().map(|j| j.0.clone()),
            signed_by: a.signed_by,
            signed_at: a.signed_at,
        })
        .collect();
    let answers = r.answers.map(|j| j.0);
    let current_note = amendments
        .iter()
        .rev()
        .find_map(|a| a.note.clone())
        .or(rec.note.clone());
    let current_answers = amendments
        .iter()
        .rev()
        .find_map(|a| a.answers.clone())
        .or(answers.clone());
    FollowUpRecordView {
        id: rec.id,
        task_id: rec.task_id,
        plan_id: rec.plan_id,
        patient_id: rec.patient_id,
        contact_result: rec.contact_result,
        classification: rec.classification,
        adverse_drug_reaction: rec.adverse_drug_reaction,
        new_complication: rec.new_complication,
        referral: rec.referral,
        note: rec.note,
        answers,
        signed_by: rec.signed_by,
        signed_at: rec.signed_at,
        amendments,
        current_note,
        current_answers,
    }
}

/// A patient's follow-up records, newest first, with their amendments.
pub async fn list_records(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<FollowUpRecordView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = records_in(&mut tx, patient_id).await?;
    record(
        &mut tx,
        event(
            actor,
            "followup_record.list",
            Some(patient_id),
            Some(format!("results={}", out.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// A patient's latest 500 records with their amendments (inside a caller's transaction).
pub(crate) async fn records_in(tx: &mut careloop_store::Tx, patient_id: Uuid) -> Result<Vec<FollowUpRecordView>> {
    latest_in(tx, patient_id, 500).await
}

/// A patient's newest `limit` records, newest first, with their amendments.
pub(crate) async fn latest_in(
    tx: &mut careloop_store::Tx,
    patient_id: Uuid,
    limit: u64,
) -> Result<Vec<FollowUpRecordView>> {
    let rows = amendments::records_of_patient(tx, patient_id, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.record.id).collect();
    let all = amendments::of_records(tx, &ids).await?;
    Ok(rows.into_iter().map(|r| view(r, &all)).collect())
}

/// One record with its amendments.
pub async fn get_record(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<FollowUpRecordView> {
    let mut tx = db.begin().await?;
    let row = amendments::find_record(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    accessible(&mut tx, actor, row.record.patient_id).await?;
    let all = amendments::of_records(&mut tx, &[id]).await?;
    record(
        &mut tx,
        event(
            actor,
            "followup_record.read",
            Some(row.record.patient_id),
            Some(format!("record={id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(view(row, &all))
}

/// A correction as submitted: a reason and at least one corrected field.
#[derive(Debug, Clone, Default)]
pub struct AmendmentInput {
    pub reason: String,
    pub note: Option<String>,
    pub answers: Option<serde_json::Value>,
}

/// Add an amendment to a signed record.
pub async fn amend_record(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: AmendmentInput,
    now: OffsetDateTime,
) -> Result<FollowUpRecordView> {
    let reason =
        optional_text(&Some(input.reason.clone()), "reason", 500)?.ok_or_else(|| FieldError::required("reason"))?;
    let note = optional_text(&input.note, "note", 2000)?;
    let answers = input.answers.filter(|a| !a.is_null());
    if let Some(a) = &answers {
        careloop_domain::followup::answers::check(a)?;
    }
    if note.is_none() && answers.is_none() {
        return Err(FieldError::new(
            "note",
            "amendment_empty",
            "an amendment corrects the note, the answers or both",
            "更正至少需要修改备注或答案之一",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let row = amendments::find_record(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    accessible(&mut tx, actor, row.record.patient_id).await?;
    let a = AmendmentRow {
        id: Uuid::now_v7(),
        record_id: id,
        reason,
        note,
        answers: answers.map(Json),
        signed_by: Some(actor.user_id).filter(|u| !u.is_nil()),
        signed_at: now,
    };
    amendments::insert(&mut tx, &a).await?;
    let fields = [a.note.as_ref().map(|_| "note"), a.answers.as_ref().map(|_| "answers")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",");
    record(
        &mut tx,
        event(
            actor,
            "followup_record.amend",
            Some(row.record.patient_id),
            Some(format!("record={id} fields={fields}")),
            now,
        ),
    )
    .await?;
    let all = amendments::of_records(&mut tx, &[id]).await?;
    tx.commit().await?;
    Ok(view(row, &all))
}
