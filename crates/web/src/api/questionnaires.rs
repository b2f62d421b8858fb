//! Questionnaires (问卷) as FHIR R4 resources, and responses to them.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser, JsonText};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use careloop_service::admin::figures::FigureQuery;
use careloop_service::questionnaires::links::{self as patient_links, LinkView};
use careloop_service::questionnaires::response_rates::{self, ResponseRates};
use careloop_service::questionnaires::responses::{
    self as questionnaires, Imported, QuestionnaireSummary, ResponseOutcome, ResponseSummary,
};
use careloop_service::questionnaires::satisfaction::{self, SatisfactionFigures};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Import a FHIR R4 Questionnaire (administrators): 201 with its id and version; 200 when the
/// same document is already the newest version. Stored exactly as sent.
#[utoipa::path(post, path = "/api/v1/questionnaires", tag = "questionnaires", request_body = serde_json::Value, security(("bearer" = [])),
    responses((status = 201, body = Imported), (status = 200, body = Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    JsonText(text): JsonText,
) -> Result<(StatusCode, Json<Imported>), ApiError> {
    let out = questionnaires::import(&s.db, &who.actor, &text, OffsetDateTime::now_utc()).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)))
}

/// Every questionnaire's newest version (built-ins `phq-9`, `gad-7`).
#[utoipa::path(get, path = "/api/v1/questionnaires", tag = "questionnaires", security(("bearer" = [])),
    responses((status = 200, body = Vec<QuestionnaireSummary>)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<QuestionnaireSummary>>, ApiError> {
    Ok(Json(questionnaires::list(&s.db).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A stored version; the newest when left out.
    version: Option<i32>,
}

/// The FHIR Questionnaire exactly as imported (`application/fhir+json`).
#[utoipa::path(get, path = "/api/v1/questionnaires/{id}", tag = "questionnaires", params(VersionQuery), security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value, content_type = "application/fhir+json"), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> Result<Response, ApiError> {
    let row = questionnaires::get(&s.db, &id, q.version).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")],
        row.resource,
    )
        .into_response())
}

/// Submit a FHIR QuestionnaireResponse for the patient in its `subject` (`Patient/{id}`):
/// 201 with `score`, `band` and any `alerts`, or 422 with one entry per faulty item in
/// `error.items`. `status: in-progress` saves part of it; send it again with its `id` to resume.
#[utoipa::path(post, path = "/api/v1/questionnaires/{id}/responses", tag = "questionnaires", request_body = serde_json::Value, security(("bearer" = [])),
    responses((status = 201, body = ResponseOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn respond(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<String>,
    JsonText(text): JsonText,
) -> Result<(StatusCode, Json<ResponseOutcome>), ApiError> {
    let out = questionnaires::submit_response(&s.db, &who.actor, &id, &text, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// A patient's questionnaire responses, newest first, with scores and bands.
#[utoipa::path(get, path = "/api/v1/patients/{id}/questionnaire-responses", tag = "questionnaires", security(("bearer" = [])),
    responses((status = 200, body = Vec<ResponseSummary>), (status = 403, body = ErrorBody)))]
pub async fn of_patient(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ResponseSummary>>, ApiError> {
    Ok(Json(
        questionnaires::responses_of_patient(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// Questionnaire id, e.g. `phq-9`.
    questionnaire: String,
    /// Send it to this family proxy (who answers on the patient's behalf) instead.
    #[serde(default)]
    proxy_id: Option<Uuid>,
}

/// A link for the patient to answer a questionnaire on their phone (valid 7 days, this patient
/// only, used up once submitted), to send by SMS or WeChat.
#[utoipa::path(post, path = "/api/v1/patients/{id}/questionnaire-links", tag = "questionnaires", request_body = NewLink, security(("bearer" = [])),
    responses((status = 201, body = LinkView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_link(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<NewLink>,
) -> Result<(StatusCode, Json<LinkView>), ApiError> {
    let link = patient_links::create_questionnaire_link(
        &s.db,
        &who.actor,
        id,
        &body.questionnaire,
        body.proxy_id,
        &s.public_url,
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RatesQuery {
    /// First day, YYYY-MM-DD between 1900 and 2100 (default 1 January this year).
    #[param(format = Date)]
    pub(crate) from: Option<String>,
    /// Last day, inclusive (default today); at most ten years after `from`.
    #[param(format = Date)]
    pub(crate) to: Option<String>,
    /// Admins: one department.
    pub(crate) department_id: Option<Uuid>,
}

/// Questionnaire response rates (问卷回收率): links made in the period and how many were
/// answered, overall and by channel, hour of day sent and age band.
#[utoipa::path(get, path = "/api/v1/stats/questionnaires", tag = "questionnaires", params(RatesQuery), security(("bearer" = [])),
    responses((status = 200, body = ResponseRates), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn response_rates(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<Json<ResponseRates>, ApiError> {
    let query = FigureQuery {
        from: q.from,
        to: q.to,
        department_id: q.department_id,
        by: None,
    };
    Ok(Json(
        response_rates::response_rates(&s.db, &who.actor, &query, OffsetDateTime::now_utc()).await?,
    ))
}

/// Satisfaction (满意度): of the rated questions of the satisfaction questionnaires (住院 /
/// 门诊患者满意度调查) completed in the period, the share answered with the best option
/// (总是 / 满意; top-box), overall and month by month, with the counts.
#[utoipa::path(get, path = "/api/v1/stats/satisfaction", tag = "questionnaires", params(RatesQuery), security(("bearer" = [])),
    responses((status = 200, body = SatisfactionFigures), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn satisfaction(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<RatesQuery>,
) -> Result<Json<SatisfactionFigures>, ApiError> {
    let query = FigureQuery {
        from: q.from,
        to: q.to,
        department_id: q.department_id,
        by: None,
    };
    Ok(Json(
        satisfaction::satisfaction(&s.db, &who.actor, &query, OffsetDateTime::now_utc()).await?,
    ))
}
