//! One FHIR resource → items of the import batch.

use crate::resources::{CodeableConcept, Condition, DiagnosticReport, Head, Observation, Patient, Quantity, Reference};
use crate::time_of;
use careloop_domain::import::{
    Death, ImportBatch, ImportedCondition, ImportedObservation, ImportedPatient, ImportedReport, Issue, PatientRef,
    mainland_mobile, snomed_to_icd10,
};
use careloop_domain::indicator::lookup;
use careloop_domain::patient::PatientInput;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
/// The identifier system for the resident ID card (居民身份证) in Chinese health data standards.
const CN_ID_CARD: &str = "urn:oid:2.16.156.10011.1.3";
/// Observation states whose values are results; others (preliminary, cancelled,
/// entered-in-error) are not stored.
const RESULT_STATES: [&str; 4] = ["final", "amended", "corrected", "appended"];

pub struct Reader {
    aliases: HashMap<String, String>,
}

impl Reader {
    pub fn new(aliases: HashMap<String, String>) -> Self {
        Reader { aliases }
    }

    /// `Type/id` for a reference: through the bundle's fullUrls, else its last two segments.
    fn resolve(&self, r: &Option<Reference>) -> Option<String> {
        let raw = r.as_ref()?.reference.as_deref()?.trim();
        if let Some(key) = self.aliases.get(raw) {
            return Some(key.clone());
        }
        let path = raw.split("/_history/").next().unwrap_or(raw);
        let mut parts = path.rsplit('/');
        let id = parts.next()?;
        let kind = parts.next()?;
        (!id.is_empty() && kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())).then(|| format!("{kind}/{id}"))
    }

    pub fn resource(&mut self, batch: &mut ImportBatch, bytes: &[u8], location: &str) {
        let head: Head = match serde_json::from_slice(bytes) {
            Ok(h) => h,
            Err(e) => {
                batch.issues.push(Issue::error(
                    location,
                    "fhir_invalid",
                    format!("not a readable FHIR resource: {e}"),
                    "不是有效的 FHIR 资源",
                ));
                return;
            }
        };
        let Some(kind) = head.resource_type else {
            batch.issues.push(Issue::error(
                location,
                "resource_type_missing",
                "resource has no resourceType",
                "资源缺少 resourceType",
            ));
            return;
        };
        let known = ["Patient", "Observation", "Condition", "DiagnosticReport"];
        if !known.contains(&kind.as_str()) {
            batch.skip(&kind);
            return;
        }
        let Some(id) = head.id.filter(|i| !i.trim().is_empty()) else {
            batch.issues.push(Issue::error(
                location,
                "id_missing",
                format!("{kind} has no id, so a re-import could not recognise it"),
                "资源缺少 id，无法识别重复导入",
            ));
            return;
        };
        let key = format!("{kind}/{id}");
        match kind.as_str() {
            "Patient" => {
                if let Some(p) = typed::<Patient>(batch, bytes, location) {
                    self.patient(batch, p, key, location);
                }
            }
            "Observation" => {
                if let Some(o) = typed::<Observation>(batch, bytes, location) {
                    self.observation(batch, o, key, location);
                }
            }
            "Condition" => {
                if let Some(c) = typed::<Condition>(batch, bytes, location) {
                    self.condition(batch, c, key, location);
                }
            }
            _ => {
                if let Some(r) = typed::<DiagnosticReport>(batch, bytes, location) {
                    self.report(batch, r, key, location);
                }
            }
        }
    }

    fn subject(&self, batch: &mut ImportBatch, r: &Option<Reference>, location: &str) -> Option<PatientRef> {
        match self.resolve(r) {
            Some(k) if k.starts_with("Patient/") => Some(PatientRef::Key(k)),
            _ => {
                batch.issues.push(Issue::error(
                    location,
                    "subject_missing",
                    "subject must reference a Patient",
                    "subject 应引用患者",
                ));
                None
            }
        }
    }

    fn patient(&mut self, batch: &mut ImportBatch, p: Patient, key: String, location: &str) {
        if p.deceased_boolean == Some(true) || p.deceased_date_time.is_some() {
            // A follow-up system must never message a patient who has died: not enrolled, and
            // one already enrolled is recorded as deceased (the service stops their plans).
            batch.deaths.push(Death {
                key: key.clone(),
                id_number: id_number_of(&p),
                at: p.deceased_date_time.as_deref().and_then(time_of::date_time),
            });
            batch.excluded_patients.insert(key);
            batch.issues.push(Issue::warning(
                location,
                "patient_deceased",
                "patient has died: not enrolled, their data are not imported, and an enrolled patient's follow-up is stopped",
                "患者已故：不建档，其数据不导入；已建档者停止随访",
            ));
            return;
        }
        let name = p
            .name
            .iter()
            .find(|n| n.usage.as_deref() == Some("official"))
            .or(p.name.first())
            .map(|n| {
                n.text.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| {
                    let family = n.family.clone().unwrap_or_default();
                    if family.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                        format!("{family}{}", n.given.concat())
                    } else {
                        let mut parts = n.given.clone();
                        parts.push(family);
                        parts.join(" ").trim().to_string()
                    }
                })
            });
        let id_number = id_number_of(&p);
        let phones: Vec<&str> = p
            .telecom
            .iter()
            .filter(|t| matches!(t.system.as_deref(), Some("phone" | "sms") | None))
            .filter_map(|t| t.value.as_deref())
            .collect();
        let phone = phones.iter().find_map(|v| mainland_mobile(v));
        if phone.is_none() && !phones.is_empty() {
            batch.issues.push(Issue::warning(
                location,
                "phone_not_mobile",
                "no mainland mobile number among the patient's telecom; stored without one",
                "无大陆手机号，患者无手机号建档",
            ));
        }
        let address = p.address.first().map(|a| {
            a.text.clone().unwrap_or_else(|| {
                let parts: Vec<&str> = [&a.state, &a.city, &a.district]
                    .into_iter()
                    .filter_map(|s| s.as_deref())
                    .chain(a.line.iter().map(String::as_str))
                    .collect();
                parts.join(" ")
            })
        });
        batch.patients.push(ImportedPatient {
            key,
            location: location.into(),
            input: PatientInput {
                name,
                sex: p.gender,
                birth_date: p.birth_date,
                id_number,
                phone,
                address: address.map(|a| a.chars().take(200).collect()),
                ..Default::default()
            },
        });
    }

    fn observation(&mut self, batch: &mut ImportBatch, o: Observation, key: String, location: &str) {
        let status = o.status.as_deref().unwrap_or("final");
        if !RESULT_STATES.contains(&status) {
            batch.issues.push(Issue::warning(
                location,
                "status_not_result",
                format!("an Observation with status '{status}' is not a result; not imported"),
                "非最终结果（状态不是 final 等），不导入",
            ));
            return;
        }
        let Some(patient) = self.subject(batch, &o.subject, location) else {
            return;
        };
        let when = o
            .effective_date_time
            .as_deref()
            .or(o.effective_period.as_ref().and_then(|p| p.start.as_deref()))
            .or(o.issued.as_deref());
        let Some(effective_at) = when.and_then(time_of::date_time) else {
            batch.issues.push(Issue::error(
                location,
                "effective_missing",
                "effectiveDateTime (or effectivePeriod.start, or issued) must be a FHIR dateTime",
                "缺少或无法识别检测时间",
            ));
            return;
        };
        let make = |code: String, q: &Quantity, key: String| ImportedObservation {
            key,
            location: location.to_string(),
            patient: patient.clone(),
            code,
            value: q.value.unwrap_or(f64::NAN),
            unit: q.code.clone().or(q.unit.clone()),
            effective_at,
        };
        if !o.component.is_empty() && o.value_quantity.is_none() {
            // A panel (blood pressure 55284-4): each component is a value of its own.
            let mut any = false;
            for c in &o.component {
                let (system, code, display) = pick(&c.code);
                match (&c.value_quantity, lookup(&code)) {
                    (Some(q), Some(_)) => {
                        any = true;
                        batch.observation(&system, &display, make(code.clone(), q, format!("{key}#{code}")));
                    }
                    _ => batch.unknown(&system, &code, &display, location),
                }
            }
            if !any {
                let (system, code, display) = pick(&o.code);
                batch.unknown(&system, &code, &display, location);
            }
            return;
        }
        let (system, code, display) = pick(&o.code);
        match &o.value_quantity {
            Some(q) if lookup(&code).is_some() => batch.observation(&system, &display, make(code, q, key)),
            None if lookup(&code).is_some() => batch.issues.push(Issue::error(
                location,
                "value_missing",
                "a known indicator needs a valueQuantity",
                "缺少数值（valueQuantity）",
            )),
            _ => batch.unknown(&system, &code, &display, location),
        }
    }

    fn condition(&mut self, batch: &mut ImportBatch, c: Condition, key: String, location: &str) {
        let refuted = c
            .verification_status
            .as_ref()
            .is_some_and(|v| v.has_code("refuted") || v.has_code("entered-in-error"));
        if refuted {
            batch.issues.push(Issue::warning(
                location,
                "condition_refuted",
                "a refuted or mistaken Condition is not imported",
                "已排除或录入错误的诊断，不导入",
            ));
            return;
        }
        let Some(patient) = self.subject(batch, &c.subject, location) else {
            return;
        };
        let icd = c.code.coding.iter().find_map(|k| {
            let system = k.system.as_deref().unwrap_or_default();
            let code = k.code.as_deref()?;
            if system.contains("icd-10") || system.contains("icd10") {
                careloop_domain::record::parse_icd10(code)
                    .ok()
                    .map(|icd| (icd, k.display.clone().unwrap_or_else(|| c.code.label())))
            } else if system == SNOMED {
                snomed_to_icd10(code).map(|(icd, zh)| (icd.to_string(), zh.to_string()))
            } else {
                None
            }
        });
        let Some((icd10, name)) = icd else {
            let (system, code, display) = pick(&c.code);
            batch.unknown(&system, &code, &display, location);
            return;
        };
        let onset = c
            .onset_date_time
            .as_deref()
            .or(c.recorded_date.as_deref())
            .and_then(time_of::date);
        batch.conditions.push(ImportedCondition {
            key,
            location: location.into(),
            patient,
            icd10,
            name: name.chars().take(100).collect(),
            onset,
        });
    }

    fn report(&mut self, batch: &mut ImportBatch, r: DiagnosticReport, key: String, location: &str) {
        let Some(patient) = self.subject(batch, &r.subject, location) else {
            return;
        };
        let (_, code, _) = pick(&r.code);
        let results = r
            .result
            .iter()
            .filter_map(|x| {
                self.resolve(&Some(Reference {
                    reference: x.reference.clone(),
                }))
            })
            .collect();
        batch.reports.push(ImportedReport {
            key,
            location: location.into(),
            patient,
            code: Some(code).filter(|c| !c.is_empty()),
            title: r.code.label().chars().take(200).collect(),
            effective_at: r
                .effective_date_time
                .as_deref()
                .or(r.issued.as_deref())
                .and_then(time_of::date_time),
            results,
        });
    }
}

/// The coding to use: a LOINC code the catalogue knows, else any known code, else the first.
fn pick(c: &CodeableConcept) -> (String, String, String) {
    let known = c
        .coding
        .iter()
        .filter(|k| k.code.as_deref().is_some_and(|code| lookup(code).is_some()))
        .max_by_key(|k| k.system.as_deref() == Some(LOINC));
    let k = known.or(c.coding.first());
    match k {
        Some(k) => (
            k.system.clone().unwrap_or_default(),
            k.code.clone().unwrap_or_default(),
            k.display.clone().or(c.text.clone()).unwrap_or_default(),
        ),
        None => (String::new(), String::new(), c.text.clone().unwrap_or_default()),
    }
}

/// Read a resource as its type; a wrong shape is an error at its path (`valueQuantity.value`).
fn typed<T: DeserializeOwned>(batch: &mut ImportBatch, bytes: &[u8], location: &str) -> Option<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            batch.issues.push(Issue::error(
                format!("{location}.{}", e.path()),
                "fhir_invalid",
                format!("{}", e.inner()),
                "FHIR 资源结构错误",
            ));
            None
        }
    }
}

/// The resident ID number (居民身份证号) among a patient's identifiers.
fn id_number_of(p: &Patient) -> Option<String> {
    p.identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(CN_ID_CARD) || i.kind.as_ref().is_some_and(|t| t.has_code("NNCHN")))
        .and_then(|i| i.value.clone())
}
