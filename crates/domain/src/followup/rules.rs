//! Outcome rules (结局规则) of a protocol: a condition over one follow-up visit and the actions
//! it calls for (an alert, a referral, an earlier next follow-up). Conditions are written in
//! CEL, the Common Expression Language (https://github.com/google/cel-spec): a small,
//! side-effect-free, always-terminating language with a published grammar, so a protocol author
//! cannot write a rule that loops, reads files or depends on the machine it runs on.
//!
//! A rule sees these variables (every name is documented in README "Outcome rules"):
//! `contact_result`, `classification`, `visit` (indicator code → value in its canonical unit,
//! only the values recorded at this visit), `answers`, `adverse_drug_reaction`,
//! `new_complication`, `patient` (`age`, `sex`), `history` (`visits`,
//! `previous_classification`, `uncontrolled_streak`) and `tags`.

use super::schedule::Offset;
use crate::FieldError;
use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::{Context, ExecutionError, Program, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The variables a rule may name; anything else is a typo caught at import.
pub const VARIABLES: [&str; 9] = [
    "contact_result",
    "classification",
    "visit",
    "answers",
    "adverse_drug_reaction",
    "new_complication",
    "patient",
    "history",
    "tags",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// Stable within the protocol, e.g. `poor-adherence`.
    pub id: String,
    pub name_zh: String,
    /// A CEL expression that is true when the rule applies.
    pub when: String,
    pub then: RuleAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// To the responsible nurse or health manager.
    Mild,
    /// To the responsible doctor.
    Severe,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleAlert {
    pub severity: Severity,
    /// Shown on the alert, e.g. 服药依从性差，请加强用药指导.
    pub reason_zh: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<RuleAlert>,
    /// A referral (转诊) task for the doctor, with the standard's two-week check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub referral: bool,
    /// ISO 8601 duration: the next follow-up must happen within it (e.g. `P14D`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_within: Option<String>,
}

/// What a rule can see of a visit. Serialised field names are the CEL variable names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitFacts {
    pub contact_result: String,
    /// The national-standard class of a chronic-disease visit; empty when not classified.
    pub classification: String,
    pub visit: BTreeMap<String, f64>,
    /// The record's answers (an object), `{}` when none.
    pub answers: serde_json::Value,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    pub patient: PatientFacts,
    pub history: HistoryFacts,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientFacts {
    pub age: i64,
    /// `male`, `female` or `unknown`.
    pub sex: String,
}

/// The plan's earlier signed records, before this visit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryFacts {
    /// Earlier visits on which the patient was reached.
    pub visits: i64,
    /// Class of the latest earlier classified visit; empty when none.
    pub previous_classification: String,
    /// Consecutive uncontrolled classes immediately before this visit.
    pub uncontrolled_streak: i64,
}

impl HistoryFacts {
    /// From the plan's earlier records, oldest first, as (contact result, classification).
    /// Unclassified records (unanswered calls) neither extend nor break an uncontrolled run.
    pub fn from_earlier<'a>(earlier: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> HistoryFacts {
        let mut h = HistoryFacts::default();
        for (contact, class) in earlier {
            if contact == "reached" {
                h.visits += 1;
            }
            if let Some(c) = class {
                h.uncontrolled_streak = if c == "uncontrolled" {
                    h.uncontrolled_streak + 1
                } else {
                    0
                };
                h.previous_classification = c.to_string();
            }
        }
        h
    }
}

/// A rule whose condition has been parsed and checked.
pub struct CompiledRule<'a> {
    pub rule: &'a OutcomeRule,
    program: Program,
}

/// How one rule came out on one visit.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleResult {
    Matched,
    NotMatched,
    /// The condition could not be evaluated (e.g. compared a number with text); the rule did
    /// not fire. The message names no patient data.
    Failed(String),
}

fn rule_error(i: usize, part: &str, code: &'static str, message: String, message_zh: String) -> FieldError {
    FieldError::new(format!("rules[{i}].{part}"), code, message, message_zh)
}

/// Parse and check every rule: unique ids, a valid condition that names only known variables,
/// a valid duration, and at least one action.
pub fn compile(rules: &[OutcomeRule]) -> Result<Vec<CompiledRule<'_>>, FieldError> {
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let id_ok = !rule.id.trim().is_empty() && !rules[..i].iter().any(|r| r.id == rule.id);
        if !id_ok {
            return Err(rule_error(
                i,
                "id",
                "rule_id_invalid",
                "rule ids must be present and unique".into(),
                "规则编号不能为空且不能重复".into(),
            ));
        }
        let program = compile_condition(&rule.when, &format!("rules[{i}].when"), &VARIABLES)?;
        if let Some(within) = &rule.then.follow_up_within {
            Offset::parse(within, &format!("rules[{i}].then.follow_up_within"))?;
        }
        if rule.then == RuleAction::default() {
            return Err(rule_error(
                i,
                "then",
                "rule_action_missing",
                "a rule needs an alert, a referral or follow_up_within".into(),
                "规则至少需要一个动作（预警、转诊或复访时限）".into(),
            ));
        }
        out.push(CompiledRule { rule, program });
    }
    Ok(out)
}

/// Parse a CEL condition and check it names only `variables` (outcome rules and tag rules
/// share this); errors are reported on `field`.
pub(crate) fn compile_condition(when: &str, field: &str, variables: &[&str]) -> Result<Program, FieldError> {
    let program = Program::compile(when).map_err(|e| {
        FieldError::new(
            field,
            "rule_syntax",
            format!("not a valid CEL expression: {e}"),
            format!("规则条件不是有效的 CEL 表达式：{e}"),
        )
    })?;
    if let Some(unknown) = unknown_variable(&program, variables) {
        return Err(FieldError::new(
            field,
            "rule_variable_unknown",
            format!("unknown variable '{unknown}'; rules may use {}", variables.join(", ")),
            format!("规则中的变量“{unknown}”不存在；可用变量：{}", variables.join("、")),
        ));
    }
    Ok(program)
}

/// The first identifier that is neither a rule variable nor bound by a macro such as
/// `tags.exists(t, …)`.
fn unknown_variable(program: &Program, variables: &[&str]) -> Option<String> {
    let mut bound = HashSet::new();
    bound_names(program.expression(), &mut bound);
    let refs = program.references();
    let mut names = refs.variables();
    names.sort_unstable();
    names
        .into_iter()
        .find(|v| !variables.contains(v) && !bound.contains(*v))
        .map(str::to_string)
}

fn bound_names(e: &IdedExpr, out: &mut HashSet<String>) {
    match &e.expr {
        Expr::Comprehension(c) => {
            out.insert(c.iter_var.clone());
            out.extend(c.iter_var2.clone());
            out.insert(c.accu_var.clone());
            for part in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                bound_names(part, out);
            }
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                bound_names(t, out);
            }
            c.args.iter().for_each(|a| bound_names(a, out));
        }
        Expr::List(l) => l.elements.iter().for_each(|a| bound_names(a, out)),
        Expr::Select(s) => bound_names(&s.operand, out),
        Expr::Map(m) => m.entries.iter().for_each(|en| entry_names(&en.expr, out)),
        Expr::Struct(s) => s.entries.iter().for_each(|en| entry_names(&en.expr, out)),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn entry_names(e: &EntryExpr, out: &mut HashSet<String>) {
    match e {
        EntryExpr::StructField(f) => bound_names(&f.value, out),
        EntryExpr::MapEntry(m) => {
            bound_names(&m.key, out);
            bound_names(&m.value, out);
        }
    }
}

/// Evaluate every rule on one visit, in the protocol's order.
pub fn evaluate(rules: &[CompiledRule<'_>], facts: &VisitFacts) -> Vec<RuleResult> {
    let mut ctx = Context::default();
    let Ok(Value::Map(map)) = cel::to_value(facts) else {
        return rules
            .iter()
            .map(|_| RuleResult::Failed("visit facts not representable".into()))
            .collect();
    };
    for (key, value) in map.map.iter() {
        ctx.add_variable_from_value(key.to_string(), value.clone());
    }
    rules
        .iter()
        .map(|r| match r.program.execute(&ctx) {
            Ok(Value::Bool(true)) => RuleResult::Matched,
            Ok(Value::Bool(false)) => RuleResult::NotMatched,
            // A value not recorded at this visit: a rule about it does not apply.
            Err(ExecutionError::NoSuchKey(_)) => RuleResult::NotMatched,
            Ok(other) => RuleResult::Failed(format!(
                "the condition gave {} instead of true or false",
                other.type_of()
            )),
            Err(e) => RuleResult::Failed(e.to_string()),
        })
        .collect()
}

/// What the matched rules call for together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// One alert per matched rule that raises one, with the rule's id.
    pub alerts: Vec<(String, RuleAlert)>,
    pub referral: bool,
    /// The shortest `follow_up_within` of the matched rules.
    pub follow_up_within: Option<String>,
}

/// Combine the actions of the rules that matched. `shorter(a, b)` decides which of two
/// durations is the stricter (calendar maths belongs to the caller's clock).
pub fn effects(rules: &[CompiledRule<'_>], results: &[RuleResult], shorter: impl Fn(&str, &str) -> bool) -> Effects {
    let mut out = Effects::default();
    for (r, result) in rules.iter().zip(results) {
        if *result != RuleResult::Matched {
            continue;
        }
        let then = &r.rule.then;
        if let Some(a) = &then.alert {
            out.alerts.push((r.rule.id.clone(), a.clone()));
        }
        out.referral |= then.referral;
        if let Some(w) = &then.follow_up_within {
            match &out.follow_up_within {
                Some(current) if !shorter(w, current) => {}
                _ => out.follow_up_within = Some(w.clone()),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, when: &str) -> OutcomeRule {
        OutcomeRule {
            id: id.into(),
            name_zh: id.into(),
            when: when.into(),
            then: RuleAction {
                alert: Some(RuleAlert {
                    severity: Severity::Mild,
                    reason_zh: "测试".into(),
                }),
                ..Default::default()
            },
        }
    }

    fn facts() -> VisitFacts {
        VisitFacts {
            contact_result: "reached".into(),
            classification: "uncontrolled".into(),
            visit: BTreeMap::from([("sbp".into(), 152.0), ("dbp".into(), 88.0)]),
            answers: serde_json::json!({"adherence": "irregular", "smokes": true}),
            patient: PatientFacts {
                age: 67,
                sex: "female".into(),
            },
            history: HistoryFacts {
                visits: 3,
                previous_classification: "uncontrolled".into(),
                uncontrolled_streak: 1,
            },
            tags: vec!["高血压".into()],
            ..Default::default()
        }
    }

    fn run(when: &str) -> RuleResult {
        let rules = [rule("r", when)];
        let compiled = compile(&rules).unwrap();
        evaluate(&compiled, &facts()).remove(0)
    }

    #[test]
    fn conditions_see_values_answers_patient_history_and_tags() {
        assert_eq!(run("visit.sbp >= 150 && patient.age >= 65"), RuleResult::Matched);
        assert_eq!(run("visit.sbp >= 160"), RuleResult::NotMatched);
        assert_eq!(run("answers.adherence == 'irregular'"), RuleResult::Matched);
        assert_eq!(run("answers.smokes"), RuleResult::Matched);
        assert_eq!(
            run("classification == 'uncontrolled' && history.previous_classification == 'uncontrolled'"),
            RuleResult::Matched
        );
        assert_eq!(run("history.uncontrolled_streak >= 2"), RuleResult::NotMatched);
        assert_eq!(run("'高血压' in tags && patient.sex == 'female'"), RuleResult::Matched);
        assert_eq!(run("tags.exists(t, t.startsWith('高'))"), RuleResult::Matched);
        assert_eq!(
            run("contact_result == 'reached' && !adverse_drug_reaction"),
            RuleResult::Matched
        );
    }

    #[test]
    fn a_value_not_recorded_at_the_visit_does_not_fire_the_rule() {
        assert_eq!(run("visit.fpg >= 16.7"), RuleResult::NotMatched);
        assert_eq!(run("has(visit.fpg) && visit.fpg >= 16.7"), RuleResult::NotMatched);
        assert_eq!(run("!has(visit.fpg)"), RuleResult::Matched);
    }

    #[test]
    fn a_condition_that_cannot_be_evaluated_fails_without_firing() {
        assert!(matches!(
            run("visit.sbp == 'high'"),
            RuleResult::Failed(_) | RuleResult::NotMatched
        ));
        assert!(matches!(run("visit.sbp + 1"), RuleResult::Failed(_)));
        assert!(matches!(run("patient.age"), RuleResult::Failed(m) if m.contains("true or false")));
    }

    #[test]
    fn import_rejects_bad_syntax_unknown_variables_and_empty_actions_with_the_field() {
        let bad = |r: OutcomeRule| compile(std::slice::from_ref(&r)).err().unwrap();
        let e = bad(rule("a", "visit.sbp >="));
        assert_eq!((e.field.as_str(), e.code), ("rules[0].when", "rule_syntax"));
        let e = bad(rule("a", "vist.sbp >= 140"));
        assert_eq!((e.field.as_str(), e.code), ("rules[0].when", "rule_variable_unknown"));
        assert!(e.message.contains("'vist'"));
        let mut r = rule("a", "true");
        r.then = RuleAction::default();
        assert_eq!(bad(r).code, "rule_action_missing");
        let mut r = rule("a", "true");
        r.then.follow_up_within = Some("2 weeks".into());
        assert_eq!(bad(r).field, "rules[0].then.follow_up_within");
        let twice = [rule("a", "true"), rule("a", "false")];
        assert_eq!(compile(&twice).err().unwrap().field, "rules[1].id");
    }

    #[test]
    fn history_counts_reached_visits_and_the_trailing_uncontrolled_run() {
        let h = HistoryFacts::from_earlier([
            ("reached", Some("uncontrolled")),
            ("reached", Some("controlled")),
            ("reached", Some("uncontrolled")),
            ("no_answer", None),
            ("reached", Some("uncontrolled")),
        ]);
        assert_eq!(h.visits, 4);
        assert_eq!(h.uncontrolled_streak, 2, "the unanswered call does not break the run");
        assert_eq!(h.previous_classification, "uncontrolled");
        assert_eq!(HistoryFacts::from_earlier([]), HistoryFacts::default());
    }

    #[test]
    fn matched_rules_combine_alerts_referral_and_the_shortest_interval() {
        let mut a = rule("a", "true");
        a.then.follow_up_within = Some("P14D".into());
        let mut b = rule("b", "visit.sbp >= 150");
        b.then.referral = true;
        b.then.follow_up_within = Some("P7D".into());
        let mut c = rule("c", "false");
        c.then.referral = true;
        let rules = [a, b, c];
        let compiled = compile(&rules).unwrap();
        let results = evaluate(&compiled, &facts());
        let days = |s: &str| s.trim_start_matches('P').trim_end_matches('D').parse::<u32>().unwrap();
        let e = effects(&compiled, &results, |x, y| days(x) < days(y));
        assert_eq!(
            e.alerts.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(e.referral);
        assert_eq!(e.follow_up_within.as_deref(), Some("P7D"));
    }
}
