//! The health report (健康报告): a period's profile, summary from the data, indicators with
//! trends, risk and tiers, advice — printable, masked, scoped, audited.

use crate::helpers::{TestApp, id_number, now};
use crate::ui::{browser, page};
use reqwest::StatusCode;
use serde_json::json;

/// A patient with two years of blood pressure and LDL-C, a hypertension diagnosis and a tier.
pub(crate) async fn reported_patient(app: &TestApp, nurse: &str) -> String {
    let idn = id_number("1958-04-12", true, 77);
    let p = app
        .enrol(
            nurse,
            json!({"name": "马国庆", "id_number": idn, "phone": "13911112222"}),
        )
        .await;
    let at = |days: i64| {
        (now() - time::Duration::days(days))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let values = json!([
        {"code": "sbp", "value": 158, "effective_at": at(300)}, {"code": "dbp", "value": 96, "effective_at": at(300)},
        {"code": "sbp", "value": 146, "effective_at": at(150)}, {"code": "dbp", "value": 90, "effective_at": at(150)},
        {"code": "sbp", "value": 134, "effective_at": at(20)}, {"code": "dbp", "value": 84, "effective_at": at(20)},
        {"code": "ldl", "value": 3.9, "effective_at": at(20)},
        {"code": "sbp", "value": 170, "effective_at": at(700)}, {"code": "dbp", "value": 100, "effective_at": at(700)}
    ]);
    let (status, r) = app
        .post(Some(nurse), &format!("/api/v1/patients/{p}/observations"), &values)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, _) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{p}/diagnoses"),
            &json!({"icd10_code": "I10", "name": "原发性高血压"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    p
}

pub async fn the_report_covers_its_period_from_the_data_only(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let p = reported_patient(&app, &nurse).await;
    // A PHQ-9 answered in the period: five items "several days" (1 point each) = 5, mild.
    let items: Vec<serde_json::Value> = [1, 1, 1, 1, 1, 0, 0, 0, 0]
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"linkId": format!("q{}", i + 1), "answer": [{"valueCoding": {"code": c.to_string()}}]}))
        .collect();
    let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": format!("Patient/{p}")}, "item": [{"linkId": "g", "item": items}]});
    let (status, out) = app
        .post(Some(&nurse), "/api/v1/questionnaires/phq-9/responses", &response)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let today = careloop_domain::clock::local_today(now());
    // A glycated haemoglobin taken at 00:30 Beijing time three days ago (the evening before in
    // UTC) is dated that Beijing day.
    let day = today - time::Duration::days(3);
    let (status, r) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{p}/observations"),
            &json!({"code": "hba1c", "value": 6.1, "effective_at": format!("{day}T00:30:00+08:00")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let client = browser(&app, "nurse.wang").await;
    let from = today - time::Duration::days(365);
    let (status, html) = page(&client, &app, &format!("/patients/{p}/report?from={from}&to={today}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("健康阶段总结") && html.contains("马国庆"));
    // Three of the four readings fall in the last year: the summary says so, with the change.
    assert!(html.contains("收缩压测量3次，从158 mmHg"), "{html}");
    assert!(html.contains("到134 mmHg") && html.contains("下降24 mmHg"), "{html}");
    assert!(html.contains("低密度脂蛋白胆固醇测量1次，为3.9 mmol/L"));
    let china_day = format!("{}年{}月{}日", day.year(), u8::from(day.month()), day.day());
    assert!(
        html.contains(&format!("糖化血红蛋白测量1次，为6.1 %（{china_day}）")),
        "dated in China time: {html}"
    );
    // Trends in clinical words, not slopes: three readings over 280 days, the last normal.
    let indicators = crate::helpers::section(&html, "indicators");
    assert!(indicators.contains("部分超出参考范围，总体呈下降趋势"), "{indicators}");
    assert!(
        indicators.contains("数据不足，暂不判断趋势"),
        "one LDL-C value: {indicators}"
    );
    assert!(
        !indicators.contains("/年") && !indicators.contains("平稳"),
        "{indicators}"
    );
    assert!(!html.contains("170"), "a reading before the period is not in it");
    assert!(html.contains("风险评估与分层") && html.contains("中国高血压防治指南 2018"));
    assert!(html.contains("结果为轻度抑郁"), "its band in Chinese: {html}");
    assert!(html.contains("<svg"), "trend charts");
    assert!(html.contains("健康建议") && html.contains("控制血压的饮食"));
    assert!(
        html.contains("@page") || html.contains("/static/report.css"),
        "print stylesheet"
    );
    assert!(
        !html.contains("13911112222") && html.contains("139****2222"),
        "identifiers masked"
    );
    assert!(!html.contains(&id_number("1958-04-12", true, 77)));

    let (status, _) = page(&client, &app, &format!("/patients/{p}/report?from={today}&to={from}")).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a period that ends before it starts"
    );
    let (status, css) = page(&client, &app, "/static/report.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("size: A4") && css.contains("counter(page)") && css.contains("WenQuanYi Micro Hei"));

    app.department("endo").await;
    app.user("nurse.li", "nurse", Some("endo")).await;
    let other = browser(&app, "nurse.li").await;
    let (status, _) = page(&other, &app, &format!("/patients/{p}/report")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another department's patient");
    let admin = app.user("auditor", "admin", None).await;
    let audit = app.audited(&admin, &p).await;
    assert!(audit.iter().any(|a| a == "report.read"), "{audit:?}");
}
crate::register!(the_report_covers_its_period_from_the_data_only);

/// The printed report names the current tier and each assessment as the worklist does
/// (高危 / 中危), not with a lab value's flag (偏高) or an empty cell.
pub async fn the_report_names_each_tier_in_words(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.li", "doctor", Some("cardio")).await;
    let p = reported_patient(&app, &nurse).await;
    let path = format!("/api/v1/patients/{p}/risk-tier");
    for tier in ["medium", "high"] {
        let body = json!({"tier": tier, "reason": "颈动脉斑块"});
        let (status, out) = app.post(Some(&doctor), &path, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
    }
    let client = browser(&app, "nurse.wang").await;
    let (status, html) = page(&client, &app, &format!("/patients/{p}/report")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("当前风险分层：<strong>高危</strong>"), "{html}");
    assert!(!html.contains("<strong>偏高</strong>"));
    assert!(
        html.contains("<td class=\"short\">中危</td><td>医生评估</td>"),
        "the earlier assessment is named too: {html}"
    );
}
crate::register!(the_report_names_each_tier_in_words);
