//! The follow-up figures (随访统计) over a small population whose every count is known.

use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn days_ago(n: i64) -> String {
    (careloop_service::patients::local_today(now()) - Duration::days(n)).to_string()
}

async fn patient(app: &TestApp, nurse: &str, seq: u32, hypertensive: bool) -> String {
    let id = app.enrol_simple(nurse, "赵六", seq).await;
    if hypertensive {
        let (status, d) = app
            .post(
                Some(nurse),
                &format!("/api/v1/patients/{id}/diagnoses"),
                &json!({"icd10_code": "I10", "name": "原发性高血压"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
    }
    id
}

async fn plan(app: &TestApp, nurse: &str, patient: &str, protocol: &str, anchor: String) -> Value {
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": protocol, "anchor_date": anchor}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan
}

async fn sign(app: &TestApp, nurse: &str, plan: &Value, i: usize, body: Value) {
    let task = plan["tasks"][i]["id"].as_str().unwrap();
    let (status, out) = app
        .post(Some(nurse), &format!("/api/v1/tasks/{task}/records"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

fn bp(sbp: u32, dbp: u32) -> Value {
    json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": sbp}, {"code": "dbp", "value": dbp}]})
}

pub async fn the_figures_count_coverage_completion_contact_loss_management_and_control(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    // This centre enrols hypertensive patients by hand (a diagnosis does not enrol them).
    let (_, mut htn) = app.get(Some(&admin), "/api/v1/protocols/htn-basic-ph").await;
    htn["trigger"] = json!({"kind": "manual"});
    let (status, _) = app.post(Some(&admin), "/api/v1/protocols", &htn).await;
    assert_eq!(status, StatusCode::CREATED);
    // A: hypertensive, four controlled visits in the last year (规范管理, 控制).
    let a = patient(&app, &nurse, 1, true).await;
    let pa = plan(&app, &nurse, &a, "htn-basic-ph", days_ago(300)).await;
    for i in 0..4 {
        sign(&app, &nurse, &pa, i, bp(128, 78)).await;
    }
    // B: hypertensive, one uncontrolled visit.
    let b = patient(&app, &nurse, 2, true).await;
    let pb = plan(&app, &nurse, &b, "htn-basic-ph", days_ago(0)).await;
    sign(&app, &nurse, &pb, 0, bp(162, 101)).await;
    // C: hypertensive, never enrolled in follow-up.
    patient(&app, &nurse, 3, true).await;
    // D: discharged 40 days ago, wrong number three times: lost to follow-up.
    let d = patient(&app, &nurse, 4, false).await;
    let pd = plan(&app, &nurse, &d, "post-discharge-surgery", days_ago(40)).await;
    for i in 0..3 {
        sign(&app, &nurse, &pd, i, json!({"contact_result": "wrong_number"})).await;
    }

    let path = format!("/api/v1/stats/follow-up?from={}&to={}", days_ago(365), days_ago(0));
    let (status, f) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let fig = |v: &Value| (v["numerator"].as_i64().unwrap(), v["denominator"].as_i64().unwrap());
    assert_eq!(fig(&f["coverage"]), (2, 3), "A and B of three hypertensives");
    // Deadlines in the year: A's 3-, 6- and 9-month calls (done late) and D's three (failed).
    assert_eq!(fig(&f["completion"]), (3, 6));
    assert_eq!(fig(&f["on_time"]), (0, 3));
    assert_eq!(f["completion"]["percent"], 50.0);
    assert_eq!(fig(&f["contact_success"]), (5, 8));
    assert_eq!(fig(&f["lost_to_follow_up"]), (1, 3));
    assert_eq!(f["hypertension"]["managed"], 2);
    assert_eq!(fig(&f["hypertension"]["standard_management"]), (1, 2));
    assert_eq!(fig(&f["hypertension"]["control"]), (1, 2));
    assert_eq!(f["diabetes"]["managed"], 0);
    assert_eq!(f["diabetes"]["control"]["percent"], Value::Null, "nothing to divide by");

    let res = app
        .http
        .get(app.url(&format!("{path}&format=csv")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert!(
        csv.contains("高血压规范管理率,Hypertension standard management,1,2,50.0\r\n"),
        "{csv}"
    );

    app.department("endo").await;
    let (_, depts) = app.get(Some(&admin), "/api/v1/departments").await;
    let endo = depts.as_array().unwrap().iter().find(|d| d["code"] == "endo").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .get(Some(&nurse), &format!("/api/v1/stats/follow-up?department_id={endo}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another department's figures");
    let (_, empty) = app
        .get(Some(&admin), &format!("/api/v1/stats/follow-up?department_id={endo}"))
        .await;
    assert_eq!(fig(&empty["coverage"]), (0, 0));
    let (status, err) = app
        .get(Some(&admin), "/api/v1/stats/follow-up?from=2026-12-01&to=2026-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "to");
}
