//! Published risk models (疾病风险评估) and measurement classifications, for staff.

use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiUser};
use axum::Json;
use careloop_domain::classify::{Classification, ClassifyInput};
use careloop_domain::risk::{RiskInput, RiskResult};
use careloop_service::risk::models as risk_models;

/// Evaluate a risk model: `china-par`, `cdrs`, `pce` or `findrisc`. Inputs are snake_case
/// (`sex`, `age`, `sbp`, `bp_treated`, `total_cholesterol` / `hdl_cholesterol` as
/// `{"value", "unit": "mmol/L" | "mg/dL"}`, `waist_cm`, `bmi`, `smoker`, `diabetes`, `region`,
/// `urban`, `family_history_ascvd`, `family_history_diabetes`, `race`,
/// `physically_active_daily`, `vegetables_daily`, `bp_medication`, `high_glucose_history`).
/// The result has `value` (percent) or `score`, `category`, each input's `contributions`, the
/// `constants` used, what is `missing` (no value then) and `flags`; inputs outside the model's
/// validated range are a 422.
#[utoipa::path(post, path = "/api/v1/risk/{model}", tag = "risk", request_body = serde_json::Value, security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 422, body = ErrorBody)))]
pub async fn evaluate(
    ApiUser(_who): ApiUser,
    Path(model): Path<String>,
    ApiJson(input): ApiJson<RiskInput>,
) -> Result<Json<RiskResult>, ApiError> {
    Ok(Json(risk_models::evaluate(&model, &input)?))
}

/// Classify measurements (any of `sbp` + `dbp`, `bmi`, `waist_cm` + `sex`, `tc`, `ldl`, `hdl`,
/// `tg` in mmol/L, `fpg`, `ogtt_2h`): one category per item, with its source.
#[utoipa::path(post, path = "/api/v1/classify", tag = "risk", request_body = serde_json::Value, security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 422, body = ErrorBody)))]
pub async fn classify(
    ApiUser(_who): ApiUser,
    ApiJson(input): ApiJson<ClassifyInput>,
) -> Result<Json<Classification>, ApiError> {
    Ok(Json(risk_models::classify(&input)?))
}
