//! What imports need from the database: the sender's keys already seen (patients, values,
//! diagnoses, reports), and the rows an import adds. Lookups are chunked `IN` lists, so an
//! import of a hundred thousand values costs tens of queries, not a hundred thousand.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Query};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

/// Keys per `IN (…)` list: well under SQLite's 32766 bound parameters.
const CHUNK: usize = 5000;

/// Patients already known by `system` under these keys.
pub async fn patients_by_key(tx: &mut Tx, system: &str, keys: &[String]) -> Result<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let stmt = Query::select()
            .columns(["value", "patient_id"])
            .from("patient_identifiers")
            .and_where(Expr::col("system").eq(system))
            .and_where(Expr::col("value").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<(String, Uuid)> = tx.fetch_all(&stmt).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Patients enrolled with these resident ID numbers.
pub async fn patients_by_id_number(tx: &mut Tx, numbers: &[String]) -> Result<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        let stmt = Query::select()
            .columns(["id_number", "id"])
            .from("patients")
            .and_where(Expr::col("id_number").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<(String, Uuid)> = tx.fetch_all(&stmt).await?;
        out.extend(rows);
    }
    Ok(out)
}

pub async fn insert_identifiers(tx: &mut Tx, system: &str, rows: &[(String, Uuid)], at: OffsetDateTime) -> Result<()> {
    for chunk in rows.chunks(2000) {
        let mut stmt = Query::insert()
            .into_table("patient_identifiers")
            .columns(["system", "value", "patient_id", "created_at"])
            .to_owned();
        for (key, patient) in chunk {
            stmt.values_panic([
                system.into(),
                key.clone().into(),
                (*patient).into(),
                stored_time(at).into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// Which of these keys the sender's earlier imports left out on purpose (deceased patients).
pub async fn excluded_keys(tx: &mut Tx, system: &str, keys: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let stmt = Query::select()
            .column("value")
            .from("excluded_patient_keys")
            .and_where(Expr::col("system").eq(system))
            .and_where(Expr::col("value").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<(String,)> = tx.fetch_all(&stmt).await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}

/// Remember keys left out on purpose; a key already remembered stays as it is.
pub async fn exclude_keys(tx: &mut Tx, system: &str, keys: &[String], reason: &str, at: OffsetDateTime) -> Result<()> {
    for chunk in keys.chunks(2000) {
        let mut stmt = Query::insert()
            .into_table("excluded_patient_keys")
            .columns(["system", "value", "reason", "created_at"])
            .on_conflict(
                sea_query::OnConflict::columns(["system", "value"])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        for key in chunk {
            stmt.values_panic([system.into(), key.clone().into(), reason.into(), stored_time(at).into()]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// A stored value under a sender's key: enough to tell unchanged from corrected.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredValue {
    pub external_id: String,
    pub id: Uuid,
    pub value: f64,
    pub effective_at: OffsetDateTime,
}

pub async fn observations_by_key(tx: &mut Tx, keys: &[String]) -> Result<HashMap<String, StoredValue>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let stmt = Query::select()
            .columns(["external_id", "id", "value", "effective_at"])
            .from("observations")
            .and_where(Expr::col("external_id").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<StoredValue> = tx.fetch_all(&stmt).await?;
        out.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
    }
    Ok(out)
}

/// A corrected result (HL7 OBX-11 `C`, FHIR `corrected`) replaces the stored value.
pub async fn correct_observation(
    tx: &mut Tx,
    id: Uuid,
    value: f64,
    flag: &str,
    effective_at: OffsetDateTime,
) -> Result<u64> {
    let stmt = Query::update()
        .table("observations")
        .value("value", value)
        .value("flag", flag)
        .value("effective_at", stored_time(effective_at))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await
}

/// Which of these keys a table already holds in its `external_id` column.
pub async fn known_keys(tx: &mut Tx, table: &'static str, keys: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let stmt = Query::select()
            .column("external_id")
            .from(table)
            .and_where(Expr::col("external_id").is_in(chunk.iter().cloned()))
            .to_owned();
        let rows: Vec<(String,)> = tx.fetch_all(&stmt).await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LabReportRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub external_id: String,
    pub code: Option<String>,
    pub title: String,
    pub effective_at: Option<OffsetDateTime>,
    pub results: i32,
    pub created_at: OffsetDateTime,
    /// The sender keys of its results (JSON array of `observations.external_id`).
    pub result_keys: Option<String>,
}

const REPORT_COLUMNS: [&str; 9] = [
    "id",
    "patient_id",
    "external_id",
    "code",
    "title",
    "effective_at",
    "results",
    "created_at",
    "result_keys",
];

pub async fn insert_reports(tx: &mut Tx, rows: &[LabReportRow]) -> Result<()> {
    for chunk in rows.chunks(2000) {
        let mut stmt = Query::insert()
            .into_table("lab_reports")
            .columns(REPORT_COLUMNS)
            .to_owned();
        for r in chunk {
            stmt.values_panic([
                r.id.into(),
                r.patient_id.into(),
                r.external_id.clone().into(),
                r.code.clone().into(),
                r.title.clone().into(),
                r.effective_at.map(stored_time).into(),
                r.results.into(),
                stored_time(r.created_at).into(),
                r.result_keys.clone().into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// A patient's reports (检查报告), newest first.
pub async fn reports_of(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<LabReportRow>> {
    let stmt = Query::select()
        .columns(REPORT_COLUMNS)
        .from("lab_reports")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("effective_at", sea_query::Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// One import as recorded: counts and its report of locations and codes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatchRow {
    pub id: Uuid,
    pub format: String,
    pub source: String,
    pub received: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub report: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

pub async fn insert_batch(tx: &mut Tx, b: &ImportBatchRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("import_batches")
        .columns([
            "id",
            "format",
            "source",
            "received",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "report",
            "created_at",
            "created_by",
        ])
        .values_panic([
            b.id.into(),
            b.format.clone().into(),
            b.source.clone().into(),
            b.received.into(),
            b.created.into(),
            b.updated.into(),
            b.unchanged.into(),
            b.rejected.into(),
            b.report.clone().into(),
            stored_time(b.created_at).into(),
            b.created_by.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProfileRow {
    pub id: String,
    pub document: crate::Json<serde_json::Value>,
    pub updated_at: OffsetDateTime,
}

/// Save a column-mapping profile under its id, replacing an earlier one.
pub async fn save_profile(
    tx: &mut Tx,
    id: &str,
    document: serde_json::Value,
    by: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<()> {
    let stmt = Query::insert()
        .into_table("import_profiles")
        .columns(["id", "document", "updated_at", "updated_by"])
        .values_panic([id.into(), document.into(), stored_time(at).into(), by.into()])
        .on_conflict(
            sea_query::OnConflict::column("id")
                .update_columns(["document", "updated_at", "updated_by"])
                .to_owned(),
        )
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn profiles(tx: &mut Tx) -> Result<Vec<ProfileRow>> {
    let stmt = Query::select()
        .columns(["id", "document", "updated_at"])
        .from("import_profiles")
        .order_by("id", sea_query::Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn profile(tx: &mut Tx, id: &str) -> Result<Option<ProfileRow>> {
    let stmt = Query::select()
        .columns(["id", "document", "updated_at"])
        .from("import_profiles")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// One recorded import as a list shows it: its counts and who sent it (without the report).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BatchListRow {
    pub id: Uuid,
    pub format: String,
    pub source: String,
    pub received: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
    pub created_at: OffsetDateTime,
    /// The importing user's display name (`None`: the command line, or a removed user).
    pub created_by: Option<String>,
}

/// The latest `limit` imports, newest first.
pub async fn recent_batches(tx: &mut Tx, limit: u64) -> Result<Vec<BatchListRow>> {
    let stmt = Query::select()
        .columns(
            [
                "id",
                "format",
                "source",
                "received",
                "created",
                "updated",
                "unchanged",
                "rejected",
                "created_at",
            ]
            .map(|c| ("import_batches", c)),
        )
        .expr_as(Expr::col(("users", "display_name")), "created_by")
        .from("import_batches")
        .left_join(
            "users",
            Expr::col(("users", "id")).equals(("import_batches", "created_by")),
        )
        .order_by(("import_batches", "created_at"), sea_query::Order::Desc)
        .order_by(("import_batches", "id"), sea_query::Order::Desc)
        .limit(limit)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// The report recorded with an import, when and by whom (the display name).
pub async fn batch_report(
    tx: &mut Tx,
    id: Uuid,
) -> Result<Option<(crate::Json<serde_json::Value>, OffsetDateTime, Option<String>)>> {
    let stmt = Query::select()
        .columns([("import_batches", "report"), ("import_batches", "created_at")])
        .expr_as(Expr::col(("users", "display_name")), "created_by")
        .from("import_batches")
        .left_join(
            "users",
            Expr::col(("users", "id")).equals(("import_batches", "created_by")),
        )
        .and_where(Expr::col(("import_batches", "id")).eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}
