//! Observations (检测值): one value of an indicator at a time, in the canonical unit.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ObservationRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub code: String,
    pub value: f64,
    pub unit: String,
    pub effective_at: OffsetDateTime,
    pub source: String,
    pub flag: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    /// The sender's key for an imported value (unique), so a re-import finds it.
    pub external_id: Option<String>,
}

const COLUMNS: [&str; 11] = [
    "id",
    "patient_id",
    "code",
    "value",
    "unit",
    "effective_at",
    "source",
    "flag",
    "created_at",
    "created_by",
    "external_id",
];

/// 11 columns × 2000 rows stays under SQLite's 32766-parameter limit.
const CHUNK: usize = 2000;

pub async fn insert_many(tx: &mut Tx, rows: &[ObservationRow]) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut stmt = Query::insert().into_table("observations").columns(COLUMNS).to_owned();
        for o in chunk {
            stmt.values_panic([
                o.id.into(),
                o.patient_id.into(),
                o.code.clone().into(),
                o.value.into(),
                o.unit.clone().into(),
                stored_time(o.effective_at).into(),
                o.source.clone().into(),
                o.flag.clone().into(),
                stored_time(o.created_at).into(),
                o.created_by.into(),
                o.external_id.clone().into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// A patient's observations, newest first, optionally of one indicator.
pub async fn list(tx: &mut Tx, patient_id: Uuid, code: Option<&str>, limit: u64) -> Result<Vec<ObservationRow>> {
    let mut stmt = Query::select()
        .columns(COLUMNS)
        .from("observations")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .to_owned();
    if let Some(c) = code {
        stmt.and_where(Expr::col("code").eq(c));
    }
    stmt.order_by("effective_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(limit);
    tx.fetch_all(&stmt).await
}

/// The values a follow-up visit recorded: written in the same transaction as its record, so
/// they carry the record's signing time as their creation time.
pub async fn recorded_at(tx: &mut Tx, patient_id: Uuid, at: OffsetDateTime) -> Result<Vec<ObservationRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("observations")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .and_where(Expr::col("created_at").eq(stored_time(at)))
        .order_by("effective_at", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// The latest value of each indicator each of these patients has (one row per patient and
/// code, in no particular order; of two at the same instant, the one with the larger id). The
/// (patient, code) pairs come from one pass over the (patient, code, effective_at) index, and
/// each pair's latest id from one index-ordered step (`ORDER BY effective_at DESC LIMIT 1`), so
/// the cost grows with the number of readings, not with its square: a correlated
/// `NOT EXISTS (newer ...)` probed every reading's successors, and 10,000 readings of one
/// patient took 9 s.
pub async fn latest_per_code_of(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<ObservationRow>> {
    let pairs = Query::select()
        .distinct()
        .columns(["patient_id", "code"])
        .from("observations")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .to_owned();
    let latest = Query::select()
        .column(("n", "id"))
        .from_as("observations", "n")
        .and_where(Expr::col(("n", "patient_id")).equals(("k", "patient_id")))
        .and_where(Expr::col(("n", "code")).equals(("k", "code")))
        .order_by(("n", "effective_at"), Order::Desc)
        .order_by(("n", "id"), Order::Desc)
        .limit(1)
        .to_owned();
    let ids = Query::select().expr(latest).from_subquery(pairs, "k").to_owned();
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("observations")
        .and_where(Expr::col("id").in_subquery(ids))
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// The stored values with these sender keys (`external_id`), in no particular order.
pub async fn by_external_ids(tx: &mut Tx, keys: &[String]) -> Result<Vec<ObservationRow>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(1000) {
        let stmt = Query::select()
            .columns(COLUMNS)
            .from("observations")
            .and_where(Expr::col("external_id").is_in(chunk.iter().cloned()))
            .to_owned();
        out.extend(tx.fetch_all::<ObservationRow, _>(&stmt).await?);
    }
    Ok(out)
}
