//! Outreach (触达): the outbox and quiet hours (免打扰) per organisation and per patient.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::outreach::delivery::{self, OutboxView, QuietHoursInput};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// One patient's messages; without it, your department's (admins: all).
    patient_id: Option<Uuid>,
}

/// Automated messages (sandbox channel: exactly as the patient receives them), newest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "follow-up", params(OutboxQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_outbox(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<Vec<OutboxView>>, ApiError> {
    Ok(Json(
        delivery::list_outbox(&s.db, &who.actor, q.patient_id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Set an organisation's quiet hours (免打扰, default 21:00–08:00); both null: the default.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/quiet-hours", tag = "follow-up", request_body = QuietHoursInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_organisation_quiet_hours(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<QuietHoursInput>,
) -> Result<StatusCode, ApiError> {
    delivery::set_organisation_quiet_hours(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a patient's own quiet hours, overriding the organisation's; both null: the organisation's.
#[utoipa::path(put, path = "/api/v1/patients/{id}/quiet-hours", tag = "follow-up", request_body = QuietHoursInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_patient_quiet_hours(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<QuietHoursInput>,
) -> Result<StatusCode, ApiError> {
    delivery::set_patient_quiet_hours(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}
