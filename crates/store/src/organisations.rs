//! Organisations (机构): the hospital or health centre that departments belong to.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

/// The organisation every installation starts with (created by migration 0002).
pub const DEFAULT_ID: Uuid = Uuid::from_u128(1);

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Organisation {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

const COLUMNS: [&str; 4] = ["id", "code", "name", "created_at"];

pub async fn insert(tx: &mut Tx, o: &Organisation) -> Result<()> {
    let stmt = Query::insert()
        .into_table("organisations")
        .columns(COLUMNS)
        .values_panic([
            o.id.into(),
            o.code.clone().into(),
            o.name.clone().into(),
            stored_time(o.created_at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn list(tx: &mut Tx) -> Result<Vec<Organisation>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("organisations")
        .order_by("code", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn find_by_code(tx: &mut Tx, code: &str) -> Result<Option<Organisation>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("organisations")
        .and_where(Expr::col("code").eq(code))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// The name of the organisation a department belongs to.
pub async fn of_department(tx: &mut Tx, department_id: Uuid) -> Result<String> {
    let stmt = Query::select()
        .column(("organisations", "name"))
        .from("organisations")
        .inner_join(
            "departments",
            Expr::col(("departments", "organisation_id")).equals(("organisations", "id")),
        )
        .and_where(Expr::col(("departments", "id")).eq(department_id))
        .to_owned();
    Ok(tx.fetch_one::<NameRow, _>(&stmt).await?.name)
}

#[derive(sqlx::FromRow)]
struct NameRow {
    name: String,
}
