//! Patients waiting for their risk tier and rule tags to be recomputed after a bulk write.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

/// Queue patients; one already queued stays queued, and `enrol` is kept if either asks for it.
pub async fn push(tx: &mut Tx, patients: &[Uuid], enrol: bool, at: OffsetDateTime) -> Result<()> {
    for chunk in patients.chunks(2000) {
        let mut stmt = Query::insert()
            .into_table("refresh_queue")
            .columns(["patient_id", "enrol", "queued_at"])
            .on_conflict(OnConflict::column("patient_id").do_nothing().to_owned())
            .to_owned();
        for p in chunk {
            stmt.values_panic([(*p).into(), enrol.into(), stored_time(at).into()]);
        }
        tx.execute(&stmt).await?;
        if enrol {
            let up = Query::update()
                .table("refresh_queue")
                .value("enrol", true)
                .and_where(Expr::col("patient_id").is_in(chunk.iter().copied()))
                .to_owned();
            tx.execute(&up).await?;
        }
    }
    Ok(())
}

/// Take up to `limit` queued patients (oldest first) for this transaction: removed from the
/// queue, locked against other schedulers on PostgreSQL.
pub async fn take(tx: &mut Tx, limit: u64) -> Result<Vec<(Uuid, bool)>> {
    let stmt = Query::select()
        .columns(["patient_id", "enrol"])
        .from("refresh_queue")
        .order_by("queued_at", Order::Asc)
        .order_by("patient_id", Order::Asc)
        .limit(limit)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    let rows: Vec<(Uuid, bool)> = tx.fetch_all(&stmt).await?;
    if !rows.is_empty() {
        let del = Query::delete()
            .from_table("refresh_queue")
            .and_where(Expr::col("patient_id").is_in(rows.iter().map(|r| r.0)))
            .to_owned();
        tx.execute(&del).await?;
    }
    Ok(rows)
}

pub async fn len(tx: &mut Tx) -> Result<i64> {
    let stmt = Query::select()
        .expr(Expr::col("patient_id").count())
        .from("refresh_queue")
        .to_owned();
    let (n,): (i64,) = tx.fetch_one(&stmt).await?;
    Ok(n)
}
