//! The printable health report (打印健康报告) for a chosen period, from the patient page: an
//! A4 page laid out for print (`static/report.css`), charts drawn server-side.

use super::UiUser;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use careloop_domain::advice::Matched;
use careloop_domain::patient::parse_date;
use careloop_service::patients::report::{HealthReport, default_period, health_report};
use careloop_service::patients::trends::IndicatorTrend;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/report.css"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: super::Chrome,
    r: HealthReport,
    charts: Vec<(IndicatorTrend, Option<String>)>,
    advice: Vec<(Matched, String)>,
}

impl ReportPage {
    fn latest(&self, t: &IndicatorTrend) -> String {
        t.trend
            .points
            .last()
            .map(|p| format!("{} {}", p.value, t.unit))
            .unwrap_or_default()
    }

    fn latest_flag(&self, t: &IndicatorTrend) -> &'static str {
        match t.trend.points.last().map(|p| p.flag) {
            Some("high") => "偏高",
            Some("low") => "偏低",
            _ => "",
        }
    }

    fn course_min_points(&self) -> usize {
        careloop_domain::trend::COURSE_MIN_POINTS
    }

    fn course_min_days(&self) -> i64 {
        careloop_domain::trend::COURSE_MIN_DAYS
    }

    /// The course in clinical words (持续偏高 …), not a slope: the report is the patient's.
    fn course(&self, t: &IndicatorTrend) -> String {
        t.trend.course.zh()
    }
}

pub async fn show(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Query(q): Query<Period>) -> Response {
    let now = OffsetDateTime::now_utc();
    let (default_from, default_to) = default_period(now);
    let from = match q
        .from
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| parse_date(v, "from"))
    {
        Some(Ok(d)) => d,
        Some(Err(e)) => return u.fail(e.into()),
        None => default_from,
    };
    let to = match q.to.as_deref().filter(|v| !v.is_empty()).map(|v| parse_date(v, "to")) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return u.fail(e.into()),
        None => default_to,
    };
    match health_report(&s.db, &u.who.actor, id, from, to, now).await {
        Ok(r) => {
            let charts = r
                .indicators
                .iter()
                .map(|t| (t.clone(), super::chart::indicator_trend(t)))
                .collect();
            let advice = r
                .advice
                .iter()
                .map(|m| (m.clone(), super::markdown::to_html(&m.article.body)))
                .collect();
            let page = ReportPage {
                c: u.chrome(),
                r,
                charts,
                advice,
            };
            let mut res = super::render(&page);
            *res.status_mut() = StatusCode::OK;
            res
        }
        Err(e) => u.fail(e),
    }
}
