//! Imports (同步检查报告数据): what a FHIR bundle, an HL7 v2 message or a spreadsheet row says,
//! in one neutral shape the service stores. Readers of each format produce an [`ImportBatch`];
//! nothing here touches a database.
//!
//! Every item carries its sender's key (`external key`): the service stores it and a second
//! import of the same key changes nothing, which is what makes re-importing idempotent.

use crate::indicator::lookup;
use crate::patient::PatientInput;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// An error rejects the item it is about; a warning keeps it and says what was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a batch, at the place in the file it came from (`entry[12]`,
/// `line 40`, `message 2 OBX 5`, `row 7 column fpg`). Never carries a patient's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Issue {
    pub location: String,
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub message_zh: String,
}

impl Issue {
    pub fn error(location: impl Into<String>, code: &str, message: impl Into<String>, zh: impl Into<String>) -> Self {
        Issue {
            location: location.into(),
            severity: Severity::Error,
            code: code.into(),
            message: message.into(),
            message_zh: zh.into(),
        }
    }

    pub fn warning(location: impl Into<String>, code: &str, message: impl Into<String>, zh: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(location, code, message, zh)
        }
    }
}

/// How an item names its patient.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatientRef {
    /// The sender's own key for the patient (FHIR `Patient/{id}`, HL7 PID-3, a check-up number).
    Key(String),
    /// A resident ID number (居民身份证号), matched against enrolled patients.
    IdNumber(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPatient {
    pub key: String,
    pub location: String,
    pub input: PatientInput,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedObservation {
    pub key: String,
    pub location: String,
    pub patient: PatientRef,
    /// A catalogue code or LOINC code the catalogue knows (see [`ImportBatch::observation`]).
    pub code: String,
    pub value: f64,
    pub unit: Option<String>,
    pub effective_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCondition {
    pub key: String,
    pub location: String,
    pub patient: PatientRef,
    pub icd10: String,
    pub name: String,
    pub onset: Option<time::Date>,
}

/// A report (检查报告: FHIR DiagnosticReport, HL7 OBR) and the keys of its results.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedReport {
    pub key: String,
    pub location: String,
    pub patient: PatientRef,
    pub code: Option<String>,
    pub title: String,
    pub effective_at: Option<OffsetDateTime>,
    pub results: Vec<String>,
}

/// A code the importer does not know, counted rather than dropped silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnknownCode {
    pub system: String,
    pub code: String,
    pub display: String,
    pub count: usize,
    /// Where it first appeared.
    pub first_location: String,
}

/// Everything one file (or request) said, read but not yet stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    /// Items the file held (resources, OBX segments, data rows).
    pub received: usize,
    pub patients: Vec<ImportedPatient>,
    pub observations: Vec<ImportedObservation>,
    pub conditions: Vec<ImportedCondition>,
    pub reports: Vec<ImportedReport>,
    pub issues: Vec<Issue>,
    /// Kinds of item this importer does not take (e.g. FHIR `Claim`), with counts.
    pub skipped: BTreeMap<String, usize>,
    /// Codes not in the indicator catalogue or the diagnosis map, by `system|code`.
    pub unknown_codes: BTreeMap<String, UnknownCode>,
    /// Patients left out on purpose (deceased): items about them are skipped, not errors.
    pub excluded_patients: BTreeSet<String>,
    /// Deaths the sender reported: a patient already enrolled is recorded as deceased and
    /// their follow-up stopped.
    pub deaths: Vec<Death>,
}

/// A patient the sender reports as dead, as it identifies them.
#[derive(Debug, Clone, PartialEq)]
pub struct Death {
    pub key: String,
    pub id_number: Option<String>,
    /// When, if the sender said.
    pub at: Option<OffsetDateTime>,
}

impl ImportBatch {
    pub fn skip(&mut self, kind: &str) {
        *self.skipped.entry(kind.to_string()).or_default() += 1;
    }

    pub fn unknown(&mut self, system: &str, code: &str, display: &str, location: &str) {
        let u = self
            .unknown_codes
            .entry(format!("{system}|{code}"))
            .or_insert_with(|| UnknownCode {
                system: system.into(),
                code: code.into(),
                display: display.chars().take(120).collect(),
                count: 0,
                first_location: location.into(),
            });
        u.count += 1;
    }

    /// Add an observation if the catalogue knows its code, else count the code as unknown.
    pub fn observation(&mut self, system: &str, display: &str, o: ImportedObservation) {
        match lookup(&o.code) {
            Some(_) => self.observations.push(o),
            None => {
                let location = o.location.clone();
                self.unknown(system, &o.code, display, &location);
            }
        }
    }

    /// Append another batch read from the same import (e.g. the next NDJSON file).
    pub fn extend(&mut self, other: ImportBatch) {
        self.received += other.received;
        self.patients.extend(other.patients);
        self.observations.extend(other.observations);
        self.conditions.extend(other.conditions);
        self.reports.extend(other.reports);
        self.issues.extend(other.issues);
        for (k, n) in other.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
        self.excluded_patients.extend(other.excluded_patients);
        for (k, u) in other.unknown_codes {
            match self.unknown_codes.get_mut(&k) {
                Some(mine) => mine.count += u.count,
                None => {
                    self.unknown_codes.insert(k, u);
                }
            }
        }
    }
}

/// SNOMED CT concepts for the chronic conditions follow-up protocols care about, mapped to
/// ICD-10 (WHO 2019 categories, which the Chinese clinical edition 国家临床版 2.0 extends).
/// Senders usually code problems in SNOMED CT (Synthea does); anything not here is reported as
/// an unknown code for a person to map, never guessed. Codes per the SNOMED CT International
/// browser; targets per the WHO ICD-10 tabular list.
const SNOMED_TO_ICD10: &[(&str, &str, &str)] = &[
    ("38341003", "I10", "高血压"),
    ("59621000", "I10", "原发性高血压"),
    ("44054006", "E11", "2型糖尿病"),
    ("46635009", "E10", "1型糖尿病"),
    ("15777000", "R73.0", "糖尿病前期"),
    ("80394007", "R73.9", "高血糖"),
    ("127013003", "E11.2", "糖尿病肾病"),
    ("55822004", "E78.5", "高脂血症"),
    ("302870006", "E78.1", "高甘油三酯血症"),
    ("414545008", "I25.9", "缺血性心脏病"),
    ("53741008", "I25.1", "冠状动脉粥样硬化性心脏病"),
    ("22298006", "I21.9", "急性心肌梗死"),
    ("230690007", "I64", "脑卒中"),
    ("49436004", "I48", "心房颤动"),
    ("84114007", "I50.9", "心力衰竭"),
    ("162864005", "E66.9", "肥胖"),
    ("431855005", "N18.1", "慢性肾脏病1期"),
    ("431856006", "N18.2", "慢性肾脏病2期"),
    ("433144002", "N18.3", "慢性肾脏病3期"),
    ("13645005", "J44.9", "慢性阻塞性肺疾病"),
    ("195967001", "J45.9", "哮喘"),
    ("233678006", "J45.9", "儿童哮喘"),
    ("254637007", "C34.9", "非小细胞肺癌"),
    ("271737000", "D64.9", "贫血"),
    ("35489007", "F32.9", "抑郁症"),
];

/// The ICD-10 code and Chinese name for a SNOMED CT concept, if mapped.
pub fn snomed_to_icd10(code: &str) -> Option<(&'static str, &'static str)> {
    SNOMED_TO_ICD10
        .iter()
        .find(|(s, _, _)| *s == code)
        .map(|(_, icd, zh)| (*icd, *zh))
}

/// A sender's telephone as a mainland mobile (spaces, dashes and +86 dropped), or `None` for
/// anything else (landlines, foreign numbers).
pub fn mainland_mobile(raw: &str) -> Option<String> {
    crate::phone::PhoneNumber::parse(raw)
        .ok()
        .map(|p| p.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn obs(code: &str) -> ImportedObservation {
        ImportedObservation {
            key: format!("Observation/{code}"),
            location: "entry[1]".into(),
            patient: PatientRef::Key("Patient/1".into()),
            code: code.into(),
            value: 1.0,
            unit: None,
            effective_at: datetime!(2020-01-01 0:00 UTC),
        }
    }

    #[test]
    fn known_loinc_codes_are_kept_and_unknown_ones_counted_once_per_code() {
        let mut b = ImportBatch::default();
        b.observation("http://loinc.org", "Total Cholesterol", obs("2093-3"));
        b.observation("http://loinc.org", "Leukocytes", obs("6690-2"));
        b.observation("http://loinc.org", "Leukocytes", obs("6690-2"));
        assert_eq!(b.observations.len(), 1);
        let u = &b.unknown_codes["http://loinc.org|6690-2"];
        assert_eq!((u.count, u.display.as_str()), (2, "Leukocytes"));
    }

    #[test]
    fn extending_adds_counts() {
        let mut a = ImportBatch::default();
        a.skip("Claim");
        a.unknown("s", "c", "d", "line 1");
        let mut b = ImportBatch::default();
        b.skip("Claim");
        b.unknown("s", "c", "d", "line 9");
        a.extend(b);
        assert_eq!(a.skipped["Claim"], 2);
        assert_eq!(a.unknown_codes["s|c"].count, 2);
        assert_eq!(a.unknown_codes["s|c"].first_location, "line 1");
    }

    #[test]
    fn snomed_hypertension_and_diabetes_map_to_their_icd10_categories() {
        assert_eq!(snomed_to_icd10("59621000"), Some(("I10", "原发性高血压")));
        assert_eq!(snomed_to_icd10("44054006").map(|m| m.0), Some("E11"));
        assert_eq!(
            snomed_to_icd10("160903007"),
            None,
            "a social finding is not a diagnosis"
        );
        for (_, icd, _) in SNOMED_TO_ICD10 {
            assert!(crate::record::parse_icd10(icd).is_ok(), "{icd}");
        }
    }

    #[test]
    fn mobiles_are_normalised_and_foreign_numbers_refused() {
        assert_eq!(mainland_mobile("+86 138-1234-5678").as_deref(), Some("13812345678"));
        assert_eq!(mainland_mobile("0086 13812345678").as_deref(), Some("13812345678"));
        assert_eq!(mainland_mobile("555-810-7203"), None);
        assert_eq!(mainland_mobile("010-6512 3456"), None);
    }
}
