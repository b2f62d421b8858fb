//! Stored protocol versions. A version, once stored, never changes: a new document is a new
//! version, and plans point at the version they were created with.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sqlx::types::Json;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProtocolRow {
    pub id: String,
    pub version: i32,
    pub document: Json<serde_json::Value>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: [&str; 4] = ["id", "version", "document", "created_at"];

/// Store a version unless it is already there (built-ins are seeded at every start).
pub async fn insert_if_missing(
    tx: &mut Tx,
    id: &str,
    version: i32,
    document: serde_json::Value,
    at: OffsetDateTime,
) -> Result<()> {
    let stmt = Query::insert()
        .into_table("protocols")
        .columns(COLUMNS)
        .values_panic([id.into(), version.into(), document.into(), stored_time(at).into()])
        .on_conflict(OnConflict::columns(["id", "version"]).do_nothing().to_owned())
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// The newest version of every protocol.
pub async fn list_latest(tx: &mut Tx) -> Result<Vec<ProtocolRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("protocols")
        .order_by("id", Order::Asc)
        .order_by("version", Order::Desc)
        .to_owned();
    let mut rows: Vec<ProtocolRow> = tx.fetch_all(&stmt).await?;
    rows.dedup_by(|b, a| a.id == b.id);
    Ok(rows)
}

pub async fn latest(tx: &mut Tx, id: &str) -> Result<Option<ProtocolRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("protocols")
        .and_where(Expr::col("id").eq(id))
        .order_by("version", Order::Desc)
        .limit(1)
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// One stored version (the one a plan runs on).
pub async fn version(tx: &mut Tx, id: &str, version: i32) -> Result<Option<ProtocolRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("protocols")
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("version").eq(version))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// Store a new version; a concurrent import of the same version fails on the primary key.
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    version: i32,
    document: serde_json::Value,
    at: OffsetDateTime,
) -> Result<()> {
    let stmt = Query::insert()
        .into_table("protocols")
        .columns(COLUMNS)
        .values_panic([id.into(), version.into(), document.into(), stored_time(at).into()])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}
