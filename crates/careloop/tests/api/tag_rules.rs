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

/// Tag rules on screen (admins): the rules with their patients; a new rule tried first (the
/// numbers shown, nothing stored), refused with the reason under its field when it cannot
/// compile (what was typed kept), then saved and applied; a rule opened for a change.
pub async fn an_admin_tries_and_saves_a_tag_rule_on_screen(app: TestApp) {
    use crate::ui::{browser, csrf_of, page};
    let (_, nurse) = app.admin_and_nurse().await;
    let high = app.enrol_simple(&nurse, "血脂高", 51).await;
    let normal = app.enrol_simple(&nurse, "血脂正常", 52).await;
    value(&app, &nurse, &high, "ldl", 4.6).await;
    value(&app, &nurse, &normal, "ldl", 2.9).await;

    let nurse_ui = browser(&app, "nurse.wang").await;
    assert_eq!(page(&nurse_ui, &app, "/tag-rules").await.0, StatusCode::FORBIDDEN);
    let client = browser(&app, "admin").await;
    let (status, html) = page(&client, &app, "/tag-rules").await;
    assert_eq!(status, StatusCode::OK);
    for builtin in ["rule-hypertension", "rule-raised-bp", "rule-central-obesity"] {
        assert!(html.contains(builtin), "{builtin}");
    }
    let csrf = csrf_of(&html);
    let submit = |action: &'static str, id: &'static str, when: &'static str| {
        let form = [
            ("csrf", csrf.clone()),
            ("action", action.to_string()),
            ("id", id.to_string()),
            ("tag", "血脂异常".to_string()),
            (
                "description_zh",
                "LDL-C ≥4.1 mmol/L（中国血脂管理指南 2023）".to_string(),
            ),
            ("when", when.to_string()),
        ];
        let client = client.clone();
        let url = app.url("/tag-rules");
        async move { client.post(url).form(&form).send().await.unwrap() }
    };

    let res = submit("dry_run", "high-ldl", "latest.ldl >= 4.1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let tried = crate::helpers::section(&html, "rule-form");
    let cell = |label: &str| {
        let at = tried
            .find(&format!("<td>{label}</td>"))
            .unwrap_or_else(|| panic!("{label}: {tried}"));
        tried[at..]
            .split("<td class=\"num\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        [
            cell("评估患者"),
            cell("符合条件"),
            cell("将新增标签"),
            cell("将移除标签")
        ],
        ["2", "1", "1", "0"]
    );
    assert!(tags(&app, &nurse, &high).await.is_empty(), "a dry run stores nothing");

    let res = submit("dry_run", "high-ldl", "latest.ldl >=").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let form = crate::helpers::section(&html, "rule-form");
    assert!(form.contains("class=\"invalid\""), "the condition is marked: {form}");
    assert!(
        form.contains("latest.ldl &#62;=") || form.contains("latest.ldl &gt;="),
        "what was typed is kept: {form}"
    );
    assert!(!form.contains("id=\"dry-run\""));
    let res = submit("save", "High LDL", "latest.ldl >= 4.1").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("规则编号应为小写字母、数字或-"));

    let res = submit("save", "high-ldl", "latest.ldl >= 4.1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(crate::helpers::section(&html, "saved").contains("新增 1 人"), "{html}");
    let row = crate::helpers::section(&html, "rules");
    let at = row.find("id=\"rule-high-ldl\"").expect("the new rule is listed");
    assert!(
        row[at..].contains("<td class=\"num\">1</td>"),
        "one patient carries it: {row}"
    );
    assert!(has(&tags(&app, &nurse, &high).await, "血脂异常", "rule"));
    assert!(tags(&app, &nurse, &normal).await.is_empty());

    let (status, html) = page(&client, &app, "/tag-rules?edit=high-ldl").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("修改规则") && html.contains("value=\"high-ldl\""),
        "the rule opens for a change"
    );
    assert_eq!(
        page(&client, &app, "/tag-rules?edit=nope").await.0,
        StatusCode::NOT_FOUND
    );
    let res = client
        .post(app.url("/tag-rules"))
        .form(&[("action", "save"), ("id", "x"), ("tag", "x"), ("when", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
}
crate::register!(an_admin_tries_and_saves_a_tag_rule_on_screen);
