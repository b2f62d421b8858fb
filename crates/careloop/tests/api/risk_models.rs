//! Risk models and classifications through the API, as a check-up centre's staff call them.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

pub async fn risk_models_and_classifications_through_the_api(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let man = json!({"sex": "male", "age": 60, "sbp": 130, "bp_treated": false,
        "total_cholesterol": {"value": 210, "unit": "mg/dL"}, "hdl_cholesterol": {"value": 55, "unit": "mg/dL"},
        "waist_cm": 80, "smoker": false, "diabetes": true, "region": "north", "urban": true, "family_history_ascvd": false});
    let (status, _) = app.post(None, "/api/v1/risk/china-par", &man).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, r) = app.post(Some(&nurse), "/api/v1/risk/china-par", &man).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let value = r["value"].as_f64().unwrap();
    assert!((value - 11.0).abs() <= 0.3, "the paper's worked example: {value}");
    assert_eq!(r["category"], "high");
    assert!(r["constants"].as_str().unwrap().contains("T/JPMA 024-2024"));
    assert!(
        r["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["input"] == "family_history_ascvd")
    );

    let mut partial = man.clone();
    partial.as_object_mut().unwrap().remove("hdl_cholesterol");
    let (_, r) = app.post(Some(&nurse), "/api/v1/risk/china-par", &partial).await;
    assert_eq!(
        (r["value"].clone(), r["missing"][0].as_str()),
        (json!(null), Some("hdl_cholesterol"))
    );

    let mut bad_unit = man.clone();
    bad_unit["total_cholesterol"]["unit"] = json!("g/L");
    let (status, err) = app.post(Some(&nurse), "/api/v1/risk/china-par", &bad_unit).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["error"]["field"].as_str().unwrap().starts_with("total_cholesterol"),
        "{err}"
    );
    let (status, err) = app
        .post(
            Some(&nurse),
            "/api/v1/risk/pce",
            &json!({"sex": "male", "race": "white", "age": 30,
        "total_cholesterol": {"value": 5.5, "unit": "mmol/L"}, "hdl_cholesterol": {"value": 1.3, "unit": "mmol/L"},
        "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("age")),
        "{err}"
    );
    let (status, err) = app.post(Some(&nurse), "/api/v1/risk/framingham", &man).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("model_unknown"))
    );

    let (status, r) = app
        .post(
            Some(&nurse),
            "/api/v1/risk/findrisc",
            &json!({"sex": "female", "age": 58, "bmi": 27, "waist_cm": 90,
            "physically_active_daily": false, "vegetables_daily": true, "bp_medication": true,
            "high_glucose_history": false, "family_history_diabetes": "second_degree"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // 3 + 1 + 4 + 2 + 0 + 2 + 0 + 3
    assert_eq!(
        (r["score"].as_f64(), r["category"].as_str()),
        (Some(15.0), Some("high"))
    );

    let (status, c) = app
        .post(
            Some(&nurse),
            "/api/v1/classify",
            &json!({"sbp": 150, "dbp": 100, "bmi": 24, "waist_cm": 86, "sex": "female",
            "tc": 6.2, "ldl": 2.5, "hdl": 0.9, "tg": 1.8, "fpg": 6.5, "ogtt_2h": 8.0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let codes: Vec<&str> = ["bp", "bmi", "waist", "glucose", "tc", "ldl", "hdl", "tg"]
        .iter()
        .map(|k| c[*k]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "grade_2",
            "overweight",
            "central_obesity",
            "ifg_igt",
            "high",
            "ideal",
            "low",
            "borderline_high"
        ]
    );
    let (status, err) = app.post(Some(&nurse), "/api/v1/classify", &json!({"sbp": 150})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("dbp"))
    );
    let (status, _) = app.post(Some(&nurse), "/api/v1/classify", &json!({"weight": 70})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused");
}
crate::register!(risk_models_and_classifications_through_the_api);
