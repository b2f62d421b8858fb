//! Follow-up records (随访记录): signing one on a task, listing a patient's, reading one, amending (更正).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::followup::amendments::{self, AmendmentInput, FollowUpRecordView};
use careloop_service::followup::visits::{self, RecordInput, RecordOutcome};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    /// reached / no_answer / busy / powered_off / wrong_number / not_patient / refused / deceased
    #[schema(pattern = "^(reached|no_answer|busy|powered_off|wrong_number|not_patient|refused|deceased)$")]
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
    #[schema(min_length = 1, max_length = 500)]
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
