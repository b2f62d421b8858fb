//! The alert centre (预警中心): the department's alerts, the viewer's own first, severe before
//! mild, the least time left first; acknowledged (确认接手, stops the escalation) and closed with
//! an outcome from here or from the patient's page.

use super::{Chrome, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use careloop_service::followup::alerts::{self, BoardAlert};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct BoardQuery {
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    c: Chrome,
    status: String,
    statuses: [&'static str; 3],
    mine: Vec<BoardAlert>,
    others: Vec<BoardAlert>,
}

pub async fn board(State(s): State<AppState>, u: UiUser, Query(q): Query<BoardQuery>) -> Response {
    // Anything but a known state shows the open alerts.
    let status = ["acknowledged", "closed"]
        .into_iter()
        .find(|st| q.status.as_deref() == Some(*st))
        .unwrap_or("open");
    match alerts::board(&s.db, &u.who.actor, Some(status), OffsetDateTime::now_utc()).await {
        Ok(all) => {
            let (mine, others) = all.into_iter().partition(|a| a.mine);
            render(&AlertsPage {
                c: u.chrome(),
                status: status.into(),
                statuses: ["open", "acknowledged", "closed"],
                mine,
                others,
            })
        }
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct HandleForm {
    csrf: String,
    #[serde(default)]
    outcome: String,
    /// `patient` to go back to the patient's page; anything else goes back to the alert centre.
    #[serde(default)]
    back: String,
}

pub async fn acknowledge(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<HandleForm>,
) -> Response {
    handle(&s, &u, id, f, false).await
}

pub async fn close(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<HandleForm>) -> Response {
    handle(&s, &u, id, f, true).await
}

async fn handle(s: &AppState, u: &UiUser, id: Uuid, f: HandleForm, closing: bool) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let outcome = closing.then_some(f.outcome.as_str());
    match alerts::handle_alert(&s.db, &u.who.actor, id, outcome, OffsetDateTime::now_utc()).await {
        Ok(a) if f.back == "patient" => Redirect::to(&format!("/patients/{}#alerts", a.patient_id)).into_response(),
        Ok(_) => Redirect::to("/alerts").into_response(),
        Err(e) => u.fail(e),
    }
}
