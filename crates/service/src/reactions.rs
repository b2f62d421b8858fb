//! What a write sets off in other workflows, in one place. A writer calls these inside its own
//! transaction, before it commits, instead of reaching into another workflow's engine:
//!
//! - values, diagnoses or a health record stored → the patient's tier and tags are refreshed
//!   (queued for the scheduler when many patients changed) — [`facts_changed`];
//! - an event (an abnormal value, a diagnosis, a discharge, a tag, a tier) → protocols it
//!   triggers enrol the patient — [`events_happened`], [`event_happened`];
//! - a death → every running plan stops and nothing more is sent — [`died`];
//! - a transfer (转科) → the follow-up work moves to the new department — [`transferred`];
//! - a value at or past a critical limit (危急值), however it arrived → a severe alert to the
//!   doctor, once per measurement — [`critical_values`], [`critical_alerts`].
//!
//! Each is settled in the writer's transaction, so a failure rolls back the write with it.

use crate::Result;
use crate::followup::enrolment::PlanView;
use crate::kernel::alerts::alert_from;
use crate::kernel::audit::event;
use careloop_domain::access::Actor;
use careloop_domain::critical;
use careloop_domain::followup::alert::AlertKind;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_store::Tx;
use careloop_store::observations::ObservationRow;
use careloop_store::patients::PatientRow;
use careloop_store::records::AlertRow;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// These patients' values, diagnoses or record changed: re-tier and re-tag them. `enrol`: the
/// new tier may enrol them (check-up results, 检后随访); otherwise it only re-plans.
pub async fn facts_changed(
    tx: &mut Tx,
    actor: &Actor,
    patient_ids: &[Uuid],
    enrol: bool,
    now: OffsetDateTime,
) -> Result<()> {
    crate::risk::tiering::refresh(tx, actor, patient_ids, enrol, now).await
}

/// Each patient's events may enrol them in the protocols they trigger (the published
/// protocols read once).
pub async fn events_happened(
    tx: &mut Tx,
    actor: &Actor,
    events_of: &BTreeMap<Uuid, Vec<TriggerEvent>>,
    now: OffsetDateTime,
) -> Result<()> {
    crate::followup::triggers::enrol_each(tx, actor, events_of, now).await
}

/// One patient's events: the plans they started.
pub async fn event_happened(
    tx: &mut Tx,
    actor: &Actor,
    patient: &PatientRow,
    events: &[TriggerEvent],
    now: OffsetDateTime,
) -> Result<Vec<PlanView>> {
    crate::followup::triggers::enrol_on(tx, actor, patient, events, now).await
}

/// The patient moved from department `from` to `to`: their tasks follow (returns how many
/// changed hands).
pub async fn transferred(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    from: Uuid,
    to: Uuid,
    now: OffsetDateTime,
) -> Result<u64> {
    crate::followup::plans::follow_transfer(tx, actor, patient_id, from, to, now).await
}

/// Record that a patient died (at a visit, or as a hospital system reported): the patient is
/// marked deceased and every running plan stopped with reason `deceased`, cancelling its open
/// tasks so nothing more is sent. A deceased patient is never enrolled again. Returns false
/// when the death was already recorded.
pub async fn died(tx: &mut Tx, actor: &Actor, id: Uuid, at: OffsetDateTime, now: OffsetDateTime) -> Result<bool> {
    if !careloop_store::patients::mark_deceased(tx, id, at).await? {
        return Ok(false);
    }
    let mut log = Vec::new();
    for plan in careloop_store::plans::plans_of_patient(tx, id).await? {
        if matches!(plan.status.as_str(), "active" | "paused") {
            crate::followup::enrolment::stop_plan(tx, &plan, "deceased", actor, now, &mut log).await?;
        }
    }
    careloop_store::plans::insert_transitions(tx, &log).await?;
    crate::kernel::audit::record(tx, event(actor, "patient.deceased", Some(id), None, now)).await?;
    Ok(true)
}

/// The severe alerts the stored `rows` call for: one per measurement (a patient's values at one
/// time) with any value at or past its critical limit ([`careloop_domain::critical`]: the
/// national limits, the low glucose one for patients with diabetes only, and the laboratory
/// table of the patient's organisation), naming each value, its limit and `from` (how the values
/// arrived). Built, not stored: a signed visit folds them into its own alerts.
pub async fn critical_alerts(
    tx: &mut Tx,
    rows: &[ObservationRow],
    from: &str,
    source: (Option<Uuid>, Option<Uuid>),
    now: OffsetDateTime,
) -> Result<Vec<AlertRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let tables = crate::critical_limits::tables_of_patients(tx, &ids).await?;
    if !rows
        .iter()
        .any(|r| critical::check(&r.code, r.value, true, tables.of(r.patient_id)).is_some())
    {
        return Ok(Vec::new());
    }
    let diabetic = with_diabetes(tx, &ids).await?;
    let mut measurements: BTreeMap<(Uuid, OffsetDateTime), Vec<critical::Finding>> = BTreeMap::new();
    for r in rows {
        let lab = tables.of(r.patient_id);
        if let Some(f) = critical::check(&r.code, r.value, diabetic.contains(&r.patient_id), lab) {
            measurements.entry((r.patient_id, r.effective_at)).or_default().push(f);
        }
    }
    Ok(measurements
        .into_iter()
        .map(|((patient, _), findings)| {
            alert_from(
                patient,
                source,
                AlertKind::Severe,
                critical::reason(&findings, from),
                now,
            )
        })
        .collect())
}

/// The patients of `ids` with a diabetes diagnosis (ICD-10 E10–E14).
async fn with_diabetes(tx: &mut Tx, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>> {
    Ok(careloop_store::diagnoses::of_patients(tx, ids)
        .await?
        .into_iter()
        .filter(|d| {
            ["E10", "E11", "E12", "E13", "E14"]
                .iter()
                .any(|p| d.icd10_code.starts_with(p))
        })
        .map(|d| d.patient_id)
        .collect())
}

/// Store the alerts [`critical_alerts`] calls for, in the writer's transaction.
pub async fn critical_values(
    tx: &mut Tx,
    rows: &[ObservationRow],
    from: &str,
    source: (Option<Uuid>, Option<Uuid>),
    now: OffsetDateTime,
) -> Result<usize> {
    let alerts = critical_alerts(tx, rows, from, source, now).await?;
    careloop_store::records::insert_alerts(tx, &alerts).await?;
    Ok(alerts.len())
}
