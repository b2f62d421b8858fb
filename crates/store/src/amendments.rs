//! Reading signed follow-up records with their answers, and their amendments (更正): a
//! correction is a new row that points at the record; neither is ever updated or deleted.

use crate::records::{FollowUpRecordRow, RECORD_COLUMNS};
use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

/// A signed record with the answers recorded on it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RecordWithAnswers {
    #[sqlx(flatten)]
    pub record: FollowUpRecordRow,
    pub answers: Option<Json<serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub reason: String,
    pub note: Option<String>,
    pub answers: Option<Json<serde_json::Value>>,
    pub signed_by: Option<Uuid>,
    pub signed_at: OffsetDateTime,
}

/// A record's columns followed by its answers.
fn record_columns() -> Vec<&'static str> {
    let mut c = RECORD_COLUMNS.to_vec();
    c.push("answers");
    c
}
const AMENDMENT_COLUMNS: [&str; 7] = ["id", "record_id", "reason", "note", "answers", "signed_by", "signed_at"];

pub async fn find_record(tx: &mut Tx, id: Uuid) -> Result<Option<RecordWithAnswers>> {
    let stmt = Query::select()
        .columns(record_columns())
        .from("followup_records")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// A patient's records, newest first.
pub async fn records_of_patient(tx: &mut Tx, patient_id: Uuid, limit: u64) -> Result<Vec<RecordWithAnswers>> {
    let stmt = Query::select()
        .columns(record_columns())
        .from("followup_records")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("id", Order::Desc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Every record of the plans on a protocol (any version), grouped by plan, oldest first.
pub async fn records_of_protocol(tx: &mut Tx, protocol_id: &str, limit: u64) -> Result<Vec<RecordWithAnswers>> {
    let plans = Query::select()
        .column("id")
        .from("plans")
        .and_where(Expr::col("protocol_id").eq(protocol_id))
        .to_owned();
    let stmt = Query::select()
        .columns(record_columns())
        .from("followup_records")
        .and_where(Expr::col("plan_id").in_subquery(plans))
        .order_by("plan_id", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn insert(tx: &mut Tx, a: &AmendmentRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("followup_amendments")
        .columns(AMENDMENT_COLUMNS)
        .values_panic([
            a.id.into(),
            a.record_id.into(),
            a.reason.clone().into(),
            a.note.clone().into(),
            a.answers.as_ref().map(|j| j.0.clone()).into(),
            a.signed_by.into(),
            stored_time(a.signed_at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// The amendments of the given records, oldest first.
pub async fn of_records(tx: &mut Tx, record_ids: &[Uuid]) -> Result<Vec<AmendmentRow>> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(AMENDMENT_COLUMNS)
        .from("followup_amendments")
        .and_where(Expr::col("record_id").is_in(record_ids.iter().copied()))
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
