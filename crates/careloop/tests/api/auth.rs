use crate::helpers::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

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

/// One account as the administrators' user list shows it.
async fn user_row(app: &TestApp, admin: &str, username: &str) -> Value {
    let (_, users) = app.get(Some(admin), "/api/v1/users").await;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .cloned()
        .unwrap()
}

/// A client bound to another loopback address: the server sees it as another machine.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn try_login(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> (StatusCode, Value, Option<String>) {
    let res = client
        .post(app.url("/api/v1/auth/token"))
        .header("x-forwarded-for", "198.51.100.77")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, res.json().await.unwrap_or(Value::Null), retry)
}

/// Guessing is stopped by throttling, not by locking the account: from one address, ten tries
/// at one account answer 401, then 429 with Retry-After — the same for a real account and an
/// unknown one, and the right password then gets 429 too (no oracle). The colleague at her own
/// workstation still logs in, and nothing says the account is locked. An X-Forwarded-For
/// header from an untrusted peer changes nothing.
pub async fn guessing_is_throttled_alike_for_real_and_unknown_accounts_without_locking_them(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let attacker = client_from("127.0.0.2");
    for account in ["nurse.wang", "no.such.user"] {
        for attempt in 1..=10 {
            let (status, res, _) = try_login(&app, &attacker, account, "not-the-password-1").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{account}, try {attempt}: {res}");
            assert_eq!(res["error"]["code"], "unauthenticated");
        }
        let (status, res, retry) = try_login(&app, &attacker, account, "not-the-password-1").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{account}: {res}");
        assert_eq!(res["error"]["code"], "too_many_requests");
        let secs: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&secs), "{secs}");
    }
    let (status, _, _) = try_login(&app, &attacker, "nurse.wang", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is not checked while throttled"
    );
    let (status, res, _) = try_login(&app, &client_from("127.0.0.3"), "nurse.wang", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "her own workstation is not locked out: {res}");
    let nurse = user_row(&app, &admin, "nurse.wang").await;
    assert!(nurse.get("locked").is_none(), "{nurse}");
    assert_eq!(
        nurse["failed_logins"], 0,
        "a successful login starts the count again: {nurse}"
    );
}
crate::register!(guessing_is_throttled_alike_for_real_and_unknown_accounts_without_locking_them);

/// Failed logins at once are each counted (the count was read, then written back + 1, without
/// a lock: 48 parallel failures counted 25 on PostgreSQL), and the account stays usable.
pub async fn parallel_failed_logins_are_each_counted(app: TestApp) {
    let (admin, _) = app.admin_and_nurse().await;
    let tries: Vec<_> = (0..48)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move {
                careloop_service::admin::auth::login(
                    &db,
                    "nurse.wang",
                    "not-the-password-1",
                    careloop_service::admin::auth::SessionKind::Api,
                    None,
                    crate::helpers::now(),
                )
                .await
            })
        })
        .collect();
    for t in tries {
        assert!(matches!(
            t.await.unwrap(),
            Err(careloop_service::ServiceError::Unauthenticated)
        ));
    }
    let nurse = user_row(&app, &admin, "nurse.wang").await;
    assert_eq!(nurse["failed_logins"], 48, "{nurse}");
    let (status, _, _) = try_login(&app, &client_from("127.0.0.4"), "nurse.wang", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}
crate::register!(parallel_failed_logins_are_each_counted);

/// Opening patient links from one address is throttled: a flood of guessed tokens gets 429
/// with Retry-After in the patient's words, while a phone at another address still opens.
pub async fn patient_link_opens_are_throttled_per_address(app: TestApp) {
    app.admin_and_nurse().await;
    let guesser = client_from("127.0.0.5");
    let mut statuses = Vec::new();
    for i in 0..121 {
        let res = guesser.get(app.url(&format!("/m/guess{i:04}"))).send().await.unwrap();
        statuses.push(res.status());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key("retry-after"));
            assert!(res.text().await.unwrap().contains("请稍后再试"));
        }
    }
    assert!(
        statuses[..120].iter().all(|s| *s == StatusCode::NOT_FOUND),
        "{statuses:?}"
    );
    assert_eq!(statuses[120], StatusCode::TOO_MANY_REQUESTS);
    let res = client_from("127.0.0.6")
        .get(app.url("/m/guess0000"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another address is not throttled");
}
crate::register!(patient_link_opens_are_throttled_per_address);

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
