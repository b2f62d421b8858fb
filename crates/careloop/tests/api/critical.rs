//! Dangerous values (危急值) wherever they arrive: typed in through the API, imported, answered in
//! a questionnaire — each measurement at or past a critical limit raises one severe alert for the
//! doctor in the same transaction, naming the values, their limits and where they came from.

use crate::helpers::TestApp;
use crate::imports::{bundle, glucose, import};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn open_alerts(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, alerts) = app.get(Some(token), "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    alerts.as_array().unwrap().clone()
}

/// BP 210/125 typed in raises one alert naming both values and limits; a fasting glucose of 25
/// another; 179/109 and a glucose of 4.0 none. (Before: only the risk tier changed.)
pub async fn critical_values_typed_in_raise_one_severe_alert_each(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "危急值", 5).await;
    let values = format!("/api/v1/patients/{patient}/observations");
    let at = "2026-12-02T08:00:00+08:00";
    let post = |body: Value| {
        let (app, nurse, values) = (&app, &nurse, &values);
        async move {
            let (status, res) = app.post(Some(nurse), values, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{res}");
        }
    };
    post(json!([{"code": "sbp", "value": 179, "effective_at": at}, {"code": "dbp", "value": 109, "effective_at": at}]))
        .await;
    post(json!({"code": "fpg", "value": 4.0, "effective_at": at})).await;
    assert!(
        open_alerts(&app, &admin).await.is_empty(),
        "inside the limits: no alert"
    );

    let later = "2026-12-03T08:00:00+08:00";
    post(json!([{"code": "sbp", "value": 210, "effective_at": later}, {"code": "dbp", "value": 125, "effective_at": later}, {"code": "hr", "value": 80, "effective_at": later}])).await;
    post(json!({"code": "fpg", "value": 25, "unit": "mmol/L", "effective_at": later})).await;
    let alerts = open_alerts(&app, &admin).await;
    assert_eq!(alerts.len(), 2, "one per measurement: {alerts:?}");
    for a in &alerts {
        assert_eq!(
            (a["severity"].as_str(), a["owner_role"].as_str()),
            (Some("severe"), Some("doctor"))
        );
        assert_eq!(a["patient_id"], patient.as_str());
    }
    let reasons: Vec<&str> = alerts.iter().map(|a| a["reason"].as_str().unwrap()).collect();
    let bp = reasons.iter().find(|r| r.contains("收缩压")).expect("the BP alert");
    assert!(
        bp.contains("收缩压 210 mmHg（危急值 ≥180 mmHg）") && bp.contains("舒张压 125 mmHg（危急值 ≥110 mmHg）"),
        "{bp}"
    );
    assert!(
        bp.contains("来源：录入") && bp.contains("国家基本公共卫生服务规范"),
        "{bp}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("空腹血糖 25 mmol/L（危急值 ≥16.7 mmol/L）")),
        "{reasons:?}"
    );

    let doctor = app.user("dr.li", "doctor", Some("cardio")).await;
    assert_eq!(
        open_alerts(&app, &doctor).await.len(),
        2,
        "the doctor of the department sees them"
    );
    let ui = crate::ui::browser(&app, "dr.li").await;
    let (_, html) = crate::ui::page(&ui, &app, "/alerts").await;
    let mine = crate::helpers::section(&html, "mine");
    assert_eq!(
        mine.matches("class=\"card alert-card severe").count(),
        2,
        "both on the doctor's desk"
    );
}
crate::register!(critical_values_typed_in_raise_one_severe_alert_each);

/// An imported glucose of 2.8 mmol/L of a patient with diabetes (the diagnosis in the same
/// file) raises one alert naming the import and its source system; a 3.6 of a patient without
/// diabetes raises none (the low limit is the diabetes standard's); a re-import raises nothing,
/// and a correction into the critical range raises one.
pub async fn imported_critical_values_raise_an_alert_once(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let person = |id: &str, name: &str| json!({"resourceType": "Patient", "id": id, "name": [{"text": name}], "gender": "female", "birthDate": "1955-04-01"});
    let diabetes = json!({"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9", "display": "2型糖尿病"}]}});
    let body = bundle(vec![
        person("p1", "导入危急"),
        diabetes,
        glucose("g1", "p1", 2.8, "mmol/L"),
        glucose("g2", "p1", 6.1, "mmol/L"),
        person("p2", "导入偏低"),
        glucose("g3", "p2", 3.6, "mmol/L"),
    ]);
    let (status, report) = import(&app, &nurse, "source=lis", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let alerts = open_alerts(&app, &admin).await;
    assert_eq!(alerts.len(), 1, "only the patient with diabetes: {alerts:?}");
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("空腹血糖 2.8 mmol/L（危急值 ≤3.9 mmol/L）") && reason.contains("导入（lis）"),
        "{reason}"
    );

    let (status, _) = import(&app, &nurse, "source=lis", body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        open_alerts(&app, &admin).await.len(),
        1,
        "the same value imported again: no new alert"
    );

    let corrected = bundle(vec![person("p2", "导入偏低"), glucose("g3", "p2", 18.2, "mmol/L")]);
    let (status, report) = import(&app, &nurse, "source=lis", corrected).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["observations"]["updated"], 1, "{report}");
    let alerts = open_alerts(&app, &admin).await;
    assert_eq!(
        alerts.len(),
        2,
        "the corrected value is critical for anyone: {alerts:?}"
    );
}
crate::register!(imported_critical_values_raise_an_alert_once);

/// A home reading answered in the hypertension follow-up form (190/100) raises the alert with the
/// response, and the response's answer lists it.
pub async fn a_critical_home_reading_in_a_questionnaire_raises_an_alert(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "家测危急", 66).await;
    let coding = |sys: &str, code: &str| json!([{"valueCoding": {"system": format!("https://careloop.example.cn/fhir/CodeSystem/{sys}"), "code": code}}]);
    let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": format!("Patient/{patient}")}, "item": [
        {"linkId": "symptoms", "answer": coding("htn-symptom", "headache")},
        {"linkId": "sbp", "answer": [{"valueInteger": 190}]},
        {"linkId": "dbp", "answer": [{"valueInteger": 100}]},
        {"linkId": "medication_adherence", "answer": coding("adherence", "regular")},
        {"linkId": "adverse_drug_reaction", "answer": [{"valueBoolean": false}]}
    ]});
    let (status, out) = crate::questionnaires::post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/htn-followup/responses",
        &response.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let raised: Vec<&str> = out["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert!(
        raised
            .iter()
            .any(|r| r.contains("收缩压 190 mmHg（危急值 ≥180 mmHg）") && r.contains("来源：问卷回答")),
        "{raised:?}"
    );
    assert!(
        raised.iter().all(|r| !r.contains("舒张压 100")),
        "100 is inside its limit"
    );
    assert_eq!(open_alerts(&app, &admin).await.len(), raised.len());
}
crate::register!(a_critical_home_reading_in_a_questionnaire_raises_an_alert);

/// Two doctors close the same alert at the same moment: one closes it, the other is told it
/// was already handled (409), and the stored outcome is the one that won — it is never
/// overwritten. (On PostgreSQL both read it open and both "closed" it.)
pub async fn two_doctors_closing_one_alert_at_once_one_wins(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let li = app.user("dr.li", "doctor", Some("cardio")).await;
    let wu = app.user("dr.wu", "doctor", Some("cardio")).await;
    for round in 0..5 {
        let patient = app.enrol_simple(&nurse, &format!("并发关闭{round}"), 10 + round).await;
        let (status, _) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/observations"),
                &json!({"code": "sbp", "value": 200}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let alert = open_alerts(&app, &admin)
            .await
            .into_iter()
            .find(|a| a["patient_id"] == patient.as_str())
            .expect("the critical value's alert");
        let path = format!("/api/v1/alerts/{}/close", alert["id"].as_str().unwrap());
        let (by_li, by_wu) = (
            json!({"outcome": "李医生已电话处理"}),
            json!({"outcome": "吴医生已电话处理"}),
        );
        let (a, b) = tokio::join!(app.post(Some(&li), &path, &by_li), app.post(Some(&wu), &path, &by_wu));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}: {} / {}",
            a.1,
            b.1
        );
        let winner = if a.0 == StatusCode::OK { &a.1 } else { &b.1 };
        let (_, closed) = app.get(Some(&admin), "/api/v1/alerts?status=closed").await;
        let stored = closed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == alert["id"])
            .expect("closed")
            .clone();
        assert_eq!(
            stored["outcome"], winner["outcome"],
            "round {round}: the winner's outcome stands"
        );
    }
}
crate::register!(two_doctors_closing_one_alert_at_once_one_wins);
