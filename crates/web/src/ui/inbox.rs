//! The reply inbox (回复收件箱): what patients sent back, urgent first, with what the analysis
//! found and the alert it raised; a nurse marks each one handled.

use super::{UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use careloop_service::outreach::inbox::{self, InboxItem};
use careloop_service::outreach::thread::{self, Thread};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct InboxQuery {
    handled: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: super::Chrome,
    handled: bool,
    items: Vec<InboxItem>,
}

impl InboxPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        crate::ui::followup::local(at)
    }

    /// The chips of what was found: symptoms and emotions (重度 where severe), then values.
    fn found(&self, item: &InboxItem) -> Vec<(String, bool)> {
        let Some(a) = &item.analysis else {
            return Vec::new();
        };
        let english = self.c.t.lang == super::i18n::Lang::En;
        let mut out: Vec<(String, bool)> = a
            .symptoms
            .iter()
            .chain(&a.emotions)
            .map(|f| {
                let name = if english { f.en.clone() } else { f.zh.clone() };
                let name = match (f.severity.as_str(), english) {
                    ("severe", false) => format!("{name}（重度）"),
                    ("severe", true) => format!("{name} (severe)"),
                    _ => name,
                };
                (name, f.urgent)
            })
            .collect();
        out.extend(a.readings.iter().map(|r| {
            let text = if english { reading_en(r) } else { r.describe() };
            (text, r.critical.is_some())
        }));
        out
    }
}

/// systolic 190 mmHg (critical ≥180 mmHg), for the English page.
fn reading_en(r: &careloop_service::questionnaires::free_text::ReadingView) -> String {
    let value = if r.low == r.high {
        format!("{}", r.low)
    } else {
        format!("{}–{}", r.low, r.high)
    };
    match &r.critical {
        Some(limit) => format!("{} {value} {} (critical {limit} {})", r.quantity, r.unit, r.unit),
        None => format!("{} {value} {}", r.quantity, r.unit),
    }
}

pub async fn page(State(s): State<AppState>, u: UiUser, Query(q): Query<InboxQuery>) -> Response {
    let handled = q.handled.as_deref() == Some("1");
    match inbox::list(&s.db, &u.who.actor, handled, OffsetDateTime::now_utc()).await {
        Ok(items) => render(&InboxPage {
            c: u.chrome(),
            handled,
            items,
        }),
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct HandledForm {
    csrf: String,
}

pub async fn mark_handled(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<HandledForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    match inbox::mark_handled(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(e) => u.fail(e),
    }
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    c: super::Chrome,
    t: Thread,
}

impl ThreadPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        crate::ui::followup::local(at)
    }
}

/// 消息会话: one patient's messages both ways.
pub async fn patient_thread(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    match thread::thread(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(t) => render(&ThreadPage { c: u.chrome(), t }),
        Err(e) => u.fail(e),
    }
}
