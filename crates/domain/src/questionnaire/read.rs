//! A stored response read back item by item (问卷逐题查看): each answered question of the
//! questionnaire, in its order, with the answer as the patient saw it (the option's words, not
//! its code), the option's score where it carries one, and whether the question is one the
//! instrument treats as urgent (PHQ-9 item 9).

use super::enable::Answers;
use super::{AnswerValue, Questionnaire};

/// One answered question.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadItem {
    pub link_id: String,
    pub text: String,
    /// The answers in words (several for a question that repeats).
    pub answers: Vec<String>,
    /// The score the chosen option carries, if it carries one.
    pub score: Option<f64>,
    /// The instrument's urgent question answered above 0 (PHQ-9 item 9).
    pub urgent: bool,
}

/// The words of one answer: a chosen option's label, else the value itself.
fn words(options: &[super::AnswerOption], value: &AnswerValue) -> (String, Option<f64>) {
    match options.iter().find(|o| value.same_as(&o.value)) {
        Some(o) => (o.label.clone(), o.score),
        None => (value.label(None), None),
    }
}

/// The answered questions of `answers`, in the questionnaire's order.
pub fn answered_items(q: &Questionnaire, answers: &Answers) -> Vec<ReadItem> {
    let urgent = super::instrument::Instrument::of(q).and_then(|i| i.urgent_item(q));
    q.all_items()
        .into_iter()
        .filter_map(|item| {
            let given = answers.get(&item.link_id).filter(|a| !a.is_empty())?;
            let read: Vec<(String, Option<f64>)> = given.iter().map(|v| words(&item.options, v)).collect();
            let scores: Vec<f64> = read.iter().filter_map(|(_, s)| *s).collect();
            let score = (!scores.is_empty()).then(|| scores.iter().sum());
            Some(ReadItem {
                link_id: item.link_id.clone(),
                text: item.text.clone(),
                answers: read.into_iter().map(|(w, _)| w).collect(),
                urgent: urgent.is_some_and(|u| u.link_id == item.link_id) && score.is_some_and(|s: f64| s > 0.0),
                score,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::builtin;
    use crate::questionnaire::response::check;
    use serde_json::json;

    #[test]
    fn a_phq9_reads_back_in_order_with_the_words_and_scores_of_its_options() {
        let (_, phq) = builtin().unwrap().into_iter().find(|(id, _)| *id == "phq-9").unwrap();
        let items: Vec<serde_json::Value> = (1..=9)
            .map(|i| json!({"linkId": format!("q{i}"), "answer": [{"valueCoding": {"code": if i == 9 { "1" } else { "0" }}}]}))
            .collect();
        let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
            "item": [{"linkId": "g", "item": items}]});
        let checked = check(&phq, &response).unwrap_or_else(|e| panic!("{e:?}"));
        let read = answered_items(&phq, &checked.answers);
        assert_eq!(read.len(), 9, "{read:?}");
        assert_eq!(read[0].link_id, "q1");
        let nine = &read[8];
        assert!(nine.text.contains("死") || nine.text.contains("伤害"), "{}", nine.text);
        assert_eq!(nine.score, Some(1.0));
        assert!(nine.urgent && !read[0].urgent, "item 9 above 0 is urgent");
        assert!(
            nine.answers[0].chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "the option's words: {:?}",
            nine.answers
        );
    }
}
