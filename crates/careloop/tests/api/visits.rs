use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A patient aged 66 (born 1960-05-01, so the ≥65 target of 150/90 applies) on `protocol`;
/// returns the plan.
async fn planned(app: &TestApp, nurse: &str, protocol: &str) -> Value {
    let patient = app.enrol_simple(nurse, "王一", 1).await;
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": protocol}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan
}

async fn sign(app: &TestApp, token: &str, task: &Value, body: Value) -> (StatusCode, Value) {
    app.post(
        Some(token),
        &format!("/api/v1/tasks/{}/records", task.as_str().unwrap()),
        &body,
    )
    .await
}

fn bp(sbp: u32, dbp: u32) -> Value {
    json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": sbp}, {"code": "dbp", "value": dbp}, {"code": "hr", "value": 72}]})
}

pub async fn a_controlled_elderly_patient_is_seen_again_at_the_next_quarterly_call(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let (status, out) = sign(&app, &nurse, &plan["tasks"][0]["id"], bp(145, 85)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        out["classification"], "controlled",
        "145/85 meets the ≥65 target of 150/90"
    );
    assert_eq!(out["task_state"], "done");
    assert_eq!(
        out["next_task"]["id"], plan["tasks"][1]["id"],
        "the next quarterly call"
    );
    assert_eq!(out["alerts"], json!([]));
    assert_eq!(out["referral"], false);
}
crate::register!(a_controlled_elderly_patient_is_seen_again_at_the_next_quarterly_call);

pub async fn uncontrolled_twice_in_a_row_means_referral_and_a_severe_alert(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let (_, first) = sign(&app, &nurse, &plan["tasks"][0]["id"], bp(156, 92)).await;
    assert_eq!(first["classification"], "uncontrolled");
    assert_eq!(first["referral"], false);
    assert_eq!(first["next_task"]["step"], "F14");
    let due = time::OffsetDateTime::parse(
        first["next_task"]["deadline"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        due - crate::helpers::now() <= time::Duration::days(15),
        "the next follow-up is within two weeks"
    );
    assert_eq!(first["alerts"][0]["severity"], "mild");
    assert_eq!(first["alerts"][0]["owner_role"], "nurse");
    let (_, second) = sign(&app, &nurse, &first["next_task"]["id"], bp(158, 96)).await;
    assert_eq!(second["classification"], "uncontrolled");
    assert_eq!(second["referral"], true, "two consecutive uncontrolled visits");
    assert_eq!(second["alerts"][0]["severity"], "severe");
    let (_, tasks) = app.get(Some(&nurse), "/api/v1/tasks?per_page=50").await;
    assert!(
        tasks["items"].as_array().unwrap().iter().any(|t| t["step"] == "REF"),
        "a referral check is scheduled"
    );
}
crate::register!(uncontrolled_twice_in_a_row_means_referral_and_a_severe_alert);

pub async fn emergency_values_mean_urgent_referral_and_a_doctor_alert(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.li", "doctor", Some("cardio")).await;
    let plan = planned(&app, &nurse, "t2dm-basic-ph").await;
    // 300 mg/dL is 16.65 mmol/L, just under the 16.7 emergency threshold: uncontrolled.
    let body = json!({"contact_result": "reached", "observations": [{"code": "fpg", "value": 300, "unit": "mg/dL"}]});
    let (_, out) = sign(&app, &nurse, &plan["tasks"][0]["id"], body).await;
    assert_eq!(out["classification"], "uncontrolled", "{out}");
    // 310 mg/dL is 17.21 mmol/L: an emergency.
    let body = json!({"contact_result": "reached", "observations": [{"code": "fpg", "value": 310, "unit": "mg/dL"}]});
    let (status, out) = sign(&app, &nurse, &out["next_task"]["id"], body).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["classification"], "emergency");
    assert_eq!(out["referral"], true);
    assert_eq!(out["alerts"][0]["owner_role"], "doctor");
    let (_, alerts) = app.get(Some(&doctor), "/api/v1/alerts").await;
    let severities: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["severe", "mild"], "most urgent first");
}
crate::register!(emergency_values_mean_urgent_referral_and_a_doctor_alert);

pub async fn unanswered_calls_are_counted_and_fail_after_the_retry_limit(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "post-discharge-surgery").await;
    let task = &plan["tasks"][0]["id"];
    let states: Vec<Value> = {
        let mut v = Vec::new();
        for result in ["no_answer", "powered_off", "busy"] {
            let (status, out) = sign(&app, &nurse, task, json!({"contact_result": result})).await;
            assert_eq!(status, StatusCode::CREATED, "{out}");
            assert_eq!(out["classification"], Value::Null, "no classification without contact");
            v.push(out["task_state"].clone());
        }
        v
    };
    assert_eq!(
        states,
        [json!("no_answer"), json!("no_answer"), json!("failed")],
        "three attempts, then failed"
    );
    let (status, out) = sign(
        &app,
        &nurse,
        task,
        json!({"contact_result": "reached", "note": "家属代接，恢复良好"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a later call may still reach the patient: {out}"
    );
    assert_eq!(out["task_state"], "done");
}
crate::register!(unanswered_calls_are_counted_and_fail_after_the_retry_limit);

pub async fn a_deceased_patient_s_plan_stops_and_its_tasks_are_cancelled(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let (_, out) = sign(
        &app,
        &nurse,
        &plan["tasks"][0]["id"],
        json!({"contact_result": "deceased"}),
    )
    .await;
    assert_eq!(out["task_state"], "done");
    assert_eq!(out["next_task"], Value::Null);
    let (_, tasks) = app.get(Some(&nurse), "/api/v1/tasks?per_page=50").await;
    let states: Vec<&str> = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "cancelled", "cancelled", "cancelled"]);
}
crate::register!(a_deceased_patient_s_plan_stops_and_its_tasks_are_cancelled);

pub async fn records_are_validated_immutable_and_one_per_completed_task(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let task = &plan["tasks"][0]["id"];
    let (status, res) = sign(&app, &nurse, task, json!({"contact_result": "maybe"})).await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("contact_result"))
    );
    let body = json!({"contact_result": "no_answer", "observations": [{"code": "sbp", "value": 120}]});
    let (status, res) = sign(&app, &nurse, task, body).await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("observations"))
    );
    let (status, res) = sign(
        &app,
        &nurse,
        task,
        json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": 120, "unit": "kg"}]}),
    )
    .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("observations[0].unit"))
    );
    let (status, _) = sign(&app, &nurse, task, bp(130, 80)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, res) = sign(&app, &nurse, task, bp(130, 80)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a done task takes no second record: {res}"
    );
    let mut tx = app.db.begin().await.unwrap();
    assert!(
        tx.execute_raw("UPDATE followup_records SET note = 'changed'")
            .await
            .is_err(),
        "signed records are immutable"
    );
}
crate::register!(records_are_validated_immutable_and_one_per_completed_task);

pub async fn unhandled_alerts_escalate_until_acknowledged_and_close_with_an_outcome(app: TestApp) {
    use careloop_service::followup::scheduler::tick;
    let (admin, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let (_, out) = sign(&app, &nurse, &plan["tasks"][0]["id"], bp(160, 95)).await;
    let alert = out["alerts"][0].clone();
    assert_eq!(
        (alert["owner_role"].as_str(), alert["escalations"].as_i64()),
        (Some("nurse"), Some(0))
    );
    let sla = time::OffsetDateTime::parse(
        alert["sla_due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        tick(&app.db, sla - time::Duration::minutes(1)).await.unwrap().escalated,
        0,
        "not before the SLA"
    );
    assert_eq!(
        tick(&app.db, sla + time::Duration::minutes(1)).await.unwrap().escalated,
        1
    );
    assert_eq!(
        tick(&app.db, sla + time::Duration::minutes(1)).await.unwrap().escalated,
        0,
        "once per SLA"
    );
    let (_, open) = app.get(Some(&admin), "/api/v1/alerts").await;
    assert_eq!(
        (open[0]["owner_role"].as_str(), open[0]["escalations"].as_i64()),
        (Some("doctor"), Some(1))
    );
    let id = alert["id"].as_str().unwrap();
    let (status, acked) = app
        .post(Some(&nurse), &format!("/api/v1/alerts/{id}/acknowledge"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{acked}");
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(
        tick(&app.db, sla + time::Duration::days(2)).await.unwrap().escalated,
        0,
        "acknowledged alerts do not escalate"
    );
    let (status, res) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/alerts/{id}/close"),
            &json!({"outcome": " "}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("outcome"))
    );
    let (status, closed) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/alerts/{id}/close"),
            &json!({"outcome": "已电话指导调整用药，两周后复查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["status"], "closed");
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/alerts/{id}/close"),
            &json!({"outcome": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, remaining) = app.get(Some(&nurse), "/api/v1/alerts?status=open").await;
    assert_eq!(remaining, json!([]));
}
crate::register!(unhandled_alerts_escalate_until_acknowledged_and_close_with_an_outcome);

/// Two scheduler passes escalating overdue alerts at once never take the same alert.
pub async fn two_alert_claims_at_once_never_share_an_alert(app: TestApp) {
    use careloop_store::records::claim_overdue_alerts;
    let (_, nurse) = app.admin_and_nurse().await;
    for n in 0..5 {
        let patient = app.enrol_simple(&nurse, &format!("预警{n}"), 80 + n).await;
        let (status, plan) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/plans"),
                &json!({"protocol": "htn-basic-ph"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        let task = plan["tasks"][0]["id"].as_str().unwrap();
        let body = json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": 168}, {"code": "dbp", "value": 102}]});
        let (status, out) = app
            .post(Some(&nurse), &format!("/api/v1/tasks/{task}/records"), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        assert!(
            !out["alerts"].as_array().unwrap().is_empty(),
            "168/102 raises an alert: {out}"
        );
    }
    let later = crate::helpers::now() + time::Duration::days(4);
    let claim: crate::helpers::Claim = |tx, at, limit| {
        Box::pin(async move {
            let rows = claim_overdue_alerts(tx, at, limit).await.unwrap();
            rows.iter().map(|a| a.id).collect()
        })
    };
    crate::helpers::claims_at_once_never_overlap(&app, later, claim, 2, 3).await;
}
crate::register!(two_alert_claims_at_once_never_share_an_alert);

/// The alert centre and the patient's page as the screens of the alert ladder: the nurse's badge
/// counts the alert her visit raised; once it escalates it leaves her desk and reaches the
/// doctor's badge at once; the doctor acknowledges it from the patient's page and closes it with
/// an outcome (none: refused); a doctor of another department never sees it.
pub async fn alerts_are_worked_on_screen_as_they_escalate(app: TestApp) {
    use crate::ui::{browser, csrf_of, page};
    use careloop_service::followup::scheduler::tick;
    let (_, nurse) = app.admin_and_nurse().await;
    app.user("dr.li", "doctor", Some("cardio")).await;
    app.department("endo").await;
    app.user("dr.wu", "doctor", Some("endo")).await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let patient = plan["patient_id"].as_str().unwrap().to_string();
    let (_, out) = sign(&app, &nurse, &plan["tasks"][0]["id"], bp(160, 95)).await;
    let alert = out["alerts"][0]["id"].as_str().unwrap().to_string();
    let badge = |html: &str| {
        html.split(r#"<span class="badge" title="待我处理的预警">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .map(str::to_string)
    };

    let nurse_ui = browser(&app, "nurse.wang").await;
    let doctor_ui = browser(&app, "dr.li").await;
    let other_ui = browser(&app, "dr.wu").await;
    let (_, html) = page(&nurse_ui, &app, "/worklist").await;
    assert_eq!(badge(&html).as_deref(), Some("1"), "the nurse's own alert");
    assert!(html.contains("id=\"desk-alerts\""), "first on her worklist");
    let (_, html) = page(&doctor_ui, &app, "/alerts").await;
    assert_eq!(badge(&html), None, "not on the doctor's desk yet");
    let others = crate::helpers::section(&html, "others");
    assert!(
        others.contains(&format!("id=\"alert-{alert}\"")),
        "but among colleagues' alerts"
    );

    let sla = time::OffsetDateTime::parse(
        out["alerts"][0]["sla_due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        tick(&app.db, sla + time::Duration::minutes(1)).await.unwrap().escalated,
        1
    );
    let (_, html) = page(&doctor_ui, &app, "/alerts").await;
    assert_eq!(
        badge(&html).as_deref(),
        Some("1"),
        "escalated: on the doctor's desk at once"
    );
    let mine = crate::helpers::section(&html, "mine");
    assert!(
        mine.contains(&format!("id=\"alert-{alert}\"")) && mine.contains("已逐级上报 1 次"),
        "{mine}"
    );
    let (_, html) = page(&nurse_ui, &app, "/worklist").await;
    assert_eq!(badge(&html), None, "and off the nurse's");

    let (_, html) = page(&doctor_ui, &app, &format!("/patients/{patient}")).await;
    assert!(
        html.contains("id=\"alerts\"") && html.contains("确认接手"),
        "on the patient's page"
    );
    let csrf = csrf_of(&html);
    let res = doctor_ui
        .post(app.url(&format!("/alerts/{alert}/acknowledge")))
        .form(&[("csrf", csrf.as_str()), ("back", "patient")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/patients/{patient}#alerts").as_str()
    );
    let (_, html) = page(&doctor_ui, &app, &format!("/patients/{patient}")).await;
    assert!(
        !html.contains("确认接手") && html.contains("处理完毕并关闭"),
        "acknowledged, still to close"
    );

    let close = |form: Vec<(&'static str, String)>| {
        doctor_ui
            .post(app.url(&format!("/alerts/{alert}/close")))
            .form(&form)
            .send()
    };
    let res = close(vec![("csrf", csrf.clone()), ("outcome", "  ".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an outcome is required");
    let res = other_ui
        .post(app.url(&format!("/alerts/{alert}/close")))
        .form(&[
            ("csrf", csrf_of(&page(&other_ui, &app, "/alerts").await.1)),
            ("outcome", "x".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "another department's doctor may not close it"
    );
    let (_, html) = page(&other_ui, &app, "/alerts?status=acknowledged").await;
    assert!(!html.contains(&alert), "nor see it");
    let res = close(vec![
        ("csrf", csrf.clone()),
        ("outcome", "复测血压 138/86，已调药".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&doctor_ui, &app, &format!("/patients/{patient}")).await;
    assert!(
        html.contains("复测血压 138/86，已调药") && !html.contains("处理完毕并关闭"),
        "closed with its outcome"
    );
}
crate::register!(alerts_are_worked_on_screen_as_they_escalate);

/// A call signed with 200/120 is an emergency visit: one severe alert for the doctor, naming the
/// emergency and the critical values — not a second alert for the same reading.
pub async fn a_critical_value_at_a_visit_makes_one_alert_naming_it(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = planned(&app, &nurse, "htn-basic-ph").await;
    let (status, out) = sign(&app, &nurse, &plan["tasks"][0]["id"], bp(200, 120)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let severe: Vec<&Value> = out["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["severity"] == "severe")
        .collect();
    assert_eq!(severe.len(), 1, "{out}");
    let reason = severe[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("紧急转诊")
            && reason.contains("收缩压 200 mmHg（危急值 ≥180 mmHg）")
            && reason.contains("来源：随访记录"),
        "{reason}"
    );
}
crate::register!(a_critical_value_at_a_visit_makes_one_alert_naming_it);
