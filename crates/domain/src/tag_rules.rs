//! Tag rules (自动标签规则): a tag such as 高血压 or 高危未复诊 set on every patient whose record
//! satisfies a CEL condition — the same language as protocols' outcome rules — and taken off
//! when it no longer does. Tags set by staff are never removed by a rule. A tag may trigger a
//! protocol (`"trigger": {"kind": "tag"}`), so a rule can enrol patients.
//!
//! A rule sees (README "Tag rules" documents every name):
//! - `latest`: indicator code → the latest value in its canonical unit (last 3 years);
//! - `flags`: indicator code → `low` / `normal` / `high` of that value;
//! - `diagnoses`: ICD-10 codes;
//! - `answers`: questionnaire id → `{total, band}` of the latest scored response;
//! - `risk`: `{tier}` — `high`, `medium`, `low` or empty;
//! - `patient`: `{age, sex}`;
//! - `history`: `{overdue_tasks, days_since_last_visit}` (−1 when never visited);
//! - `tags`: the tags staff set by hand.

use crate::FieldError;
use crate::followup::rules::compile_condition;
use cel::{Context, ExecutionError, Program, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const VARIABLES: [&str; 8] = [
    "latest",
    "flags",
    "diagnoses",
    "answers",
    "risk",
    "patient",
    "history",
    "tags",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagRule {
    /// Stable id, e.g. `central-obesity`.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub id: String,
    /// The tag it sets, e.g. 中心性肥胖 (at most 20 characters).
    pub tag: String,
    /// What it means and where the cut points come from.
    pub description_zh: String,
    /// A CEL condition over the variables above.
    pub when: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnswerFacts {
    pub total: f64,
    pub band: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RiskFacts {
    pub tier: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PatientFacts {
    pub age: i64,
    pub sex: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HistoryFacts {
    pub overdue_tasks: i64,
    pub days_since_last_visit: i64,
}

/// What a tag rule sees of one patient. Field names are the CEL variable names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TagFacts {
    pub latest: BTreeMap<String, f64>,
    pub flags: BTreeMap<String, String>,
    pub diagnoses: Vec<String>,
    pub answers: BTreeMap<String, AnswerFacts>,
    pub risk: RiskFacts,
    pub patient: PatientFacts,
    pub history: HistoryFacts,
    pub tags: Vec<String>,
}

pub struct CompiledTagRule {
    pub rule: TagRule,
    program: Program,
}

fn invalid(field: &str, code: &'static str, message: String, zh: String) -> FieldError {
    FieldError::new(field, code, message, zh)
}

impl CompiledTagRule {
    /// Check a rule: an id, a short one-line tag, a condition naming only known variables.
    pub fn compile(rule: TagRule) -> Result<CompiledTagRule, FieldError> {
        let id_ok = !rule.id.is_empty()
            && rule.id.len() <= 64
            && rule
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(invalid(
                "id",
                "rule_id_invalid",
                "id: 1–64 lowercase letters, digits or '-'".into(),
                "规则编号应为小写字母、数字或-".into(),
            ));
        }
        let tag = rule.tag.trim();
        if tag.is_empty() || tag.chars().count() > 20 || tag.contains(['\n', '\r']) {
            return Err(invalid(
                "tag",
                "tag_invalid",
                "tag: 1–20 characters on one line".into(),
                "标签最多20个字，不能换行".into(),
            ));
        }
        let program = compile_condition(&rule.when, "when", &VARIABLES)?;
        Ok(CompiledTagRule { rule, program })
    }

    /// Whether the patient has the tag by this rule. A value the patient does not have makes a
    /// comparison with it false; any other failure is an error naming no patient data.
    pub fn matches(&self, facts: &TagFacts) -> Result<bool, String> {
        let mut ctx = Context::default();
        let Ok(Value::Map(map)) = cel::to_value(facts) else {
            return Err("facts not representable".into());
        };
        for (key, value) in map.map.iter() {
            ctx.add_variable_from_value(key.to_string(), value.clone());
        }
        match self.program.execute(&ctx) {
            Ok(Value::Bool(b)) => Ok(b),
            Err(ExecutionError::NoSuchKey(_)) => Ok(false),
            Ok(other) => Err(format!(
                "the condition gave {} instead of true or false",
                other.type_of()
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The rules every installation starts with. Cut points: 中国高血压防治指南 2018 (140/90),
/// 中国2型糖尿病防治指南 2020 (IFG 6.1–<7.0), WS/T 428-2013 (waist ≥90 / ≥85 cm).
pub fn builtins() -> Vec<TagRule> {
    let rule = |id: &str, tag: &str, d: &str, when: &str| TagRule {
        id: id.into(),
        tag: tag.into(),
        description_zh: d.into(),
        when: when.into(),
    };
    vec![
        rule(
            "hypertension",
            "高血压",
            "已诊断高血压（ICD-10 I10–I15）",
            r#"diagnoses.exists(d, d.startsWith("I10") || d.startsWith("I11") || d.startsWith("I12") || d.startsWith("I13") || d.startsWith("I15"))"#,
        ),
        rule(
            "raised-bp",
            "血压升高待确诊",
            "未诊断高血压，最近一次血压 ≥140/90 mmHg（中国高血压防治指南 2018），需非同日复测",
            r#"!diagnoses.exists(d, d.startsWith("I1")) && (latest.sbp >= 140.0 || latest.dbp >= 90.0)"#,
        ),
        rule(
            "prediabetes",
            "糖尿病前期",
            "未诊断糖尿病，空腹血糖 6.1–<7.0 mmol/L 或已诊断糖尿病前期（R73）",
            r#"!diagnoses.exists(d, d.startsWith("E1")) && (diagnoses.exists(d, d.startsWith("R73")) || (latest.fpg >= 6.1 && latest.fpg < 7.0))"#,
        ),
        rule(
            "central-obesity",
            "中心性肥胖",
            "腰围 男≥90 cm、女≥85 cm（WS/T 428-2013）",
            r#"latest.waist >= (patient.sex == "male" ? 90.0 : 85.0)"#,
        ),
        rule(
            "high-risk-overdue",
            "高危未复诊",
            "风险分层为高危，且有超期未完成的随访",
            r#"risk.tier == "high" && history.overdue_tasks > 0"#,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TagFacts {
        TagFacts {
            patient: PatientFacts {
                age: 58,
                sex: "male".into(),
            },
            history: HistoryFacts {
                overdue_tasks: 0,
                days_since_last_visit: -1,
            },
            ..TagFacts::default()
        }
    }

    fn rule(id: &str) -> CompiledTagRule {
        CompiledTagRule::compile(builtins().into_iter().find(|r| r.id == id).unwrap()).unwrap()
    }

    #[test]
    fn every_builtin_compiles() {
        for r in builtins() {
            CompiledTagRule::compile(r.clone()).unwrap_or_else(|e| panic!("{}: {}", r.id, e.message));
        }
    }

    #[test]
    fn central_obesity_at_its_edges_by_sex() {
        let r = rule("central-obesity");
        let mut f = facts();
        assert_eq!(r.matches(&f), Ok(false), "no waist on record");
        f.latest.insert("waist".into(), 89.9);
        assert_eq!(r.matches(&f), Ok(false));
        f.latest.insert("waist".into(), 90.0);
        assert_eq!(r.matches(&f), Ok(true));
        f.patient.sex = "female".into();
        f.latest.insert("waist".into(), 85.0);
        assert_eq!(r.matches(&f), Ok(true));
        f.latest.insert("waist".into(), 84.9);
        assert_eq!(r.matches(&f), Ok(false));
    }

    #[test]
    fn prediabetes_needs_no_diabetes_diagnosis() {
        let r = rule("prediabetes");
        let mut f = facts();
        f.latest.insert("fpg".into(), 6.1);
        assert_eq!(r.matches(&f), Ok(true));
        f.latest.insert("fpg".into(), 7.0);
        assert_eq!(r.matches(&f), Ok(false));
        f.latest.insert("fpg".into(), 6.5);
        f.diagnoses.push("E11.9".into());
        assert_eq!(r.matches(&f), Ok(false));
        let mut g = facts();
        g.diagnoses.push("R73.0".into());
        assert_eq!(r.matches(&g), Ok(true));
    }

    #[test]
    fn raised_bp_and_high_risk_overdue() {
        let bp = rule("raised-bp");
        let mut f = facts();
        f.latest.insert("sbp".into(), 138.0);
        f.latest.insert("dbp".into(), 90.0);
        assert_eq!(bp.matches(&f), Ok(true));
        let mut only_dbp = facts();
        only_dbp.latest.insert("dbp".into(), 95.0);
        assert_eq!(
            bp.matches(&only_dbp),
            Ok(true),
            "a missing SBP does not hide a raised DBP"
        );
        f.diagnoses.push("I10".into());
        assert_eq!(bp.matches(&f), Ok(false), "diagnosed: 高血压, not 待确诊");
        assert_eq!(rule("hypertension").matches(&f), Ok(true));
        let overdue = rule("high-risk-overdue");
        f.risk.tier = "high".into();
        assert_eq!(overdue.matches(&f), Ok(false));
        f.history.overdue_tasks = 1;
        assert_eq!(overdue.matches(&f), Ok(true));
    }

    #[test]
    fn bad_rules_are_refused_with_the_field() {
        let r = |when: &str| TagRule {
            id: "x".into(),
            tag: "t".into(),
            description_zh: String::new(),
            when: when.into(),
        };
        let err = |t: TagRule| CompiledTagRule::compile(t).err().map(|e| (e.field, e.code));
        assert_eq!(err(r("latest.sbp >")), Some(("when".into(), "rule_syntax")));
        assert_eq!(
            err(r("visit.sbp > 1.0")),
            Some(("when".into(), "rule_variable_unknown"))
        );
        assert_eq!(
            err(TagRule {
                id: "Bad Id".into(),
                ..r("true")
            }),
            Some(("id".into(), "rule_id_invalid"))
        );
        assert_eq!(
            err(TagRule {
                tag: "一二三四五六七八九十一二三四五六七八九十一".into(),
                ..r("true")
            }),
            Some(("tag".into(), "tag_invalid"))
        );
        assert!(CompiledTagRule::compile(r(r#"answers["phq-9"].total >= 10.0"#)).is_ok());
    }
}
