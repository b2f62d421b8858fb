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
pub(crate) async fn discharged(app: &TestApp, nurse: &str, name: &str, seq: u32) -> (String, OffsetDateTime) {
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
pub(crate) fn through_aliyun(
    app: &TestApp,
    config: careloop_service::outreach::aliyun_sms::AliyunSmsConfig,
) -> Delivery {
    let settings = careloop::settings::Settings {
        public_url: "https://followup.example.cn/".into(),
        channels: careloop::settings::Channels {
            aliyun_sms: Some(careloop::settings::AliyunSmsSettings {
                endpoint: config.endpoint,
                access_key_id: config.access_key_id,
                access_key_secret: config.access_key_secret,
                sign_name: config.sign_name,
                templates: config.templates,
                callback_secret: String::new(),
            }),
        },
        ..Default::default()
    };
    settings.validate().unwrap();
    settings.delivery(&app.db).unwrap()
}

pub(crate) async fn pass(app: &TestApp, d: &Delivery, when: OffsetDateTime) -> SendOutcome {
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

async fn report(app: &TestApp, secret: &str, body: &str) -> (StatusCode, String) {
    let res = app
        .http
        .post(app.url(&format!("/callbacks/aliyun/sms-report/{secret}")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Aliyun's delivery receipts (SmsReport push) at the secret URL: a receipt that the phone got
/// it marks the message delivered; one that it did not fails the questionnaire task to the
/// nurse's list with Aliyun's code; the first receipt stands (Aliyun's retries change nothing);
/// receipts for messages CareLoop never sent are acknowledged and ignored; a wrong secret is a
/// plain 404, a body that is no report array a 400.
pub async fn aliyun_receipts_mark_messages_delivered_or_fail_their_task(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));
    let (delivered, due) = discharged(&app, &nurse, "王建国", 31).await;
    let (lost, _) = discharged(&app, &nurse, "钱国栋", 32).await;
    let out = pass(&app, &d, due + Duration::hours(1)).await;
    assert_eq!(out.sent, 2, "{out:?}");
    let sent = fake.book.lock().unwrap().accepted.clone();
    let of = |phone: &str| sent.iter().find(|a| a.phone == phone).unwrap().clone();
    let (a, b) = (of("13912340031"), of("13912340032"));

    let (status, _) = report(&app, "not-the-secret-at-all-0000000000000", "[]").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = report(&app, aliyun_sms::CALLBACK_SECRET, "{\"biz_id\": 1}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let batch = json!([
        {"phone_number": a.phone, "send_time": "2026-12-07 10:00:01", "report_time": "2026-12-07 10:00:08",
         "success": true, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "2", "biz_id": a.biz_id, "out_id": a.out_id},
        {"phone_number": b.phone, "send_time": "2026-12-07 10:00:01", "report_time": "2026-12-07 10:01:30",
         "success": false, "err_code": "MK:0001", "err_msg": "用户关机", "sms_size": "2", "biz_id": b.biz_id, "out_id": b.out_id},
        {"phone_number": "13700000000", "success": true, "err_code": "DELIVERED", "biz_id": "1234^0", "out_id": "task-x-1"}
    ]);
    let (status, body) = report(&app, aliyun_sms::CALLBACK_SECRET, &batch.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["code"], 0, "Aliyun reads code 0 as received");

    let row = &outbox_of(&app, &delivered).await[0];
    assert_eq!(
        (row.delivery.as_deref(), row.delivery_code.as_deref()),
        (Some("delivered"), Some("DELIVERED"))
    );
    let row = &outbox_of(&app, &lost).await[0];
    assert_eq!(
        (row.delivery.as_deref(), row.delivery_code.as_deref()),
        (Some("undelivered"), Some("MK:0001"))
    );
    let (_, plans) = app.get(Some(&nurse), &format!("/api/v1/patients/{lost}/plans")).await;
    assert_eq!(
        plans[0]["tasks"][1]["state"], "failed",
        "the nurse calls instead: {plans}"
    );
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{delivered}/plans"))
        .await;
    assert_eq!(
        plans[0]["tasks"][1]["state"], "in_progress",
        "delivered, waiting for the answers"
    );

    // Aliyun sends the batch again: nothing changes.
    let retry = json!([{"success": true, "err_code": "DELIVERED", "biz_id": b.biz_id, "out_id": b.out_id}]);
    let (status, _) = report(&app, aliyun_sms::CALLBACK_SECRET, &retry.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        outbox_of(&app, &lost).await[0].delivery.as_deref(),
        Some("undelivered"),
        "the first receipt stands"
    );

    let (_, listed) = app
        .get(Some(&nurse), &format!("/api/v1/outbox?patient_id={lost}"))
        .await;
    assert_eq!(listed[0]["delivery"], "undelivered", "{listed}");
    assert_eq!(listed[0]["delivery_code"], "MK:0001");
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, page) = crate::ui::page(&client, &app, "/outbox").await;
    assert!(
        page.contains("未送达") && page.contains("<code>MK:0001</code>") && page.contains("已送达"),
        "{page}"
    );
}
crate::register!(aliyun_receipts_mark_messages_delivered_or_fail_their_task);

pub(crate) async fn reply(app: &TestApp, body: &Value) -> StatusCode {
    app.http
        .post(app.url(&format!("/callbacks/aliyun/sms-up/{}", aliyun_sms::CALLBACK_SECRET)))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

/// Patients' SMS replies (SmsUp push): each is stored once (Aliyun's retries change nothing),
/// with the patient and the message it answers; "TD" withdraws that patient's consent to SMS at
/// once — the next SMS step is not sent but fails to the nurse's list as "opted out, call" —
/// while another patient's reply is kept for the nurse and their SMS still go; a reply from a
/// number CareLoop never wrote to is kept unmatched.
pub async fn a_td_reply_stops_sms_and_replies_are_kept_with_their_patient(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));
    let (quitter, due) = discharged(&app, &nurse, "孙国华", 41).await;
    let (talker, _) = discharged(&app, &nurse, "周国富", 42).await;
    assert_eq!(pass(&app, &d, due + Duration::hours(1)).await.sent, 2);
    let sent_at = china_time(due + Duration::hours(2));
    let batch = json!([
        {"phone_number": "13912340041", "send_time": sent_at, "content": "TD", "sign_name": "城东医院", "dest_code": "", "sequence_id": 1001},
        {"phone_number": "13912340042", "send_time": sent_at, "content": "血压160/100，头晕", "sign_name": "城东医院", "dest_code": "", "sequence_id": 1002},
        {"phone_number": "13700000000", "send_time": sent_at, "content": "你好", "sign_name": "城东医院", "dest_code": "", "sequence_id": 1003}
    ]);
    assert_eq!(reply(&app, &batch).await, StatusCode::OK);
    assert_eq!(
        reply(&app, &batch).await,
        StatusCode::OK,
        "Aliyun's retry is acknowledged"
    );
    assert_eq!(reply(&app, &json!({"content": "x"})).await, StatusCode::BAD_REQUEST);

    let mut tx = app.db.begin_read().await.unwrap();
    let id = |p: &str| Uuid::parse_str(p).unwrap();
    let kept = careloop_store::consents::inbound_of_patient(&mut tx, id(&talker), 10)
        .await
        .unwrap();
    let quit = careloop_store::consents::inbound_of_patient(&mut tx, id(&quitter), 10)
        .await
        .unwrap();
    let consents = careloop_store::consents::of_patient(&mut tx, id(&quitter))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(kept.len(), 1, "stored once: {kept:?}");
    assert_eq!(kept[0].content, "血压160/100，头晕");
    assert_eq!(
        kept[0].outbox_id,
        Some(outbox_of(&app, &talker).await[0].id),
        "the message it answers"
    );
    assert!(quit.len() == 1 && quit[0].opt_out);
    assert_eq!(consents.len(), 1);
    assert!(!consents[0].granted && consents[0].channel == "sms" && consents[0].how == "sms_reply");

    // The D30 reminders fall due: the patient who sent TD gets none and goes to the nurse.
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{quitter}/plans"))
        .await;
    let d30 = plans[0]["tasks"][2].clone();
    assert_eq!(d30["method"], "sms", "{plans}");
    let before = fake.book.lock().unwrap().accepted.len();
    let out = pass(&app, &d, at(&d30["due_at"]) + Duration::hours(1)).await;
    let accepted = fake.book.lock().unwrap().accepted.clone();
    let to = |phone: &str| accepted[before..].iter().filter(|a| a.phone == phone).count();
    assert_eq!((to("13912340041"), to("13912340042")), (0, 1), "{out:?}");
    let (_, task) = app
        .get(Some(&nurse), &format!("/api/v1/tasks/{}", d30["id"].as_str().unwrap()))
        .await;
    assert_eq!(task["state"], "failed", "{task}");
    assert!(task.to_string().contains("sms_opted_out"), "{task}");

    // The nurse sees both on the patient pages, above the fold; a reply's words are text.
    let markup =
        json!([{"phone_number": "13912340042", "send_time": sent_at, "content": "<b>谢谢</b>", "sequence_id": 1004}]);
    assert_eq!(reply(&app, &markup).await, StatusCode::OK);
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, page) = crate::ui::page(&client, &app, &format!("/patients/{quitter}")).await;
    let recent = crate::helpers::section(&page, "recent-messages");
    assert!(
        recent.contains("患者已退订短信") && recent.contains("短信回复"),
        "{recent}"
    );
    assert!(
        recent.contains("<div>TD</div>") && recent.contains("tag high\">退订"),
        "{recent}"
    );
    let (_, page) = crate::ui::page(&client, &app, &format!("/patients/{talker}")).await;
    let recent = crate::helpers::section(&page, "recent-messages");
    assert!(
        recent.contains("血压160/100，头晕") && !recent.contains("患者已退订短信"),
        "{recent}"
    );
    assert!(
        !recent.contains("<b>谢谢</b>") && recent.contains("谢谢"),
        "escaped: {recent}"
    );
}
crate::register!(a_td_reply_stops_sms_and_replies_are_kept_with_their_patient);

/// Replies are read as they arrive and wait in the reply inbox (issue 18, items 4, 7 and 9):
/// 血压190/120 is urgent (a severe alert to the doctor naming the value, its limit and the
/// standard), 血压160/100，头晕 raises a mild alert to the nurse, 吐了一口血 — blood the rules do
/// not explain — goes to a human read, 好的 raises nothing; the inbox lists them in that order,
/// the words escaped; a reply is handled once (parallel marks: one wins, the rest get 409),
/// leaves the waiting list and appears under handled; another department sees none of it.
pub async fn replies_are_triaged_raise_alerts_and_wait_in_the_inbox(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));
    let names = ["钱淑芬", "李建华", "赵丽娟", "吴振国"];
    let mut patients = Vec::new();
    let mut due = now();
    for (n, name) in names.iter().enumerate() {
        let (p, d7) = discharged(&app, &nurse, name, 51 + n as u32).await;
        patients.push(p);
        due = d7;
    }
    assert_eq!(pass(&app, &d, due + Duration::hours(1)).await.sent, 4);
    let sent_at = china_time(due + Duration::hours(2));
    let texts = [
        "好的<b>谢谢</b>",
        "血压160/100，头晕",
        "吐了一口血",
        "高压一百九，低压一百二",
    ];
    let batch: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(n, t)| json!({"phone_number": format!("139123400{}", 54 - n), "send_time": sent_at, "content": t, "sign_name": "城东医院", "sequence_id": 2000 + n}))
        .collect();
    assert_eq!(reply(&app, &json!(batch)).await, StatusCode::OK);

    let (status, inbox) = app.get(Some(&nurse), "/api/v1/inbox").await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let order: Vec<(&str, &str)> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["content"].as_str().unwrap(), i["attention"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("高压一百九，低压一百二", "urgent"),
            ("吐了一口血", "read"),
            ("血压160/100，头晕", "findings"),
            ("好的<b>谢谢</b>", "none"),
        ]
    );
    assert_eq!(inbox[0]["patient_id"], patients[0].as_str());
    assert_eq!(inbox[0]["sender"], "139****0051", "masked");
    assert!(inbox[3]["alert_id"].is_null(), "a plain reply raises nothing");
    let (_, alerts) = app.get(Some(&nurse), "/api/v1/alerts").await;
    let alert = |i: usize| {
        let id = inbox[i]["alert_id"].as_str().unwrap_or_else(|| panic!("{}", inbox[i]));
        alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()
            .clone()
    };
    let urgent = alert(0);
    assert_eq!(
        (urgent["severity"].as_str(), urgent["owner_role"].as_str()),
        (Some("severe"), Some("doctor"))
    );
    let reason = urgent["reason"].as_str().unwrap();
    assert!(
        reason.contains("收缩压 190 mmHg（危急值 ≥180 mmHg）")
            && reason.contains("舒张压 120 mmHg（危急值 ≥110 mmHg）")
            && reason.contains("国家基本公共卫生服务规范"),
        "{reason}"
    );
    let read = alert(1);
    assert_eq!(
        (read["severity"].as_str(), read["owner_role"].as_str()),
        (Some("mild"), Some("nurse"))
    );
    let reason = read["reason"].as_str().unwrap();
    assert!(
        reason.contains("需人工阅读") && !reason.contains("血"),
        "no patient's words: {read}"
    );
    let findings = alert(2);
    assert_eq!(findings["owner_role"], "nurse");
    assert!(findings["reason"].as_str().unwrap().contains("头晕"), "{findings}");
    let words = inbox.to_string();
    assert!(words.contains("\"needs_human_read\":true"), "{words}");

    // The screen: urgent first, what was found, the words as text, the badge in the top bar.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, page) = crate::ui::page(&client, &app, "/inbox").await;
    let replies = crate::helpers::section(&page, "replies");
    let place = |s: &str| replies.find(s).unwrap_or_else(|| panic!("{s} in {replies}"));
    assert!(place("高压一百九") < place("吐了一口血") && place("吐了一口血") < place("血压160/100"));
    assert!(
        replies.contains("收缩压 190 mmHg（危急值 ≥180 mmHg）")
            && replies.contains("需人工阅读")
            && replies.contains("头晕"),
        "{replies}"
    );
    assert!(!page.contains("<b>谢谢</b>") && replies.contains("谢谢"), "escaped");
    assert!(
        page.contains("id=\"inbox-link\">患者回复 <span class=\"badge\""),
        "badge"
    );

    // Handled once, even when four marks race.
    let id = inbox[2]["id"].as_str().unwrap().to_string();
    let marks: Vec<_> = (0..4)
        .map(|_| {
            let req = app
                .http
                .post(app.url(&format!("/api/v1/inbox/{id}/handled")))
                .bearer_auth(&nurse);
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut codes = Vec::new();
    for m in marks {
        codes.push(m.await.unwrap());
    }
    codes.sort_unstable();
    assert_eq!(codes, [200, 409, 409, 409]);
    let (_, waiting) = app.get(Some(&nurse), "/api/v1/inbox").await;
    assert_eq!(waiting.as_array().unwrap().len(), 3);
    let (_, handled) = app.get(Some(&nurse), "/api/v1/inbox?handled=true").await;
    assert_eq!(handled[0]["id"], id.as_str());
    assert!(handled[0]["handled_at"].is_string());
    let (status, _) = app.get(Some(&nurse), "/api/v1/inbox?handled=maybe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.audited(&admin, &patients[2])
            .await
            .iter()
            .any(|a| a == "inbound.handle"),
        "handling is audited"
    );

    // Another department's nurse sees none of it and may not handle it.
    app.department("ortho").await;
    let other = app.user("nurse.zhou", "nurse", Some("ortho")).await;
    let (_, theirs) = app.get(Some(&other), "/api/v1/inbox").await;
    assert_eq!(theirs, json!([]));
    let first = inbox[0]["id"].as_str().unwrap();
    let (status, _) = app
        .post(Some(&other), &format!("/api/v1/inbox/{first}/handled"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/inbox/{}/handled", Uuid::now_v7()),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
crate::register!(replies_are_triaged_raise_alerts_and_wait_in_the_inbox);

/// Beijing time as Aliyun's push writes it (`2026-12-06 10:20:00`).
pub(crate) fn china_time(at: OffsetDateTime) -> String {
    let china = at.to_offset(careloop_domain::clock::CHINA);
    format!(
        "{} {:02}:{:02}:{:02}",
        china.date(),
        china.hour(),
        china.minute(),
        china.second()
    )
}

/// Three discharged patients who received their questionnaire SMS (through the sandbox) and
/// answered: urgent, a human read, a plain thanks. Returns the words that are theirs (names,
/// texts and the red-flag word quoted from them), for the language walker.
pub(crate) async fn replies_waiting(app: &TestApp, nurse: &str) -> Vec<String> {
    let names = ["钱淑芬", "李建华", "赵丽娟"];
    let texts = ["血压190/120，头晕", "早上吐了一口血", "好的，谢谢"];
    let mut due = now();
    for (n, name) in names.iter().enumerate() {
        due = discharged(app, nurse, name, 61 + n as u32).await.1;
    }
    let sandbox = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    assert_eq!(pass(app, &sandbox, due + Duration::hours(1)).await.sent, 3);
    let sent_at = china_time(due + Duration::hours(2));
    let batch: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(n, t)| json!({"phone_number": format!("139123400{}", 61 + n), "send_time": sent_at, "content": t, "sequence_id": 3000 + n}))
        .collect();
    assert_eq!(reply(app, &json!(batch)).await, StatusCode::OK);
    names
        .iter()
        .chain(&texts)
        .chain(&["血"])
        .map(|s| s.to_string())
        .collect()
}

/// Aliyun retries a push it timed out on while the first is still being stored: four copies of
/// one batch at once store each reply once and raise each alert once (a copy that loses the
/// race takes back the alerts it raised), on both databases.
pub async fn a_push_arriving_four_times_at_once_is_stored_and_alerted_once(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let sandbox = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    let mut due = now();
    for n in 0..3u32 {
        due = discharged(&app, &nurse, &format!("孔雪{n}"), 71 + n).await.1;
    }
    assert_eq!(pass(&app, &sandbox, due + Duration::hours(1)).await.sent, 3);
    let sent_at = china_time(due + Duration::hours(2));
    let texts = ["血压190/120", "伤口疼，有点发烧38.2", "不想活了，活着拖累家里"];
    let batch: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(n, t)| json!({"phone_number": format!("139123400{}", 71 + n), "send_time": sent_at, "content": t, "sequence_id": 4000 + n}))
        .collect();
    let body = json!(batch).to_string();
    let copies: Vec<_> = (0..4)
        .map(|_| {
            let req = app
                .http
                .post(app.url(&format!("/callbacks/aliyun/sms-up/{}", aliyun_sms::CALLBACK_SECRET)))
                .header("content-type", "application/json")
                .body(body.clone());
            tokio::spawn(async move { req.send().await.unwrap().status() })
        })
        .collect();
    for c in copies {
        assert_eq!(c.await.unwrap(), StatusCode::OK, "every copy is acknowledged");
    }
    let (_, inbox) = app.get(Some(&nurse), "/api/v1/inbox").await;
    assert_eq!(inbox.as_array().unwrap().len(), 3, "{inbox}");
    let (_, alerts) = app.get(Some(&nurse), "/api/v1/alerts").await;
    // 190/120: the doctor's; the wound with fever: the nurse's; self-harm: the doctor's and
    // the psychologist's.
    let mut owners: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["owner_role"].as_str().unwrap())
        .collect();
    owners.sort_unstable();
    assert_eq!(owners, ["doctor", "doctor", "nurse", "psychologist"], "{alerts}");
    for item in inbox.as_array().unwrap() {
        let id = item["alert_id"].as_str().unwrap();
        assert!(alerts.as_array().unwrap().iter().any(|a| a["id"] == id), "{item}");
    }
}
crate::register!(a_push_arriving_four_times_at_once_is_stored_and_alerted_once);

/// After a 退订 reply the way back goes through staff (PIPL item 5): the patient tells the nurse
/// they want the messages again, she records consent with the notice she read them — refused
/// without one — and the next SMS goes; the consents show what stands per channel and every
/// change (how, by whom, the notice); another department's nurse may neither read nor change
/// them; the patient page's form does the same and refuses a grant without a notice under its
/// field.
pub async fn staff_record_renewed_consent_and_sms_go_again(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));
    let (patient, due) = discharged(&app, &nurse, "冯玉兰", 81).await;
    assert_eq!(pass(&app, &d, due + Duration::hours(1)).await.sent, 1);
    // The patient replies now (the scheduler above ran at the message's future due time).
    let td = json!([{"phone_number": "13912340081", "send_time": china_time(now() - Duration::minutes(1)), "content": "TD", "sequence_id": 5001}]);
    assert_eq!(reply(&app, &td).await, StatusCode::OK);
    let path = format!("/api/v1/patients/{patient}/consents");
    let (status, c) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK);
    let states: Vec<(&str, &str)> = c["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ch| (ch["channel"].as_str().unwrap(), ch["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("sms", "withdrawn"), ("wechat", "unrecorded"), ("voice", "unrecorded")]
    );
    assert_eq!(c["channels"][0]["since"]["how"], "sms_reply");

    let (status, e) = app
        .post(Some(&nurse), &path, &json!({"channel": "sms", "granted": true}))
        .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("notice_version")),
        "{e}"
    );
    let (status, _) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"channel": "fax", "granted": true, "notice_version": "v1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.department("ortho").await;
    let other = app.user("nurse.zhou", "nurse", Some("ortho")).await;
    assert_eq!(app.get(Some(&other), &path).await.0, StatusCode::FORBIDDEN);
    let grant = json!({"channel": "sms", "granted": true, "notice_version": "随访服务告知书 2026版"});
    assert_eq!(app.post(Some(&other), &path, &grant).await.0, StatusCode::FORBIDDEN);
    let (status, c) = app.post(Some(&nurse), &path, &grant).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let sms = &c["channels"][0];
    assert_eq!(
        (sms["state"].as_str(), sms["since"]["how"].as_str()),
        (Some("granted"), Some("staff"))
    );
    assert_eq!(sms["since"]["notice_version"], "随访服务告知书 2026版");
    assert!(sms["since"]["recorded_by"].is_string(), "by whom");
    assert_eq!(c["history"].as_array().unwrap().len(), 2);
    let audited = app.audited(&admin, &patient).await;
    assert!(audited.iter().any(|a| a == "consent.grant") && audited.iter().any(|a| a == "consent.read"));

    // The D30 reminder goes by SMS again.
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    let d30 = plans[0]["tasks"][2].clone();
    let before = fake.book.lock().unwrap().accepted.len();
    pass(&app, &d, at(&d30["due_at"]) + Duration::hours(1)).await;
    let accepted = fake.book.lock().unwrap().accepted.clone();
    assert_eq!(
        accepted[before..].iter().filter(|a| a.phone == "13912340081").count(),
        1
    );

    // On the patient page: what stands per channel, and the form.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    let section = crate::helpers::section(&html, "consents");
    assert!(
        section.contains("已同意") && section.contains("随访服务告知书 2026版") && section.contains("医护登记"),
        "{section}"
    );
    let csrf = crate::ui::csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("channel", "voice"),
        ("granted", "true"),
        ("notice_version", ""),
    ];
    let res = client
        .post(app.url(&format!("/patients/{patient}/consents")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("登记同意时须注明向患者告知的告知书版本")
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("channel", "voice"),
        ("granted", "false"),
        ("notice_version", ""),
    ];
    let res = client
        .post(app.url(&format!("/patients/{patient}/consents")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let (_, c) = app.get(Some(&nurse), &path).await;
    assert_eq!(c["channels"][2]["state"], "withdrawn", "{c}");
}
crate::register!(staff_record_renewed_consent_and_sms_go_again);

/// One conversation per patient (issue 18, item 7): the questionnaire SMS as it went out through
/// Aliyun, delivered (its receipt), its link opened by the patient, then the patient's reply
/// with its triage — oldest first, in the API and on 消息会话, which the inbox links to.
pub async fn a_patients_messages_read_as_one_thread(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let fake = aliyun_sms::start().await;
    let d = through_aliyun(&app, aliyun_sms::config(&fake, aliyun_sms::ACCESS_KEY_SECRET));
    let (patient, due) = discharged(&app, &nurse, "卫东升", 91).await;
    assert_eq!(pass(&app, &d, due + Duration::hours(1)).await.sent, 1);
    let sms = fake.book.lock().unwrap().accepted[0].clone();
    let receipt = json!([{"phone_number": sms.phone, "success": true, "err_code": "DELIVERED", "biz_id": sms.biz_id, "out_id": sms.out_id}]);
    assert_eq!(
        report(&app, aliyun_sms::CALLBACK_SECRET, &receipt.to_string()).await.0,
        StatusCode::OK
    );
    let path = format!("/api/v1/patients/{patient}/messages");
    let (_, before) = app.get(Some(&nurse), &path).await;
    assert!(before["entries"][0]["opened_at"].is_null(), "{before}");
    let link = sms.params["link"].replace("https://followup.example.cn", "");
    let opened = reqwest::get(app.url(&link)).await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    // The scheduler ran at the message's due time, a week ahead; the reply comes an hour later.
    let words = json!([{"phone_number": sms.phone, "send_time": china_time(due + Duration::hours(2)), "content": "伤口有点红，血压150/95", "sequence_id": 6001}]);
    assert_eq!(reply(&app, &words).await, StatusCode::OK);

    let (status, t) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["patient_name"], "卫东升");
    let entries = t["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{t}");
    let out = &entries[0];
    assert_eq!(
        (
            out["direction"].as_str(),
            out["status"].as_str(),
            out["delivery"].as_str()
        ),
        (Some("out"), Some("sent"), Some("delivered"))
    );
    assert!(out["opened_at"].is_string() && out["answered_at"].is_null(), "{out}");
    assert!(
        out["text"].as_str().unwrap().contains("[链接]"),
        "the link itself is not kept: {out}"
    );
    let back = &entries[1];
    assert_eq!(
        (back["direction"].as_str(), back["attention"].as_str()),
        (Some("in"), Some("findings"))
    );
    app.department("ortho").await;
    let other = app.user("nurse.zhou", "nurse", Some("ortho")).await;
    assert_eq!(app.get(Some(&other), &path).await.0, StatusCode::FORBIDDEN);

    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, inbox) = crate::ui::page(&client, &app, "/inbox").await;
    assert!(
        inbox.contains(&format!("href=\"/patients/{patient}/messages\"")),
        "the inbox links to it"
    );
    let (status, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}/messages")).await;
    assert_eq!(status, StatusCode::OK);
    let thread = crate::helpers::section(&html, "thread");
    let place = |s: &str| thread.find(s).unwrap_or_else(|| panic!("{s} in {thread}"));
    assert!(place("出院7天康复问卷") < place("伤口有点红"), "oldest first");
    for tag in ["已送达", "已打开链接", "有发现"] {
        assert!(thread.contains(tag), "{tag} in {thread}");
    }

    // The reach figures count it: sent, delivered, answered an hour later, at its hour.
    let today = careloop_domain::clock::local_today(now());
    let week = format!("from={today}&to={}", today + Duration::days(10));
    let (status, r) = app.get(Some(&nurse), &format!("/api/v1/stats/reach?{week}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let all = &r["overall"];
    assert_eq!(
        (
            all["sent"].as_u64(),
            all["delivered"].as_u64(),
            all["replied"].as_u64(),
            all["median_minutes_to_reply"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(60)),
        "{r}"
    );
    assert_eq!(all["delivery_rate"], 1.0);
    let hour = format!(
        "{:02}",
        (due + Duration::hours(1))
            .to_offset(careloop_domain::clock::CHINA)
            .hour()
    );
    assert_eq!(r["by_hour"][0]["key"], hour.as_str(), "China time: {r}");
    assert_eq!(r["by_channel"][0]["key"], "sms");
    let (_, figures) = crate::ui::page(&client, &app, &format!("/stats?{week}")).await;
    assert!(
        figures.contains("触达效果") && figures.contains("回复用时中位数"),
        "on the figures page"
    );
}
crate::register!(a_patients_messages_read_as_one_thread);
