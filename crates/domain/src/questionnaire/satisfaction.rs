//! Satisfaction (满意度) from the satisfaction questionnaires (住院 / 门诊患者满意度调查): the
//! share of rated questions answered with the best option (总是, 满意) — the "top-box" score
//! with which HCAHPS, the survey the inpatient questionnaire follows, reports its composites
//! [unverified: CMS HCAHPS technical notes, quoted from background knowledge]. A figure from
//! counts, so months and departments add up: top-box answers ÷ rated answers.

use super::enable::Answers;
use super::{ItemType, Questionnaire};

/// The questionnaires whose answers make the satisfaction figure.
pub const QUESTIONNAIRES: [&str; 2] = ["satisfaction-inpatient", "satisfaction-outpatient"];

/// (best-option answers, rated answers) of one response: a rated question is a single-choice
/// question of the questionnaire whose first option is its best; yes/no and free-text
/// questions (the red-envelope question, comments) are not ratings.
pub fn top_box(q: &Questionnaire, answers: &Answers) -> (u64, u64) {
    let (mut top, mut rated) = (0, 0);
    for item in q.all_items() {
        if item.kind != ItemType::Choice || item.repeats || item.options.len() < 2 {
            continue;
        }
        let Some(value) = answers.get(&item.link_id).and_then(|a| a.first()) else {
            continue;
        };
        rated += 1;
        top += u64::from(value.same_as(&item.options[0].value));
    }
    (top, rated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::builtin;
    use crate::questionnaire::response::check;
    use serde_json::json;

    #[test]
    fn the_best_option_of_each_rated_question_counts_and_yes_no_and_comments_do_not() {
        let all = builtin().unwrap();
        let (_, q) = all.iter().find(|(id, _)| *id == "satisfaction-outpatient").unwrap();
        let choice = |id: &str, n: usize| {
            let items = q.resource["item"][0]["item"].as_array().unwrap();
            let item = items.iter().find(|i| i["linkId"] == id).unwrap();
            json!({"linkId": id, "answer": [{"valueCoding": item["answerOption"][n]["valueCoding"].clone()}]})
        };
        let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
            "item": [{"linkId": "g", "item": [
                choice("registration", 0), choice("waiting", 1), choice("listened", 0),
                choice("explained", 0), choice("attitude", 2), choice("environment", 0)]},
                {"linkId": "red_envelope", "answer": [{"valueBoolean": false}]},
                {"linkId": "comments", "answer": [{"valueString": "挂号排队太久"}]}]});
        let checked = check(q, &response).unwrap();
        assert_eq!(top_box(q, &checked.answers), (4, 6));
    }
}
