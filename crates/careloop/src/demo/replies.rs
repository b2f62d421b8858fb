//! Replies for the demo (演示回复): the last five weeks of automated messages (the discharged
//! patients' questionnaire links and reminders) are sent through the sandbox each day at 10:00
//! Beijing time, as the scheduler would have sent them, and the
//! patients who received one answer as patients do — a value past its emergency limit, blood
//! the rules cannot explain, a raised blood pressure with dizziness, a mild symptom, thanks —
//! through the path Aliyun's push takes (`record_sms_replies`), so the reply inbox, its alerts
//! and the patient pages show the triage a working service sees.

use careloop_domain::clock::CHINA;
use careloop_service::followup::scheduler::tick;
use careloop_service::outreach::delivery::{Delivery, send_due};
use careloop_service::outreach::replies::{InboundReply, record_sms_replies};
use careloop_store::{Db, outbox};
use time::{Duration, OffsetDateTime, Time};

/// What the demo's patients send back, one each, the newest message answered first.
const REPLIES: [&str; 6] = [
    "今天量血压185/115，头胀得厉害",
    "早上起来吐了一口血",
    "血压160/100，头晕",
    "伤口还有点疼，能忍",
    "好的，谢谢护士",
    "收到，下周去医院复查",
];

/// How many days of messages the demo sends before it loads the replies: the demo's discharges
/// go back five weeks.
const DAYS: i64 = 35;

pub async fn load(db: &Db, public_url: &str, now: OffsetDateTime) -> anyhow::Result<()> {
    let delivery = Delivery::sandbox(db, public_url);
    let ten = now.to_offset(CHINA).replace_time(Time::from_hms(10, 0, 0)?);
    for days_ago in (0..=DAYS).rev() {
        let at = ten - Duration::days(days_ago);
        if at <= now {
            tick(db, at).await?;
            send_due(db, &delivery, at).await?;
        }
    }
    let mut tx = db.begin_read().await?;
    let sent = outbox::list(&mut tx, None, None, 500).await?;
    tx.commit().await?;
    let mut answered: Vec<(String, OffsetDateTime)> = Vec::new();
    for m in sent.iter().filter(|m| m.channel == "sms" && m.status == "sent") {
        if let Some(at) = m.sent_at.filter(|_| !answered.iter().any(|(r, _)| *r == m.recipient)) {
            answered.push((m.recipient.clone(), at));
        }
    }
    answered.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    let replies: Vec<InboundReply> = REPLIES
        .iter()
        .zip(answered)
        .enumerate()
        .map(|(n, (text, (sender, sent_at)))| InboundReply {
            key: format!("demo-{n}"),
            sender,
            content: (*text).into(),
            at: Some((sent_at + Duration::minutes(20 + 7 * n as i64)).min(now)),
        })
        .collect();
    record_sms_replies(db, "sandbox", &replies, now).await?;
    Ok(())
}
