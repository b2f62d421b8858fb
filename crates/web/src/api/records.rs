//! The health record (健康档案) and diagnoses under a patient.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::record::DiagnosisInput;
use careloop_domain::record::HealthRecord;
use careloop_service::patients::records::{self, DiagnosisView, HealthRecordView};
use time::OffsetDateTime;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/patients/{id}/health-record", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = HealthRecordView), (status = 404, body = ErrorBody)))]
pub async fn get_record(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<HealthRecordView>, ApiError> {
    Ok(Json(
        records::get_health_record(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Replace the health record as a whole.
#[utoipa::path(put, path = "/api/v1/patients/{id}/health-record", tag = "records", request_body = HealthRecord, security(("bearer" = [])),
    responses((status = 200, body = HealthRecordView), (status = 422, body = ErrorBody)))]
pub async fn put_record(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<HealthRecord>,
) -> Result<Json<HealthRecordView>, ApiError> {
    Ok(Json(
        records::save_health_record(&s.db, &who.actor, id, body, OffsetDateTime::now_utc()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/diagnoses", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<DiagnosisView>)))]
pub async fn list_diagnoses(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<DiagnosisView>>, ApiError> {
    Ok(Json(
        records::list_diagnoses(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Add a diagnosis with its ICD-10 code (WHO or 国家临床版 2.0, e.g. `I10.x00`).
#[utoipa::path(post, path = "/api/v1/patients/{id}/diagnoses", tag = "records", request_body = DiagnosisInput, security(("bearer" = [])),
    responses((status = 201, body = DiagnosisView), (status = 422, body = ErrorBody)))]
pub async fn add_diagnosis(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DiagnosisInput>,
) -> Result<(StatusCode, Json<DiagnosisView>), ApiError> {
    let d = records::add_diagnosis(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(d)))
}
