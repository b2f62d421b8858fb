//! FHIR R4 in (同步检查报告数据): Bundles (any type) and NDJSON (bulk data export), read into the
//! domain's [`ImportBatch`]. Patient, Observation (with components, e.g. the blood-pressure
//! panel), Condition and DiagnosticReport are mapped; other resource types are counted as
//! skipped. References are resolved through each entry's `fullUrl` (`urn:uuid:…`) or as
//! `Type/id` (relative or absolute), so a key is always `Type/id`.
//!
//! Nothing here touches a database; the service decides what is new.

mod map;
pub mod resources;
mod time_of;

use careloop_domain::import::{ImportBatch, Issue};
use resources::Head;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle<'a> {
    #[serde(default, borrow)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    full_url: Option<String>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
    request: Option<Request>,
}

#[derive(Deserialize)]
struct Request {
    method: Option<String>,
}

/// Read a FHIR document: a Bundle, a single resource, or NDJSON (one resource per line).
/// `origin` prefixes every location (a file name, or empty for a request body).
pub fn read(bytes: &[u8], origin: &str) -> ImportBatch {
    let trimmed = bytes.trim_ascii_start();
    if let Ok(head) = serde_json::from_slice::<Head>(trimmed) {
        return if head.resource_type.as_deref() == Some("Bundle") {
            read_bundle(trimmed, origin)
        } else {
            let mut batch = ImportBatch {
                received: 1,
                ..ImportBatch::default()
            };
            let mut reader = map::Reader::new(HashMap::new());
            reader.resource(&mut batch, trimmed, &at(origin, "resource"));
            batch
        };
    }
    read_ndjson(bytes, origin)
}

fn at(origin: &str, place: &str) -> String {
    if origin.is_empty() {
        place.to_string()
    } else {
        format!("{origin} {place}")
    }
}

fn read_bundle(bytes: &[u8], origin: &str) -> ImportBatch {
    let mut batch = ImportBatch::default();
    let bundle: Bundle = match serde_json::from_slice(bytes) {
        Ok(b) => b,
        Err(e) => {
            batch.received = 1;
            batch.issues.push(Issue::error(
                at(origin, &format!("line {} column {}", e.line(), e.column())),
                "fhir_invalid",
                format!("not a readable FHIR Bundle: {e}"),
                "不是有效的 FHIR Bundle",
            ));
            return batch;
        }
    };
    // A transaction bundle refers to its entries by fullUrl (urn:uuid:…) before they have ids.
    let mut aliases = HashMap::new();
    for e in &bundle.entry {
        if let (Some(url), Some(raw)) = (&e.full_url, e.resource)
            && let Ok(head) = serde_json::from_str::<Head>(raw.get())
            && let (Some(t), Some(id)) = (head.resource_type, head.id)
        {
            aliases.insert(url.clone(), format!("{t}/{id}"));
        }
    }
    let mut reader = map::Reader::new(aliases);
    for (i, e) in bundle.entry.iter().enumerate() {
        batch.received += 1;
        let location = at(origin, &format!("entry[{i}]"));
        if e.request.as_ref().and_then(|r| r.method.as_deref()) == Some("DELETE") {
            batch.issues.push(Issue::warning(
                location,
                "delete_not_applied",
                "DELETE entries are not applied; remove data in CareLoop itself",
                "不执行删除条目",
            ));
            continue;
        }
        match e.resource {
            Some(raw) => reader.resource(&mut batch, raw.get().as_bytes(), &location),
            None => batch.issues.push(Issue::error(
                location,
                "resource_missing",
                "entry has no resource",
                "条目缺少资源",
            )),
        }
    }
    batch
}

fn read_ndjson(bytes: &[u8], origin: &str) -> ImportBatch {
    read_ndjson_from(bytes, origin, 1)
}

/// Read NDJSON whose first line is line `first_line` of its file (a long file is imported in
/// parts; locations still name the file's own line numbers).
pub fn read_ndjson_from(bytes: &[u8], origin: &str, first_line: usize) -> ImportBatch {
    let mut batch = ImportBatch::default();
    let mut reader = map::Reader::new(HashMap::new());
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        batch.received += 1;
        reader.resource(&mut batch, line, &at(origin, &format!("line {}", i + first_line)));
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use careloop_domain::import::{PatientRef, Severity};

    const BUNDLE: &str = r#"{"resourceType": "Bundle", "type": "transaction", "entry": [
      {"fullUrl": "urn:uuid:p-1", "resource": {"resourceType": "Patient", "id": "p-1",
        "name": [{"use": "official", "family": "王", "given": ["建", "国"]}], "gender": "male",
        "birthDate": "1956-04-01", "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": "11010519491231002X"}],
        "telecom": [{"system": "phone", "value": "010-6512 3456"}, {"system": "phone", "value": "+86 138 1234 5678"}]}},
      {"fullUrl": "urn:uuid:o-1", "resource": {"resourceType": "Observation", "id": "o-1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "55284-4"}]},
        "subject": {"reference": "urn:uuid:p-1"}, "effectiveDateTime": "2024-03-05T08:30:00+08:00",
        "component": [
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 150, "code": "mm[Hg]"}},
          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 95, "code": "mm[Hg]"}}]}},
      {"resource": {"resourceType": "Observation", "id": "o-2", "status": "preliminary",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]}, "subject": {"reference": "Patient/p-1"},
        "effectiveDateTime": "2024-03-05", "valueQuantity": {"value": 200, "unit": "mg/dL"}}},
      {"resource": {"resourceType": "Observation", "id": "o-3", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2", "display": "Leukocytes"}]},
        "subject": {"reference": "https://his.example/fhir/Patient/p-1/_history/2"},
        "effectiveDateTime": "2024-03-05", "valueQuantity": {"value": 6.3, "unit": "10*3/uL"}}},
      {"resource": {"resourceType": "Condition", "id": "c-1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10", "display": "高血压"}]},
        "subject": {"reference": "Patient/p-1"}, "onsetDateTime": "2019"}},
      {"resource": {"resourceType": "Patient", "id": "p-2", "gender": "female", "deceasedBoolean": true}},
      {"resource": {"resourceType": "Claim", "id": "x"}},
      {"resource": {"resourceType": "Observation", "status": "final"}}
    ]}"#;

    #[test]
    fn a_transaction_bundle_maps_with_its_references_resolved() {
        let b = read(BUNDLE.as_bytes(), "");
        assert_eq!(b.received, 8);
        let p = &b.patients[0];
        assert_eq!(p.key, "Patient/p-1");
        assert_eq!(
            p.input.name.as_deref(),
            Some("王建国"),
            "Chinese names are family then given, unspaced"
        );
        assert_eq!(
            p.input.phone.as_deref(),
            Some("13812345678"),
            "the landline is passed over"
        );
        assert_eq!(p.input.id_number.as_deref(), Some("11010519491231002X"));
        let bp: Vec<(&str, f64, &str)> = b
            .observations
            .iter()
            .map(|o| (o.code.as_str(), o.value, o.key.as_str()))
            .collect();
        assert_eq!(
            bp,
            [
                ("8480-6", 150.0, "Observation/o-1#8480-6"),
                ("8462-4", 95.0, "Observation/o-1#8462-4")
            ]
        );
        assert!(
            b.observations
                .iter()
                .all(|o| o.patient == PatientRef::Key("Patient/p-1".into()))
        );
        assert_eq!(
            b.unknown_codes["http://loinc.org|6690-2"].count, 1,
            "an absolute, versioned reference resolves too"
        );
        assert_eq!(b.conditions[0].icd10, "I10");
        assert_eq!(b.conditions[0].onset, Some(time::macros::date!(2019 - 01 - 01)));
        assert!(b.excluded_patients.contains("Patient/p-2"));
        assert_eq!(b.skipped["Claim"], 1);
        let codes: Vec<(&str, &str, Severity)> = b
            .issues
            .iter()
            .map(|i| (i.location.as_str(), i.code.as_str(), i.severity))
            .collect();
        assert!(codes.contains(&("entry[2]", "status_not_result", Severity::Warning)));
        assert!(codes.contains(&("entry[5]", "patient_deceased", Severity::Warning)));
        assert!(codes.contains(&("entry[7]", "id_missing", Severity::Error)));
    }

    #[test]
    fn a_single_resource_is_one_received() {
        let b = read(r#"{"resourceType": "Patient", "id": "p1", "name": [{"text": "王建国"}], "gender": "male", "birthDate": "1950-01-01"}"#.as_bytes(), "");
        assert_eq!((b.received, b.patients.len()), (1, 1));
    }

    #[test]
    fn ndjson_lines_are_located_by_their_line_number_in_the_file() {
        let text = "{\"resourceType\":\"Patient\",\"id\":\"a\",\"gender\":\"male\"}\n\n{broken\n";
        let b = read_ndjson_from(text.as_bytes(), "Patient.000.ndjson", 41);
        assert_eq!(b.received, 2);
        assert_eq!(b.patients[0].location, "Patient.000.ndjson line 41");
        assert_eq!(b.issues[0].location, "Patient.000.ndjson line 43");
        assert_eq!(b.issues[0].code, "fhir_invalid");
    }

    #[test]
    fn a_wrong_shape_is_reported_at_its_path() {
        let r = r#"{"resourceType": "Observation", "id": "o", "valueQuantity": {"value": "seven"}}"#;
        let b = read(r.as_bytes(), "");
        assert_eq!(b.issues[0].location, "resource.valueQuantity.value");
    }
}
