//! Follow-up: the protocol catalogue, enrolling a patient in a protocol, and task lists.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use careloop_service::Page;
use careloop_service::admin::figures::{self, FigureQuery, FollowUpFigures};
use careloop_service::followup::alerts;
use careloop_service::followup::enrolment::{self as followup, PlanView, TaskQuery, TaskView};
use careloop_service::followup::rules::DryRun;
use careloop_service::followup::visits::{self, RecordInput, RecordOutcome};
use careloop_service::kernel::alerts::AlertView;
use careloop_service::outreach::delivery::{self, OutboxView, QuietHoursInput};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// The newest version of every protocol, as its JSON document.
#[utoipa::path(get, path = "/api/v1/protocols", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn list_protocols(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    Ok(Json(followup::list_protocols(&s.db).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Protocol id, e.g. `htn-basic-ph`.
    protocol: String,
    /// The date steps count from (enrolment or discharge), China time; defaults to today.
    anchor_date: Option<String>,
}

/// Enrol the patient in a protocol: creates the plan and its tasks for the next year.
#[utoipa::path(post, path = "/api/v1/patients/{id}/plans", tag = "follow-up", request_body = NewPlan, security(("bearer" = [])),
    responses((status = 201, body = PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
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

#[derive(Deserialize, utoipa::IntoParams)]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// reached / no_answer / busy / powered_off / wrong_number / not_patient / refused / deceased
    contact_result: String,
    /// Values measured or reported during the contact (only when reached).
    #[serde(default)]
    observations: Vec<super::observations::ObservationBody>,
    /// The protocol form's other answers (adherence, symptoms, ...).
    #[schema(value_type = Option<Object>)]
    answers: Option<serde_json::Value>,
    #[serde(default)]
    adverse_drug_reaction: bool,
    #[serde(default)]
    new_complication: bool,
    /// Any emergency symptom of the national standard's list.
    #[serde(default)]
    emergency_symptom: bool,
    note: Option<String>,
}

/// Sign the follow-up record of a task: classification, next task, alerts and referral.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/records", tag = "follow-up", request_body = NewRecord, security(("bearer" = [])),
    responses((status = 201, body = RecordOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_record(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NewRecord>,
) -> Result<(StatusCode, Json<RecordOutcome>), ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut observations = Vec::with_capacity(body.observations.len());
    for (i, o) in body.observations.into_iter().enumerate() {
        observations.push(o.into_input(now).map_err(|e| {
            let f = format!("observations[{i}].{}", e.field);
            e.at(f)
        })?);
    }
    let input = RecordInput {
        contact_result: body.contact_result,
        observations,
        answers: body.answers,
        adverse_drug_reaction: body.adverse_drug_reaction,
        new_complication: body.new_complication,
        emergency_symptom: body.emergency_symptom,
        note: body.note,
    };
    let out = visits::record_follow_up(&s.db, &who.actor, id, input, now).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// open (default), acknowledged or closed
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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// One patient's messages; without it, your department's (admins: all).
    patient_id: Option<Uuid>,
}

/// Automated messages (sandbox channel: exactly as the patient receives them), newest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "follow-up", params(OutboxQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<OutboxView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_outbox(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<Vec<OutboxView>>, ApiError> {
    Ok(Json(
        delivery::list_outbox(&s.db, &who.actor, q.patient_id, OffsetDateTime::now_utc()).await?,
    ))
}

/// Set an organisation's quiet hours (免打扰, default 21:00–08:00); both null: the default.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/quiet-hours", tag = "follow-up", request_body = QuietHoursInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_organisation_quiet_hours(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<QuietHoursInput>,
) -> Result<StatusCode, ApiError> {
    delivery::set_organisation_quiet_hours(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a patient's own quiet hours, overriding the organisation's; both null: the organisation's.
#[utoipa::path(put, path = "/api/v1/patients/{id}/quiet-hours", tag = "follow-up", request_body = QuietHoursInput, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_patient_quiet_hours(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<QuietHoursInput>,
) -> Result<StatusCode, ApiError> {
    delivery::set_patient_quiet_hours(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// First day, YYYY-MM-DD (default 1 January this year).
    from: Option<String>,
    /// Last day, inclusive (default today).
    to: Option<String>,
    /// Admins: one department (default all). Others always get their own.
    department_id: Option<Uuid>,
    /// `csv` for a spreadsheet (UTF-8 with BOM, opens in Excel).
    format: Option<String>,
    /// Also break the figures down: `department`, `protocol`, `staff` or `month`.
    by: Option<String>,
}

/// Follow-up figures: coverage, completion, on time, contact success, lost to follow-up, and
/// the national standard's management and control rates.
#[utoipa::path(get, path = "/api/v1/stats/follow-up", tag = "follow-up", params(FiguresQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowUpFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up_figures(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let query = FigureQuery {
        from: q.from,
        to: q.to,
        department_id: q.department_id,
        by: q.by,
    };
    let f = figures::follow_up_figures(&s.db, &who.actor, &query, OffsetDateTime::now_utc()).await?;
    Ok(if q.format.as_deref() == Some("csv") {
        figures_csv(&f)
    } else {
        Json(f).into_response()
    })
}

/// The figures as an Excel-ready CSV download (API and UI share it).
pub(crate) fn figures_csv(f: &FollowUpFigures) -> axum::response::Response {
    use axum::response::IntoResponse;
    let name = format!("attachment; filename=\"follow-up-{}-{}.csv\"", f.from, f.to);
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, name),
        ],
        figures::to_csv(f),
    )
        .into_response()
}

/// Import a protocol document (admins). A new id starts at version 1; an existing id gets its
/// next version (plans already running keep theirs); a document identical to the newest
/// version is not stored again (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/protocols", tag = "follow-up", request_body = Object, security(("bearer" = [])),
    responses((status = 201, body = Object), (status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_protocol(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let out = careloop_service::followup::protocols::import_protocol(
        &s.db,
        &who.actor,
        &body.to_string(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out.document)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DryRunQuery {
    /// First day of signed visits to replay, YYYY-MM-DD (default: the first).
    from: Option<String>,
    /// Last day, inclusive (default: the latest).
    to: Option<String>,
}

/// Dry-run (试运行) a protocol document's outcome rules over the visits already signed on its
/// plans (admins): how often each rule would have fired, and what it would have done. Nothing
/// is stored; a document with an invalid rule is rejected as on import.
#[utoipa::path(post, path = "/api/v1/protocols/dry-run", tag = "follow-up", request_body = Object, params(DryRunQuery), security(("bearer" = [])),
    responses((status = 200, body = DryRun), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dry_run_protocol(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<DryRun>, ApiError> {
    Ok(Json(
        careloop_service::followup::rules::dry_run(
            &s.db,
            &who.actor,
            &body.to_string(),
            q.from.as_deref(),
            q.to.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProtocolQuery {
    /// A stored version; the newest when left out.
    version: Option<i32>,
}

/// Export one protocol's document (newest version, or `?version=`).
#[utoipa::path(get, path = "/api/v1/protocols/{id}", tag = "follow-up", params(ProtocolQuery), security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_protocol(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ProtocolQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        careloop_service::followup::protocols::export_protocol(&s.db, &id, q.version).await?,
    ))
}
