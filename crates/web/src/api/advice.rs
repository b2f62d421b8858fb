//! Health advice (健康建议): the library and a patient's matched articles.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiUser, Text};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::advice::Matched;
use careloop_service::advice::{self, ArticleView};
use time::OffsetDateTime;
use uuid::Uuid;

/// The library: the current version of every article.
#[utoipa::path(get, path = "/api/v1/advice", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<ArticleView>)))]
pub async fn library(State(s): State<AppState>, ApiUser(_who): ApiUser) -> Result<Json<Vec<ArticleView>>, ApiError> {
    Ok(Json(advice::library(&s.db).await?))
}

/// Save an article as its next version (doctors, health managers, psychologists, admins). The
/// body is the document: a `---` front matter block (`id`, `title`, `category` diet / exercise /
/// mental / general, `source`, and whom it is for: `tags`, `diagnoses`, `indicators`, `tiers`,
/// `questionnaires`, `risk`), then Markdown.
#[utoipa::path(post, path = "/api/v1/advice", tag = "records", request_body(content = String, content_type = "text/markdown"),
    security(("bearer" = [])), responses((status = 201, body = ArticleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Text(body): Text,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    let saved = advice::save(&s.db, &who.actor, &body, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Every version of an article, newest first.
#[utoipa::path(get, path = "/api/v1/advice/{id}/versions", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<ArticleView>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ArticleView>>, ApiError> {
    Ok(Json(advice::versions(&s.db, &id).await?))
}

/// The articles that apply to a patient, each with `why` (the tags, diagnoses, abnormal
/// results, tier, questionnaire bands or smoking that chose it).
#[utoipa::path(get, path = "/api/v1/patients/{id}/advice", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<Matched>), (status = 404, body = ErrorBody)))]
pub async fn for_patient(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Matched>>, ApiError> {
    Ok(Json(
        advice::for_patient(&s.db, &who.actor, id, OffsetDateTime::now_utc()).await?,
    ))
}
