//! Questionnaire versions and responses. Resources are stored as the text they arrived as, so
//! an export is byte for byte the import; a version, once stored, never changes.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QuestionnaireRow {
    pub id: String,
    pub version: i32,
    /// The FHIR resource exactly as imported.
    pub resource: String,
    pub title: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

const COLUMNS: [&str; 6] = ["id", "version", "resource", "title", "created_at", "created_by"];

/// Store a version; false when that id and version already exist (nothing changes then).
pub async fn insert_if_missing(tx: &mut Tx, q: &QuestionnaireRow) -> Result<bool> {
    let stmt = Query::insert()
        .into_table("questionnaires")
        .columns(COLUMNS)
        .values_panic([
            q.id.clone().into(),
            q.version.into(),
            q.resource.clone().into(),
            q.title.clone().into(),
            stored_time(q.created_at).into(),
            q.created_by.into(),
        ])
        .on_conflict(OnConflict::columns(["id", "version"]).do_nothing().to_owned())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

pub async fn latest(tx: &mut Tx, id: &str) -> Result<Option<QuestionnaireRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("questionnaires")
        .and_where(Expr::col("id").eq(id))
        .order_by("version", Order::Desc)
        .limit(1)
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn version(tx: &mut Tx, id: &str, version: i32) -> Result<Option<QuestionnaireRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("questionnaires")
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("version").eq(version))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// The newest version of every questionnaire, by id.
pub async fn list_latest(tx: &mut Tx) -> Result<Vec<QuestionnaireRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("questionnaires")
        .order_by("id", Order::Asc)
        .order_by("version", Order::Desc)
        .to_owned();
    let mut rows: Vec<QuestionnaireRow> = tx.fetch_all(&stmt).await?;
    rows.dedup_by(|b, a| a.id == b.id);
    Ok(rows)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResponseRow {
    pub id: Uuid,
    pub questionnaire_id: String,
    pub questionnaire_version: i32,
    pub patient_id: Uuid,
    /// `in-progress` (a partial save) or `completed`.
    pub status: String,
    /// The FHIR QuestionnaireResponse as submitted.
    pub resource: String,
    pub score: Option<f64>,
    pub band: Option<String>,
    /// `staff`, `patient` or `proxy`.
    pub answered_by: String,
    pub author_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The family proxy who answered, when `answered_by` is `proxy`.
    pub proxy_id: Option<Uuid>,
    /// What the free-text analysis found in the text answers (JSON), once completed.
    pub findings: Option<String>,
}

/// The responses table's columns, in the order rows are written and read.
pub const RESPONSE_COLUMNS: [&str; 14] = [
    "id",
    "questionnaire_id",
    "questionnaire_version",
    "patient_id",
    "status",
    "resource",
    "score",
    "band",
    "answered_by",
    "author_id",
    "created_at",
    "updated_at",
    "proxy_id",
    "findings",
];

pub async fn insert_response(tx: &mut Tx, r: &ResponseRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("questionnaire_responses")
        .columns(RESPONSE_COLUMNS)
        .values_panic([
            r.id.into(),
            r.questionnaire_id.clone().into(),
            r.questionnaire_version.into(),
            r.patient_id.into(),
            r.status.clone().into(),
            r.resource.clone().into(),
            r.score.into(),
            r.band.clone().into(),
            r.answered_by.clone().into(),
            r.author_id.into(),
            stored_time(r.created_at).into(),
            stored_time(r.updated_at).into(),
            r.proxy_id.into(),
            r.findings.clone().into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Replace an in-progress response with its next save (resume, then complete).
pub async fn update_response(tx: &mut Tx, r: &ResponseRow) -> Result<()> {
    let stmt = Query::update()
        .table("questionnaire_responses")
        .value("status", r.status.clone())
        .value("resource", r.resource.clone())
        .value("score", r.score)
        .value("band", r.band.clone())
        .value("findings", r.findings.clone())
        .value("updated_at", stored_time(r.updated_at))
        .and_where(Expr::col("id").eq(r.id))
        .and_where(Expr::col("status").eq("in-progress"))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn find_response(tx: &mut Tx, id: Uuid) -> Result<Option<ResponseRow>> {
    let stmt = Query::select()
        .columns(RESPONSE_COLUMNS)
        .from("questionnaire_responses")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// The responses of many patients, each patient's newest first.
pub async fn responses_of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<Vec<ResponseRow>> {
    let stmt = Query::select()
        .columns(RESPONSE_COLUMNS)
        .from("questionnaire_responses")
        .and_where(Expr::col("patient_id").is_in(patient_ids.iter().copied()))
        .order_by("patient_id", Order::Asc)
        .order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// A patient's responses, newest first.
pub async fn responses_of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<ResponseRow>> {
    let stmt = Query::select()
        .columns(RESPONSE_COLUMNS)
        .from("questionnaire_responses")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("created_at", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// A completed response as a figure reads it: which questionnaire version, what was answered,
/// when it was completed.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CompletedResponseRow {
    pub questionnaire_id: String,
    pub questionnaire_version: i32,
    pub resource: String,
    pub updated_at: OffsetDateTime,
}

/// Completed responses to `questionnaires` last saved in [from, to), of one department's
/// patients or everyone's.
pub async fn completed_between(
    tx: &mut Tx,
    questionnaires: &[&str],
    from: OffsetDateTime,
    to: OffsetDateTime,
    department_id: Option<Uuid>,
) -> Result<Vec<CompletedResponseRow>> {
    let mut stmt = Query::select()
        .columns(
            ["questionnaire_id", "questionnaire_version", "resource", "updated_at"]
                .map(|c| ("questionnaire_responses", c)),
        )
        .from("questionnaire_responses")
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("questionnaire_responses", "patient_id")),
        )
        .and_where(Expr::col(("questionnaire_responses", "status")).eq("completed"))
        .and_where(Expr::col(("questionnaire_responses", "questionnaire_id")).is_in(questionnaires.iter().copied()))
        .and_where(Expr::col(("questionnaire_responses", "updated_at")).gte(crate::stored_time(from)))
        .and_where(Expr::col(("questionnaire_responses", "updated_at")).lt(crate::stored_time(to)))
        .order_by(("questionnaire_responses", "updated_at"), Order::Asc)
        .to_owned();
    if let Some(d) = department_id {
        stmt.and_where(Expr::col(("patients", "department_id")).eq(d));
    }
    tx.fetch_all(&stmt).await
}
