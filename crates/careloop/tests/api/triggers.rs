//! Automatic enrolment (自动入组): diagnoses, discharges, tags and abnormal values start the
//! protocols whose trigger they match, once, without overriding staff decisions.

use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn days_ago(n: i64) -> String {
    (careloop_domain::clock::local_today(now()) - Duration::days(n)).to_string()
}

async fn plans(app: &TestApp, token: &str, patient: &str) -> Vec<Value> {
    let (status, p) = app.get(Some(token), &format!("/api/v1/patients/{patient}/plans")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    p.as_array().unwrap().clone()
}

async fn diagnose(app: &TestApp, token: &str, patient: &str, code: &str) -> Value {
    let (status, d) = app
        .post(
            Some(token),
            &format!("/api/v1/patients/{patient}/diagnoses"),
            &json!({"icd10_code": code, "name": "诊断"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

pub async fn a_diagnosis_enrols_the_patient_once_and_a_stopped_plan_stays_stopped(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "高血压", 1).await;
    let d = diagnose(&app, &nurse, &patient, "I10.x00").await;
    assert_eq!(d["enrolled_in"], json!(["htn-basic-ph"]));
    let p = plans(&app, &nurse, &patient).await;
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["trigger_event"], "diagnosis I10.x00");
    assert_eq!(p[0]["anchor_date"], days_ago(0));
    assert_eq!(p[0]["tasks"].as_array().unwrap().len(), 4, "quarterly calls for a year");

    let again = diagnose(&app, &nurse, &patient, "I11.9").await;
    assert!(again.get("enrolled_in").is_none(), "already on the protocol: {again}");
    let plan_id = p[0]["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{plan_id}/stop"),
            &json!({"reason": "患者转至上级医院管理"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    diagnose(&app, &nurse, &patient, "I10").await;
    assert_eq!(
        plans(&app, &nurse, &patient).await.len(),
        1,
        "a plan stopped by staff stays stopped"
    );

    // Another condition, another protocol; a death ends all automatic enrolment.
    let d = diagnose(&app, &nurse, &patient, "E11.900").await;
    assert_eq!(d["enrolled_in"], json!(["t2dm-basic-ph"]));
    let dm = plans(&app, &nurse, &patient)
        .await
        .into_iter()
        .find(|p| p["protocol"] == "t2dm-basic-ph")
        .unwrap();
    let task = dm["tasks"][0]["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/tasks/{task}/records"),
            &json!({"contact_result": "deceased"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, out) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/discharges"),
            &json!({"discharged_on": days_ago(1)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert!(
        out.get("enrolled_in").is_none(),
        "nobody calls a deceased patient: {out}"
    );
    // Code that never triggers: a non-hypertensive diagnosis.
    let other = app.enrol_simple(&nurse, "心绞痛", 2).await;
    assert!(
        diagnose(&app, &nurse, &other, "I20.0")
            .await
            .get("enrolled_in")
            .is_none()
    );
    assert!(plans(&app, &nurse, &other).await.is_empty());
}
crate::register!(a_diagnosis_enrols_the_patient_once_and_a_stopped_plan_stays_stopped);

pub async fn a_discharge_starts_post_discharge_follow_up_from_its_date(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "术后", 1).await;
    let path = format!("/api/v1/patients/{patient}/discharges");
    for (body, field, code) in [
        (json!({}), "discharged_on", "required"),
        (
            json!({"discharged_on": days_ago(-1)}),
            "discharged_on",
            "date_in_future",
        ),
        (
            json!({"discharged_on": "1900-01-01"}),
            "discharged_on",
            "date_before_birth",
        ),
        (
            json!({"discharged_on": days_ago(1), "diagnosis_code": "XYZ"}),
            "diagnosis_code",
            "icd10_invalid",
        ),
    ] {
        let (status, err) = app.post(Some(&nurse), &path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(
            (err["error"]["field"].as_str(), err["error"]["code"].as_str()),
            (Some(field), Some(code))
        );
    }
    assert!(
        plans(&app, &nurse, &patient).await.is_empty(),
        "a refused discharge enrols nobody"
    );

    let (status, d) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"discharged_on": days_ago(20), "ward": "普外科一病区", "diagnosis_code": "K35.8", "summary": "腹腔镜阑尾切除术后"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["enrolled_in"], json!(["post-discharge-surgery"]));
    let first = plans(&app, &nurse, &patient).await;
    assert_eq!(first[0]["anchor_date"], days_ago(20), "anchored on the discharge date");
    assert_eq!(first[0]["tasks"][0]["step"], "D3");
    assert_eq!(
        first[0]["tasks"][0]["state"], "overdue",
        "day 3 after a discharge 20 days ago"
    );

    // Readmitted and discharged again: follow-up restarts from the new date.
    let (_, again) = app
        .post(Some(&nurse), &path, &json!({"discharged_on": days_ago(0)}))
        .await;
    assert_eq!(again["enrolled_in"], json!(["post-discharge-surgery"]));
    let all = plans(&app, &nurse, &patient).await;
    assert_eq!(all.len(), 2);
    let old = all.iter().find(|p| p["id"] == first[0]["id"]).unwrap();
    assert_eq!(old["status"], "stopped");
    assert_eq!(old["status_reason"], "superseded_by_new_discharge");
    assert!(
        old["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "cancelled" || t["state"] == "done")
    );
    let new = all.iter().find(|p| p["id"] != first[0]["id"]).unwrap();
    assert_eq!(
        (new["status"].as_str(), new["anchor_date"].as_str()),
        (Some("active"), Some(days_ago(0).as_str()))
    );
    let (_, list) = app.get(Some(&nurse), &path).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["discharged_on"], days_ago(0), "latest first");
    assert_eq!(list[1]["summary"], "腹腔镜阑尾切除术后");
}
crate::register!(a_discharge_starts_post_discharge_follow_up_from_its_date);

/// A protocol that starts on `trigger`: one phone call a week after enrolment.
fn custom(id: &str, trigger: Value, template: &Value) -> Value {
    let mut p = template.clone();
    p["id"] = json!(id);
    p["trigger"] = trigger;
    p["anchor"] = json!("enrolment");
    p["steps"] = json!([p["steps"][0].clone()]);
    p["steps"][0]["offset"] = json!("P7D");
    p["rules"] = json!([]);
    p
}

pub async fn a_tag_or_an_abnormal_value_enrols_in_protocols_with_that_trigger(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, template) = app.get(Some(&admin), "/api/v1/protocols/post-discharge-surgery").await;
    for doc in [
        custom("high-risk-checkup", json!({"kind": "tag", "tag": "高危"}), &template),
        custom(
            "fpg-recheck",
            json!({"kind": "abnormal_indicator", "code": "fpg"}),
            &template,
        ),
    ] {
        let (status, out) = app.post(Some(&admin), "/api/v1/protocols", &doc).await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
    }
    let patient = app.enrol_simple(&nurse, "体检", 1).await;
    let tags = format!("/api/v1/patients/{patient}/tags");
    let (status, out) = app.post(Some(&nurse), &tags, &json!({"tag": " 高危 "})).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["tag"]["tag"], "高危");
    assert_eq!(out["tag"]["source"], "manual");
    assert_eq!(out["enrolled_in"], json!(["high-risk-checkup"]));
    let (status, out) = app.post(Some(&nurse), &tags, &json!({"tag": "高危"})).await;
    assert_eq!(status, StatusCode::OK, "already set: {out}");
    assert_eq!(out["created"], false);
    app.post(Some(&nurse), &tags, &json!({"tag": "吸烟"})).await;
    let (_, list) = app.get(Some(&nurse), &tags).await;
    let mut names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["吸烟", "高危"]);
    let (status, err) = app
        .post(
            Some(&nurse),
            &tags,
            &json!({"tag": "一二三四五六七八九十一二三四五六七八九十一"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "tag_invalid");
    let del = |t: &str| format!("{tags}/{}", urlencode(t));
    let res = app
        .http
        .delete(app.url(&del("吸烟")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .http
        .delete(app.url(&del("吸烟")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(plans(&app, &nurse, &patient).await.len(), 1);

    // A high fasting glucose enrols in the recheck protocol; a normal one does not.
    let obs = format!("/api/v1/patients/{patient}/observations");
    let (status, _) = app
        .post(Some(&nurse), &obs, &json!({"code": "fpg", "value": 5.1}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(plans(&app, &nurse, &patient).await.len(), 1);
    app.post(Some(&nurse), &obs, &json!({"code": "fpg", "value": 7.8}))
        .await;
    let all = plans(&app, &nurse, &patient).await;
    let recheck = all
        .iter()
        .find(|p| p["protocol"] == "fpg-recheck")
        .expect("enrolled by the high value");
    assert_eq!(recheck["trigger_event"], "abnormal fpg");

    // Another department's nurse can neither tag nor discharge this patient.
    app.department("endo").await;
    let other = app.user("nurse.li", "nurse", Some("endo")).await;
    let (status, _) = app.post(Some(&other), &tags, &json!({"tag": "高危"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            Some(&other),
            &format!("/api/v1/patients/{patient}/discharges"),
            &json!({"discharged_on": days_ago(0)}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
crate::register!(a_tag_or_an_abnormal_value_enrols_in_protocols_with_that_trigger);

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
