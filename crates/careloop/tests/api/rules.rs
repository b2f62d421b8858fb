//! Outcome rules (CEL) on signed visits, and the dry run over stored visits.

use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn discharged(app: &TestApp, nurse: &str, name: &str, seq: u32) -> Value {
    let patient = app.enrol_simple(nurse, name, seq).await;
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-discharge-surgery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan
}

async fn call(app: &TestApp, nurse: &str, plan: &Value, answers: Value) -> Value {
    let task = plan["tasks"][0]["id"].as_str().unwrap();
    let (status, out) = app
        .post(
            Some(nurse),
            &format!("/api/v1/tasks/{task}/records"),
            &json!({"contact_result": "reached", "answers": answers}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    out
}

fn rfc3339(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
}

pub async fn outcome_rules_raise_alerts_referrals_and_earlier_follow_ups(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let plan = discharged(&app, &nurse, "张伤口", 1).await;
    let out = call(
        &app,
        &nurse,
        &plan,
        json!({"temperature": "38.9", "wound": "红肿、渗液", "pain": "3"}),
    )
    .await;
    assert_eq!(out["matched_rules"], json!(["fever", "wound-problem"]));
    assert_eq!(out["referral"], true, "the wound rule calls for a referral");
    let alerts = out["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2, "{out}");
    assert!(
        alerts
            .iter()
            .all(|a| a["severity"] == "severe" && a["owner_role"] == "doctor")
    );
    assert_eq!(
        alerts[0]["reason"], "出院后体温≥38.5℃，请医生评估感染风险（随访方案规则）",
        "the rule's own words, no rule id on a Chinese page (the record keeps matched_rules)"
    );
    assert_eq!(out["next_task"]["step"], "F3", "within three days: {out}");
    assert!(rfc3339(&out["next_task"]["deadline"]) - now() <= time::Duration::days(4));
    let (_, tasks) = app.get(Some(&nurse), "/api/v1/tasks?per_page=50").await;
    let (_, htn) = app.get(Some(&nurse), "/api/v1/tasks?protocol=htn-basic-ph").await;
    assert_eq!(htn["total"], 0, "the protocol filter: no hypertension plan here");
    let (_, pd) = app
        .get(
            Some(&nurse),
            "/api/v1/tasks?protocol=post-discharge-surgery&per_page=50",
        )
        .await;
    assert_eq!(pd["total"], tasks["total"]);
    assert!(tasks["items"].as_array().unwrap().iter().any(|t| t["step"] == "REF"));

    // A normal recovery fires nothing; a temperature staff type that is no number is refused.
    let calm = call(
        &app,
        &nurse,
        &discharged(&app, &nurse, "李平安", 2).await,
        json!({"temperature": "36.8", "pain": "2"}),
    )
    .await;
    assert_eq!(calm["matched_rules"], json!([]));
    assert_eq!(calm["alerts"], json!([]));
    assert_eq!(calm["referral"], false);
    let vague = discharged(&app, &nurse, "赵模糊", 3).await;
    let task = vague["tasks"][0]["id"].as_str().unwrap();
    let (status, err) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/tasks/{task}/records"),
            &json!({"contact_result": "reached", "answers": {"temperature": "有点烧"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "answers.temperature");
    let (_, task) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    assert_eq!(task["state"], "pending", "nothing signed: {task}");
}
crate::register!(outcome_rules_raise_alerts_referrals_and_earlier_follow_ups);

pub async fn a_rule_fires_beside_the_national_classification(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王依从", 1).await;
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let task = plan["tasks"][0]["id"].as_str().unwrap();
    let body = json!({"contact_result": "reached",
        "observations": [{"code": "sbp", "value": 128}, {"code": "dbp", "value": 78}],
        "answers": {"medication_adherence": "间断"}});
    let (status, out) = app
        .post(Some(&nurse), &format!("/api/v1/tasks/{task}/records"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["classification"], "controlled");
    assert_eq!(out["matched_rules"], json!(["poor-adherence"]));
    assert_eq!(out["alerts"][0]["severity"], "mild");
    assert_eq!(out["alerts"][0]["owner_role"], "nurse");
    assert_eq!(
        out["next_task"]["id"], plan["tasks"][1]["id"],
        "a mild rule alert does not shorten the quarterly interval"
    );
}
crate::register!(a_rule_fires_beside_the_national_classification);

pub async fn a_dry_run_replays_candidate_rules_over_stored_visits(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    for (i, (name, answers)) in [
        ("甲", json!({"temperature": "38.9", "pain": "8"})),
        ("乙", json!({"temperature": "37.4", "pain": "3"})),
        ("丙", json!({"temperature": "37.0", "pain": "5"})),
    ]
    .into_iter()
    .enumerate()
    {
        let plan = discharged(&app, &nurse, &format!("患者{name}"), i as u32 + 1).await;
        let signed = call(&app, &nurse, &plan, answers).await;
        if i == 2 {
            // A visit corrected before answers were checked: its temperature is no number.
            let mut tx = app.db.begin().await.unwrap();
            let legacy = careloop_store::amendments::AmendmentRow {
                id: uuid::Uuid::now_v7(),
                record_id: signed["id"].as_str().unwrap().parse().unwrap(),
                reason: "旧版本录入".into(),
                note: None,
                answers: Some(careloop_store::Json(json!({"temperature": "有点烧", "pain": "5"}))),
                signed_by: None,
                signed_at: now(),
            };
            careloop_store::amendments::insert(&mut tx, &legacy).await.unwrap();
            tx.commit().await.unwrap();
        }
        if i == 1 {
            let tags = format!("/api/v1/patients/{}/tags", plan["patient_id"].as_str().unwrap());
            app.post(Some(&nurse), &tags, &json!({"tag": "独居老人"})).await;
        }
    }
    let (_, current) = app.get(Some(&admin), "/api/v1/protocols/post-discharge-surgery").await;
    let mut candidate = current.clone();
    candidate["rules"][0]["when"] = json!("has(answers.temperature) && double(answers.temperature) >= 37.3");
    candidate["rules"][2]["when"] = json!("has(answers.pain) && double(answers.pain) >= 5");
    candidate["rules"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "alone", "name_zh": "独居", "when": "'独居老人' in tags",
            "then": {"alert": {"severity": "mild", "reason_zh": "独居老人，请联系家属或社区"}}}));

    let (status, _) = app.post(Some(&nurse), "/api/v1/protocols/dry-run", &candidate).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "protocol authors are admins");
    let (status, run) = app.post(Some(&admin), "/api/v1/protocols/dry-run", &candidate).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["visits"], 3);
    let tally = |id: &str| {
        let r = run["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone();
        (r["matched"].as_u64().unwrap(), r["failed"].as_u64().unwrap())
    };
    assert_eq!(
        tally("fever"),
        (2, 1),
        "38.9 and 37.4 match; the unreadable one fails: {run}"
    );
    assert_eq!(tally("wound-problem"), (0, 0));
    assert_eq!(tally("severe-pain"), (2, 0), "8 and 5 at the candidate's threshold");
    assert_eq!(tally("alone"), (1, 0), "rules see the patient's tags");
    assert_eq!(run["alerts"], 5);
    assert_eq!(run["severe_alerts"], 2);
    assert_eq!(run["earlier_follow_ups"], 3);
    assert_eq!(run["examples"].as_array().unwrap().len(), 3);

    // The published rules, on the same visits: only the 38.9 fever and the pain of 8.
    let (_, published) = app.post(Some(&admin), "/api/v1/protocols/dry-run", &current).await;
    assert_eq!(published["alerts"], 2, "{published}");
    let (_, none) = app
        .post(
            Some(&admin),
            "/api/v1/protocols/dry-run?from=2000-01-01&to=2000-12-31",
            &current,
        )
        .await;
    assert_eq!(none["visits"], 0);

    // Nothing was stored.
    let (_, still) = app.get(Some(&admin), "/api/v1/protocols/post-discharge-surgery").await;
    assert_eq!(still["version"], 1);
    assert_eq!(still["rules"][0]["when"], current["rules"][0]["when"]);

    // A typo is caught with its place, before anything runs.
    let mut typo = current.clone();
    typo["rules"][1]["when"] = json!("has(answer.wound)");
    let (status, err) = app.post(Some(&admin), "/api/v1/protocols/dry-run", &typo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "rules[1].when");
    assert_eq!(err["error"]["code"], "rule_variable_unknown");
    let (status, err) = app.post(Some(&admin), "/api/v1/protocols", &typo).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "import checks rules too: {err}"
    );
}
crate::register!(a_dry_run_replays_candidate_rules_over_stored_visits);
