//! What signing a follow-up record decides (随访记录的结果), as pure functions the service applies:
//!
//! - [`contact`]: from the task's state, the contact result and the protocol's retry policy —
//!   the task's transitions, its attempt count and when to try again;
//! - [`outcome`]: from the contact result, the national classification, the outcome rules'
//!   effects and the run of failed follow-ups — the next follow-up's interval, the referral,
//!   the alerts with their first owner, and whether the plan stops (death, 失访).
//!
//! The rules are those of 国家基本公共卫生服务规范（第三版） as `classification.rs` states them:
//! a visit not controlled is followed up within two weeks and raises an alert, a referral or
//! urgent referral raises a severe one; protocol rules may shorten the interval and add alerts.

use super::alert::AlertKind;
use super::classification::{Action, Outcome, VisitClass};
use super::contact::{ContactResult, is_lost, next_attempt};
use super::protocol::{RetryPolicy, StopConditions};
use super::rules::{Effects, Severity};
use super::task::{TaskEvent, TaskState};
use time::OffsetDateTime;

/// One transition to apply, with the name it is logged under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub event: TaskEvent,
    pub name: &'static str,
}

/// What a contact result does to its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactOutcome {
    /// In order; the state machine checks each.
    pub steps: Vec<Step>,
    /// Attempts made, this one included.
    pub attempts: i32,
    /// When an unanswered task comes back, if it has attempts left.
    pub retry_at: Option<OffsetDateTime>,
}

const fn step(event: TaskEvent, name: &'static str) -> Step {
    Step { event, name }
}

/// The transitions a contact result makes from `state`. A pending task reached early opens
/// first; an unanswered or failed one is started again. Reached, refused and deceased complete
/// it; no answer, busy and phone off are tried again after the protocol's spacing until its
/// attempts run out; a wrong number or someone else's phone fails it at once (the number must
/// be corrected before a retry).
pub fn contact(
    state: TaskState,
    result: ContactResult,
    attempts: i32,
    retry: &RetryPolicy,
    now: OffsetDateTime,
) -> ContactOutcome {
    let mut steps = Vec::new();
    if state == TaskState::Pending {
        steps.push(step(TaskEvent::WindowOpened, "opened_early"));
    }
    if matches!(state, TaskState::NoAnswer | TaskState::Failed) {
        steps.push(step(TaskEvent::Started, "retried"));
    }
    let (mut attempts, mut retry_at) = (attempts, None);
    match result {
        ContactResult::Reached | ContactResult::Refused | ContactResult::Deceased => {
            steps.push(step(TaskEvent::Completed, "completed"));
        }
        ContactResult::NoAnswer | ContactResult::Busy | ContactResult::PoweredOff => {
            attempts += 1;
            steps.push(step(TaskEvent::NotReached, "not_reached"));
            retry_at = next_attempt(retry, u32::try_from(attempts).unwrap_or(u32::MAX), now);
            if retry_at.is_none() {
                steps.push(step(TaskEvent::AttemptFailed, "attempts_exhausted"));
            }
        }
        ContactResult::WrongNumber | ContactResult::NotPatient => {
            attempts += 1;
            let name = if result == ContactResult::NotPatient {
                "not_patient"
            } else {
                "wrong_number"
            };
            steps.push(step(TaskEvent::AttemptFailed, name));
        }
    }
    ContactOutcome {
        steps,
        attempts,
        retry_at,
    }
}

/// An alert a visit raises, before it has an owner and an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    pub kind: AlertKind,
    pub reason: String,
}

/// Why a visit stops its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The patient died: this plan and every other stop (the service records the death).
    Deceased,
    /// This many follow-ups in a row failed (失访).
    LostToFollowUp { failures: u32 },
}

/// What a signed visit leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitOutcome {
    /// The next phone follow-up must happen within this ISO 8601 duration, if one is called for.
    pub follow_up_within: Option<String>,
    /// A referral, with its own two-week task for the doctor.
    pub referral: bool,
    pub alerts: Vec<RaisedAlert>,
    pub stop: Option<Stop>,
}

/// Decide what a visit leads to. `class`: the classification of a reached chronic-disease visit;
/// `effects`: what the protocol's matched outcome rules call for; `failures`: the run of failed
/// follow-ups at the end of the plan when this task failed (None otherwise); `shorter(a, b)`:
/// whether duration `a` ends before `b` (calendar maths is the caller's clock).
pub fn outcome(
    result: ContactResult,
    class: Option<Outcome>,
    effects: &Effects,
    failures: Option<u32>,
    stop: &StopConditions,
    shorter: impl Fn(&str, &str) -> bool,
) -> VisitOutcome {
    let not_controlled = class.filter(|o| o.class != VisitClass::Controlled);
    // The strictest interval called for: two weeks after a visit not controlled, or a rule's.
    let mut within = not_controlled.map(|_| "P14D".to_string());
    if let Some(w) = &effects.follow_up_within
        && within.as_deref().is_none_or(|cur| shorter(w, cur))
    {
        within = Some(w.clone());
    }
    let mut alerts = Vec::new();
    if let Some(o) = not_controlled {
        let severe = matches!(o.action, Action::Referral | Action::UrgentReferral);
        alerts.push(RaisedAlert {
            kind: AlertKind::of(severe),
            reason: format!("本次随访评估：{}", o.class.name_zh()),
        });
    }
    for (_rule, a) in &effects.alerts {
        alerts.push(RaisedAlert {
            kind: AlertKind::of(a.severity == Severity::Severe),
            reason: format!("{}（随访方案规则）", a.reason_zh),
        });
    }
    let stop = if result == ContactResult::Deceased {
        Some(Stop::Deceased)
    } else {
        failures.filter(|f| is_lost(stop, *f)).map(|failures| {
            alerts.push(RaisedAlert {
                kind: AlertKind::Mild,
                reason: format!("失访：连续{failures}次随访未能联系到患者，请核实联系方式"),
            });
            Stop::LostToFollowUp { failures }
        })
    };
    VisitOutcome {
        follow_up_within: within,
        referral: class.is_some_and(|o| o.referral) || effects.referral,
        alerts,
        stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::followup::rules::RuleAlert;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 +08:00);

    fn retry(max: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: max,
            spacing: "P1D".into(),
        }
    }

    fn names(o: &ContactOutcome) -> Vec<&'static str> {
        o.steps.iter().map(|s| s.name).collect()
    }

    #[test]
    fn a_reached_refused_or_deceased_contact_completes_the_task() {
        for r in [ContactResult::Reached, ContactResult::Refused, ContactResult::Deceased] {
            let o = contact(TaskState::Due, r, 0, &retry(3), NOW);
            assert_eq!(
                (names(&o), o.attempts, o.retry_at),
                (vec!["completed"], 0, None),
                "{r:?}"
            );
        }
    }

    #[test]
    fn a_pending_task_reached_early_opens_first_and_a_failed_one_is_started_again() {
        let o = contact(TaskState::Pending, ContactResult::Reached, 0, &retry(3), NOW);
        assert_eq!(names(&o), ["opened_early", "completed"]);
        let o = contact(TaskState::NoAnswer, ContactResult::Reached, 1, &retry(3), NOW);
        assert_eq!(names(&o), ["retried", "completed"]);
        let o = contact(TaskState::Failed, ContactResult::Busy, 1, &retry(3), NOW);
        assert_eq!(names(&o), ["retried", "not_reached"]);
    }

    #[test]
    fn an_unanswered_call_comes_back_after_the_spacing_until_its_attempts_run_out() {
        for r in [ContactResult::NoAnswer, ContactResult::Busy, ContactResult::PoweredOff] {
            let o = contact(TaskState::Due, r, 0, &retry(3), NOW);
            assert_eq!(names(&o), ["not_reached"]);
            assert_eq!((o.attempts, o.retry_at), (1, Some(datetime!(2026-03-03 10:00 +08:00))));
        }
        let o = contact(TaskState::InProgress, ContactResult::NoAnswer, 1, &retry(3), NOW);
        assert_eq!(names(&o), ["not_reached"], "the second of three attempts comes back");
        let o = contact(TaskState::InProgress, ContactResult::NoAnswer, 2, &retry(3), NOW);
        assert_eq!(
            (names(&o), o.attempts, o.retry_at),
            (vec!["not_reached", "attempts_exhausted"], 3, None),
            "the third of three fails the task"
        );
    }

    #[test]
    fn a_wrong_number_or_someone_else_s_phone_fails_at_once() {
        let o = contact(TaskState::Due, ContactResult::WrongNumber, 0, &retry(3), NOW);
        assert_eq!((names(&o), o.attempts, o.retry_at), (vec!["wrong_number"], 1, None));
        let o = contact(TaskState::Due, ContactResult::NotPatient, 0, &retry(3), NOW);
        assert_eq!(names(&o), ["not_patient"]);
    }

    fn visit(class: VisitClass, action: Action, referral: bool) -> Option<Outcome> {
        Some(Outcome {
            class,
            action,
            next_within_days: 14,
            referral,
        })
    }

    fn days(d: &str) -> i64 {
        d.trim_start_matches('P')
            .trim_end_matches('D')
            .parse()
            .unwrap_or(i64::MAX)
    }

    fn decide(result: ContactResult, class: Option<Outcome>, effects: &Effects, failures: Option<u32>) -> VisitOutcome {
        let stop = StopConditions {
            lost_after_failed_contacts: 3,
        };
        outcome(result, class, effects, failures, &stop, |a, b| days(a) < days(b))
    }

    #[test]
    fn a_controlled_visit_leads_to_nothing_but_the_next_routine_call() {
        let o = decide(
            ContactResult::Reached,
            visit(VisitClass::Controlled, Action::Routine, false),
            &Effects::default(),
            None,
        );
        assert_eq!(
            o,
            VisitOutcome {
                follow_up_within: None,
                referral: false,
                alerts: vec![],
                stop: None
            }
        );
    }

    #[test]
    fn a_visit_not_controlled_is_followed_up_in_two_weeks_with_a_mild_alert() {
        let o = decide(
            ContactResult::Reached,
            visit(VisitClass::Uncontrolled, Action::AdjustMedication, false),
            &Effects::default(),
            None,
        );
        assert_eq!(o.follow_up_within.as_deref(), Some("P14D"));
        assert_eq!(
            o.alerts,
            [RaisedAlert {
                kind: AlertKind::Mild,
                reason: "本次随访评估：控制不满意".into()
            }]
        );
        assert!(!o.referral);
    }

    #[test]
    fn a_referral_raises_a_severe_alert_and_a_referral() {
        let o = decide(
            ContactResult::Reached,
            visit(VisitClass::Emergency, Action::UrgentReferral, true),
            &Effects::default(),
            None,
        );
        assert!(o.referral);
        assert_eq!(o.alerts[0].kind, AlertKind::Severe);
    }

    #[test]
    fn a_rule_shortens_the_interval_adds_its_alert_and_may_refer() {
        let effects = Effects {
            alerts: vec![(
                "poor-adherence".into(),
                RuleAlert {
                    severity: Severity::Severe,
                    reason_zh: "服药依从性差".into(),
                },
            )],
            referral: true,
            follow_up_within: Some("P7D".into()),
        };
        let o = decide(
            ContactResult::Reached,
            visit(VisitClass::Uncontrolled, Action::AdjustMedication, false),
            &effects,
            None,
        );
        assert_eq!(
            o.follow_up_within.as_deref(),
            Some("P7D"),
            "the stricter of 14 and 7 days"
        );
        assert!(o.referral);
        assert_eq!(o.alerts.len(), 2);
        assert_eq!(
            o.alerts[1],
            RaisedAlert {
                kind: AlertKind::Severe,
                reason: "服药依从性差（随访方案规则）".into()
            }
        );
        let longer = Effects {
            follow_up_within: Some("P30D".into()),
            ..Effects::default()
        };
        let o = decide(
            ContactResult::Reached,
            visit(VisitClass::Uncontrolled, Action::AdjustMedication, false),
            &longer,
            None,
        );
        assert_eq!(
            o.follow_up_within.as_deref(),
            Some("P14D"),
            "a longer rule interval does not relax the standard's"
        );
    }

    #[test]
    fn a_death_stops_the_plan() {
        let o = decide(ContactResult::Deceased, None, &Effects::default(), None);
        assert_eq!(o.stop, Some(Stop::Deceased));
        assert!(o.alerts.is_empty());
    }

    #[test]
    fn a_run_of_failed_follow_ups_makes_the_patient_lost_with_an_alert() {
        let o = decide(ContactResult::WrongNumber, None, &Effects::default(), Some(3));
        assert_eq!(o.stop, Some(Stop::LostToFollowUp { failures: 3 }));
        assert_eq!(o.alerts.len(), 1);
        assert!(o.alerts[0].reason.starts_with("失访：连续3次"));
        let o = decide(ContactResult::WrongNumber, None, &Effects::default(), Some(2));
        assert_eq!(o.stop, None, "two failures are not yet lost");
    }
}
