//! The patient's mobile pages (患者端 H5), opened from a link sent by SMS or WeChat: a
//! questionnaire on one page in large type (a 大字 switch makes it larger still), plain HTML
//! forms that need no script, the result band with advice in plain Chinese after submission.
//! The link's token is the only credential; it opens one patient's one questionnaire until it
//! expires or is used.

use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use careloop_domain::questionnaire::form::option_field;
use careloop_domain::questionnaire::{ItemType, Questionnaire};
use careloop_service::ServiceError;
use careloop_service::patient_links::{self, MyHealth, OpenLink};
use careloop_service::questionnaires::ResponseOutcome;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
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
}

/// One question as the page shows it.
struct Field {
    link_id: String,
    text: String,
    /// `heading`, `note`, `choice`, `choices`, `yesno`, `number`, `date`, `line`, `lines`.
    widget: &'static str,
    required: bool,
    /// Shown only for some answers to other questions (the page has no script to hide it).
    conditional: bool,
    /// (form value, label, chosen)
    options: Vec<(String, String, bool)>,
    value: String,
    error: Option<String>,
}

fn fields(q: &Questionnaire, given: &[(String, String)], errors: &HashMap<String, String>) -> Vec<Field> {
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
    big: bool,
    /// The page's own path, with the display choice.
    action: String,
    toggle_href: String,
    has_errors: bool,
}

#[derive(Template)]
#[template(path = "h5_result.html")]
struct ResultPage {
    title: String,
    address: String,
    band: Option<String>,
    score: Option<f64>,
    advice: Vec<&'static str>,
    health: MyHealth,
    big: bool,
}

#[derive(Template)]
#[template(path = "h5_notice.html")]
struct NoticePage {
    heading: &'static str,
    text: &'static str,
    big: bool,
}

fn notice(e: ServiceError, big: bool) -> Response {
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
    page(status, &NoticePage { heading, text, big })
}

fn form_page(
    token: &str,
    big: bool,
    open: &OpenLink,
    given: &[(String, String)],
    errors: HashMap<String, String>,
) -> Response {
    let action = format!("/m/{token}{}", if big { "?big=1" } else { "" });
    let toggle_href = format!("/m/{token}{}", if big { "" } else { "?big=1" });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        status,
        &QuestionnairePage {
            title: open.questionnaire.title.clone(),
            address: open.address.clone(),
            proxy: open.proxy_relation.clone(),
            fields: fields(&open.questionnaire, given, &errors),
            health: open.health.clone(),
            big,
            action,
            toggle_href,
            has_errors: !errors.is_empty(),
        },
    )
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
            big: false,
            action: "#".into(),
            toggle_href: "#".into(),
            has_errors: false,
        },
    )
}

pub async fn show(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Query(d): Query<Display>,
) -> Response {
    let big = d.big.as_deref() == Some("1");
    match patient_links::open(&s.db, &token, Some(peer.ip().to_string()), OffsetDateTime::now_utc()).await {
        Ok(open) => form_page(&token, big, &open, &[], HashMap::new()),
        Err(e) => notice(e, big),
    }
}

pub async fn submit(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Query(d): Query<Display>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let big = d.big.as_deref() == Some("1");
    let now = OffsetDateTime::now_utc();
    let ip = Some(peer.ip().to_string());
    match patient_links::answer(&s.db, &token, &fields, ip.clone(), now).await {
        Ok((open, out)) => page(StatusCode::OK, &result_page(&open, &out, big)),
        Err(ServiceError::InvalidItems(problems)) => {
            let errors: HashMap<String, String> = problems.into_iter().map(|p| (p.link_id, p.message_zh)).collect();
            match patient_links::open(&s.db, &token, ip, now).await {
                Ok(open) => form_page(&token, big, &open, &fields, errors),
                Err(e) => notice(e, big),
            }
        }
        Err(e) => notice(e, big),
    }
}

fn result_page(open: &OpenLink, out: &ResponseOutcome, big: bool) -> ResultPage {
    let urgent = out.alerts.iter().any(|a| a.severity == "severe");
    let mut advice = Vec::new();
    advice.push(match out.band.as_deref() {
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
        _ => "感谢您的填写，医护人员会查看您的回答。",
    });
    // What the patient wrote in their own words (free-text findings) may be urgent too.
    let urgent_symptom = out.text_findings.iter().any(|t| t.symptoms.iter().any(|f| f.urgent));
    let self_harm_text = out.text_findings.iter().any(|t| t.emotions.iter().any(|f| f.urgent));
    if urgent_symptom {
        advice.push(
            "您描述的症状需要尽快处理，医护人员会马上与您联系；如果症状加重，请立即拨打 120 或到最近的医院急诊。",
        );
    }
    // An urgent alert not explained by a symptom comes from self-harm (PHQ-9 item 9 or the text).
    if self_harm_text || (urgent && !urgent_symptom) {
        advice.push("如果您有伤害自己的想法，请马上告诉家人或身边的人，并拨打全国心理援助热线 12356；情况紧急请拨打 120 或到最近的医院急诊。");
    } else if out.text_findings.iter().any(|t| t.psychological_support) {
        advice.push("您提到的心情或睡眠方面的困扰，我们的心理咨询师会与您联系，您不是一个人在面对。");
    }
    ResultPage {
        title: open.questionnaire.title.clone(),
        address: open.address.clone(),
        band: out.band_zh.clone(),
        score: out.score,
        advice,
        health: open.health.clone(),
        big,
    }
}
