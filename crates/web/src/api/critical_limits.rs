//! An organisation's critical-value table for laboratory results (危急值表): staff read it,
//! administrators set or remove a row.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::critical_limits::{self, CriticalLimitInput, CriticalLimitView};
use time::OffsetDateTime;
use uuid::Uuid;

/// The organisation's table, in catalogue order: its own rows (`own`) and the seeded rows for
/// the indicators it has not set. The national emergency thresholds of blood pressure and
/// glucose apply besides, and cannot be changed.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/critical-limits", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<CriticalLimitView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<CriticalLimitView>>, ApiError> {
    Ok(Json(critical_limits::table(&s.db, id).await?))
}

/// Set the organisation's row for a laboratory indicator (short or LOINC code), replacing the
/// seeded or earlier row. Limits lie outside the indicator's normal range; values arriving from
/// now on are checked against them.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/critical-limits/{code}", tag = "admin", request_body = CriticalLimitInput, security(("bearer" = [])),
    responses((status = 200, body = CriticalLimitView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, code)): Path<(Uuid, String)>,
    ApiJson(body): ApiJson<CriticalLimitInput>,
) -> Result<Json<CriticalLimitView>, ApiError> {
    Ok(Json(
        critical_limits::set(&s.db, &who.actor, id, &code, &body, OffsetDateTime::now_utc()).await?,
    ))
}

/// Remove the organisation's row: the seeded row (or none) applies again.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/critical-limits/{code}", tag = "admin", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, code)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    critical_limits::reset(&s.db, &who.actor, id, &code, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}
