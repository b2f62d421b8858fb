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

/// The tags of many patients, by patient then in order of tagging.
pub async fn of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<TagRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("patient_tags")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .order_by("patient_id", Order::Asc)
        .order_by("created_at", Order::Asc)
        .order_by("tag", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
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

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TagRuleRow {
    pub id: String,
    pub document: crate::Json<serde_json::Value>,
    pub updated_at: OffsetDateTime,
}

/// Store a tag rule; `replace` overwrites an existing one, else an existing id is kept.
pub async fn save_rule(
    tx: &mut Tx,
    id: &str,
    document: serde_json::Value,
    by: Option<Uuid>,
    at: OffsetDateTime,
    replace: bool,
) -> Result<()> {
    let conflict = if replace {
        OnConflict::column("id")
            .update_columns(["document", "updated_at", "updated_by"])
            .to_owned()
    } else {
        OnConflict::column("id").do_nothing().to_owned()
    };
    let stmt = Query::insert()
        .into_table("tag_rules")
        .columns(["id", "document", "updated_at", "updated_by"])
        .values_panic([id.into(), document.into(), stored_time(at).into(), by.into()])
        .on_conflict(conflict)
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn rules(tx: &mut Tx) -> Result<Vec<TagRuleRow>> {
    let stmt = Query::select()
        .columns(["id", "document", "updated_at"])
        .from("tag_rules")
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Every patient id, in pages (for applying a rule to the whole population).
pub async fn patient_ids_after(tx: &mut Tx, after: Option<Uuid>, limit: u64) -> Result<Vec<(Uuid, Uuid)>> {
    let mut stmt = Query::select()
        .columns(["id", "department_id"])
        .from("patients")
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some(a) = after {
        stmt.and_where(Expr::col("id").gt(a));
    }
    tx.fetch_all(&stmt).await
}

/// Overdue tasks per patient, for many patients (patients with none are left out).
pub async fn overdue_counts(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
    let stmt = Query::select()
        .column("patient_id")
        .expr(Expr::col("id").count())
        .from("tasks")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .and_where(Expr::col("state").eq("overdue"))
        .group_by_col("patient_id")
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// When each patient's latest follow-up record was signed (patients never visited left out).
pub async fn last_visits(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<(Uuid, OffsetDateTime)>> {
    let stmt = Query::select()
        .column("patient_id")
        .expr(Expr::col("signed_at").max())
        .from("followup_records")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .group_by_col("patient_id")
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// How many patients carry each tag (by any source).
pub async fn counts(tx: &mut Tx) -> Result<Vec<(String, i64)>> {
    let stmt = Query::select()
        .column("tag")
        .expr(Expr::cust("COUNT(*)"))
        .from("patient_tags")
        .group_by_col("tag")
        .to_owned();
    tx.fetch_all(&stmt).await
}
