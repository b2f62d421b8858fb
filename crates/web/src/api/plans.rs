//! Follow-up plans: enrolling a patient in a protocol, one at a time or in a batch, listing a patient's plans, pausing, resuming and stopping them.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::followup::batch_enrol::{self, BatchEnrolInput, BatchEnrolment};
use careloop_service::followup::enrolment::{self as followup, PlanView};
use careloop_service::followup::plans::{self, PlanAction};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Protocol id, e.g. `htn-basic-ph`.
    protocol: String,
    /// The date steps count from (enrolment or discharge), China time; defaults to today.
    #[schema(format = Date)]
    anchor_date: Option<String>,
}

/// Enrol the patient in a protocol: creates the plan and its tasks for the next year.
#[utoipa::path(post, path = "/api/v1/patients/{id}/plans", tag = "follow-up", request_body = NewPlan, security(("bearer" = [])),
    responses((status = 201, body = PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NewPlan>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let plan = followup::enrol_in_protocol(
        &s.db,
        &who.actor,
        id,
        &body.protocol,
        body.anchor_date.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

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
    #[schema(min_length = 1, max_length = 500)]
    pub(crate) reason: String,
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
