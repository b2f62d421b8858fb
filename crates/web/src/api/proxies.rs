//! Family proxies (家属代理) of a patient.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::patients::proxies::{self, ProxyInput, ProxyView};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Record a family proxy with the patient's consent (how it was given is required).
#[utoipa::path(post, path = "/api/v1/patients/{id}/proxies", tag = "questionnaires", request_body = ProxyInput, security(("bearer" = [])),
    responses((status = 201, body = ProxyView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ProxyInput>,
) -> Result<(StatusCode, Json<ProxyView>), ApiError> {
    let p = proxies::add_proxy(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A patient's family proxies, withdrawn ones included, phones masked.
#[utoipa::path(get, path = "/api/v1/patients/{id}/proxies", tag = "questionnaires", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProxyView>)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ProxyView>>, ApiError> {
    Ok(Json(
        proxies::list_proxies(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    #[schema(min_length = 1, max_length = 200)]
    reason: String,
}

/// Withdraw a proxy's consent; their links stop working at once.
#[utoipa::path(post, path = "/api/v1/proxies/{id}/revoke", tag = "questionnaires", request_body = RevokeInput, security(("bearer" = [])),
    responses((status = 200, body = ProxyView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RevokeInput>,
) -> Result<Json<ProxyView>, ApiError> {
    Ok(Json(
        proxies::revoke_proxy(&s.db, &who.actor, id, &body.reason, OffsetDateTime::now_utc()).await?,
    ))
}
