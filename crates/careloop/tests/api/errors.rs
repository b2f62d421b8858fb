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

/// Every query parameter of every documented GET route, given the extremes of its type (the
/// largest integers, dates at the calendar's ends, a very long string), answers — a 4xx or a
/// 2xx, never a 5xx or a dropped connection. Page numbers and dates past their bounds are 422
/// naming the field (`page=9223372036854775807` and `from=0001-01-01` used to panic).
/// Walks the OpenAPI document, so a new route is covered without being listed here.
pub async fn extreme_query_parameters_are_answered_never_a_server_error(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "极端参数", 4).await;
    let (_, doc) = app.get(None, "/api/openapi.json").await;
    let long = "9".repeat(5000);
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        let url = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { patient.as_str() } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in params.iter().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().unwrap();
            let values: Vec<&str> = match p["schema"]["type"].as_str() {
                Some("integer") => vec![
                    "9223372036854775807",
                    "18446744073709551615",
                    "-9223372036854775808",
                    "0",
                ],
                _ => vec![
                    "0001-01-01",
                    "9999-12-31",
                    "-0001-01-01",
                    "2026-02-30",
                    "9999-12-31T23:59:59Z",
                    long.as_str(),
                    "\u{202e}\u{200b}\t\r\n",
                ],
            };
            for v in values {
                let q = form_urlencoded::Serializer::new(String::new())
                    .append_pair(name, v)
                    .finish();
                let target = format!("{url}?{q}");
                let res = app.http.get(app.url(&target)).bearer_auth(&admin).send().await;
                let res = res.unwrap_or_else(|e| panic!("GET {path} with {name}={:.40}: no answer: {e}", v));
                assert!(
                    res.status().as_u16() < 500,
                    "GET {path} with {name}={:.40} answered {}",
                    v,
                    res.status()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} parameter values were tried");
    for (target, field) in [
        ("/api/v1/patients?page=9223372036854775807", "page"),
        ("/api/v1/tasks?page=18446744073709551615", "page"),
        ("/api/v1/audit-events?page=1000001", "page"),
        ("/api/v1/stats/follow-up?from=0001-01-01&to=9999-12-31", "from"),
        ("/api/v1/stats/follow-up?from=2000-01-01&to=2100-12-31&by=month", "to"),
        ("/api/v1/stats/questionnaires?from=2026-01-01&to=9999-12-31", "to"),
        ("/api/v1/tasks?due_before=0001-01-01", "due_before"),
    ] {
        let (status, res) = app.get(Some(&admin), target).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{target}: {res}");
        assert_eq!(res["error"]["field"], field, "{target}: {res}");
    }
    let (status, _) = app.get(Some(&admin), "/api/v1/patients?page=1000000").await;
    assert_eq!(status, StatusCode::OK, "the last page allowed is answered, empty");
    let (status, res) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &json!({"code": "sbp", "value": 130, "effective_at": "0001-01-01T08:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["field"], "effective_at", "{res}");
}
crate::register!(extreme_query_parameters_are_answered_never_a_server_error);

/// Every route answers a malformed id, a body sent as the wrong type and malformed JSON in the
/// JSON error body, with a status its OpenAPI operation lists: a malformed id is a 404 (axum's
/// own answer was a plain-text 400 the document did not know), no JSON type a 415, bad JSON a 400.
pub async fn malformed_requests_are_answered_as_the_document_says(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let (_, doc) = app.get(None, "/api/openapi.json").await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let uuid_in_path = params
                .iter()
                .any(|p| p["in"] == "path" && p["schema"]["format"] == "uuid");
            let json_body = op["requestBody"]["content"].get("application/json").is_some();
            let url_with = |id: &str| {
                path.split('/')
                    .map(|seg| if seg.starts_with('{') { id } else { seg })
                    .collect::<Vec<_>>()
                    .join("/")
            };
            let request = |url: &str| match method.as_str() {
                "get" => app.http.get(app.url(url)),
                "post" => app.http.post(app.url(url)),
                "put" => app.http.put(app.url(url)),
                "patch" => app.http.patch(app.url(url)),
                "delete" => app.http.delete(app.url(url)),
                other => panic!("{other} {path}: a method the suite does not know"),
            };
            let mut tries = Vec::new();
            if uuid_in_path {
                let req = request(&url_with("not-an-id"));
                let req = if json_body { req.json(&json!({})) } else { req };
                tries.push(("a malformed id", req, StatusCode::NOT_FOUND));
            }
            if json_body && !uuid_in_path && !path.contains('{') {
                tries.push((
                    "no JSON type",
                    request(path).body("{}"),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ));
                let bad = request(path).header("content-type", "application/json").body("nul");
                tries.push(("malformed JSON", bad, StatusCode::BAD_REQUEST));
            }
            for (what, req, expected) in tries {
                let (status, res) = app.send(req, Some(&admin)).await;
                assert_eq!(status, expected, "{method} {path} with {what}: {res}");
                assert!(res["error"]["code"].is_string(), "{method} {path} with {what}: {res}");
                assert!(
                    op["responses"].get(status.as_str()).is_some(),
                    "{method} {path} answers {status} to {what}, which its operation does not list"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} requests were tried");
}
crate::register!(malformed_requests_are_answered_as_the_document_says);

/// The language switch goes back only to a path on this site: `next=/%09/evil.example` (a
/// browser reads `/\t/` as `//`) and `next=//evil.example` go to the patient list, and a
/// `next` with a newline is answered, not a 500.
pub async fn the_language_switch_never_leaves_the_site(app: TestApp) {
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "https://evil.example/",
        "/%E3%80%80/evil.example",
    ] {
        let res = app
            .http
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(res.headers()["location"], "/patients", "next={next}");
    }
    let res = app
        .http
        .get(app.url("/lang/zh?next=%2Fpatients%3Fq%3Dzs%26page%3D2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/patients?q=zs&page=2");
}
crate::register!(the_language_switch_never_leaves_the_site);

/// A name with a right-to-left override, a zero-width space or a line break inside is refused
/// naming the field (it would display as another name), in enrolment, a patch and a family
/// proxy; a name with a middle dot or a space is kept as given.
pub async fn names_with_invisible_characters_are_refused(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    for (i, name) in ["张\u{202E}三丰", "张\u{200B}三", "张\n三"].into_iter().enumerate() {
        let id = crate::helpers::id_number("1960-05-01", true, 40 + i as u32);
        let (status, res) = app
            .post(
                Some(&nurse),
                "/api/v1/patients",
                &json!({"name": name, "id_number": id, "phone": "13900001111"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {res}");
        assert_eq!(res["error"]["field"], "name", "{res}");
        assert_eq!(res["error"]["code"], "invisible_characters", "{res}");
    }
    let id = app.enrol_simple(&nurse, "古丽·买买提", 50).await;
    let (status, res) = app
        .patch(
            Some(&nurse),
            &format!("/api/v1/patients/{id}"),
            &json!({"emergency_contact_name": "李\u{2066}四"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["field"], "emergency_contact_name", "{res}");
    let (status, res) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(res["name"], "古丽·买买提", "{res}");
}
crate::register!(names_with_invisible_characters_are_refused);

/// Operators scrape /metrics from this machine: requests by route and status (the route as
/// declared, never a concrete path with ids), their latency, the database pool and the queues,
/// in Prometheus' text format.
pub async fn metrics_are_served_to_this_machine_in_prometheus_format(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "指标", 120).await;
    let (status, _) = app.get(Some(&nurse), &format!("/api/v1/patients/{patient}")).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for wanted in [
        r#"http_requests_total{method="GET",route="/api/v1/patients/{id}",status="200"}"#,
        "http_request_duration_seconds_bucket",
        "db_pool_connections",
        r#"queue_depth{queue="outbox"}"#,
        r#"queue_depth{queue="refresh"}"#,
    ] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text:.3000}");
    }
    assert!(
        !text.contains(&patient),
        "no concrete path (with a patient id) is a label"
    );
}
crate::register!(metrics_are_served_to_this_machine_in_prometheus_format);
