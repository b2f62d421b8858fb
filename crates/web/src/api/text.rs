//! Free-text analysis (自由文本分析): symptoms and emotions in a patient's reply.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::questionnaires::free_text::{self, TextAnalysis};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeInput {
    /// The reply, 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    text: String,
}

/// Symptoms (with degree) and emotions in a reply, whether it is urgent, whether it goes to
/// psychological support, and the terms mentioned but negated, gone or hypothetical.
#[utoipa::path(post, path = "/api/v1/text/analyze", tag = "questionnaires", request_body = AnalyzeInput, security(("bearer" = [])),
    responses((status = 200, body = TextAnalysis), (status = 422, body = ErrorBody)))]
pub async fn analyze(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(body): ApiJson<AnalyzeInput>,
) -> Result<Json<TextAnalysis>, ApiError> {
    Ok(Json(
        free_text::analyze(&s.db, &who.actor, &body.text, OffsetDateTime::now_utc()).await?,
    ))
}
