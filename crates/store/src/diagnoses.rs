//! Diagnoses (诊断) with ICD-10 codes.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DiagnosisRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub icd10_code: String,
    pub name: String,
    pub diagnosed_on: Option<Date>,
    pub note: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    /// The sender's key for an imported diagnosis (unique), so a re-import finds it.
    pub external_id: Option<String>,
}

const COLUMNS: [&str; 9] = [
    "id",
    "patient_id",
    "icd10_code",
    "name",
    "diagnosed_on",
    "note",
    "created_at",
    "created_by",
    "external_id",
];

pub async fn insert_many(tx: &mut Tx, rows: &[DiagnosisRow]) -> Result<()> {
    for chunk in rows.chunks(1000) {
        let mut stmt = Query::insert().into_table("diagnoses").columns(COLUMNS).to_owned();
        for d in chunk {
            stmt.values_panic([
                d.id.into(),
                d.patient_id.into(),
                d.icd10_code.clone().into(),
                d.name.clone().into(),
                d.diagnosed_on.into(),
                d.note.clone().into(),
                stored_time(d.created_at).into(),
                d.created_by.into(),
                d.external_id.clone().into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// The diagnoses of many patients, by patient then in order of entry.
pub async fn of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<DiagnosisRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("diagnoses")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .order_by("patient_id", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn list(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<DiagnosisRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("diagnoses")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
