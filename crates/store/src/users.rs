//! Staff user accounts, their credentials and failed-login counts.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub department_id: Option<Uuid>,
    pub active: bool,
    /// Failed logins since the last successful one (shown to administrators; guessing is
    /// stopped by the web layer's limits, not by locking the account).
    pub failed_logins: i32,
    pub created_at: OffsetDateTime,
}

const COLUMNS: [&str; 9] = [
    "id",
    "username",
    "display_name",
    "password_hash",
    "role",
    "department_id",
    "active",
    "failed_logins",
    "created_at",
];

pub async fn insert(tx: &mut Tx, u: &User) -> Result<()> {
    let stmt = Query::insert()
        .into_table("users")
        .columns(COLUMNS)
        .values_panic([
            u.id.into(),
            u.username.clone().into(),
            u.display_name.clone().into(),
            u.password_hash.clone().into(),
            u.role.clone().into(),
            u.department_id.into(),
            u.active.into(),
            u.failed_logins.into(),
            stored_time(u.created_at).into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn find_by_username(tx: &mut Tx, username: &str) -> Result<Option<User>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("users")
        .and_where(Expr::col("username").eq(username))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<User>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("users")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn list(tx: &mut Tx) -> Result<Vec<User>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("users")
        .order_by("username", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Count one failed login, atomically: parallel failures each add one (a read-then-write lost
/// most of them on PostgreSQL).
pub async fn count_failed_login(tx: &mut Tx, id: Uuid) -> Result<()> {
    let stmt = Query::update()
        .table("users")
        .value("failed_logins", Expr::col("failed_logins").add(1))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// After a successful login the count of failures starts again.
pub async fn clear_failed_logins(tx: &mut Tx, id: Uuid) -> Result<()> {
    let stmt = Query::update()
        .table("users")
        .value("failed_logins", 0)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Change role, department, display name and active flag.
pub async fn update_profile(tx: &mut Tx, u: &User) -> Result<()> {
    let stmt = Query::update()
        .table("users")
        .value("display_name", u.display_name.clone())
        .value("role", u.role.clone())
        .value("department_id", u.department_id)
        .value("active", u.active)
        .and_where(Expr::col("id").eq(u.id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn set_password(tx: &mut Tx, id: Uuid, password_hash: &str) -> Result<()> {
    let stmt = Query::update()
        .table("users")
        .value("password_hash", password_hash)
        .value("failed_logins", 0)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Active staff of `role` in a department, by username (a stable order for assignment).
pub async fn active_in_department(tx: &mut Tx, department_id: Uuid, role: &str) -> Result<Vec<User>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("users")
        .and_where(Expr::col("department_id").eq(department_id))
        .and_where(Expr::col("role").eq(role))
        .and_where(Expr::col("active").eq(true))
        .order_by("username", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}
