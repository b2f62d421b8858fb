//! Lab and check-up reports (检查报告) as the sending system grouped them: each imported
//! DiagnosticReport or OBR order with the values it holds, so staff can read a report as the
//! laboratory issued it beside the per-indicator trends.

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::patients::observations::{ObservationView, views_of};
use careloop_domain::access::Actor;
use careloop_store::Tx;
use careloop_store::patients::PatientRow;
use careloop_store::{Db, imports, observations};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LabReportView {
    pub id: Uuid,
    /// The sender's code of the report or order (LOINC panel, OBR-4), when sent.
    pub code: Option<String>,
    pub title: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub effective_at: Option<OffsetDateTime>,
    /// How many results the sender listed.
    pub results: i32,
    /// The values stored from them, in the report's order (results that were not numeric or
    /// were left out of the import are not here).
    pub values: Vec<ObservationView>,
    /// How many of the values are outside their reference range.
    pub abnormal: usize,
}

/// A patient's reports, newest first, each with its values.
pub async fn of_patient(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<LabReportView>> {
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let out = reports_in(&mut tx, &patient).await?;
    let detail = format!("reports={}", out.len());
    record(
        &mut tx,
        event(actor, "lab_report.read", Some(patient_id), Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's reports with their stored values, inside the caller's transaction.
pub(crate) async fn reports_in(tx: &mut Tx, patient: &PatientRow) -> Result<Vec<LabReportView>> {
    let patient_id = patient.id;
    let rows = imports::reports_of(tx, patient_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let keys: Vec<String> = r
            .result_keys
            .as_deref()
            .and_then(|k| serde_json::from_str(k).ok())
            .unwrap_or_default();
        let mut stored = observations::by_external_ids(tx, &keys).await?;
        // Only this patient's values, in the order the report lists them.
        stored.retain(|o| o.patient_id == patient_id);
        stored.sort_by_key(|o| keys.iter().position(|k| o.external_id.as_deref() == Some(k.as_str())));
        let values = views_of(stored, &patient.sex);
        out.push(LabReportView {
            abnormal: values.iter().filter(|v| v.abnormal).count(),
            id: r.id,
            code: r.code,
            title: r.title,
            effective_at: r.effective_at,
            results: r.results,
            values,
        });
    }
    Ok(out)
}
