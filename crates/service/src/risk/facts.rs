//! What the tier, tag and advice rules read of a patient (`TierFacts`): the latest value of
//! each indicator, the diagnoses, the health record's risk inputs and the organisation's
//! location, for a page of patients in a fixed number of statements.

use crate::Result;
use careloop_domain::clock::local_today;
use careloop_domain::indicator::Flag;
use careloop_domain::patient::{Sex, age_on};
use careloop_domain::record::{HealthRecord, Location};
use careloop_domain::tiering::{Reading, TierFacts};
use careloop_store::health_records::HealthRecordRow;
use careloop_store::patients::PatientRow;
use careloop_store::{Tx, diagnoses, health_records, observations, organisations};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The stored record in the domain's shape.
pub fn record_of(r: HealthRecordRow) -> HealthRecord {
    HealthRecord {
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
    }
}

pub async fn facts_of(tx: &mut Tx, patient: &PatientRow, now: OffsetDateTime) -> Result<TierFacts> {
    Ok(facts_of_many(tx, std::slice::from_ref(patient), now)
        .await?
        .pop()
        .unwrap_or_default())
}

/// What the rules read of many patients, in the patients' order, in a fixed number of
/// statements (so refreshing or dry-running a page of patients is not query-per-patient).
pub async fn facts_of_many(tx: &mut Tx, patients: &[PatientRow], now: OffsetDateTime) -> Result<Vec<TierFacts>> {
    let ids: Vec<Uuid> = patients.iter().map(|p| p.id).collect();
    let mut latest: HashMap<Uuid, Vec<observations::ObservationRow>> = HashMap::new();
    for o in observations::latest_per_code_of(tx, &ids).await? {
        latest.entry(o.patient_id).or_default().push(o);
    }
    let mut diagnosed: HashMap<Uuid, Vec<String>> = HashMap::new();
    for d in diagnoses::of_patients(tx, &ids).await? {
        diagnosed.entry(d.patient_id).or_default().push(d.icd10_code);
    }
    let mut records: HashMap<Uuid, HealthRecord> = health_records::of_patients(tx, &ids)
        .await?
        .into_iter()
        .map(|r| (r.patient_id, record_of(r.record)))
        .collect();
    let locations: HashMap<Uuid, Location> = organisations::locations_by_department(tx)
        .await?
        .into_iter()
        .map(|d| {
            let l = Location {
                region: d.location.region,
                residence: d.location.residence,
            };
            (d.department_id, l)
        })
        .collect();
    let today = local_today(now);
    Ok(patients
        .iter()
        .map(|patient| {
            let mut f = TierFacts {
                sex: Some(if patient.sex == "male" { Sex::Male } else { Sex::Female }),
                age: Some(age_on(patient.birth_date, today)),
                diagnoses: diagnosed.remove(&patient.id).unwrap_or_default(),
                ..TierFacts::default()
            };
            for o in latest.remove(&patient.id).unwrap_or_default() {
                let reading = Reading {
                    value: o.value,
                    flag: Flag::parse(&o.flag),
                    at: o.effective_at,
                };
                f.latest.insert(o.code, reading);
            }
            let record = records.remove(&patient.id).unwrap_or_default();
            let org = locations.get(&patient.department_id).cloned().unwrap_or_default();
            f.with_record(&record, &org)
        })
        .collect())
}
