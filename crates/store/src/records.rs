//! Signed follow-up records (随访记录) and alerts (预警). Records are immutable (the database
//! refuses UPDATE and DELETE); corrections will be amendments that keep the original.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FollowUpRecordRow {
    pub id: Uuid,
    pub task_id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub contact_result: String,
    pub classification: Option<String>,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    pub referral: bool,
    pub note: Option<String>,
    pub signed_by: Option<Uuid>,
    pub signed_at: OffsetDateTime,
}

/// The columns of `FollowUpRecordRow` (the stored `answers` are read separately).
pub(crate) const RECORD_COLUMNS: [&str; 12] = [
    "id",
    "task_id",
    "plan_id",
    "patient_id",
    "contact_result",
    "classification",
    "adverse_drug_reaction",
    "new_complication",
    "referral",
    "note",
    "signed_by",
    "signed_at",
];

pub async fn insert_record(tx: &mut Tx, r: &FollowUpRecordRow, answers: Option<serde_json::Value>) -> Result<()> {
    let mut columns = RECORD_COLUMNS.to_vec();
    columns.push("answers");
    let stmt = Query::insert()
        .into_table("followup_records")
        .columns(columns)
        .values_panic([
            r.id.into(),
            r.task_id.into(),
            r.plan_id.into(),
            r.patient_id.into(),
            r.contact_result.clone().into(),
            r.classification.clone().into(),
            r.adverse_drug_reaction.into(),
            r.new_complication.into(),
            r.referral.into(),
            r.note.clone().into(),
            r.signed_by.into(),
            stored_time(r.signed_at).into(),
            answers.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub record_id: Option<Uuid>,
    pub severity: String,
    pub status: String,
    pub owner_role: String,
    pub reason: String,
    pub sla_due_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    /// How many times the alert passed to a higher role.
    pub escalations: i32,
    pub outcome: Option<String>,
    /// The questionnaire response that raised it (e.g. PHQ-9 item 9), if any.
    pub response_id: Option<Uuid>,
}

const ALERT_COLUMNS: [&str; 12] = [
    "id",
    "patient_id",
    "record_id",
    "severity",
    "status",
    "owner_role",
    "reason",
    "sla_due_at",
    "created_at",
    "escalations",
    "outcome",
    "response_id",
];

pub async fn insert_alerts(tx: &mut Tx, rows: &[AlertRow]) -> Result<()> {
    // 12 parameters a row: well under SQLite's 32,766 per statement.
    for chunk in rows.chunks(1000) {
        let mut stmt = Query::insert().into_table("alerts").columns(ALERT_COLUMNS).to_owned();
        for a in chunk {
            stmt.values_panic([
                a.id.into(),
                a.patient_id.into(),
                a.record_id.into(),
                a.severity.clone().into(),
                a.status.clone().into(),
                a.owner_role.clone().into(),
                a.reason.clone().into(),
                stored_time(a.sla_due_at).into(),
                stored_time(a.created_at).into(),
                a.escalations.into(),
                a.outcome.clone().into(),
                a.response_id.into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// Delete alerts by id (those raised for a message a concurrent push stored first).
pub async fn delete_alerts(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = Query::delete()
        .from_table("alerts")
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Alerts with `status`, of one department's patients if given, most urgent first.
pub async fn list_alerts(tx: &mut Tx, status: &str, department_id: Option<Uuid>, limit: u64) -> Result<Vec<AlertRow>> {
    let mut stmt = Query::select()
        .columns(ALERT_COLUMNS.map(|c| ("alerts", c)))
        .from("alerts")
        .and_where(Expr::col(("alerts", "status")).eq(status))
        .to_owned();
    of_department(&mut stmt, department_id);
    stmt.order_by(("alerts", "sla_due_at"), Order::Asc).limit(limit);
    tx.fetch_all(&stmt).await
}

/// Only alerts of one department's patients, when given.
fn of_department(stmt: &mut sea_query::SelectStatement, department_id: Option<Uuid>) {
    if let Some(d) = department_id {
        stmt.inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("alerts", "patient_id")),
        )
        .and_where(Expr::col(("patients", "department_id")).eq(d));
    }
}

/// Open alerts owned by one of `owner_roles`, of one department's patients if given: the count
/// on every staff page's alert badge.
pub async fn count_open_alerts(tx: &mut Tx, owner_roles: &[&str], department_id: Option<Uuid>) -> Result<i64> {
    if owner_roles.is_empty() {
        return Ok(0);
    }
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("alerts")
        .and_where(Expr::col(("alerts", "status")).eq("open"))
        .and_where(Expr::col(("alerts", "owner_role")).is_in(owner_roles.iter().copied()))
        .to_owned();
    of_department(&mut stmt, department_id);
    Ok(tx.fetch_one::<crate::db::Count, _>(&stmt).await?.n)
}

/// One patient's alerts, the newest first, up to `limit`.
pub async fn alerts_of_patient(tx: &mut Tx, patient_id: Uuid, limit: u64) -> Result<Vec<AlertRow>> {
    let stmt = Query::select()
        .columns(ALERT_COLUMNS)
        .from("alerts")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("created_at", Order::Desc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn find_alert(tx: &mut Tx, id: Uuid) -> Result<Option<AlertRow>> {
    let stmt = Query::select()
        .columns(ALERT_COLUMNS)
        .from("alerts")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// Record an acknowledgement (`outcome` None) or a closure (with its outcome), only if the
/// alert is still in state `from`: false when someone else moved it first (two doctors closing
/// the same alert at once on PostgreSQL both read it open).
pub async fn set_alert_status(
    tx: &mut Tx,
    id: Uuid,
    (from, status): (&str, &str),
    by: Option<Uuid>,
    outcome: Option<&str>,
    at: OffsetDateTime,
) -> Result<bool> {
    let mut stmt = Query::update()
        .table("alerts")
        .value("status", status)
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("status").eq(from))
        .to_owned();
    match outcome {
        None => stmt
            .value("acknowledged_by", by)
            .value("acknowledged_at", stored_time(at)),
        Some(o) => stmt.value("outcome", o).value("closed_at", stored_time(at)),
    };
    Ok(tx.execute(&stmt).await? == 1)
}

/// Open alerts whose SLA has run out, locked for this transaction (SKIP LOCKED on PostgreSQL).
pub async fn claim_overdue_alerts(tx: &mut Tx, now: OffsetDateTime, limit: u64) -> Result<Vec<AlertRow>> {
    let stmt = Query::select()
        .columns(ALERT_COLUMNS)
        .from("alerts")
        .and_where(Expr::col("status").eq("open"))
        .and_where(Expr::col("sla_due_at").lte(stored_time(now)))
        .order_by("sla_due_at", Order::Asc)
        .limit(limit)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Hand an alert to `owner_role` with a new SLA.
pub async fn escalate_alert(
    tx: &mut Tx,
    id: Uuid,
    owner_role: &str,
    sla_due_at: OffsetDateTime,
    escalations: i32,
) -> Result<()> {
    let stmt = Query::update()
        .table("alerts")
        .value("owner_role", owner_role)
        .value("sla_due_at", stored_time(sla_due_at))
        .value("escalations", escalations)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A plan's signed records, oldest first.
pub async fn of_plan(tx: &mut Tx, plan_id: Uuid) -> Result<Vec<FollowUpRecordRow>> {
    let stmt = Query::select()
        .columns(RECORD_COLUMNS)
        .from("followup_records")
        .and_where(Expr::col("plan_id").eq(plan_id))
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
