//! Questionnaires (问卷) and responses: importing FHIR R4 Questionnaires as versions, and taking
//! a QuestionnaireResponse for a patient — checked item by item, scored, banded, stored as
//! submitted, with alerts in the same transaction (PHQ-9 item 9 above 0 → the doctor within the
//! hour, whatever the total; a total in the instrument's most severe band → the nurse).
//!
//! A response records the questionnaire version it answered. An `in-progress` response is a
//! partial save: submitting again with its id resumes it, and it is scored and alerts only
//! once `completed`.

use crate::kernel::access::accessible;
use crate::kernel::alerts::AlertView;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::indicator::{ObservationInput, lookup};
use careloop_domain::questionnaire::bands::BandAlert;
use careloop_domain::questionnaire::instrument::Instrument;
use careloop_domain::questionnaire::response::{ItemError, Status, check};
use careloop_domain::questionnaire::{Questionnaire, builtin};
use careloop_store::questionnaires::{self, QuestionnaireRow, ResponseRow};
use careloop_store::records::{self, AlertRow};
use careloop_store::{Db, Tx, stored_time};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// Store the built-in questionnaires (version 1 of each) unless they are already there.
pub async fn seed_builtin_questionnaires(db: &Db, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    for (id, q) in builtin()? {
        let row = QuestionnaireRow {
            id: id.into(),
            version: 1,
            resource: serde_json::to_string_pretty(&q.resource).map_err(|_| ServiceError::Internal("questionnaire"))?,
            title: q.title.clone(),
            created_at: stored_time(now),
            created_by: None,
        };
        questionnaires::insert_if_missing(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionnaireSummary {
    pub id: String,
    pub version: i32,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub id: String,
    pub version: i32,
    /// False when the same document was already the newest version (nothing stored).
    pub created: bool,
}

/// The id a questionnaire is stored under: its own FHIR `id` in lower case when it has a
/// usable one (FHIR ids are `[A-Za-z0-9-.]{1,64}`), else a new one.
fn storage_id(q: &Questionnaire) -> String {
    q.resource
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| {
            (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| Uuid::now_v7().to_string())
}

/// Import a questionnaire (administrators): a new id starts at version 1, a changed document
/// becomes the next version, the same document again changes nothing.
pub async fn import(db: &Db, actor: &Actor, text: &str, now: OffsetDateTime) -> Result<Imported> {
    if !actor.is_admin() {
        return Err(ServiceError::Forbidden);
    }
    let resource: Value = serde_json::from_str(text).map_err(|e| {
        FieldError::new(
            "questionnaire",
            "json_invalid",
            format!("not JSON: {e}"),
            "不是有效的 JSON",
        )
    })?;
    let q = Questionnaire::from_value(resource)?;
    let id = storage_id(&q);
    let mut tx = db.begin().await?;
    let latest = questionnaires::latest(&mut tx, &id).await?;
    if let Some(l) = &latest
        && serde_json::from_str::<Value>(&l.resource).ok().as_ref() == Some(&q.resource)
    {
        tx.commit().await?;
        return Ok(Imported {
            id,
            version: l.version,
            created: false,
        });
    }
    let version = latest.map_or(1, |l| l.version + 1);
    let row = QuestionnaireRow {
        id: id.clone(),
        version,
        resource: text.to_string(),
        title: q.title.chars().take(200).collect(),
        created_at: stored_time(now),
        created_by: Some(actor.user_id).filter(|u| !u.is_nil()),
    };
    questionnaires::insert_if_missing(&mut tx, &row).await?;
    record(
        &mut tx,
        event(
            actor,
            "questionnaire.import",
            None,
            Some(format!("id={id} v{version}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        id,
        version,
        created: true,
    })
}

pub async fn list(db: &Db) -> Result<Vec<QuestionnaireSummary>> {
    let mut tx = db.begin_read().await?;
    let out = list_in(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// The newest version of every questionnaire, inside the caller's transaction.
pub(crate) async fn list_in(tx: &mut Tx) -> Result<Vec<QuestionnaireSummary>> {
    let rows = questionnaires::list_latest(tx).await?;
    Ok(rows
        .into_iter()
        .map(|r| QuestionnaireSummary {
            id: r.id,
            version: r.version,
            title: r.title,
        })
        .collect())
}

/// A stored version (the newest when `version` is none), as imported.
pub async fn get(db: &Db, id: &str, version: Option<i32>) -> Result<QuestionnaireRow> {
    let mut tx = db.begin_read().await?;
    let row = match version {
        Some(v) => questionnaires::version(&mut tx, id, v).await?,
        None => questionnaires::latest(&mut tx, id).await?,
    };
    tx.commit().await?;
    row.ok_or(ServiceError::NotFound("questionnaire"))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponseOutcome {
    pub id: Uuid,
    pub questionnaire: String,
    pub questionnaire_version: i32,
    /// `in-progress` or `completed`.
    pub status: String,
    pub score: Option<f64>,
    /// The instrument's band code, e.g. `moderate`.
    pub band: Option<String>,
    pub band_zh: Option<String>,
    /// Plain words for the patient that the questionnaire's declared band carries, if any.
    pub advice: Option<String>,
    pub alerts: Vec<AlertView>,
    /// Accepted but worth knowing, e.g. a submitted total that differed from the computed one.
    pub warnings: Vec<String>,
    /// Indicator values (home blood pressure, glucose ...) recorded from the answers.
    pub observations: usize,
    /// What the free-text analysis found in the text answers, per item.
    pub text_findings: Vec<crate::questionnaires::free_text::TextAnalysis>,
}

/// The patient a response is about: `subject.reference` `Patient/{id}`.
fn subject_of(response: &Value) -> Result<Uuid> {
    response
        .pointer("/subject/reference")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("Patient/"))
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            FieldError::new(
                "subject",
                "subject_invalid",
                "subject.reference must be Patient/{id} of a CareLoop patient",
                "subject.reference 应为 Patient/{患者ID}",
            )
            .into()
        })
}

/// Take a response entered by staff for the patient named in its `subject`.
pub async fn submit_response(
    db: &Db,
    actor: &Actor,
    questionnaire_id: &str,
    text: &str,
    now: OffsetDateTime,
) -> Result<ResponseOutcome> {
    let response: Value = serde_json::from_str(text)
        .map_err(|e| FieldError::new("response", "json_invalid", format!("not JSON: {e}"), "不是有效的 JSON"))?;
    let patient_id = subject_of(&response)?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = store_response(
        &mut tx,
        actor,
        patient_id,
        questionnaire_id,
        &response,
        text,
        ("staff", Some(actor.user_id).filter(|u| !u.is_nil()), None),
        now,
    )
    .await?;
    record(
        &mut tx,
        event(
            actor,
            "questionnaire_response.save",
            Some(patient_id),
            Some(format!("questionnaire={questionnaire_id} status={}", out.status)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Check, score and store a response, and raise its alerts, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_response(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    questionnaire_id: &str,
    response: &Value,
    text: &str,
    (answered_by, author_id, proxy_id): (&str, Option<Uuid>, Option<Uuid>),
    now: OffsetDateTime,
) -> Result<ResponseOutcome> {
    let stored = questionnaires::latest(tx, questionnaire_id)
        .await?
        .ok_or(ServiceError::NotFound("questionnaire"))?;
    let resource: Value =
        serde_json::from_str(&stored.resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let q = Questionnaire::from_value(resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let checked = check(&q, response).map_err(ServiceError::InvalidItems)?;
    let instrument = Instrument::of(&q);
    let completed = checked.status == Status::Completed;
    let band = match (completed, instrument, checked.score) {
        (true, Some(i), Some(s)) => i.band(s),
        _ => None,
    };
    // Other questionnaires may declare their own bands (an extension read at import).
    let declared = match (completed, instrument, checked.score) {
        (true, None, Some(s)) => careloop_domain::questionnaire::bands::band_of(&q.bands, s),
        _ => None,
    };
    let band_code = band
        .map(|b| b.code.to_string())
        .or_else(|| declared.map(|b| b.code.clone()));
    // Resuming a partial save: the same id, still in progress, of the same patient.
    let resumed = match response
        .get("id")
        .and_then(Value::as_str)
        .and_then(|i| Uuid::parse_str(i).ok())
    {
        Some(id) => questionnaires::find_response(tx, id)
            .await?
            .filter(|r| r.patient_id == patient_id && r.questionnaire_id == stored.id && r.status == "in-progress"),
        None => None,
    };
    let text_findings = if completed {
        crate::questionnaires::free_text::of_answers(&q, &checked.answers)
    } else {
        Vec::new()
    };
    let row = ResponseRow {
        id: resumed.as_ref().map_or_else(Uuid::now_v7, |r| r.id),
        questionnaire_id: stored.id.clone(),
        questionnaire_version: resumed.as_ref().map_or(stored.version, |r| r.questionnaire_version),
        patient_id,
        status: checked.status.as_str().into(),
        resource: text.to_string(),
        score: checked.score.filter(|_| completed),
        band: band_code.clone(),
        answered_by: answered_by.into(),
        author_id,
        created_at: resumed.as_ref().map_or(stored_time(now), |r| r.created_at),
        updated_at: stored_time(now),
        proxy_id,
        findings: if text_findings.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&text_findings).map_err(|_| ServiceError::Internal("findings"))?)
        },
    };
    if resumed.is_some() {
        questionnaires::update_response(tx, &row).await?;
    } else {
        questionnaires::insert_response(tx, &row).await?;
    }
    let mut alerts = Vec::new();
    if completed && let Some(i) = instrument {
        if let Some(reason) = i.urgent_reason(&q, &checked.answers) {
            alerts.push(alert(patient_id, row.id, true, reason.into(), now));
        }
        if let Some(b) = band
            && i.bands().last().is_some_and(|worst| worst.code == b.code)
        {
            alerts.push(alert(
                patient_id,
                row.id,
                false,
                format!(
                    "{}：{}（{}分），请安排心理评估",
                    q.title,
                    b.label_zh,
                    checked.score.unwrap_or(0.0)
                ),
                now,
            ));
        }
    }
    if let Some(b) = declared
        && let Some(level) = b.alert
    {
        let reason = format!("{}：{}（{}分）", q.title, b.label, checked.score.unwrap_or(0.0));
        alerts.push(alert(patient_id, row.id, level == BandAlert::Severe, reason, now));
    }
    crate::questionnaires::free_text::alerts(
        patient_id,
        (None, Some(row.id)),
        &q.title,
        &text_findings,
        &mut alerts,
        now,
    );
    let recorded = if completed {
        record_indicators(tx, actor, patient_id, &q, &checked.answers, now).await?
    } else {
        Vec::new()
    };
    // A home reading past its critical limit (危急值) is the doctor's within the hour.
    alerts.extend(crate::reactions::critical_alerts(tx, &recorded, "问卷回答", (None, Some(row.id)), now).await?);
    records::insert_alerts(tx, &alerts).await?;
    let observations = recorded.len();
    Ok(ResponseOutcome {
        id: row.id,
        questionnaire: stored.id,
        questionnaire_version: row.questionnaire_version,
        status: row.status,
        score: row.score,
        band: band_code,
        band_zh: band
            .map(|b| b.label_zh.to_string())
            .or_else(|| declared.map(|b| b.label.clone())),
        advice: declared.and_then(|b| b.advice.clone()),
        alerts: alerts.into_iter().map(Into::into).collect(),
        warnings: checked.warnings,
        observations,
        text_findings,
    })
}

/// Answers to items coded with the LOINC code of a catalogue indicator (home blood pressure,
/// glucose, weight ...) become observations in the indicator's unit, with the same range checks
/// as values typed by staff; a value the catalogue refuses is reported on its item.
async fn record_indicators(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    q: &Questionnaire,
    answers: &careloop_domain::questionnaire::enable::Answers,
    now: OffsetDateTime,
) -> Result<Vec<careloop_store::observations::ObservationRow>> {
    let mut entries = Vec::new();
    let mut link_ids = Vec::new();
    for item in q.all_items() {
        let indicator = item
            .codes
            .iter()
            .filter_map(|c| c.strip_prefix("http://loinc.org|"))
            .find_map(lookup);
        let (Some(ind), Some(values)) = (indicator, answers.get(&item.link_id)) else {
            continue;
        };
        for v in values.iter().filter_map(|v| v.number()) {
            entries.push((
                patient_id,
                ObservationInput {
                    code: ind.code.into(),
                    value: v,
                    unit: Some(ind.unit.into()),
                    effective_at: now,
                    source: Some("questionnaire".into()),
                },
            ));
            link_ids.push(item.link_id.clone());
        }
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let (rows, _) = crate::patients::observations::insert_observations(tx, actor, &entries, true, None, now)
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(f) => {
                // `[i].value` names the entry; report it on its item.
                let i: usize = f
                    .field
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                ServiceError::InvalidItems(vec![ItemError {
                    link_id: link_ids.get(i).cloned().unwrap_or_default(),
                    path: "item".into(),
                    code: f.code,
                    message: f.message,
                    message_zh: f.message_zh,
                }])
            }
            other => other,
        })?;
    Ok(rows)
}

fn alert(patient_id: Uuid, response_id: Uuid, severe: bool, reason: String, now: OffsetDateTime) -> AlertRow {
    crate::kernel::alerts::alert_from(
        patient_id,
        (None, Some(response_id)),
        careloop_domain::followup::alert::AlertKind::of(severe),
        reason,
        now,
    )
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponseSummary {
    pub id: Uuid,
    pub questionnaire: String,
    pub questionnaire_version: i32,
    pub status: String,
    pub score: Option<f64>,
    pub band: Option<String>,
    pub answered_by: String,
    /// The family proxy who answered, if one did.
    pub proxy_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// What the free-text analysis found in the text answers, per item.
    pub text_findings: Vec<crate::questionnaires::free_text::TextAnalysis>,
}

/// A patient's responses, newest first (scores over time for the patient page).
pub async fn responses_of_patient(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<ResponseSummary>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = responses_in(&mut tx, patient_id).await?;
    record(
        &mut tx,
        event(actor, "questionnaire_response.list", Some(patient_id), None, now),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's responses, newest first, inside the caller's transaction.
pub(crate) async fn responses_in(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<ResponseSummary>> {
    let rows = questionnaires::responses_of_patient(tx, patient_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| ResponseSummary {
            id: r.id,
            questionnaire: r.questionnaire_id,
            questionnaire_version: r.questionnaire_version,
            status: r.status,
            score: r.score,
            band: r.band,
            answered_by: r.answered_by,
            proxy_id: r.proxy_id,
            updated_at: r.updated_at,
            // Written by this code; unreadable JSON (never expected) shows as no findings.
            text_findings: r
                .findings
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or_default(),
        })
        .collect())
}

/// One response read back item by item, for staff.
#[derive(Debug, Clone)]
pub struct ResponseDetail {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub title: String,
    pub status: String,
    pub score: Option<f64>,
    pub band: Option<String>,
    pub answered_by: String,
    pub updated_at: OffsetDateTime,
    pub items: Vec<careloop_domain::questionnaire::read::ReadItem>,
}

/// A patient's response with each answered question in the questionnaire's order, read against
/// the version it was answered on; the read is audited (`questionnaire_response.read`).
pub async fn response_detail(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    response_id: Uuid,
    now: OffsetDateTime,
) -> Result<ResponseDetail> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let row = questionnaires::find_response(&mut tx, response_id)
        .await?
        .filter(|r| r.patient_id == patient_id)
        .ok_or(ServiceError::NotFound("response"))?;
    let stored = questionnaires::version(&mut tx, &row.questionnaire_id, row.questionnaire_version)
        .await?
        .ok_or(ServiceError::NotFound("questionnaire"))?;
    record(
        &mut tx,
        event(
            actor,
            "questionnaire_response.read",
            Some(patient_id),
            Some(format!("response={response_id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let resource: Value =
        serde_json::from_str(&stored.resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let q = Questionnaire::from_value(resource)?;
    let answered: Value = serde_json::from_str(&row.resource).map_err(|_| ServiceError::Internal("stored response"))?;
    // A stored response passed this check when it was saved, against this same version.
    let items = match check(&q, &answered) {
        Ok(checked) => careloop_domain::questionnaire::read::answered_items(&q, &checked.answers),
        Err(_) => return Err(ServiceError::Internal("a stored response no longer reads")),
    };
    Ok(ResponseDetail {
        id: row.id,
        patient_id,
        title: stored.title,
        status: row.status,
        score: row.score,
        band: row.band,
        answered_by: row.answered_by,
        updated_at: row.updated_at,
        items,
    })
}
