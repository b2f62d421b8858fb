//! Follow-up tasks: the worklist query, one task with its history, rescheduling, reassigning and cancelling.

use crate::AppState;
use crate::api::plans::Reason;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::Page;
use careloop_service::followup::enrolment::{self as followup, TaskQuery, TaskView};
use careloop_service::followup::plans::{self, TaskChange, TaskDetail};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TasksQuery {
    /// `me` for the caller's own tasks.
    assignee: Option<String>,
    /// Comma-separated states: pending, due, in_progress, done, no_answer, failed, overdue, cancelled.
    status: Option<String>,
    /// RFC 3339 instant or date.
    due_before: Option<String>,
    /// Only tasks of plans on this protocol, e.g. `htn-basic-ph`.
    protocol: Option<String>,
    /// Only tasks of patients in this risk tier: high, medium, low.
    risk_tier: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Follow-up tasks of your department (admins: all), earliest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "follow-up", params(TasksQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<TaskView>), (status = 422, body = ErrorBody)))]
pub async fn list_tasks(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<TasksQuery>,
) -> Result<Json<Page<TaskView>>, ApiError> {
    let query = TaskQuery {
        mine: q.assignee.as_deref() == Some("me"),
        states: q.status,
        due_before: q.due_before,
        protocol: q.protocol,
        risk_tier: q.risk_tier,
        page: q.page,
        per_page: q.per_page,
    };
    Ok(Json(
        followup::list_tasks(&s.db, &who.actor, &query, OffsetDateTime::now_utc()).await?,
    ))
}

/// A task with every state change it went through.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = TaskDetail), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<TaskDetail>, ApiError> {
    Ok(Json(
        plans::get_task(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

async fn task_action(
    s: &AppState,
    who: &careloop_service::admin::auth::Authenticated,
    id: Uuid,
    change: TaskChange,
    reason: &str,
) -> Result<Json<TaskDetail>, ApiError> {
    Ok(Json(
        plans::change_task(&s.db, &who.actor, id, change, reason, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// The new day (YYYY-MM-DD, China time); the window keeps its length.
    #[schema(format = Date)]
    due_date: String,
    #[schema(min_length = 1)]
    reason: String,
}

/// Move a task to another day.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reschedule", tag = "follow-up", request_body = Reschedule, security(("bearer" = [])),
    responses((status = 200, body = TaskDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reschedule_task(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reschedule>,
) -> Result<Json<TaskDetail>, ApiError> {
    let change = TaskChange::Reschedule {
        due_date: body.due_date,
    };
    task_action(&s, &who, id, change, &body.reason).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassign {
    assignee_id: Uuid,
    #[schema(min_length = 1)]
    reason: String,
}

/// Give a task to another nurse, doctor or health manager of the patient's department.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reassign", tag = "follow-up", request_body = Reassign, security(("bearer" = [])),
    responses((status = 200, body = TaskDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reassign_task(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reassign>,
) -> Result<Json<TaskDetail>, ApiError> {
    let change = TaskChange::Reassign {
        assignee_id: body.assignee_id,
    };
    task_action(&s, &who, id, change, &body.reason).await
}

/// Cancel one task.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/cancel", tag = "follow-up", request_body = Reason, security(("bearer" = [])),
    responses((status = 200, body = TaskDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel_task(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TaskDetail>, ApiError> {
    task_action(&s, &who, id, TaskChange::Cancel, &body.reason).await
}
