//! Family proxies of a patient (家属代理).

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProxyRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub relation: String,
    pub phone: String,
    /// How the patient consented, as recorded by staff.
    pub consent: String,
    pub consent_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<Uuid>,
    pub revoke_reason: Option<String>,
    /// The scheduler sends the plan's questionnaire links to this proxy instead of the patient.
    pub receives_links: bool,
}

const COLUMNS: [&str; 12] = [
    "id",
    "patient_id",
    "name",
    "relation",
    "phone",
    "consent",
    "consent_by",
    "created_at",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
    "receives_links",
];

pub async fn insert(tx: &mut Tx, p: &ProxyRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("patient_proxies")
        .columns(COLUMNS)
        .values_panic([
            p.id.into(),
            p.patient_id.into(),
            p.name.clone().into(),
            p.relation.clone().into(),
            p.phone.clone().into(),
            p.consent.clone().into(),
            p.consent_by.into(),
            stored_time(p.created_at).into(),
            p.revoked_at.map(stored_time).into(),
            p.revoked_by.into(),
            p.revoke_reason.clone().into(),
            p.receives_links.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<ProxyRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("patient_proxies")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<ProxyRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("patient_proxies")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// The proxy who receives the patient's plan links: consent in force and `receives_links`,
/// the earliest such if several.
pub async fn link_receiver(tx: &mut Tx, patient_id: Uuid) -> Result<Option<ProxyRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("patient_proxies")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .and_where(Expr::col("revoked_at").is_null())
        .and_where(Expr::col("receives_links").eq(true))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// Withdraw consent; false when it was already withdrawn.
pub async fn revoke(tx: &mut Tx, id: Uuid, by: Option<Uuid>, reason: &str, at: OffsetDateTime) -> Result<bool> {
    let stmt = Query::update()
        .table("patient_proxies")
        .value("revoked_at", stored_time(at))
        .value("revoked_by", by)
        .value("revoke_reason", reason)
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("revoked_at").is_null())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}
