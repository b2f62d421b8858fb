//! Classification of a hypertension or type 2 diabetes follow-up visit and the action it
//! implies, as defined by 国家基本公共卫生服务规范（第三版）(National Basic Public Health Service
//! Standard, 3rd edition, 2017): 高血压患者健康管理服务规范 and 2型糖尿病患者健康管理服务规范.
//! See ../shared/CLINICAL.md §1.1–1.2 for the paraphrased rules and their sources.
//!
//! - Hypertension is controlled (控制满意) when SBP < 140 **and** DBP < 90 mmHg; from age 65 the
//!   target is < 150/90 (third edition).
//! - Type 2 diabetes is controlled when fasting glucose < 7.0 mmol/L.
//! - Emergencies (urgent referral, check within 2 weeks): SBP ≥ 180 and/or DBP ≥ 110 mmHg (both
//!   conditions); for diabetes also FPG ≥ 16.7 or ≤ 3.9 mmol/L; or an emergency symptom.
//! - First uncontrolled visit or adverse drug reaction (药物不良反应): adjust medication, next
//!   follow-up within 2 weeks.
//! - Two consecutive uncontrolled visits, an ADR that persists, or a new or worse complication
//!   (并发症): refer upward and check on the referral within 2 weeks.
//! - Controlled: routine follow-up; at least 4 visits a year, i.e. within about 3 months.

use crate::critical;
use serde::{Deserialize, Serialize};

/// The chronic condition a visit is managed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Hypertension,
    Type2Diabetes,
}

/// The class of a visit (随访分类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitClass {
    /// 控制满意
    Controlled,
    /// 控制不满意
    Uncontrolled,
    /// 药物不良反应
    AdverseReaction,
    /// 并发症
    Complication,
    /// 紧急情况: treat, then refer urgently
    Emergency,
}

impl VisitClass {
    pub const ALL: [VisitClass; 5] = [
        VisitClass::Controlled,
        VisitClass::Uncontrolled,
        VisitClass::AdverseReaction,
        VisitClass::Complication,
        VisitClass::Emergency,
    ];

    /// The class stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<VisitClass> {
        VisitClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VisitClass::Controlled => "controlled",
            VisitClass::Uncontrolled => "uncontrolled",
            VisitClass::AdverseReaction => "adverse_reaction",
            VisitClass::Complication => "complication",
            VisitClass::Emergency => "emergency",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            VisitClass::Controlled => "控制满意",
            VisitClass::Uncontrolled => "控制不满意",
            VisitClass::AdverseReaction => "药物不良反应",
            VisitClass::Complication => "并发症",
            VisitClass::Emergency => "紧急转诊",
        }
    }
}

/// What the visit found. Values absent from the visit are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VisitFindings {
    pub age: i32,
    pub sbp: Option<f64>,
    pub dbp: Option<f64>,
    /// Fasting plasma glucose, mmol/L.
    pub fpg: Option<f64>,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    /// Any emergency symptom of the standard's list (altered consciousness, severe headache,
    /// chest tightness, pregnancy with raised BP, ...), as judged by the nurse.
    pub emergency_symptom: bool,
}

/// What the previous visit of the same plan was classified as, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct History {
    pub previous: Option<VisitClass>,
}

/// What the visit's class implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Book the next routine visit.
    Routine,
    /// Check adherence, adjust medication; see the patient again soon.
    AdjustMedication,
    /// Recommend referral to a higher-level hospital and check on it.
    Referral,
    /// Treat first, refer urgently, check on it.
    UrgentReferral,
}

/// The outcome of classifying one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub class: VisitClass,
    pub action: Action,
    /// Days until the next follow-up is due at the latest.
    pub next_within_days: i64,
    pub referral: bool,
}

/// Routine interval: ≥ 4 visits a year means at most about three months apart.
pub const ROUTINE_DAYS: i64 = 90;
/// The standard's "within 2 weeks".
pub const SOON_DAYS: i64 = 14;

/// The blood-pressure target for a patient of `age`: (SBP, DBP) upper bounds, exclusive.
pub fn bp_target(age: i32) -> (f64, f64) {
    if age >= 65 { (150.0, 90.0) } else { (140.0, 90.0) }
}

fn bp_emergency(f: &VisitFindings) -> bool {
    f.sbp.is_some_and(|s| critical::national("sbp", s, false).is_some())
        || f.dbp.is_some_and(|d| critical::national("dbp", d, false).is_some())
}

fn glucose_emergency(f: &VisitFindings) -> bool {
    // Glucose is classified on the diabetes protocol: the patient has diabetes.
    f.fpg.is_some_and(|g| critical::national("fpg", g, true).is_some())
}

/// Whether the disease is under control at this visit. Missing measurements count as not
/// controlled: the standard counts a patient without a qualifying measurement as not at target.
fn controlled(condition: Condition, f: &VisitFindings) -> bool {
    match condition {
        Condition::Hypertension => {
            let (s_max, d_max) = bp_target(f.age);
            matches!((f.sbp, f.dbp), (Some(s), Some(d)) if s < s_max && d < d_max)
        }
        Condition::Type2Diabetes => f.fpg.is_some_and(|g| g < 7.0),
    }
}

/// Classify a visit and say what follows, per the national standard.
pub fn classify(condition: Condition, f: &VisitFindings, history: History) -> Outcome {
    let emergency =
        f.emergency_symptom || bp_emergency(f) || (condition == Condition::Type2Diabetes && glucose_emergency(f));
    let outcome = |class, action, next_within_days| Outcome {
        class,
        action,
        next_within_days,
        referral: matches!(action, Action::Referral | Action::UrgentReferral),
    };
    if emergency {
        return outcome(VisitClass::Emergency, Action::UrgentReferral, SOON_DAYS);
    }
    if f.new_complication {
        return outcome(VisitClass::Complication, Action::Referral, SOON_DAYS);
    }
    if f.adverse_drug_reaction {
        // An ADR that was already there last time is "hard to control": refer.
        let persistent = history.previous == Some(VisitClass::AdverseReaction);
        let action = if persistent {
            Action::Referral
        } else {
            Action::AdjustMedication
        };
        return outcome(VisitClass::AdverseReaction, action, SOON_DAYS);
    }
    if !controlled(condition, f) {
        let second = history.previous == Some(VisitClass::Uncontrolled);
        let action = if second {
            Action::Referral
        } else {
            Action::AdjustMedication
        };
        return outcome(VisitClass::Uncontrolled, action, SOON_DAYS);
    }
    outcome(VisitClass::Controlled, Action::Routine, ROUTINE_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Condition::{Hypertension as Htn, Type2Diabetes as Dm};

    fn bp(age: i32, sbp: f64, dbp: f64) -> VisitFindings {
        VisitFindings {
            age,
            sbp: Some(sbp),
            dbp: Some(dbp),
            ..Default::default()
        }
    }

    fn fpg(g: f64) -> VisitFindings {
        VisitFindings {
            age: 60,
            sbp: Some(120.0),
            dbp: Some(75.0),
            fpg: Some(g),
            ..Default::default()
        }
    }

    fn class(c: Condition, f: VisitFindings) -> VisitClass {
        classify(c, &f, History::default()).class
    }

    #[test]
    fn under_65_the_target_is_below_140_over_90() {
        assert_eq!(class(Htn, bp(64, 139.0, 89.0)), VisitClass::Controlled);
        assert_eq!(class(Htn, bp(64, 140.0, 80.0)), VisitClass::Uncontrolled);
        assert_eq!(class(Htn, bp(64, 130.0, 90.0)), VisitClass::Uncontrolled);
    }

    #[test]
    fn from_65_the_target_is_below_150_over_90() {
        assert_eq!(class(Htn, bp(65, 149.0, 89.0)), VisitClass::Controlled);
        assert_eq!(class(Htn, bp(65, 145.0, 85.0)), VisitClass::Controlled);
        assert_eq!(class(Htn, bp(65, 150.0, 80.0)), VisitClass::Uncontrolled);
        assert_eq!(
            class(Htn, bp(80, 140.0, 90.0)),
            VisitClass::Uncontrolled,
            "DBP target stays 90"
        );
    }

    #[test]
    fn both_sbp_and_dbp_must_meet_the_target() {
        assert_eq!(class(Htn, bp(50, 120.0, 95.0)), VisitClass::Uncontrolled);
        assert_eq!(class(Htn, bp(50, 145.0, 70.0)), VisitClass::Uncontrolled);
    }

    #[test]
    fn sbp_180_or_dbp_110_is_an_emergency_for_both_conditions() {
        for c in [Htn, Dm] {
            assert_eq!(class(c, bp(50, 180.0, 100.0)), VisitClass::Emergency);
            assert_eq!(class(c, bp(50, 170.0, 110.0)), VisitClass::Emergency);
            assert_ne!(class(c, bp(50, 179.0, 109.0)), VisitClass::Emergency);
        }
        let o = classify(Htn, &bp(70, 185.0, 100.0), History::default());
        assert_eq!(
            (o.action, o.referral, o.next_within_days),
            (Action::UrgentReferral, true, 14)
        );
    }

    #[test]
    fn fasting_glucose_7_0_is_not_controlled_and_6_9_is() {
        assert_eq!(class(Dm, fpg(6.9)), VisitClass::Controlled);
        assert_eq!(class(Dm, fpg(7.0)), VisitClass::Uncontrolled);
    }

    #[test]
    fn glucose_16_7_or_3_9_is_an_emergency() {
        assert_eq!(class(Dm, fpg(16.7)), VisitClass::Emergency);
        assert_eq!(class(Dm, fpg(16.6)), VisitClass::Uncontrolled);
        assert_eq!(class(Dm, fpg(3.9)), VisitClass::Emergency);
        assert_eq!(class(Dm, fpg(4.0)), VisitClass::Controlled);
        assert_eq!(
            class(Htn, fpg(3.5)),
            VisitClass::Controlled,
            "glucose does not classify a hypertension visit"
        );
    }

    #[test]
    fn a_first_uncontrolled_visit_means_adjusting_and_two_weeks() {
        let o = classify(
            Htn,
            &bp(50, 150.0, 95.0),
            History {
                previous: Some(VisitClass::Controlled),
            },
        );
        assert_eq!(
            o,
            Outcome {
                class: VisitClass::Uncontrolled,
                action: Action::AdjustMedication,
                next_within_days: 14,
                referral: false
            }
        );
    }

    #[test]
    fn two_consecutive_uncontrolled_visits_mean_referral() {
        let o = classify(
            Dm,
            &fpg(8.2),
            History {
                previous: Some(VisitClass::Uncontrolled),
            },
        );
        assert_eq!(
            (o.class, o.action, o.referral, o.next_within_days),
            (VisitClass::Uncontrolled, Action::Referral, true, 14)
        );
    }

    #[test]
    fn adverse_reactions_adjust_first_and_refer_when_they_persist() {
        let f = VisitFindings {
            adverse_drug_reaction: true,
            ..bp(50, 120.0, 80.0)
        };
        let first = classify(Htn, &f, History::default());
        assert_eq!(
            (first.class, first.action, first.next_within_days),
            (VisitClass::AdverseReaction, Action::AdjustMedication, 14)
        );
        let again = classify(
            Htn,
            &f,
            History {
                previous: Some(VisitClass::AdverseReaction),
            },
        );
        assert_eq!((again.action, again.referral), (Action::Referral, true));
    }

    #[test]
    fn a_new_complication_means_referral_within_two_weeks() {
        let f = VisitFindings {
            new_complication: true,
            ..bp(50, 120.0, 80.0)
        };
        let o = classify(Htn, &f, History::default());
        assert_eq!(
            (o.class, o.action, o.referral, o.next_within_days),
            (VisitClass::Complication, Action::Referral, true, 14)
        );
    }

    #[test]
    fn emergency_symptoms_override_normal_values() {
        let f = VisitFindings {
            emergency_symptom: true,
            ..bp(50, 120.0, 80.0)
        };
        assert_eq!(class(Htn, f), VisitClass::Emergency);
    }

    #[test]
    fn a_controlled_visit_books_routine_follow_up_within_three_months() {
        let o = classify(Htn, &bp(50, 128.0, 82.0), History::default());
        assert_eq!(
            (o.class, o.action, o.next_within_days, o.referral),
            (VisitClass::Controlled, Action::Routine, 90, false)
        );
    }

    #[test]
    fn classes_round_trip_through_their_names() {
        for c in VisitClass::ALL {
            assert_eq!(VisitClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(VisitClass::parse("fine"), None);
    }

    #[test]
    fn missing_measurements_are_not_counted_as_controlled() {
        let f = VisitFindings {
            age: 50,
            sbp: Some(120.0),
            ..Default::default()
        };
        assert_eq!(class(Htn, f), VisitClass::Uncontrolled);
        assert_eq!(
            class(
                Dm,
                VisitFindings {
                    age: 50,
                    ..Default::default()
                }
            ),
            VisitClass::Uncontrolled
        );
    }
}
