//! Retries, lost to follow-up (失访), plan and task management, and record amendments.

use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn today() -> time::Date {
    careloop_domain::clock::local_today(now())
}

/// Enrol a new patient in `protocol` anchored `months_ago` months back; returns (patient, plan).
async fn plan(app: &TestApp, nurse: &str, protocol: &str, days_ago: i64, seq: u32) -> (String, Value) {
    let patient = app.enrol_simple(nurse, "李二", seq).await;
    let anchor = today() - Duration::days(days_ago);
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": protocol, "anchor_date": anchor.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    (patient, plan)
}

fn task_id(plan: &Value, i: usize) -> String {
    plan["tasks"][i]["id"].as_str().unwrap().to_string()
}

async fn sign(app: &TestApp, token: &str, task: &str, body: Value) -> Value {
    let (status, out) = app
        .post(Some(token), &format!("/api/v1/tasks/{task}/records"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    out
}

async fn task(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, t) = app.get(Some(token), &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

fn events(task: &Value) -> Vec<String> {
    task["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap().to_string())
        .collect()
}

async fn tick(app: &TestApp, at: time::OffsetDateTime) -> careloop_service::followup::scheduler::TickOutcome {
    careloop_service::followup::scheduler::tick(&app.db, at).await.unwrap()
}

pub async fn an_unanswered_call_comes_back_when_its_retry_is_due(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, p) = plan(&app, &nurse, "post-discharge-surgery", 0, 1).await;
    let call = task_id(&p, 0);
    let out = sign(&app, &nurse, &call, json!({"contact_result": "no_answer"})).await;
    assert_eq!(out["task_state"], "no_answer");
    let t = task(&app, &nurse, &call).await;
    assert_eq!(t["attempts"], 1);
    let retry = time::OffsetDateTime::parse(
        t["retry_at"].as_str().expect("a retry is scheduled"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let spacing = retry - now();
    assert!(
        spacing > Duration::hours(23) && spacing <= Duration::days(1),
        "the protocol's spacing is one day: {spacing}"
    );

    assert_eq!(tick(&app, retry - Duration::minutes(1)).await.retried, 0, "not yet");
    assert_eq!(tick(&app, retry + Duration::minutes(1)).await.retried, 1);
    let t = task(&app, &nurse, &call).await;
    assert_eq!(t["state"], "due", "back on the worklist");
    assert_eq!(t["retry_at"], Value::Null);
    assert!(events(&t).contains(&"retry_due".to_string()), "{t}");
    assert_eq!(tick(&app, retry + Duration::minutes(2)).await.retried, 0, "once only");
}
crate::register!(an_unanswered_call_comes_back_when_its_retry_is_due);

pub async fn three_failed_follow_ups_make_the_patient_lost_to_follow_up(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    // Anchored ten months ago: the 3-, 6- and 9-month calls are overdue, the 12-month one pending.
    let (patient, p) = plan(&app, &nurse, "htn-basic-ph", 300, 2).await;
    let states: Vec<&str> = p["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["overdue", "overdue", "overdue", "pending"]);

    // 非本人 (the number reaches someone else) fails a task like 空号 does.
    for (i, result) in ["wrong_number", "not_patient"].into_iter().enumerate() {
        let out = sign(&app, &nurse, &task_id(&p, i), json!({"contact_result": result})).await;
        assert_eq!(out["task_state"], "failed");
        assert_eq!(out["alerts"], json!([]), "not lost after {} failures", i + 1);
    }
    // A reached call in between would reset the run; here the third also fails.
    let out = sign(&app, &nurse, &task_id(&p, 2), json!({"contact_result": "wrong_number"})).await;
    let alerts = out["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{out}");
    assert_eq!(alerts[0]["severity"], "mild");
    assert!(alerts[0]["reason"].as_str().unwrap().contains("失访"));

    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans[0]["status"], "stopped");
    assert_eq!(plans[0]["status_reason"], "lost_to_follow_up");
    assert_eq!(plans[0]["tasks"][3]["state"], "cancelled");
    assert_eq!(plans[0]["tasks"][0]["state"], "failed", "failures stay on record");
}
crate::register!(three_failed_follow_ups_make_the_patient_lost_to_follow_up);

pub async fn a_reached_call_resets_the_run_of_failures(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, p) = plan(&app, &nurse, "htn-basic-ph", 300, 3).await;
    sign(&app, &nurse, &task_id(&p, 0), json!({"contact_result": "wrong_number"})).await;
    sign(
        &app,
        &nurse,
        &task_id(&p, 1),
        json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": 130}, {"code": "dbp", "value": 80}]}),
    )
    .await;
    sign(&app, &nurse, &task_id(&p, 2), json!({"contact_result": "wrong_number"})).await;
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans[0]["status"], "active");
}
crate::register!(a_reached_call_resets_the_run_of_failures);

pub async fn plans_are_paused_resumed_and_stopped_with_reasons(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, p) = plan(&app, &nurse, "htn-basic-ph", 0, 4).await;
    let id = p["id"].as_str().unwrap();
    let (status, err) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/pause"),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "reason");
    let (status, paused) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/pause"),
            &json!({"reason": "住院中"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["status_reason"], "住院中");
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/pause"),
            &json!({"reason": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let first_due = time::OffsetDateTime::parse(
        p["tasks"][0]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        tick(&app, first_due + Duration::hours(1)).await.opened,
        0,
        "a paused plan is left alone"
    );
    let (_, resumed) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/resume"),
            &json!({"reason": "已出院"}),
        )
        .await;
    assert_eq!(resumed["status"], "active");
    assert_eq!(tick(&app, first_due + Duration::hours(1)).await.opened, 1);

    let (status, stopped) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/stop"),
            &json!({"reason": "迁出本辖区"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["status"], "stopped");
    assert!(
        stopped["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "cancelled")
    );
    let t = task(&app, &nurse, &task_id(&p, 0)).await;
    let last = t["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to_state"], "cancelled");
    assert_eq!(last["reason"], "迁出本辖区");
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{id}/resume"),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stopped plan stays stopped");
}
crate::register!(plans_are_paused_resumed_and_stopped_with_reasons);

pub async fn tasks_are_rescheduled_reassigned_and_cancelled(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.user("nurse.li", "nurse", Some("cardio")).await;
    app.department("endo").await;
    app.user("nurse.zhao", "nurse", Some("endo")).await;
    let (_, users) = app.get(Some(&admin), "/api/v1/users").await;
    let id_of = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (_, p) = plan(&app, &nurse, "post-discharge-surgery", 0, 5).await;
    let call = task_id(&p, 0);
    let path = |action: &str| format!("/api/v1/tasks/{call}/{action}");

    let yesterday = (today() - Duration::days(1)).to_string();
    let (status, err) = app
        .post(
            Some(&nurse),
            &path("reschedule"),
            &json!({"due_date": yesterday, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "due_date");
    let later = (today() + Duration::days(5)).to_string();
    let (status, moved) = app
        .post(
            Some(&nurse),
            &path("reschedule"),
            &json!({"due_date": later, "reason": "患者外出，约定下周"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["state"], "pending");
    assert!(moved["due_at"].as_str().unwrap().starts_with(&later));
    let window = |t: &Value| {
        let at = |k: &str| {
            time::OffsetDateTime::parse(t[k].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
        };
        at("deadline") - at("due_at")
    };
    assert_eq!(window(&moved), window(&p["tasks"][0]), "the window keeps its length");

    let (status, err) = app
        .post(
            Some(&nurse),
            &path("reassign"),
            &json!({"assignee_id": id_of("nurse.zhao"), "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another department's nurse");
    assert_eq!(err["error"]["field"], "assignee_id");
    let (status, given) = app
        .post(
            Some(&nurse),
            &path("reassign"),
            &json!({"assignee_id": id_of("nurse.li"), "reason": "休假交接"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{given}");
    assert_eq!(given["assignee_id"], id_of("nurse.li"));

    let (status, cancelled) = app
        .post(Some(&nurse), &path("cancel"), &json!({"reason": "已在门诊复诊"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(
        events(&cancelled)[1..],
        ["rescheduled", "reassigned", "cancelled"].map(String::from)
    );
    let (status, _) = app
        .post(Some(&nurse), &path("cancel"), &json!({"reason": "again"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
crate::register!(tasks_are_rescheduled_reassigned_and_cancelled);

pub async fn records_are_corrected_by_amendments_that_keep_the_original(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, p) = plan(&app, &nurse, "post-discharge-surgery", 0, 6).await;
    let out = sign(
        &app,
        &nurse,
        &task_id(&p, 0),
        json!({"contact_result": "reached", "answers": {"wound": "红肿"}, "note": "伤口红肿"}),
    )
    .await;
    let record = out["id"].as_str().unwrap();
    let path = format!("/api/v1/follow-up-records/{record}/amendments");

    let (status, err) = app.post(Some(&nurse), &path, &json!({"reason": "", "note": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "reason");
    let (status, err) = app.post(Some(&nurse), &path, &json!({"reason": "录入错误"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "amendment_empty");

    let (status, amended) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"reason": "录入错误：应为伤口愈合良好", "note": "伤口愈合良好", "answers": {"wound": "无异常"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{amended}");
    assert_eq!(amended["note"], "伤口红肿", "the signed original is kept");
    assert_eq!(amended["current_note"], "伤口愈合良好");
    assert_eq!(amended["current_answers"]["wound"], "无异常");
    assert_eq!(amended["amendments"].as_array().unwrap().len(), 1);

    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/follow-up-records"))
        .await;
    assert_eq!(list[0]["id"], record);
    assert_eq!(list[0]["amendments"][0]["reason"], "录入错误：应为伤口愈合良好");

    let mut tx = app.db.begin().await.unwrap();
    assert!(
        tx.execute_raw("UPDATE followup_amendments SET note = 'x'")
            .await
            .is_err(),
        "amendments are immutable too"
    );
}
crate::register!(records_are_corrected_by_amendments_that_keep_the_original);

/// A transfer (转科) moves the patient's follow-up work to the new department's lists, and the
/// old department no longer sees it; the extended schedule follows the patient too.
pub async fn a_transfer_moves_the_follow_up_work_to_the_new_department(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let endo_nurse = app.user("nurse.zhang", "nurse", Some("endo")).await;
    let (patient, p) = plan(&app, &nurse, "htn-basic-ph", 0, 7).await;
    let plan_tasks = p["tasks"].as_array().unwrap().len();
    let ids = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, before) = app.get(Some(&nurse), "/api/v1/tasks?per_page=100").await;
    assert_eq!(ids(&before).len(), plan_tasks, "{before}");
    let (_, other) = app.get(Some(&endo_nurse), "/api/v1/tasks?per_page=100").await;
    assert!(ids(&other).is_empty(), "{other}");

    let (status, moved) = app
        .patch(
            Some(&admin),
            &format!("/api/v1/patients/{patient}"),
            &json!({"department": "endo"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, after) = app.get(Some(&endo_nurse), "/api/v1/tasks?per_page=100").await;
    assert_eq!(ids(&after), ids(&before), "the same tasks, now in endo");
    let (_, left) = app.get(Some(&nurse), "/api/v1/tasks?per_page=100").await;
    assert!(ids(&left).is_empty(), "cardio no longer lists them: {left}");
    // The open ones are now the endo nurse's own, each change recorded with the reason.
    let (_, mine) = app
        .get(Some(&endo_nurse), "/api/v1/tasks?assignee=me&per_page=100")
        .await;
    assert_eq!(ids(&mine), ids(&before), "{mine}");
    let t = task(&app, &endo_nurse, &ids(&mine)[0]).await;
    let last = t["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["event"].as_str(), last["reason"].as_str()),
        (Some("reassigned"), Some("transfer (转科)"))
    );

    // A year on, the scheduler extends the plan; the new tasks are listed in endo as well.
    let later = now() + Duration::days(330);
    careloop_service::followup::horizon::extend_schedules(&app.db, later)
        .await
        .unwrap();
    let (_, extended) = app
        .get(Some(&endo_nurse), "/api/v1/tasks?assignee=me&per_page=100")
        .await;
    assert!(
        ids(&extended).len() > plan_tasks,
        "the new tasks are hers too: {extended}"
    );
    let (_, left) = app.get(Some(&nurse), "/api/v1/tasks?per_page=100").await;
    assert!(ids(&left).is_empty(), "{left}");
}
crate::register!(a_transfer_moves_the_follow_up_work_to_the_new_department);

fn keys_in(plan: &Value, state: &str) -> Vec<String> {
    plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == state)
        .map(|t| t["step"].as_str().unwrap().to_string())
        .collect()
}

/// Risk tiers (风险分层): only doctors and health managers assess; an assessment enrols the
/// patient in post-check-up follow-up planned for the tier; a new tier re-plans it (what both
/// share stays, the old tier's pending steps are cancelled with the reason); worklists filter by
/// tier.
pub async fn a_risk_tier_plans_post_checkup_follow_up_and_a_new_tier_re_plans_it(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.li", "doctor", Some("cardio")).await;
    let patient = app.enrol_simple(&nurse, "周五", 11).await;
    let path = format!("/api/v1/patients/{patient}/risk-tier");
    let (status, err) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-checkup"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "risk_tier_missing");
    let body = json!({"tier": "high", "reason": "LDL-C 5.2 mmol/L，颈动脉斑块"});
    let (status, _) = app.post(Some(&nurse), &path, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nurses do not stratify");
    for (bad, field) in [
        (json!({"tier": "urgent", "reason": "x"}), "tier"),
        (json!({"tier": "high", "reason": "  "}), "reason"),
    ] {
        let (status, err) = app.post(Some(&doctor), &path, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["field"], field);
    }

    let (status, out) = app.post(Some(&doctor), &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["current"]["tier"], "high");
    assert_eq!(out["enrolled_in"], json!(["post-checkup"]));
    assert_eq!(out["replanned"], json!([]));
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    let plan = plans.as_array().unwrap()[0].clone();
    assert_eq!(
        (plan["protocol"].as_str(), plan["risk_tier"].as_str()),
        (Some("post-checkup"), Some("high"))
    );
    assert_eq!(plan["trigger_event"], "risk_tier high");
    assert_eq!(keys_in(&plan, "pending"), ["H1", "H30", "HQ", "HQ", "HQ", "HQ"]);
    // Important abnormal results are told by the doctor.
    let (_, mine) = app.get(Some(&doctor), "/api/v1/tasks?assignee=me").await;
    assert_eq!(
        (mine["total"].as_i64(), mine["items"][0]["step"].as_str()),
        (Some(1), Some("H1")),
        "{mine}"
    );

    let (_, high) = app.get(Some(&nurse), "/api/v1/tasks?risk_tier=high&per_page=100").await;
    assert_eq!(high["total"], 6, "{high}");
    let (_, low) = app.get(Some(&nurse), "/api/v1/tasks?risk_tier=low").await;
    assert_eq!(low["total"], 0, "{low}");
    let (status, err) = app.get(Some(&nurse), "/api/v1/tasks?risk_tier=severe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "risk_tier");

    // The revisit found nothing serious: low risk from now on.
    let (status, out) = app
        .post(
            Some(&doctor),
            &path,
            &json!({"tier": "low", "reason": "专科复诊未见异常"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["enrolled_in"], json!([]), "already on the protocol");
    let r = &out["replanned"][0];
    assert_eq!(
        (r["from_tier"].as_str(), r["to_tier"].as_str()),
        (Some("high"), Some("low"))
    );
    assert_eq!((r["cancelled"].as_u64(), r["added"].as_u64()), (Some(6), Some(2)));
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    let plan = plans.as_array().unwrap()[0].clone();
    assert_eq!(plan["risk_tier"], "low");
    assert_eq!(keys_in(&plan, "pending"), ["L7", "LY"]);
    assert_eq!(keys_in(&plan, "cancelled").len(), 6);
    let h1 = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["step"] == "H1")
        .unwrap();
    let t = task(&app, &nurse, h1["id"].as_str().unwrap()).await;
    let last = t["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["to_state"].as_str(), last["reason"].as_str()),
        (Some("cancelled"), Some("risk tier high → low"))
    );
    let (_, low) = app
        .get(Some(&nurse), "/api/v1/tasks?risk_tier=low&status=pending")
        .await;
    assert_eq!(low["total"], 2, "{low}");

    let (status, h) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["current"]["tier"], "low");
    let tiers: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["low", "high"]);
    assert_eq!(h["history"][1]["reason"], "LDL-C 5.2 mmol/L，颈动脉斑块");
}
crate::register!(a_risk_tier_plans_post_checkup_follow_up_and_a_new_tier_re_plans_it);

/// Batch enrolment (批量入组): one transaction; patients who cannot join are skipped with a
/// reason; a bad protocol or a patient outside the department fails the whole request and
/// writes nothing.
pub async fn patients_are_enrolled_in_batches_with_skips_reported(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let mut ids = Vec::new();
    for (seq, name) in (21..).zip(["甲一", "乙二", "丙三", "丁四"]) {
        ids.push(app.enrol_simple(&nurse, name, seq).await);
    }
    let (a, b, c, d) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let endo = app
        .enrol(
            &admin,
            json!({"name": "戊五", "id_number": crate::helpers::id_number("1955-02-02", false, 25),
                   "phone": "13900002222", "department": "endo"}),
        )
        .await;
    let (_, single) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{b}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let per_plan = single["tasks"].as_array().unwrap().len();

    let batch = |body: Value| {
        let nurse = nurse.clone();
        let app = &app;
        async move { app.post(Some(&nurse), "/api/v1/plans/batch", &body).await }
    };
    let (status, out) = batch(json!({"protocol": "htn-basic-ph", "patient_ids": [a, b, c, a]})).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let enrolled: Vec<&str> = out["enrolled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(enrolled, [a.as_str(), c.as_str()], "in order, repeats once");
    assert!(
        out["enrolled"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tasks"] == per_plan)
    );
    assert_eq!(out["skipped"], json!([{"patient_id": b, "reason": "already_enrolled"}]));
    assert_eq!(out["protocol_version"], 1);
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{c}/plans")).await;
    assert_eq!(plans.as_array().unwrap().len(), 1);

    // Checked as a whole: nothing is written when one entry is wrong.
    let (status, err) = batch(json!({"protocol": "htn-basic-ph", "patient_ids": [d, endo]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(
        (err["error"]["field"].as_str(), err["error"]["code"].as_str()),
        (Some("patient_ids[1]"), Some("patient_unknown"))
    );
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{d}/plans")).await;
    assert_eq!(plans, json!([]), "the valid patient was not enrolled either");
    for (body, field, code) in [
        (
            json!({"protocol": "nope", "patient_ids": [d]}),
            "protocol",
            "protocol_unknown",
        ),
        (
            json!({"protocol": "htn-basic-ph", "patient_ids": []}),
            "patient_ids",
            "required",
        ),
        (
            json!({"protocol": "htn-basic-ph", "patient_ids": [d], "anchor_date": "2026-13-01"}),
            "anchor_date",
            "date_invalid",
        ),
    ] {
        let (status, err) = batch(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["field"], field, "{err}");
        if code != "date_invalid" {
            assert_eq!(err["error"]["code"], code, "{err}");
        }
    }
    let many: Vec<String> = (0..1001).map(|i| format!("00000000-0000-7000-8000-{i:012}")).collect();
    let (status, err) = batch(json!({"protocol": "htn-basic-ph", "patient_ids": many})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many"))
    );
    let (status, out) = batch(json!({"protocol": "post-checkup", "patient_ids": [d]})).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        out["skipped"],
        json!([{"patient_id": d, "reason": "risk_tier_missing"}])
    );
}
crate::register!(patients_are_enrolled_in_batches_with_skips_reported);

/// A step assigned round-robin within the health-manager role (健康管理师) goes to the
/// department's health managers — spread over them, never to a nurse.
pub async fn round_robin_steps_go_to_the_role_they_name(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let hm1 = app.user("hm.one", "health_manager", Some("cardio")).await;
    let hm2 = app.user("hm.two", "health_manager", Some("cardio")).await;
    let (_, mut doc) = app.get(Some(&admin), "/api/v1/protocols/htn-basic-ph").await;
    doc["id"] = json!("hm-monthly");
    doc["version"] = json!(1);
    doc["trigger"] = json!({"kind": "manual"});
    doc["condition"] = Value::Null;
    doc["steps"][0]["every"] = json!("P1M");
    doc["steps"][0]["offset"] = json!("P1M");
    doc["steps"][0]["assignee"] = json!({"rule": "round_robin", "role": "health_manager"});
    let (status, out) = app.post(Some(&admin), "/api/v1/protocols", &doc).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let mut total = 0;
    for seq in 51..54 {
        let patient = app.enrol_simple(&nurse, "冯七", seq).await;
        let (status, plan) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/plans"),
                &json!({"protocol": "hm-monthly"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        total += plan["tasks"].as_array().unwrap().len();
    }
    let app = &app;
    let count = |token: String| async move {
        let (_, mine) = app.get(Some(&token), "/api/v1/tasks?assignee=me&per_page=1").await;
        mine["total"].as_u64().unwrap() as usize
    };
    let (one, two, nurse_own) = (count(hm1).await, count(hm2).await, count(nurse).await);
    assert_eq!(nurse_own, 0, "no step of this protocol is a nurse's");
    assert_eq!(one + two, total);
    assert!(one.abs_diff(two) <= 3, "spread over both: {one} / {two}");

    // A check-up centre with health managers and no nurses: they take the nurses' steps.
    app.department("checkup").await;
    let hm = app.user("hm.chen", "health_manager", Some("checkup")).await;
    let patient = app
        .enrol(
            &admin,
            json!({"name": "沈十三", "id_number": crate::helpers::id_number("1966-03-03", true, 58),
                   "phone": "13900004444", "department": "checkup"}),
        )
        .await;
    let (status, plan) = app
        .post(
            Some(&hm),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-discharge-surgery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let calls = plan["tasks"].as_array().unwrap().len();
    assert_eq!(count(hm).await, calls, "every step is the health manager's: {plan}");
}
crate::register!(round_robin_steps_go_to_the_role_they_name);
