//! The staff side of a patient's links: list them with their state, withdraw one.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::questionnaires::link_revocation::{self, LinkSummary};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// The patient's newest links (questionnaires and messages; 50 at most), each `open`,
/// `answered`, `withdrawn` or `expired`.
#[utoipa::path(get, path = "/api/v1/patients/{id}/questionnaire-links", tag = "questionnaires", security(("bearer" = [])),
    responses((status = 200, body = Vec<LinkSummary>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<LinkSummary>>, ApiError> {
    Ok(Json(
        link_revocation::links_of_patient(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Why, 1–200 characters (e.g. 发错患者); kept in the audit trail.
    #[schema(min_length = 1, max_length = 200)]
    reason: String,
}

/// Withdraw one open link: it opens nothing from now on. 409 when it was answered, withdrawn
/// or has expired.
#[utoipa::path(post, path = "/api/v1/patients/{id}/questionnaire-links/{link_id}/withdraw", tag = "questionnaires", request_body = Withdrawal, security(("bearer" = [])),
    responses((status = 200, body = LinkSummary), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, link_id)): Path<(Uuid, String)>,
    ApiJson(body): ApiJson<Withdrawal>,
) -> Result<Json<LinkSummary>, ApiError> {
    Ok(Json(
        link_revocation::withdraw(&s.db, &who.actor, id, &link_id, &body.reason, OffsetDateTime::now_utc()).await?,
    ))
}
