//! Follow-up protocols (随访方案): the catalogue, importing a new version, a dry run of its rules, one version as JSON.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_service::followup::enrolment::{self as followup};
use careloop_service::followup::rules::DryRun;
use serde::Deserialize;
use time::OffsetDateTime;

/// The newest version of every protocol, as its JSON document.
#[utoipa::path(get, path = "/api/v1/protocols", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn list_protocols(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    Ok(Json(followup::list_protocols(&s.db).await?))
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
#[into_params(parameter_in = Query)]
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
#[into_params(parameter_in = Query)]
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
