//! Follow-up pages: the call sheet (随访登记) a nurse opens from the worklist, the figures page
//! (随访统计) with its Excel export, and the outbox of automated messages.

use super::i18n::Lang;
use super::{Chrome, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use careloop_domain::clock::CHINA;
use careloop_domain::followup::answers::{self, Question};
use careloop_domain::indicator::ObservationInput;
use careloop_service::ServiceError;
use careloop_service::admin::figures::{self, Figure, FigureQuery, FollowUpFigures};
use careloop_service::admin::targets::{self, TargetView};
use careloop_service::followup::call_sheet::{CallSheet, FormField, call_sheet};
use careloop_service::followup::visits::{self, CONTACT_RESULTS, RecordInput};
use careloop_service::outreach::delivery::{self, OutboxView};
use careloop_service::questionnaires::response_rates::{self, RateRow, ResponseRates};
use careloop_service::questionnaires::satisfaction::{self, SatisfactionFigures};
use serde::Deserialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// China time, to the minute.
pub(crate) fn local(at: &OffsetDateTime) -> String {
    let t = at.to_offset(CHINA);
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}

pub enum FieldView {
    Number {
        code: String,
        label: &'static str,
        unit: &'static str,
    },
    Flag {
        name: String,
    },
    Choice {
        name: String,
        options: &'static [&'static str],
    },
    /// Findings ticked together (伤口: 红肿、渗液 …).
    Findings {
        name: String,
        options: &'static [&'static str],
    },
    /// A whole-number scale from 0 (疼痛 0–10).
    Scale {
        name: String,
        points: Vec<String>,
    },
    /// A number with its unit and the range a person can have (体温 ℃).
    Measure {
        name: String,
        unit: &'static str,
        min: f64,
        max: f64,
    },
    Text {
        name: String,
    },
}

impl FieldView {
    fn of_answer(name: &str, q: Question) -> FieldView {
        let name = name.to_string();
        match q {
            Question::Choice(options) => FieldView::Choice { name, options },
            Question::Findings(options) => FieldView::Findings { name, options },
            Question::Scale(end) => FieldView::Scale {
                name,
                points: (0..=end).map(|v| v.to_string()).collect(),
            },
            Question::Number { unit, min, max } => FieldView::Measure { name, unit, min, max },
            Question::Text => FieldView::Text { name },
        }
    }
}

#[derive(Template)]
#[template(path = "call_sheet.html")]
struct CallSheetPage {
    c: Chrome,
    s: CallSheet,
    due_date: time::Date,
    fields: Vec<FieldView>,
    results: [&'static str; 8],
    open: bool,
    error: Option<String>,
    /// What the nurse submitted, when the sheet comes back with an error: nothing typed is lost.
    prior: HashMap<String, String>,
}

impl CallSheetPage {
    /// A submitted field's value ("" when none).
    fn prior(&self, name: &str) -> &str {
        self.prior.get(name).map_or("", String::as_str)
    }

    fn prior_obs(&self, code: &str) -> &str {
        self.prior(&format!("obs_{code}"))
    }

    fn prior_ans(&self, name: &str) -> &str {
        self.prior(&format!("ans_{name}"))
    }

    /// Whether an option of a choice question was picked when the sheet was submitted.
    fn answered(&self, name: &str, option: &str) -> bool {
        self.prior_ans(name) == option
    }

    /// Whether a finding was ticked when the sheet was submitted.
    fn found(&self, name: &str, option: &str) -> bool {
        self.prior_ans(name).split(answers::JOIN).any(|o| o == option)
    }

    /// Whether a radio or checkbox was ticked when the sheet was submitted.
    fn ticked(&self, name: &str, value: &str) -> bool {
        self.prior(name) == value
    }

    fn local(&self, at: &OffsetDateTime) -> String {
        local(at)
    }
}

async fn sheet_page(
    s: &AppState,
    u: &UiUser,
    id: Uuid,
    error: Option<String>,
    prior: HashMap<String, String>,
) -> Response {
    match call_sheet(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(sheet) => {
            let fields = sheet
                .fields
                .iter()
                .map(|f| match f {
                    FormField::Indicator { code, name_zh, unit } => FieldView::Number {
                        code: code.clone(),
                        label: if u.lang == Lang::Zh { name_zh } else { code_name(code) },
                        unit,
                    },
                    FormField::Flag(n) => FieldView::Flag { name: n.clone() },
                    FormField::Answer { name, question } => FieldView::of_answer(name, *question),
                })
                .collect();
            let state = sheet.task.task.state.as_str();
            render(&CallSheetPage {
                c: u.chrome(),
                due_date: sheet.task.task.due_at.to_offset(CHINA).date(),
                open: !matches!(state, "done" | "cancelled"),
                s: sheet,
                fields,
                results: CONTACT_RESULTS.map(|r| r.as_str()),
                error,
                prior,
            })
        }
        Err(e) => u.fail(e),
    }
}

fn code_name(code: &str) -> &'static str {
    careloop_domain::indicator::lookup(code).map_or("", |i| i.name_en)
}

pub async fn show(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    sheet_page(&s, &u, id, None, HashMap::new()).await
}

#[derive(Deserialize)]
pub struct ResendForm {
    csrf: String,
}

/// Send an automated step again: the task moves to today, and the scheduler's next pass sends
/// it (quiet hours respected); the change is in the task's log as 改期 with its reason.
pub async fn resend(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<ResendForm>) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let change = careloop_service::followup::plans::TaskChange::Reschedule {
        due_date: careloop_domain::clock::local_today(now).to_string(),
    };
    match careloop_service::followup::plans::change_task(&s.db, &u.who.actor, id, change, "重新发送", now).await {
        Ok(_) => Redirect::to(&format!("/tasks/{id}")).into_response(),
        Err(e) => u.fail(e),
    }
}

/// Sign the record from the call sheet's form. Field names: `contact_result`, `obs_<code>`
/// (numbers), `ans_<name>` (short answers), the flags, `note`, `csrf`.
pub async fn sign(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    // Findings ticked together arrive as one name many times: kept as one answer.
    let mut f: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        match f.get_mut(&k) {
            Some(prior) if k.starts_with("ans_") && !v.trim().is_empty() => {
                prior.push_str(answers::JOIN);
                prior.push_str(v.trim());
            }
            Some(_) => {}
            None => {
                f.insert(k, v);
            }
        }
    }
    if let Err(r) = u.check_csrf(f.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let mut observations = Vec::new();
    let mut answers = serde_json::Map::new();
    let mut keys: Vec<&String> = f.keys().collect();
    keys.sort();
    for k in keys {
        let v = f[k].trim();
        if v.is_empty() {
            continue;
        }
        if let Some(code) = k.strip_prefix("obs_") {
            let Ok(value) = v.parse::<f64>() else {
                let name = careloop_domain::indicator::lookup(code).map_or(code, |i| i.name_zh);
                let msg = match u.lang {
                    Lang::Zh => format!("{name}应为数字"),
                    Lang::En => format!("{code} must be a number"),
                };
                let mut page = sheet_page(&s, &u, id, Some(msg), f.clone()).await;
                *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                return page;
            };
            // Values on an unreached call are refused by the service with a message, as the
            // API refuses them, and the sheet comes back with everything typed.
            observations.push(ObservationInput {
                code: code.to_string(),
                value,
                unit: None,
                effective_at: now,
                source: Some("followup".into()),
            });
        } else if let Some(name) = k.strip_prefix("ans_") {
            answers.insert(name.to_string(), serde_json::Value::String(v.to_string()));
        }
    }
    let flag = |name: &str| f.get(name).is_some_and(|v| v == "1");
    let input = RecordInput {
        contact_result: f.get("contact_result").cloned().unwrap_or_default(),
        observations,
        answers: (!answers.is_empty()).then_some(serde_json::Value::Object(answers)),
        adverse_drug_reaction: flag("adverse_drug_reaction"),
        new_complication: flag("new_complication"),
        emergency_symptom: flag("emergency_symptom"),
        note: f.get("note").cloned(),
    };
    match visits::record_follow_up(&s.db, &u.who.actor, id, input, now).await {
        Ok(_) => Redirect::to(&format!("/tasks/{id}")).into_response(),
        Err(ServiceError::Invalid(e)) => {
            let msg = if u.lang == Lang::Zh { e.message_zh } else { e.message };
            let mut page = sheet_page(&s, &u, id, Some(msg), f).await;
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            page
        }
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct FiguresForm {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    c: Chrome,
    f: FollowUpFigures,
    rows: Vec<(&'static str, &'static str, Figure)>,
    zh_ui: bool,
    /// The breakdown asked for ("" for none), to keep the select and the CSV link in step.
    by: String,
    /// The select's options: value, label, chosen.
    by_options: Vec<(&'static str, &'static str, bool)>,
    rates: ResponseRates,
    /// How messages reach patients: receipts, replies, time to reply.
    reach: careloop_service::outreach::reach::ReachFigures,
    /// Each figure month by month: its name and small chart (server-side SVG).
    charts: Vec<(&'static str, String)>,
}

impl FiguresPage {
    /// The reach tables: by channel, then by hour sent (whose keys are hours).
    fn reach_tables(&self) -> [(&'static str, &[careloop_domain::followup::reach::ReachRow], bool); 2] {
        [
            (self.c.t.by_channel, &self.reach.reach.by_channel, false),
            (self.c.t.by_hour, &self.reach.reach.by_hour, true),
        ]
    }

    fn share(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0))
    }

    fn rate(&self, r: &RateRow) -> String {
        match r.rate {
            Some(x) => format!("{:.1}%", x * 100.0),
            None => "—".into(),
        }
    }

    /// A channel in words: links staff made, or the message channel.
    fn channel<'a>(&self, key: &'a str) -> &'a str {
        self.c.t.channel_label(key)
    }

    fn pct(&self, f: &Figure) -> String {
        match f.percent {
            Some(p) => format!("{p}% ({}/{})", f.numerator, f.denominator),
            None => "—".into(),
        }
    }

    /// The width of a figure's bar, in percent of its cell (0 without a denominator).
    fn bar(&self, f: &Figure) -> String {
        format!("{:.1}", f.percent.unwrap_or(0.0).clamp(0.0, 100.0))
    }
}

/// The small chart of each figure over the months of the period, with the organisation's
/// target where it set one.
fn monthly_charts(
    monthly: &FollowUpFigures,
    satisfaction: &SatisfactionFigures,
    t: &'static super::i18n::Tr,
    targets: &[TargetView],
) -> Vec<(&'static str, String)> {
    let zh = t.lang == Lang::Zh;
    let chart_target = |i: usize| {
        targets.get(i).and_then(|v| {
            v.percent.map(|percent| super::chart::ChartTarget {
                percent,
                lower_is_better: v.lower_is_better,
                word: t.target_word,
            })
        })
    };
    let values: Vec<(String, [Option<Figure>; 8])> = monthly
        .breakdown
        .iter()
        .flat_map(|b| &b.rows)
        .map(|r| (r.key.clone().unwrap_or_default(), figures::breakdown_values(r)))
        .collect();
    let mut charts: Vec<(&'static str, String)> = figures::BREAKDOWN_FIGURES
        .iter()
        .enumerate()
        .filter_map(|(i, (name_zh, name_en))| {
            let name = if zh { *name_zh } else { *name_en };
            let months: Vec<(String, Option<Figure>)> = values.iter().map(|(m, v)| (m.clone(), v[i])).collect();
            // The figures are in the targets' order (a test in this module keeps them so).
            super::chart::monthly_figure(name, &months, chart_target(i).as_ref()).map(|svg| (name, svg))
        })
        .collect();
    // Satisfaction, where it was collected, on the same months (and any month it alone has).
    let keys: std::collections::BTreeSet<&String> = values
        .iter()
        .map(|(m, _)| m)
        .chain(satisfaction.by_month.iter().map(|s| &s.month))
        .collect();
    let months: Vec<(String, Option<Figure>)> = keys
        .into_iter()
        .map(|m| {
            let figure = satisfaction.by_month.iter().find(|s| &s.month == m).map(|s| s.figure);
            (m.clone(), figure)
        })
        .collect();
    let name = t.satisfaction_chart;
    let target = chart_target(figures::BREAKDOWN_FIGURES.len());
    charts.extend(super::chart::monthly_figure(name, &months, target.as_ref()).map(|svg| (name, svg)));
    charts
}

async fn load_figures(s: &AppState, u: &UiUser, q: FiguresForm) -> Result<FollowUpFigures, ServiceError> {
    let query = FigureQuery {
        from: q.from,
        to: q.to,
        department_id: None,
        by: q.by,
    };
    figures::follow_up_figures(&s.db, &u.who.actor, &query, OffsetDateTime::now_utc()).await
}

pub async fn stats(State(s): State<AppState>, u: UiUser, Query(q): Query<FiguresForm>) -> Response {
    let rates_query = FigureQuery {
        from: q.from.clone(),
        to: q.to.clone(),
        department_id: None,
        by: None,
    };
    let by_month = FiguresForm {
        from: q.from.clone(),
        to: q.to.clone(),
        by: Some("month".into()),
    };
    let loaded = async {
        let f = load_figures(&s, &u, q).await?;
        // The charts are by month whatever the table is split by.
        let monthly = match f.breakdown.as_ref().map(|b| b.by.as_str()) {
            Some("month") => f.clone(),
            _ => load_figures(&s, &u, by_month).await?,
        };
        let rates =
            response_rates::response_rates(&s.db, &u.who.actor, &rates_query, OffsetDateTime::now_utc()).await?;
        let organisation = targets::organisation_of(&s.db, &u.who.actor).await?;
        let targets = targets::of_organisation(&s.db, organisation).await?;
        let satisfaction =
            satisfaction::satisfaction(&s.db, &u.who.actor, &rates_query, OffsetDateTime::now_utc()).await?;
        let reach =
            careloop_service::outreach::reach::reach(&s.db, &u.who.actor, &rates_query, OffsetDateTime::now_utc())
                .await?;
        Ok::<_, ServiceError>((f, monthly, rates, targets, satisfaction, reach))
    }
    .await;
    match loaded {
        Ok((f, monthly, rates, targets, satisfaction, reach)) => render(&FiguresPage {
            charts: monthly_charts(&monthly, &satisfaction, u.t(), &targets),
            rates,
            reach,
            c: u.chrome(),
            rows: figures::rows(&f),
            zh_ui: u.lang == Lang::Zh,
            by_options: {
                let t = u.lang.tr();
                let by = f.breakdown.as_ref().map_or("", |b| b.by.as_str());
                [
                    ("", t.by_none),
                    ("department", t.by_department),
                    ("protocol", t.by_protocol),
                    ("staff", t.by_staff),
                    ("month", t.by_month),
                ]
                .map(|(v, l)| (v, l, v == by))
                .to_vec()
            },
            by: f.breakdown.as_ref().map(|b| b.by.clone()).unwrap_or_default(),
            f,
        }),
        Err(e) => u.fail(e),
    }
}

pub async fn stats_csv(State(s): State<AppState>, u: UiUser, Query(q): Query<FiguresForm>) -> Response {
    match load_figures(&s, &u, q).await {
        Ok(f) => crate::api::figures_csv(&f),
        Err(e) => u.fail(e),
    }
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    c: Chrome,
    messages: Vec<OutboxView>,
}

impl OutboxPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        local(at)
    }
}

#[derive(Deserialize)]
pub struct OutboxForm {
    patient_id: Option<Uuid>,
}

pub async fn outbox(State(s): State<AppState>, u: UiUser, Query(q): Query<OutboxForm>) -> Response {
    match delivery::list_outbox(&s.db, &u.who.actor, q.patient_id, OffsetDateTime::now_utc()).await {
        Ok(messages) => render(&OutboxPage {
            c: u.chrome(),
            messages,
        }),
        Err(e) => u.fail(e),
    }
}

#[cfg(test)]
mod tests {
    /// The charts take each figure's target by its place: the figures and the targets must be
    /// in the same order.
    #[test]
    fn the_charted_figures_are_in_the_targets_order() {
        let names: Vec<&str> = careloop_service::admin::figures::BREAKDOWN_FIGURES
            .iter()
            .map(|(_, en)| *en)
            .collect();
        let codes: Vec<&str> = careloop_domain::targets::FIGURES.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            names,
            [
                "Completion",
                "On time",
                "Contact success",
                "Lost to follow-up",
                "Hypertension standard management",
                "Hypertension control",
                "Diabetes standard management",
                "Diabetes control"
            ]
        );
        assert_eq!(
            codes,
            [
                "completion",
                "on_time",
                "contact_success",
                "lost_to_follow_up",
                "hypertension_standard_management",
                "hypertension_control",
                "diabetes_standard_management",
                "diabetes_control",
                "satisfaction"
            ]
        );
    }
}
