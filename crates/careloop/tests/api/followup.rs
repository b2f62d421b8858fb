use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn today() -> time::Date {
    careloop_domain::clock::local_today(now())
}

async fn user_id(app: &TestApp, admin: &str, username: &str) -> String {
    let (_, users) = app.get(Some(admin), "/api/v1/users").await;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn states(plan: &Value) -> Vec<(String, String)> {
    plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["step"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub async fn the_builtin_protocols_are_listed(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (status, list) = app.get(Some(&nurse), "/api/v1/protocols").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for id in ["htn-basic-ph", "t2dm-basic-ph", "post-discharge-surgery"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let htn = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "htn-basic-ph")
        .unwrap();
    assert!(htn["source"].as_str().unwrap().contains("国家基本公共卫生服务规范"));
}
crate::register!(the_builtin_protocols_are_listed);

pub async fn a_hypertension_plan_schedules_quarterly_calls_for_the_department_nurse(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let body = json!({"protocol": "htn-basic-ph", "anchor_date": today().to_string()});
    let (status, plan) = app
        .post(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    assert_eq!(plan["protocol_version"], 1);
    let tasks = plan["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 4, "quarterly over the first year: {plan}");
    let nurse_id = user_id(&app, &admin, "nurse.wang").await;
    assert!(
        tasks
            .iter()
            .all(|t| t["state"] == "pending" && t["assignee_id"] == nurse_id.as_str() && t["method"] == "phone_call")
    );
    let first_due = time::OffsetDateTime::parse(
        tasks[0]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let gap = first_due.to_offset(careloop_domain::clock::CHINA).date() - today();
    assert!(
        (Duration::days(89)..=Duration::days(92)).contains(&gap),
        "first call about three months out: {gap}"
    );
    let (_, mine) = app.get(Some(&nurse), "/api/v1/tasks?assignee=me").await;
    assert_eq!(mine["total"], 4);
    let (_, audit) = app
        .get(Some(&admin), &format!("/api/v1/audit-events?patient_id={patient}"))
        .await;
    assert_eq!(audit["items"][0]["action"], "plan.create");
}
crate::register!(a_hypertension_plan_schedules_quarterly_calls_for_the_department_nurse);

pub async fn a_past_discharge_makes_tasks_due_or_overdue_through_the_state_machine(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let anchor = today() - Duration::days(20);
    let body = json!({"protocol": "post-discharge-surgery", "anchor_date": anchor.to_string()});
    let (status, plan) = app
        .post(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let expected: Vec<(String, String)> = [("D3", "overdue"), ("D7", "overdue"), ("D30", "pending")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(states(&plan), expected);
    let (_, overdue) = app.get(Some(&nurse), "/api/v1/tasks?assignee=me&status=overdue").await;
    assert_eq!(overdue["total"], 2);
    let (_, before) = app
        .get(Some(&nurse), &format!("/api/v1/tasks?due_before={}", today()))
        .await;
    assert_eq!(before["total"], 2, "due_before takes a date");
    let d3: uuid::Uuid = plan["tasks"][0]["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let log = careloop_store::plans::transitions_of_task(&mut tx, d3).await.unwrap();
    let events: Vec<&str> = log.iter().map(|t| t.event.as_str()).collect();
    assert_eq!(events, ["created", "window_opened", "deadline_passed"]);
    assert_eq!(log.last().unwrap().to_state, "overdue");
}
crate::register!(a_past_discharge_makes_tasks_due_or_overdue_through_the_state_machine);

pub async fn plan_requests_are_validated_and_scoped(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let endo_nurse = app.user("nurse.zhang", "nurse", Some("endo")).await;
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{patient}/plans");
    let (status, res) = app
        .post(Some(&nurse), &path, &json!({"protocol": "no-such-protocol"}))
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("protocol"))
    );
    let (status, res) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"protocol": "htn-basic-ph", "anchor_date": "2026-02-30"}),
        )
        .await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("anchor_date"))
    );
    let (status, _) = app
        .post(Some(&endo_nurse), &path, &json!({"protocol": "htn-basic-ph"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, res) = app.get(Some(&nurse), "/api/v1/tasks?status=later").await;
    assert_eq!(
        (status, res["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status"))
    );
    app.post(Some(&nurse), &path, &json!({"protocol": "htn-basic-ph"}))
        .await;
    let (_, theirs) = app.get(Some(&endo_nurse), "/api/v1/tasks").await;
    assert_eq!(theirs["total"], 0, "another department's tasks are not visible");
}
crate::register!(plan_requests_are_validated_and_scoped);

fn rfc3339(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
}

async fn task_states(app: &TestApp, token: &str) -> Vec<String> {
    let (_, page) = app.get(Some(token), "/api/v1/tasks?per_page=50").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap().to_string())
        .collect()
}

pub async fn the_scheduler_opens_windows_and_marks_overdue_exactly_once(app: TestApp) {
    use careloop_service::followup::scheduler::{TickOutcome, tick};
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let first = &plan["tasks"][0];
    let (due, deadline) = (rfc3339(&first["due_at"]), rfc3339(&first["deadline"]));
    assert_eq!(
        tick(&app.db, now()).await.unwrap(),
        TickOutcome::default(),
        "nothing is due yet"
    );
    let opened = tick(&app.db, due + Duration::hours(1)).await.unwrap();
    assert_eq!(
        opened,
        TickOutcome {
            opened: 1,
            overdue: 0,
            escalated: 0,
            ..TickOutcome::default()
        }
    );
    assert_eq!(
        tick(&app.db, due + Duration::hours(1)).await.unwrap(),
        TickOutcome::default(),
        "a second pass changes nothing"
    );
    assert_eq!(
        task_states(&app, &nurse).await,
        ["due", "pending", "pending", "pending"]
    );
    let late = tick(&app.db, deadline + Duration::seconds(1)).await.unwrap();
    assert_eq!(
        late,
        TickOutcome {
            opened: 0,
            overdue: 1,
            escalated: 0,
            ..TickOutcome::default()
        }
    );
    assert_eq!(
        task_states(&app, &nurse).await,
        ["overdue", "pending", "pending", "pending"]
    );
    let id: uuid::Uuid = first["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let events: Vec<String> = careloop_store::plans::transitions_of_task(&mut tx, id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.event)
        .collect();
    assert_eq!(events, ["created", "window_opened", "deadline_passed"]);
}
crate::register!(the_scheduler_opens_windows_and_marks_overdue_exactly_once);

pub async fn a_year_of_daily_ticks_leaves_every_unworked_visit_overdue(app: TestApp) {
    use careloop_service::followup::scheduler::tick;
    let (_, nurse) = app.admin_and_nurse().await;
    for i in 0..3 {
        let patient = app.enrol_simple(&nurse, &format!("王{i}"), i).await;
        app.post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    }
    let (mut opened, mut overdue) = (0, 0);
    let start = now();
    for day in 1..=400 {
        let o = tick(&app.db, start + Duration::days(day)).await.unwrap();
        opened += o.opened;
        overdue += o.overdue;
    }
    assert_eq!(
        (opened, overdue),
        (12, 12),
        "four quarterly visits for each of three patients"
    );
    let total = |v: Value| v["total"].as_i64().unwrap();
    let (_, late) = app.get(Some(&nurse), "/api/v1/tasks?status=overdue").await;
    assert_eq!(total(late), 12, "every unworked visit of the first year is overdue");
    let (_, ahead) = app.get(Some(&nurse), "/api/v1/tasks?status=pending").await;
    assert_eq!(
        total(ahead),
        12,
        "the second year was scheduled before the first ran out"
    );
    // The scheduler was off for a while: one pass catches up and keeps the plans ahead.
    let o = tick(&app.db, start + Duration::days(800)).await.unwrap();
    assert_eq!(o.overdue, 12, "the second year's visits");
    assert_eq!(o.extended, 12, "the third year's four visits each");
    let (_, ahead) = app.get(Some(&nurse), "/api/v1/tasks?status=pending").await;
    assert_eq!(total(ahead), 12);
}
crate::register!(a_year_of_daily_ticks_leaves_every_unworked_visit_overdue);

pub async fn careloop_tick_runs_a_pass_as_of_the_given_instant(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-discharge-surgery"}),
        )
        .await;
    let at = rfc3339(&plan["tasks"][0]["due_at"]) + Duration::hours(2);
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_careloop"))
        .args(["tick", "--now", &at])
        .env("CARELOOP_DATABASE_URL", &app.db_url)
        .env("CARELOOP_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 task(s) opened, 0 overdue"), "{stdout}");
    assert_eq!(task_states(&app, &nurse).await, ["due", "pending", "pending"]);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_careloop"))
        .args(["tick", "--now", "tomorrow"])
        .env("CARELOOP_DATABASE_URL", &app.db_url)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}
crate::register!(careloop_tick_runs_a_pass_as_of_the_given_instant);

pub async fn protocols_are_imported_as_new_versions_and_running_plans_keep_theirs(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (status, v1) = app.get(Some(&nurse), "/api/v1/protocols/htn-basic-ph").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1["version"], 1);
    let patient = app.enrol_simple(&nurse, "王一", 1).await;
    let plans_path = format!("/api/v1/patients/{patient}/plans");
    let (_, old_plan) = app
        .post(Some(&nurse), &plans_path, &json!({"protocol": "htn-basic-ph"}))
        .await;

    let (status, _) = app.post(Some(&nurse), "/api/v1/protocols", &v1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "protocols are changed by admins");
    let (status, same) = app.post(Some(&admin), "/api/v1/protocols", &v1).await;
    assert_eq!(status, StatusCode::OK, "an identical document is not a new version");
    assert_eq!(same["version"], 1);

    let mut changed = v1.clone();
    changed["steps"][0]["window"] = json!("P21D");
    let (status, v2) = app.post(Some(&admin), "/api/v1/protocols", &changed).await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, again) = app.get(Some(&nurse), "/api/v1/protocols/htn-basic-ph?version=1").await;
    assert_eq!(again["steps"][0]["window"], "P14D", "version 1 is kept as it was");

    let (status, err) = app
        .post(Some(&nurse), &plans_path, &json!({"protocol": "htn-basic-ph"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one running plan per protocol: {err}");
    let second = app.enrol_simple(&nurse, "王二", 2).await;
    let (_, new_plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{second}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    assert_eq!(new_plan["protocol_version"], 2);
    let window = |plan: &Value| rfc3339(&plan["tasks"][0]["deadline"]) - rfc3339(&plan["tasks"][0]["due_at"]);
    assert_eq!(window(&new_plan), Duration::days(21));
    let (_, plans) = app.get(Some(&nurse), &plans_path).await;
    let old = plans
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == old_plan["id"])
        .unwrap();
    assert_eq!(old["protocol_version"], 1, "a running plan keeps its version");
    assert_eq!(window(old), Duration::days(14));

    let mut bad = v1.clone();
    bad["steps"][0]["offset"] = json!("3 months");
    let (status, err) = app.post(Some(&admin), "/api/v1/protocols", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "steps[0].offset");

    // A new protocol from a file, through the CLI; the server numbers it from 1.
    let mut custom = v1.clone();
    custom["id"] = json!("htn-community-east");
    custom["version"] = json!(7);
    let file = std::env::temp_dir().join(format!("protocol-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, custom.to_string()).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_careloop"))
            .args(args)
            .env("CARELOOP_DATABASE_URL", &app.db_url)
            .env("CARELOOP_LOG", "warn")
            // A misspelt variable makes the command warn: the warning goes to standard error,
            // never into the JSON it prints.
            .env("CARELOOP_NOT_A_SETTING", "1")
            .output()
            .unwrap()
    };
    let out = run(&["protocol", "import", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("version 1"));
    let out = run(&["protocol", "export", "htn-community-east"]);
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(exported["version"], 1);
    assert_eq!(exported["steps"], custom["steps"], "exported as imported");
}
crate::register!(protocols_are_imported_as_new_versions_and_running_plans_keep_theirs);

/// Two scheduler passes claiming due tasks at the same moment never hold the same task: on
/// PostgreSQL the second skips the rows the first has locked (`FOR UPDATE SKIP LOCKED`) and
/// takes the rest at once; on SQLite the second waits for the first's transaction to end.
pub async fn two_claims_at_once_never_share_a_task(app: TestApp) {
    use careloop_store::plans::claim_to_advance;
    let (_, nurse) = app.admin_and_nurse().await;
    let mut first_due = Vec::new();
    for n in 0..6 {
        let patient = app.enrol_simple(&nurse, &format!("认领{n}"), 60 + n).await;
        let (status, plan) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/plans"),
                &json!({"protocol": "post-discharge-surgery"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        first_due.push(rfc3339(&plan["tasks"][0]["due_at"]));
    }
    let at = *first_due.iter().max().unwrap() + Duration::hours(1);

    let claim: crate::helpers::Claim = |tx, at, limit| {
        Box::pin(async move {
            let rows = claim_to_advance(tx, at, limit).await.unwrap();
            rows.iter().map(|t| t.id).collect()
        })
    };
    crate::helpers::claims_at_once_never_overlap(&app, at, claim, 2, 4).await;
}
crate::register!(two_claims_at_once_never_share_a_task);
