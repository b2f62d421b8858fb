//! Risk tiers (风险分层): a clinician's assessment with its reason, and the history.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use careloop_service::risk_tiers::{self, AssessmentInput, AssessmentOutcome, RiskTierHistory};
use time::OffsetDateTime;
use uuid::Uuid;

/// Assess a patient's risk tier (doctors and health managers). Running post-check-up plans are
/// re-planned for the new tier; a patient never on `post-checkup` is enrolled in it.
#[utoipa::path(post, path = "/api/v1/patients/{id}/risk-tier", tag = "follow-up", request_body = AssessmentInput, security(("bearer" = [])),
    responses((status = 201, body = AssessmentOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<AssessmentInput>,
) -> Result<(StatusCode, Json<AssessmentOutcome>), ApiError> {
    let out = risk_tiers::assess(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// A patient's current risk tier and every assessment, newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/risk-tier", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = RiskTierHistory), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<RiskTierHistory>, ApiError> {
    Ok(Json(
        risk_tiers::history(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}
