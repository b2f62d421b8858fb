//! Health records (健康档案): one row per patient, replaced as a whole on each save.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct HealthRecordRow {
    pub past_history: Option<String>,
    pub family_history: Option<String>,
    pub allergies: Option<String>,
    pub medications: Option<String>,
    pub smoking: Option<String>,
    pub alcohol: Option<String>,
    pub exercise: Option<String>,
    pub diet: Option<String>,
    pub sleep: Option<String>,
    pub region: Option<String>,
    pub residence: Option<String>,
    pub bp_treated: Option<String>,
    pub family_history_ascvd: Option<String>,
    pub family_history_diabetes: Option<String>,
    pub updated_at: Option<OffsetDateTime>,
}

const FIELDS: [&str; 14] = [
    "past_history",
    "family_history",
    "allergies",
    "medications",
    "smoking",
    "alcohol",
    "exercise",
    "diet",
    "sleep",
    "region",
    "residence",
    "bp_treated",
    "family_history_ascvd",
    "family_history_diabetes",
];

pub async fn find(tx: &mut Tx, patient_id: Uuid) -> Result<Option<HealthRecordRow>> {
    let stmt = Query::select()
        .columns(FIELDS)
        .column("updated_at")
        .from("health_records")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// A stored record with the patient it belongs to.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HealthRecordOf {
    pub patient_id: Uuid,
    #[sqlx(flatten)]
    pub record: HealthRecordRow,
}

/// The records of many patients (those who have one).
pub async fn of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<HealthRecordOf>> {
    let stmt = Query::select()
        .column("patient_id")
        .columns(FIELDS)
        .column("updated_at")
        .from("health_records")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn upsert(tx: &mut Tx, patient_id: Uuid, r: &HealthRecordRow, by: Uuid, at: OffsetDateTime) -> Result<()> {
    let values = [
        &r.past_history,
        &r.family_history,
        &r.allergies,
        &r.medications,
        &r.smoking,
        &r.alcohol,
        &r.exercise,
        &r.diet,
        &r.sleep,
        &r.region,
        &r.residence,
        &r.bp_treated,
        &r.family_history_ascvd,
        &r.family_history_diabetes,
    ];
    let mut row = vec![patient_id.into()];
    row.extend(values.iter().map(|v| (*v).clone().into()));
    row.push(stored_time(at).into());
    row.push(by.into());
    let mut columns = vec!["patient_id"];
    columns.extend(FIELDS);
    columns.extend(["updated_at", "updated_by"]);
    let mut update_columns: Vec<&str> = FIELDS.to_vec();
    update_columns.extend(["updated_at", "updated_by"]);
    let stmt = Query::insert()
        .into_table("health_records")
        .columns(columns)
        .values_panic(row)
        .on_conflict(
            OnConflict::column("patient_id")
                .update_columns(update_columns)
                .to_owned(),
        )
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}
