//! A questionnaire answered on a web page (the patient's mobile page): the form's fields become
//! a FHIR QuestionnaireResponse nested as the questionnaire is. Fields are named by link id; a
//! choice is sent as the index of its option (`o0`, `o1`, ...) so no code or score travels in
//! the page. A value that does not fit its item is passed on as text, for `response::check` to
//! report on that item.

use super::enable::{Answers, enabled_items};
use super::{AnswerValue, Item, ItemType, Questionnaire};
use serde_json::{Value, json};
use std::collections::HashSet;

/// The form value that stands for option `i`.
pub fn option_field(i: usize) -> String {
    format!("o{i}")
}

/// Build the response; `status` is `completed` or `in-progress`. A page without script shows
/// every question, so answers to questions the skip logic hides for the other answers are
/// dropped here rather than refused: the person answered more than was asked.
pub fn response_from_form(q: &Questionnaire, fields: &[(String, String)], subject: &str, status: &str) -> Value {
    let shown = shown_items(q, fields);
    let kept: Vec<(String, String)> = fields.iter().filter(|(k, _)| shown.contains(k)).cloned().collect();
    json!({
        "resourceType": "QuestionnaireResponse",
        "status": status,
        "subject": {"reference": subject},
        "item": items(&q.items, &kept),
    })
}

/// The link ids the skip logic shows for the answers in the form's fields — the questions a
/// one-question-per-screen page steps through.
pub fn shown_items(q: &Questionnaire, fields: &[(String, String)]) -> HashSet<String> {
    let mut answers = Answers::new();
    for item in q.all_items() {
        for (k, v) in fields {
            if *k == item.link_id && !v.trim().is_empty() && item.kind.answerable() {
                answers.entry(k.clone()).or_default().push(value_of(item, v.trim()));
            }
        }
    }
    enabled_items(q, &answers)
}

fn items(list: &[Item], fields: &[(String, String)]) -> Vec<Value> {
    let mut out = Vec::new();
    for item in list {
        if item.kind == ItemType::Group {
            let children = items(&item.items, fields);
            if !children.is_empty() {
                out.push(json!({"linkId": item.link_id, "item": children}));
            }
            continue;
        }
        if !item.kind.answerable() || item.calculated {
            continue;
        }
        let answers: Vec<Value> = fields
            .iter()
            .filter(|(k, v)| *k == item.link_id && !v.trim().is_empty())
            .map(|(_, v)| value_of(item, v.trim()).to_fhir())
            .collect();
        if !answers.is_empty() {
            out.push(json!({"linkId": item.link_id, "text": item.text, "answer": answers}));
        }
    }
    out
}

fn value_of(item: &Item, raw: &str) -> AnswerValue {
    let text = || AnswerValue::String(raw.to_string());
    match item.kind {
        ItemType::Choice | ItemType::OpenChoice => raw
            .strip_prefix('o')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|i| item.options.get(i))
            .map_or_else(text, |o| o.value.clone()),
        ItemType::Boolean => match raw {
            "true" => AnswerValue::Boolean(true),
            "false" => AnswerValue::Boolean(false),
            _ => text(),
        },
        ItemType::Integer => raw.parse().map_or_else(|_| text(), AnswerValue::Integer),
        ItemType::Decimal => raw.parse().map_or_else(|_| text(), AnswerValue::Decimal),
        ItemType::Quantity => raw
            .parse()
            .map_or_else(|_| text(), |value| AnswerValue::Quantity { value, unit: None }),
        ItemType::Date => AnswerValue::Date(raw.to_string()),
        ItemType::DateTime => AnswerValue::DateTime(raw.to_string()),
        ItemType::Time => AnswerValue::Time(raw.to_string()),
        ItemType::Url => AnswerValue::Uri(raw.to_string()),
        _ => text(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::builtin;
    use super::super::response::check;
    use super::*;

    #[test]
    fn a_filled_phq9_form_becomes_a_valid_nested_response() {
        let (_, q) = builtin().unwrap().into_iter().find(|(id, _)| *id == "phq-9").unwrap();
        let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("q{i}"), option_field(i % 4))).collect();
        fields.push(("total".into(), "99".into()));
        let r = response_from_form(&q, &fields, "Patient/x", "completed");
        assert_eq!(r["item"][0]["linkId"], "g", "nested under its group");
        assert_eq!(
            r["item"][0]["item"].as_array().unwrap().len(),
            9,
            "the calculated total is not sent"
        );
        let checked = check(&q, &r).unwrap();
        // Options 1,2,3,0,1,2,3,0,1.
        assert_eq!(checked.score, Some(13.0));
    }

    #[test]
    fn answers_to_questions_the_other_answers_hide_are_dropped() {
        let q = Questionnaire::from_value(json!({"resourceType": "Questionnaire", "item": [
            {"linkId": "pain", "type": "boolean"},
            {"linkId": "score", "type": "integer", "enableWhen": [{"question": "pain", "operator": "=", "answerBoolean": true}]}
        ]}))
        .unwrap();
        let fields = |pain: &str| {
            vec![
                ("pain".to_string(), pain.to_string()),
                ("score".to_string(), "6".to_string()),
            ]
        };
        let r = response_from_form(&q, &fields("false"), "Patient/x", "completed");
        assert_eq!(r["item"].as_array().unwrap().len(), 1, "{r}");
        assert!(check(&q, &r).is_ok());
        let r = response_from_form(&q, &fields("true"), "Patient/x", "completed");
        assert_eq!(r["item"][1]["answer"][0]["valueInteger"], 6);
    }

    #[test]
    fn values_that_do_not_fit_are_reported_by_the_check_on_their_item() {
        let (_, q) = builtin().unwrap().into_iter().find(|(id, _)| *id == "phq-9").unwrap();
        let mut fields: Vec<(String, String)> = (1..=9).map(|i| (format!("q{i}"), option_field(0))).collect();
        fields[2].1 = "o9".into();
        let errors = check(&q, &response_from_form(&q, &fields, "Patient/x", "completed")).unwrap_err();
        assert_eq!((errors[0].link_id.as_str(), errors[0].code), ("q3", "not_an_option"));
    }
}
