//! Questionnaires as FHIR R4: import and export unchanged, responses checked item by item,
//! scored and banded, alerts from PHQ-9 item 9, partial saves resumed.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SDC_Q: &str =
    include_str!("../../../domain/testdata/hl7-sdc-questionnaires/questionnaire-sdc-profile-example-PHQ9.json");
const SDC_R: &str =
    include_str!("../../../domain/testdata/hl7-sdc-questionnaires/questionnaireresponse-sdc-profile-example-PHQ9.json");

pub(crate) async fn post_text(app: &TestApp, token: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url(path))
        .header("content-type", "application/fhir+json")
        .body(body.to_string());
    app.send(req, Some(token)).await
}

/// A completed response to a built-in (`q1`..`qN` in group `g`) for `patient`.
fn answers(patient: &str, codes: &[u8], status: &str) -> Value {
    let items: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"linkId": format!("q{}", i + 1), "answer": [{"valueCoding": {"code": c.to_string()}}]}))
        .collect();
    json!({"resourceType": "QuestionnaireResponse", "status": status,
           "subject": {"reference": format!("Patient/{patient}")}, "item": [{"linkId": "g", "item": items}]})
}

pub async fn the_sdc_phq9_example_imports_unchanged_and_its_response_scores_and_alerts(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (status, _) = post_text(&app, &nurse, "/api/v1/questionnaires", SDC_Q).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "questionnaires are imported by admins");
    let (status, out) = post_text(&app, &admin, "/api/v1/questionnaires", SDC_Q).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["id"].as_str().unwrap().to_string();
    assert_eq!(
        (id.as_str(), out["version"].as_i64()),
        ("questionnaire-sdc-profile-example-phq9", Some(1))
    );
    let (status, again) = post_text(&app, &admin, "/api/v1/questionnaires", SDC_Q).await;
    assert_eq!(
        (status, again["version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "the same document is no new version"
    );

    let res = app
        .http
        .get(app.url(&format!("/api/v1/questionnaires/{id}")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/fhir+json; charset=utf-8");
    assert_eq!(
        res.text().await.unwrap(),
        SDC_Q.trim(),
        "exported byte for byte as imported"
    );

    let patient = app.enrol_simple(&nurse, "陈九", 61).await;
    let mut response: Value = serde_json::from_str(SDC_R).unwrap();
    response["subject"] = json!({"reference": format!("Patient/{patient}")});
    let (status, out) = post_text(
        &app,
        &nurse,
        &format!("/api/v1/questionnaires/{id}/responses"),
        &response.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        (out["score"].as_f64(), out["band"].as_str()),
        (Some(10.0), Some("moderate"))
    );
    assert_eq!(out["band_zh"], "中度抑郁");
    assert_eq!(
        out["warnings"].as_array().unwrap().len(),
        1,
        "the example's stated total (13) is not its sum"
    );
    let alerts = out["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{out}");
    assert_eq!(
        (alerts[0]["severity"].as_str(), alerts[0]["owner_role"].as_str()),
        (Some("severe"), Some("doctor"))
    );
    let (_, open) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    assert!(open.to_string().contains("PHQ-9 第9题"), "{open}");
}
crate::register!(the_sdc_phq9_example_imports_unchanged_and_its_response_scores_and_alerts);

pub async fn responses_are_checked_item_by_item_and_partial_saves_resume(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "褚十", 62).await;
    let path = "/api/v1/questionnaires/phq-9/responses";

    // Three problems, each reported on its item.
    let mut bad = answers(&patient, &[1, 1, 1, 1], "completed");
    bad["item"][0]["item"][0]["answer"][0]["valueCoding"]["code"] = json!("7");
    bad["item"][0]["item"][1]["answer"] = json!([{"valueString": "有时"}]);
    let (status, err) = post_text(&app, &nurse, path, &bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "response_invalid");
    let items: Vec<(String, String)> = err["error"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["link_id"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = |l: &str, c: &str| (l.to_string(), c.to_string());
    assert_eq!(items[0], want("q1", "not_an_option"));
    assert_eq!(
        items[1],
        want("q2", "not_an_option"),
        "free text where options are required"
    );
    assert!(items[2..].iter().all(|(_, c)| c == "required"), "{items:?}");
    assert_eq!(items.len(), 2 + 5, "q5..q9 unanswered");
    assert!(
        err["error"]["items"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("选项")
    );

    // A partial save, then the rest with the same id.
    let (status, part) = post_text(
        &app,
        &nurse,
        path,
        &answers(&patient, &[1, 2], "in-progress").to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{part}");
    assert_eq!(
        (part["status"].as_str(), part["score"].as_f64()),
        (Some("in-progress"), None)
    );
    assert_eq!(part["alerts"], json!([]));
    let mut rest = answers(&patient, &[3, 3, 3, 3, 3, 3, 3, 3, 0], "completed");
    rest["id"] = part["id"].clone();
    let (status, done) = post_text(&app, &nurse, path, &rest.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["id"], part["id"], "the same response, resumed");
    assert_eq!(
        (done["score"].as_f64(), done["band"].as_str()),
        (Some(24.0), Some("severe"))
    );
    let alerts = done["alerts"].as_array().unwrap();
    assert_eq!(
        alerts.len(),
        1,
        "severe total, item 9 at 0: the nurse, not the urgent path"
    );
    assert_eq!(alerts[0]["severity"], "mild");

    let (status, gad) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/gad-7/responses",
        &answers(&patient, &[1, 1, 1, 1, 1, 1, 0], "completed").to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{gad}");
    assert_eq!((gad["score"].as_f64(), gad["band"].as_str()), (Some(6.0), Some("mild")));

    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    let got: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["questionnaire"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("gad-7", "completed"), ("phq-9", "completed")], "{list}");
}
crate::register!(responses_are_checked_item_by_item_and_partial_saves_resume);

pub async fn responses_need_a_patient_of_your_department_and_a_known_questionnaire(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let other = app
        .enrol(
            &admin,
            json!({"name": "卫十一", "id_number": crate::helpers::id_number("1960-06-06", true, 63),
                   "phone": "13900003333", "department": "endo"}),
        )
        .await;
    let body = answers(&other, &[0; 9], "completed").to_string();
    let (status, _) = post_text(&app, &nurse, "/api/v1/questionnaires/phq-9/responses", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_text(&app, &nurse, "/api/v1/questionnaires/nope/responses", &body).await;
    assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));
    let mine = app.enrol_simple(&nurse, "蒋十二", 64).await;
    let (status, _) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/nope/responses",
        &answers(&mine, &[0; 9], "completed").to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut no_subject = answers(&mine, &[0; 9], "completed");
    no_subject["subject"] = json!({"reference": "Patient/x"});
    let (status, err) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/phq-9/responses",
        &no_subject.to_string(),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("subject"))
    );
    let (status, _) = post_text(&app, &nurse, "/api/v1/questionnaires/phq-9/responses", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, err) = post_text(&app, &admin, "/api/v1/questionnaires", r#"{"resourceType": "Patient"}"#).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("resourceType"))
    );
    let (_, list) = app.get(Some(&nurse), "/api/v1/questionnaires").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "gad-7",
            "htn-followup",
            "intake",
            "phq-9",
            "post-discharge-recovery",
            "satisfaction-inpatient",
            "satisfaction-outpatient",
            "t2dm-followup"
        ]
    );
}
crate::register!(responses_need_a_patient_of_your_department_and_a_known_questionnaire);

/// The patient's link: one patient, one questionnaire, large-type page without script; answers
/// are checked (the page shows what to fix and keeps what was chosen), scored, banded with plain
/// advice, alerts raised; the link is used up, tampered or expired links open nothing, and each
/// use is audited.
pub async fn a_patient_answers_phq9_from_a_link_on_their_phone(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "王建华", 65).await;
    let path = format!("/api/v1/patients/{patient}/questionnaire-links");
    let (status, err) = app.post(Some(&nurse), &path, &json!({"questionnaire": "nope"})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("questionnaire"))
    );
    let (status, link) = app.post(Some(&nurse), &path, &json!({"questionnaire": "phq-9"})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let url = link["url"].as_str().unwrap();
    let token = url.rsplit("/m/").next().unwrap().to_string();
    assert_eq!(token.len(), 22, "a short token (about 131 random bits): {url}");
    let page_path = format!("/m/{token}");

    let anonymous = reqwest::Client::new();
    let res = anonymous.get(app.url(&page_path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains("王先生您好") && !html.contains("王建华"),
        "a polite address, not the full name"
    );
    assert!(html.contains("有不如死掉或用某种方式伤害自己的念头"));
    assert!(html.contains("type=\"radio\" name=\"q9\" value=\"o3\""));
    assert!(!html.contains("<script"), "no script needed");

    let mut tampered = token.clone();
    tampered.replace_range(token.len() - 1.., if token.ends_with('0') { "1" } else { "0" });
    let res = anonymous.get(app.url(&format!("/m/{tampered}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("链接无效"));
    let res = anonymous.get(app.url("/m/../../etc")).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::OK);

    // Seven answered, two left out: the page says which and keeps the choices.
    let mut form: Vec<(String, String)> = (1..=7).map(|i| (format!("q{i}"), "o2".to_string())).collect();
    let res = anonymous.post(app.url(&page_path)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(html.matches("此题为必答题").count(), 2, "q8 and q9");
    assert!(html.contains("name=\"q1\" value=\"o2\" checked"), "choices kept");

    form.push(("q8".into(), "o0".into()));
    form.push(("q9".into(), "o1".into()));
    let res = anonymous.post(app.url(&page_path)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    // 7 × 2 + 0 + 1 = 15: moderately severe, and item 9 above 0.
    assert!(html.contains("中重度抑郁") && html.contains("15 分"), "{html}");
    assert!(html.contains("12356"), "the psychological help line for item 9");

    let res = anonymous.get(app.url(&page_path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE, "used up");
    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(
        (list[0]["answered_by"].as_str(), list[0]["score"].as_f64()),
        (Some("patient"), Some(15.0))
    );
    let (_, alerts) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    assert!(alerts.to_string().contains("PHQ-9 第9题"), "{alerts}");
    let (_, audit) = app
        .get(Some(&admin), &format!("/api/v1/audit-events?patient_id={patient}"))
        .await;
    let actions = audit.to_string();
    for a in ["patient_link.create", "patient_link.open", "patient_link.answer"] {
        assert!(actions.contains(a), "{a} audited");
    }
    assert!(
        !actions.contains("几乎每天") && !actions.contains("o2"),
        "no answers in the audit trail"
    );

    // A fresh link expires after seven days.
    let (_, link) = app.post(Some(&nurse), &path, &json!({"questionnaire": "gad-7"})).await;
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();
    let later = crate::helpers::now() + time::Duration::days(8);
    let err = careloop_service::questionnaires::links::open(&app.db, &token, None, later)
        .await
        .unwrap_err();
    assert!(matches!(err, careloop_service::ServiceError::LinkExpired), "{err:?}");
    assert!(
        careloop_service::questionnaires::links::open(&app.db, &token, None, crate::helpers::now())
            .await
            .is_ok()
    );
}
crate::register!(a_patient_answers_phq9_from_a_link_on_their_phone);

/// Home readings in the hypertension follow-up form become observations (flagged like values
/// staff type); the satisfaction survey totals its weighted answers; the intake form's skip
/// logic asks what the allergy is only after "yes".
pub async fn built_in_forms_record_readings_score_satisfaction_and_skip(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "韩十四", 66).await;
    let subject = json!({"reference": format!("Patient/{patient}")});
    let coding = |sys: &str, code: &str| json!([{"valueCoding": {"system": format!("https://careloop.example.cn/fhir/CodeSystem/{sys}"), "code": code}}]);
    let htn = json!({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": subject, "item": [
        {"linkId": "symptoms", "answer": coding("htn-symptom", "headache")},
        {"linkId": "sbp", "answer": [{"valueInteger": 152}]},
        {"linkId": "dbp", "answer": [{"valueInteger": 96}]},
        {"linkId": "weight", "answer": [{"valueDecimal": 71.5}]},
        {"linkId": "medication_adherence", "answer": coding("adherence", "regular")},
        {"linkId": "adverse_drug_reaction", "answer": [{"valueBoolean": false}]}
    ]});
    let (status, out) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/htn-followup/responses",
        &htn.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["observations"], 3);
    let (_, obs) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations?code=sbp"),
        )
        .await;
    let items = obs.as_array().or_else(|| obs["items"].as_array()).unwrap().clone();
    assert_eq!(
        (items[0]["value"].as_f64(), items[0]["flag"].as_str()),
        (Some(152.0), Some("high")),
        "{obs}"
    );
    assert_eq!(items[0]["source"], "questionnaire");

    let answers: Vec<Value> = [
        "listened",
        "call_bell",
        "explained",
        "pain",
        "medicine",
        "clean",
        "food",
    ]
    .iter()
    .zip(["always", "always", "often", "sometimes", "always", "never", "often"])
    .map(|(k, c)| json!({"linkId": k, "answer": coding("frequency", c)}))
    .collect();
    let sat = json!({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": subject, "item": [
        {"linkId": "g", "item": answers},
        {"linkId": "red_envelope", "answer": [{"valueBoolean": false}]}
    ]});
    let (status, out) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/satisfaction-inpatient/responses",
        &sat.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        (out["score"].as_f64(), out["band"].as_str()),
        (Some(14.0), None),
        "3+3+2+1+3+0+2"
    );

    let answers: Vec<Value> = [
        "registration",
        "waiting",
        "listened",
        "explained",
        "attitude",
        "environment",
    ]
    .iter()
    .zip(["satisfied", "neutral", "satisfied", "improve", "satisfied", "satisfied"])
    .map(|(k, c)| json!({"linkId": k, "answer": coding("satisfaction-3", c)}))
    .collect();
    let outpatient = json!({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": subject, "item": [
        {"linkId": "g", "item": answers},
        {"linkId": "red_envelope", "answer": [{"valueBoolean": false}]}
    ]});
    let (status, out) = post_text(
        &app,
        &nurse,
        "/api/v1/questionnaires/satisfaction-outpatient/responses",
        &outpatient.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["score"].as_f64(), Some(9.0), "2+1+2+0+2+2 on the 3-point scale");

    let intake = |allergy: bool, detail: Option<&str>| {
        let mut items = vec![
            json!({"linkId": "chief_complaint", "answer": [{"valueString": "头晕三天"}]}),
            json!({"linkId": "past_history", "answer": coding("history", "htn")}),
            json!({"linkId": "allergy", "answer": [{"valueBoolean": allergy}]}),
            json!({"linkId": "smoking", "answer": coding("smoking", "never")}),
            json!({"linkId": "drinking", "answer": coding("drinking", "never")}),
        ];
        if let Some(d) = detail {
            items.push(json!({"linkId": "allergy_detail", "answer": [{"valueString": d}]}));
        }
        json!({"resourceType": "QuestionnaireResponse", "status": "completed", "subject": subject, "item": items})
            .to_string()
    };
    let path = "/api/v1/questionnaires/intake/responses";
    let (status, err) = post_text(&app, &nurse, path, &intake(true, None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            err["error"]["items"][0]["link_id"].as_str(),
            err["error"]["items"][0]["code"].as_str()
        ),
        (Some("allergy_detail"), Some("required"))
    );
    let (status, err) = post_text(&app, &nurse, path, &intake(false, Some("青霉素"))).await;
    assert_eq!(err["error"]["items"][0]["code"], "answer_to_disabled", "{err}");
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = post_text(&app, &nurse, path, &intake(true, Some("青霉素，皮疹"))).await;
    assert_eq!(status, StatusCode::CREATED);
}
crate::register!(built_in_forms_record_readings_score_satisfaction_and_skip);

/// Family proxy (家属代理): recorded with the patient's consent; a link sent to the proxy says
/// they answer on the patient's behalf; the response records which proxy answered; withdrawing
/// consent kills the proxy's links at once; the audit never holds the family member's name.
pub async fn a_family_proxy_answers_with_consent_that_can_be_withdrawn(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "张秀兰", 67).await;
    let other = app.enrol_simple(&nurse, "孔十五", 68).await;
    let path = format!("/api/v1/patients/{patient}/proxies");
    let good = json!({"name": "李明", "relation": "child", "phone": "13812345678", "consent": "患者门诊当面口头同意，护士王某见证"});
    for (field, value) in [
        ("consent", json!(" ")),
        ("phone", json!("12345")),
        ("relation", json!("friend")),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let (status, err) = app.post(Some(&nurse), &path, &bad).await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{err}"
        );
    }
    let (status, proxy) = app.post(Some(&nurse), &path, &good).await;
    assert_eq!(status, StatusCode::CREATED, "{proxy}");
    assert_eq!(
        (proxy["phone"].as_str(), proxy["relation_zh"].as_str()),
        (Some("138****5678"), Some("子女"))
    );
    let proxy_id = proxy["id"].as_str().unwrap().to_string();

    let links = |p: &str| format!("/api/v1/patients/{p}/questionnaire-links");
    let (status, err) = app
        .post(
            Some(&nurse),
            &links(&other),
            &json!({"questionnaire": "phq-9", "proxy_id": proxy_id}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("proxy_invalid"))
    );
    let (_, link) = app
        .post(
            Some(&nurse),
            &links(&patient),
            &json!({"questionnaire": "gad-7", "proxy_id": proxy_id}),
        )
        .await;
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();
    let client = reqwest::Client::new();
    let html = client
        .get(app.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("您作为张先生的子女，正在代为填写"), "{html}");
    let form: Vec<(String, String)> = (1..=7).map(|i| (format!("q{i}"), "o0".to_string())).collect();
    let res = client
        .post(app.url(&format!("/m/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(
        (list[0]["answered_by"].as_str(), list[0]["proxy_id"].as_str()),
        (Some("proxy"), Some(proxy_id.as_str()))
    );

    let (_, link) = app
        .post(
            Some(&nurse),
            &links(&patient),
            &json!({"questionnaire": "phq-9", "proxy_id": proxy_id}),
        )
        .await;
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();
    let revoke = format!("/api/v1/proxies/{proxy_id}/revoke");
    let (status, revoked) = app
        .post(Some(&nurse), &revoke, &json!({"reason": "患者要求撤销"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let res = client.get(app.url(&format!("/m/{token}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::GONE, "consent withdrawn: the link is dead");
    let (status, _) = app.post(Some(&nurse), &revoke, &json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post(
            Some(&nurse),
            &links(&patient),
            &json!({"questionnaire": "phq-9", "proxy_id": proxy_id}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no new links to a withdrawn proxy"
    );
    let (_, audit) = app
        .get(Some(&admin), &format!("/api/v1/audit-events?patient_id={patient}"))
        .await;
    let text = audit.to_string();
    assert!(text.contains("proxy.add") && text.contains("proxy.revoke"));
    assert!(
        !text.contains("李明") && !text.contains("13812345678"),
        "no name or phone in the audit"
    );
}
crate::register!(a_family_proxy_answers_with_consent_that_can_be_withdrawn);

/// From their link the patient also sees their own latest readings (abnormal ones marked) and
/// coming follow-ups; home readings they report show there at once.
pub async fn the_patient_sees_their_own_readings_and_coming_follow_ups(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "杨十六", 69).await;
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &json!({"code": "sbp", "value": 150, "unit": "mmHg"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, link) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-links"),
            &json!({"questionnaire": "htn-followup"}),
        )
        .await;
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();
    let client = reqwest::Client::new();
    let html = client
        .get(app.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("我的健康信息") && html.contains("收缩压"), "{html}");
    assert!(html.contains("150 mmHg") && html.contains("（异常）"));
    assert!(html.contains("医护人员电话随访"), "the coming quarterly call");
    let form = [
        ("symptoms", "o0"),
        ("sbp", "128"),
        ("dbp", "82"),
        ("medication_adherence", "o0"),
        ("adverse_drug_reaction", "false"),
    ];
    let res = client
        .post(app.url(&format!("/m/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("128 mmHg") && !html.contains("150 mmHg"),
        "the reading just reported: {html}"
    );
}
crate::register!(the_patient_sees_their_own_readings_and_coming_follow_ups);

/// Response rates (问卷回收率): links made in the period and how many were answered, by channel
/// (staff-made vs the scheduler's SMS), hour of day and age band.
pub async fn response_rates_count_links_and_answers_by_channel_hour_and_age(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let mut tokens = Vec::new();
    for (seq, birth) in [(81, "1945-03-03"), (82, "1990-04-04"), (83, "1960-05-05")] {
        let patient = app
            .enrol(&nurse, json!({"name": "金十七", "id_number": crate::helpers::id_number(birth, true, seq), "phone": "13800001234"}))
            .await;
        let (_, link) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/questionnaire-links"),
                &json!({"questionnaire": "gad-7"}),
            )
            .await;
        tokens.push(link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string());
    }
    let client = reqwest::Client::new();
    for token in &tokens[..2] {
        let form: Vec<(String, String)> = (1..=7).map(|i| (format!("q{i}"), "o1".to_string())).collect();
        let res = client
            .post(app.url(&format!("/m/{token}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // The scheduler's SMS with a questionnaire link, on a post-discharge plan.
    let discharged = app.enrol_simple(&nurse, "鲍十八", 84).await;
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{discharged}/plans"),
            &json!({"protocol": "post-discharge-surgery", "anchor_date": today.to_string()}),
        )
        .await;
    let due = time::OffsetDateTime::parse(
        plan["tasks"][1]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let when = due + time::Duration::hours(1);
    careloop_service::followup::scheduler::tick(&app.db, when)
        .await
        .unwrap();
    let d = careloop_service::outreach::delivery::Delivery::sandbox(&app.db, "https://followup.example.cn");
    assert_eq!(
        careloop_service::outreach::delivery::send_due(&app.db, &d, when)
            .await
            .unwrap()
            .sent,
        1
    );

    let to = (today + time::Duration::days(10)).to_string();
    let (status, r) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/stats/questionnaires?from={today}&to={to}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["overall"]["sent"].as_u64(), r["overall"]["answered"].as_u64()),
        (Some(4), Some(2)),
        "{r}"
    );
    let group = |dim: &str, key: &str| -> (u64, u64) {
        let g = r[dim]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .unwrap_or_else(|| panic!("{dim} {key}: {r}"));
        (g["sent"].as_u64().unwrap(), g["answered"].as_u64().unwrap())
    };
    assert_eq!(group("by_channel", "staff"), (3, 2));
    assert_eq!(group("by_channel", "sms"), (1, 0));
    assert_eq!(group("by_age_band", "75+"), (1, 1));
    assert_eq!(group("by_age_band", "<45"), (1, 1));
    assert_eq!(group("by_age_band", "60-74"), (2, 0));
    let hours: u64 = r["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["sent"].as_u64().unwrap())
        .sum();
    assert_eq!(hours, 4);
    let (status, err) = app
        .get(Some(&nurse), "/api/v1/stats/questionnaires?from=2026-02-30")
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("from"))
    );

    // The same figures on the 统计 page.
    let ui = crate::ui::browser(&app, "nurse.wang").await;
    let (status, html) = crate::ui::page(&ui, &app, &format!("/stats?from={today}&to={to}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("问卷回收率 <small>2/4 · 50.0%</small>"), "{html}");
    assert!(html.contains("医护人员发送") && html.contains("短信") && html.contains("75+"));
}
crate::register!(response_rates_count_links_and_answers_by_channel_hour_and_age);

/// A reply in the patient's own words: `POST /api/v1/text/analyze` finds symptoms with their
/// degree and emotions, leaves negated ones out, and says what is urgent; on a response the
/// findings are stored per item, self-harm goes to the doctor within the hour and negative
/// emotion to the psychologist, whom administrators can now create.
pub async fn free_text_replies_are_analysed_and_routed(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (status, _) = app.post(None, "/api/v1/text/analyze", &json!({"text": "头晕"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, err) = app
        .post(Some(&nurse), "/api/v1/text/analyze", &json!({"text": "  "}))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );
    let long = "头晕".repeat(1001);
    let (status, _) = app
        .post(Some(&nurse), "/api/v1/text/analyze", &json!({"text": long}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, out) = app
        .post(
            Some(&nurse),
            "/api/v1/text/analyze",
            &json!({"text": "伤口不疼了，就是有点头晕，晚上睡不着"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let classes = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["class"].as_str().unwrap().into(),
                    f["severity"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        classes(&out["symptoms"]),
        [("dizziness".to_string(), "mild".to_string())]
    );
    assert_eq!(
        classes(&out["emotions"]),
        [("insomnia".to_string(), "moderate".to_string())]
    );
    assert_eq!(out["urgent"], false);
    assert_eq!(out["psychological_support"], true);
    assert_eq!(out["not_asserted"][0]["class"], "pain");
    assert_eq!(out["not_asserted"][0]["why"], "negated");
    let (_, out) = app
        .post(Some(&nurse), "/api/v1/text/analyze", &json!({"text": "我不想活了"}))
        .await;
    assert_eq!(
        (out["urgent"].as_bool(), out["emotions"][0]["class"].as_str()),
        (Some(true), Some("self_harm"))
    );
    let (_, audit) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    assert!(audit.to_string().contains("text.analyze"), "{audit}");
    assert!(
        !audit.to_string().contains("不想活"),
        "the text is not in the audit trail"
    );

    // A psychologist of the nurse's department (the role is new in migration 0016).
    let (status, user) = app
        .post(
            Some(&admin),
            "/api/v1/users",
            &json!({"username": "psy.he", "password": crate::helpers::PASSWORD, "role": "psychologist", "department": "cardio"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");

    let patient = app.enrol_simple(&nurse, "郑十一", 66).await;
    let response = |text: &str| {
        json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": format!("Patient/{patient}")},
        "item": [
            {"linkId": "wound", "answer": [{"valueCoding": {"code": "healing"}}]},
            {"linkId": "pain", "answer": [{"valueInteger": 2}]},
            {"linkId": "fever", "answer": [{"valueBoolean": false}]},
            {"linkId": "medication_adherence", "answer": [{"valueCoding": {"code": "regular"}}]},
            {"linkId": "symptoms", "answer": [{"valueString": text}]}
        ]})
    };
    let path = "/api/v1/questionnaires/post-discharge-recovery/responses";
    let (status, out) = post_text(&app, &nurse, path, &response("恢复得挺好，没有不舒服").to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["alerts"].as_array().unwrap().len(), 0, "{out}");

    let (status, out) = post_text(
        &app,
        &nurse,
        path,
        &response("晚上老是睡不着，很担心复发，有时候觉得活着没意思，不想活了").to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let owners: Vec<(&str, &str)> = out["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["severity"].as_str().unwrap(), a["owner_role"].as_str().unwrap()))
        .collect();
    assert_eq!(owners, [("severe", "doctor"), ("mild", "psychologist")], "{out}");
    let found = &out["text_findings"][0];
    assert_eq!(found["link_id"], "symptoms");
    let emotions: Vec<&str> = found["emotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["class"].as_str().unwrap())
        .collect();
    assert_eq!(emotions, ["insomnia", "anxiety", "hopelessness", "self_harm"]);

    // Stored with the response: the patient's list shows them.
    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    let stored = &list[0]["text_findings"][0];
    assert_eq!(stored["urgent"], true, "{list}");
    assert!(
        list[1]["text_findings"].as_array().unwrap().is_empty(),
        "nothing found in the first reply"
    );
    let (_, open) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    assert!(open.to_string().contains("负面情绪"), "{open}");
    assert!(
        !open.to_string().contains("不想活"),
        "alerts name classes, not the patient's words"
    );

    // The patient page lists the findings under the response, urgent ones in red.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    assert!(html.contains("自由文本发现（symptoms）"), "{html}");
    assert!(
        html.contains("<span class=\"tag high\" title=\"不想活了\">自伤/自杀念头</span>"),
        "{html}"
    );

    // A value past its emergency limit, written in words, is urgent: the doctor's alert names
    // the values and their limits (not the patient's words) and the standard they come from.
    let (status, out) = post_text(
        &app,
        &nurse,
        path,
        &response("今天量血压，高压一百九，低压一百二").to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let alert = &out["alerts"][0];
    assert_eq!(
        (alert["severity"].as_str(), alert["owner_role"].as_str()),
        (Some("severe"), Some("doctor")),
        "{out}"
    );
    let reason = alert["reason"].as_str().unwrap();
    assert!(
        reason.contains("收缩压 190 mmHg（危急值 ≥180 mmHg）")
            && reason.contains("舒张压 120 mmHg（危急值 ≥110 mmHg）")
            && reason.contains("国家基本公共卫生服务规范")
            && !reason.contains("一百九"),
        "{reason}"
    );
    assert_eq!(out["text_findings"][0]["readings"][0]["quantity"], "systolic", "{out}");
}
crate::register!(free_text_replies_are_analysed_and_routed);

/// One question per screen (逐题作答) without script: progress, a required answer before
/// moving on, back keeps what was chosen, the skip logic drops questions that do not apply, the
/// display choices (high contrast here) stay on every screen, and the last screen submits.
pub async fn the_patient_page_steps_one_question_per_screen(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "钱十二", 67).await;
    let path = format!("/api/v1/patients/{patient}/questionnaire-links");
    let (_, link) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"questionnaire": "post-discharge-recovery"}),
        )
        .await;
    let url = link["url"].as_str().unwrap();
    let page = format!("/m/{}?hc=1&mode=step", url.rsplit("/m/").next().unwrap());
    let anonymous = reqwest::Client::new();
    let html = anonymous
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<body class=\"hc\">"), "{html}");
    assert!(
        html.contains("第 1 题 / 共 6 题"),
        "temperature only applies after a fever: {html}"
    );
    assert!(html.contains("name=\"wound\"") && !html.contains("name=\"pain\""));
    assert!(
        html.contains("?big=1&#38;hc=1&#38;mode=step"),
        "the switches keep the other choices: {html}"
    );
    assert!(!html.contains("上一题"), "nothing to go back to");

    let post = |form: Vec<(&'static str, &'static str)>| {
        let anonymous = anonymous.clone();
        let url = app.url(&page);
        async move {
            let res = anonymous.post(url).form(&form).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, html) = post(vec![("_at", "wound"), ("_go", "next")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("此题为必答题") && html.contains("第 1 题"), "{html}");

    let (_, html) = post(vec![("wound", "o0"), ("_at", "wound"), ("_go", "next")]).await;
    assert!(
        html.contains("第 2 题 / 共 6 题") && html.contains("name=\"pain\""),
        "{html}"
    );
    assert!(
        html.contains("<input type=\"hidden\" name=\"wound\" value=\"o0\">"),
        "{html}"
    );
    let (_, html) = post(vec![("wound", "o0"), ("pain", "3"), ("_at", "pain"), ("_go", "next")]).await;
    assert!(html.contains("第 3 题") && html.contains("name=\"fever\""), "{html}");
    let fever = vec![
        ("wound", "o0"),
        ("pain", "3"),
        ("fever", "true"),
        ("_at", "fever"),
        ("_go", "next"),
    ];
    let (_, html) = post(fever).await;
    assert!(
        html.contains("第 4 题 / 共 7 题") && html.contains("name=\"temperature\""),
        "{html}"
    );
    let back = vec![
        ("wound", "o0"),
        ("pain", "3"),
        ("fever", "true"),
        ("_at", "temperature"),
        ("_go", "back"),
    ];
    let (_, html) = post(back).await;
    assert!(
        html.contains("第 3 题") && html.contains("value=\"true\" checked"),
        "back keeps the answer: {html}"
    );
    let no_fever = vec![
        ("wound", "o0"),
        ("pain", "3"),
        ("fever", "false"),
        ("_at", "fever"),
        ("_go", "next"),
    ];
    let (_, html) = post(no_fever).await;
    assert!(
        html.contains("第 4 题 / 共 6 题") && html.contains("name=\"medication_adherence\""),
        "{html}"
    );

    let mut form = vec![
        ("wound", "o0"),
        ("pain", "3"),
        ("fever", "false"),
        ("medication_adherence", "o0"),
    ];
    let (_, html) = post([form.clone(), vec![("_at", "medication_adherence"), ("_go", "next")]].concat()).await;
    assert!(html.contains("name=\"symptoms\""), "{html}");
    form.push(("symptoms", "晚上睡不着，有点担心"));
    let (_, html) = post([form.clone(), vec![("_at", "symptoms"), ("_go", "next")]].concat()).await;
    assert!(
        html.contains("第 6 题 / 共 6 题") && html.contains("value=\"submit\""),
        "{html}"
    );
    form.push(("revisit_booked", "true"));
    let (status, html) = post([form, vec![("_at", "revisit_booked"), ("_go", "submit")]].concat()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("提交成功") && html.contains("<body class=\"hc\">"),
        "{html}"
    );
    assert!(
        html.contains("心理咨询师会与您联系"),
        "free text found insomnia and worry: {html}"
    );

    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(list[0]["answered_by"], "patient");
    assert_eq!(list[0]["text_findings"][0]["psychological_support"], true, "{list}");
}
crate::register!(the_patient_page_steps_one_question_per_screen);

/// Staff withdraw a single link (收回): listed with its state, withdrawn with a reason, it
/// opens nothing afterwards, cannot be withdrawn twice, and other links keep working; the
/// patient page does the same through a CSRF-protected form.
pub async fn staff_withdraw_a_single_link(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "孙十三", 68).await;
    let path = format!("/api/v1/patients/{patient}/questionnaire-links");
    let mut tokens = Vec::new();
    for q in ["phq-9", "gad-7", "satisfaction-inpatient"] {
        let (_, link) = app.post(Some(&nurse), &path, &json!({"questionnaire": q})).await;
        tokens.push(link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string());
    }
    let (status, list) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert!(list.as_array().unwrap().iter().all(|l| l["state"] == "open"));
    assert!(!list.to_string().contains(&tokens[0]), "tokens are never listed");
    let id_of = |q: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["questionnaire"] == q)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let phq = id_of("phq-9");
    let withdraw = format!("{path}/{phq}/withdraw");
    let (status, err) = app.post(Some(&nurse), &withdraw, &json!({"reason": " "})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (status, out) = app.post(Some(&nurse), &withdraw, &json!({"reason": "发错患者"})).await;
    assert_eq!(
        (status, out["state"].as_str()),
        (StatusCode::OK, Some("withdrawn")),
        "{out}"
    );
    let (status, _) = app.post(Some(&nurse), &withdraw, &json!({"reason": "再次"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("{path}/{}/withdraw", "0".repeat(64)),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let anonymous = reqwest::Client::new();
    let res = anonymous
        .get(app.url(&format!("/m/{}", tokens[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE, "a withdrawn link opens nothing");
    let res = anonymous
        .get(app.url(&format!("/m/{}", tokens[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the other links still open");

    // Another department's nurse cannot see or withdraw them.
    app.department("ortho").await;
    let other = app.user("nurse.li", "nurse", Some("ortho")).await;
    let (status, _) = app.get(Some(&other), &path).await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );

    // From the patient page: the form needs the CSRF token.
    let gad = id_of("gad-7");
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    assert!(
        html.contains(&format!("/links/{gad}/withdraw")) && !html.contains(&format!("/links/{phq}/withdraw")),
        "only open links have the button"
    );
    let csrf = crate::ui::csrf_of(&html);
    let action = app.url(&format!("/patients/{patient}/links/{gad}/withdraw"));
    let res = client
        .post(&action)
        .form(&[("csrf", "wrong"), ("reason", "患者拒绝")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
    let res = client
        .post(&action)
        .form(&[("csrf", csrf.as_str()), ("reason", "患者拒绝")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("已收回"));
    let res = anonymous
        .get(app.url(&format!("/m/{}", tokens[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
    let (_, audit) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    assert_eq!(audit.to_string().matches("patient_link.withdraw").count(), 2, "{audit}");
}
crate::register!(staff_withdraw_a_single_link);

/// An imported questionnaire declares its own score bands (extension `urn:careloop:fhir:score-band`):
/// the response gets the band, the band's alert is raised, the patient's result page shows the
/// band and its advice; overlapping bands are refused at import with the extension's place.
pub async fn imported_questionnaires_declare_their_own_bands(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let option = |code: &str, label: &str, score: i64| {
        json!({"valueCoding": {"system": "urn:example:falls", "code": code, "display": label},
               "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": score}]})
    };
    let band = |code: &str, low: i64, high: i64, label: &str, advice: &str, alert: Option<&str>| {
        let mut parts = vec![
            json!({"url": "code", "valueCode": code}),
            json!({"url": "low", "valueInteger": low}),
            json!({"url": "high", "valueInteger": high}),
            json!({"url": "label", "valueString": label}),
            json!({"url": "advice", "valueString": advice}),
        ];
        if let Some(a) = alert {
            parts.push(json!({"url": "alert", "valueCode": a}));
        }
        json!({"url": "urn:careloop:fhir:score-band", "extension": parts})
    };
    let items: Vec<Value> = ["过去一年摔倒过吗？", "走路需要扶东西吗？", "担心自己会摔倒吗？"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"linkId": format!("f{i}"), "text": t, "type": "choice", "required": true,
                   "answerOption": [option("no", "没有", 0), option("sometimes", "偶尔", 1), option("often", "经常", 2)]})
        })
        .collect();
    let q = json!({"resourceType": "Questionnaire", "id": "falls-risk", "status": "active",
    "title": "跌倒风险自评", "item": items,
    "extension": [
        band("low", 0, 2, "跌倒风险较低", "请继续保持适量活动。", None),
        band("high", 3, 6, "跌倒风险较高", "建议家中加装扶手，起身要慢，近期请到门诊做平衡评估。", Some("mild"))
    ]});
    let mut overlapping = q.clone();
    overlapping["extension"][1] = band("high", 2, 6, "高", "x", None);
    let (status, err) = post_text(&app, &admin, "/api/v1/questionnaires", &overlapping.to_string()).await;
    assert_eq!(
        (status, err["error"]["field"].as_str(), err["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("extension[1]"),
            Some("score_band_invalid")
        ),
        "{err}"
    );
    let (status, out) = post_text(&app, &admin, "/api/v1/questionnaires", &q.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["id"].as_str().unwrap().to_string();

    let patient = app.enrol_simple(&nurse, "吴十四", 69).await;
    let (_, link) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-links"),
            &json!({"questionnaire": id}),
        )
        .await;
    let url = app.url(&format!(
        "/m/{}",
        link["url"].as_str().unwrap().rsplit("/m/").next().unwrap()
    ));
    let res = reqwest::Client::new()
        .post(&url)
        .form(&[("f0", "o2"), ("f1", "o1"), ("f2", "o0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("跌倒风险较高") && html.contains("（3 分）"), "{html}");
    assert!(html.contains("建议家中加装扶手"), "the band's own advice: {html}");
    assert!(!html.contains("情绪"), "not the PHQ-9 words: {html}");
    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(
        (list[0]["score"].as_f64(), list[0]["band"].as_str()),
        (Some(3.0), Some("high"))
    );
    let (_, open) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    assert!(open.to_string().contains("跌倒风险自评：跌倒风险较高（3分）"), "{open}");

    // The low band raises nothing.
    let r = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": format!("Patient/{patient}")},
        "item": (0..3).map(|i| json!({"linkId": format!("f{i}"), "answer": [{"valueCoding": {"system": "urn:example:falls", "code": "no"}}]})).collect::<Vec<_>>()});
    let (status, out) = post_text(
        &app,
        &nurse,
        &format!("/api/v1/questionnaires/{id}/responses"),
        &r.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        (out["band"].as_str(), out["band_zh"].as_str()),
        (Some("low"), Some("跌倒风险较低"))
    );
    assert_eq!(out["advice"], "请继续保持适量活动。");
    assert!(out["alerts"].as_array().unwrap().is_empty());
}
crate::register!(imported_questionnaires_declare_their_own_bands);

/// The patient page binds a family proxy (家属代理) with the consent recorded, shows the phone
/// masked, refuses a bad phone with the form kept, and withdraws consent with a reason.
pub async fn staff_bind_and_revoke_a_proxy_on_the_patient_page(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "冯十六", 70).await;
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let page = format!("/patients/{patient}");
    let (_, html) = crate::ui::page(&client, &app, &page).await;
    assert!(html.contains("家属代理") && html.contains("代收随访问卷"), "{html}");
    let csrf = crate::ui::csrf_of(&html);
    let action = app.url(&format!("/patients/{patient}/proxies"));
    let form = |phone: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "冯<b>小</b>红".to_string()),
            ("relation", "child".to_string()),
            ("phone", phone.to_string()),
            ("consent", "患者门诊当面口头同意".to_string()),
            ("receives_links", "on".to_string()),
        ]
    };
    let res = client.post(&action).form(&form("123")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = client.post(&action).form(&form("13811112222")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("138****2222") && !html.contains("13811112222"), "masked");
    assert!(
        html.contains("冯&#60;b&#62;小&#60;/b&#62;红") || html.contains("冯&lt;b&gt;小&lt;/b&gt;红"),
        "escaped"
    );
    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/proxies"))
        .await;
    assert_eq!(list[0]["receives_links"], true, "{list}");
    let proxy = list[0]["id"].as_str().unwrap();
    let res = client
        .post(app.url(&format!("/patients/{patient}/proxies/{proxy}/revoke")))
        .form(&[("csrf", csrf.as_str()), ("reason", "患者本人要求撤销")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("已撤销授权（患者本人要求撤销）"));
    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/proxies"))
        .await;
    assert!(list[0]["revoked_at"].is_string(), "{list}");
}
crate::register!(staff_bind_and_revoke_a_proxy_on_the_patient_page);
