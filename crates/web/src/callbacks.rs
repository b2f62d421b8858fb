//! What providers push to CareLoop. Aliyun's SMS receipts (SmsReport) and patients' replies
//! (SmsUp) come as JSON arrays to the URLs set in Aliyun's console,
//! `/callbacks/aliyun/sms-report/<secret>` and `/callbacks/aliyun/sms-up/<secret>`. Aliyun signs no
//! push, so the unguessable secret in the path (and an IP allow-list at the reverse proxy, see
//! README) is what keeps others out: a wrong secret is a plain 404, and guesses are throttled
//! per address. The answer is Aliyun's `{"code":0,"msg":"接收成功"}`; a batch that could not be
//! stored is answered 500, so Aliyun sends it again (1, 5, 10 minutes later).

use crate::AppState;
use crate::extract::ClientAddr;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use careloop_service::outreach::{aliyun_sms, receipts, replies};
use serde_json::json;
use time::OffsetDateTime;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/callbacks/aliyun/sms-report/{secret}", post(aliyun_sms_report))
        .route("/callbacks/aliyun/sms-up/{secret}", post(aliyun_sms_up))
}

/// `None` when the path's secret is Aliyun's; otherwise the answer (404, or 429 to a guesser).
fn refuse_stranger(s: &AppState, addr: Option<std::net::IpAddr>, secret: &str) -> Option<Response> {
    use subtle::ConstantTimeEq;
    let known = s
        .aliyun_callback_secret
        .as_deref()
        .is_some_and(|k| bool::from(k.as_bytes().ct_eq(secret.as_bytes())));
    if known {
        return None;
    }
    Some(match s.limits.link(addr) {
        Err(wait) => {
            let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                crate::limits::retry_after_secs(wait).into(),
            );
            res
        }
        Ok(()) => StatusCode::NOT_FOUND.into_response(),
    })
}

/// Aliyun's answer to a push: `code` 0 is received; anything else (or a 5xx) and it retries.
fn answer(status: StatusCode, code: i32, msg: &str) -> Response {
    (status, axum::Json(json!({"code": code, "msg": msg}))).into_response()
}

/// One push from Aliyun: the secret checked, the body read by `parse` (a body that is not what
/// Aliyun sends is a 400), what it says kept by `keep` (a failure is a 500, so Aliyun resends).
async fn receive<T, F>(
    s: &AppState,
    addr: Option<std::net::IpAddr>,
    secret: &str,
    body: &[u8],
    parse: fn(&[u8]) -> Result<Vec<T>, String>,
    keep: impl FnOnce(Vec<T>) -> F,
) -> Response
where
    F: std::future::Future<Output = careloop_service::Result<()>>,
{
    if let Some(refused) = refuse_stranger(s, addr, secret) {
        return refused;
    }
    let items = match parse(body) {
        Ok(items) => items,
        Err(e) => return answer(StatusCode::BAD_REQUEST, 1, &e),
    };
    match keep(items).await {
        Ok(()) => answer(StatusCode::OK, 0, "接收成功"),
        Err(e) => {
            tracing::error!(error = %e, "a provider's push could not be stored; it will be sent again");
            answer(StatusCode::INTERNAL_SERVER_ERROR, 1, "暂时无法接收")
        }
    }
}

/// Delivery receipts (SmsReport).
async fn aliyun_sms_report(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    body: Bytes,
) -> Response {
    let db = s.db.clone();
    let keep = |reports: Vec<_>| async move {
        receipts::record_receipts(&db, "aliyun_sms", &reports, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
    };
    receive(&s, addr, &secret, &body, aliyun_sms::parse_reports, keep).await
}

/// Patients' SMS replies (SmsUp): stored once each, matched, opt-outs honoured at once.
async fn aliyun_sms_up(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(secret): Path<String>,
    body: Bytes,
) -> Response {
    let db = s.db.clone();
    let keep = |items: Vec<_>| async move {
        replies::record_sms_replies(&db, "aliyun_sms", &items, OffsetDateTime::now_utc())
            .await
            .map(|_| ())
    };
    receive(&s, addr, &secret, &body, aliyun_sms::parse_replies, keep).await
}
