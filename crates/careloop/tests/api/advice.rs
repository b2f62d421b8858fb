//! Health advice (健康建议): the versioned library, articles matched to a patient with why,
//! shown on the staff patient page and the patient's own mobile page, HTML escaped.

use crate::helpers::TestApp;
use crate::ui::{browser, page};
use reqwest::StatusCode;
use serde_json::json;

pub async fn advice_is_matched_with_why_versioned_and_shown_to_staff_and_patient(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let doctor = app.user("dr.zhao", "doctor", Some("cardio")).await;
    let (_, library) = app.get(Some(&nurse), "/api/v1/advice").await;
    assert!(library.as_array().unwrap().len() >= 7, "{library}");

    let p = app.enrol_simple(&nurse, "黄建新", 5).await;
    let (_, none) = app.get(Some(&nurse), &format!("/api/v1/patients/{p}/advice")).await;
    assert_eq!(none.as_array().unwrap().len(), 0, "nothing on record, nothing advised");
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{p}/diagnoses"),
            &json!({"icd10_code": "I10", "name": "原发性高血压"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, matched) = app.get(Some(&nurse), &format!("/api/v1/patients/{p}/advice")).await;
    assert_eq!(status, StatusCode::OK, "{matched}");
    let htn = matched
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["article"]["id"] == "hypertension-diet")
        .expect("hypertension diet advice");
    let why: Vec<&str> = htn["why"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(why, ["标签：高血压", "诊断：I10"], "the rule's tag and the diagnosis");

    // A staff edit is a new version; a hostile body is shown as text.
    let doc = "---\nid: hypertension-diet\ntitle: 控制血压的饮食（第二版）\ncategory: diet\nsource: 中国高血压防治指南 2018\ntags: 高血压\n---\n**每天盐不超过 5 克**\n\n<script>alert(1)</script>\n";
    let send = |token: &str, body: &str| {
        app.http
            .post(app.url("/api/v1/advice"))
            .bearer_auth(token)
            .body(body.to_string())
    };
    let (status, _) = app.send(send(&nurse, doc), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nurses read advice, doctors write it");
    let (status, bad) = app
        .send(send(&doctor, "---\nid: x\ntitle: t\ncategory: food\n---\nbody"), None)
        .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("category"))
    );
    let (status, saved) = app.send(send(&doctor, doc), None).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["version"], 2);
    let (_, versions) = app.get(Some(&nurse), "/api/v1/advice/hypertension-diet/versions").await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(
        versions[1]["article"]["title"], "控制血压的饮食：少盐、多果蔬",
        "the first version is kept"
    );

    let client = browser(&app, "nurse.wang").await;
    let (status, html) = page(&client, &app, &format!("/patients/{p}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("健康建议") && html.contains("控制血压的饮食（第二版）"),
        "advice on the patient page"
    );
    assert!(
        html.contains("推荐理由：标签：高血压"),
        "with why (the second version is for the tag only)"
    );
    assert!(html.contains("<strong>每天盐不超过 5 克</strong>"), "Markdown rendered");
    assert!(
        !html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"),
        "raw HTML escaped"
    );

    let (status, link) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{p}/questionnaire-links"),
            &json!({"questionnaire": "htn-followup"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();
    let h5 = app
        .http
        .get(app.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        h5.contains("给您的健康建议") && h5.contains("控制血压的饮食（第二版）"),
        "advice on the patient's phone"
    );
    assert!(h5.contains("为什么给您：标签：高血压"));
    assert!(!h5.contains("<script>alert(1)</script>"));
}
crate::register!(advice_is_matched_with_why_versioned_and_shown_to_staff_and_patient);
