//! Aliyun SMS (阿里云短信服务): Dysmsapi `SendSms`, API version 2017-05-25, RPC style with the V1
//! request signature (`../shared/CHANNELS.md` §5.1). A message goes as the hospital's approved
//! template (`TemplateCode`, looked up by CareLoop's template key) with its named parameters
//! (`TemplateParam`, a JSON string), under the approved signature (`SignName`); CareLoop's
//! idempotency key travels as `OutId`, which Aliyun echoes in its delivery receipts.
//!
//! Errors: a refusal about this message (an invalid number, a template or signature not
//! approved, missing parameters, a number on the blacklist) is permanent; rate limits, an
//! account out of credit, credentials or clocks out of order, the provider's own failures and
//! anything that never came back are temporary, so the message waits and is tried again.

use super::delivery::{Channel, Outgoing, Receipt, SendError, SendFuture};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The public endpoint.
pub const ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";

/// What the adapter needs: where to send, as whom, and which approved template each of
/// CareLoop's template keys is.
#[derive(Clone)]
pub struct AliyunSmsConfig {
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The approved signature (签名), shown in 【】.
    pub sign_name: String,
    /// CareLoop's template key (`questionnaire_link`, …) → the approved `TemplateCode`.
    pub templates: BTreeMap<String, String>,
}

/// The secret never reaches a log line.
impl std::fmt::Debug for AliyunSmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliyunSmsConfig")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .field("sign_name", &self.sign_name)
            .field("templates", &self.templates)
            .finish()
    }
}

/// Percent-encoding as the V1 signature requires: UTF-8, every byte but `A–Z a–z 0–9 - _ . ~`
/// as `%XY` in upper case (so a space is `%20`, `*` is `%2A`, `~` stays).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The parameters as one query string, sorted by key and encoded: what is signed and sent.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The V1 signature: Base64(HMAC-SHA1(secret + "&", METHOD & enc("/") & enc(query))).
pub fn sign(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let to_sign = format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    );
    let mut mac =
        Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("HMAC takes a key of any length");
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Codes that refuse this message for good; every other code is worth trying again.
const PERMANENT: [&str; 9] = [
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.INVALID_JSON_PARAM",
];

/// How a `SendSms` answer reads: accepted with its `BizId`, or refused with its code.
pub fn outcome(status: u16, body: &str) -> Result<Receipt, SendError> {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let code = parsed.as_ref().and_then(|v| v["Code"].as_str()).unwrap_or_default();
    let message = parsed.as_ref().and_then(|v| v["Message"].as_str()).unwrap_or_default();
    match (status, code) {
        (200, "OK") => parsed
            .as_ref()
            .and_then(|v| v["BizId"].as_str())
            .filter(|id| !id.is_empty())
            .map(|id| Receipt {
                provider_ref: id.to_string(),
            })
            .ok_or_else(|| SendError::Temporary("aliyun: accepted without a BizId".into())),
        (_, code) if PERMANENT.contains(&code) => Err(SendError::Permanent(format!("aliyun {code}: {message}"))),
        (_, "") => Err(SendError::Temporary(format!(
            "aliyun answered HTTP {status} without a code"
        ))),
        (_, code) => Err(SendError::Temporary(format!("aliyun {code}: {message}"))),
    }
}

/// Read an SmsReport push (a JSON array of `{phone_number, send_time, report_time, success,
/// err_code, err_msg, sms_size, biz_id, out_id}`, times in China time) as receipts. A batch
/// that is no such array is refused whole (Aliyun sends it again).
pub fn parse_reports(body: &[u8]) -> Result<Vec<super::receipts::DeliveryReceipt>, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON array of reports: {e}"))?;
    let china_time = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let text = |k: &str| r[k].as_str().map(str::to_string);
            let provider_ref = text("biz_id")
                .filter(|b| !b.is_empty())
                .ok_or(format!("report {i}: no biz_id"))?;
            let delivered = match &r["success"] {
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::String(s) => s == "true",
                _ => return Err(format!("report {i}: no success")),
            };
            let at = text("report_time").and_then(|t| {
                time::PrimitiveDateTime::parse(&t, china_time)
                    .ok()
                    .map(|t| t.assume_offset(careloop_domain::clock::CHINA))
            });
            Ok(super::receipts::DeliveryReceipt {
                provider_ref,
                out_id: text("out_id"),
                delivered,
                code: text("err_code").unwrap_or_default(),
                at,
            })
        })
        .collect()
}

/// Read an SmsUp push (a JSON array of `{phone_number, send_time, content, sign_name,
/// dest_code, sequence_id}`, times in China time) as replies. A batch that is no such array is
/// refused whole (Aliyun sends it again).
pub fn parse_replies(body: &[u8]) -> Result<Vec<super::replies::InboundReply>, String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON array of replies: {e}"))?;
    let china_time = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let text = |k: &str| match &r[k] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let key = text("sequence_id")
                .filter(|k| !k.is_empty())
                .ok_or(format!("reply {i}: no sequence_id"))?;
            let sender = text("phone_number")
                .filter(|p| !p.is_empty())
                .ok_or(format!("reply {i}: no phone_number"))?;
            let at = text("send_time").and_then(|t| {
                time::PrimitiveDateTime::parse(&t, china_time)
                    .ok()
                    .map(|t| t.assume_offset(careloop_domain::clock::CHINA))
            });
            Ok(super::replies::InboundReply {
                key,
                sender,
                content: text("content").unwrap_or_default(),
                at,
            })
        })
        .collect()
}

/// The Aliyun SMS channel.
pub struct AliyunSms {
    config: AliyunSmsConfig,
    http: reqwest::Client,
}

impl AliyunSms {
    /// The channel, with its HTTPS client (rustls on ring, the system's root certificates).
    pub fn new(config: AliyunSmsConfig) -> Result<AliyunSms, String> {
        super::use_ring_for_tls();
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the HTTPS client for Aliyun could not be built: {e}"))?;
        Ok(AliyunSms { config, http })
    }

    /// The signed parameters of one `SendSms` request sent at `now` with `nonce`.
    pub fn request(
        &self,
        msg: &Outgoing<'_>,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<BTreeMap<String, String>, SendError> {
        let key = msg.template.ok_or_else(|| {
            SendError::Permanent("aliyun sends approved templates only; this message has none".into())
        })?;
        let code = self
            .config
            .templates
            .get(key)
            .ok_or_else(|| SendError::Permanent(format!("no Aliyun template code is configured for '{key}'")))?;
        let template_param: serde_json::Map<String, serde_json::Value> = msg
            .params
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let timestamp = now
            .to_offset(time::UtcOffset::UTC)
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .map_err(|_| SendError::Temporary("clock".into()))?;
        let mut p: BTreeMap<String, String> = [
            ("Action", "SendSms"),
            ("Version", "2017-05-25"),
            ("RegionId", "cn-hangzhou"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.insert("AccessKeyId".into(), self.config.access_key_id.clone());
        p.insert("SignatureNonce".into(), nonce.to_string());
        p.insert("Timestamp".into(), timestamp);
        p.insert("PhoneNumbers".into(), msg.recipient.to_string());
        p.insert("SignName".into(), self.config.sign_name.clone());
        p.insert("TemplateCode".into(), code.clone());
        p.insert(
            "TemplateParam".into(),
            serde_json::Value::Object(template_param).to_string(),
        );
        p.insert("OutId".into(), msg.idempotency_key.to_string());
        let signature = sign("POST", &p, &self.config.access_key_secret);
        p.insert("Signature".into(), signature);
        Ok(p)
    }
}

impl Channel for AliyunSms {
    fn send<'a>(&'a self, msg: &'a Outgoing<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let nonce = uuid::Uuid::now_v7().to_string();
            let params = self.request(msg, &nonce, OffsetDateTime::now_utc())?;
            let mut body = canonical_query(&params);
            body.push_str(&format!("&Signature={}", percent_encode(&params["Signature"])));
            let res = self
                .http
                .post(&self.config.endpoint)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| SendError::Temporary(format!("aliyun unreachable: {}", without_url(&e))))?;
            let status = res.status().as_u16();
            let text = res
                .text()
                .await
                .map_err(|e| SendError::Temporary(format!("aliyun answer cut short: {}", without_url(&e))))?;
            outcome(status, &text)
        })
    }
}

/// A transport error without its URL (which carries no secret here, but keeps log lines short).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    kind.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aliyun's published V1 example (ECS DescribeRegions, secret `testsecret`, GET).
    #[test]
    fn the_signature_matches_aliyuns_documented_example() {
        let params: BTreeMap<String, String> = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(sign("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(percent_encode("a b*c~d/:王"), "a%20b%2Ac~d%2F%3A%E7%8E%8B");
    }

    /// The HTTPS client builds (TLS on ring with the system's roots), and a provider that cannot
    /// be reached over HTTPS is a temporary failure, not a panic.
    #[tokio::test]
    async fn an_unreachable_https_endpoint_is_a_temporary_failure() {
        let config = AliyunSmsConfig {
            endpoint: "https://127.0.0.1:9/".into(),
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            sign_name: "城东医院".into(),
            templates: BTreeMap::from([("revisit_reminder".into(), "SMS_1".into())]),
        };
        let sms = AliyunSms::new(config).unwrap();
        let params = [("name".to_string(), "王先生".to_string())];
        let msg = Outgoing {
            idempotency_key: "task-1-1",
            channel: "sms",
            recipient: "13912345678",
            body: "【城东医院】王先生您好",
            template: Some("revisit_reminder"),
            params: &params,
        };
        match sms.send(&msg).await {
            Err(SendError::Temporary(e)) => assert!(e.contains("could not connect"), "{e}"),
            other => panic!("expected a temporary failure, got {other:?}"),
        }
        let unmapped = Outgoing {
            template: Some("questionnaire_link"),
            ..msg.clone()
        };
        assert!(matches!(sms.send(&unmapped).await, Err(SendError::Permanent(e)) if e.contains("questionnaire_link")));
        let debug = format!("{:?}", sms.config);
        assert!(!debug.contains("secret\""), "the secret is never printed: {debug}");
    }

    #[test]
    fn sms_reports_read_as_receipts_in_china_time() {
        let body = r#"[{"phone_number":"13900000000","send_time":"2026-12-07 10:00:01","report_time":"2026-12-07 10:00:08","success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"2","biz_id":"932702304080415357^0","out_id":"task-1-1"},
            {"phone_number":"13900000001","success":false,"err_code":"MK:0001","biz_id":"932702304080415358^0"}]"#;
        let r = parse_reports(body.as_bytes()).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].delivered && r[0].code == "DELIVERED" && r[0].out_id.as_deref() == Some("task-1-1"));
        assert_eq!(
            r[0].at.unwrap().to_offset(time::UtcOffset::UTC).hour(),
            2,
            "10:00 Beijing is 02:00 UTC"
        );
        assert!(!r[1].delivered && r[1].at.is_none() && r[1].out_id.is_none());
        assert!(parse_reports(b"{}").is_err());
        assert!(parse_reports(br#"[{"success":true}]"#).unwrap_err().contains("biz_id"));
    }

    #[test]
    fn answers_read_as_accepted_permanent_or_temporary() {
        let ok = outcome(
            200,
            r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"x"}"#,
        );
        assert_eq!(ok.unwrap().provider_ref, "900619746936498440^0");
        let bad = outcome(200, r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#);
        assert!(matches!(bad, Err(SendError::Permanent(m)) if m.contains("MOBILE_NUMBER_ILLEGAL")));
        let limited = outcome(200, r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发流控"}"#);
        assert!(matches!(limited, Err(SendError::Temporary(_))));
        assert!(matches!(
            outcome(503, "<html>busy</html>"),
            Err(SendError::Temporary(_))
        ));
        assert!(matches!(outcome(200, r#"{"Code":"OK"}"#), Err(SendError::Temporary(_))));
    }
}
