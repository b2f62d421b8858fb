//! The batch's values, diagnoses and reports: checked, matched against what is stored under
//! the same sender keys, and collected for one write.

use super::Counts;
use crate::Result;
use careloop_domain::access::Actor;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::import::{ImportBatch, Issue, PatientRef};
use careloop_domain::indicator::{ObservationInput, ValidObservation};
use careloop_domain::patient::Sex;
use careloop_store::diagnoses::{self, DiagnosisRow};
use careloop_store::imports::{self as store, LabReportRow};
use careloop_store::observations::{self, ObservationRow};
use careloop_store::patients::{self, PatientWrite};
use careloop_store::{Tx, stored_time};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Abnormal values older than this are history: they do not enrol the patient in a protocol.
const TRIGGER_WINDOW: Duration = Duration::days(30);

/// Everything an import has decided, before and until it is written.
pub(super) struct Work {
    pub source: String,
    pub now: OffsetDateTime,
    pub issues: Vec<Issue>,
    pub skipped: BTreeMap<String, usize>,
    pub patients: Counts,
    pub observations: Counts,
    pub diagnoses: Counts,
    pub reports: Counts,
    pub by_key: HashMap<String, Uuid>,
    pub by_id_number: HashMap<String, Uuid>,
    pub sex: HashMap<Uuid, Sex>,
    /// Enrolled patients of a department the importer may not touch.
    pub forbidden: HashSet<Uuid>,
    rejected: HashSet<String>,
    excluded: BTreeSet<String>,
    pub new_patients: Vec<PatientWrite>,
    pub new_identifiers: Vec<(String, Uuid)>,
    new_observations: Vec<ObservationRow>,
    corrections: Vec<(Uuid, f64, String, OffsetDateTime)>,
    /// The corrected values as they now stand, for their critical-value alerts.
    corrected: Vec<ObservationRow>,
    new_diagnoses: Vec<DiagnosisRow>,
    new_reports: Vec<LabReportRow>,
    triggers: BTreeMap<Uuid, Vec<TriggerEvent>>,
    per_patient: BTreeMap<Uuid, [usize; 3]>,
}

impl Work {
    pub fn new(batch: &ImportBatch, source: &str, now: OffsetDateTime) -> Self {
        Work {
            source: source.into(),
            now,
            issues: batch.issues.clone(),
            skipped: batch.skipped.clone(),
            patients: Counts::default(),
            observations: Counts::default(),
            diagnoses: Counts::default(),
            reports: Counts::default(),
            by_key: HashMap::new(),
            by_id_number: HashMap::new(),
            sex: HashMap::new(),
            forbidden: HashSet::new(),
            rejected: HashSet::new(),
            excluded: batch.excluded_patients.clone(),
            new_patients: Vec::new(),
            new_identifiers: Vec::new(),
            new_observations: Vec::new(),
            corrections: Vec::new(),
            corrected: Vec::new(),
            new_diagnoses: Vec::new(),
            new_reports: Vec::new(),
            triggers: BTreeMap::new(),
            per_patient: BTreeMap::new(),
        }
    }

    /// Keys an earlier import of this sender left out on purpose.
    pub fn exclude(&mut self, keys: HashSet<String>) {
        self.excluded.extend(keys);
    }

    pub fn reject_patient(&mut self, key: &str, issue: Issue) {
        self.rejected.insert(key.to_string());
        self.patients.rejected += 1;
        self.issues.push(issue);
    }

    /// The stored key of an item: sender keys are unique only within their sender.
    fn external(&self, key: &str) -> String {
        format!("{}|{key}", self.source)
    }

    /// The patient an item is about, or why it has none (then the item is not stored):
    /// `Err(true)` when that is an error reported at `location`, `Err(false)` when skipped.
    fn patient_of(&mut self, r: &PatientRef, location: &str) -> std::result::Result<(Uuid, Sex), bool> {
        let found = match r {
            PatientRef::Key(k) if self.excluded.contains(k) => {
                *self.skipped.entry("deceased patient's item".into()).or_default() += 1;
                return Err(false);
            }
            PatientRef::Key(k) if self.rejected.contains(k) => {
                self.issues.push(Issue::error(
                    location,
                    "patient_rejected",
                    format!("its patient ({k}) was rejected; see that entry"),
                    "所属患者未通过校验，见该患者条目",
                ));
                return Err(true);
            }
            PatientRef::Key(k) => self.by_key.get(k).copied(),
            PatientRef::IdNumber(n) => careloop_domain::id_number::IdNumber::parse(n)
                .ok()
                .and_then(|i| self.by_id_number.get(i.as_str()).copied()),
        };
        // A patient of a department the importer may not change is answered as no patient at
        // all: telling the two apart would say that an ID number belongs to someone.
        let Some(id) = found.filter(|id| !self.forbidden.contains(id)) else {
            self.issues.push(Issue::error(
                location,
                "patient_unknown",
                "no patient you may change, in this batch or enrolled, matches its subject",
                "找不到您有权操作的对应患者（本批次及已建档患者中均无）",
            ));
            return Err(true);
        };
        Ok((id, self.sex.get(&id).copied().unwrap_or(Sex::Female)))
    }

    fn count(&mut self, patient: Uuid, slot: usize) {
        self.per_patient.entry(patient).or_default()[slot] += 1;
    }

    fn trigger(&mut self, patient: Uuid, e: TriggerEvent) {
        let events = self.triggers.entry(patient).or_default();
        if !events.contains(&e) {
            events.push(e);
        }
    }

    /// Patients the import wrote to, with what it wrote (counts only) for the audit trail.
    pub fn touched(&self) -> Vec<(Uuid, String)> {
        let created: HashSet<Uuid> = self.new_patients.iter().map(|p| p.id).collect();
        let mut out: Vec<(Uuid, String)> = self
            .per_patient
            .iter()
            .map(|(p, [o, d, r])| {
                let new = if created.contains(p) { "created " } else { "" };
                (*p, format!("{new}observations={o} diagnoses={d} reports={r}"))
            })
            .collect();
        for p in created.iter().filter(|p| !self.per_patient.contains_key(p)) {
            out.push((*p, "created".into()));
        }
        out
    }

    pub async fn write(&self, tx: &mut Tx, _actor: &Actor) -> Result<()> {
        patients::insert_many(tx, &self.new_patients).await?;
        store::insert_identifiers(tx, &self.source, &self.new_identifiers, self.now).await?;
        observations::insert_many(tx, &self.new_observations).await?;
        for (id, value, flag, at) in &self.corrections {
            store::correct_observation(tx, *id, *value, flag, *at).await?;
        }
        let excluded: Vec<String> = self.excluded.iter().cloned().collect();
        store::exclude_keys(tx, &self.source, &excluded, "deceased", self.now).await?;
        diagnoses::insert_many(tx, &self.new_diagnoses).await?;
        // Critical values (危急值) raise their alerts with the import, as cheap inserts in its
        // transaction (after the diagnoses: a diabetes diagnosis in the same file counts), so a
        // bulk import is not held up and no value waits for a later pass.
        let from = format!("导入（{}）", self.source);
        crate::reactions::critical_values(tx, &self.new_observations, &from, (None, None), self.now).await?;
        crate::reactions::critical_values(tx, &self.corrected, &from, (None, None), self.now).await?;
        store::insert_reports(tx, &self.new_reports).await?;
        Ok(())
    }

    pub async fn enrol_on_triggers(&self, tx: &mut Tx, actor: &Actor) -> Result<()> {
        crate::reactions::events_happened(tx, actor, &self.triggers, self.now).await?;
        // New results or diagnoses: the risk tier is recomputed (风险分层).
        let touched: Vec<Uuid> = self
            .per_patient
            .iter()
            .filter(|(_, [values, diagnoses, _])| values + diagnoses > 0)
            .map(|(p, _)| *p)
            .collect();
        crate::reactions::facts_changed(tx, actor, &touched, true, self.now).await?;
        Ok(())
    }
}

pub(super) async fn observations(tx: &mut Tx, batch: &ImportBatch, work: &mut Work) -> Result<()> {
    let keys: Vec<String> = batch.observations.iter().map(|o| work.external(&o.key)).collect();
    let stored = store::observations_by_key(tx, &keys).await?;
    let mut seen: HashSet<&str> = HashSet::new();
    let origin = format!("import:{}", work.source);
    for (o, ext) in batch.observations.iter().zip(&keys) {
        if !seen.insert(ext) {
            work.observations.unchanged += 1;
            continue;
        }
        let (patient, sex) = match work.patient_of(&o.patient, &o.location) {
            Ok(found) => found,
            Err(rejected) => {
                work.observations.rejected += usize::from(rejected);
                continue;
            }
        };
        let input = ObservationInput {
            code: o.code.clone(),
            value: o.value,
            unit: o.unit.clone(),
            effective_at: o.effective_at,
            source: Some(origin.clone()),
        };
        let v = match ValidObservation::parse(&input, sex, work.now) {
            Ok(v) => v,
            Err(e) => {
                work.issues.push(Issue::error(
                    format!("{}.{}", o.location, e.field),
                    e.code,
                    e.message,
                    e.message_zh,
                ));
                work.observations.rejected += 1;
                continue;
            }
        };
        let effective_at = stored_time(v.effective_at);
        let row = ObservationRow {
            id: Uuid::now_v7(),
            patient_id: patient,
            code: v.indicator.code.into(),
            value: v.value,
            unit: v.indicator.unit.into(),
            effective_at,
            source: v.source.clone(),
            flag: v.flag.as_str().into(),
            created_at: stored_time(work.now),
            created_by: None,
            external_id: Some(ext.clone()),
        };
        if let Some(s) = stored.get(ext) {
            if (s.value - v.value).abs() < 1e-9 && s.effective_at == effective_at {
                work.observations.unchanged += 1;
            } else {
                work.corrections
                    .push((s.id, v.value, v.flag.as_str().into(), effective_at));
                work.corrected.push(ObservationRow { id: s.id, ..row });
                work.observations.updated += 1;
                work.count(patient, 0);
            }
            continue;
        }
        if v.flag.is_abnormal() && v.effective_at > work.now - TRIGGER_WINDOW {
            work.trigger(
                patient,
                TriggerEvent::AbnormalIndicator {
                    code: v.indicator.code.into(),
                },
            );
        }
        work.new_observations.push(row);
        work.observations.created += 1;
        work.count(patient, 0);
    }
    Ok(())
}

pub(super) async fn diagnoses(tx: &mut Tx, batch: &ImportBatch, work: &mut Work) -> Result<()> {
    let keys: Vec<String> = batch.conditions.iter().map(|c| work.external(&c.key)).collect();
    let stored = store::known_keys(tx, "diagnoses", &keys).await?;
    let mut seen: HashSet<&str> = HashSet::new();
    let today = careloop_domain::clock::local_today(work.now);
    for (c, ext) in batch.conditions.iter().zip(&keys) {
        if stored.contains(ext) || !seen.insert(ext) {
            work.diagnoses.unchanged += 1;
            continue;
        }
        let (patient, _) = match work.patient_of(&c.patient, &c.location) {
            Ok(found) => found,
            Err(rejected) => {
                work.diagnoses.rejected += usize::from(rejected);
                continue;
            }
        };
        work.trigger(patient, TriggerEvent::Diagnosis { icd10: c.icd10.clone() });
        work.new_diagnoses.push(DiagnosisRow {
            id: Uuid::now_v7(),
            patient_id: patient,
            icd10_code: c.icd10.clone(),
            name: c.name.clone(),
            diagnosed_on: c.onset.filter(|d| *d <= today),
            note: None,
            created_at: stored_time(work.now),
            created_by: None,
            external_id: Some(ext.clone()),
        });
        work.diagnoses.created += 1;
        work.count(patient, 1);
    }
    Ok(())
}

pub(super) async fn reports(tx: &mut Tx, batch: &ImportBatch, work: &mut Work) -> Result<()> {
    let keys: Vec<String> = batch.reports.iter().map(|r| work.external(&r.key)).collect();
    let stored = store::known_keys(tx, "lab_reports", &keys).await?;
    let mut seen: HashSet<&str> = HashSet::new();
    for (r, ext) in batch.reports.iter().zip(&keys) {
        if stored.contains(ext) || !seen.insert(ext) {
            work.reports.unchanged += 1;
            continue;
        }
        let (patient, _) = match work.patient_of(&r.patient, &r.location) {
            Ok(found) => found,
            Err(rejected) => {
                work.reports.rejected += usize::from(rejected);
                continue;
            }
        };
        work.new_reports.push(LabReportRow {
            id: Uuid::now_v7(),
            patient_id: patient,
            external_id: ext.clone(),
            code: r.code.clone(),
            title: r.title.clone(),
            effective_at: r.effective_at.map(stored_time),
            results: i32::try_from(r.results.len()).unwrap_or(i32::MAX),
            created_at: stored_time(work.now),
            result_keys: serde_json::to_string(&r.results.iter().map(|k| work.external(k)).collect::<Vec<_>>()).ok(),
        });
        work.reports.created += 1;
        work.count(patient, 2);
    }
    Ok(())
}
