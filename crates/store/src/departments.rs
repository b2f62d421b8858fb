//! Departments (科室).

use crate::{Result, Tx};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub organisation_id: Uuid,
    pub created_at: OffsetDateTime,
}

const COLUMNS: [&str; 5] = ["id", "code", "name", "organisation_id", "created_at"];

pub async fn insert(tx: &mut Tx, d: &Department) -> Result<()> {
    let stmt = Query::insert()
        .into_table("departments")
        .columns(COLUMNS)
        .values_panic([
            d.id.into(),
            d.code.clone().into(),
            d.name.clone().into(),
            d.organisation_id.into(),
            crate::stored_time(d.created_at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn list(tx: &mut Tx) -> Result<Vec<Department>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("departments")
        .order_by("code", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn find_by_code(tx: &mut Tx, code: &str) -> Result<Option<Department>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("departments")
        .and_where(Expr::col("code").eq(code))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<Department>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("departments")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}
