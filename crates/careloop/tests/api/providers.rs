//! Real providers' protocols against their local fakes (issue 18): the scheduler sends a
//! questionnaire SMS through the Aliyun adapter; the fake checks it as Aliyun does.

use crate::fakes::aliyun_sms;
use crate::helpers::{TestApp, id_number, now};
use careloop_service::followup::scheduler::tick;
use careloop_service::outreach::delivery::{Delivery, SendOutcome, send_due};
use careloop_store::outbox;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
}

/// A patient discharged today on the post-discharge protocol (D3 call, D7 questionnaire);
/// returns (patient, the D7 task's due time).
async fn discharged(app: &TestApp, nurse: &str, name: &str, seq: u32) -> (String, OffsetDateTime) {
    let patient = app
        .enrol(
            nurse,
            json!({"name": name, "id_number": id_number("1958-03-09", true, seq), "phone": format!("139{:08}", 12_340_000 + seq)}),
        )
        .await;
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-discharge-surgery", "anchor_date": careloop_domain::clock::local_today(now()).to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    (patient, at(&plan["tasks"][1]["due_at"]))
}

/// The delivery `careloop serve` builds from `[channels.aliyun_sms]` pointed at the fake: SMS
/// through Aliyun, the rest through the sandbox.
fn through_aliyun(app: &TestApp, config: careloop_service::outreach::aliyun_sms::AliyunSmsConfig) -> Delivery {
    let settings = careloop::settings::Settings {
        public_url: "https://followup.example.cn/".into(),
        channels: careloop::settings::Channels {
            aliyun_sms: Some(careloop::settings::AliyunSmsSettings {
                endpoint: config.endpoint,
                access_key_id: config.access_key_id,
                access_key_secret: config.access_key_secret,
                sign_name: config.sign_name,
                templates: config.templates,
            }),
        },
        ..Default::default()
    };
    settings.validate().unwrap();
    settings.delivery(&app.db).unwrap()
}

async fn pass(app: &TestApp, d: &Delivery, when: OffsetDateTime) -> SendOutcome {
    tick(&app.db, when).await.unwrap();
    send_due(&app.db, d, when).await.unwrap()
}

async fn outbox_of(app: &TestApp, patient: &str) -> Vec<outbox::OutboxRow> {
    let mut tx = app.db.begin_read().await.unwrap();
    let rows = outbox::list(&mut tx, Some(Uuid::parse_str(patient).unwrap()), None, 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// The questionnaire SMS goes out as the approved template with its named parameters, signed
/// as Aliyun recomputes it; a rate limit leaves it queued and the next pass sends it; Aliyun's
/// BizId is kept as the provider's reference, CareLoop's idempotency key travels as OutId, and
/// the link the patient receives opens the questionnaire. A wrong secret is refused by the
/// fake and nothing is lost (the message waits); a number Aliyun refuses fails the task to the
/// nurse's list with Aliyun's code.
pub async fn a_questionnaire_sms_goes_out_through_aliyun_as_aliyun_checks_it(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));

    let (patient, due) = discharged(&app, &nurse, "王建国", 21).await;
    fake.book.lock().unwrap().rate_limit_next = 1;
    let first = pass(&app, &d, due + Duration::hours(1)).await;
    assert_eq!((first.queued, first.sent, first.failed), (1, 0, 0), "{first:?}");
    assert_eq!(fake.book.lock().unwrap().refused, ["isv.BUSINESS_LIMIT_CONTROL"]);
    let waiting = outbox_of(&app, &patient).await;
    assert_eq!(waiting[0].status, "queued", "a rate limit is temporary");
    assert!(
        waiting[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("BUSINESS_LIMIT_CONTROL")
    );

    let second = pass(&app, &d, due + Duration::hours(1) + Duration::minutes(3)).await;
    assert_eq!(second.sent, 1, "{second:?}");
    let accepted = fake.book.lock().unwrap().accepted.clone();
    assert_eq!(accepted.len(), 1);
    let sms = &accepted[0];
    assert_eq!(
        (sms.phone.as_str(), sms.template.as_str()),
        ("13912340021", "SMS_900001")
    );
    assert_eq!(sms.params["name"], "王先生", "the polite address, never the full name");
    assert_eq!(sms.params["title"], "出院7天康复问卷");
    assert_eq!(sms.params["days"], "7");
    let link = &sms.params["link"];
    let token = link.strip_prefix("https://followup.example.cn/m/").expect(link);
    assert_eq!(token.len(), 22, "{link}");
    let row = &outbox_of(&app, &patient).await[0];
    assert_eq!(row.status, "sent");
    assert_eq!(
        row.provider_ref.as_deref(),
        Some(sms.biz_id.as_str()),
        "Aliyun's BizId kept"
    );
    assert_eq!(sms.out_id, row.idempotency_key, "CareLoop's key echoed in receipts");
    assert!(!row.body.contains(token), "the token is never stored");
    assert!(
        app.phone_page(token).await.contains("出院康复问卷"),
        "the link the patient got opens the questionnaire"
    );

    // A wrong secret: Aliyun refuses the signature; the message waits, nothing is lost.
    let (other, due) = discharged(&app, &nurse, "李国强", 22).await;
    let wrong = through_aliyun(&app, aliyun_sms::config(&fake, "not-the-secret"));
    let out = pass(&app, &wrong, due + Duration::hours(1)).await;
    assert_eq!((out.sent, out.failed), (0, 0), "{out:?}");
    assert_eq!(
        fake.book.lock().unwrap().refused.last().map(String::as_str),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(outbox_of(&app, &other).await[0].status, "queued");

    // A number Aliyun refuses: the task fails to the nurse's list, with Aliyun's code.
    let (third, due) = discharged(&app, &nurse, "赵国平", 23).await;
    fake.book.lock().unwrap().refuse_numbers = true;
    let out = pass(&app, &d, due + Duration::hours(1)).await;
    assert!(out.failed >= 1, "{out:?}");
    let row = &outbox_of(&app, &third).await[0];
    assert_eq!(row.status, "failed");
    assert!(
        row.error
            .as_deref()
            .unwrap_or_default()
            .contains("isv.MOBILE_NUMBER_ILLEGAL"),
        "{row:?}"
    );
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{third}/plans")).await;
    assert_eq!(plans[0]["tasks"][1]["state"], "failed", "{plans}");
}
crate::register!(a_questionnaire_sms_goes_out_through_aliyun_as_aliyun_checks_it);
