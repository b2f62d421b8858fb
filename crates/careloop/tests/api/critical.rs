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

/// Laboratory results from a LIS (HL7 v2) past the seeded critical-value table raise one alert
/// naming each value and the table: potassium 6.8 and haemoglobin 4.5 g/dL (45 g/L) in one
/// order; a normal potassium none.
pub async fn laboratory_critical_values_from_a_lis_raise_an_alert(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let message = |id: &str, k: &str| {
        format!(
            "MSH|^~\\&|LIS|检验科|CARELOOP|随访中心|20261202080000+0800||ORU^R01|{id}|P|2.5\r\
             PID|||L77^^^LIS||赵^建华||19500101|M\r\
             OBR|1||{id}|LAB^生化血常规|||20261202073000+0800\r\
             OBX|1|NM|2823-3^钾||{k}|mmol/L|3.5-5.3|H|||F\r\
             OBX|2|NM|718-7^血红蛋白||4.5|g/dL|13-17.5|L|||F\r"
        )
    };
    let send = |body: String| {
        let req = app
            .http
            .post(app.url("/api/v1/import/hl7v2?source=lis"))
            .header("content-type", "x-application/hl7-v2+er7")
            .body(body);
        app.send(req, Some(&nurse))
    };
    let (status, r) = send(message("K1", "6.8")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["observations"]["created"], 2, "{r}");
    let alerts = open_alerts(&app, &admin).await;
    assert_eq!(alerts.len(), 1, "one alert for the order's values: {alerts:?}");
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("血钾 6.8 mmol/L（危急值 ≥6.2 mmol/L）")
            && reason.contains("血红蛋白 45 g/L（危急值 ≤50 g/L）")
            && reason.contains("导入（lis）")
            && reason.contains("常用检验危急值"),
        "{reason}"
    );
    assert_eq!(alerts[0]["severity"], "severe");
}
crate::register!(laboratory_critical_values_from_a_lis_raise_an_alert);

/// An organisation sets its own row (potassium ≥ 6.0, its source named): a 6.0 typed in for its
/// patient raises an alert citing that source, while the same value in another organisation
/// does not. Rows inside the normal range or for blood pressure are refused (422), nurses may
/// read the table but not change it (403), and removing the row restores the seeded one.
pub async fn an_organisations_own_critical_limits_apply_to_its_patients_only(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let home = orgs[0]["id"].as_str().unwrap().to_string();
    let (status, other) = app
        .post(
            Some(&admin),
            "/api/v1/organisations",
            &json!({"code": "branch", "name": "分院"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let (status, _) = app
        .post(
            Some(&admin),
            "/api/v1/departments",
            &json!({"code": "br-cardio", "name": "分院心内科", "organisation": "branch"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let branch_nurse = app.user("nurse.zhao", "nurse", Some("br-cardio")).await;

    let table = format!("/api/v1/organisations/{home}/critical-limits");
    let (status, rows) = app.get(Some(&nurse), &table).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let codes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["fpg", "k", "na", "hb", "plt"], "the seeded table");
    assert!(rows.as_array().unwrap().iter().all(|r| r["own"] == false));

    let k = format!("{table}/2823-3");
    let own = json!({"at_least": 6.0, "at_most": 3.0, "source": "本院危急值管理制度（2025版）"});
    let (status, _) = app.put(Some(&nurse), &k, &own).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (bad, field) in [
        (json!({"at_least": 5.0, "source": "x"}), "at_least"),
        (json!({"at_least": 6.0, "source": " "}), "source"),
        (json!({"source": "x"}), "at_least"),
    ] {
        let (status, err) = app.put(Some(&admin), &k, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {err}");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (status, err) = app.put(Some(&admin), &format!("{table}/sbp"), &own).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let missing = format!("/api/v1/organisations/{}/critical-limits/k", uuid::Uuid::nil());
    assert_eq!(app.put(Some(&admin), &missing, &own).await.0, StatusCode::NOT_FOUND);
    let (status, row) = app.put(Some(&admin), &k, &own).await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!((row["code"].as_str(), row["own"].as_bool()), (Some("k"), Some(true)));
    let (_, rows) = app.get(Some(&nurse), &table).await;
    let k_row = rows.as_array().unwrap().iter().find(|r| r["code"] == "k").unwrap();
    assert_eq!(
        (k_row["at_least"].as_f64(), k_row["own"].as_bool()),
        (Some(6.0), Some(true))
    );

    let mine = app.enrol_simple(&nurse, "本院血钾", 21).await;
    let theirs = app
        .enrol(
            &branch_nurse,
            json!({"name": "分院血钾", "id_number": crate::helpers::id_number("1960-05-01", true, 22), "phone": "13900002222"}),
        )
        .await;
    for (who, patient) in [(&nurse, &mine), (&branch_nurse, &theirs)] {
        let (status, res) = app
            .post(
                Some(who),
                &format!("/api/v1/patients/{patient}/observations"),
                &json!({"code": "k", "value": 6.0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
    }
    let alerts = open_alerts(&app, &admin).await;
    assert_eq!(alerts.len(), 1, "only the organisation with the row: {alerts:?}");
    assert_eq!(alerts[0]["patient_id"], mine.as_str());
    let reason = alerts[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("血钾 6 mmol/L（危急值 ≥6 mmol/L）") && reason.contains("本院危急值管理制度（2025版）"),
        "{reason}"
    );

    assert_eq!(app.delete(Some(&admin), &k).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        app.delete(Some(&admin), &k).await.0,
        StatusCode::NOT_FOUND,
        "already removed"
    );
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{mine}/observations"),
            &json!({"code": "k", "value": 6.1, "effective_at": "2026-12-01T08:00:00+08:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(open_alerts(&app, &admin).await.len(), 1, "6.1 is under the seeded 6.2");
    let (_, audit) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "organisation.critical_limit")
        .count();
    assert_eq!(changes, 2, "the row set and removed, each audited");
}
crate::register!(an_organisations_own_critical_limits_apply_to_its_patients_only);
