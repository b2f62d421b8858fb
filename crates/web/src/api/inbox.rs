//! The reply inbox (回复收件箱): patients' unhandled replies, urgent first, and marking one handled.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::admin::figures::FigureQuery;
use careloop_service::outreach::inbox::{self, InboxItem};
use careloop_service::outreach::reach::{self, ReachFigures};
use careloop_service::outreach::thread::{self, Thread};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// false (default): replies waiting, urgent first; true: the latest handled.
    handled: Option<bool>,
}

/// Replies of your department's patients (admins: all): urgent, then needing a human read, then
/// with findings, then the rest, each group longest waiting first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "outreach", params(InboxQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<InboxItem>), (status = 403, body = ErrorBody)))]
pub async fn list_inbox(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Vec<InboxItem>>, ApiError> {
    let handled = q.handled.unwrap_or(false);
    Ok(Json(
        inbox::list(&s.db, &who.actor, handled, OffsetDateTime::now_utc()).await?,
    ))
}

/// Mark a reply handled (read and acted on). 409 when someone already did.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/handled", tag = "outreach", security(("bearer" = [])),
    responses((status = 200, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mark_handled(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<InboxItem>, ApiError> {
    Ok(Json(
        inbox::mark_handled(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// One patient's conversation: every message sent on any channel (queued, sent, delivered, its
/// link opened and answered) and every reply (its triage, handled or not), oldest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/messages", tag = "outreach", security(("bearer" = [])),
    responses((status = 200, body = Thread), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patient_thread(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(
        thread::thread(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// How well messages reach patients (触达效果): messages sent in the period, the provider's
/// receipts (delivered ÷ those with a receipt), replies (÷ sent) and the median minutes to the
/// first reply — overall, by channel and by hour sent (China time).
#[utoipa::path(get, path = "/api/v1/stats/reach", tag = "outreach", params(crate::api::questionnaires::RatesQuery), security(("bearer" = [])),
    responses((status = 200, body = ReachFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reach_figures(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<crate::api::questionnaires::RatesQuery>,
) -> Result<Json<ReachFigures>, ApiError> {
    let query = FigureQuery {
        from: q.from,
        to: q.to,
        department_id: q.department_id,
        by: None,
    };
    Ok(Json(
        reach::reach(&s.db, &who.actor, &query, OffsetDateTime::now_utc()).await?,
    ))
}
