use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

pub async fn values_are_converted_to_canonical_units_and_flagged(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{id}/observations");
    let (status, res) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"code": "fpg", "value": 126, "unit": "mg/dL", "effective_at": "2026-11-01T08:00:00+08:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res[0]["value"], 6.99);
    assert_eq!(res[0]["unit"], "mmol/L");
    assert_eq!(res[0]["abnormal"], true);
    assert_eq!(res[0]["flag"], "high");
    let batch = json!([
        {"code": "8480-6", "value": 128, "effective_at": "2026-10-01"},
        {"code": "dbp", "value": 82, "unit": "mmHg", "effective_at": "2026-10-01"},
        {"code": "sbp", "value": 152, "effective_at": "2026-11-01T08:00:00Z"},
        {"code": "hdl", "value": 0.8}
    ]);
    let (status, res) = app.post(Some(&nurse), &path, &batch).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res.as_array().unwrap().len(), 4);
    assert_eq!(res[0]["code"], "sbp");
    assert_eq!(res[3]["flag"], "low");
    let (_, sbp) = app.get(Some(&nurse), &format!("{path}?code=sbp")).await;
    let values: Vec<f64> = sbp
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![152.0, 128.0], "newest first, only sbp");
    assert_eq!(sbp[0]["abnormal"], true);
    assert_eq!(sbp[1]["abnormal"], false);
    let (_, by_loinc) = app.get(Some(&nurse), &format!("{path}?code=8480-6")).await;
    assert_eq!(by_loinc, sbp);
    let (_, all) = app.get(Some(&nurse), &path).await;
    assert_eq!(all.as_array().unwrap().len(), 5);
}
crate::register!(values_are_converted_to_canonical_units_and_flagged);

pub async fn a_batch_is_stored_whole_or_not_at_all(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{id}/observations");
    let batch = json!([{"code": "sbp", "value": 120}, {"code": "fpg", "value": 5.5, "unit": "mmHg"}]);
    let (status, res) = app.post(Some(&nurse), &path, &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "[1].unit");
    assert_eq!(res["error"]["code"], "unit_mismatch");
    let (_, all) = app.get(Some(&nurse), &path).await;
    assert_eq!(all, json!([]));
}
crate::register!(a_batch_is_stored_whole_or_not_at_all);

pub async fn bad_codes_units_and_values_are_rejected_precisely(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{id}/observations");
    let cases = [
        (json!({"code": "glucose", "value": 5}), "code", "indicator_unknown"),
        (json!({"code": "sbp", "value": 1200}), "value", "value_implausible"),
        (json!({"code": "tc", "value": 5, "unit": "g"}), "unit", "unit_mismatch"),
        (
            json!({"code": "hr", "value": 70, "effective_at": "2099-01-01"}),
            "effective_at",
            "effective_at_in_future",
        ),
        (
            json!({"code": "hr", "value": 70, "effective_at": "yesterday"}),
            "effective_at",
            "datetime_invalid",
        ),
    ];
    for (body, field, code) in cases {
        let (status, res) = app.post(Some(&nurse), &path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(res["error"]["field"], field, "{body}");
        assert_eq!(res["error"]["code"], code, "{body}");
    }
    let (status, _) = app.get(Some(&nurse), &format!("{path}?code=nope")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
crate::register!(bad_codes_units_and_values_are_rejected_precisely);

/// Ten years of check-up values become trends: slope per year, direction, which way is worse,
/// abnormal points and runs of consecutive worsening; one indicator or all; unknown codes 422.
pub async fn ten_years_of_values_become_trends(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "卫十七", 71).await;
    let path = format!("/api/v1/patients/{id}/observations");
    let ldl = [2.9, 3.1, 3.0, 3.3, 3.6, 4.2, 3.8, 3.9, 4.1, 4.4];
    let batch: Vec<serde_json::Value> = ldl
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            let day = format!("{}-06-15", 2016 + i);
            [
                json!({"code": "ldl", "value": v, "effective_at": day}),
                json!({"code": "hdl", "value": 1.5 - 0.05 * i as f64, "effective_at": day}),
            ]
        })
        .collect();
    let (status, res) = app.post(Some(&nurse), &path, &json!(batch)).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");

    let (status, all) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}/trends")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let codes: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ldl", "hdl"], "catalogue order, only indicators with values");
    let ldl_trend = &all[0]["trend"];
    assert_eq!(ldl_trend["points"].as_array().unwrap().len(), 10);
    assert_eq!(ldl_trend["points"][0]["value"], 2.9, "oldest first");
    let slope = ldl_trend["slope_per_year"].as_f64().unwrap();
    assert!((0.14..0.17).contains(&slope), "{slope}");
    assert_eq!(
        (ldl_trend["direction"].as_str(), ldl_trend["worse_when"].as_str()),
        (Some("rising"), Some("rising"))
    );
    // The reference range is < 3.4 (the 2016 guideline's suitable level): 3.6 and every later value.
    assert_eq!(ldl_trend["abnormal_count"], 6);
    // 3.0 → 3.3 → 3.6 → 4.2 (indexes 2–5) and 3.8 → 3.9 → 4.1 → 4.4 (6–9).
    assert_eq!(
        ldl_trend["worsening_runs"],
        json!([{"first": 2, "last": 5}, {"first": 6, "last": 9}])
    );
    let hdl = &all[1]["trend"];
    assert_eq!(
        (hdl["direction"].as_str(), hdl["worse_when"].as_str()),
        (Some("falling"), Some("falling"))
    );
    assert_eq!(hdl["worsening_runs"], json!([{"first": 0, "last": 9}]));

    let (_, one) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{id}/trends?code=14646-4"))
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1, "by LOINC code too");
    let (status, err) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{id}/trends?code=xyz"))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code"))
    );

    // The patient page charts them (server-side SVG, prints as drawn) with a one-line summary.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{id}")).await;
    assert!(
        html.contains("历年指标趋势") && html.contains("aria-label=\"LDL cholesterol trend\""),
        "{html}"
    );
    assert!(html.contains("上升；异常 6 次 / 共 10 次；连续恶化 2 段"), "{html}");
    assert_eq!(
        html.matches("class=\"worsening\"").count(),
        3,
        "two LDL-C runs and one HDL-C run"
    );
}
crate::register!(ten_years_of_values_become_trends);

/// Reads that append an audit row keep answering while other staff write: each begins as a
/// writer, so on SQLite it queues for the write lock instead of failing to upgrade a read
/// (those reads answered 500 on most requests under two writers). Bounded: two writers and one
/// reader for two seconds on loopback.
pub async fn audited_reads_beside_writers_never_fail(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "并发读", 44).await;
    let stop_at = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let mut writers = Vec::new();
    for w in 0..2 {
        let (http, url, token) = (
            app.http.clone(),
            app.url(&format!("/api/v1/patients/{patient}/observations")),
            nurse.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut failed = 0;
            let mut n = 0;
            while std::time::Instant::now() < stop_at {
                let body = json!([{"code": "sbp", "value": 120 + w * 10 + n % 5}]);
                let res = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                if res.status().is_server_error() {
                    failed += 1;
                }
                n += 1;
            }
            (n, failed)
        }));
    }
    let reads = [
        (format!("/api/v1/patients/{patient}/proxies"), nurse.clone()),
        (
            format!("/api/v1/patients/{patient}/questionnaire-responses"),
            nurse.clone(),
        ),
        (format!("/api/v1/patients/{patient}/risk-tier"), nurse.clone()),
        ("/api/v1/stats/questionnaires".to_string(), admin.clone()),
    ];
    let (mut served, mut failures) = (0, Vec::new());
    while std::time::Instant::now() < stop_at {
        for (path, token) in &reads {
            let (status, body) = app.get(Some(token), path).await;
            served += 1;
            if status.is_server_error() {
                failures.push(format!("{path}: {status} {body}"));
            }
        }
    }
    let mut written = 0;
    for w in writers {
        let (n, failed) = w.await.unwrap();
        assert_eq!(failed, 0, "a write failed beside the reads");
        written += n;
    }
    assert!(
        served >= 8 && written >= 4,
        "the load ran: {served} reads, {written} writes"
    );
    assert!(
        failures.is_empty(),
        "{} of {served} reads failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
}
crate::register!(audited_reads_beside_writers_never_fail);
