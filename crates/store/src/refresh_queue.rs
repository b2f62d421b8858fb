//! Patients waiting for their risk tier and rule tags to be recomputed after a bulk write, in
//! groups: one row holds up to [`GROUP`] patient ids, so queueing a write of thousands of
//! patients costs a few rows, not one per patient.

use crate::{Json, Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

/// Patients per queued group (and so per refresh transaction).
pub const GROUP: usize = 200;

pub async fn push(tx: &mut Tx, patients: &[Uuid], enrol: bool, at: OffsetDateTime) -> Result<()> {
    for chunk in patients.chunks(GROUP * 10) {
        let mut stmt = Query::insert()
            .into_table("refresh_queue")
            .columns(["id", "patients", "enrol", "queued_at"])
            .to_owned();
        for group in chunk.chunks(GROUP) {
            let ids: Vec<String> = group.iter().map(Uuid::to_string).collect();
            stmt.values_panic([
                Uuid::now_v7().into(),
                serde_json::json!(ids).into(),
                enrol.into(),
                stored_time(at).into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Group {
    id: Uuid,
    patients: Json<Vec<Uuid>>,
    enrol: bool,
}

/// Take the oldest group for this transaction (removed from the queue; skipped by other
/// schedulers on PostgreSQL while locked): its patients and whether they may be enrolled.
pub async fn take(tx: &mut Tx) -> Result<Option<(Vec<Uuid>, bool)>> {
    let stmt = Query::select()
        .columns(["id", "patients", "enrol"])
        .from("refresh_queue")
        .order_by("queued_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    let Some(g): Option<Group> = tx.fetch_optional(&stmt).await? else {
        return Ok(None);
    };
    let del = Query::delete()
        .from_table("refresh_queue")
        .and_where(Expr::col("id").eq(g.id))
        .to_owned();
    tx.execute(&del).await?;
    Ok(Some((g.patients.0, g.enrol)))
}
