//! Importing results (同步检查报告数据) over HTTP: the body is the file as the sending system
//! wrote it; the answer is the import report (counts, unknown codes, issues with locations).

use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiQuery, ApiUser, JsonText};
use crate::{AppState, IMPORT_LIMIT};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::imports::history::{self, BatchSummary};
use careloop_service::imports::{self, ImportOptions, ImportReport, Upload, profiles};
use careloop_service::patients::lab_reports::LabReportView;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The sending system (`his`, `lis`, `tijian`…); its keys are unique only within it.
    source: Option<String>,
    /// Department code for patients the import creates (default: yours).
    department: Option<String>,
    /// Store nothing if any item is rejected (default: store the good items).
    #[serde(default)]
    all_or_nothing: bool,
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, IMPORT_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "an import request may carry at most {} MB; use `careloop import`",
                IMPORT_LIMIT >> 20
            ),
        )
    })
}

/// What an import answers with 422: the report when `all_or_nothing` refused the batch or
/// nothing in the body could be read, the error body when a query parameter is wrong.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // describes the document only
enum ImportRefused {
    Report(Box<ImportReport>),
    Error(ErrorBody),
}

/// 200 with the report when stored; 422 with the report when `all_or_nothing` refused the
/// batch or nothing in the body could be read.
fn respond(report: ImportReport) -> (StatusCode, Json<ImportReport>) {
    let status = if report.applied && !report.unreadable() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(report))
}

async fn store(
    s: &AppState,
    who: &careloop_service::admin::auth::Authenticated,
    q: ImportQuery,
    format: &'static str,
    upload: Upload,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let options = ImportOptions {
        format,
        source: q.source.unwrap_or_default(),
        department: q.department,
        all_or_nothing: q.all_or_nothing,
    };
    let report = imports::import_upload(&s.db, &who.actor, upload, &options, OffsetDateTime::now_utc()).await?;
    Ok(respond(report))
}

/// Import a FHIR R4 Bundle (any type), a single resource, or NDJSON (bulk export, one resource
/// per line): Patient, Observation (components too), Condition, DiagnosticReport; other types
/// are counted as skipped. Re-sending the same data changes nothing.
#[utoipa::path(post, path = "/api/v1/import/fhir", tag = "observations", params(ImportQuery),
    request_body(content = String, content_type = "application/fhir+json"), security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = ImportRefused), (status = 413, body = ErrorBody)))]
pub async fn fhir(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let bytes = read_body(body).await?;
    store(&s, &who, q, "fhir", Upload::Fhir(bytes.to_vec())).await
}

/// Import HL7 v2 ORU^R01 result messages (one or many, segments ending in CR, LF or CRLF;
/// UTF-8): the patient from PID, a report per OBR, a value per numeric OBX with status F or C.
/// Other message types are counted as skipped. Re-sending the same messages changes nothing; a
/// corrected result (C) replaces the earlier value.
#[utoipa::path(post, path = "/api/v1/import/hl7v2", tag = "observations", params(ImportQuery),
    request_body(content = String, content_type = "x-application/hl7-v2+er7"), security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = ImportRefused), (status = 413, body = ErrorBody)))]
pub async fn hl7v2(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let bytes = read_body(body).await?;
    store(&s, &who, q, "hl7v2", Upload::Hl7v2(bytes.to_vec())).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    /// The saved column-mapping profile (导入模板) to read the file with.
    profile: String,
    source: Option<String>,
    department: Option<String>,
    #[serde(default)]
    all_or_nothing: bool,
}

impl SheetQuery {
    fn split(self) -> (String, ImportQuery) {
        let q = ImportQuery {
            source: self.source,
            department: self.department,
            all_or_nothing: self.all_or_nothing,
        };
        (self.profile, q)
    }
}

/// Import a CSV export (UTF-8, or GB18030 as older Chinese systems write; comma or tab) through
/// a saved profile. Locations read `row 7 column 空腹血糖` (the header is row 1).
#[utoipa::path(post, path = "/api/v1/import/csv", tag = "observations", params(SheetQuery),
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = ImportRefused), (status = 404, body = ErrorBody)))]
pub async fn csv(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<SheetQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let bytes = read_body(body).await?.to_vec();
    let (profile, q) = q.split();
    store(&s, &who, q, "csv", Upload::Csv { bytes, profile }).await
}

/// Import an Excel workbook (.xlsx) through a saved profile (its `sheet`, else the first).
#[utoipa::path(post, path = "/api/v1/import/xlsx", tag = "observations", params(SheetQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = ImportRefused), (status = 404, body = ErrorBody)))]
pub async fn xlsx(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<SheetQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let bytes = read_body(body).await?.to_vec();
    let (profile, q) = q.split();
    store(&s, &who, q, "xlsx", Upload::Xlsx { bytes, profile }).await
}

/// Save a column-mapping profile (admins and health managers): `id`, `name`, `patient` columns
/// (`key` and/or `id_number`, `name`, `sex`, `birth_date`, `phone`), `taken_at`, and either
/// `values` (`[{column, code, unit}]`, one column per item) or `long` (`{code, value, unit,
/// codes}`, one row per result). Checked on save: known codes, fitting units, no column twice.
#[utoipa::path(post, path = "/api/v1/import/profiles", tag = "observations", request_body = serde_json::Value,
    security(("bearer" = [])), responses((status = 201, body = serde_json::Value), (status = 422, body = ErrorBody)))]
pub async fn save_profile(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    JsonText(body): JsonText,
) -> Result<(StatusCode, Json<careloop_sheet::Profile>), ApiError> {
    let p = profiles::save_profile(&s.db, &who.actor, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// The saved column-mapping profiles.
#[utoipa::path(get, path = "/api/v1/import/profiles", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value)))]
pub async fn list_profiles(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<careloop_sheet::Profile>>, ApiError> {
    Ok(Json(profiles::list_profiles(&s.db).await?))
}

/// A patient's lab and check-up reports (检查报告) as the sender grouped them, newest first,
/// each with the values stored from it.
#[utoipa::path(get, path = "/api/v1/patients/{id}/lab-reports", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = Vec<LabReportView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn lab_reports(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<LabReportView>>, ApiError> {
    Ok(Json(
        careloop_service::patients::lab_reports::of_patient(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// The latest 50 imports (导入记录), newest first: format, sender, counts, who and when.
#[utoipa::path(get, path = "/api/v1/import/batches", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = Vec<BatchSummary>), (status = 403, body = ErrorBody)))]
pub async fn batches(State(s): State<AppState>, ApiUser(who): ApiUser) -> Result<Json<Vec<BatchSummary>>, ApiError> {
    Ok(Json(history::recent(&s.db, &who.actor).await?))
}

/// The report of one import, as it was answered when the file came in.
#[utoipa::path(get, path = "/api/v1/import/batches/{id}", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn batch(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportReport>, ApiError> {
    Ok(Json(history::report(&s.db, &who.actor, id).await?.report))
}
