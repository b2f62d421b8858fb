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
    pub region: Option<String>,
    pub residence: Option<String>,
    /// The number patients call for appointments and questions.
    pub phone: Option<String>,
}

const COLUMNS: [&str; 7] = ["id", "code", "name", "created_at", "region", "residence", "phone"];

pub async fn insert(tx: &mut Tx, o: &Organisation) -> Result<()> {
    let stmt = Query::insert()
        .into_table("organisations")
        .columns(COLUMNS)
        .values_panic([
            o.id.into(),
            o.code.clone().into(),
            o.name.clone().into(),
            stored_time(o.created_at).into(),
            o.region.clone().into(),
            o.residence.clone().into(),
            o.phone.clone().into(),
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

pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<Organisation>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("organisations")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
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

/// An organisation's location: the default region and residence of its patients' records.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct LocationRow {
    pub region: Option<String>,
    pub residence: Option<String>,
}

/// Set an organisation's location; false when there is no such organisation.
pub async fn set_location(tx: &mut Tx, id: Uuid, l: &LocationRow) -> Result<bool> {
    let stmt = Query::update()
        .table("organisations")
        .value("region", l.region.clone())
        .value("residence", l.residence.clone())
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Set (or with `None`, clear) an organisation's number; false when there is no such one.
pub async fn set_phone(tx: &mut Tx, id: Uuid, phone: Option<&str>) -> Result<bool> {
    let stmt = Query::update()
        .table("organisations")
        .value("phone", phone.map(str::to_string))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// The patients of an organisation's departments.
pub async fn patients_of(tx: &mut Tx, id: Uuid) -> Result<Vec<Uuid>> {
    let stmt = Query::select()
        .column(("patients", "id"))
        .from("patients")
        .inner_join(
            "departments",
            Expr::col(("departments", "id")).equals(("patients", "department_id")),
        )
        .and_where(Expr::col(("departments", "organisation_id")).eq(id))
        .to_owned();
    Ok(tx
        .fetch_all::<IdRow, _>(&stmt)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// The organisation of each of these patients: (patient, organisation).
pub async fn of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<PatientOrganisation>> {
    let stmt = Query::select()
        .expr_as(Expr::col(("patients", "id")), "patient_id")
        .column(("departments", "organisation_id"))
        .from("patients")
        .inner_join(
            "departments",
            Expr::col(("departments", "id")).equals(("patients", "department_id")),
        )
        .and_where(Expr::col(("patients", "id")).is_in(patient_ids.iter().copied()))
        .to_owned();
    tx.fetch_all(&stmt).await
}

#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct PatientOrganisation {
    pub patient_id: Uuid,
    pub organisation_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}

/// The location of every department's organisation, by department.
pub async fn locations_by_department(tx: &mut Tx) -> Result<Vec<DepartmentLocation>> {
    let stmt = Query::select()
        .expr_as(Expr::col(("departments", "id")), "department_id")
        .column(("organisations", "region"))
        .column(("organisations", "residence"))
        .from("organisations")
        .inner_join(
            "departments",
            Expr::col(("departments", "organisation_id")).equals(("organisations", "id")),
        )
        .to_owned();
    tx.fetch_all(&stmt).await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DepartmentLocation {
    pub department_id: Uuid,
    #[sqlx(flatten)]
    pub location: LocationRow,
}
