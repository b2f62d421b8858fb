//! Follow-up figures (随访统计) as JSON and as CSV for Excel.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use careloop_service::admin::figures::{self, FigureQuery, FollowUpFigures};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// First day, YYYY-MM-DD between 1900 and 2100 (default 1 January this year).
    #[param(format = Date)]
    from: Option<String>,
    /// Last day, inclusive (default today); at most ten years after `from`.
    #[param(format = Date)]
    to: Option<String>,
    /// Admins: one department (default all). Others always get their own.
    department_id: Option<Uuid>,
    /// `csv` for a spreadsheet (UTF-8 with BOM, opens in Excel).
    #[param(pattern = "^csv$")]
    format: Option<String>,
    /// Also break the figures down: `department`, `protocol`, `staff` or `month`.
    #[param(pattern = "^(department|protocol|staff|month)$")]
    by: Option<String>,
}

/// Follow-up figures: coverage, completion, on time, contact success, lost to follow-up, and
/// the national standard's management and control rates.
#[utoipa::path(get, path = "/api/v1/stats/follow-up", tag = "follow-up", params(FiguresQuery), security(("bearer" = [])),
    responses((status = 200, content((FollowUpFigures = "application/json"), (String = "text/csv"))), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
