//! `POST /api/v1/auth/token`: exchange a username and password for a bearer token.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, client_addr, client_ip};
use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use careloop_service::admin::auth::{self, SessionKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    token: String,
    token_type: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    role: String,
}

/// Log in. A wrong password, an unknown username and a deactivated account all answer 401;
/// too many tries from one address, or at one account, answer 429 with `Retry-After` (the
/// account is never locked).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state
        .limits
        .login(client_addr(&parts), &req.username)
        .map_err(ApiError::throttled)?;
    let ok = auth::login(
        &state.db,
        &req.username,
        &req.password,
        SessionKind::Api,
        client_ip(&parts),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(Json(TokenResponse {
        token: ok.token,
        token_type: "Bearer",
        expires_at: ok.expires_at,
        role: ok.actor.role.as_str().into(),
    }))
}
