//! Free-text replies (自由文本): what the analysis (`careloop-text`) finds in the text answers
//! of a completed questionnaire response, the alerts it raises, and the staff's analyse call.
//!
//! An urgent finding (self-harm, or a severe red-flag symptom) goes to the doctor within the
//! hour, like PHQ-9 item 9; a negative emotion goes to the psychologist (心理支持) within a day,
//! escalating to the doctor. The patient's words stay in the response; alerts name only the
//! classes found, and nothing of the text is logged.

use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::critical;
use careloop_domain::questionnaire::enable::Answers;
use careloop_domain::questionnaire::{AnswerValue, ItemType, Questionnaire};
use careloop_store::Db;
use careloop_store::records::AlertRow;
use careloop_text::{Analysis, Finding, Mention};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::kernel::alerts::alert_from;
use crate::kernel::audit::{event, record};
use careloop_domain::followup::alert::AlertKind;

/// Longest text the analyse call takes (a reply, not a document).
pub const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingView {
    /// Class id, e.g. `pain`, `self_harm`.
    pub class: String,
    pub zh: String,
    pub en: String,
    /// `mild`, `moderate` or `severe`.
    pub severity: String,
    /// The words that showed it.
    pub terms: Vec<String>,
    pub urgent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MentionView {
    pub class: String,
    pub term: String,
    /// `negated` (不疼), `resolved` (已经不晕了) or `hypothetical` (如果发烧).
    pub why: String,
}

/// A value the text reports (血压180/110, 血糖2.8), checked against the national emergency limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadingView {
    /// `systolic`, `diastolic` or `glucose`.
    pub quantity: String,
    /// 收缩压, 舒张压 or 血糖.
    pub zh: String,
    /// As written (一百八, 200多).
    pub text: String,
    /// The range the words mean (200多: 200–209), in `unit`.
    pub low: f64,
    pub high: f64,
    pub unit: String,
    /// The emergency limit it passes (`≥180`), if any.
    pub critical: Option<String>,
}

impl ReadingView {
    /// 收缩压 190 mmHg（危急值 ≥180 mmHg）, for an alert or a chip.
    pub fn describe(&self) -> String {
        let value = if self.low == self.high {
            format!("{}", self.low)
        } else {
            self.text.clone()
        };
        match &self.critical {
            Some(limit) => format!("{} {value} {}（危急值 {limit} {}）", self.zh, self.unit, self.unit),
            None => format!("{} {value} {}", self.zh, self.unit),
        }
    }
}

/// The analysis of one text, as the API returns it and as a response stores it per item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextAnalysis {
    /// The item the text answered, on a stored response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_id: Option<String>,
    pub symptoms: Vec<FindingView>,
    pub emotions: Vec<FindingView>,
    pub urgent: bool,
    /// Whether the psychologist is told (any negative emotion).
    pub psychological_support: bool,
    /// Terms mentioned and not asserted, so staff see why they were left out.
    pub not_asserted: Vec<MentionView>,
    /// Blood pressure and glucose values the text reports.
    #[serde(default)]
    pub readings: Vec<ReadingView>,
    /// Not urgent by the rules, yet holding red-flag words they do not explain: a nurse reads it.
    #[serde(default)]
    pub needs_human_read: bool,
    /// Those words (血, 叫不醒 …).
    #[serde(default)]
    pub unexplained: Vec<String>,
}

impl TextAnalysis {
    fn of(analysis: &Analysis, link_id: Option<String>) -> TextAnalysis {
        let view = |f: &Finding| FindingView {
            class: f.class.into(),
            zh: f.zh.into(),
            en: f.en.into(),
            severity: f.severity.as_str().into(),
            terms: f.terms.clone(),
            urgent: f.urgent,
        };
        let mention = |m: &Mention| MentionView {
            class: m.class.into(),
            term: m.term.clone(),
            why: m.why.into(),
        };
        let reading = |r: &careloop_text::Reading| ReadingView {
            quantity: r.quantity.as_str().into(),
            zh: r.quantity.zh().into(),
            text: r.text.clone(),
            low: r.low,
            high: r.high,
            unit: r.quantity.unit().into(),
            critical: r.critical.map(|p| format!("{}{}", p.sign, p.limit)),
        };
        TextAnalysis {
            link_id,
            symptoms: analysis.symptoms().map(view).collect(),
            emotions: analysis.emotions().map(view).collect(),
            urgent: analysis.urgent(),
            psychological_support: analysis.emotions().next().is_some(),
            not_asserted: analysis.not_asserted.iter().map(mention).collect(),
            readings: analysis.readings.iter().map(reading).collect(),
            needs_human_read: analysis.needs_human_read(),
            unexplained: analysis.unexplained.clone(),
        }
    }

    /// The analysis of one reply.
    pub fn of_text(text: &str) -> TextAnalysis {
        TextAnalysis::of(&careloop_text::analyze(text), None)
    }

    fn is_empty(&self) -> bool {
        self.symptoms.is_empty()
            && self.emotions.is_empty()
            && self.not_asserted.is_empty()
            && self.readings.is_empty()
            && self.unexplained.is_empty()
    }

    /// Whether anything was found: a symptom, an emotion or a value.
    pub fn found(&self) -> bool {
        !(self.symptoms.is_empty() && self.emotions.is_empty() && self.readings.is_empty())
    }
}

/// Build the segmenter now (about a second's work) rather than on the first reply.
pub fn warm_up() {
    careloop_text::warm_up();
}

/// Analyse a text for a member of staff (`POST /api/v1/text/analyze`). Audited without the text.
pub async fn analyze(db: &Db, actor: &Actor, text: &str, now: OffsetDateTime) -> Result<TextAnalysis> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_TEXT_CHARS {
        return Err(FieldError::new(
            "text",
            "text_length",
            format!("text must be 1 to {MAX_TEXT_CHARS} characters"),
            format!("文本应为1至{MAX_TEXT_CHARS}个字"),
        )
        .into());
    }
    let result = TextAnalysis::of(&careloop_text::analyze(text), None);
    let mut tx = db.begin().await?;
    let detail = format!("chars={chars} urgent={}", result.urgent);
    record(&mut tx, event(actor, "text.analyze", None, Some(detail), now)).await?;
    tx.commit().await?;
    Ok(result)
}

/// The analysis of every text answer of a response (string and text items, and the free
/// entry of open-choice items), skipping answers where nothing was mentioned.
pub(crate) fn of_answers(q: &Questionnaire, answers: &Answers) -> Vec<TextAnalysis> {
    let mut out = Vec::new();
    for item in q.all_items() {
        if !matches!(item.kind, ItemType::String | ItemType::Text | ItemType::OpenChoice) {
            continue;
        }
        for value in answers.get(&item.link_id).into_iter().flatten() {
            if let AnswerValue::String(text) = value {
                let a = TextAnalysis::of(&careloop_text::analyze(text), Some(item.link_id.clone()));
                if !a.is_empty() {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The alerts text findings raise: one urgent alert to the doctor (urgent findings, and values
/// past their emergency limits with the limits' source), one to the psychologist for negative
/// emotions. When an urgent alert is already among `raised` (PHQ-9 item 9 of the same
/// response) the text's reasons are added to it instead. `source`: (record, response).
pub(crate) fn alerts(
    patient_id: Uuid,
    source: (Option<Uuid>, Option<Uuid>),
    title: &str,
    found: &[TextAnalysis],
    raised: &mut Vec<AlertRow>,
    now: OffsetDateTime,
) {
    let labels = |pick: fn(&TextAnalysis) -> Vec<&FindingView>| {
        let mut names: Vec<String> = Vec::new();
        for f in found.iter().flat_map(pick) {
            let name = if f.severity == "severe" {
                format!("{}（重度）", f.zh)
            } else {
                f.zh.clone()
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.join("、")
    };
    let mut urgent = labels(|a| a.symptoms.iter().chain(&a.emotions).filter(|f| f.urgent).collect());
    let values: Vec<String> = found
        .iter()
        .flat_map(|a| &a.readings)
        .filter(|r| r.critical.is_some())
        .map(ReadingView::describe)
        .collect();
    if !values.is_empty() {
        let sep = if urgent.is_empty() { "" } else { "；" };
        urgent = format!("{urgent}{sep}{}（依据：{}）", values.join("，"), critical::SOURCE_ZH);
    }
    if !urgent.is_empty() {
        let reason = format!("{title}自由文本提示紧急情况：{urgent}，请立即联系患者");
        match raised.iter_mut().find(|a| a.severity == "severe") {
            Some(a) => a.reason = format!("{}；{reason}", a.reason),
            None => raised.push(alert_from(patient_id, source, AlertKind::Severe, reason, now)),
        }
    }
    let emotions = labels(|a| a.emotions.iter().collect());
    if !emotions.is_empty() {
        raised.push(alert_from(
            patient_id,
            source,
            AlertKind::NegativeEmotion,
            format!("{title}自由文本提示负面情绪：{emotions}，请心理咨询师跟进"),
            now,
        ));
    }
}
