//! The patient's mobile pages (患者端 H5), opened from a link sent by SMS or WeChat: a
//! questionnaire on one page or one question per screen (逐题作答, with progress and a back
//! button), in large type with switches for larger type (大字) and high contrast (高对比度),
//! plain HTML forms that need no script, the result band with advice in plain Chinese after
//! submission. The display choices travel in the query string, so every page keeps them.
//! The link's token is the only credential; it opens one patient's one questionnaire until it
//! expires or is used.

use crate::AppState;
use crate::extract::ClientAddr;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use careloop_domain::questionnaire::form::{option_field, shown_items};
use careloop_domain::questionnaire::instrument::Instrument;
use careloop_domain::questionnaire::{ItemType, Questionnaire};
use careloop_service::ServiceError;
use careloop_service::questionnaires::links::{self as patient_links, MyHealth, OpenLink};
use careloop_service::questionnaires::responses::ResponseOutcome;
use serde::Deserialize;
use std::collections::HashMap;
use time::OffsetDateTime;

/// No script, no frames, nothing from elsewhere.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{token}", get(show).post(submit))
        .route("/static/h5.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/h5.css"),
    )
        .into_response()
}

fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = (status, axum::response::Html(html)).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            // A link carries a credential: keep it out of caches and referrers.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct Display {
    /// `1`: the larger type (大字模式).
    big: Option<String>,
    /// `1`: high contrast (高对比度: light text on black, thick outlines).
    hc: Option<String>,
    /// `step`: one question per screen.
    mode: Option<String>,
}

/// How the patient chose to see the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub big: bool,
    pub contrast: bool,
    pub step: bool,
}

impl View {
    fn of(d: &Display) -> View {
        View {
            big: d.big.as_deref() == Some("1"),
            contrast: d.hc.as_deref() == Some("1"),
            step: d.mode.as_deref() == Some("step"),
        }
    }

    /// The query string that keeps these choices (empty for the defaults).
    pub fn query(self) -> String {
        let parts: Vec<&str> = [(self.big, "big=1"), (self.contrast, "hc=1"), (self.step, "mode=step")]
            .into_iter()
            .filter_map(|(on, p)| on.then_some(p))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    pub fn body_class(self) -> &'static str {
        match (self.big, self.contrast) {
            (true, true) => "big hc",
            (true, false) => "big",
            (false, true) => "hc",
            (false, false) => "",
        }
    }
}

/// The switches at the top of a questionnaire page: (href, label).
fn switches(token: &str, v: View) -> Vec<(String, &'static str)> {
    let href = |w: View| format!("/m/{token}{}", w.query());
    vec![
        (
            href(View { big: !v.big, ..v }),
            if v.big { "标准字体" } else { "大字模式" },
        ),
        (
            href(View {
                contrast: !v.contrast,
                ..v
            }),
            if v.contrast { "标准颜色" } else { "高对比度" },
        ),
        (
            href(View { step: !v.step, ..v }),
            if v.step { "整页作答" } else { "逐题作答" },
        ),
    ]
}

/// Where a one-question-per-screen page stands.
struct Step {
    /// 1-based place of this question among those the answers so far show.
    place: usize,
    total: usize,
    first: bool,
    last: bool,
    /// The link id on this screen.
    at: String,
    /// Answers to the other questions, carried as hidden fields.
    carried: Vec<(String, String)>,
}

/// One question as the page shows it (the patient's page, and staff filling in for them).
pub(crate) struct Field {
    pub link_id: String,
    pub text: String,
    /// `heading`, `note`, `choice`, `choices`, `yesno`, `number`, `date`, `line`, `lines`.
    pub widget: &'static str,
    pub required: bool,
    /// Shown only for some answers to other questions (the page has no script to hide it).
    pub conditional: bool,
    /// (form value, label, chosen)
    pub options: Vec<(String, String, bool)>,
    pub value: String,
    pub error: Option<String>,
}

pub(crate) fn fields(q: &Questionnaire, given: &[(String, String)], errors: &HashMap<String, String>) -> Vec<Field> {
    q.all_items()
        .into_iter()
        .filter(|i| !i.calculated)
        .map(|i| {
            let values: Vec<&str> = given
                .iter()
                .filter(|(k, _)| *k == i.link_id)
                .map(|(_, v)| v.as_str())
                .collect();
            let widget = match i.kind {
                ItemType::Group => "heading",
                ItemType::Display => "note",
                ItemType::Choice | ItemType::OpenChoice if i.repeats => "choices",
                ItemType::Choice | ItemType::OpenChoice => "choice",
                ItemType::Boolean => "yesno",
                ItemType::Integer | ItemType::Decimal | ItemType::Quantity => "number",
                ItemType::Date => "date",
                ItemType::Text => "lines",
                _ => "line",
            };
            let options = match widget {
                "yesno" => vec![
                    ("true".to_string(), "是".to_string()),
                    ("false".to_string(), "否".to_string()),
                ],
                _ => i
                    .options
                    .iter()
                    .enumerate()
                    .map(|(n, o)| (option_field(n), o.label.clone()))
                    .collect(),
            }
            .into_iter()
            .map(|(v, l)| {
                let chosen = values.contains(&v.as_str());
                (v, l, chosen)
            })
            .collect();
            Field {
                link_id: i.link_id.clone(),
                text: i.text.clone(),
                widget,
                required: i.required,
                conditional: !i.enable_when.is_empty(),
                options,
                value: values.first().map(|v| v.to_string()).unwrap_or_default(),
                error: errors.get(&i.link_id).cloned(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "h5_questionnaire.html")]
struct QuestionnairePage {
    title: String,
    address: String,
    /// The proxy's relation to the patient, when a family member answers.
    proxy: Option<String>,
    fields: Vec<Field>,
    health: MyHealth,
    view: View,
    /// The page's own path, with the display choices.
    action: String,
    switches: Vec<(String, &'static str)>,
    has_errors: bool,
    step: Option<Step>,
}

#[derive(Template)]
#[template(path = "h5_result.html")]
struct ResultPage {
    title: String,
    address: String,
    band: Option<String>,
    score: Option<f64>,
    advice: Vec<String>,
    health: MyHealth,
    view: View,
}

impl QuestionnairePage {
    fn markdown(&self, body: &str) -> String {
        crate::ui::markdown::to_html(body)
    }
}

impl ResultPage {
    fn markdown(&self, body: &str) -> String {
        crate::ui::markdown::to_html(body)
    }
}

#[derive(Template)]
#[template(path = "h5_notice.html")]
struct NoticePage {
    heading: &'static str,
    text: &'static str,
    view: View,
}

fn notice(e: ServiceError, view: View) -> Response {
    let (status, heading, text) = match e {
        ServiceError::LinkExpired => (
            StatusCode::GONE,
            "链接已失效",
            "此链接已过期、已被收回或已经提交过。如需填写，请联系您的随访护士重新发送。",
        ),
        ServiceError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "链接无效",
            "无法打开此链接，请核对短信中的完整链接，或联系您的随访护士。",
        ),
        other => {
            tracing::error!(error = %other, "patient page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "暂时无法打开",
                "系统繁忙，请稍后再试。",
            )
        }
    };
    page(status, &NoticePage { heading, text, view })
}

/// The questionnaire page: every question, or in step mode the question `at` (the first shown
/// when `None`) with the other answers carried along.
fn form_page(
    token: &str,
    view: View,
    open: &OpenLink,
    given: &[(String, String)],
    errors: HashMap<String, String>,
    at: Option<&str>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let q = &open.questionnaire;
    let mut fields = fields(q, given, &errors);
    let step = if view.step {
        let screens = screens(q, given);
        let place = at.and_then(|a| screens.iter().position(|s| s == a)).unwrap_or(0);
        let current = screens.get(place).cloned().unwrap_or_default();
        fields = screen_fields(fields, &current);
        Some(Step {
            place: place + 1,
            total: screens.len(),
            first: place == 0,
            last: place + 1 >= screens.len(),
            carried: given.iter().filter(|(k, _)| *k != current).cloned().collect(),
            at: current,
        })
    } else {
        None
    };
    page(
        status,
        &QuestionnairePage {
            title: q.title.clone(),
            address: open.address.clone(),
            proxy: open.proxy_relation.clone(),
            fields,
            health: open.health.clone(),
            view,
            action: format!("/m/{token}{}", view.query()),
            switches: switches(token, view),
            has_errors: !errors.is_empty(),
            step,
        },
    )
}

/// The questions a step-mode page goes through, in order: answerable, not calculated, and
/// shown by the skip logic for the answers so far.
fn screens(q: &Questionnaire, given: &[(String, String)]) -> Vec<String> {
    let shown = shown_items(q, given);
    q.all_items()
        .into_iter()
        .filter(|i| i.kind.answerable() && !i.calculated && shown.contains(&i.link_id))
        .map(|i| i.link_id.clone())
        .collect()
}

/// The question `at` with the headings and notes just before it.
fn screen_fields(all: Vec<Field>, at: &str) -> Vec<Field> {
    let Some(end) = all.iter().position(|f| f.link_id == at) else {
        return Vec::new();
    };
    let start = all[..end]
        .iter()
        .rposition(|f| !matches!(f.widget, "heading" | "note"))
        .map_or(0, |p| p + 1);
    all.into_iter().skip(start).take(end + 1 - start).collect()
}

/// The page a patient would see for `q`, for staff to preview (a sample address; the form
/// posts nowhere).
pub(crate) fn preview(q: &Questionnaire) -> Response {
    page(
        StatusCode::OK,
        &QuestionnairePage {
            title: q.title.clone(),
            address: "王先生".into(),
            proxy: None,
            fields: fields(q, &[], &HashMap::new()),
            health: MyHealth::default(),
            view: View {
                big: false,
                contrast: false,
                step: false,
            },
            action: "#".into(),
            switches: Vec::new(),
            has_errors: false,
            step: None,
        },
    )
}

/// Too many opens from one address: 429 with `Retry-After`, in the patient's words.
fn slow_down(wait: std::time::Duration, view: View) -> Response {
    let mut res = page(
        StatusCode::TOO_MANY_REQUESTS,
        &NoticePage {
            heading: "请稍后再试",
            text: "操作过于频繁，请稍等一两分钟后再打开此链接。",
            view,
        },
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, crate::limits::retry_after_secs(wait).into());
    res
}

pub async fn show(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Query(d): Query<Display>,
) -> Response {
    let view = View::of(&d);
    if let Err(wait) = s.limits.link(addr) {
        return slow_down(wait, view);
    }
    match patient_links::open(&s.db, &token, addr.map(|a| a.to_string()), OffsetDateTime::now_utc()).await {
        Ok(open) => form_page(&token, view, &open, &[], HashMap::new(), None),
        Err(e) => notice(e, view),
    }
}

/// A form post: in step mode `_go` (`next`, `back` or `submit`) moves between screens and `_at`
/// names the screen's question; submitting checks and stores the answers.
pub async fn submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Query(d): Query<Display>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let view = View::of(&d);
    if let Err(wait) = s.limits.link(addr) {
        return slow_down(wait, view);
    }
    let now = OffsetDateTime::now_utc();
    let ip = addr.map(|a| a.to_string());
    let control = |name: &str| posted.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (go, at) = (control("_go"), control("_at"));
    let fields: Vec<(String, String)> = posted.iter().filter(|(k, _)| !k.starts_with('_')).cloned().collect();
    if view.step && matches!(go.as_deref(), Some("next" | "back")) {
        let open = match patient_links::open(&s.db, &token, ip, now).await {
            Ok(open) => open,
            Err(e) => return notice(e, view),
        };
        let screens = screens(&open.questionnaire, &fields);
        let here = at.as_deref().and_then(|a| screens.iter().position(|x| x == a));
        let answered = at
            .as_deref()
            .is_some_and(|a| fields.iter().any(|(k, v)| k == a && !v.trim().is_empty()));
        let required = at.as_deref().is_some_and(|a| {
            open.questionnaire
                .all_items()
                .iter()
                .any(|i| i.link_id == a && i.required)
        });
        let (target, errors) = match go.as_deref() {
            Some("back") => (here.map_or(0, |h| h.saturating_sub(1)), HashMap::new()),
            _ if required && !answered => {
                let mut e = HashMap::new();
                e.insert(
                    at.clone().unwrap_or_default(),
                    "此题为必答题，请选择或填写后再继续。".to_string(),
                );
                (here.unwrap_or(0), e)
            }
            _ => (
                here.map_or(0, |h| (h + 1).min(screens.len().saturating_sub(1))),
                HashMap::new(),
            ),
        };
        let target = screens.get(target).cloned();
        return form_page(&token, view, &open, &fields, errors, target.as_deref());
    }
    match patient_links::answer(&s.db, &token, &fields, ip.clone(), now).await {
        Ok((open, out)) => page(StatusCode::OK, &result_page(&open, &out, view)),
        Err(ServiceError::InvalidItems(problems)) => {
            // Step mode shows the first question to fix.
            let first = problems.first().map(|p| p.link_id.clone());
            let errors: HashMap<String, String> = problems.into_iter().map(|p| (p.link_id, p.message_zh)).collect();
            match patient_links::open(&s.db, &token, ip, now).await {
                Ok(open) => form_page(&token, view, &open, &fields, errors, first.as_deref()),
                Err(e) => notice(e, view),
            }
        }
        Err(e) => notice(e, view),
    }
}

fn result_page(open: &OpenLink, out: &ResponseOutcome, view: View) -> ResultPage {
    let urgent = out.alerts.iter().any(|a| a.severity == "severe");
    let mut advice: Vec<String> = Vec::new();
    // PHQ-9 / GAD-7 bands have CareLoop's words; a questionnaire's own bands carry theirs.
    let instrument = Instrument::of(&open.questionnaire).is_some();
    let band = if instrument { out.band.as_deref() } else { None };
    advice.push(match band {
        Some("none_minimal" | "minimal") => "您目前的情绪状态总体良好。请保持规律作息、适量运动，多和家人朋友交流。",
        Some("mild") => {
            "您有轻度的情绪困扰。建议保持规律作息和运动，多与家人朋友交流；如果持续两周以上没有好转，请告诉您的医生。"
        }
        Some("moderate") => {
            "您的情绪困扰已有一定程度，建议近期到医院心理门诊或向您的医生咨询，我们的医护人员也会与您联系。"
        }
        Some("moderately_severe" | "severe") => {
            "您的情绪困扰比较明显，请尽快到医院心理科或精神科就诊。我们的医护人员会尽快与您联系。"
        }
        _ => out.advice.as_deref().unwrap_or("感谢您的填写，医护人员会查看您的回答。"),
    }
    .to_string());
    // What the patient wrote in their own words (free-text findings) may be urgent too.
    let urgent_symptom = out.text_findings.iter().any(|t| t.symptoms.iter().any(|f| f.urgent));
    let self_harm_text = out.text_findings.iter().any(|t| t.emotions.iter().any(|f| f.urgent));
    if urgent_symptom {
        advice.push(
            "您描述的症状需要尽快处理，医护人员会马上与您联系；如果症状加重，请立即拨打 120 或到最近的医院急诊。"
                .into(),
        );
    }
    // An urgent alert not explained by a symptom comes from self-harm (PHQ-9 item 9 or the text).
    if self_harm_text || (urgent && !urgent_symptom) {
        advice.push("如果您有伤害自己的想法，请马上告诉家人或身边的人，并拨打全国心理援助热线 12356；情况紧急请拨打 120 或到最近的医院急诊。".into());
    } else if out.text_findings.iter().any(|t| t.psychological_support) {
        advice.push("您提到的心情或睡眠方面的困扰，我们的心理咨询师会与您联系，您不是一个人在面对。".into());
    }
    ResultPage {
        title: open.questionnaire.title.clone(),
        address: open.address.clone(),
        band: out.band_zh.clone(),
        score: out.score,
        advice,
        health: open.health.clone(),
        view,
    }
}
