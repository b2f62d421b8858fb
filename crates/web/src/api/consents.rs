//! Consent to be contacted, per channel (联系同意).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::patients::consents::{self, ConsentInput, Consents};
use time::OffsetDateTime;
use uuid::Uuid;

/// What stands on each channel (granted, withdrawn, unrecorded) and every change, newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = Consents), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_consents(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Consents>, ApiError> {
    Ok(Json(
        consents::list(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Record consent the patient gave (with the notice they were told) or withdrew, through staff.
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents", tag = "patients", request_body = ConsentInput, security(("bearer" = [])),
    responses((status = 201, body = Consents), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_consent(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ConsentInput>,
) -> Result<(axum::http::StatusCode, Json<Consents>), ApiError> {
    let c = consents::change(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok((axum::http::StatusCode::CREATED, Json(c)))
}
