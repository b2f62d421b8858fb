//! Organisations' targets for the follow-up figures (考核目标).

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FigureTargetRow {
    pub organisation_id: Uuid,
    pub figure: String,
    pub percent: f64,
    pub source: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: OffsetDateTime,
}

const COLUMNS: [&str; 6] = [
    "organisation_id",
    "figure",
    "percent",
    "source",
    "updated_by",
    "updated_at",
];

/// An organisation's targets, by figure.
pub async fn of_organisation(tx: &mut Tx, organisation_id: Uuid) -> Result<Vec<FigureTargetRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("figure_targets")
        .and_where(Expr::col("organisation_id").eq(organisation_id))
        .order_by("figure", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Set an organisation's target on a figure, replacing what it had.
pub async fn upsert(tx: &mut Tx, r: &FigureTargetRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("figure_targets")
        .columns(COLUMNS)
        .values_panic([
            r.organisation_id.into(),
            r.figure.clone().into(),
            r.percent.into(),
            r.source.clone().into(),
            r.updated_by.into(),
            stored_time(r.updated_at).into(),
        ])
        .on_conflict(
            OnConflict::columns(["organisation_id", "figure"])
                .update_columns(["percent", "source", "updated_by", "updated_at"])
                .to_owned(),
        )
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Remove a target; false when there was none.
pub async fn delete(tx: &mut Tx, organisation_id: Uuid, figure: &str) -> Result<bool> {
    let stmt = Query::delete()
        .from_table("figure_targets")
        .and_where(Expr::col("organisation_id").eq(organisation_id))
        .and_where(Expr::col("figure").eq(figure))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}
