//! Tag rules (自动标签规则): list, dry run, save (admins).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::tag_rules::TagRule;
use careloop_service::risk::tag_rules::{self, SavedTagRule, TagDryRun};
use time::OffsetDateTime;

/// Every tag rule (the built-ins 高血压, 血压升高待确诊, 糖尿病前期, 中心性肥胖, 高危未复诊 and any added).
#[utoipa::path(get, path = "/api/v1/tag-rules", tag = "follow-up", security(("bearer" = [])),
    responses((status = 200, body = Vec<TagRule>)))]
pub async fn list(State(s): State<AppState>, ApiUser(_who): ApiUser) -> Result<Json<Vec<TagRule>>, ApiError> {
    Ok(Json(tag_rules::list_rules(&s.db).await?))
}

/// How a candidate rule would change the population (admins): patients evaluated, matching,
/// gaining and losing the tag, and failures. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/tag-rules/dry-run", tag = "follow-up", request_body = TagRule, security(("bearer" = [])),
    responses((status = 200, body = TagDryRun), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dry_run(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(rule): ApiJson<TagRule>,
) -> Result<Json<TagDryRun>, ApiError> {
    Ok(Json(
        tag_rules::dry_run(&s.db, &who.actor, rule, OffsetDateTime::now_utc()).await?,
    ))
}

/// Save (publish) a rule under its id and apply the rules to every patient (admins): patients
/// gain or lose the tag, and a protocol triggered by the tag enrols those who gain it.
#[utoipa::path(post, path = "/api/v1/tag-rules", tag = "follow-up", request_body = TagRule, security(("bearer" = [])),
    responses((status = 201, body = SavedTagRule), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(rule): ApiJson<TagRule>,
) -> Result<(StatusCode, Json<SavedTagRule>), ApiError> {
    let saved = tag_rules::save_rule(&s.db, &who.actor, rule, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}
