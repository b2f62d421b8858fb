//! Consent per channel and the messages patients send back (上行).

use crate::{Result, Tx, stored_time};
use careloop_domain::reply::Attention;
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsentRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub proxy_id: Option<Uuid>,
    /// `sms`, `wechat` or `voice`.
    pub channel: String,
    pub granted: bool,
    /// `sms_reply`, `wechat_event`, `staff` or `patient_page`.
    pub how: String,
    pub recorded_by: Option<Uuid>,
    pub notice_version: Option<String>,
    pub at: OffsetDateTime,
}

const CONSENT_COLUMNS: [&str; 9] = [
    "id",
    "patient_id",
    "proxy_id",
    "channel",
    "granted",
    "how",
    "recorded_by",
    "notice_version",
    "at",
];

pub async fn record(tx: &mut Tx, c: &ConsentRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("channel_consents")
        .columns(CONSENT_COLUMNS)
        .values_panic([
            c.id.into(),
            c.patient_id.into(),
            c.proxy_id.into(),
            c.channel.clone().into(),
            c.granted.into(),
            c.how.clone().into(),
            c.recorded_by.into(),
            c.notice_version.clone().into(),
            stored_time(c.at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A patient's own consent changes (not their proxies'), oldest first.
pub async fn of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<ConsentRow>> {
    let stmt = Query::select()
        .columns(CONSENT_COLUMNS)
        .from("channel_consents")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .and_where(Expr::col("proxy_id").is_null())
        .order_by("at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Of these patients, the channels on which their latest own consent is withdrawn.
pub async fn withdrawn_channels(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<HashMap<Uuid, HashSet<String>>> {
    let mut latest: HashMap<(Uuid, String), bool> = HashMap::new();
    for chunk in patient_ids.chunks(1000) {
        let stmt = Query::select()
            .columns(["patient_id", "channel", "granted"])
            .from("channel_consents")
            .and_where(Expr::col("patient_id").is_in(chunk.iter().copied()))
            .and_where(Expr::col("proxy_id").is_null())
            .order_by("at", Order::Asc)
            .order_by("id", Order::Asc)
            .to_owned();
        let rows: Vec<(Uuid, String, bool)> = tx.fetch_all(&stmt).await?;
        latest.extend(rows.into_iter().map(|(p, c, g)| ((p, c), g)));
    }
    let mut out: HashMap<Uuid, HashSet<String>> = HashMap::new();
    for ((patient, channel), granted) in latest {
        if !granted {
            out.entry(patient).or_default().insert(channel);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboundRow {
    pub id: Uuid,
    pub channel: String,
    pub provider: String,
    /// The provider's key of the message (`aliyun_sms|<sequence_id>`): a message pushed twice is
    /// stored once.
    pub provider_key: String,
    /// The phone number (or openid) it came from.
    pub sender: String,
    pub patient_id: Option<Uuid>,
    /// The message it answers, when one was found.
    pub outbox_id: Option<Uuid>,
    pub content: String,
    pub opt_out: bool,
    pub received_at: OffsetDateTime,
    /// `urgent`, `read`, `findings` or `none` (careloop_domain::reply::Attention).
    pub attention: String,
    /// The free-text analysis, as JSON.
    pub analysis: Option<String>,
    pub alert_id: Option<Uuid>,
    pub handled_at: Option<OffsetDateTime>,
    pub handled_by: Option<Uuid>,
}

const INBOUND_COLUMNS: [&str; 15] = [
    "id",
    "channel",
    "provider",
    "provider_key",
    "sender",
    "patient_id",
    "outbox_id",
    "content",
    "opt_out",
    "received_at",
    "attention",
    "analysis",
    "alert_id",
    "handled_at",
    "handled_by",
];

/// Store messages; a message whose provider key is stored already is left out (a provider's
/// retry, or a concurrent push of the same batch). Returns the keys this call stored.
pub async fn insert_inbound_many(tx: &mut Tx, rows: &[InboundRow]) -> Result<HashSet<String>> {
    let mut stored = HashSet::new();
    // 15 parameters a row: well under SQLite's 32,766 per statement.
    for chunk in rows.chunks(1000) {
        let mut stmt = Query::insert()
            .into_table("inbound_messages")
            .columns(INBOUND_COLUMNS)
            .on_conflict(OnConflict::column("provider_key").do_nothing().to_owned())
            .returning_col("provider_key")
            .to_owned();
        for m in chunk {
            stmt.values_panic([
                m.id.into(),
                m.channel.clone().into(),
                m.provider.clone().into(),
                m.provider_key.clone().into(),
                m.sender.clone().into(),
                m.patient_id.into(),
                m.outbox_id.into(),
                m.content.clone().into(),
                m.opt_out.into(),
                stored_time(m.received_at).into(),
                m.attention.clone().into(),
                m.analysis.clone().into(),
                m.alert_id.into(),
                m.handled_at.map(stored_time).into(),
                m.handled_by.into(),
            ]);
        }
        let keys: Vec<(String,)> = tx.fetch_all(&stmt).await?;
        stored.extend(keys.into_iter().map(|(k,)| k));
    }
    Ok(stored)
}

/// Which of these provider keys are stored already.
pub async fn stored_keys(tx: &mut Tx, keys: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(1000) {
        let stmt = Query::select()
            .column("provider_key")
            .from("inbound_messages")
            .and_where(Expr::col("provider_key").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<(String,)> = tx.fetch_all(&stmt).await?;
        out.extend(rows.into_iter().map(|(k,)| k));
    }
    Ok(out)
}

/// A patient's messages back, newest first.
pub async fn inbound_of_patient(tx: &mut Tx, patient_id: Uuid, limit: u64) -> Result<Vec<InboundRow>> {
    let stmt = Query::select()
        .columns(INBOUND_COLUMNS)
        .from("inbound_messages")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("received_at", Order::Desc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// A message sent to a number, as a reply is matched to it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SentTo {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub recipient: String,
    pub created_at: OffsetDateTime,
}

/// The messages sent on `channel` to any of `recipients` since `since`, newest first: what
/// replies from those numbers may answer.
pub async fn sent_to_many(
    tx: &mut Tx,
    channel: &str,
    recipients: &[String],
    since: OffsetDateTime,
) -> Result<Vec<SentTo>> {
    let mut out = Vec::new();
    for chunk in recipients.chunks(1000) {
        let stmt = Query::select()
            .columns(["id", "patient_id", "recipient", "created_at"])
            .from("outbox")
            .and_where(Expr::col("recipient").is_in(chunk.iter().cloned()))
            .and_where(Expr::col("channel").eq(channel))
            .and_where(Expr::col("status").eq("sent"))
            .and_where(Expr::col("created_at").gte(stored_time(since)))
            .order_by("created_at", Order::Desc)
            .to_owned();
        out.extend(tx.fetch_all::<SentTo, _>(&stmt).await?);
    }
    out.sort_by_key(|m| std::cmp::Reverse(m.created_at));
    Ok(out)
}

/// The first reply to each of these messages: (message, when).
pub async fn first_replies(tx: &mut Tx, outbox_ids: &[Uuid]) -> Result<HashMap<Uuid, OffsetDateTime>> {
    let mut out: HashMap<Uuid, OffsetDateTime> = HashMap::new();
    for chunk in outbox_ids.chunks(1000) {
        let stmt = Query::select()
            .columns(["outbox_id", "received_at"])
            .from("inbound_messages")
            .and_where(Expr::col("outbox_id").is_in(chunk.iter().copied()))
            .and_where(Expr::col("opt_out").eq(false))
            .to_owned();
        let rows: Vec<(Uuid, OffsetDateTime)> = tx.fetch_all(&stmt).await?;
        for (m, at) in rows {
            let first = out.entry(m).or_insert(at);
            *first = Ord::min(*first, at);
        }
    }
    Ok(out)
}

/// A message of the reply inbox, with its patient's name and department.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboxRow {
    #[sqlx(flatten)]
    pub message: InboundRow,
    pub patient_name: String,
    pub department_id: Option<Uuid>,
}

/// Matched messages, unhandled (or handled) ones, of one department's patients if given: the
/// reply inbox. Unhandled: urgent first, then needing a human read, then with findings, then the
/// rest, each longest waiting first — ranked by the database, so that a limit never cuts off an
/// urgent reply behind older plain ones. Handled: the latest first. Opt-outs are left out: they
/// have been acted on.
pub async fn inbox(tx: &mut Tx, department_id: Option<Uuid>, handled: bool, limit: u64) -> Result<Vec<InboxRow>> {
    let mut stmt = Query::select()
        .columns(INBOUND_COLUMNS.map(|c| ("inbound_messages", c)))
        .expr_as(Expr::col(("patients", "name")), "patient_name")
        .expr_as(Expr::col(("patients", "department_id")), "department_id")
        .from("inbound_messages")
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("inbound_messages", "patient_id")),
        )
        .and_where(Expr::col(("inbound_messages", "opt_out")).eq(false))
        .to_owned();
    if handled {
        stmt.and_where(Expr::col(("inbound_messages", "handled_at")).is_not_null())
            .order_by(("inbound_messages", "handled_at"), Order::Desc);
    } else {
        // The domain's order (careloop_domain::reply::Attention), as SQL.
        let whens: String = Attention::ALL
            .iter()
            .map(|a| format!(" WHEN '{}' THEN {}", a.as_str(), a.rank()))
            .collect();
        let rank = format!("CASE inbound_messages.attention{whens} ELSE 9 END");
        stmt.and_where(Expr::col(("inbound_messages", "handled_at")).is_null())
            .order_by_expr(Expr::cust(rank), Order::Asc)
            .order_by(("inbound_messages", "received_at"), Order::Asc);
    }
    if let Some(d) = department_id {
        stmt.and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    stmt.limit(limit);
    tx.fetch_all(&stmt).await
}

/// One stored message, locked for a change on PostgreSQL.
pub async fn inbound_for_update(tx: &mut Tx, id: Uuid) -> Result<Option<InboundRow>> {
    let stmt = Query::select()
        .columns(INBOUND_COLUMNS)
        .from("inbound_messages")
        .and_where(Expr::col("id").eq(id))
        .lock(sea_query::LockType::Update)
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// Matched, unhandled messages that need attention (urgent, a human read, findings), of one
/// department's patients if given.
pub async fn count_waiting(tx: &mut Tx, department_id: Option<Uuid>) -> Result<i64> {
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("inbound_messages")
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("inbound_messages", "patient_id")),
        )
        .and_where(Expr::col(("inbound_messages", "handled_at")).is_null())
        .and_where(Expr::col(("inbound_messages", "attention")).is_in(["urgent", "read", "findings"]))
        .to_owned();
    if let Some(d) = department_id {
        stmt.and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    Ok(tx.fetch_one::<crate::db::Count, _>(&stmt).await?.n)
}

/// Mark a message handled by `user` at `at`.
pub async fn mark_handled(tx: &mut Tx, id: Uuid, user: Option<Uuid>, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("inbound_messages")
        .value("handled_at", stored_time(at))
        .value("handled_by", user)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}
