//! Named sequences kept inside the transaction, so a rolled-back enrolment gives its card number
//! back and card numbers stay gap-free in practice.

use crate::{Result, Tx};
use sea_query::{Expr, ExprTrait, Query};

#[derive(sqlx::FromRow)]
struct Value {
    value: i64,
}

/// Reserve `n` consecutive values of the counter `name`; returns the first.
pub async fn reserve(tx: &mut Tx, name: &str, n: u64) -> Result<i64> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let stmt = Query::update()
        .table("counters")
        .value("value", Expr::col("value").add(n))
        .and_where(Expr::col("name").eq(name))
        .returning_col("value")
        .to_owned();
    let row: Value = tx.fetch_one(&stmt).await?;
    Ok(row.value - n + 1)
}
