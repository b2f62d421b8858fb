//! Importing results (同步检查报告数据) over HTTP: the body is the file as the sending system
//! wrote it; the answer is the import report (counts, unknown codes, issues with locations).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiUser;
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use careloop_service::imports::{self, ImportOptions, ImportReport};
use serde::Deserialize;
use time::OffsetDateTime;

/// Largest import one request may carry; bigger exports go through `careloop import`.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
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

/// 200 with the report when stored; 422 with the report when `all_or_nothing` refused the
/// batch or nothing in the body could be read.
fn respond(report: ImportReport) -> (StatusCode, Json<ImportReport>) {
    let unreadable = report.received == 0 || (report.errors > 0 && report.errors >= report.received);
    let status = if report.applied && !unreadable {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(report))
}

/// Import a FHIR R4 Bundle (any type), a single resource, or NDJSON (bulk export, one resource
/// per line): Patient, Observation (components too), Condition, DiagnosticReport; other types
/// are counted as skipped. Re-sending the same data changes nothing.
#[utoipa::path(post, path = "/api/v1/import/fhir", tag = "observations", params(ImportQuery),
    request_body(content = String, content_type = "application/fhir+json"), security(("bearer" = [])),
    responses((status = 200, body = ImportReport), (status = 422, body = ImportReport), (status = 413, body = ErrorBody)))]
pub async fn fhir(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    let bytes = read_body(body).await?;
    let batch = careloop_fhir::read(&bytes, "");
    let options = ImportOptions {
        format: "fhir",
        source: q.source.unwrap_or_default(),
        department: q.department,
        all_or_nothing: q.all_or_nothing,
    };
    let report = imports::import_batch(&s.db, &who.actor, batch, &options, OffsetDateTime::now_utc()).await?;
    Ok(respond(report))
}
