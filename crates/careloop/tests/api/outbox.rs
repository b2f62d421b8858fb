//! Automated steps through the sandbox channel: sent once, outside quiet hours, with the
//! patient's link, visible in the outbox exactly as the patient receives them.

use crate::helpers::{TestApp, now};
use careloop_service::followup::scheduler::tick;
use careloop_service::outreach::delivery::{Delivery, SendOutcome, send_due};
use careloop_store::outbox;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap()
}

/// A discharged patient (today) on the post-discharge protocol: D3 call, D7 questionnaire,
/// D30 SMS reminder. Returns (patient id, plan).
async fn discharged(app: &TestApp, nurse: &str) -> (String, Value) {
    let patient = app
        .enrol(
            nurse,
            json!({"name": "王建国", "id_number": crate::helpers::id_number("1958-03-09", true, 7), "phone": "13912345678"}),
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
    (patient, plan)
}

async fn pass(app: &TestApp, d: &Delivery, when: OffsetDateTime) -> SendOutcome {
    tick(&app.db, when).await.unwrap();
    send_due(&app.db, d, when).await.unwrap()
}

async fn delivered(app: &TestApp) -> Vec<outbox::SandboxDelivery> {
    let mut tx = app.db.begin_read().await.unwrap();
    outbox::sandbox_deliveries(&mut tx, 1000).await.unwrap()
}

pub async fn a_questionnaire_link_goes_out_once_and_shows_in_the_outbox(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    // D7 opens at 09:00 China time; an hour later is daytime.
    let when = at(&plan["tasks"][1]["due_at"]) + Duration::hours(1);
    let first = pass(&app, &d, when).await;
    assert_eq!(
        first,
        SendOutcome {
            queued: 1,
            sent: 1,
            ..SendOutcome::default()
        },
        "only the questionnaire is automated; the D3 call is a nurse's"
    );
    assert_eq!(
        pass(&app, &d, when + Duration::minutes(1)).await,
        SendOutcome::default()
    );

    let (status, msgs) = app
        .get(Some(&nurse), &format!("/api/v1/outbox?patient_id={patient}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{msgs}");
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m["channel"], "sms");
    assert_eq!(m["status"], "sent");
    assert_eq!(m["recipient"], "139****5678", "masked in the list");
    assert_eq!(m["has_link"], true);
    assert!(m.get("link").is_none(), "{m}");
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("王先生") && !body.contains("王建国"), "{body}");
    assert!(body.contains("《出院7天康复问卷》：[链接] （7天内有效）"), "{body}");
    assert!(!body.contains("/m/"), "the outbox keeps no link: {body}");

    let got = delivered(&app).await;
    assert_eq!(got.len(), 1);
    let link = got[0].body.split_whitespace().find(|w| w.contains("/m/")).unwrap();
    assert!(link.contains("https://followup.example.cn/m/"), "{link}");
    assert_eq!(
        got[0].body,
        body.replace("[链接]", link.trim_start_matches(|c: char| c != 'h')),
        "the phone received the outbox's text with the link in its place"
    );
    assert_eq!(got[0].recipient, "13912345678");
    // Nothing stored opens the link: the outbox row and the link row keep only its hash.
    let token = link.rsplit("/m/").next().unwrap();
    assert!(
        token.len() == 22 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "a short token: {token}"
    );
    assert_eq!(
        careloop_domain::followup::message::sms_segments(&got[0].body),
        2,
        "billed as two messages, not three: {}",
        got[0].body
    );
    let mut tx = app.db.begin_read().await.unwrap();
    let stored = outbox::list(&mut tx, None, None, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        stored
            .iter()
            .all(|r| !r.body.contains(token) && r.link.as_deref() != Some(token))
    );
    let html = app.phone_page(token).await;
    assert!(
        html.contains("出院7天康复问卷") || html.contains("康复问卷"),
        "the link sent opens the questionnaire"
    );

    let (_, t) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/tasks/{}", plan["tasks"][1]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["state"], "in_progress", "waiting for the answers");
    assert_eq!(t["attempts"], 1);
}
crate::register!(a_questionnaire_link_goes_out_once_and_shows_in_the_outbox);

pub async fn a_reminder_sms_completes_its_task_when_delivered(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "http://127.0.0.1:8080");
    let when = at(&plan["tasks"][2]["due_at"]) + Duration::hours(2);
    let out = pass(&app, &d, when).await;
    assert_eq!(
        out.sent, 1,
        "the D30 reminder (the D7 questionnaire is overdue by then): {out:?}"
    );
    let (_, t) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/tasks/{}", plan["tasks"][2]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["state"], "done");
    let events: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["created", "window_opened", "queued", "delivered"]);
    let body = &delivered(&app).await[0].body;
    assert!(body.contains("出院30天复诊提醒") && body.ends_with("回T退订"), "{body}");
}
crate::register!(a_reminder_sms_completes_its_task_when_delivered);

pub async fn nothing_is_sent_in_quiet_hours(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "http://127.0.0.1:8080");
    let nine = at(&plan["tasks"][1]["due_at"]);
    // 22:00 and 07:30 China time are inside the default 21:00–08:00.
    let night = nine + Duration::hours(13);
    let out = pass(&app, &d, night).await;
    assert_eq!((out.queued, out.held_quiet), (0, 1), "{out:?}");
    let dawn = nine + Duration::days(1) - Duration::minutes(90);
    assert_eq!(pass(&app, &d, dawn).await.held_quiet, 1);
    assert!(delivered(&app).await.is_empty());
    let morning = nine + Duration::days(1);
    assert_eq!(pass(&app, &d, morning).await.sent, 1, "sent when quiet hours end");
}
crate::register!(nothing_is_sent_in_quiet_hours);

pub async fn a_message_claimed_by_a_process_that_died_is_sent_once_after_its_lease(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "http://127.0.0.1:8080");
    let when = at(&plan["tasks"][1]["due_at"]) + Duration::hours(1);
    tick(&app.db, when).await.unwrap();
    // A process queues the message, claims it under a lease, hands it to the provider and dies
    // before marking it sent (modelled: its channel call never succeeds, then the provider
    // receives it anyway).
    let queued = send_due(
        &app.db,
        &Delivery {
            channel: std::sync::Arc::new(Dies),
            ..d.clone()
        },
        when,
    )
    .await
    .unwrap();
    assert_eq!((queued.queued, queued.sent), (1, 0));
    let mut tx = app.db.begin().await.unwrap();
    let key = outbox::list(&mut tx, None, None, 10).await.unwrap()[0]
        .idempotency_key
        .clone();
    tx.commit().await.unwrap();
    let msg = careloop_service::outreach::delivery::Outgoing {
        idempotency_key: &key,
        channel: "sms",
        recipient: "13912345678",
        body: "(the same message)",
        template: None,
        params: &[],
    };
    d.channel.send(&msg).await.unwrap();
    assert_eq!(delivered(&app).await.len(), 1);

    // Within the lease nobody else sends; after it, a live process sends with the same key.
    assert_eq!(
        send_due(&app.db, &d, when + Duration::seconds(30)).await.unwrap().sent,
        0
    );
    let later = when + d.lease + Duration::seconds(1);
    assert_eq!(send_due(&app.db, &d, later).await.unwrap().sent, 1);
    assert_eq!(delivered(&app).await.len(), 1, "the provider saw one message");
}
crate::register!(a_message_claimed_by_a_process_that_died_is_sent_once_after_its_lease);

/// A channel whose process "dies" mid-send: it never answers within the pass, which leaves the
/// message queued under the lease (modelled as a temporary failure).
struct Dies;

impl careloop_service::outreach::delivery::Channel for Dies {
    fn send<'a>(
        &'a self,
        _msg: &'a careloop_service::outreach::delivery::Outgoing<'a>,
    ) -> careloop_service::outreach::delivery::SendFuture<'a> {
        Box::pin(async {
            Err(careloop_service::outreach::delivery::SendError::Temporary(
                "killed".into(),
            ))
        })
    }
}

/// A provider that never answers: each call gives up after the send timeout and the message
/// stays queued for a later pass, so the pass ends instead of hanging on it.
struct Hangs;

impl careloop_service::outreach::delivery::Channel for Hangs {
    fn send<'a>(
        &'a self,
        _msg: &'a careloop_service::outreach::delivery::Outgoing<'a>,
    ) -> careloop_service::outreach::delivery::SendFuture<'a> {
        Box::pin(std::future::pending())
    }
}

pub async fn a_provider_that_hangs_cannot_stall_the_scheduler(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (_, plan) = discharged(&app, &nurse).await;
    let when = at(&plan["tasks"][1]["due_at"]) + Duration::hours(1);
    tick(&app.db, when).await.unwrap();
    let hanging = Delivery {
        channel: std::sync::Arc::new(Hangs),
        send_timeout: std::time::Duration::from_millis(200),
        ..Delivery::sandbox(&app.db, "http://127.0.0.1:8080")
    };
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(std::time::Duration::from_secs(20), send_due(&app.db, &hanging, when))
        .await
        .expect("the pass ends although the provider never answers")
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!((out.queued, out.sent, out.failed), (1, 0, 0), "{out:?}");
    let mut tx = app.db.begin().await.unwrap();
    let m = outbox::list(&mut tx, None, None, 10).await.unwrap().remove(0);
    tx.commit().await.unwrap();
    assert_eq!(m.status, "queued", "tried again after the lease");
    let later = when + hanging.lease + Duration::seconds(1);
    let d = Delivery::sandbox(&app.db, "http://127.0.0.1:8080");
    assert_eq!(
        send_due(&app.db, &d, later).await.unwrap().sent,
        1,
        "a working provider sends it"
    );
}
crate::register!(a_provider_that_hangs_cannot_stall_the_scheduler);

pub async fn quiet_hours_are_set_per_organisation_and_per_patient(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let org = orgs[0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/organisations/{org}/quiet-hours");
    let (status, err) = app
        .put(Some(&admin), &path, &json!({"start": "25:00", "end": "08:00"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "start");
    let (status, _) = app
        .put(Some(&nurse), &path, &json!({"start": "12:00", "end": "14:00"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "organisation settings are for admins");
    let (status, _) = app
        .put(Some(&admin), &path, &json!({"start": "12:00", "end": "14:00"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (patient, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "http://127.0.0.1:8080");
    let nine = at(&plan["tasks"][1]["due_at"]);
    // This patient works nights and sleeps 08:00–16:00.
    let (status, _) = app
        .put(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/quiet-hours"),
            &json!({"start": "08:00", "end": "16:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(pass(&app, &d, nine + Duration::hours(1)).await.held_quiet, 1);
    assert_eq!(
        pass(&app, &d, nine + Duration::hours(13)).await.sent,
        1,
        "22:00 is fine for this patient and outside the organisation's 12:00–14:00"
    );
}
crate::register!(quiet_hours_are_set_per_organisation_and_per_patient);

/// Three `careloop serve` processes share one database; one is killed (SIGKILL) while the
/// scheduler passes are sending. Every due step is still sent, and none twice.
pub async fn three_schedulers_send_every_step_once_when_one_is_killed(app: TestApp) {
    const PATIENTS: u32 = 300;
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let org = orgs[0]["id"].as_str().unwrap();
    // Whatever the hour the suite runs at, nothing is held back.
    let (status, _) = app
        .put(
            Some(&admin),
            &format!("/api/v1/organisations/{org}/quiet-hours"),
            &json!({"start": "00:00", "end": "00:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let batch: Vec<Value> = (0..PATIENTS)
        .map(|i| {
            json!({"name": format!("患者{i}"), "id_number": crate::helpers::id_number(&format!("19{:02}-01-01", 40 + i / 500), i % 2 == 0, i), "phone": format!("139{:08}", i)})
        })
        .collect();
    let (status, enrolled) = app.post(Some(&nurse), "/api/v1/patients/batch", &json!(batch)).await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    // Discharged 31 days ago: each patient's D30 reminder SMS is due now.
    let anchor = (careloop_domain::clock::local_today(now()) - Duration::days(31)).to_string();
    for p in enrolled.as_array().unwrap() {
        let (status, plan) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{}/plans", p["id"].as_str().unwrap()),
                &json!({"protocol": "post-discharge-surgery", "anchor_date": anchor}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        assert_eq!(plan["tasks"][2]["state"], "due");
    }

    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_careloop"))
            .arg("serve")
            .env("CARELOOP_DATABASE_URL", &app.db_url)
            .env("CARELOOP_ADDR", "127.0.0.1:0")
            .env("CARELOOP_SCHEDULER_INTERVAL_SECS", "1")
            .env("CARELOOP_SCHEDULER_LEASE_SECS", "2")
            .env("CARELOOP_MAX_CONNECTIONS", "3")
            .env("CARELOOP_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut procs: Vec<std::process::Child> = (0..3).map(|_| spawn()).collect();
    let waited = wait_for(|| async { !delivered(&app).await.is_empty() }, 60).await;
    procs[0].kill().unwrap();
    procs[0].wait().unwrap();
    let sent_when_killed = delivered(&app).await.len();
    let all_sent = wait_for(
        || async {
            let mut tx = app.db.begin_read().await.unwrap();
            let rows = outbox::list(&mut tx, None, None, 10_000).await.unwrap();
            rows.len() == PATIENTS as usize && rows.iter().all(|r| r.status == "sent")
        },
        90,
    )
    .await;
    for p in &mut procs[1..] {
        p.kill().unwrap();
        p.wait().unwrap();
    }
    assert!(waited, "the schedulers never started sending");
    assert!(all_sent, "not every message was sent");
    eprintln!("killed one of three schedulers after {sent_when_killed} of {PATIENTS} deliveries");

    let got = delivered(&app).await;
    assert_eq!(got.len(), PATIENTS as usize, "each step reached the provider once");
    let mut recipients: Vec<&str> = got.iter().map(|g| g.recipient.as_str()).collect();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(recipients.len(), PATIENTS as usize, "one message per patient");
    let (_, done) = app.get(Some(&nurse), "/api/v1/tasks?status=done&per_page=1").await;
    assert_eq!(done["total"], PATIENTS, "every reminder task completed");
    let (_, stuck) = app
        .get(Some(&nurse), "/api/v1/tasks?status=due,in_progress,failed&per_page=1")
        .await;
    assert_eq!(stuck["total"], 0);
}
crate::register!(three_schedulers_send_every_step_once_when_one_is_killed);

/// Poll `check` every 100 ms for up to `secs` seconds.
async fn wait_for<F, Fut>(check: F, secs: u64) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// The loop closes: the questionnaire link the scheduler sent opens the protocol's recovery
/// questionnaire; the patient's answers complete the task as its follow-up record, and the
/// protocol's rules act on them as after a nurse's call (fever and a red wound: alerts, a
/// referral).
pub async fn a_sent_questionnaire_answered_by_the_patient_completes_its_task_and_drives_the_rules(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    let when = at(&plan["tasks"][1]["due_at"]) + Duration::hours(1);
    assert_eq!(pass(&app, &d, when).await.sent, 1);
    let got = delivered(&app).await;
    let link = got[0]
        .body
        .split_whitespace()
        .find(|w| w.contains("/m/"))
        .unwrap()
        .to_string();
    let token = link.rsplit("/m/").next().unwrap();

    let browser = reqwest::Client::new();
    let html = browser
        .get(app.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("出院康复问卷") && html.contains("您的伤口现在怎么样？"),
        "{html}"
    );
    let form = [
        ("wound", "o1"),
        ("pain", "3"),
        ("fever", "true"),
        ("temperature", "39.2"),
        ("medication_adherence", "o0"),
        ("symptoms", "伤口有点痒"),
    ];
    let res = browser
        .post(app.url(&format!("/m/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("提交成功"));

    let task_id = plan["tasks"][1]["id"].as_str().unwrap();
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(t["state"], "done", "{t}");
    let (_, records) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/follow-up-records"))
        .await;
    let rec = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_id"] == task_id)
        .unwrap()
        .clone();
    let text = rec.to_string();
    assert!(
        text.contains("红肿") && text.contains("39.2"),
        "the words and values the patient gave: {text}"
    );
    let (_, alerts) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    let reasons = alerts.to_string();
    assert!(
        reasons.contains("体温≥38.5℃") && reasons.contains("伤口红肿"),
        "{reasons}"
    );
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert!(
        plans.to_string().contains("\"REF\""),
        "the wound rule calls for a referral: {plans}"
    );
}
crate::register!(a_sent_questionnaire_answered_by_the_patient_completes_its_task_and_drives_the_rules);

/// An elderly patient's daughter receives the plan's questionnaire links (家属代收): the SMS goes
/// to her phone and says on whose behalf, her page says she answers for the patient, and the
/// answers complete the task as answered by the proxy. Once consent is withdrawn the next link
/// goes to the patient again.
pub async fn plan_links_go_to_the_proxy_who_receives_them(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let path = format!("/api/v1/patients/{patient}/proxies");
    let (status, helper) = app
        .post(
            Some(&nurse),
            &path,
            &json!({"name": "王丽", "relation": "child", "phone": "13700001111", "consent": "患者出院时书面同意", "receives_links": true}),
        )
        .await;
    assert_eq!(
        (status, helper["receives_links"].as_bool()),
        (StatusCode::CREATED, Some(true)),
        "{helper}"
    );
    // A second proxy without the flag receives nothing.
    app.post(
        Some(&nurse),
        &path,
        &json!({"name": "王强", "relation": "child", "phone": "13700002222", "consent": "口头同意"}),
    )
    .await;

    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    let when = at(&plan["tasks"][1]["due_at"]) + Duration::hours(1);
    assert_eq!(pass(&app, &d, when).await.sent, 1);
    let got = delivered(&app).await;
    assert_eq!(got[0].recipient, "13700001111", "to the daughter's phone");
    assert!(
        got[0].body.contains("您作为王先生的子女，受其委托代为填写"),
        "{}",
        got[0].body
    );

    let token = got[0]
        .body
        .split("/m/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let html = app.phone_page(&token).await;
    assert!(html.contains("您作为王先生的子女，正在代为填写"), "{html}");
    let form = [
        ("wound", "o0"),
        ("pain", "2"),
        ("fever", "false"),
        ("medication_adherence", "o0"),
    ];
    let res = reqwest::Client::new()
        .post(app.url(&format!("/m/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(
        (list[0]["answered_by"].as_str(), list[0]["proxy_id"].as_str()),
        (Some("proxy"), helper["id"].as_str())
    );
    let (_, t) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/tasks/{}", plan["tasks"][1]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["state"], "done", "{t}");

    // Consent withdrawn: links go to the patient again (the plan stopped and started anew).
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/plans/{}/stop", plan["id"].as_str().unwrap()),
            &json!({"reason": "withdrawn"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/proxies/{}/revoke", helper["id"].as_str().unwrap()),
            &json!({"reason": "患者本人要求"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "post-discharge-surgery", "anchor_date": careloop_domain::clock::local_today(now()).to_string()}),
        )
        .await;
    let when = at(&again["tasks"][1]["due_at"]) + Duration::hours(2);
    assert_eq!(pass(&app, &d, when).await.sent, 1, "{again}");
    let got = delivered(&app).await;
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().any(|g| g.recipient == "13912345678"),
        "the patient's phone again"
    );
    assert!(
        got.iter().all(|g| g.recipient != "13700002222"),
        "never the proxy without the flag"
    );
}
crate::register!(plan_links_go_to_the_proxy_who_receives_them);

/// `n` patients (named `name0`…, ID sequence from `seq`) on the post-discharge protocol, with
/// the scheduler run to an hour after the last one's questionnaire fell due: the instant.
async fn discharged_with_due_questionnaires(
    app: &TestApp,
    nurse: &str,
    name: &str,
    seq: u32,
    n: u32,
) -> OffsetDateTime {
    let mut due = Vec::new();
    for i in 0..n {
        let patient = app.enrol_simple(nurse, &format!("{name}{i}"), seq + i).await;
        let (status, plan) = app
            .post(
                Some(nurse),
                &format!("/api/v1/patients/{patient}/plans"),
                &json!({"protocol": "post-discharge-surgery", "anchor_date": careloop_domain::clock::local_today(now()).to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{plan}");
        due.push(at(&plan["tasks"][1]["due_at"]));
    }
    let when = *due.iter().max().unwrap() + Duration::hours(1);
    tick(&app.db, when).await.unwrap();
    when
}

/// A delivery whose provider fails for now: every message stays queued under its lease.
fn failing_delivery(app: &TestApp) -> Delivery {
    Delivery {
        channel: std::sync::Arc::new(Dies),
        ..Delivery::sandbox(&app.db, "http://127.0.0.1:8080")
    }
}

/// Two delivery passes claiming at once never hold the same due step, nor the same queued
/// message.
pub async fn two_outbox_claims_at_once_never_share_a_message(app: TestApp) {
    use careloop_store::outbox::claim_queued;
    let (_, nurse) = app.admin_and_nurse().await;
    let when = discharged_with_due_questionnaires(&app, &nurse, "发件", 90, 5).await;
    let due_steps: crate::helpers::Claim = |tx, _at, limit| {
        Box::pin(async move {
            let rows = careloop_store::outbox::claim_due_steps(tx, limit, &[]).await.unwrap();
            rows.iter().map(|r| r.id).collect()
        })
    };
    crate::helpers::claims_at_once_never_overlap(&app, when, due_steps, 2, 3).await;
    // A pass whose provider fails for now leaves every message queued under its lease.
    let failing = failing_delivery(&app);
    let out = send_due(&app.db, &failing, when).await.unwrap();
    assert_eq!((out.queued, out.sent), (5, 0), "{out:?}");
    let after_lease = when + failing.lease + Duration::seconds(1);
    let claim: crate::helpers::Claim = |tx, at, limit| {
        Box::pin(async move {
            let rows = claim_queued(tx, at, at + Duration::minutes(2), limit).await.unwrap();
            rows.iter().map(|m| m.id).collect()
        })
    };
    crate::helpers::claims_at_once_never_overlap(&app, after_lease, claim, 2, 3).await;
}
crate::register!(two_outbox_claims_at_once_never_share_a_message);

/// A pass that outlived its lease does not send or settle what another pass has claimed since:
/// each claim is fenced by its attempt number. Before, settling was by id alone, so the slow
/// pass's late outcomes overwrote the new claim's, and the tail of its batch went out again.
pub async fn a_pass_that_lost_its_lease_neither_sends_nor_settles_the_message(app: TestApp) {
    use careloop_store::outbox::{Claim, claim_queued, renew, settle};
    let (_, nurse) = app.admin_and_nurse().await;
    let when = discharged_with_due_questionnaires(&app, &nurse, "租约", 110, 3).await;
    let failing = failing_delivery(&app);
    let out = send_due(&app.db, &failing, when).await.unwrap();
    assert_eq!((out.queued, out.sent), (3, 0), "{out:?}");

    // Pass A claims the three; its lease runs out before it is done; pass B claims them.
    let a_at = when + failing.lease + Duration::seconds(1);
    let mut tx = app.db.begin().await.unwrap();
    let a = claim_queued(&mut tx, a_at, a_at + Duration::minutes(2), 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let b_at = a_at + Duration::minutes(3);
    let mut tx = app.db.begin().await.unwrap();
    let b = claim_queued(&mut tx, b_at, b_at + Duration::minutes(2), 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(
        a.iter().map(|m| m.id).collect::<Vec<_>>(),
        b.iter().map(|m| m.id).collect::<Vec<_>>()
    );

    let mut tx = app.db.begin().await.unwrap();
    for m in &a {
        assert!(
            !renew(&mut tx, Claim::of(m), b_at + Duration::minutes(5)).await.unwrap(),
            "A may not send it"
        );
        assert!(
            !settle(&mut tx, Claim::of(m), "failed", None, Some("late"), b_at)
                .await
                .unwrap(),
            "nor settle it"
        );
    }
    for m in &b {
        assert!(
            renew(&mut tx, Claim::of(m), b_at + Duration::minutes(2)).await.unwrap(),
            "B holds it"
        );
        assert!(
            settle(&mut tx, Claim::of(m), "sent", Some("ref-b"), None, b_at)
                .await
                .unwrap()
        );
        assert!(
            !settle(&mut tx, Claim::of(m), "sent", Some("ref-again"), None, b_at)
                .await
                .unwrap(),
            "once"
        );
    }
    tx.commit().await.unwrap();
    let (_, msgs) = app.get(Some(&nurse), "/api/v1/outbox").await;
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().all(|m| m["status"] == "sent"), "{msgs:?}");
}
crate::register!(a_pass_that_lost_its_lease_neither_sends_nor_settles_the_message);

/// A questionnaire task on the call sheet can be worked: before it goes out the sheet says so
/// and offers to send it today; sent today, the sheet shows the message as the patient got it
/// (link slot kept), its status and the link waiting to be filled, and no second send while
/// the patient may still answer; the nurse may call instead (the call form stays open).
pub async fn a_questionnaire_task_shows_what_went_out_and_can_be_sent_today(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let task = plan["tasks"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(plan["tasks"][1]["method"], "questionnaire");
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, sheet) = crate::ui::page(&client, &app, &format!("/tasks/{task}")).await;
    let outreach = crate::helpers::section(&sheet, "outreach");
    assert!(
        outreach.contains("出院康复问卷") && outreach.contains("尚未发出") && outreach.contains("今天发送"),
        "{outreach}"
    );
    assert!(sheet.contains("name=\"contact_result\""), "the nurse may call instead");

    let res = client
        .post(app.url(&format!("/tasks/{task}/resend")))
        .form(&[("csrf", crate::ui::csrf_of(&sheet))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    let today = careloop_domain::clock::local_today(now());
    let due = at(&t["due_at"]).to_offset(careloop_domain::clock::CHINA);
    assert_eq!(due.date(), today, "moved to today: {t}");

    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    let ten = OffsetDateTime::new_in_offset(today, time::macros::time!(10:00), careloop_domain::clock::CHINA);
    let out = pass(&app, &d, ten).await;
    assert_eq!((out.queued, out.sent), (1, 1), "{out:?}");
    let (_, sheet) = crate::ui::page(&client, &app, &format!("/tasks/{task}")).await;
    let outreach = crate::helpers::section(&sheet, "outreach");
    assert!(
        outreach.contains("已发送") && outreach.contains("《出院7天康复问卷》：[链接]") && outreach.contains("待填写"),
        "{outreach}"
    );
    assert!(!outreach.contains("/resend"), "not while the patient may still answer");
    // The patient page says so too, above the fold.
    let (_, html) = crate::ui::page(&client, &app, &format!("/patients/{patient}")).await;
    let recent = crate::helpers::section(&html, "recent-messages");
    assert!(
        recent.contains("《出院7天康复问卷》：[链接]") && recent.contains("出院康复问卷：待填写"),
        "{recent}"
    );
}
crate::register!(a_questionnaire_task_shows_what_went_out_and_can_be_sent_today);

/// The revisit reminder says when (the day it is due), where (the patient's department) and
/// whom to call (the organisation's number, once an administrator has set one); a number that
/// is no number is refused.
pub async fn the_revisit_reminder_says_when_where_and_whom_to_call(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let org = orgs[0]["id"].as_str().unwrap().to_string();
    let phone = format!("/api/v1/organisations/{org}/phone");
    let (status, err) = app.put(Some(&admin), &phone, &json!({"phone": "call us"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(
        app.put(Some(&nurse), &phone, &json!({"phone": "0571-87000000"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, o) = app
        .put(Some(&admin), &phone, &json!({"phone": " 0571-87000000 "}))
        .await;
    assert_eq!(
        (status, o["phone"].as_str()),
        (StatusCode::OK, Some("0571-87000000")),
        "{o}"
    );

    let (patient, plan) = discharged(&app, &nurse).await;
    let reminder = &plan["tasks"][2];
    assert_eq!(reminder["method"], "sms");
    let due = at(&reminder["due_at"]);
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    pass(&app, &d, due + Duration::hours(1)).await;
    let (_, msgs) = app
        .get(Some(&nurse), &format!("/api/v1/outbox?patient_id={patient}"))
        .await;
    let body = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .find(|b| b.contains("复诊"))
        .expect("the reminder went out");
    let day = due.to_offset(careloop_domain::clock::CHINA).date();
    let when = format!("请于{}月{}日前后到cardio 科复诊", u8::from(day.month()), day.day());
    assert!(body.contains(&when), "when and where: {body}");
    assert!(body.contains("预约或咨询请致电0571-87000000。"), "whom to call: {body}");
}
crate::register!(the_revisit_reminder_says_when_where_and_whom_to_call);

/// A questionnaire task filled in on the patient's behalf (代患者填写): the patient did not
/// answer the SMS, the nurse calls and enters the answers on the sheet's form. A missing answer
/// is shown under its question with the others kept; stored, the response is the staff's (the
/// nurse its author), it alerts as the patient's would (pain 8, a split wound), the task is
/// settled as reached and the sheet says what it set off, the link sent to the patient no longer
/// opens, and the form cannot be sent twice. A call task has no questionnaire to fill.
pub async fn a_nurse_fills_a_questionnaire_task_in_for_the_patient(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let task = plan["tasks"][1]["id"].as_str().unwrap().to_string();
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    let out = pass(&app, &d, at(&plan["tasks"][1]["due_at"]) + Duration::hours(1)).await;
    assert_eq!(out.sent, 1);
    let link = delivered(&app).await[0]
        .body
        .split_whitespace()
        .find(|w| w.contains("/m/"))
        .unwrap()
        .to_string();
    let token = link.rsplit("/m/").next().unwrap().to_string();

    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, sheet) = crate::ui::page(&client, &app, &format!("/tasks/{task}")).await;
    let outreach = crate::helpers::section(&sheet, "outreach");
    assert!(
        outreach.contains(&format!("href=\"/tasks/{task}/questionnaire\"")),
        "{outreach}"
    );
    let (status, form) = crate::ui::page(&client, &app, &format!("/tasks/{task}/questionnaire")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("王建国") && form.contains("您的伤口现在怎么样？") && form.contains("name=\"pain\""),
        "{form}"
    );
    let csrf = crate::ui::csrf_of(&form);
    let url = app.url(&format!("/tasks/{task}/questionnaire"));

    // The wound left unanswered: refused under its question, the other answers kept.
    let partial = [
        ("csrf", csrf.as_str()),
        ("pain", "8"),
        ("fever", "false"),
        ("medication_adherence", "o0"),
    ];
    let res = client.post(&url).form(&partial).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let wound = crate::helpers::section(&format!("{html}</section>"), "q-wound").to_string();
    assert!(wound.contains("class=\"invalid\""), "{wound}");
    assert!(html.contains("name=\"pain\" value=\"8\""), "the typed pain is kept");
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    assert_eq!(t["state"], "in_progress", "nothing stored: {t}");

    let full = [
        ("csrf", csrf.as_str()),
        ("wound", "o3"),
        ("pain", "8"),
        ("fever", "false"),
        ("medication_adherence", "o0"),
        ("symptoms", "伤口有点裂开"),
    ];
    let res = client.post(&url).form(&full).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/tasks/{task}#call-result")
    );
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    assert_eq!(t["state"], "done", "{t}");
    let (_, responses) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    let r = &responses.as_array().unwrap()[0];
    assert_eq!(r["answered_by"], "staff", "{r}");
    let (_, sheet) = crate::ui::page(&client, &app, &format!("/tasks/{task}")).await;
    let result = crate::helpers::section(&sheet, "call-result");
    assert!(result.contains("接通"), "{result}");
    assert!(
        result.contains("伤口红肿") && result.contains("疼痛评分≥7分") && result.contains("需要转诊"),
        "the protocol's rules read the answers as they read the patient's: {result}"
    );
    let records = crate::helpers::section(&sheet, "outreach");
    assert!(records.contains("已收回"), "the patient's link is withdrawn: {records}");
    assert_eq!(
        reqwest::get(app.url(&format!("/m/{token}"))).await.unwrap().status(),
        StatusCode::GONE,
        "the patient is not asked twice"
    );
    let (status, _) = crate::ui::page(&client, &app, &format!("/tasks/{task}/questionnaire")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a settled task is not filled twice");
    let res = client.post(&url).form(&full).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let call = plan["tasks"][0]["id"].as_str().unwrap();
    let (status, _) = crate::ui::page(&client, &app, &format!("/tasks/{call}/questionnaire")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a call task sends no questionnaire");
    let res = client
        .post(app.url(&format!("/tasks/{call}/questionnaire")))
        .form(&[("pain", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
}
crate::register!(a_nurse_fills_a_questionnaire_task_in_for_the_patient);

/// Two nurses (or one double-click) submit the same questionnaire for the patient at once: one
/// response is stored and the task settled once; the others are told it is settled.
pub async fn a_questionnaire_filled_in_twice_at_once_is_stored_once(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let task = plan["tasks"][1]["id"].as_str().unwrap().to_string();
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (status, _) = crate::ui::page(&client, &app, &format!("/tasks/{task}/questionnaire")).await;
    assert_eq!(status, StatusCode::CONFLICT, "not before its window opens");
    let (_, sheet) = crate::ui::page(&client, &app, &format!("/tasks/{task}")).await;
    assert!(!sheet.contains("id=\"fill-on-behalf\""), "nor offered on the sheet");
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    pass(&app, &d, at(&plan["tasks"][1]["due_at"]) + Duration::hours(1)).await;
    let (_, form) = crate::ui::page(&client, &app, &format!("/tasks/{task}/questionnaire")).await;
    let csrf = crate::ui::csrf_of(&form);
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (client, url, csrf) = (
                client.clone(),
                app.url(&format!("/tasks/{task}/questionnaire")),
                csrf.clone(),
            );
            tokio::spawn(async move {
                let answers = [
                    ("csrf", csrf.as_str()),
                    ("wound", "o0"),
                    ("pain", "2"),
                    ("fever", "false"),
                    ("medication_adherence", "o0"),
                ];
                client.post(url).form(&answers).send().await.unwrap().status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    let stored = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(stored, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (_, responses) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-responses"),
        )
        .await;
    assert_eq!(responses.as_array().unwrap().len(), 1, "{responses}");
    let (_, t) = app.get(Some(&nurse), &format!("/api/v1/tasks/{task}")).await;
    let settled = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["to_state"] == "done")
        .count();
    assert_eq!(settled, 1, "{t}");
}
crate::register!(a_questionnaire_filled_in_twice_at_once_is_stored_once);

/// A call signed twice at once (a double-click on 提交随访记录, or two nurses): one record, one
/// settling; the other is told the task is settled.
pub async fn a_call_signed_twice_at_once_is_recorded_once(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (patient, plan) = discharged(&app, &nurse).await;
    let d = Delivery::sandbox(&app.db, "https://followup.example.cn/");
    pass(&app, &d, at(&plan["tasks"][0]["due_at"]) + Duration::hours(1)).await;
    let task = plan["tasks"][0]["id"].as_str().unwrap().to_string();
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (http, url, nurse) = (
                app.http.clone(),
                app.url(&format!("/api/v1/tasks/{task}/records")),
                nurse.clone(),
            );
            tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(nurse)
                    .json(&json!({"contact_result": "reached", "note": "恢复良好"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::CREATED).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (_, records) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/follow-up-records"))
        .await;
    assert_eq!(records.as_array().map(Vec::len), Some(1), "{records}");
}
crate::register!(a_call_signed_twice_at_once_is_recorded_once);
