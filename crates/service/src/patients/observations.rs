//! Recording and reading observations (检测值). One batch path serves the API (one patient,
//! one or many values), data imports and the benchmark (many patients at once).

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::patients::register::at_index;
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::indicator::{Flag, ObservationInput, ValidObservation, lookup};
use careloop_domain::patient::Sex;
use careloop_store::observations::{self, ObservationRow};
use careloop_store::patients::PatientRow;
use careloop_store::{Db, Tx, audit, patients};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// Most observations one call may carry.
pub const MAX_BATCH: usize = 20_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObservationView {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub code: String,
    pub loinc: Option<String>,
    pub name: String,
    pub value: f64,
    pub unit: String,
    #[serde(with = "time::serde::rfc3339")]
    pub effective_at: OffsetDateTime,
    pub source: String,
    /// `low`, `normal` or `high` against the adult reference range.
    pub flag: String,
    pub abnormal: bool,
    /// The reference range applied, e.g. `3.9–<6.1`.
    pub reference_range: Option<String>,
}

/// Reference-range labels by indicator code and sex, formatted once per batch rather than
/// once per row (a bulk import returns a million views).
type Labels = HashMap<(String, Sex), Option<String>>;

fn view(o: ObservationRow, sex: Sex, labels: &mut Labels) -> ObservationView {
    let indicator = lookup(&o.code);
    let flag = Flag::parse(&o.flag);
    let reference_range = labels
        .entry((o.code.clone(), sex))
        .or_insert_with(|| indicator.and_then(|i| i.reference.for_sex(sex)).map(|r| r.label()))
        .clone();
    ObservationView {
        id: o.id,
        patient_id: o.patient_id,
        loinc: indicator.and_then(|i| i.loinc).map(str::to_string),
        name: indicator.map_or_else(|| o.code.clone(), |i| i.name_zh.to_string()),
        reference_range,
        code: o.code,
        value: o.value,
        unit: o.unit,
        effective_at: o.effective_at,
        source: o.source,
        flag: flag.as_str().into(),
        abnormal: flag.is_abnormal(),
    }
}

/// Views of one patient's stored values.
pub(crate) fn views_of(rows: Vec<ObservationRow>, patient_sex: &str) -> Vec<ObservationView> {
    let mut labels = Labels::new();
    rows.into_iter()
        .map(|r| view(r, sex(patient_sex), &mut labels))
        .collect()
}

fn sex(s: &str) -> Sex {
    if s == "male" { Sex::Male } else { Sex::Female }
}

/// Validate and store observations for any number of patients in one transaction; all are
/// stored or none. Errors name the failing entry as `[i].field` when there is more than one.
pub async fn record_observations(
    db: &Db,
    actor: &Actor,
    entries: &[(Uuid, ObservationInput)],
    now: OffsetDateTime,
) -> Result<Vec<ObservationView>> {
    if entries.is_empty() || entries.len() > MAX_BATCH {
        return Err(FieldError::new(
            "observations",
            "batch_size",
            format!("send between 1 and {MAX_BATCH} observations"),
            format!("每次应提交1至{MAX_BATCH}条检测值"),
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let (rows, sexes) =
        insert_observations(&mut tx, actor, entries, entries.len() > 1, Some(("录入", None)), now).await?;
    // A value outside its reference range may enrol the patient (指标异常入组).
    let mut abnormal: BTreeMap<Uuid, Vec<TriggerEvent>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.flag != "normal") {
        let events = abnormal.entry(r.patient_id).or_default();
        let e = TriggerEvent::AbnormalIndicator { code: r.code.clone() };
        if !events.contains(&e) {
            events.push(e);
        }
    }
    crate::reactions::events_happened(&mut tx, actor, &abnormal, now).await?;
    tx.commit().await?;
    let mut labels = Labels::new();
    Ok(rows
        .into_iter()
        .map(|r| {
            let s = sexes[&r.patient_id];
            view(r, s, &mut labels)
        })
        .collect())
}

/// How values arrived, for the alert a critical one raises (危急值): its words and the response
/// that brought them; `None` when the caller raises those alerts itself (a signed visit folds
/// them into its own).
pub(crate) type Arrival<'a> = Option<(&'a str, Option<Uuid>)>;

/// Validate and insert observations inside the caller's transaction (with their audit events,
/// the patients' recomputed risk tiers and, unless `arrival` is `None`, the alerts of critical
/// values); returns the stored rows and each patient's sex. Errors name `[i].field` when `batch`.
pub(crate) async fn insert_observations(
    tx: &mut Tx,
    actor: &Actor,
    entries: &[(Uuid, ObservationInput)],
    batch: bool,
    arrival: Arrival<'_>,
    now: OffsetDateTime,
) -> Result<(Vec<ObservationRow>, HashMap<Uuid, Sex>)> {
    let mut ids: Vec<Uuid> = entries.iter().map(|(p, _)| *p).collect();
    ids.sort_unstable();
    ids.dedup();
    let briefs: HashMap<Uuid, _> = patients::briefs(tx, &ids)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let mut rows = Vec::with_capacity(entries.len());
    for (i, (patient_id, input)) in entries.iter().enumerate() {
        let brief = briefs.get(patient_id).ok_or(ServiceError::NotFound("patient"))?;
        if !actor.may_access_patient(brief.department_id) {
            return Err(ServiceError::Forbidden);
        }
        let o = ValidObservation::parse(input, sex(&brief.sex), now).map_err(|e| at_index(e, i, batch))?;
        rows.push(ObservationRow {
            id: Uuid::now_v7(),
            patient_id: *patient_id,
            code: o.indicator.code.into(),
            value: o.value,
            unit: o.indicator.unit.into(),
            effective_at: careloop_store::stored_time(o.effective_at),
            source: o.source,
            flag: o.flag.as_str().into(),
            created_at: careloop_store::stored_time(now),
            created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
            external_id: None,
        });
    }
    observations::insert_many(tx, &rows).await?;
    if let Some((from, response)) = arrival {
        crate::reactions::critical_values(tx, &rows, from, (None, response), now).await?;
    }
    let mut per_patient: BTreeMap<Uuid, usize> = BTreeMap::new();
    for r in &rows {
        *per_patient.entry(r.patient_id).or_default() += 1;
    }
    let events: Vec<_> = per_patient
        .iter()
        .map(|(p, n)| event(actor, "observation.create", Some(*p), Some(format!("count={n}")), now))
        .collect();
    audit::insert_many(tx, &events).await?;
    // New values re-tier the patient (风险分层), whichever path brought them.
    let touched: Vec<Uuid> = per_patient.keys().copied().collect();
    crate::reactions::facts_changed(tx, actor, &touched, false, now).await?;
    let sexes = briefs.iter().map(|(id, b)| (*id, sex(&b.sex))).collect();
    Ok((rows, sexes))
}

/// A patient's observations, newest first, optionally of one indicator (short or LOINC code).
pub async fn list_observations(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    code: Option<&str>,
    limit: Option<u64>,
    now: OffsetDateTime,
) -> Result<Vec<ObservationView>> {
    let code = indicator_filter(code)?;
    let mut tx = db.begin().await?;
    let p = accessible(&mut tx, actor, patient_id).await?;
    let out = observations_in(&mut tx, &p, code, limit.unwrap_or(1000)).await?;
    record(
        &mut tx,
        event(
            actor,
            "observation.read",
            Some(patient_id),
            code.map(str::to_string),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// An optional `code` filter as a catalogue code: empty means none, an unknown code is refused.
pub(crate) fn indicator_filter(code: Option<&str>) -> Result<Option<&'static str>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Ok(Some(
            lookup(c)
                .ok_or_else(|| {
                    FieldError::new("code", "indicator_unknown", "unknown indicator code", "未知的指标代码")
                })?
                .code,
        )),
        None => Ok(None),
    }
}

/// The patient's values, newest first, up to `limit` (1–5000), inside the caller's transaction.
pub(crate) async fn observations_in(
    tx: &mut Tx,
    p: &PatientRow,
    code: Option<&str>,
    limit: u64,
) -> Result<Vec<ObservationView>> {
    let rows = observations::list(tx, p.id, code, limit.clamp(1, 5000)).await?;
    let s = sex(&p.sex);
    let mut labels = Labels::new();
    Ok(rows.into_iter().map(|r| view(r, s, &mut labels)).collect())
}
