//! Patient enrolment (开卡), search and edits.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::patient::PatientInput;
use careloop_service::Page;
use careloop_service::patients::register::{self as patients, Enrolled, PatientDetail, PatientSummary};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Enrol a patient. Birth date and sex may be left out when an ID number is given: they are
/// derived from it, and when given they must agree with it.
#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", request_body = PatientInput, security(("bearer" = [])),
    responses((status = 201, body = Enrolled), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(input): ApiJson<PatientInput>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    let mut done = patients::enrol_patients(
        &s.db,
        &who.actor,
        std::slice::from_ref(&input),
        OffsetDateTime::now_utc(),
    )
    .await?;
    let one = done.pop().ok_or_else(|| ApiError::bad_request("nothing enrolled"))?;
    Ok((StatusCode::CREATED, Json(one)))
}

/// Enrol up to 5000 patients in one transaction (all or none); errors name `[i].field`.
#[utoipa::path(post, path = "/api/v1/patients/batch", tag = "patients", request_body = Vec<PatientInput>, security(("bearer" = [])),
    responses((status = 201, body = Vec<Enrolled>), (status = 422, body = ErrorBody)))]
pub async fn create_batch(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(inputs): ApiJson<Vec<PatientInput>>,
) -> Result<(StatusCode, Json<Vec<Enrolled>>), ApiError> {
    let done = patients::enrol_patients(&s.db, &who.actor, &inputs, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Name prefix, pinyin initials (`zsf`) or full pinyin, or a prefix of the phone, ID or card number.
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Search the patients of your department (admins: all). Identifiers are masked.
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<PatientSummary>)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<PatientSummary>>, ApiError> {
    let page = patients::search_patients(
        &s.db,
        &who.actor,
        q.q.as_deref(),
        q.page,
        q.per_page,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(page))
}

/// One patient, identifiers in full (this read is audited).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = PatientDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<PatientDetail>, ApiError> {
    Ok(Json(
        patients::get_patient(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Change some fields; the result is validated as a whole.
#[utoipa::path(patch, path = "/api/v1/patients/{id}", tag = "patients", request_body = PatientInput, security(("bearer" = [])),
    responses((status = 200, body = PatientDetail), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<PatientInput>,
) -> Result<Json<PatientDetail>, ApiError> {
    Ok(Json(
        patients::update_patient(&s.db, &who.actor, id, patch, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeathInput {
    /// The day the patient died, YYYY-MM-DD (not in the future).
    #[schema(format = Date)]
    died_on: String,
}

/// Record a patient's death (a family's call, a death certificate): every running plan stops
/// and no follow-up starts again. 409 when already recorded.
#[utoipa::path(post, path = "/api/v1/patients/{id}/death", tag = "patients", request_body = DeathInput, security(("bearer" = [])),
    responses((status = 200, body = PatientDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_death(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DeathInput>,
) -> Result<Json<PatientDetail>, ApiError> {
    Ok(Json(
        patients::report_death(&s.db, &who.actor, id, &body.died_on, OffsetDateTime::now_utc()).await?,
    ))
}

/// Admins: undo a death recorded in error. Stopped plans stay stopped (enrol again by hand).
#[utoipa::path(delete, path = "/api/v1/patients/{id}/death", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = PatientDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn clear_death(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<PatientDetail>, ApiError> {
    Ok(Json(
        patients::clear_death(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}
