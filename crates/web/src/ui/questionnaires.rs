//! The questionnaire library (问卷库): every questionnaire's newest version, a preview exactly
//! as the patient sees it on their phone, and the FHIR JSON to download.

use super::{Chrome, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use careloop_domain::questionnaire::Questionnaire;
use careloop_domain::questionnaire::instrument::Instrument;
use careloop_service::ServiceError;
use careloop_service::questionnaires::responses as questionnaires;

/// One row of the library.
struct Row {
    id: String,
    version: i32,
    title: String,
    questions: usize,
    /// PHQ-9 / GAD-7 when recognised, else whether options carry scores.
    scoring: String,
}

#[derive(Template)]
#[template(path = "questionnaires.html")]
struct LibraryPage {
    c: Chrome,
    rows: Vec<Row>,
}

fn parsed(resource: &str) -> Result<Questionnaire, ServiceError> {
    let v = serde_json::from_str(resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    Questionnaire::from_value(v).map_err(|_| ServiceError::Internal("stored questionnaire"))
}

pub async fn list(State(s): State<AppState>, u: UiUser) -> Response {
    let loaded = async {
        let mut rows = Vec::new();
        for q in questionnaires::list(&s.db).await? {
            let row = questionnaires::get(&s.db, &q.id, Some(q.version)).await?;
            let parsed = parsed(&row.resource)?;
            let scoring = match Instrument::of(&parsed) {
                Some(Instrument::Phq9) => "PHQ-9".to_string(),
                Some(Instrument::Gad7) => "GAD-7".to_string(),
                None if parsed
                    .all_items()
                    .iter()
                    .any(|i| i.options.iter().any(|o| o.score.is_some())) =>
                {
                    "∑".to_string()
                }
                None => String::new(),
            };
            rows.push(Row {
                id: q.id,
                version: q.version,
                title: q.title,
                questions: parsed.all_items().iter().filter(|i| i.kind.answerable()).count(),
                scoring,
            });
        }
        Ok::<_, ServiceError>(rows)
    }
    .await;
    match loaded {
        Ok(rows) => render(&LibraryPage { c: u.chrome(), rows }),
        Err(e) => u.fail(e),
    }
}

/// The page as a patient would see it (a sample address; the form posts nowhere).
pub async fn preview(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Response {
    match questionnaires::get(&s.db, &id, None)
        .await
        .and_then(|r| parsed(&r.resource))
    {
        Ok(q) => crate::mobile::preview(&q),
        Err(e) => u.fail(e),
    }
}

pub async fn export(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Response {
    match questionnaires::get(&s.db, &id, None).await {
        Ok(row) => (
            [
                (header::CONTENT_TYPE, "application/fhir+json; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}-v{}.json\"", row.id, row.version),
                ),
            ],
            row.resource,
        )
            .into_response(),
        Err(e) => u.fail(e),
    }
}
