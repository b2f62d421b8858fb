//! Computed risk tiers (风险分层): recomputed as results arrive, with their reasons; a
//! clinician's assessment is never lowered by the rules; imported check-up results tier and
//! enrol patients in post-check-up follow-up.

use crate::helpers::{TestApp, id_number};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn values(app: &TestApp, token: &str, patient: &str, body: Value) {
    let (status, r) = app
        .post(Some(token), &format!("/api/v1/patients/{patient}/observations"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
}

async fn tier(app: &TestApp, token: &str, patient: &str) -> Value {
    let (status, t) = app
        .get(Some(token), &format!("/api/v1/patients/{patient}/risk-tier"))
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

pub async fn the_tier_follows_new_results_and_never_lowers_a_clinicians(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.li", "doctor", Some("cardio")).await;
    let patient = app.enrol_simple(&nurse, "刘建华", 1).await;

    let (_, c) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/risk-tier/computed"))
        .await;
    assert_eq!(
        (c["tier"].clone(), c["reasons"].as_array().unwrap().len()),
        (Value::Null, 0),
        "no results, no tier"
    );

    values(
        &app,
        &nurse,
        &patient,
        json!([{"code": "sbp", "value": 150}, {"code": "dbp", "value": 92}]),
    )
    .await;
    let t = tier(&app, &nurse, &patient).await;
    assert_eq!(
        (t["current"]["tier"].as_str(), t["current"]["source"].as_str()),
        (Some("medium"), Some("model")),
        "{t}"
    );
    assert!(t["current"]["reason"].as_str().unwrap().contains("150/92"), "{t}");
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    assert!(
        html.contains("规则计算的风险分层及依据") && html.contains("150/92"),
        "reasons on the patient page"
    );
    assert!(html.contains("规则计算</td>"), "the assessment's source shown");

    let (_, c) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/risk-tier/computed"))
        .await;
    let reasons: Vec<&str> = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["bp_raised"]);
    assert_eq!(c["reasons"][0]["source"], "中国高血压防治指南 2018");

    let (status, _) = app
        .post(
            Some(&doctor),
            &format!("/api/v1/patients/{patient}/risk-tier"),
            &json!({"tier": "high", "reason": "家族早发冠心病史，医生判断"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    values(
        &app,
        &nurse,
        &patient,
        json!([{"code": "sbp", "value": 118}, {"code": "dbp", "value": 76}]),
    )
    .await;
    let t = tier(&app, &nurse, &patient).await;
    assert_eq!(
        (t["current"]["tier"].as_str(), t["current"]["source"].as_str()),
        (Some("high"), Some("staff")),
        "the rules do not lower a clinician's tier"
    );
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/risk-tier/recompute"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(t["history"].as_array().unwrap().len(), 2);

    // With the tier set by the rules, normal results bring it down again.
    let other = app.enrol_simple(&nurse, "陈国强", 2).await;
    values(&app, &nurse, &other, json!([{"code": "ldl", "value": 5.1}])).await;
    assert_eq!(tier(&app, &nurse, &other).await["current"]["tier"], "high");
    values(&app, &nurse, &other, json!([{"code": "ldl", "value": 2.9}])).await;
    let t = tier(&app, &nurse, &other).await;
    assert_eq!(t["current"]["tier"], "low", "{t}");
    assert_eq!(t["history"].as_array().unwrap().len(), 2, "history kept");
    // Entered values re-tier but do not put anyone on post-check-up follow-up.
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{other}/plans")).await;
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["protocol"] != "post-checkup"),
        "{plans}"
    );
}
crate::register!(the_tier_follows_new_results_and_never_lowers_a_clinicians);

/// Imported check-up results tier the patient and enrol them in 检后随访 at that tier; the
/// explanation shows China-PAR bounded over the inputs not on record.
pub async fn imported_checkup_results_tier_and_enrol(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let taken = (today - time::Duration::days(3)).to_string();
    let idn = id_number("1962-05-01", true, 31);
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "t1", "name": [{"text": "孙志强"}], "gender": "male",
            "birthDate": "1962-05-01", "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": idn}]}},
        {"resource": {"resourceType": "Observation", "id": "g1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "1558-6"}]}, "subject": {"reference": "Patient/t1"},
            "effectiveDateTime": taken, "valueQuantity": {"value": 7.6, "unit": "mmol/L"}}},
        {"resource": {"resourceType": "Observation", "id": "c1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]}, "subject": {"reference": "Patient/t1"},
            "effectiveDateTime": taken, "valueQuantity": {"value": 5.6, "unit": "mmol/L"}}},
        {"resource": {"resourceType": "Observation", "id": "h1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]}, "subject": {"reference": "Patient/t1"},
            "effectiveDateTime": taken, "valueQuantity": {"value": 1.1, "unit": "mmol/L"}}},
        {"resource": {"resourceType": "Observation", "id": "w1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8280-0"}]}, "subject": {"reference": "Patient/t1"},
            "effectiveDateTime": taken, "valueQuantity": {"value": 88, "unit": "cm"}}},
        {"resource": {"resourceType": "Observation", "id": "b1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "55284-4"}]}, "subject": {"reference": "Patient/t1"},
            "effectiveDateTime": taken, "component": [
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 136, "unit": "mmHg"}},
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 84, "unit": "mmHg"}}]}}
    ]});
    let req = app
        .http
        .post(app.url("/api/v1/import/fhir?source=tijian"))
        .body(serde_json::to_vec(&bundle).unwrap());
    let (status, r) = app.send(req, Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let t = tier(&app, &nurse, &id).await;
    assert_eq!(
        (t["current"]["tier"].as_str(), t["current"]["source"].as_str()),
        (Some("high"), Some("model")),
        "{t}"
    );
    assert!(t["current"]["reason"].as_str().unwrap().contains("7.6"), "{t}");
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}/plans")).await;
    let post = plans
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["protocol"] == "post-checkup")
        .expect("enrolled in 检后随访");
    assert_eq!(post["risk_tier"], "high", "{post}");

    let (_, c) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{id}/risk-tier/computed"))
        .await;
    let par = c["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "china-par")
        .expect("China-PAR bounded");
    let unknown: Vec<&str> = par["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(
        unknown.contains(&"region") && unknown.contains(&"family_history_ascvd"),
        "{par}"
    );
    assert!(par["low"]["value"].as_f64().unwrap() <= par["high"]["value"].as_f64().unwrap());
    assert_eq!(par["low"]["constants"], par["high"]["constants"]);
}
crate::register!(imported_checkup_results_tier_and_enrol);

/// A bulk import touching more patients than one write refreshes at once queues them; the
/// scheduler's pass recomputes their tiers (and enrols) afterwards.
pub async fn a_bulk_import_queues_the_tier_refresh_for_the_scheduler(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let taken = (today - time::Duration::days(2)).to_string();
    let n = careloop_service::risk::tiering::IMMEDIATE_REFRESH + 10;
    let mut lines = Vec::new();
    for i in 0..n {
        lines.push(
            json!({"resourceType": "Patient", "id": format!("b{i}"), "name": [{"text": format!("受检者{i}")}],
            "gender": "female", "birthDate": "1966-03-03"})
            .to_string(),
        );
    }
    for i in 0..n {
        lines.push(json!({"resourceType": "Observation", "id": format!("g{i}"), "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "1558-6"}]}, "subject": {"reference": format!("Patient/b{i}")},
            "effectiveDateTime": taken, "valueQuantity": {"value": 7.4, "unit": "mmol/L"}}).to_string());
    }
    let req = app
        .http
        .post(app.url("/api/v1/import/fhir?source=bulk"))
        .body(lines.join("\n"));
    let (status, r) = app.send(req, Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["observations"]["created"].as_u64(), Some(n as u64));
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients?per_page=1").await;
    let first = list["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        tier(&app, &nurse, &first).await["current"],
        Value::Null,
        "queued, not yet computed"
    );
    let done = careloop_service::risk::tiering::drain_refresh_queue(&app.db, crate::helpers::now())
        .await
        .unwrap();
    assert_eq!(done, n as u64);
    assert_eq!(tier(&app, &nurse, &first).await["current"]["tier"], "high");
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{first}/plans")).await;
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["protocol"] == "post-checkup"),
        "imported results enrol"
    );
    assert_eq!(
        careloop_service::risk::tiering::drain_refresh_queue(&app.db, crate::helpers::now())
            .await
            .unwrap(),
        0
    );
}
crate::register!(a_bulk_import_queues_the_tier_refresh_for_the_scheduler);

fn china_par(c: &Value) -> Value {
    c["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "china-par")
        .cloned()
        .unwrap_or_else(|| panic!("china-par bounds: {c}"))
}

/// The health record's structured risk inputs and the organisation's location make the
/// bounds one value — the same value the risk API gives for the same inputs, so the tier's
/// figure is traceable to them.
pub async fn the_record_and_the_organisation_location_collapse_the_model_bounds(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "赵志明", 3).await;
    values(
        &app,
        &nurse,
        &patient,
        json!([{"code": "sbp", "value": 146}, {"code": "dbp", "value": 88},
               {"code": "tc", "value": 5.6}, {"code": "hdl", "value": 1.1},
               {"code": "waist", "value": 92}, {"code": "bmi", "value": 26.3}]),
    )
    .await;
    let computed = format!("/api/v1/patients/{patient}/risk-tier/computed");
    let (_, c) = app.get(Some(&nurse), &computed).await;
    let m = china_par(&c);
    assert_eq!(
        m["unknown"],
        json!(["region", "urban", "smoker", "bp_treated", "family_history_ascvd"]),
        "{m}"
    );
    assert!(m["low"]["value"].as_f64() < m["high"]["value"].as_f64(), "{m}");

    let record = format!("/api/v1/patients/{patient}/health-record");
    let (status, err) = app.put(Some(&nurse), &record, &json!({"bp_treated": "true"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "bp_treated", "{err}");
    let (status, r) = app
        .put(
            Some(&nurse),
            &record,
            &json!({"smoking": "never", "region": "south", "bp_treated": "no",
                    "family_history_ascvd": "no", "family_history_diabetes": "first_degree"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["region"], "south");
    let (_, c) = app.get(Some(&nurse), &computed).await;
    let m = china_par(&c);
    assert_eq!(m["unknown"], json!(["urban"]), "only residence is left: {m}");
    let cdrs = c["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "cdrs")
        .unwrap();
    assert_eq!(cdrs["unknown"], json!([]));
    assert_eq!(cdrs["low"]["score"], cdrs["high"]["score"]);

    // The organisation's location fills residence; only admins set it.
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let org = orgs[0]["id"].as_str().unwrap().to_string();
    let location = format!("/api/v1/organisations/{org}/location");
    let (status, _) = app.put(Some(&nurse), &location, &json!({"residence": "rural"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = app.put(Some(&admin), &location, &json!({"region": "east"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "region", "{err}");
    let (status, o) = app
        .put(
            Some(&admin),
            &location,
            &json!({"region": "north", "residence": "rural"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["location"], json!({"region": "north", "residence": "rural"}));
    let (_, c) = app.get(Some(&nurse), &computed).await;
    let m = china_par(&c);
    assert_eq!(m["unknown"], json!([]), "{m}");
    assert_eq!(m["from_organisation"], json!(["urban"]), "the record's own region wins");
    assert_eq!(m["low"]["value"], m["high"]["value"], "one value: {m}");

    // The same inputs through the risk API give the same figure.
    let direct = json!({"sex": "male", "age": 66, "sbp": 146, "bp_treated": false,
        "total_cholesterol": {"value": 5.6, "unit": "mmol/L"}, "hdl_cholesterol": {"value": 1.1, "unit": "mmol/L"},
        "waist_cm": 92, "smoker": false, "diabetes": false, "region": "south", "urban": false,
        "family_history_ascvd": false});
    let (status, r) = app.post(Some(&nurse), "/api/v1/risk/china-par", &direct).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(m["low"]["value"], r["value"], "{m} vs {r}");
    let zh: Vec<&str> = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["zh"].as_str())
        .filter(|z| z.contains("China-PAR"))
        .collect();
    if r["value"].as_f64().unwrap() >= 5.0 {
        assert!(zh[0].contains("城乡取自机构所在地"), "{zh:?}");
    }

    // The staff pages show the record's inputs and where a model input came from.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    assert!(
        html.contains("南方（长江以南）") && html.contains("一级亲属"),
        "record shown"
    );
    assert!(html.contains("取自机构所在地：城乡"), "source of residence shown");
    let (_, form) = crate::ui::page(&client, &app, &format!("/patients/{patient}/record")).await;
    assert!(
        form.contains(r#"<option value="south" selected>"#),
        "form keeps the value"
    );

    let (_, events) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "organisation.location"),
        "audited"
    );
}
crate::register!(the_record_and_the_organisation_location_collapse_the_model_bounds);
