//! Risk tier assessments (风险分层): every one kept, the latest copied onto the patient row.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RiskTierRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub tier: String,
    pub reason: String,
    /// `staff` (a clinician's assessment) or `model` (proposed from the risk models).
    pub source: String,
    pub assessed_at: OffsetDateTime,
    pub assessed_by: Option<Uuid>,
}

const COLUMNS: [&str; 7] = [
    "id",
    "patient_id",
    "tier",
    "reason",
    "source",
    "assessed_at",
    "assessed_by",
];

/// Keep the assessment and make it the patient's current tier.
pub async fn insert(tx: &mut Tx, r: &RiskTierRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("risk_tiers")
        .columns(COLUMNS)
        .values_panic([
            r.id.into(),
            r.patient_id.into(),
            r.tier.clone().into(),
            r.reason.clone().into(),
            r.source.clone().into(),
            stored_time(r.assessed_at).into(),
            r.assessed_by.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    let current = Query::update()
        .table("patients")
        .value("risk_tier", r.tier.clone())
        .and_where(Expr::col("id").eq(r.patient_id))
        .to_owned();
    tx.execute(&current).await?;
    Ok(())
}

/// A patient's assessments, newest first.
pub async fn of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<RiskTierRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("risk_tiers")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("assessed_at", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
