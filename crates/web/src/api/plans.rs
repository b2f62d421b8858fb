//! Managing running plans and tasks, and reading and amending signed follow-up records.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use careloop_service::followup::amendments::{self, AmendmentInput, FollowUpRecordView};
use careloop_service::followup::batch_enrol::{self, BatchEnrolInput, BatchEnrolment};
use careloop_service::followup::enrolment::PlanView;
use careloop_service::followup::plans::{self, PlanAction, TaskChange, TaskDetail};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A patient's plans, newest first, with their tasks.
#[utoipa::path(get, path = "/api/v1/patients/{id}/plans", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<PlanView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_plans(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<PlanView>>, ApiError> {
    Ok(Json(
        plans::list_plans(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Batch enrolment (批量入组): up to 1000 patients on one protocol in one transaction. Patients
/// already on it, deceased, or (for `post-checkup`) without a risk tier are skipped and listed;
/// an unknown protocol or a patient outside your department fails the whole request (422, with
/// the index).
#[utoipa::path(post, path = "/api/v1/plans/batch", tag = "follow-up", request_body = BatchEnrolInput, security(("bearer" = [])),
    responses((status = 201, body = BatchEnrolment), (status = 422, body = ErrorBody)))]
pub async fn enrol_batch(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(body): ApiJson<BatchEnrolInput>,
) -> Result<(StatusCode, Json<BatchEnrolment>), ApiError> {
    let out = batch_enrol::enrol_many(&s.db, &who.actor, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (e.g. 住院中, 患者要求退出).
    reason: String,
}

async fn plan_action(
    s: &AppState,
    who: &careloop_service::admin::auth::Authenticated,
    id: Uuid,
    action: PlanAction,
    reason: &str,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        plans::change_plan(&s.db, &who.actor, id, action, reason, OffsetDateTime::now_utc()).await?,
    ))
}

/// Pause a plan: the scheduler leaves its tasks alone until it is resumed.
#[utoipa::path(post, path = "/api/v1/plans/{id}/pause", tag = "follow-up", request_body = Reason, security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pause_plan(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<PlanView>, ApiError> {
    plan_action(&s, &who, id, PlanAction::Pause, &body.reason).await
}

/// Resume a paused plan.
#[utoipa::path(post, path = "/api/v1/plans/{id}/resume", tag = "follow-up", request_body = Reason, security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume_plan(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<PlanView>, ApiError> {
    plan_action(&s, &who, id, PlanAction::Resume, &body.reason).await
}

/// Stop a plan for good; its open tasks are cancelled with the reason.
#[utoipa::path(post, path = "/api/v1/plans/{id}/stop", tag = "follow-up", request_body = Reason, security(("bearer" = [])),
    responses((status = 200, body = PlanView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stop_plan(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<PlanView>, ApiError> {
    plan_action(&s, &who, id, PlanAction::Stop, &body.reason).await
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
    due_date: String,
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

/// A patient's signed follow-up records, newest first, each with its amendments.
#[utoipa::path(get, path = "/api/v1/patients/{id}/follow-up-records", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<FollowUpRecordView>), (status = 404, body = ErrorBody)))]
pub async fn list_records(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<FollowUpRecordView>>, ApiError> {
    Ok(Json(
        amendments::list_records(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

/// One signed follow-up record with its amendments.
#[utoipa::path(get, path = "/api/v1/follow-up-records/{id}", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = FollowUpRecordView), (status = 404, body = ErrorBody)))]
pub async fn get_record(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<FollowUpRecordView>, ApiError> {
    Ok(Json(
        amendments::get_record(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAmendment {
    /// Why the record is corrected (e.g. 血压值录入错误).
    reason: String,
    /// The corrected note.
    note: Option<String>,
    /// The corrected answers (replace the previous ones as a whole).
    #[schema(value_type = Option<Object>)]
    answers: Option<serde_json::Value>,
}

/// Correct a signed record: the original stays; the amendment is added with its reason.
#[utoipa::path(post, path = "/api/v1/follow-up-records/{id}/amendments", tag = "follow-up", request_body = NewAmendment, security(("bearer" = [])),
    responses((status = 201, body = FollowUpRecordView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn amend_record(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NewAmendment>,
) -> Result<(StatusCode, Json<FollowUpRecordView>), ApiError> {
    let input = AmendmentInput {
        reason: body.reason,
        note: body.note,
        answers: body.answers,
    };
    let out = amendments::amend_record(&s.db, &who.actor, id, input, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}
