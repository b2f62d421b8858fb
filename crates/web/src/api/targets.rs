//! An organisation's targets for the follow-up figures (考核目标): staff read them,
//! administrators set or remove one.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::admin::targets::{self, TargetInput, TargetView};
use time::OffsetDateTime;
use uuid::Uuid;

/// Every figure a target may be set on, with the organisation's target (`percent`, `source`)
/// or none. No target is preset: the national standard defines the figures but sets none.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/targets", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<TargetView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<TargetView>>, ApiError> {
    Ok(Json(targets::of_organisation(&s.db, id).await?))
}

/// Set the organisation's target on a figure (0–100 %, with its source), replacing an earlier
/// one. For `lost_to_follow_up` the target is a ceiling.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/targets/{figure}", tag = "admin", request_body = TargetInput, security(("bearer" = [])),
    responses((status = 200, body = TargetView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, figure)): Path<(Uuid, String)>,
    ApiJson(body): ApiJson<TargetInput>,
) -> Result<Json<TargetView>, ApiError> {
    Ok(Json(
        targets::set(&s.db, &who.actor, id, &figure, &body, OffsetDateTime::now_utc()).await?,
    ))
}

/// Remove the organisation's target on a figure.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/targets/{figure}", tag = "admin", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, figure)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    targets::remove(&s.db, &who.actor, id, &figure, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}
