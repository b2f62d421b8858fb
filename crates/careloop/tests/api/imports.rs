//! Importing results: the public Synthea samples (FHIR Bundles and bulk NDJSON) import
//! cleanly and idempotently; bad items are reported at their location under the documented
//! atomicity rule.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

pub(crate) fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

pub(crate) async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url(&format!("/api/v1/import/fhir?{query}")))
        .header("content-type", "application/fhir+json")
        .body(body);
    app.send(req, Some(token)).await
}

/// The Synthea bundles in their documented load order.
fn bundles() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata("synthea-r4-bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        (!name.starts_with("hospital"), !name.starts_with("practitioner"), name)
    });
    files
}

fn sum(reports: &[Value], kind: &str, count: &str) -> u64 {
    reports.iter().map(|r| r[kind][count].as_u64().unwrap()).sum()
}

/// Every Synthea bundle imports with no error: 5 patients, the 109 values whose LOINC codes the
/// catalogue knows (blood-pressure panels split into systolic and diastolic; haemoglobin and
/// platelets from the blood counts), cholesterol converted from mg/dL, the other codes reported;
/// a second import changes nothing.
pub async fn the_synthea_bundles_import_cleanly_and_a_second_import_changes_nothing(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let mut first = Vec::new();
    for f in bundles() {
        let (status, report) = import(&app, &nurse, "source=synthea", std::fs::read(&f).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}: {report}", f.display());
        assert_eq!(report["errors"], 0, "{}: {report}", f.display());
        first.push(report);
    }
    assert_eq!(sum(&first, "patients", "created"), 5);
    assert_eq!(sum(&first, "observations", "created"), 109);
    assert_eq!(sum(&first, "reports", "created"), 10);
    let conditions = sum(&first, "diagnoses", "created");
    let unknown: Vec<&Value> = first
        .iter()
        .flat_map(|r| r["unknown_codes"].as_array().unwrap())
        .collect();
    assert!(
        unknown
            .iter()
            .any(|u| u["code"] == "6690-2" && u["display"].as_str().unwrap().contains("Leukocytes")),
        "leukocytes are not in the catalogue and must be reported"
    );
    assert_eq!(first[0]["skipped"]["Organization"], 102);
    assert!(first[2]["skipped"]["Claim"].as_u64().unwrap() > 0);
    // Synthea's US numbers are not mainland mobiles: kept out, with a warning.
    assert!(
        first[2]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "phone_not_mobile")
    );

    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?per_page=50").await;
    assert_eq!(list["total"], 5);
    let buster = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().contains("Buster"))
        .expect("Buster Hoeger was created")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, tc) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{buster}/observations?code=tc"))
        .await;
    // 193.3555 mg/dL ÷ 38.67 = 5.00 mmol/L.
    assert_eq!(tc[0]["value"], 5.0, "{tc}");
    assert_eq!(tc[0]["unit"], "mmol/L");
    let (_, sbp) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{buster}/observations?code=sbp"),
        )
        .await;
    assert_eq!(
        sbp.as_array().unwrap().len(),
        3,
        "three blood-pressure panels, one systolic each"
    );
    // Synthea's DiagnosticReports (lipid panels) hold their converted values.
    let mut linked = 0;
    for p in list["items"].as_array().unwrap() {
        let (_, reports) = app
            .get(
                Some(&nurse),
                &format!("/api/v1/patients/{}/lab-reports", p["id"].as_str().unwrap()),
            )
            .await;
        for r in reports.as_array().unwrap() {
            let values = r["values"].as_array().unwrap();
            assert!(values.len() as i64 <= r["results"].as_i64().unwrap(), "{r}");
            assert!(values.iter().all(|v| v["patient_id"] == p["id"]), "{r}");
            linked += values.len();
        }
    }
    assert!(linked > 0, "report results resolve to stored values");

    let mut second = Vec::new();
    for f in bundles() {
        let (status, report) = import(&app, &nurse, "source=synthea", std::fs::read(&f).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        second.push(report);
    }
    for kind in ["patients", "observations", "diagnoses", "reports"] {
        assert_eq!(sum(&second, kind, "created"), 0, "{kind} created again");
        assert_eq!(sum(&second, kind, "updated"), 0, "{kind} changed");
    }
    assert_eq!(sum(&second, "patients", "unchanged"), 5);
    assert_eq!(sum(&second, "observations", "unchanged"), 109);
    assert_eq!(sum(&second, "diagnoses", "unchanged"), conditions);
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?per_page=50").await;
    assert_eq!(list["total"], 5);
    let (_, sbp) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{buster}/observations?code=sbp"),
        )
        .await;
    assert_eq!(sbp.as_array().unwrap().len(), 3);
}
crate::register!(the_synthea_bundles_import_cleanly_and_a_second_import_changes_nothing);

/// Bulk NDJSON across two files: the Condition file resolves `Patient/{id}` against the patients
/// the first file created; deceased patients are not enrolled and their conditions skipped;
/// SNOMED CT social findings are reported as unknown codes, mapped disorders stored as ICD-10.
pub async fn bulk_ndjson_resolves_references_across_files(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let dir = "synthea-bulk-ndjson-10-patients";
    let patients = std::fs::read(testdata(&format!("{dir}/Patient.000.ndjson"))).unwrap();
    let conditions = std::fs::read(testdata(&format!("{dir}/Condition.000.ndjson"))).unwrap();
    let (status, p) = import(&app, &nurse, "source=bulk", patients.clone()).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["received"], 13);
    assert_eq!(p["patients"]["created"], 10, "13 patients of whom 3 have died");
    let deceased = p["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "patient_deceased");
    assert_eq!(deceased.count(), 3);

    let (status, c) = import(&app, &nurse, "source=bulk", conditions.clone()).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["errors"], 0, "{c}");
    let created = c["diagnoses"]["created"].as_u64().unwrap();
    assert!(created > 0);
    let unknown: u64 = c["unknown_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["count"].as_u64().unwrap())
        .sum();
    let skipped = c["skipped"]["deceased patient's item"].as_u64().unwrap();
    assert_eq!(created + unknown + skipped, c["received"].as_u64().unwrap(), "{c}");
    assert!(
        c["unknown_codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == "160903007"),
        "full-time employment is a finding, not a diagnosis"
    );

    // Again, both files: nothing new.
    let (_, p2) = import(&app, &nurse, "source=bulk", patients).await;
    let (_, c2) = import(&app, &nurse, "source=bulk", conditions).await;
    assert_eq!(
        (p2["patients"]["created"].as_u64(), p2["patients"]["unchanged"].as_u64()),
        (Some(0), Some(10))
    );
    assert_eq!(c2["diagnoses"]["created"], 0);
    assert_eq!(c2["diagnoses"]["unchanged"].as_u64(), Some(created));
}
crate::register!(bulk_ndjson_resolves_references_across_files);

pub(crate) fn bundle(entries: Vec<Value>) -> Vec<u8> {
    let entry: Vec<Value> = entries.into_iter().map(|r| json!({"resource": r})).collect();
    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "collection", "entry": entry})).unwrap()
}

pub(crate) fn glucose(id: &str, patient: &str, value: f64, unit: &str) -> Value {
    json!({"resourceType": "Observation", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "14771-0"}]},
        "subject": {"reference": format!("Patient/{patient}")},
        "effectiveDateTime": "2025-03-05",
        "valueQuantity": {"value": value, "unit": unit}})
}

/// A bad resource is reported at its place (`entry[i].field`) and the rest is stored; with
/// `all_or_nothing` the same batch stores nothing. Unreadable bodies and a missing source are 422.
pub async fn bad_resources_are_reported_at_their_location_and_the_rule_is_kept(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let body = bundle(vec![
        json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "李", "given": ["秀英"]}],
            "gender": "female", "birthDate": "1956-02-11",
            "telecom": [{"system": "phone", "value": "+86 139-0000-1111"}]}),
        json!({"resourceType": "Patient", "id": "p2", "name": [{"text": "无性别"}], "gender": "unknown",
            "birthDate": "1950-01-01"}),
        glucose("o1", "p1", 7.2, "mmol/L"),
        glucose("o2", "p2", 5.0, "mmol/L"),
        glucose("o3", "p1", 5.0, "mmHg"),
        glucose("o4", "p1", 95.0, "mmol/L"),
        glucose("o5", "nobody", 5.0, "mmol/L"),
        json!({"resourceType": "Observation", "id": "o6", "status": "final", "code": {"coding": [{"code": "14771-0"}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-03-05",
            "valueQuantity": {"value": "seven"}}),
    ]);

    let (status, refused) = import(&app, &nurse, "source=lis&all_or_nothing=true", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["applied"], false);
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 0, "all or nothing stored nothing");

    let (status, report) = import(&app, &nurse, "source=lis", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true);
    assert_eq!(report["patients"]["created"], 1);
    assert_eq!(report["patients"]["rejected"], 1);
    assert_eq!(report["observations"]["created"], 1);
    let issues = report["issues"].as_array().unwrap();
    let at = |loc: &str| {
        issues
            .iter()
            .find(|i| i["location"] == loc)
            .unwrap_or_else(|| panic!("no issue at {loc}: {report}"))["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(at("entry[1].sex"), "sex_invalid");
    assert_eq!(at("entry[3]"), "patient_rejected");
    assert_eq!(at("entry[4].unit"), "unit_mismatch");
    assert_eq!(at("entry[5].value"), "value_implausible");
    assert_eq!(at("entry[6]"), "patient_unknown");
    assert_eq!(at("entry[7].valueQuantity.value"), "fhir_invalid");
    assert_eq!(report["errors"], 6);
    // Error text never repeats the patient's values.
    assert!(!report.to_string().contains("秀英"));

    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let (_, detail) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!(
        (detail["name"].as_str(), detail["phone"].as_str()),
        (Some("李秀英"), Some("13900001111"))
    );

    let (status, e) = import(&app, &nurse, "source=lis", b"{not json".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["issues"][0]["code"], "fhir_invalid");
    let (status, e) = import(&app, &nurse, "", bundle(vec![])).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("source"))
    );
    let anonymous = app
        .http
        .post(app.url("/api/v1/import/fhir?source=lis"))
        .body(bundle(vec![]));
    assert_eq!(app.send(anonymous, None).await.0, StatusCode::UNAUTHORIZED);
}
crate::register!(bad_resources_are_reported_at_their_location_and_the_rule_is_kept);

/// A nurse cannot write into another department's patient through an import, and cannot tell
/// such a patient from none: an observation for another department's patient is answered as
/// one for an unknown patient, word for word, and a Patient resource with another department's
/// patient's ID number is refused with nothing stored for it (no sender key pointing at them).
pub async fn an_import_cannot_reach_another_departments_patient(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let other = app.user("nurse.li", "nurse", Some("endo")).await;
    let id_number = crate::helpers::id_number("1950-01-01", true, 61);
    let patient = json!({"resourceType": "Patient", "id": "p1", "name": [{"text": "王建国"}], "gender": "male",
        "birthDate": "1950-01-01",
        "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": id_number}]});
    let (status, report) = import(&app, &nurse, "source=his", bundle(vec![patient])).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (status, report) = import(
        &app,
        &other,
        "source=his",
        bundle(vec![
            glucose("o1", "p1", 6.0, "mmol/L"),
            glucose("o2", "p9", 6.0, "mmol/L"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let issues = report["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2, "{report}");
    assert_eq!(issues[0]["code"], "patient_unknown", "{report}");
    assert_eq!(
        (&issues[0]["code"], &issues[0]["message"]),
        (&issues[1]["code"], &issues[1]["message"]),
        "another department's patient and no patient read alike: {report}"
    );
    assert_eq!(report["observations"]["created"], 0);

    let same_person = json!({"resourceType": "Patient", "id": "lis-77", "name": [{"text": "王建国"}], "gender": "male",
        "birthDate": "1950-01-01",
        "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": id_number}]});
    let (status, report) = import(&app, &other, "source=lis", bundle(vec![same_person])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["issues"][0]["code"], "id_number_enrolled", "{report}");
    assert!(
        !report.to_string().contains("cardio"),
        "no department is named: {report}"
    );
    let mut tx = app.db.begin_read().await.unwrap();
    let linked = careloop_store::imports::patients_by_key(&mut tx, "lis", &["lis-77".to_string()])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        linked.is_empty(),
        "no sender key was stored for the other department's patient"
    );
    // The patient's own department sees nothing new on the patient.
    let (_, list) = app.get(Some(&admin), "/api/v1/patients").await;
    assert_eq!(list["total"], 1, "{list}");
}
crate::register!(an_import_cannot_reach_another_departments_patient);

async fn import_hl7(app: &TestApp, token: &str, body: String) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url("/api/v1/import/hl7v2?source=lis"))
        .header("content-type", "x-application/hl7-v2+er7")
        .body(body);
    app.send(req, Some(token)).await
}

/// The HL7 v2 samples import as sent (LF) and again with CR and CRLF separators with nothing
/// changed; the fasting glucose is converted from mg/dL and flagged; a corrected result (OBX-11
/// `C`) replaces the value; non-ORU messages are skipped.
pub async fn hl7_results_import_with_any_separator_and_corrections_replace_values(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let dir = testdata("hl7v2-fhir-converter");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
        .collect();
    names.sort();
    let texts: Vec<String> = names.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let mut created = 0;
    for (name, text) in names.iter().zip(&texts) {
        let (status, r) = import_hl7(&app, &nurse, text.clone()).await;
        assert_eq!(status, StatusCode::OK, "{}: {r}", name.display());
        assert_eq!(r["errors"], 0, "{}: {r}", name.display());
        created += r["observations"]["created"].as_u64().unwrap();
        if name.to_string_lossy().contains("ADT") {
            assert_eq!(r["received"], 1);
            assert!(
                r["skipped"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|k| k.starts_with("HL7 ADT")),
                "{r}"
            );
        }
    }
    assert_eq!(
        created, 1,
        "one final numeric result the catalogue knows: fasting glucose"
    );
    for sep in ["\r", "\r\n"] {
        for text in &texts {
            let (status, r) = import_hl7(&app, &nurse, text.replace('\n', sep)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(r["observations"]["created"], 0, "{r}");
            assert_eq!(r["patients"]["created"], 0, "{r}");
        }
    }
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?per_page=50").await;
    let eve = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "EVE EVERYWOMAN")
        .expect("the glucose sample's patient")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/patients/{eve}/observations?code=fpg");
    let (_, fpg) = app.get(Some(&nurse), &path).await;
    assert_eq!(fpg.as_array().unwrap().len(), 1);
    assert!((fpg[0]["value"].as_f64().unwrap() - 182.0 / 18.0).abs() < 0.02, "{fpg}");
    assert_eq!(fpg[0]["flag"], "high");

    let glucose = texts[names
        .iter()
        .position(|n| n.to_string_lossy().contains("RMGEAD"))
        .unwrap()]
    .clone();
    let corrected = glucose.replace("||^182|mg/dl|70_105|H|||F", "||^190|mg/dl|70_105|H|||C");
    assert_ne!(corrected, glucose);
    let (_, r) = import_hl7(&app, &nurse, corrected).await;
    assert_eq!(
        (
            r["observations"]["updated"].as_u64(),
            r["observations"]["created"].as_u64()
        ),
        (Some(1), Some(0)),
        "{r}"
    );
    let (_, fpg) = app.get(Some(&nurse), &path).await;
    assert_eq!(fpg.as_array().unwrap().len(), 1, "corrected in place, not added");
    assert!((fpg[0]["value"].as_f64().unwrap() - 190.0 / 18.0).abs() < 0.02, "{fpg}");

    // The OBR order is kept as a report (检查报告) holding its value, corrected in place.
    let (status, reports) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{eve}/lab-reports"))
        .await;
    assert_eq!(status, StatusCode::OK, "{reports}");
    assert_eq!(reports.as_array().unwrap().len(), 1, "{reports}");
    let report = &reports[0];
    assert_eq!(
        (
            report["title"].as_str(),
            report["code"].as_str(),
            report["results"].as_i64()
        ),
        (Some("GLUCOSE"), Some("15545"), Some(1))
    );
    assert_eq!(report["values"][0]["code"], "fpg");
    assert_eq!(report["values"][0]["value"], fpg[0]["value"], "the corrected value");
    assert_eq!(report["abnormal"], 1);
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{eve}")).await;
    assert!(
        html.contains("检查报告") && html.contains("<strong>GLUCOSE</strong>"),
        "on the patient page"
    );
    assert!(html.contains("已入库数值 1 / 1"), "values stored of results sent");

    let (status, e) = import_hl7(
        &app,
        &nurse,
        String::from_utf8_lossy(&[0x4d, 0x53, 0x48]).to_string() + "|garbage",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}
crate::register!(hl7_results_import_with_any_separator_and_corrections_replace_values);

/// A patient a hospital system sent without a mobile number is enrolled, shown as 无手机号, and
/// an automated questionnaire for them fails to the nurse's list instead of going nowhere.
pub async fn a_patient_without_a_mobile_is_kept_and_their_messages_fail_to_the_nurse(app: TestApp) {
    use careloop_service::outreach::delivery::{Delivery, send_due};
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = json!({"resourceType": "Patient", "id": "p9", "name": [{"family": "赵", "given": ["大爷"]}],
        "gender": "male", "birthDate": "1940-02-02"});
    let (status, r) = import(&app, &nurse, "source=his", bundle(vec![patient])).await;
    assert_eq!(
        (status, r["patients"]["created"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["items"][0]["phone"], Value::Null);
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let today = careloop_domain::clock::local_today(crate::helpers::now()).to_string();
    let (status, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{id}/plans"),
            &json!({"protocol": "post-discharge-surgery", "anchor_date": today}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let due = time::OffsetDateTime::parse(
        plan["tasks"][1]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
        + time::Duration::hours(1);
    careloop_service::followup::scheduler::tick(&app.db, due).await.unwrap();
    let out = send_due(&app.db, &Delivery::sandbox(&app.db, "https://f.example.cn/"), due)
        .await
        .unwrap();
    assert_eq!((out.queued, out.sent, out.failed), (0, 0, 1));
    let task = plan["tasks"][1]["id"].as_str().unwrap();
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    assert_eq!(t["state"], "failed", "{t}");
    let (status, page) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!((status, page["phone"].clone()), (StatusCode::OK, Value::Null));
}
crate::register!(a_patient_without_a_mobile_is_kept_and_their_messages_fail_to_the_nurse);

fn sheet(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../sheet/testdata")
            .join(name),
    )
    .unwrap()
}

async fn import_sheet(app: &TestApp, token: &str, kind: &str, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url(&format!("/api/v1/import/{kind}?{query}")))
        .body(body);
    app.send(req, Some(token)).await
}

/// A check-up centre's export through a saved column-mapping profile: CSV (UTF-8 or GB18030)
/// and the same results as .xlsx; bad cells reported by row and column; nothing twice.
pub async fn spreadsheets_import_through_a_saved_profile(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let profile: Value = serde_json::from_slice(&sheet("tijian-profile.json")).unwrap();
    let (status, _) = app.post(Some(&nurse), "/api/v1/import/profiles", &profile).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nurses do not define profiles");
    let (status, bad) = app
        .post(Some(&admin), "/api/v1/import/profiles", &json!({"id": "x", "name": "x", "patient": {"key": "k"}, "taken_at": "d", "values": [{"column": "a", "code": "sbp", "unit": "mmol/L"}]}))
        .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("values[0].unit"))
    );
    let (status, saved) = app.post(Some(&admin), "/api/v1/import/profiles", &profile).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let (_, list) = app.get(Some(&nurse), "/api/v1/import/profiles").await;
    assert_eq!(list[0]["id"], "tijian-wide");

    let q = "profile=tijian-wide&source=tijian&department=cardio";
    let (status, r) = import_sheet(&app, &nurse, "csv", q, sheet("tijian.csv")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["patients"]["created"], 4);
    assert_eq!(r["observations"]["created"], 17);
    let codes: Vec<(&str, &str)> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["location"].as_str().unwrap(), i["code"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("row 4 column 空腹血糖", "value_invalid")), "{codes:?}");
    assert!(
        codes.contains(&("row 6 column 体检号", "patient_id_missing")),
        "{codes:?}"
    );

    // The same export saved by an older system in GB18030: nothing new.
    let text = String::from_utf8(sheet("tijian.csv")).unwrap();
    let gbk = encoding_rs::GB18030.encode(&text).0.into_owned();
    let (status, again) = import_sheet(&app, &nurse, "csv", q, gbk).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (
            again["observations"]["created"].as_u64(),
            again["observations"]["unchanged"].as_u64()
        ),
        (Some(0), Some(17))
    );
    assert_eq!(again["patients"]["unchanged"], 4);

    let (status, x) = import_sheet(&app, &nurse, "xlsx", q, sheet("tijian.xlsx")).await;
    assert_eq!(status, StatusCode::OK, "{x}");
    // The workbook's first row was taken at 08:15 rather than midnight: its five values are a
    // different measurement; every other value is recognised.
    assert_eq!(
        (
            x["observations"]["created"].as_u64(),
            x["observations"]["unchanged"].as_u64()
        ),
        (Some(5), Some(12))
    );

    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?q=zw").await;
    let zhang = list["items"][0]["id"].as_str().unwrap();
    let (_, tc) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{zhang}/observations?code=tc"))
        .await;
    assert!((tc[0]["value"].as_f64().unwrap() - 232.0 / 38.67).abs() < 0.01, "{tc}");

    let (status, _) = import_sheet(&app, &nurse, "csv", "profile=nope&source=tijian", sheet("tijian.csv")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
crate::register!(spreadsheets_import_through_a_saved_profile);

/// A Chinese LIS sends GB18030 (MSH-18 `GB 18030-2000`): the patient's Chinese name and the
/// value arrive intact; bytes that are neither UTF-8 nor GB18030 are refused with 422.
pub async fn hl7_in_gb18030_from_a_chinese_lis_is_decoded(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let text = "MSH|^~\\&|LIS|检验科|CARELOOP|随访中心|20261120083000+0800||ORU^R01|GB1|P|2.5|||||CHN|GB 18030-2000\r\
        PID|||A1001^^^LIS||王^秀英||19580312|F\r\
        OBR|1||R1|GLU^空腹血糖|||20261120073000+0800\r\
        OBX|1|NM|1558-6^空腹血糖||7.2|mmol/L|3.9-6.1|H|||F\r";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let send = |body: Vec<u8>| {
        app.http
            .post(app.url("/api/v1/import/hl7v2?source=lis"))
            .header("content-type", "x-application/hl7-v2+er7")
            .body(body)
    };
    let (status, r) = app.send(send(bytes.into_owned()), Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["patients"]["created"].as_u64(), r["observations"]["created"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?q=王秀英").await;
    assert_eq!(list["total"], 1, "the name decoded: {list}");
    let id = list["items"][0]["id"].as_str().unwrap();
    let (_, values) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{id}/observations"))
        .await;
    assert_eq!(
        (values[0]["code"].as_str(), values[0]["value"].as_f64()),
        (Some("fpg"), Some(7.2)),
        "{values}"
    );

    let mut broken = text.as_bytes().to_vec();
    broken.extend([0xFF, 0xFE, 0x81]);
    let (status, err) = app.send(send(broken), Some(&nurse)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "encoding_invalid", "{err}");
}
crate::register!(hl7_in_gb18030_from_a_chinese_lis_is_decoded);

/// A hospital system reports the death of a patient CareLoop already follows: the patient is
/// recorded as deceased, every running plan stops with its open tasks cancelled (so nothing is
/// sent), no plan can start again, and the patient page says so. Reporting it again changes
/// nothing.
pub async fn a_reported_death_stops_an_enrolled_patients_follow_up(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let alive = json!({"resourceType": "Patient", "id": "p7", "name": [{"family": "钱", "given": ["学森"]}],
        "gender": "male", "birthDate": "1941-12-11",
        "telecom": [{"system": "phone", "value": "13911112222"}]});
    let (status, r) = import(&app, &nurse, "source=his", bundle(vec![alive.clone()])).await;
    assert_eq!(
        (status, r["patients"]["created"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?q=钱学森").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let today = careloop_domain::clock::local_today(crate::helpers::now()).to_string();
    let plans = format!("/api/v1/patients/{id}/plans");
    let body = json!({"protocol": "post-discharge-surgery", "anchor_date": today});
    let (status, plan) = app.post(Some(&nurse), &plans, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");

    let mut dead = alive.clone();
    dead["deceasedDateTime"] = json!("2026-11-20T10:00:00+08:00");
    let (status, r) = import(&app, &nurse, "source=his", bundle(vec![dead.clone()])).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["deceased"], 1, "{r}");
    assert_eq!(r["issues"][0]["code"], "patient_deceased");
    let (_, p) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!(p["deceased_at"], "2026-11-20T02:00:00Z", "{p}");
    let (_, now_plans) = app.get(Some(&nurse), &plans).await;
    let stopped = &now_plans[0];
    assert_eq!(
        (stopped["status"].as_str(), stopped["status_reason"].as_str()),
        (Some("stopped"), Some("deceased")),
        "{stopped}"
    );
    assert!(
        stopped["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| matches!(t["state"].as_str(), Some("cancelled" | "done" | "failed"))),
        "no open task is left: {stopped}"
    );
    let (status, err) = app.post(Some(&nurse), &plans, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");

    let (_, again) = import(&app, &nurse, "source=his", bundle(vec![dead])).await;
    assert_eq!(again["deceased"], 0, "recorded once: {again}");
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{id}")).await;
    assert!(
        html.contains(r#"id="deceased""#) && html.contains("2026-11-20"),
        "shown on the page"
    );
    let (_, events) = app
        .get(
            Some(&admin),
            &format!("/api/v1/audit-events?patient_id={id}&per_page=100"),
        )
        .await;
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "patient.deceased"),
        "audited"
    );
}
crate::register!(a_reported_death_stops_an_enrolled_patients_follow_up);

/// A single FHIR resource (not in a Bundle) is one received and stored: it was stored but
/// answered 422 with `received: 0`.
pub async fn a_single_fhir_resource_is_imported_and_counted(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = json!({"resourceType": "Patient", "id": "solo", "name": [{"text": "李单条"}], "gender": "female",
        "birthDate": "1956-03-02"});
    let (status, report) = import(&app, &nurse, "source=his", serde_json::to_vec(&patient).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["received"], 1, "{report}");
    assert_eq!(report["patients"]["created"], 1, "{report}");
}
crate::register!(a_single_fhir_resource_is_imported_and_counted);

/// A workbook whose one cell carries `attributes` distinct attributes: quick-xml before 0.41
/// checked each attribute name against every earlier one (RUSTSEC-2026-0194), so a workbook
/// of a few hundred kilobytes cost seconds of CPU per upload.
fn workbook_with_a_crowded_cell(attributes: usize) -> Vec<u8> {
    let crowd: String = (0..attributes).map(|i| format!(" x{i}=\"\"")).collect();
    careloop_sheet::testing::workbook(&format!(
        r#"<row r="1"><c r="A1" t="inlineStr"{crowd}><is><t>体检号</t></is></c></row>"#
    ))
}

/// A 2 KB workbook with one cell in A1 and one in XFD1048576 is refused at once and the server
/// lives on. The reader used to build calamine's dense grid of the sheet, 2^34 cells: the
/// allocation killed the whole server 43 s after the upload.
pub async fn a_workbook_with_a_far_cell_is_refused_and_the_server_lives(app: TestApp) {
    use careloop_sheet::testing::{text_cell, workbook};
    let (admin, nurse) = app.admin_and_nurse().await;
    let profile: Value = serde_json::from_slice(&sheet("tijian-profile.json")).unwrap();
    let (status, _) = app.post(Some(&admin), "/api/v1/import/profiles", &profile).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = workbook(&format!(
        r#"<row r="1">{}{}</row>"#,
        text_cell("A1", "体检号"),
        text_cell("XFD1048576", "x")
    ));
    assert!(body.len() < 4096, "{}", body.len());
    let started = std::time::Instant::now();
    let q = "profile=tijian-wide&source=tijian&department=cardio";
    let (status, report) = import_sheet(&app, &nurse, "xlsx", q, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert!(report.to_string().contains("1024 columns"), "{report}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (status, _) = app.get(None, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
}
crate::register!(a_workbook_with_a_far_cell_is_refused_and_the_server_lives);

/// Two hostile workbooks uploaded at once are answered within seconds, and the server keeps
/// answering /healthz meanwhile: the spreadsheet reader's XML parser is linear in a tag's
/// attributes (quick-xml 0.42, past RUSTSEC-2026-0194 and -0195) and uploads are parsed on
/// the blocking pool. With quick-xml 0.39 two 365 KB uploads made /healthz take 32 s.
pub async fn hostile_workbooks_are_answered_quickly_and_the_server_stays_up(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let profile: Value = serde_json::from_slice(&sheet("tijian-profile.json")).unwrap();
    let (status, _) = app.post(Some(&admin), "/api/v1/import/profiles", &profile).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = workbook_with_a_crowded_cell(80_000);
    assert!(body.len() > 700_000, "{}", body.len());
    let started = std::time::Instant::now();
    let q = "profile=tijian-wide&source=tijian&department=cardio";
    let uploads = async {
        tokio::join!(
            import_sheet(&app, &nurse, "xlsx", q, body.clone()),
            import_sheet(&app, &nurse, "xlsx", q, body),
        )
    };
    let health = async {
        let mut slowest = std::time::Duration::ZERO;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let (status, _) = app.get(None, "/healthz").await;
            assert_eq!(status, StatusCode::OK);
            slowest = slowest.max(t.elapsed());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        slowest
    };
    let (((s1, r1), (s2, r2)), slowest_health) = tokio::join!(uploads, health);
    let took = started.elapsed();
    for (s, r) in [(s1, r1), (s2, r2)] {
        assert!(s.is_client_error(), "a workbook with no data rows is refused: {s} {r}");
    }
    assert!(took < std::time::Duration::from_secs(10), "two uploads took {took:?}");
    assert!(
        slowest_health < std::time::Duration::from_secs(2),
        "/healthz took {slowest_health:?} during the uploads"
    );
}
crate::register!(hostile_workbooks_are_answered_quickly_and_the_server_stays_up);

/// The same file imported twice at the same moment ends as a serial re-import does: both
/// answered 200, every patient and value stored once, the second reading as unchanged. On
/// PostgreSQL the second to commit used to break a uniqueness rule and answer 409.
pub async fn the_same_file_imported_twice_at_once_is_stored_once(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let mut entries = Vec::new();
    for i in 0..20 {
        entries.push(
            json!({"resourceType": "Patient", "id": format!("twin{i}"), "name": [{"text": format!("并发{i}")}],
            "gender": "female", "birthDate": "1955-04-01"}),
        );
        entries.push(glucose(&format!("g{i}"), &format!("twin{i}"), 6.1, "mmol/L"));
    }
    let body = bundle(entries);
    let (a, b) = tokio::join!(
        import(&app, &nurse, "source=his", body.clone()),
        import(&app, &nurse, "source=his", body)
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{} / {}", a.1, b.1);
    let created = |r: &Value, what: &str| r[what]["created"].as_u64().unwrap();
    let unchanged = |r: &Value, what: &str| r[what]["unchanged"].as_u64().unwrap();
    for what in ["patients", "observations"] {
        assert_eq!(
            created(&a.1, what) + created(&b.1, what),
            20,
            "{what}: {} / {}",
            a.1,
            b.1
        );
        assert_eq!(
            unchanged(&a.1, what) + unchanged(&b.1, what),
            20,
            "{what}: {} / {}",
            a.1,
            b.1
        );
    }
    let (_, list) = app.get(Some(&admin), "/api/v1/patients?per_page=50").await;
    assert_eq!(list["total"], 20, "{list}");
}
crate::register!(the_same_file_imported_twice_at_once_is_stored_once);
