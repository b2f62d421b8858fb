use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

pub async fn departments_and_users_are_managed_by_admins(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let (status, d) = app
        .post(
            Some(&admin),
            "/api/v1/departments",
            &json!({"code": "endo", "name": "内分泌科"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let (status, _) = app
        .post(
            Some(&admin),
            "/api/v1/departments",
            &json!({"code": "endo", "name": "重复"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, u) = app
        .post(
            Some(&admin),
            "/api/v1/users",
            &json!({"username": "dr.zhao", "password": "Doctor2026pass", "role": "doctor", "department": "endo"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["department"], "endo");
    let (status, res) = app
        .post(
            Some(&admin),
            "/api/v1/users",
            &json!({"username": "dr.qian", "password": "Doctor2026pass", "role": "doctor"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "clinical staff need a department"
    );
    assert_eq!(res["error"]["field"], "department");
    let (status, _) = app
        .post(
            Some(&admin),
            "/api/v1/users",
            &json!({"username": "dr.zhao", "password": "Doctor2026pass", "role": "doctor", "department": "endo"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.login("dr.zhao", "Doctor2026pass").await;
    let id = u["id"].as_str().unwrap();
    let (status, u) = app
        .patch(Some(&admin), &format!("/api/v1/users/{id}"), &json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["active"], false);
    let (status, _) = app
        .post(
            None,
            "/api/v1/auth/token",
            &json!({"username": "dr.zhao", "password": "Doctor2026pass"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "inactive users cannot log in");
}
crate::register!(departments_and_users_are_managed_by_admins);

pub async fn clinical_staff_cannot_administer(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (status, res) = app
        .post(Some(&nurse), "/api/v1/departments", &json!({"code": "x", "name": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(res["error"]["code"], "forbidden");
    for path in ["/api/v1/users", "/api/v1/audit-events"] {
        let (status, _) = app.get(Some(&nurse), path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = app.get(Some(&nurse), "/api/v1/departments").await;
    assert_eq!(status, StatusCode::OK, "everyone may list departments");
    let (status, _) = app
        .post(
            Some(&nurse),
            "/api/v1/organisations",
            &json!({"code": "x", "name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
crate::register!(clinical_staff_cannot_administer);

pub async fn every_read_and_write_of_a_patient_is_audited(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "王一", 1).await;
    app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    app.patch(
        Some(&nurse),
        &format!("/api/v1/patients/{id}"),
        &json!({"address": "某地"}),
    )
    .await;
    app.post(
        Some(&nurse),
        &format!("/api/v1/patients/{id}/observations"),
        &json!({"code": "hr", "value": 70}),
    )
    .await;
    app.get(Some(&nurse), &format!("/api/v1/patients/{id}/observations"))
        .await;
    app.put(
        Some(&nurse),
        &format!("/api/v1/patients/{id}/health-record"),
        &json!({"allergies": "无"}),
    )
    .await;
    app.get(Some(&nurse), &format!("/api/v1/patients/{id}/health-record"))
        .await;
    app.post(
        Some(&nurse),
        &format!("/api/v1/patients/{id}/diagnoses"),
        &json!({"icd10_code": "I10", "name": "高血压"}),
    )
    .await;
    app.get(Some(&nurse), &format!("/api/v1/patients/{id}/diagnoses")).await;
    let (status, page) = app
        .get(
            Some(&admin),
            &format!("/api/v1/audit-events?patient_id={id}&per_page=50"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // New values and diagnoses recompute the risk tier (风险分层) and re-apply the tag rules
    // (the I10 diagnosis tags 高血压), each audited.
    let expected = [
        "diagnosis.read",
        "diagnosis.create",
        "tag.rules",
        "risk_tier.assess",
        "plan.create",
        "health_record.read",
        "health_record.update",
        "observation.read",
        "risk_tier.assess",
        "observation.create",
        "patient.update",
        "patient.read",
        "patient.create",
    ];
    assert_eq!(
        actions, expected,
        "newest first; the I10 diagnosis enrolled the patient"
    );
    let first = &page["items"][9];
    assert_eq!(first["actor_username"], "nurse.wang");
    assert_eq!(first["ip"], "127.0.0.1");
    assert!(first["at"].is_string());
    assert!(!page.to_string().contains("王一"), "the trail holds no names");
    app.get(Some(&nurse), "/api/v1/patients?q=13900001111").await;
    let (_, all) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    let search = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "patient.search")
        .unwrap();
    assert!(!search.to_string().contains("13900001111"), "search terms are not kept");
}
crate::register!(every_read_and_write_of_a_patient_is_audited);

pub async fn the_audit_trail_cannot_be_changed(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    app.enrol_simple(&nurse, "王一", 1).await;
    let mut tx = app.db.begin().await.unwrap();
    assert!(tx.execute_raw("UPDATE audit_events SET action = 'x'").await.is_err());
    drop(tx);
    let mut tx = app.db.begin().await.unwrap();
    assert!(tx.execute_raw("DELETE FROM audit_events").await.is_err());
}
crate::register!(the_audit_trail_cannot_be_changed);

pub async fn the_openapi_document_describes_the_api(app: TestApp) {
    let (status, doc) = app.get(None, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/patients",
        "/api/v1/patients/{id}",
        "/api/v1/patients/{id}/observations",
        "/api/v1/auth/token",
        "/api/v1/audit-events",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["PatientInput"].is_object());
    let res = app.http.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger"));
}
crate::register!(the_openapi_document_describes_the_api);

pub async fn the_demo_population_loads_and_is_searchable(app: TestApp) {
    let now = crate::helpers::now();
    careloop::demo::load_organisation(&app.db, now).await.unwrap();
    careloop::demo::load_patients(&app.db, 40, 7, now).await.unwrap();
    assert!(careloop::demo::is_loaded(&app.db).await.unwrap());
    let admin = app.login("admin", careloop_synth::DEMO_PASSWORD).await;
    let (_, all) = app.get(Some(&admin), "/api/v1/patients?per_page=1").await;
    assert_eq!(all["total"], 40);
    let id = all["items"][0]["id"].as_str().unwrap();
    let (_, obs) = app
        .get(Some(&admin), &format!("/api/v1/patients/{id}/observations?code=sbp"))
        .await;
    let checkups = obs
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["source"] != "followup")
        .count();
    assert_eq!(checkups, 5, "five annual check-ups: {obs}");
    let nurse = app.login("nurse.wang", careloop_synth::DEMO_PASSWORD).await;
    let (_, mine) = app.get(Some(&nurse), "/api/v1/patients?per_page=200").await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["department"] == "cardio")
    );

    // A year of follow-up lies behind the chronic patients: most calls due were made, most on
    // time, most reached; blood pressure is controlled in most; some calls are still open.
    let today = careloop_domain::clock::local_today(now);
    let period = format!("from={}&to={today}", today - time::Duration::days(365));
    let (status, f) = app
        .get(Some(&admin), &format!("/api/v1/stats/follow-up?{period}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let percent = |v: &serde_json::Value| v["percent"].as_f64().unwrap_or(0.0);
    assert!(f["completion"]["denominator"].as_i64().unwrap() >= 20, "{f}");
    assert!(
        (70.0..100.0).contains(&percent(&f["completion"])),
        "some calls still open: {f}"
    );
    assert!(percent(&f["on_time"]) >= 70.0, "{f}");
    assert!(
        (70.0..100.0).contains(&percent(&f["contact_success"])),
        "some unanswered: {f}"
    );
    assert!(percent(&f["hypertension"]["control"]) >= 50.0, "{f}");
}
crate::register!(the_demo_population_loads_and_is_searchable);

pub async fn departments_must_belong_to_an_existing_organisation(app: TestApp) {
    use careloop_store::departments::{self, Department};
    let mut tx = app.db.begin().await.unwrap();
    let orphan = Department {
        id: uuid::Uuid::now_v7(),
        code: "orphan".into(),
        name: "无主科室".into(),
        organisation_id: uuid::Uuid::now_v7(),
        created_at: crate::helpers::now(),
    };
    assert!(
        departments::insert(&mut tx, &orphan).await.is_err(),
        "the database refuses an unknown organisation"
    );
    drop(tx);
    let mut tx = app.db.begin().await.unwrap();
    let ok = Department {
        organisation_id: careloop_store::organisations::DEFAULT_ID,
        ..orphan
    };
    departments::insert(&mut tx, &ok).await.unwrap();
    assert!(
        tx.execute_raw("DELETE FROM organisations").await.is_err(),
        "an organisation in use cannot be deleted"
    );
}
crate::register!(departments_must_belong_to_an_existing_organisation);

/// Department and organisation codes are stored lower-cased and found whatever their case:
/// `department add --code IMP` then `import --department IMP` is the same department, and so
/// are `CARDIO` in an enrolment and `DEFAULT` as a new department's organisation.
pub async fn department_codes_are_case_insensitive_everywhere(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let careloop = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_careloop"))
            .args(args)
            .env("CARELOOP_DATABASE_URL", &app.db_url)
            .env("CARELOOP_LOG", "warn")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, out) = careloop(&["department", "add", "--code", "IMP", "--name", "导入科"]);
    assert!(ok, "{out}");
    let bundle =
        crate::imports::testdata("synthea-r4-bundles").join("Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json");
    let bundle = bundle.to_str().unwrap();
    let (ok, out) = careloop(&["import", "fhir", bundle, "--source", "synthea", "--department", "IMP"]);
    assert!(ok, "the department is found by its code in capitals: {out}");
    let (ok, out) = careloop(&["organisation", "location", "--code", "DEFAULT", "--region", "north"]);
    assert!(ok, "{out}");

    let (status, d) = app
        .post(
            Some(&admin),
            "/api/v1/departments",
            &json!({"code": "Endo", "name": "内分泌科", "organisation": "DEFAULT"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["code"], "endo");
    let (status, p) = app
        .post(
            Some(&nurse),
            "/api/v1/patients",
            &json!({"name": "钱大写", "id_number": crate::helpers::id_number("1962-03-04", true, 41), "phone": "13900002222", "department": "CARDIO"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
}
crate::register!(department_codes_are_case_insensitive_everywhere);
