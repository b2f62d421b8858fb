//! How well messages reach patients (触达效果): of the automated messages sent in a period, how
//! many the provider confirmed delivered, how many the patient answered, and how long they took
//! to answer — overall, by channel and by the hour of day they were sent (China time), so a
//! service sees which channel and which hour reach its patients.

use serde::Serialize;
use std::collections::BTreeMap;

/// One message sent, as the figures read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub channel: String,
    /// The hour of day it was sent, China time (0–23).
    pub hour: u8,
    /// The provider's receipt: delivered (true), not delivered (false), none yet (sandbox, or
    /// still in the provider's window).
    pub delivered: Option<bool>,
    /// Minutes from sending to the patient's first reply, if they replied.
    pub reply_after_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReachRow {
    /// `all`, a channel (`sms`, `wechat`, `voice`) or an hour (`00`–`23`).
    pub key: String,
    pub sent: u64,
    pub delivered: u64,
    pub undelivered: u64,
    pub replied: u64,
    /// delivered ÷ (delivered + undelivered): of the messages with a receipt; none without any.
    pub delivery_rate: Option<f64>,
    /// replied ÷ sent.
    pub reply_rate: Option<f64>,
    /// The median minutes to the first reply, of the messages answered.
    pub median_minutes_to_reply: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reach {
    pub overall: ReachRow,
    pub by_channel: Vec<ReachRow>,
    pub by_hour: Vec<ReachRow>,
}

fn row(key: String, messages: &[&Sent]) -> ReachRow {
    let count = |f: &dyn Fn(&Sent) -> bool| messages.iter().filter(|m| f(m)).count() as u64;
    let delivered = count(&|m| m.delivered == Some(true));
    let undelivered = count(&|m| m.delivered == Some(false));
    let mut waits: Vec<i64> = messages.iter().filter_map(|m| m.reply_after_minutes).collect();
    waits.sort_unstable();
    let sent = messages.len() as u64;
    let replied = waits.len() as u64;
    ReachRow {
        key,
        sent,
        delivered,
        undelivered,
        replied,
        delivery_rate: (delivered + undelivered > 0).then(|| delivered as f64 / (delivered + undelivered) as f64),
        reply_rate: (sent > 0).then(|| replied as f64 / sent as f64),
        // The lower middle of an even count: a wait that was observed.
        median_minutes_to_reply: (!waits.is_empty()).then(|| waits[(waits.len() - 1) / 2]),
    }
}

fn grouped(messages: &[Sent], key: impl Fn(&Sent) -> String) -> Vec<ReachRow> {
    let mut groups: BTreeMap<String, Vec<&Sent>> = BTreeMap::new();
    for m in messages {
        groups.entry(key(m)).or_default().push(m);
    }
    groups.into_iter().map(|(k, ms)| row(k, &ms)).collect()
}

pub fn reach(messages: &[Sent]) -> Reach {
    Reach {
        overall: row("all".into(), &messages.iter().collect::<Vec<_>>()),
        by_channel: grouped(messages, |m| m.channel.clone()),
        by_hour: grouped(messages, |m| format!("{:02}", m.hour)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(channel: &str, hour: u8, delivered: Option<bool>, reply: Option<i64>) -> Sent {
        Sent {
            channel: channel.into(),
            hour,
            delivered,
            reply_after_minutes: reply,
        }
    }

    #[test]
    fn delivery_counts_receipts_and_replies_count_all_sent() {
        let r = reach(&[
            sent("sms", 9, Some(true), Some(30)),
            sent("sms", 9, Some(true), Some(10)),
            sent("sms", 19, Some(false), None),
            sent("sms", 19, None, Some(240)),
            sent("wechat", 9, None, None),
        ]);
        let all = &r.overall;
        assert_eq!((all.sent, all.delivered, all.undelivered, all.replied), (5, 2, 1, 3));
        assert_eq!(all.delivery_rate, Some(2.0 / 3.0));
        assert_eq!(all.reply_rate, Some(0.6));
        assert_eq!(all.median_minutes_to_reply, Some(30));
        let keys: Vec<&str> = r.by_hour.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(keys, ["09", "19"]);
        let wechat = r.by_channel.iter().find(|c| c.key == "wechat").unwrap();
        assert_eq!(
            (wechat.delivery_rate, wechat.reply_rate, wechat.median_minutes_to_reply),
            (None, Some(0.0), None)
        );
        assert_eq!(reach(&[]).overall.reply_rate, None);
    }
}
