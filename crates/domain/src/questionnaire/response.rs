//! Checking a FHIR R4 `QuestionnaireResponse` against its questionnaire, item by item, and
//! scoring it. Every problem is reported with the item's link id and where it sits in the
//! response, so a form can mark the exact question.
//!
//! Rules: each answered link id must exist and take answers; values must have the item's type,
//! be one of its options (`choice`; `open-choice` also takes free text), respect `maxLength`,
//! `minValue` / `maxValue` and `repeats`; a disabled item (skip logic) must not be answered; a
//! completed response must answer every enabled required item (`in-progress` is a partial save).
//! Calculated items are computed here, not taken from the response.

use super::enable::{Answers, enabled_items};
use super::{AnswerValue, Item, ItemType, Questionnaire};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// The item's link id (empty for the resource as a whole).
    pub link_id: String,
    /// Where in the response, e.g. `item[0].item[8].answer[0]`.
    pub path: String,
    pub code: &'static str,
    pub message: String,
    pub message_zh: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in-progress",
            Status::Completed => "completed",
        }
    }
}

/// A response that passed: its answers by link id, its status and its total score (when the
/// questionnaire's options carry scores).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub status: Status,
    pub answers: Answers,
    pub score: Option<f64>,
    /// Things accepted but worth saying, e.g. a submitted total that differed from the computed one.
    pub warnings: Vec<String>,
}

struct Ctx<'a> {
    q: &'a Questionnaire,
    answers: Answers,
    /// Where each link id was answered, for errors found after collecting.
    answered_at: Vec<(String, String)>,
    calculated_given: Vec<(String, AnswerValue)>,
    errors: Vec<ItemError>,
}

impl Ctx<'_> {
    fn error(&mut self, link_id: &str, path: &str, code: &'static str, message: String, zh: &str) {
        self.errors.push(ItemError {
            link_id: link_id.to_string(),
            path: path.to_string(),
            code,
            message,
            message_zh: zh.to_string(),
        });
    }
}

/// Check `response` against `q`.
pub fn check(q: &Questionnaire, response: &Value) -> Result<Checked, Vec<ItemError>> {
    let mut ctx = Ctx {
        q,
        answers: Answers::new(),
        answered_at: Vec::new(),
        calculated_given: Vec::new(),
        errors: Vec::new(),
    };
    if response.get("resourceType").and_then(Value::as_str) != Some("QuestionnaireResponse") {
        ctx.error(
            "",
            "resourceType",
            "resource_type",
            "resourceType must be QuestionnaireResponse".into(),
            "资源类型应为 QuestionnaireResponse",
        );
        return Err(ctx.errors);
    }
    let status = match response.get("status").and_then(Value::as_str) {
        Some("completed") => Status::Completed,
        Some("in-progress") => Status::InProgress,
        _ => {
            ctx.error(
                "",
                "status",
                "status_invalid",
                "status must be completed or in-progress".into(),
                "状态应为 completed 或 in-progress",
            );
            return Err(ctx.errors);
        }
    };
    let items = response
        .get("item")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    collect(&mut ctx, &items, "item");

    let enabled = enabled_items(q, &ctx.answers);
    for (link_id, path) in std::mem::take(&mut ctx.answered_at) {
        if !enabled.contains(&link_id) {
            ctx.error(
                &link_id,
                &path,
                "answer_to_disabled",
                "this question is not shown for the other answers given; remove its answer".into(),
                "根据其他回答，此题不应作答",
            );
        }
    }
    if status == Status::Completed {
        for item in q.all_items() {
            // An item whose answer was refused above is reported once, for that.
            let answered = ctx.answers.get(&item.link_id).is_some_and(|a| !a.is_empty())
                || ctx.errors.iter().any(|e| e.link_id == item.link_id);
            if item.required
                && item.kind.answerable()
                && !item.calculated
                && enabled.contains(&item.link_id)
                && !answered
            {
                ctx.error(
                    &item.link_id,
                    "item",
                    "required",
                    format!("'{}' must be answered", short(&item.text)),
                    "此题为必答题",
                );
            }
        }
    }
    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    let score = total_score(q, &ctx.answers, &enabled);
    let mut warnings = Vec::new();
    for (link_id, given) in &ctx.calculated_given {
        if let (Some(s), Some(g)) = (score, given.number())
            && (s - g).abs() > 1e-9
        {
            warnings.push(format!(
                "{link_id}: the submitted value {g} differs from the computed score {s}; the computed score is kept"
            ));
        }
    }
    Ok(Checked {
        status,
        answers: ctx.answers,
        score,
        warnings,
    })
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

fn collect(ctx: &mut Ctx, items: &[Value], path: &str) {
    for (i, v) in items.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let link_id = v.get("linkId").and_then(Value::as_str).unwrap_or("");
        let Some(item) = ctx.q.find(link_id) else {
            ctx.error(
                link_id,
                &here,
                "unknown_item",
                format!("no item '{}' in the questionnaire", short(link_id)),
                "问卷中没有此题",
            );
            continue;
        };
        let answers = v.get("answer").and_then(Value::as_array).cloned().unwrap_or_default();
        if !answers.is_empty() {
            answer_item(ctx, item, &answers, &here);
        }
        let children = v.get("item").and_then(Value::as_array).cloned().unwrap_or_default();
        collect(ctx, &children, &format!("{here}.item"));
    }
}

fn answer_item(ctx: &mut Ctx, item: &Item, answers: &[Value], here: &str) {
    let link_id = item.link_id.as_str();
    if !item.kind.answerable() {
        ctx.error(
            link_id,
            here,
            "not_answerable",
            "groups and display items take no answers".into(),
            "此条目不需要作答",
        );
        return;
    }
    if answers.len() > 1 && !item.repeats {
        ctx.error(
            link_id,
            here,
            "repeats",
            "this question takes one answer".into(),
            "此题只能选一个答案",
        );
    }
    for (j, a) in answers.iter().enumerate() {
        let at = format!("{here}.answer[{j}]");
        let Some(value) = AnswerValue::read(a, "value") else {
            ctx.error(
                link_id,
                &at,
                "value_missing",
                "an answer needs a value[x]".into(),
                "答案缺少取值",
            );
            continue;
        };
        if item.calculated {
            ctx.calculated_given.push((link_id.to_string(), value));
            continue;
        }
        if let Some((code, message, zh)) = value_problem(item, &value) {
            ctx.error(link_id, &at, code, message, zh);
            continue;
        }
        ctx.answers.entry(link_id.to_string()).or_default().push(value);
        ctx.answered_at.push((link_id.to_string(), at.clone()));
        // Questions nested under an answer (FHIR allows children per answer).
        let nested = a.get("item").and_then(Value::as_array).cloned().unwrap_or_default();
        collect(ctx, &nested, &format!("{at}.item"));
    }
}

/// Why `value` is not an acceptable answer to `item`, if it is not.
fn value_problem(item: &Item, value: &AnswerValue) -> Option<(&'static str, String, &'static str)> {
    use AnswerValue as V;
    use ItemType as T;
    let type_ok = match (item.kind, value) {
        (T::Boolean, V::Boolean(_)) | (T::Integer, V::Integer(_)) => true,
        (T::Decimal, V::Decimal(_) | V::Integer(_)) => true,
        (T::Date, V::Date(d)) => iso_date(d),
        (T::DateTime, V::DateTime(d)) => d.len() >= 10 && iso_date(&d[..10]),
        (T::DateTime, V::Date(d)) => iso_date(d),
        (T::Time, V::Time(_)) | (T::String | T::Text, V::String(_)) | (T::Url, V::Uri(_)) => true,
        (T::Quantity, V::Quantity { .. }) => true,
        (T::Attachment | T::Reference, V::Other(_)) => true,
        (T::Choice, _) => !item.options.is_empty() || !matches!(value, V::Other(_)),
        (T::OpenChoice, V::String(_)) => true,
        (T::OpenChoice, _) => !matches!(value, V::Other(_)),
        _ => false,
    };
    if !type_ok {
        return Some((
            "type_mismatch",
            format!("'{}' takes a {:?} answer", short(&item.text), item.kind),
            "答案类型与题目不符",
        ));
    }
    let is_free_text = item.kind == T::OpenChoice && matches!(value, V::String(_));
    if matches!(item.kind, T::Choice | T::OpenChoice)
        && !is_free_text
        && !item.options.is_empty()
        && !item.options.iter().any(|o| value.same_as(&o.value))
    {
        return Some((
            "not_an_option",
            format!("not one of the options of '{}'", short(&item.text)),
            "答案不在选项范围内",
        ));
    }
    if let (Some(max), V::String(s)) = (item.max_length, value)
        && s.chars().count() > max
    {
        return Some(("too_long", format!("at most {max} characters"), "回答超过字数上限"));
    }
    if let Some(n) = value.number()
        && (item.min_value.is_some_and(|m| n < m) || item.max_value.is_some_and(|m| n > m))
    {
        let range = format!(
            "{}–{}",
            item.min_value.map_or("".into(), |m| m.to_string()),
            item.max_value.map_or("".into(), |m| m.to_string())
        );
        return Some(("out_of_range", format!("must be within {range}"), "数值超出允许范围"));
    }
    None
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with a real month and day.
fn iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| p.len() == len && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => num(y, 4),
        [y, m] => num(y, 4) && num(m, 2) && (1..=12).contains(&m.parse::<u8>().unwrap_or(0)),
        [y, m, d] => {
            let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
                return false;
            };
            parts[0].len() == 4
                && time::Month::try_from(m)
                    .ok()
                    .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
                    .is_some()
        }
        _ => false,
    }
}

/// The sum of the scores of the chosen options of enabled items; none when no option of the
/// questionnaire carries a score.
pub fn total_score(q: &Questionnaire, answers: &Answers, enabled: &std::collections::HashSet<String>) -> Option<f64> {
    let items = q.all_items();
    if !items.iter().any(|i| i.options.iter().any(|o| o.score.is_some())) {
        return None;
    }
    let mut total = 0.0;
    for item in items.into_iter().filter(|i| enabled.contains(&i.link_id)) {
        for a in answers.get(&item.link_id).into_iter().flatten() {
            if let Some(s) = item.options.iter().find(|o| a.same_as(&o.value)).and_then(|o| o.score) {
                total += s;
            }
        }
    }
    Some(total)
}
