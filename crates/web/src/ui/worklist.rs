//! The worklist (今日工作): the first page a nurse sees — due calls, overdue ones with a red
//! "超期 N 天" tag, the next seven days, and what is done.

use super::{Chrome, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use careloop_service::followup::{self, Worklist, WorklistTab};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Deserialize)]
pub struct WorklistQuery {
    tab: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPage {
    c: Chrome,
    w: Worklist,
}

impl WorklistPage {
    fn tab_label(&self, tab: &WorklistTab) -> &'static str {
        let t = self.c.t;
        match tab {
            WorklistTab::Due => t.tab_due,
            WorklistTab::Overdue => t.tab_overdue,
            WorklistTab::Upcoming => t.tab_upcoming,
            WorklistTab::Done => t.tab_done,
        }
    }
}

pub async fn show(State(s): State<AppState>, u: UiUser, Query(q): Query<WorklistQuery>) -> Response {
    let tab = WorklistTab::parse(q.tab.as_deref());
    match followup::worklist(&s.db, &u.who.actor, tab, q.page, OffsetDateTime::now_utc()).await {
        Ok(w) => render(&WorklistPage { c: u.chrome(), w }),
        Err(e) => u.fail(e),
    }
}
