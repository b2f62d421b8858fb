//! The outbox of automated messages, the sandbox channel's deliveries and patient links.
//!
//! Sending is two-phase. The pass that starts an automated task writes its message here in the
//! same transaction (so a crash loses neither or both). Delivery then claims queued messages
//! under a lease with `FOR UPDATE SKIP LOCKED`, hands each to the channel with its idempotency
//! key, and marks it sent. A process killed after sending but before marking leaves the lease
//! to expire; the next claimant sends again with the same key, which the provider (and the
//! sandbox) treat as the same message.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

/// An automated task whose window is open, with what its message needs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DueStepRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub step_key: String,
    pub method: String,
    pub attempts: i32,
    pub protocol_id: String,
    pub protocol_version: i32,
    pub name: String,
    pub sex: String,
    pub phone: Option<String>,
    pub patient_quiet_start: Option<String>,
    pub patient_quiet_end: Option<String>,
    pub org_quiet_start: Option<String>,
    pub org_quiet_end: Option<String>,
    pub org_name: String,
    pub org_phone: Option<String>,
    pub department_name: String,
    pub due_at: OffsetDateTime,
}

/// Automated tasks of active plans that are due, locked for this transaction (skipping rows
/// another scheduler holds), leaving out `exclude` (held back for quiet hours this pass).
pub async fn claim_due_steps(tx: &mut Tx, limit: u64, exclude: &[Uuid]) -> Result<Vec<DueStepRow>> {
    let mut stmt = Query::select()
        .columns(["id", "plan_id", "patient_id", "step_key", "method", "attempts"].map(|c| ("tasks", c)))
        .columns(["protocol_id", "protocol_version"].map(|c| ("plans", c)))
        .columns(["name", "sex", "phone"].map(|c| ("patients", c)))
        .expr_as(Expr::col(("patients", "quiet_start")), "patient_quiet_start")
        .expr_as(Expr::col(("patients", "quiet_end")), "patient_quiet_end")
        .expr_as(Expr::col(("organisations", "quiet_start")), "org_quiet_start")
        .expr_as(Expr::col(("organisations", "quiet_end")), "org_quiet_end")
        .expr_as(Expr::col(("organisations", "name")), "org_name")
        .expr_as(Expr::col(("organisations", "phone")), "org_phone")
        .expr_as(Expr::col(("departments", "name")), "department_name")
        .column(("tasks", "due_at"))
        .from("tasks")
        .inner_join("plans", Expr::col(("plans", "id")).equals(("tasks", "plan_id")))
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("tasks", "patient_id")),
        )
        .inner_join(
            "departments",
            Expr::col(("departments", "id")).equals(("patients", "department_id")),
        )
        .inner_join(
            "organisations",
            Expr::col(("organisations", "id")).equals(("departments", "organisation_id")),
        )
        .and_where(Expr::col(("tasks", "state")).eq("due"))
        .and_where(Expr::col(("tasks", "method")).is_in(["sms", "wechat", "voice_robot", "questionnaire"]))
        .and_where(Expr::col(("plans", "status")).eq("active"))
        .order_by(("tasks", "due_at"), Order::Asc)
        .order_by(("tasks", "id"), Order::Asc)
        .limit(limit)
        .lock_with_tables_behavior(
            sea_query::LockType::Update,
            ["tasks"],
            sea_query::LockBehavior::SkipLocked,
        )
        .to_owned();
    if !exclude.is_empty() {
        stmt.and_where(Expr::col(("tasks", "id")).is_not_in(exclude.iter().copied()));
    }
    tx.fetch_all(&stmt).await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: Uuid,
    pub idempotency_key: String,
    pub task_id: Option<Uuid>,
    pub patient_id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    /// The hash of the token of the link the message carries (never the token: the link is
    /// made when the message is sent, and its body keeps the link slot where the link goes).
    pub link: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub lease_until: Option<OffsetDateTime>,
    pub provider_ref: Option<String>,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    /// The provider template it goes as, and its parameters (JSON array of `[name, value]`).
    pub template: Option<String>,
    pub template_params: Option<String>,
    /// The provider's receipt: `delivered` or `undelivered`, its code, when.
    pub delivery: Option<String>,
    pub delivery_code: Option<String>,
    pub delivered_at: Option<OffsetDateTime>,
}

const COLUMNS: [&str; 20] = [
    "id",
    "idempotency_key",
    "task_id",
    "patient_id",
    "channel",
    "recipient",
    "body",
    "link",
    "status",
    "attempts",
    "lease_until",
    "provider_ref",
    "error",
    "created_at",
    "sent_at",
    "template",
    "template_params",
    "delivery",
    "delivery_code",
    "delivered_at",
];

/// Queue a message; `false` when one with the same idempotency key is already there.
pub async fn enqueue(tx: &mut Tx, m: &OutboxRow) -> Result<bool> {
    let stmt = Query::insert()
        .into_table("outbox")
        .columns(COLUMNS)
        .values_panic([
            m.id.into(),
            m.idempotency_key.clone().into(),
            m.task_id.into(),
            m.patient_id.into(),
            m.channel.clone().into(),
            m.recipient.clone().into(),
            m.body.clone().into(),
            m.link.clone().into(),
            m.status.clone().into(),
            m.attempts.into(),
            m.lease_until.map(stored_time).into(),
            m.provider_ref.clone().into(),
            m.error.clone().into(),
            stored_time(m.created_at).into(),
            m.sent_at.map(stored_time).into(),
            m.template.clone().into(),
            m.template_params.clone().into(),
            m.delivery.clone().into(),
            m.delivery_code.clone().into(),
            m.delivered_at.map(stored_time).into(),
        ])
        .on_conflict(OnConflict::column("idempotency_key").do_nothing().to_owned())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Queued messages whose lease is free, leased to the caller until `lease_until`.
pub async fn claim_queued(
    tx: &mut Tx,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u64,
) -> Result<Vec<OutboxRow>> {
    let free = sea_query::Condition::any()
        .add(Expr::col("lease_until").is_null())
        .add(Expr::col("lease_until").lte(stored_time(now)));
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("outbox")
        .and_where(Expr::col("status").eq("queued"))
        .cond_where(free)
        .order_by("id", Order::Asc)
        .limit(limit)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    let rows: Vec<OutboxRow> = tx.fetch_all(&stmt).await?;
    if !rows.is_empty() {
        let stmt = Query::update()
            .table("outbox")
            .value("lease_until", stored_time(lease_until))
            .value("attempts", Expr::col("attempts").add(1))
            .and_where(Expr::col("id").is_in(rows.iter().map(|r| r.id)))
            .to_owned();
        tx.execute(&stmt).await?;
    }
    Ok(rows)
}

/// A claimed message's lease, fenced by the claim: a claim sets `attempts` to one more than the
/// claimed row had, so (`id`, `attempt`) names this claim, and a later claim by another process
/// (after the lease ran out) changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub id: Uuid,
    pub attempt: i32,
}

impl Claim {
    /// The claim `claim_queued` made of a row it returned.
    pub fn of(row: &OutboxRow) -> Claim {
        Claim {
            id: row.id,
            attempt: row.attempts + 1,
        }
    }
}

/// Extend this claim's lease to `lease_until` before sending; false when the claim is lost
/// (another process claimed the message after the lease ran out, or it was settled): then the
/// message is not sent by this one.
pub async fn renew(tx: &mut Tx, claim: Claim, lease_until: OffsetDateTime) -> Result<bool> {
    let stmt = Query::update()
        .table("outbox")
        .value("lease_until", stored_time(lease_until))
        .and_where(Expr::col("id").eq(claim.id))
        .and_where(Expr::col("status").eq("queued"))
        .and_where(Expr::col("attempts").eq(claim.attempt))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Record the outcome of a delivery: `sent` with the provider's reference, `failed` with the
/// error, or still `queued` with the error of a temporary failure. Only while `claim` holds the
/// message: false (and nothing written) when another claim has taken it.
pub async fn settle(
    tx: &mut Tx,
    claim: Claim,
    status: &str,
    provider_ref: Option<&str>,
    error: Option<&str>,
    at: OffsetDateTime,
) -> Result<bool> {
    let mut stmt = Query::update()
        .table("outbox")
        .value("status", status)
        .value("error", error.map(str::to_string))
        .and_where(Expr::col("id").eq(claim.id))
        .and_where(Expr::col("status").eq("queued"))
        .and_where(Expr::col("attempts").eq(claim.attempt))
        .to_owned();
    // A message left queued keeps its lease, so it is tried again only after the lease ends.
    if status != "queued" {
        stmt.value("lease_until", Option::<OffsetDateTime>::None);
    }
    if status == "sent" {
        stmt.value("provider_ref", provider_ref.map(str::to_string))
            .value("sent_at", stored_time(at));
    }
    Ok(tx.execute(&stmt).await? == 1)
}

/// Messages, newest first: one patient's, one department's, or (admins) all.
pub async fn list(
    tx: &mut Tx,
    patient_id: Option<Uuid>,
    department_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OutboxRow>> {
    let mut stmt = Query::select()
        .columns(COLUMNS.map(|c| ("outbox", c)))
        .from("outbox")
        .order_by(("outbox", "id"), Order::Desc)
        .limit(limit)
        .to_owned();
    if let Some(p) = patient_id {
        stmt.and_where(Expr::col(("outbox", "patient_id")).eq(p));
    }
    if let Some(d) = department_id {
        stmt.inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("outbox", "patient_id")),
        )
        .and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    tx.fetch_all(&stmt).await
}

/// The sandbox channel's "delivery": one row per idempotency key, however often it is asked.
/// Returns whether this call delivered it (false: it had been delivered before).
pub async fn sandbox_deliver(
    tx: &mut Tx,
    key: &str,
    channel: &str,
    recipient: &str,
    body: &str,
    at: OffsetDateTime,
) -> Result<bool> {
    let stmt = Query::insert()
        .into_table("sandbox_deliveries")
        .columns(["idempotency_key", "channel", "recipient", "body", "delivered_at"])
        .values_panic([
            key.into(),
            channel.into(),
            recipient.into(),
            body.into(),
            stored_time(at).into(),
        ])
        .on_conflict(OnConflict::column("idempotency_key").do_nothing().to_owned())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// A link to the patient's pages; only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatientLinkRow {
    pub token_hash: String,
    pub patient_id: Uuid,
    pub task_id: Option<Uuid>,
    pub purpose: String,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    /// The questionnaire the link opens, if any.
    pub questionnaire_id: Option<String>,
    /// The family proxy the link was sent to, if not the patient.
    pub proxy_id: Option<Uuid>,
}

const LINK_COLUMNS: [&str; 9] = [
    "token_hash",
    "patient_id",
    "task_id",
    "purpose",
    "expires_at",
    "revoked_at",
    "created_at",
    "questionnaire_id",
    "proxy_id",
];

/// The first time a link is opened (later opens change nothing).
pub async fn mark_opened(tx: &mut Tx, token_hash: &str, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("patient_links")
        .value("opened_at", stored_time(at))
        .and_where(Expr::col("token_hash").eq(token_hash))
        .and_where(Expr::col("opened_at").is_null())
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// What became of the links some messages carried: (token hash, first opened, answered).
pub async fn link_fates(
    tx: &mut Tx,
    token_hashes: &[String],
) -> Result<Vec<(String, Option<OffsetDateTime>, Option<OffsetDateTime>)>> {
    if token_hashes.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(["token_hash", "opened_at", "answered_at"])
        .from("patient_links")
        .and_where(Expr::col("token_hash").is_in(token_hashes.iter().cloned()))
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// A link answered by the patient: used up, and counted as a response.
pub async fn mark_answered(tx: &mut Tx, token_hash: &str, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("patient_links")
        .value("answered_at", stored_time(at))
        .value("revoked_at", stored_time(at))
        .and_where(Expr::col("token_hash").eq(token_hash))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A questionnaire link for response-rate figures: when it was made, whether and when it was
/// answered, the patient's birth date and the channel it went out by (none when staff made it).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkStatRow {
    pub token_hash: String,
    pub created_at: OffsetDateTime,
    pub answered_at: Option<OffsetDateTime>,
    pub birth_date: time::Date,
    pub channel: Option<String>,
}

/// A message sent, for the reach figures.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SentStatRow {
    pub id: Uuid,
    pub channel: String,
    pub sent_at: OffsetDateTime,
    pub delivery: Option<String>,
}

/// Messages sent in `[from, to)`, of one department's patients if given.
pub async fn sent_in(
    tx: &mut Tx,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department_id: Option<Uuid>,
) -> Result<Vec<SentStatRow>> {
    let mut stmt = Query::select()
        .columns(["id", "channel", "sent_at", "delivery"].map(|c| ("outbox", c)))
        .from("outbox")
        .and_where(Expr::col(("outbox", "status")).eq("sent"))
        .and_where(Expr::col(("outbox", "sent_at")).gte(stored_time(from)))
        .and_where(Expr::col(("outbox", "sent_at")).lt(stored_time(to)))
        .to_owned();
    if let Some(d) = department_id {
        stmt.inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("outbox", "patient_id")),
        )
        .and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    tx.fetch_all(&stmt).await
}

/// Questionnaire links made in `[from, to)`, of one department's patients if given.
pub async fn questionnaire_links(
    tx: &mut Tx,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department_id: Option<Uuid>,
) -> Result<Vec<LinkStatRow>> {
    let mut stmt = Query::select()
        .columns(["token_hash", "created_at", "answered_at"].map(|c| ("patient_links", c)))
        .column(("patients", "birth_date"))
        .expr_as(Expr::col(("outbox", "channel")), "channel")
        .from("patient_links")
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("patient_links", "patient_id")),
        )
        .left_join(
            "outbox",
            Expr::col(("outbox", "task_id")).equals(("patient_links", "task_id")),
        )
        .and_where(Expr::col(("patient_links", "purpose")).eq("questionnaire"))
        .and_where(Expr::col(("patient_links", "created_at")).gte(stored_time(from)))
        .and_where(Expr::col(("patient_links", "created_at")).lt(stored_time(to)))
        .order_by(("patient_links", "created_at"), Order::Asc)
        .to_owned();
    if let Some(d) = department_id {
        stmt.and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    let mut rows: Vec<LinkStatRow> = tx.fetch_all(&stmt).await?;
    // A task's message may have been tried more than once: one row per link.
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.token_hash.clone()));
    Ok(rows)
}

/// Revoke a link (used up, or withdrawn by staff); it opens nothing afterwards.
pub async fn revoke_link(tx: &mut Tx, token_hash: &str, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("patient_links")
        .value("revoked_at", stored_time(at))
        .and_where(Expr::col("token_hash").eq(token_hash))
        .and_where(Expr::col("revoked_at").is_null())
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Give a queued message's link its token at send time: the link row's hash `old` becomes `new`
/// (the hash of the token just made, which only the message about to go out carries), and the
/// message keeps the new hash. False when the link was withdrawn meanwhile.
pub async fn rekey_link(tx: &mut Tx, message: Uuid, old: &str, new: &str) -> Result<bool> {
    let stmt = Query::update()
        .table("patient_links")
        .value("token_hash", new)
        .and_where(Expr::col("token_hash").eq(old))
        .and_where(Expr::col("revoked_at").is_null())
        .to_owned();
    if tx.execute(&stmt).await? != 1 {
        return Ok(false);
    }
    let stmt = Query::update()
        .table("outbox")
        .value("link", new)
        .and_where(Expr::col("id").eq(message))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(true)
}

pub async fn insert_link(tx: &mut Tx, l: &PatientLinkRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("patient_links")
        .columns(LINK_COLUMNS)
        .values_panic([
            l.token_hash.clone().into(),
            l.patient_id.into(),
            l.task_id.into(),
            l.purpose.clone().into(),
            stored_time(l.expires_at).into(),
            l.revoked_at.map(stored_time).into(),
            stored_time(l.created_at).into(),
            l.questionnaire_id.clone().into(),
            l.proxy_id.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A patient's link as staff see it in the list (its hash is its id; the token is never stored).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkListRow {
    pub token_hash: String,
    pub task_id: Option<Uuid>,
    pub purpose: String,
    pub questionnaire_id: Option<String>,
    pub proxy_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub answered_at: Option<OffsetDateTime>,
}

/// A patient's newest links, newest first.
pub async fn links_of_patient(tx: &mut Tx, patient_id: Uuid, limit: u64) -> Result<Vec<LinkListRow>> {
    let stmt = Query::select()
        .columns([
            "token_hash",
            "task_id",
            "purpose",
            "questionnaire_id",
            "proxy_id",
            "created_at",
            "expires_at",
            "revoked_at",
            "answered_at",
        ])
        .from("patient_links")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("created_at", Order::Desc)
        .order_by("token_hash", Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn find_link(tx: &mut Tx, token_hash: &str) -> Result<Option<PatientLinkRow>> {
    let stmt = Query::select()
        .columns(LINK_COLUMNS)
        .from("patient_links")
        .and_where(Expr::col("token_hash").eq(token_hash))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// A message as the sandbox channel received it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SandboxDelivery {
    pub idempotency_key: String,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    pub delivered_at: OffsetDateTime,
}

/// Everything the sandbox channel received, oldest first.
pub async fn sandbox_deliveries(tx: &mut Tx, limit: u64) -> Result<Vec<SandboxDelivery>> {
    let stmt = Query::select()
        .columns(["idempotency_key", "channel", "recipient", "body", "delivered_at"])
        .from("sandbox_deliveries")
        .order_by("delivered_at", Order::Asc)
        .order_by("idempotency_key", Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Set (or with `None`, clear back to the default) the quiet hours of an organisation or a
/// patient. Returns whether the row exists.
pub async fn set_quiet_hours(
    tx: &mut Tx,
    table: QuietHoursOf,
    id: Uuid,
    window: Option<(String, String)>,
) -> Result<bool> {
    let (start, end) = match window {
        Some((s, e)) => (Some(s), Some(e)),
        None => (None, None),
    };
    let stmt = Query::update()
        .table(table.table())
        .value("quiet_start", start)
        .value("quiet_end", end)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Whose quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuietHoursOf {
    Organisation,
    Patient,
}

impl QuietHoursOf {
    fn table(self) -> &'static str {
        match self {
            QuietHoursOf::Organisation => "organisations",
            QuietHoursOf::Patient => "patients",
        }
    }
}

/// Revoke every link of a task not yet answered or revoked (its questionnaire was answered
/// another way); returns how many.
pub async fn revoke_links_of_task(tx: &mut Tx, task_id: Uuid, at: OffsetDateTime) -> Result<u64> {
    let stmt = Query::update()
        .table("patient_links")
        .value("revoked_at", stored_time(at))
        .and_where(Expr::col("task_id").eq(task_id))
        .and_where(Expr::col("revoked_at").is_null())
        .and_where(Expr::col("answered_at").is_null())
        .to_owned();
    tx.execute(&stmt).await
}

/// Record a provider's receipt on the message it sent as `provider_ref` (and, when the provider
/// echoes it, under `idempotency_key`): the first receipt stands. Returns the message's task
/// when this receipt was recorded, `None` when no message matches or it already had one.
pub async fn record_receipt(
    tx: &mut Tx,
    provider_ref: &str,
    idempotency_key: Option<&str>,
    delivered: bool,
    code: &str,
    at: OffsetDateTime,
) -> Result<Option<Option<Uuid>>> {
    let mut find = Query::select()
        .columns(["id", "task_id"])
        .from("outbox")
        .and_where(Expr::col("provider_ref").eq(provider_ref))
        .and_where(Expr::col("delivery").is_null())
        .to_owned();
    if let Some(key) = idempotency_key {
        find.and_where(Expr::col("idempotency_key").eq(key));
    }
    let Some((id, task)): Option<(Uuid, Option<Uuid>)> = tx.fetch_optional(&find).await? else {
        return Ok(None);
    };
    let stmt = Query::update()
        .table("outbox")
        .value("delivery", if delivered { "delivered" } else { "undelivered" })
        .value("delivery_code", code)
        .value("delivered_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("delivery").is_null())
        .to_owned();
    Ok((tx.execute(&stmt).await? == 1).then_some(task))
}
