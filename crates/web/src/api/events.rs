//! Discharges (出院登记) and patient tags (标签): the events that enrol patients in protocols.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::followup::events::{self, DischargeInput, DischargeView, TagOutcome, TagView};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Record a discharge. Protocols triggered by discharge start at once, anchored on its date;
/// a running post-discharge plan is replaced by the new one.
#[utoipa::path(post, path = "/api/v1/patients/{id}/discharges", tag = "follow-up", request_body = DischargeInput, security(("bearer" = [])),
    responses((status = 201, body = DischargeView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_discharge(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DischargeInput>,
) -> Result<(StatusCode, Json<DischargeView>), ApiError> {
    let d = events::record_discharge(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// A patient's discharges, latest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/discharges", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<DischargeView>)))]
pub async fn list_discharges(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<DischargeView>>, ApiError> {
    Ok(Json(
        events::list_discharges(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// 1–20 characters, e.g. 高危 or 糖尿病前期.
    #[schema(min_length = 1, max_length = 20, pattern = "^[^\\r\\n]+$")]
    tag: String,
}

/// Set a tag on a patient (201; 200 when it was already set). Protocols triggered by the tag
/// start.
#[utoipa::path(post, path = "/api/v1/patients/{id}/tags", tag = "records", request_body = TagInput, security(("bearer" = [])),
    responses((status = 201, body = TagOutcome), (status = 200, body = TagOutcome), (status = 422, body = ErrorBody)))]
pub async fn add_tag(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TagInput>,
) -> Result<(StatusCode, Json<TagOutcome>), ApiError> {
    let out = events::add_tag(&s.db, &who.actor, id, &body.tag, OffsetDateTime::now_utc()).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)))
}

/// A patient's tags, oldest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/tags", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<TagView>)))]
pub async fn list_tags(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<TagView>>, ApiError> {
    Ok(Json(
        events::list_tags(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Remove a tag. Plans it started keep running.
#[utoipa::path(delete, path = "/api/v1/patients/{id}/tags/{tag}", tag = "records", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_tag(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path((id, tag)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    events::remove_tag(&s.db, &who.actor, id, &tag, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}
