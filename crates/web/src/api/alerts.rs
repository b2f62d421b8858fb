//! Alerts (预警): the department's list, acknowledging, closing with an outcome.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::followup::alerts;
use careloop_service::kernel::alerts::AlertView;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// open (default), acknowledged or closed
    #[param(pattern = "^(open|acknowledged|closed)$")]
    status: Option<String>,
}

/// Alerts of your department (admins: all), most urgent first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "follow-up", params(AlertsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<AlertView>)))]
pub async fn list_alerts(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    Ok(Json(
        alerts::list_alerts(&s.db, &who.actor, q.status.as_deref(), OffsetDateTime::now_utc()).await?,
    ))
}

/// Acknowledge an alert: you are handling it, so it does not escalate.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = AlertView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge_alert(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(
        alerts::handle_alert(&s.db, &who.actor, id, None, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAlert {
    /// What was done (e.g. 已电话指导，建议复诊).
    #[schema(min_length = 1, max_length = 500)]
    outcome: String,
}

/// Close an alert with its outcome.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "follow-up", request_body = CloseAlert, security(("bearer" = [])),
    responses((status = 200, body = AlertView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_alert(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CloseAlert>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(
        alerts::handle_alert(&s.db, &who.actor, id, Some(&body.outcome), OffsetDateTime::now_utc()).await?,
    ))
}
