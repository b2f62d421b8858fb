//! Discharges (出院): the event that starts post-discharge follow-up, anchored on its date.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DischargeRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub discharged_on: Date,
    pub ward: Option<String>,
    pub diagnosis_code: Option<String>,
    pub summary: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "patient_id",
    "discharged_on",
    "ward",
    "diagnosis_code",
    "summary",
    "created_at",
    "created_by",
];

pub async fn insert(tx: &mut Tx, d: &DischargeRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("discharges")
        .columns(COLUMNS)
        .values_panic([
            d.id.into(),
            d.patient_id.into(),
            d.discharged_on.into(),
            d.ward.clone().into(),
            d.diagnosis_code.clone().into(),
            d.summary.clone().into(),
            stored_time(d.created_at).into(),
            d.created_by.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A patient's discharges, latest first.
pub async fn of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<DischargeRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("discharges")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("discharged_on", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
