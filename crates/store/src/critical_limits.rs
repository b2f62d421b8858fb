//! Organisations' own rows of the critical-value table for laboratory results (危急值表); the
//! seeded rows live in `careloop_domain::critical`, so only what an organisation changed is here.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CriticalLimitRow {
    pub organisation_id: Uuid,
    pub code: String,
    pub at_most: Option<f64>,
    pub at_least: Option<f64>,
    pub source: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: [&str; 7] = [
    "organisation_id",
    "code",
    "at_most",
    "at_least",
    "source",
    "updated_by",
    "updated_at",
];

/// Every organisation's own rows (a few dozen at most), by organisation and code.
pub async fn all(tx: &mut Tx) -> Result<Vec<CriticalLimitRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("critical_limits")
        .order_by("organisation_id", Order::Asc)
        .order_by("code", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Set an organisation's row for an indicator, replacing what it had.
pub async fn upsert(tx: &mut Tx, r: &CriticalLimitRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("critical_limits")
        .columns(COLUMNS)
        .values_panic([
            r.organisation_id.into(),
            r.code.clone().into(),
            r.at_most.into(),
            r.at_least.into(),
            r.source.clone().into(),
            r.updated_by.into(),
            stored_time(r.updated_at).into(),
        ])
        .on_conflict(
            OnConflict::columns(["organisation_id", "code"])
                .update_columns(["at_most", "at_least", "source", "updated_by", "updated_at"])
                .to_owned(),
        )
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Remove an organisation's row, so the seeded one applies again; false when it had none.
pub async fn delete(tx: &mut Tx, organisation_id: Uuid, code: &str) -> Result<bool> {
    let stmt = Query::delete()
        .from_table("critical_limits")
        .and_where(Expr::col("organisation_id").eq(organisation_id))
        .and_where(Expr::col("code").eq(code))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}
