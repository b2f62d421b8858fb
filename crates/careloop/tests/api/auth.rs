use crate::helpers::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::json;

pub async fn login_gives_a_token_that_authenticates(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    assert_eq!(nurse.len(), 64);
    let (status, _) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(status, StatusCode::OK);
    let (status, res) = app
        .post(
            None,
            "/api/v1/auth/token",
            &json!({"username": "nurse.wang", "password": "wrong-password-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(res["error"]["code"], "unauthenticated");
    let (status, _) = app
        .post(
            None,
            "/api/v1/auth/token",
            &json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
crate::register!(login_gives_a_token_that_authenticates);

pub async fn requests_without_a_valid_token_are_rejected(app: TestApp) {
    app.admin_and_nurse().await;
    for path in [
        "/api/v1/patients",
        "/api/v1/users",
        "/api/v1/audit-events",
        "/api/v1/departments",
    ] {
        let (status, res) = app.get(None, path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(res["error"]["code"], "unauthenticated");
        let (status, _) = app.get(Some("0123456789abcdef"), path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, _) = app.get(None, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
}
crate::register!(requests_without_a_valid_token_are_rejected);

pub async fn five_failed_logins_lock_the_account_until_an_admin_unlocks_it(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let wrong = json!({"username": "nurse.wang", "password": "not-the-password-1"});
    for attempt in 1..=4 {
        let (status, _) = app.post(None, "/api/v1/auth/token", &wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, res) = app.post(None, "/api/v1/auth/token", &wrong).await;
    assert_eq!(status, StatusCode::LOCKED, "{res}");
    assert!(res["error"]["message"].as_str().unwrap().contains("locked until"));
    let right = json!({"username": "nurse.wang", "password": PASSWORD});
    let (status, _) = app.post(None, "/api/v1/auth/token", &right).await;
    assert_eq!(
        status,
        StatusCode::LOCKED,
        "the right password does not bypass the lock"
    );
    let (_, users) = app.get(Some(&admin), "/api/v1/users").await;
    let nurse = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "nurse.wang")
        .unwrap();
    assert_eq!(nurse["locked"], true);
    let (status, _) = app
        .patch(
            Some(&admin),
            &format!("/api/v1/users/{}", nurse["id"].as_str().unwrap()),
            &json!({"unlock": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(None, "/api/v1/auth/token", &right).await;
    assert_eq!(status, StatusCode::OK);
}
crate::register!(five_failed_logins_lock_the_account_until_an_admin_unlocks_it);

pub async fn weak_passwords_are_refused(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let (status, res) = app
        .post(
            Some(&admin),
            "/api/v1/users",
            &json!({"username": "nurse.li", "password": "short", "role": "nurse", "department": "cardio"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "password");
}
crate::register!(weak_passwords_are_refused);
