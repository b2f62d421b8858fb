use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

pub async fn the_health_record_round_trips(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{id}/health-record");
    let (status, empty) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["past_history"], json!(null));
    let record = json!({"past_history": "高血压10年", "family_history": "父亲脑卒中", "allergies": "青霉素",
        "medications": "氨氯地平 5mg qd", "smoking": "current", "alcohol": "occasional", "exercise": "none",
        "diet": "偏咸", "sleep": "一般"});
    let (status, saved) = app.put(Some(&nurse), &path, &record).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, read) = app.get(Some(&nurse), &path).await;
    for key in ["past_history", "allergies", "smoking", "sleep"] {
        assert_eq!(read[key], record[key], "{key}");
    }
    assert!(read["updated_at"].is_string());
    let (status, res) = app.put(Some(&nurse), &path, &json!({"smoking": "sometimes"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "smoking");
    let (_, still) = app.get(Some(&nurse), &path).await;
    assert_eq!(still["smoking"], "current");
}
crate::register!(the_health_record_round_trips);

pub async fn diagnoses_are_added_and_listed(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let path = format!("/api/v1/patients/{id}/diagnoses");
    let (status, d) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"icd10_code": "I10.x00", "name": "原发性高血压", "diagnosed_on": "2020-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    app.post(
        Some(&nurse),
        &path,
        &json!({"icd10_code": "E11.900", "name": "2型糖尿病"}),
    )
    .await;
    let (status, res) = app
        .post(Some(&nurse), &path, &json!({"icd10_code": "hypertension", "name": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "icd10_code");
    let (_, list) = app.get(Some(&nurse), &path).await;
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["icd10_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["I10.x00", "E11.900"]);
    assert_eq!(list[0]["diagnosed_on"], "2020-03-01");
}
crate::register!(diagnoses_are_added_and_listed);
