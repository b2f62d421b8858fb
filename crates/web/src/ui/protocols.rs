//! Protocol pages (随访方案): the list, one protocol's steps and outcome rules, its JSON
//! export, and the rule dry run (规则试运行) for admins before they import a change.

use super::i18n::Lang;
use super::{Chrome, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use careloop_domain::followup::protocol::{AssigneeRule, Protocol, Trigger};
use careloop_service::ServiceError;
use careloop_service::followup::enrolment::list_protocols;
use careloop_service::followup::protocols::export_protocol;
use careloop_service::followup::rules::{DryRun, dry_run};
use careloop_service::kernel::protocols::read_stored;
use serde::Deserialize;
use time::OffsetDateTime;

/// How a trigger reads on the page.
fn trigger_text(t: &Trigger, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match t {
        Trigger::Manual => if zh { "手动入组" } else { "manual enrolment" }.into(),
        Trigger::Diagnosis { icd10_prefixes } => {
            format!(
                "{} {}",
                if zh { "诊断" } else { "diagnosis" },
                icd10_prefixes.join(" / ")
            )
        }
        Trigger::Tag { tag } => format!("{} {tag}", if zh { "标签" } else { "tag" }),
        Trigger::Discharge => if zh { "出院" } else { "discharge" }.into(),
        Trigger::AbnormalIndicator { code } => {
            format!("{} {code}", if zh { "指标异常" } else { "abnormal indicator" })
        }
        Trigger::RiskTierAssessed => if zh {
            "评定风险分层后"
        } else {
            "risk tier assessed"
        }
        .into(),
    }
}

/// An ISO 8601 duration of a protocol (`P3M`, `P14D`, `P2W`, `P1Y`, `PT2H`) in words: 3个月,
/// 14天 … or "3 months"; anything else as written.
fn duration_text(iso: &str, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let (number, unit) = match iso.strip_prefix("PT") {
        Some(rest) => (rest.trim_end_matches('H'), if rest.ends_with('H') { "H" } else { "" }),
        None => {
            let rest = iso.strip_prefix('P').unwrap_or("");
            (
                &rest[..rest.len().saturating_sub(1)],
                rest.get(rest.len().saturating_sub(1)..).unwrap_or(""),
            )
        }
    };
    let Ok(n) = number.parse::<u32>() else {
        return iso.to_string();
    };
    let (zh_unit, en_unit) = match unit {
        "Y" => ("年", "year"),
        "M" => ("个月", "month"),
        "W" => ("周", "week"),
        "D" => ("天", "day"),
        "H" => ("小时", "hour"),
        _ => return iso.to_string(),
    };
    if zh {
        format!("{n}{zh_unit}")
    } else {
        format!("{n} {en_unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// What a protocol is and on what authority: its Chinese description on a Chinese page.
fn description(p: &Protocol, lang: Lang) -> &str {
    match (&p.description_zh, lang) {
        (Some(d), Lang::Zh) => d,
        _ => &p.source,
    }
}

fn assignee_text(a: &AssigneeRule, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match a {
        AssigneeRule::ResponsibleNurse => if zh { "责任护士" } else { "responsible nurse" }.into(),
        AssigneeRule::ResponsibleDoctor => if zh { "责任医生" } else { "responsible doctor" }.into(),
        AssigneeRule::RoundRobin { role } => {
            format!("{} {}", if zh { "轮流分配" } else { "round robin" }, role.as_str())
        }
    }
}

#[derive(Template)]
#[template(path = "protocols.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<(Protocol, String)>,
}

impl ListPage {
    fn description<'a>(&self, p: &'a Protocol) -> &'a str {
        description(p, self.c.t.lang)
    }
}

pub async fn list(State(s): State<AppState>, u: UiUser) -> Response {
    let docs = match list_protocols(&s.db).await {
        Ok(d) => d,
        Err(e) => return u.fail(e),
    };
    let mut rows = Vec::new();
    for d in docs {
        match read_stored(d) {
            Ok(p) => {
                let trigger = trigger_text(&p.trigger, u.lang);
                rows.push((p, trigger));
            }
            Err(e) => return u.fail(e),
        }
    }
    render(&ListPage { c: u.chrome(), rows })
}

#[derive(Template)]
#[template(path = "protocol.html")]
struct DetailPage {
    c: Chrome,
    p: Protocol,
    trigger: String,
    assignees: Vec<String>,
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

pub async fn show(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Response {
    match export_protocol(&s.db, &id, q.version).await.and_then(read_stored) {
        Ok(p) => render(&DetailPage {
            c: u.chrome(),
            trigger: trigger_text(&p.trigger, u.lang),
            assignees: p.steps.iter().map(|st| assignee_text(&st.assignee, u.lang)).collect(),
            p,
        }),
        Err(e) => u.fail(e),
    }
}

/// The document as a file, ready to edit and import again.
pub async fn export(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Response {
    match export_protocol(&s.db, &id, q.version).await {
        Ok(doc) => {
            let version = doc["version"].as_u64().unwrap_or(0);
            let body = serde_json::to_string_pretty(&doc).unwrap_or_default();
            (
                [
                    (header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{id}-v{version}.json\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => u.fail(e),
    }
}

#[derive(Template)]
#[template(path = "dry_run.html")]
struct DryRunPage {
    c: Chrome,
    id: String,
    document: String,
    from: String,
    to: String,
    error: Option<String>,
    run: Option<DryRun>,
}

impl DryRunPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        super::followup::local(at)
    }

    /// The protocol's Chinese name as the document being tried gives it (its id otherwise).
    fn name(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.document)
            .ok()
            .and_then(|d| d["name_zh"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.id.clone())
    }
}

pub async fn dry_run_form(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Response {
    if !u.who.actor.is_admin() {
        return u.fail(ServiceError::Forbidden);
    }
    match export_protocol(&s.db, &id, None).await {
        Ok(doc) => render(&DryRunPage {
            c: u.chrome(),
            id,
            document: serde_json::to_string_pretty(&doc).unwrap_or_default(),
            from: String::new(),
            to: String::new(),
            error: None,
            run: None,
        }),
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct DryRunForm {
    csrf: String,
    document: String,
    from: Option<String>,
    to: Option<String>,
}

pub async fn dry_run_submit(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Form(f): Form<DryRunForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let out = dry_run(
        &s.db,
        &u.who.actor,
        &f.document,
        f.from.as_deref(),
        f.to.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await;
    let (run, error) = match out {
        Ok(run) => (Some(run), None),
        Err(ServiceError::Invalid(e)) => {
            let msg = if u.lang == Lang::Zh { e.message_zh } else { e.message };
            (None, Some(format!("{}: {msg}", e.field)))
        }
        Err(e) => return u.fail(e),
    };
    render(&DryRunPage {
        c: u.chrome(),
        id,
        document: f.document,
        from: f.from.unwrap_or_default(),
        to: f.to.unwrap_or_default(),
        error,
        run,
    })
}

impl DetailPage {
    fn description(&self) -> &str {
        description(&self.p, self.c.t.lang)
    }

    fn duration(&self, iso: &str) -> String {
        duration_text(iso, self.c.t.lang)
    }

    /// The stored code of a method, for its label.
    fn method_code(&self, m: &careloop_domain::followup::protocol::Method) -> &'static str {
        m.as_str()
    }

    fn severity(&self, s: &careloop_domain::followup::rules::Severity) -> &'static str {
        use careloop_domain::followup::rules::Severity;
        match (s, self.c.t.html_lang) {
            (Severity::Severe, "zh-CN") => "严重",
            (Severity::Mild, "zh-CN") => "一般",
            (Severity::Severe, _) => "severe",
            (Severity::Mild, _) => "mild",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_durations_read_as_words() {
        assert_eq!(duration_text("P3M", Lang::Zh), "3个月");
        assert_eq!(duration_text("P14D", Lang::Zh), "14天");
        assert_eq!(duration_text("PT2H", Lang::Zh), "2小时");
        assert_eq!(duration_text("P1D", Lang::En), "1 day");
        assert_eq!(duration_text("P2W", Lang::En), "2 weeks");
        assert_eq!(
            duration_text("P1Y2M", Lang::Zh),
            "P1Y2M",
            "a compound duration stays as written"
        );
        assert_eq!(duration_text("", Lang::Zh), "");
    }
}
