//! Patient tags (标签), set by staff or by tag rules; a tag can enrol a patient in a protocol.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TagRow {
    pub patient_id: Uuid,
    pub tag: String,
    /// `manual` or `rule`.
    pub source: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

const COLUMNS: [&str; 5] = ["patient_id", "tag", "source", "created_at", "created_by"];

/// Set a tag; false when the patient already had it (nothing changes then).
pub async fn insert_if_missing(tx: &mut Tx, t: &TagRow) -> Result<bool> {
    let stmt = Query::insert()
        .into_table("patient_tags")
        .columns(COLUMNS)
        .values_panic([
            t.patient_id.into(),
            t.tag.clone().into(),
            t.source.clone().into(),
            stored_time(t.created_at).into(),
            t.created_by.into(),
        ])
        .on_conflict(OnConflict::columns(["patient_id", "tag"]).do_nothing().to_owned())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Remove a tag; false when the patient did not have it.
pub async fn remove(tx: &mut Tx, patient_id: Uuid, tag: &str) -> Result<bool> {
    let stmt = Query::delete()
        .from_table("patient_tags")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .and_where(Expr::col("tag").eq(tag))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

pub async fn of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<TagRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("patient_tags")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("created_at", Order::Asc)
        .order_by("tag", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
