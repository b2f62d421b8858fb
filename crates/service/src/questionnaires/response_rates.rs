//! Questionnaire response rates (问卷回收率): of the questionnaire links made in a period, how
//! many were answered — overall, by the channel they went out by, by the hour of day they were
//! sent (China time) and by the patient's age band. The figures show when and how to reach
//! which patients (an evening SMS to a 75-year-old may go unanswered; a call reaches them).

use crate::Result;
use crate::admin::figures::{FigureQuery, resolve, start_of};
use crate::kernel::audit::{event, record};
use careloop_domain::access::Actor;
use careloop_domain::clock::CHINA;
use careloop_domain::clock::local_today;
use careloop_domain::patient::age_on;
use careloop_store::{Db, outbox};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    /// The group: a channel (`sms`, `wechat`, `voice`, `staff` for links made by staff), an hour
    /// (`00`–`23`) or an age band (`<45`, `45-59`, `60-74`, `75+`).
    pub key: String,
    pub sent: u64,
    pub answered: u64,
    /// answered ÷ sent, none when nothing was sent.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponseRates {
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub overall: RateRow,
    pub by_channel: Vec<RateRow>,
    pub by_hour: Vec<RateRow>,
    pub by_age_band: Vec<RateRow>,
}

/// The age band a patient falls in on `day`.
pub fn age_band(birth: Date, day: Date) -> &'static str {
    match age_on(birth, day) {
        ..45 => "<45",
        45..60 => "45-59",
        60..75 => "60-74",
        _ => "75+",
    }
}

fn rows(groups: BTreeMap<String, (u64, u64)>) -> Vec<RateRow> {
    groups
        .into_iter()
        .map(|(key, (sent, answered))| row(key, sent, answered))
        .collect()
}

fn row(key: String, sent: u64, answered: u64) -> RateRow {
    RateRow {
        key,
        sent,
        answered,
        rate: (sent > 0).then(|| answered as f64 / sent as f64),
    }
}

pub async fn response_rates(db: &Db, actor: &Actor, q: &FigureQuery, now: OffsetDateTime) -> Result<ResponseRates> {
    let (from, to, department) = resolve(actor, q, now)?;
    let mut tx = db.begin().await?;
    let links =
        outbox::questionnaire_links(&mut tx, start_of(from), start_of(to) + Duration::days(1), department).await?;
    record(
        &mut tx,
        event(
            actor,
            "stats.response_rates",
            None,
            Some(format!("links={}", links.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let today = local_today(now);
    let (mut channel, mut hour, mut age) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut answered_total = 0;
    for l in &links {
        let answered = u64::from(l.answered_at.is_some());
        answered_total += answered;
        for (map, key) in [
            (&mut channel, l.channel.clone().unwrap_or_else(|| "staff".into())),
            (&mut hour, format!("{:02}", l.created_at.to_offset(CHINA).hour())),
            (&mut age, age_band(l.birth_date, today).to_string()),
        ] {
            let e: &mut (u64, u64) = map.entry(key).or_default();
            e.0 += 1;
            e.1 += answered;
        }
    }
    Ok(ResponseRates {
        from,
        to,
        overall: row("all".into(), links.len() as u64, answered_total),
        by_channel: rows(channel),
        by_hour: rows(hour),
        by_age_band: {
            // Youngest first (`<45` sorts after the digits as text).
            let mut bands = rows(age);
            bands.sort_by_key(|r| ["<45", "45-59", "60-74", "75+"].iter().position(|b| *b == r.key));
            bands
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn age_bands_change_on_the_birthday() {
        let born = date!(1951 - 11 - 22);
        assert_eq!(age_band(born, date!(2026 - 11 - 21)), "60-74");
        assert_eq!(age_band(born, date!(2026 - 11 - 22)), "75+");
        assert_eq!(age_band(date!(1982 - 01 - 01), date!(2026 - 11 - 22)), "<45");
        assert_eq!(age_band(date!(1966 - 06 - 01), date!(2026 - 11 - 22)), "60-74");
        assert_eq!(age_band(date!(1970 - 06 - 01), date!(2026 - 11 - 22)), "45-59");
    }
}
