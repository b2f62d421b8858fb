//! The questions of a follow-up form besides measured values (随访表单的问答项), and the check
//! each answer typed by staff passes before the record is signed: a choice from its list, a
//! scale within its ends, a number within what a person can have. Outcome rules read the
//! answers as stored, so a rule on 伤口红肿 fires only if 红肿 is one of the wound's choices.
//!
//! Sources of the lists: 服药依从性 规律/间断/不服药 is the national standard's follow-up record
//! (国家基本公共卫生服务规范（第三版）, 高血压/2型糖尿病患者随访服务记录表); the wound findings
//! and the 0–10 numeric rating scale for pain (NRS, as used in Chinese post-operative care) are
//! those of common discharge follow-up forms; a body temperature outside 34–43 ℃ is a typing error.

use crate::FieldError;
use serde_json::Value;

/// 服药依从性 as the national standard's follow-up record lists it.
pub const ADHERENCE: [&str; 3] = ["规律", "间断", "不服药"];

/// What a wound may show (several at once, except 无异常).
pub const WOUND: [&str; 5] = ["无异常", "红肿", "渗液", "裂开", "出血"];

/// How several ticked findings are stored: one string, so a rule's `contains` finds each.
pub const JOIN: &str = "、";

/// The kind of a form question, by its name in the protocol's form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Question {
    /// One of fixed answers.
    Choice(&'static [&'static str]),
    /// Any of fixed findings, or the first (none) alone.
    Findings(&'static [&'static str]),
    /// A whole number from 0 to the end of the scale.
    Scale(u8),
    /// A number with its unit and the range a person can have.
    Number { unit: &'static str, min: f64, max: f64 },
    /// A short free answer (at most 200 characters).
    Text,
}

/// The question a form field asks (measured values and yes/no flags are not answers).
pub fn question(name: &str) -> Question {
    match name {
        "medication_adherence" => Question::Choice(&ADHERENCE),
        "wound" => Question::Findings(&WOUND),
        "pain" => Question::Scale(10),
        "temperature" => Question::Number {
            unit: "℃",
            min: 34.0,
            max: 43.0,
        },
        _ => Question::Text,
    }
}

fn invalid(name: &str, en: String, zh: String) -> FieldError {
    FieldError::new(format!("answers.{name}"), "answer_invalid", en, zh)
}

/// Check one answer against its question.
pub fn check_answer(name: &str, value: &Value) -> Result<(), FieldError> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(invalid(
                name,
                format!("{name} must be text or a number"),
                "回答应为文字或数字".into(),
            ));
        }
    };
    match question(name) {
        Question::Choice(options) if !options.contains(&text.as_str()) => Err(invalid(
            name,
            format!("{name} must be one of {}", options.join(", ")),
            format!("请从 {} 中选择", options.join("、")),
        )),
        Question::Findings(options) => {
            let picked: Vec<&str> = text.split(JOIN).map(str::trim).collect();
            if picked.iter().any(|p| !options.contains(p)) {
                return Err(invalid(
                    name,
                    format!("{name} must be among {}", options.join(", ")),
                    format!("请从 {} 中勾选", options.join("、")),
                ));
            }
            if picked.len() > 1 && picked.contains(&options[0]) {
                return Err(invalid(
                    name,
                    format!("{} cannot go with another finding", options[0]),
                    format!("“{}”不能与其他情况同时勾选", options[0]),
                ));
            }
            Ok(())
        }
        Question::Scale(end) => match text.parse::<u8>() {
            Ok(v) if v <= end => Ok(()),
            _ => Err(invalid(
                name,
                format!("{name} must be a whole number from 0 to {end}"),
                format!("请选择 0–{end} 分"),
            )),
        },
        Question::Number { unit, min, max } => match text.parse::<f64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(()),
            _ => Err(invalid(
                name,
                format!("{name} must be a number from {min} to {max} {unit}"),
                format!("请填写 {min}–{max} {unit} 之间的数字"),
            )),
        },
        Question::Text if text.chars().count() > 200 => Err(invalid(
            name,
            format!("{name} is longer than 200 characters"),
            "回答不能超过200字".into(),
        )),
        _ => Ok(()),
    }
}

/// Check every answer of a record typed by staff: an object of answers, each passing its check.
pub fn check(answers: &Value) -> Result<(), FieldError> {
    let Value::Object(map) = answers else {
        return Err(FieldError::new(
            "answers",
            "answers_invalid",
            "answers must be an object of named answers",
            "回答格式无效",
        ));
    };
    map.iter().try_for_each(|(name, value)| check_answer(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_answer_is_checked_against_its_question() {
        assert!(check(&json!({"medication_adherence": "规律", "wound": "红肿、渗液", "pain": "7", "temperature": 38.6, "symptoms": "头晕"})).is_ok());
        assert!(check(&json!({"pain": 10})).is_ok());
        for bad in [
            json!({"medication_adherence": "偶尔"}),
            json!({"wound": "有点红"}),
            json!({"wound": "无异常、红肿"}),
            json!({"pain": "11"}),
            json!({"pain": "3.5"}),
            json!({"temperature": "39度"}),
            json!({"temperature": 389}),
            json!({"symptoms": "头".repeat(201)}),
            json!({"wound": ["红肿"]}),
            json!(["红肿"]),
        ] {
            assert!(check(&bad).is_err(), "{bad}");
        }
        let e = check(&json!({"temperature": "389"})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message_zh.as_str()),
            ("answers.temperature", "请填写 34–43 ℃ 之间的数字")
        );
    }
}
