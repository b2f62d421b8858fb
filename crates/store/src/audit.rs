//! The audit trail: one append-only row per read or write of patient data and per staff or
//! security action. The tables' triggers refuse UPDATE and DELETE.

use crate::{Count, Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_username: String,
    /// A dotted verb such as `patient.read` or `observation.create`.
    pub action: String,
    pub patient_id: Option<Uuid>,
    /// Non-identifying detail (ids, counts, field names); never names or values.
    pub detail: Option<String>,
    pub ip: Option<String>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "patient_id",
    "detail",
    "ip",
];

/// SQLite allows at most 32766 bound parameters per statement.
const CHUNK: usize = 1000;

pub async fn insert_many(tx: &mut Tx, events: &[AuditEvent]) -> Result<()> {
    for chunk in events.chunks(CHUNK) {
        let mut stmt = Query::insert().into_table("audit_events").columns(COLUMNS).to_owned();
        for e in chunk {
            stmt.values_panic([
                e.id.into(),
                stored_time(e.at).into(),
                e.actor_id.into(),
                e.actor_username.clone().into(),
                e.action.clone().into(),
                e.patient_id.into(),
                e.detail.clone().into(),
                e.ip.clone().into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

fn filtered(patient_id: Option<Uuid>) -> SelectStatement {
    let mut q = Query::select().from("audit_events").to_owned();
    if let Some(p) = patient_id {
        q.and_where(Expr::col("patient_id").eq(p));
    }
    q
}

/// Newest first.
pub async fn list(tx: &mut Tx, patient_id: Option<Uuid>, limit: u64, offset: u64) -> Result<Vec<AuditEvent>> {
    let stmt = filtered(patient_id)
        .columns(COLUMNS)
        .order_by("id", Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn count(tx: &mut Tx, patient_id: Option<Uuid>) -> Result<i64> {
    let stmt = filtered(patient_id).expr_as(Expr::cust("COUNT(*)"), "n").to_owned();
    Ok(tx.fetch_one::<Count, _>(&stmt).await?.n)
}
