//! Login sessions. One table serves both API bearer tokens and web-UI cookies; only a hash of
//! the token is stored, so a copy of the database does not let anyone log in.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: Uuid,
    pub kind: String,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

const COLUMNS: [&str; 6] = [
    "token_hash",
    "user_id",
    "kind",
    "csrf_token",
    "created_at",
    "expires_at",
];

pub async fn insert(tx: &mut Tx, s: &Session) -> Result<()> {
    let stmt = Query::insert()
        .into_table("sessions")
        .columns(COLUMNS)
        .values_panic([
            s.token_hash.clone().into(),
            s.user_id.into(),
            s.kind.clone().into(),
            s.csrf_token.clone().into(),
            stored_time(s.created_at).into(),
            stored_time(s.expires_at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// The session with this token hash, if it has not expired at `now`.
pub async fn find_valid(tx: &mut Tx, token_hash: &str, now: OffsetDateTime) -> Result<Option<Session>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("sessions")
        .and_where(Expr::col("token_hash").eq(token_hash))
        .and_where(Expr::col("expires_at").gt(stored_time(now)))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn delete(tx: &mut Tx, token_hash: &str) -> Result<()> {
    let stmt = Query::delete()
        .from_table("sessions")
        .and_where(Expr::col("token_hash").eq(token_hash))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn delete_expired(tx: &mut Tx, now: OffsetDateTime) -> Result<u64> {
    let stmt = Query::delete()
        .from_table("sessions")
        .and_where(Expr::col("expires_at").lte(stored_time(now)))
        .to_owned();
    tx.execute(&stmt).await
}
