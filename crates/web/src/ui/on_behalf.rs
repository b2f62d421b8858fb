//! A questionnaire task filled in on the patient's behalf (代患者填写): from the call sheet of a
//! questionnaire task the nurse who reached the patient by phone opens the questions, enters the
//! answers and submits them; a missing or wrong answer is shown under its question with every
//! other answer kept; once stored, the call sheet shows what the answers set off.

use super::{Chrome, UiUser, render};
use crate::AppState;
use crate::mobile::{Field, fields};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_service::ServiceError;
use careloop_service::questionnaires::on_behalf::{self, TaskQuestionnaire};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "fill_questionnaire.html")]
struct FillPage {
    c: Chrome,
    task_id: Uuid,
    patient_id: Uuid,
    patient_name: String,
    title: String,
    fields: Vec<Field>,
    has_errors: bool,
}

fn fill_page(
    u: &UiUser,
    task: &TaskQuestionnaire,
    given: &[(String, String)],
    errors: HashMap<String, String>,
) -> Response {
    let has_errors = !errors.is_empty();
    let mut res = render(&FillPage {
        c: u.chrome(),
        task_id: task.task_id,
        patient_id: task.patient_id,
        patient_name: task.patient_name.clone(),
        title: task.questionnaire.title.clone(),
        fields: fields(&task.questionnaire, given, &errors),
        has_errors,
    });
    if has_errors {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

pub async fn form(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    match on_behalf::form(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(task) => fill_page(&u, &task, &[], HashMap::new()),
        Err(e) => u.fail(e),
    }
}

/// Store the answers; the form again with each problem under its question when refused.
pub async fn submit(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = posted
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Err(r) = u.check_csrf(csrf) {
        return r;
    }
    let answers: Vec<(String, String)> = posted.into_iter().filter(|(k, _)| k != "csrf").collect();
    let now = OffsetDateTime::now_utc();
    match on_behalf::fill(&s.db, &u.who.actor, id, &answers, now).await {
        Ok(_) => Redirect::to(&format!("/tasks/{id}#call-result")).into_response(),
        Err(ServiceError::InvalidItems(problems)) => {
            let zh = u.lang == super::Lang::Zh;
            let errors = problems
                .into_iter()
                .map(|p| (p.link_id, if zh { p.message_zh } else { p.message }))
                .collect();
            match on_behalf::form(&s.db, &u.who.actor, id, now).await {
                Ok(task) => fill_page(&u, &task, &answers, errors),
                Err(e) => u.fail(e),
            }
        }
        Err(e) => u.fail(e),
    }
}
