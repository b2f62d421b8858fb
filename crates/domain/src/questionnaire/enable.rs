//! Skip logic (`enableWhen` / `enableBehavior`): which items are shown for a set of answers.
//!
//! Per FHIR R4: an item is enabled when all (or, with `enableBehavior: any`, any) of its
//! conditions hold and its parent group is enabled. A condition on a question with no answer
//! is false, except `exists = false`. A disabled question's answers do not count, so hiding one
//! item can hide the items that depend on it; this is computed to a fixed point.

use super::{AnswerValue, EnableBehavior, EnableWhen, Item, Operator, Questionnaire};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Answers by link id.
pub type Answers = HashMap<String, Vec<AnswerValue>>;

/// The link ids of every enabled item.
pub fn enabled_items(q: &Questionnaire, answers: &Answers) -> HashSet<String> {
    let all = q.all_items();
    let mut enabled: HashSet<String> = all.iter().map(|i| i.link_id.clone()).collect();
    // Each pass can only settle more of the dependency chain; chains are at most as long as
    // the item list, and a cycle (which FHIR forbids) stops at the bound.
    for _ in 0..=all.len() {
        let mut next = HashSet::new();
        walk(&q.items, true, answers, &enabled, &mut next);
        if next == enabled {
            break;
        }
        enabled = next;
    }
    enabled
}

fn walk(items: &[Item], parent: bool, answers: &Answers, enabled: &HashSet<String>, out: &mut HashSet<String>) {
    for item in items {
        let on = parent && conditions_hold(item, answers, enabled);
        if on {
            out.insert(item.link_id.clone());
        }
        walk(&item.items, on, answers, enabled, out);
    }
}

fn conditions_hold(item: &Item, answers: &Answers, enabled: &HashSet<String>) -> bool {
    if item.enable_when.is_empty() {
        return true;
    }
    let holds = |ew: &EnableWhen| {
        let given: &[AnswerValue] = if enabled.contains(&ew.question) {
            answers.get(&ew.question).map_or(&[], Vec::as_slice)
        } else {
            &[]
        };
        condition(ew, given)
    };
    match item.enable_behavior {
        EnableBehavior::All => item.enable_when.iter().all(holds),
        EnableBehavior::Any => item.enable_when.iter().any(holds),
    }
}

/// One condition against the answers given to its question.
pub fn condition(ew: &EnableWhen, given: &[AnswerValue]) -> bool {
    if ew.operator == Operator::Exists {
        return matches!(ew.answer, AnswerValue::Boolean(b) if b != given.is_empty());
    }
    if given.is_empty() {
        return false;
    }
    match ew.operator {
        Operator::Equal => given.iter().any(|a| a.same_as(&ew.answer)),
        Operator::NotEqual => !given.iter().any(|a| a.same_as(&ew.answer)),
        op => given.iter().any(|a| {
            compare(a, &ew.answer).is_some_and(|o| match op {
                Operator::Greater => o == Ordering::Greater,
                Operator::Less => o == Ordering::Less,
                Operator::GreaterOrEqual => o != Ordering::Less,
                Operator::LessOrEqual => o != Ordering::Greater,
                _ => false,
            })
        }),
    }
}

/// Order two values of comparable kinds: numbers (integer, decimal, quantity) by value, dates,
/// times and strings as written (ISO 8601 sorts as text).
fn compare(a: &AnswerValue, b: &AnswerValue) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.number(), b.number()) {
        return x.partial_cmp(&y);
    }
    use AnswerValue as V;
    match (a, b) {
        (V::Date(x), V::Date(y))
        | (V::DateTime(x), V::DateTime(y))
        | (V::Time(x), V::Time(y))
        | (V::String(x), V::String(y)) => Some(x.cmp(y)),
        (V::Date(x), V::DateTime(y)) | (V::DateTime(x), V::Date(y)) => {
            Some(x[..10.min(x.len())].cmp(&y[..10.min(y.len())]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(items: serde_json::Value) -> Questionnaire {
        Questionnaire::from_value(json!({"resourceType": "Questionnaire", "item": items})).unwrap()
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
        let mut a = Answers::new();
        for (k, v) in pairs {
            a.entry(k.to_string()).or_default().push(v.clone());
        }
        a
    }

    fn ew(op: &str, answer: serde_json::Value) -> serde_json::Value {
        let mut e = json!({"question": "q", "operator": op});
        let (k, v) = answer.as_object().unwrap().iter().next().unwrap();
        e[k] = v.clone();
        e
    }

    #[test]
    fn every_operator_compares_as_fhir_says() {
        let cases = [
            (
                "exists",
                json!({"answerBoolean": true}),
                Some(AnswerValue::Integer(0)),
                true,
            ),
            ("exists", json!({"answerBoolean": true}), None, false),
            ("exists", json!({"answerBoolean": false}), None, true),
            ("=", json!({"answerInteger": 3}), Some(AnswerValue::Integer(3)), true),
            ("=", json!({"answerInteger": 3}), Some(AnswerValue::Decimal(3.0)), true),
            ("=", json!({"answerInteger": 3}), None, false),
            ("!=", json!({"answerInteger": 3}), Some(AnswerValue::Integer(4)), true),
            ("!=", json!({"answerInteger": 3}), None, false),
            (
                ">",
                json!({"answerDecimal": 37.5}),
                Some(AnswerValue::Decimal(38.0)),
                true,
            ),
            (
                ">",
                json!({"answerDecimal": 37.5}),
                Some(AnswerValue::Decimal(37.5)),
                false,
            ),
            (
                ">=",
                json!({"answerDecimal": 37.5}),
                Some(AnswerValue::Decimal(37.5)),
                true,
            ),
            (
                "<",
                json!({"answerDate": "2026-01-01"}),
                Some(AnswerValue::Date("2025-12-31".into())),
                true,
            ),
            ("<=", json!({"answerInteger": 5}), Some(AnswerValue::Integer(6)), false),
            (
                "=",
                json!({"answerBoolean": true}),
                Some(AnswerValue::Boolean(true)),
                true,
            ),
            (
                "=",
                json!({"answerCoding": {"system": "s", "code": "y"}}),
                Some(AnswerValue::Coding {
                    system: None,
                    code: "y".into(),
                }),
                true,
            ),
            (
                "=",
                json!({"answerCoding": {"system": "s", "code": "y"}}),
                Some(AnswerValue::Coding {
                    system: Some("t".into()),
                    code: "y".into(),
                }),
                false,
            ),
            (
                ">",
                json!({"answerString": "b"}),
                Some(AnswerValue::Boolean(true)),
                false,
            ),
        ];
        for (op, answer, given, want) in cases {
            let questionnaire = q(json!([
                {"linkId": "q", "type": "integer"},
                {"linkId": "d", "type": "string", "enableWhen": [ew(op, answer.clone())]}
            ]));
            let a = match &given {
                Some(v) => answers(&[("q", v.clone())]),
                None => Answers::new(),
            };
            assert_eq!(
                enabled_items(&questionnaire, &a).contains("d"),
                want,
                "{op} {answer} given {given:?}"
            );
        }
    }

    #[test]
    fn any_and_all_behaviours_nested_groups_and_chains() {
        let questionnaire = q(json!([
            {"linkId": "smoke", "type": "boolean"},
            {"linkId": "age", "type": "integer"},
            {"linkId": "grp", "type": "group", "enableBehavior": "any", "enableWhen": [
                {"question": "smoke", "operator": "=", "answerBoolean": true},
                {"question": "age", "operator": ">=", "answerInteger": 65}
            ], "item": [
                {"linkId": "years", "type": "integer"},
                {"linkId": "quit", "type": "boolean", "enableWhen": [
                    {"question": "years", "operator": ">", "answerInteger": 10}
                ]}
            ]},
            {"linkId": "both", "type": "string", "enableWhen": [
                {"question": "smoke", "operator": "=", "answerBoolean": true},
                {"question": "age", "operator": ">=", "answerInteger": 65}
            ]}
        ]));
        let on = |pairs: &[(&str, AnswerValue)]| {
            let mut v: Vec<String> = enabled_items(&questionnaire, &answers(pairs)).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(on(&[]), ["age", "smoke"]);
        assert_eq!(
            on(&[("age", AnswerValue::Integer(70))]),
            ["age", "grp", "smoke", "years"]
        );
        assert_eq!(
            on(&[("smoke", AnswerValue::Boolean(true)), ("age", AnswerValue::Integer(70))]),
            ["age", "both", "grp", "smoke", "years"]
        );
        assert_eq!(
            on(&[
                ("smoke", AnswerValue::Boolean(true)),
                ("years", AnswerValue::Integer(20))
            ]),
            ["age", "grp", "quit", "smoke", "years"]
        );
        // Hiding the group hides its children, and the answer inside it stops counting.
        assert_eq!(
            on(&[
                ("smoke", AnswerValue::Boolean(false)),
                ("years", AnswerValue::Integer(20))
            ]),
            ["age", "smoke"]
        );
    }

    #[test]
    fn a_hidden_question_does_not_enable_its_dependants() {
        let questionnaire = q(json!([
            {"linkId": "a", "type": "boolean"},
            {"linkId": "b", "type": "integer", "enableWhen": [{"question": "a", "operator": "=", "answerBoolean": true}]},
            {"linkId": "c", "type": "string", "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": true}]}
        ]));
        let shown = enabled_items(
            &questionnaire,
            &answers(&[("a", AnswerValue::Boolean(false)), ("b", AnswerValue::Integer(1))]),
        );
        assert!(!shown.contains("b") && !shown.contains("c"), "{shown:?}");
    }
}
