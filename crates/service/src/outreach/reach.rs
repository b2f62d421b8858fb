//! How well messages reach patients (触达效果), for the figures page and
//! `GET /api/v1/stats/reach`: the messages sent in the period (department-scoped as every
//! figure), their receipts and first replies, counted by `domain::followup::reach`.

use crate::Result;
use crate::admin::figures::{FigureQuery, resolve, start_of};
use crate::kernel::audit::{event, record};
use careloop_domain::access::Actor;
use careloop_domain::clock::CHINA;
use careloop_domain::followup::reach::{self, Reach, Sent};
use careloop_store::{Db, consents, outbox};
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReachFigures {
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    #[serde(flatten)]
    pub reach: Reach,
}

pub async fn reach(db: &Db, actor: &Actor, q: &FigureQuery, now: OffsetDateTime) -> Result<ReachFigures> {
    let (from, to, department) = resolve(actor, q, now)?;
    let mut tx = db.begin().await?;
    let sent = outbox::sent_in(&mut tx, start_of(from), start_of(to) + Duration::days(1), department).await?;
    let ids: Vec<Uuid> = sent.iter().map(|m| m.id).collect();
    let replies = consents::first_replies(&mut tx, &ids).await?;
    let detail = format!("messages={}", sent.len());
    record(&mut tx, event(actor, "stats.reach", None, Some(detail), now)).await?;
    tx.commit().await?;
    let messages: Vec<Sent> = sent
        .into_iter()
        .map(|m| Sent {
            hour: m.sent_at.to_offset(CHINA).hour(),
            delivered: m.delivery.as_deref().map(|d| d == "delivered"),
            reply_after_minutes: replies.get(&m.id).map(|at| (*at - m.sent_at).whole_minutes().max(0)),
            channel: m.channel,
        })
        .collect();
    Ok(ReachFigures {
        from,
        to,
        reach: reach::reach(&messages),
    })
}
