//! Observations under a patient: record one or a list, read them back by indicator.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser, parse_json};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::FieldError;
use careloop_domain::indicator::ObservationInput;
use careloop_service::patients::observations::{self, ObservationView};
use careloop_service::patients::trends::{self, IndicatorTrend};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

/// One observation as submitted.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationBody {
    /// Catalogue short code (`sbp`, `fpg`, ...) or LOINC code (`8480-6`).
    code: String,
    value: f64,
    /// Defaults to the indicator's canonical unit; convertible units are accepted (`mg/dL`).
    unit: Option<String>,
    /// RFC 3339 instant or a date (taken as 08:00 China time); defaults to now.
    effective_at: Option<String>,
    source: Option<String>,
}

fn effective_at(raw: Option<&str>, now: OffsetDateTime) -> Result<OffsetDateTime, FieldError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(now);
    };
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(t);
    }
    let d = careloop_domain::patient::parse_date(raw, "effective_at").map_err(|_| {
        FieldError::new(
            "effective_at",
            "datetime_invalid",
            "effective_at must be an RFC 3339 time or a date",
            "检测时间格式无效",
        )
    })?;
    Ok(OffsetDateTime::new_in_offset(
        d,
        Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT),
        careloop_domain::clock::CHINA,
    ))
}

impl ObservationBody {
    pub(crate) fn into_input(self, now: OffsetDateTime) -> Result<ObservationInput, FieldError> {
        Ok(ObservationInput {
            effective_at: effective_at(self.effective_at.as_deref(), now)?,
            code: self.code,
            value: self.value,
            unit: self.unit,
            source: self.source,
        })
    }
}

/// Record one observation (an object) or several (an array) in one transaction.
#[utoipa::path(post, path = "/api/v1/patients/{id}/observations", tag = "observations", request_body = Vec<ObservationBody>, security(("bearer" = [])),
    responses((status = 201, body = Vec<ObservationView>), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<Vec<ObservationView>>), ApiError> {
    let now = OffsetDateTime::now_utc();
    let bodies: Vec<ObservationBody> = match &body {
        serde_json::Value::Array(_) => parse_json(body.to_string().as_bytes())?,
        _ => vec![parse_json(body.to_string().as_bytes())?],
    };
    let batch = bodies.len() > 1;
    let mut entries = Vec::with_capacity(bodies.len());
    for (i, b) in bodies.into_iter().enumerate() {
        let input = b.into_input(now).map_err(|e| {
            if batch {
                let f = format!("[{i}].{}", e.field);
                e.at(f)
            } else {
                e
            }
        })?;
        entries.push((id, input));
    }
    let saved = observations::record_observations(&s.db, &who.actor, &entries, now).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Short or LOINC code of one indicator.
    code: Option<String>,
    /// How many values at most, newest first (default 1,000).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u64>,
}

/// A patient's observations, newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/observations", tag = "observations", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ObservationView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ObservationView>>, ApiError> {
    Ok(Json(
        observations::list_observations(
            &s.db,
            &who.actor,
            id,
            q.code.as_deref(),
            q.limit,
            OffsetDateTime::now_utc(),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// One indicator (short or LOINC code); every indicator with values when left out.
    code: Option<String>,
}

/// The patient's multi-year trends (历年指标趋势): per indicator, the series with flags against
/// the reference range, the least-squares slope per year, its direction, which way is worse
/// and the runs of three or more consecutive worsening values.
#[utoipa::path(get, path = "/api/v1/patients/{id}/trends", tag = "observations", params(TrendQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<IndicatorTrend>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trends(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<TrendQuery>,
) -> Result<Json<Vec<IndicatorTrend>>, ApiError> {
    Ok(Json(
        trends::of_patient(&s.db, &who.actor, id, q.code.as_deref(), OffsetDateTime::now_utc()).await?,
    ))
}
