use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub async fn malformed_json_is_400(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let req = app
        .http
        .post(app.url("/api/v1/patients"))
        .header("content-type", "application/json")
        .body("{\"name\": ");
    let (status, res) = app.send(req, Some(&nurse)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(res["error"]["code"], "malformed_request");
}
crate::register!(malformed_json_is_400);

pub async fn wrong_field_types_are_422_naming_the_field(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients", &json!({"name": 42})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "name");
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    let (status, res) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{id}/observations"),
            &json!([{"code": "sbp", "value": 120}, {"code": "dbp", "value": "high"}]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "[1].value");
}
crate::register!(wrong_field_types_are_422_naming_the_field);

pub async fn unknown_fields_are_422(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (status, res) = app
        .post(Some(&nurse), "/api/v1/patients", &json!({"nmae": "张三"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res["error"]["message"].as_str().unwrap().contains("nmae"));
}
crate::register!(unknown_fields_are_422);

/// Every JSON body the API documents as an object refuses a field it does not know, rather
/// than storing the rest and dropping it (a discharge with `attending_doctor` answered 201).
/// Walks the OpenAPI document, so a new route is covered without being listed here.
pub async fn every_route_refuses_an_unknown_body_field(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "未知字段", 3).await;
    let (_, doc) = app.get(None, "/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let mut checked = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let schema = match schema["$ref"].as_str() {
                Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
                None => schema,
            };
            if schema["type"] != "object" || schema["properties"].as_object().is_none_or(|p| p.is_empty()) {
                continue;
            }
            let url = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { patient.as_str() } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let req = match method.as_str() {
                "post" => app.http.post(app.url(&url)),
                "put" => app.http.put(app.url(&url)),
                "patch" => app.http.patch(app.url(&url)),
                _ => continue,
            };
            let body = json!({"attending_doctor": "李主任"});
            let (status, res) = app.send(req.json(&body), Some(&admin)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {res}");
            assert!(
                res["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("attending_doctor"),
                "{method} {path} names the unknown field: {res}"
            );
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(
        checked.iter().any(|r| r == "post /api/v1/patients/{id}/discharges") && checked.len() > 20,
        "{checked:?}"
    );
    for query in [
        "/api/v1/patients?pgae=2",
        "/api/v1/tasks?stat=due",
        "/api/v1/audit-events?patient=1",
    ] {
        let (status, res) = app.get(Some(&admin), query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {res}");
    }
}
crate::register!(every_route_refuses_an_unknown_body_field);

pub async fn oversized_bodies_are_413(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let big = Value::String("x".repeat(careloop_web::BODY_LIMIT + 10));
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients", &json!({"name": big})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res["error"]["code"], "payload_too_large");
}
crate::register!(oversized_bodies_are_413);

pub async fn non_json_bodies_are_415(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let req = app
        .http
        .post(app.url("/api/v1/patients"))
        .header("content-type", "text/plain")
        .body("name=x");
    let (status, _) = app.send(req, Some(&nurse)).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
crate::register!(non_json_bodies_are_415);

pub async fn unknown_ids_are_404(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/patients/{missing}"),
        format!("/api/v1/patients/{missing}/observations"),
        format!("/api/v1/patients/{missing}/health-record"),
    ] {
        let (status, res) = app.get(Some(&admin), &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res["error"]["code"], "not_found");
    }
    let (status, _) = app
        .post(
            Some(&admin),
            &format!("/api/v1/patients/{missing}/observations"),
            &json!({"code": "hr", "value": 70}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
crate::register!(unknown_ids_are_404);
