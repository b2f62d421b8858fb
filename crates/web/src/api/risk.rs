//! Risk tiers (风险分层): a clinician's assessment with its reason, and the history.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::risk::assessments::{self as risk_tiers, AssessmentInput, AssessmentOutcome, RiskTierHistory};
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

/// What the tiering rules make of the patient now: the tier (or none, when nothing is on
/// record), every reason with its source, and China-PAR / CDRS evaluated over the inputs not on
/// record (lowest and highest result, and which inputs those are). Nothing is stored.
#[utoipa::path(get, path = "/api/v1/patients/{id}/risk-tier/computed", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn computed(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<careloop_domain::tiering::ComputedTier>, ApiError> {
    Ok(Json(
        careloop_service::risk::tiering::explain(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Recompute the tier now and apply it (as after new results): a clinician's assessment is only
/// ever raised. 200 with the outcome when the tier changed, 204 when it did not.
#[utoipa::path(post, path = "/api/v1/patients/{id}/risk-tier/recompute", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = AssessmentOutcome), (status = 204), (status = 404, body = ErrorBody)))]
pub async fn recompute(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let out = careloop_service::risk::tiering::recompute_now(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?;
    Ok(match out {
        Some(o) => Json(o).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
