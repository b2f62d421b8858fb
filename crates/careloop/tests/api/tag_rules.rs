//! Tag rules (自动标签规则): tags follow the record, staff tags stay, a dry run counts gains and
//! losses before a rule is saved, and a rule's tag can enrol in a protocol.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

async fn tags(app: &TestApp, token: &str, patient: &str) -> Vec<(String, String)> {
    let (_, t) = app.get(Some(token), &format!("/api/v1/patients/{patient}/tags")).await;
    t.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tag"].as_str().unwrap().to_string(),
                t["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn value(app: &TestApp, token: &str, patient: &str, code: &str, v: f64) {
    let (status, r) = app
        .post(
            Some(token),
            &format!("/api/v1/patients/{patient}/observations"),
            &json!({"code": code, "value": v}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
}

fn has(t: &[(String, String)], tag: &str, source: &str) -> bool {
    t.iter().any(|(a, b)| a == tag && b == source)
}

pub async fn rule_tags_follow_the_record_and_staff_tags_stay(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, rules) = app.get(Some(&nurse), "/api/v1/tag-rules").await;
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "hypertension",
        "raised-bp",
        "prediabetes",
        "central-obesity",
        "high-risk-overdue",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }

    let a = app.enrol_simple(&nurse, "周大伟", 1).await;
    value(&app, &nurse, &a, "waist", 92.0).await;
    assert!(has(&tags(&app, &nurse, &a).await, "中心性肥胖", "rule"));
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{a}")).await;
    assert!(html.contains("中心性肥胖 ⚙"), "rule tags marked on the patient page");
    value(&app, &nurse, &a, "fpg", 6.4).await;
    assert!(has(&tags(&app, &nurse, &a).await, "糖尿病前期", "rule"));
    value(&app, &nurse, &a, "waist", 86.0).await;
    let t = tags(&app, &nurse, &a).await;
    assert!(
        !t.iter().any(|(tag, _)| tag == "中心性肥胖"),
        "taken off when it no longer holds: {t:?}"
    );
    assert!(has(&t, "糖尿病前期", "rule"));
    // A diagnosis of diabetes ends 糖尿病前期.
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{a}/diagnoses"),
            &json!({"icd10_code": "E11.9", "name": "2型糖尿病"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!tags(&app, &nurse, &a).await.iter().any(|(tag, _)| tag == "糖尿病前期"));

    let b = app.enrol_simple(&nurse, "吴国平", 2).await;
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{b}/tags"),
            &json!({"tag": "中心性肥胖"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    value(&app, &nurse, &b, "waist", 80.0).await;
    assert!(
        has(&tags(&app, &nurse, &b).await, "中心性肥胖", "manual"),
        "a staff tag is never removed by a rule"
    );

    // A new rule: dry run first, then save; its tag enrols through a tag-triggered protocol.
    let c = app.enrol_simple(&nurse, "郑海涛", 3).await;
    let d = app.enrol_simple(&nurse, "冯志明", 4).await;
    value(&app, &nurse, &c, "ua", 480.0).await;
    value(&app, &nurse, &d, "ua", 300.0).await;
    let (_, template) = app.get(Some(&admin), "/api/v1/protocols/post-discharge-surgery").await;
    let mut protocol = template.clone();
    protocol["id"] = json!("hyperuricaemia");
    protocol["trigger"] = json!({"kind": "tag", "tag": "高尿酸"});
    protocol["anchor"] = json!("enrolment");
    protocol["steps"] = json!([template["steps"][0].clone()]);
    protocol["steps"][0]["offset"] = json!("P7D");
    protocol["rules"] = json!([]);
    let (status, out) = app.post(Some(&admin), "/api/v1/protocols", &protocol).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let rule = json!({"id": "hyperuricaemia", "tag": "高尿酸", "description_zh": "血尿酸 >420 μmol/L", "when": "latest.ua > 420.0"});
    let (status, _) = app.post(Some(&nurse), "/api/v1/tag-rules/dry-run", &rule).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = app
        .post(
            Some(&admin),
            "/api/v1/tag-rules/dry-run",
            &json!({"id": "x", "tag": "x", "description_zh": "", "when": "visit.ua > 1.0"}),
        )
        .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("when"))
    );
    let (status, dry) = app.post(Some(&admin), "/api/v1/tag-rules/dry-run", &rule).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        (dry["evaluated"].as_u64(), dry["matching"].as_u64()),
        (Some(4), Some(1)),
        "{dry}"
    );
    assert_eq!(
        (dry["would_gain"].as_u64(), dry["would_lose"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(
        tags(&app, &nurse, &c).await.iter().all(|(t, _)| t != "高尿酸"),
        "a dry run stores nothing"
    );

    let (status, saved) = app.post(Some(&admin), "/api/v1/tag-rules", &rule).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!((saved["gained"].as_u64(), saved["lost"].as_u64()), (Some(1), Some(0)));
    assert!(has(&tags(&app, &nurse, &c).await, "高尿酸", "rule"));
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{c}/plans")).await;
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["protocol"] == "hyperuricaemia"),
        "{plans}"
    );
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{d}/plans")).await;
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["protocol"] != "hyperuricaemia")
    );

    // Saving again after a change shows who lost the tag.
    value(&app, &nurse, &c, "ua", 400.0).await;
    assert!(
        !tags(&app, &nurse, &c).await.iter().any(|(t, _)| t == "高尿酸"),
        "re-evaluated on new data"
    );
    let stricter = json!({"id": "hyperuricaemia", "tag": "高尿酸", "description_zh": "", "when": "latest.ua > 350.0"});
    let (_, dry) = app.post(Some(&admin), "/api/v1/tag-rules/dry-run", &stricter).await;
    assert_eq!(dry["would_gain"], 1, "{dry}");
}
crate::register!(rule_tags_follow_the_record_and_staff_tags_stay);

/// 高危未复诊: a high-risk patient whose follow-up the scheduler finds overdue gets the tag.
pub async fn high_risk_and_overdue_is_tagged_by_the_scheduler(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.wang", "doctor", Some("cardio")).await;
    let p = app.enrol_simple(&nurse, "钱卫东", 9).await;
    let (status, out) = app
        .post(
            Some(&doctor),
            &format!("/api/v1/patients/{p}/risk-tier"),
            &json!({"tier": "high", "reason": "体检多项重要异常"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["enrolled_in"], json!(["post-checkup"]));
    assert!(!tags(&app, &nurse, &p).await.iter().any(|(t, _)| t == "高危未复诊"));
    let later = crate::helpers::now() + time::Duration::days(20);
    careloop_service::followup::scheduler::tick(&app.db, later)
        .await
        .unwrap();
    assert!(has(&tags(&app, &nurse, &p).await, "高危未复诊", "rule"));
}
crate::register!(high_risk_and_overdue_is_tagged_by_the_scheduler);
