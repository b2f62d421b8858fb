//! A local Aliyun SMS (Dysmsapi SendSms) that checks a request as Aliyun does — every common
//! and business parameter present, the AccessKeyId known, the V1 signature recomputed here from
//! the secret (independently of the adapter), the timestamp within 15 minutes, the nonce never
//! used before, the number a mainland mobile, the signature name and template approved, and
//! `TemplateParam` JSON carrying exactly the template's variables — and answers with Aliyun's
//! JSON: `OK` with a `BizId`, or its error codes. It can be told to rate-limit the next few
//! requests, to refuse numbers as invalid, or to answer slowly.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

pub const ACCESS_KEY_ID: &str = "LTAI-test-key";
pub const ACCESS_KEY_SECRET: &str = "test-secret-do-not-use";
pub const SIGN_NAME: &str = "城东医院";

/// The approved templates: code → the variables its text names.
pub fn approved() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("SMS_900001", vec!["name", "title", "link", "days"]),
        ("SMS_900002", vec!["name", "relation", "title", "link", "days"]),
        ("SMS_900003", vec!["name", "title", "date", "department", "call"]),
    ])
}

/// A message the fake accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub phone: String,
    pub template: String,
    pub params: BTreeMap<String, String>,
    pub out_id: String,
    pub biz_id: String,
}

#[derive(Default)]
pub struct Book {
    pub accepted: Vec<Accepted>,
    /// Requests refused, by error code.
    pub refused: Vec<String>,
    nonces: HashSet<String>,
    /// Answer the next N requests with the rate-limit error.
    pub rate_limit_next: usize,
    /// Refuse every number as invalid.
    pub refuse_numbers: bool,
    /// Take this long before answering.
    pub delay: Option<std::time::Duration>,
}

pub struct Fake {
    pub url: String,
    pub book: Arc<Mutex<Book>>,
}

/// Aliyun's encoding for the signature: every byte but A–Z a–z 0–9 - _ . ~ as %XY.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn expected_signature(params: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let to_sign = format!("POST&{}&{}", enc("/"), enc(&query.join("&")));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{ACCESS_KEY_SECRET}&").as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn error(code: &str, message: &str) -> (axum::http::StatusCode, Json<Value>) {
    let status = if code.starts_with("isv.") {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    (
        status,
        Json(json!({"Code": code, "Message": message, "RequestId": "fake-request"})),
    )
}

async fn send_sms(State(book): State<Arc<Mutex<Book>>>, body: String) -> (axum::http::StatusCode, Json<Value>) {
    let delay = book.lock().unwrap().delay;
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let params: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let answer = check(&book, &params);
    let mut b = book.lock().unwrap();
    match answer {
        Ok(accepted) => {
            let biz_id = accepted.biz_id.clone();
            b.accepted.push(accepted);
            (
                axum::http::StatusCode::OK,
                Json(json!({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "fake-request"})),
            )
        }
        Err((code, message)) => {
            b.refused.push(code.to_string());
            error(code, &message)
        }
    }
}

fn check(book: &Mutex<Book>, p: &BTreeMap<String, String>) -> Result<Accepted, (&'static str, String)> {
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
    for k in [
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Signature",
        "PhoneNumbers",
        "SignName",
        "TemplateCode",
    ] {
        if get(k).is_empty() {
            return Err(("MissingParameter", format!("{k} is mandatory for this action.")));
        }
    }
    if get("Action") != "SendSms" || get("Version") != "2017-05-25" {
        return Err(("InvalidAction.NotFound", "Specified api is not found".into()));
    }
    if get("AccessKeyId") != ACCESS_KEY_ID {
        return Err((
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.".into(),
        ));
    }
    if get("SignatureMethod") != "HMAC-SHA1" || get("SignatureVersion") != "1.0" {
        return Err(("InvalidParameter", "SignatureMethod".into()));
    }
    if get("Signature") != expected_signature(p) {
        return Err((
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.".into(),
        ));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let sent = time::PrimitiveDateTime::parse(get("Timestamp"), format)
        .map_err(|_| {
            (
                "InvalidTimeStamp.Format",
                "Specified time stamp is not valid.".to_string(),
            )
        })?
        .assume_utc();
    if (time::OffsetDateTime::now_utc() - sent).abs() > time::Duration::minutes(15) {
        return Err((
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.".into(),
        ));
    }
    let mut b = book.lock().unwrap();
    if !b.nonces.insert(get("SignatureNonce").to_string()) {
        return Err((
            "SignatureNonceUsed",
            "Specified signature nonce was used already.".into(),
        ));
    }
    if b.rate_limit_next > 0 {
        b.rate_limit_next -= 1;
        return Err(("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1".into()));
    }
    let phone = get("PhoneNumbers");
    let mobile = phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|c| c.is_ascii_digit());
    if !mobile || b.refuse_numbers {
        return Err(("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号".into()));
    }
    if get("SignName") != SIGN_NAME {
        return Err(("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法".into()));
    }
    let templates = approved();
    let Some(variables) = templates.get(get("TemplateCode")) else {
        return Err(("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法".into()));
    };
    let params: BTreeMap<String, String> = serde_json::from_str::<BTreeMap<String, String>>(get("TemplateParam"))
        .map_err(|_| ("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值".to_string()))?;
    let given: Vec<&str> = params.keys().map(String::as_str).collect();
    let mut wanted = variables.clone();
    wanted.sort_unstable();
    if given != wanted {
        return Err(("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量".into()));
    }
    let biz_id = format!("{}^0", 900_000_000 + b.accepted.len());
    Ok(Accepted {
        phone: phone.to_string(),
        template: get("TemplateCode").to_string(),
        params,
        out_id: get("OutId").to_string(),
        biz_id,
    })
}

/// Start the fake on a random loopback port.
pub async fn start() -> Fake {
    let book = Arc::new(Mutex::new(Book::default()));
    let app = Router::new().route("/", post(send_sms)).with_state(book.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake { url, book }
}

/// The secret path of the receipt URL the test application is configured with.
pub const CALLBACK_SECRET: &str = "k7Qw2ZrX9mBv4LtN8sYd3HcJ6pFg1aUe";

/// `[channels.aliyun_sms]` as a hospital writes it for this fake (receipts off).
pub fn settings(endpoint: &str) -> careloop::settings::AliyunSmsSettings {
    careloop::settings::AliyunSmsSettings {
        endpoint: endpoint.into(),
        access_key_id: ACCESS_KEY_ID.into(),
        access_key_secret: ACCESS_KEY_SECRET.into(),
        sign_name: SIGN_NAME.into(),
        templates: BTreeMap::from([
            ("questionnaire_link".to_string(), "SMS_900001".to_string()),
            ("proxy_questionnaire_link".to_string(), "SMS_900002".to_string()),
            ("revisit_reminder".to_string(), "SMS_900003".to_string()),
        ]),
        callback_secret: String::new(),
    }
}

/// The adapter's configuration for this fake, with CareLoop's template keys mapped to the
/// approved codes.
pub fn config(fake: &Fake, secret: &str) -> careloop_service::outreach::aliyun_sms::AliyunSmsConfig {
    careloop_service::outreach::aliyun_sms::AliyunSmsConfig {
        endpoint: fake.url.clone(),
        access_key_id: ACCESS_KEY_ID.into(),
        access_key_secret: secret.into(),
        sign_name: SIGN_NAME.into(),
        templates: BTreeMap::from([
            ("questionnaire_link".to_string(), "SMS_900001".to_string()),
            ("proxy_questionnaire_link".to_string(), "SMS_900002".to_string()),
            ("revisit_reminder".to_string(), "SMS_900003".to_string()),
        ]),
    }
}
