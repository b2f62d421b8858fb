//! The life cycle of a follow-up task (随访任务) as an explicit state machine. Every change of
//! state goes through [`transition`], so an impossible change (completing a cancelled task,
//! reopening a done one) is an error rather than a silent overwrite, and every accepted
//! transition can be recorded.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Scheduled; its window has not opened yet.
    Pending,
    /// Its window is open: on today's worklist or ready to be sent.
    Due,
    /// A nurse has started it, or a message went out and an answer is awaited.
    InProgress,
    /// Completed with a signed follow-up record.
    Done,
    /// Attempted without reaching the patient; will be retried.
    NoAnswer,
    /// The attempt failed (wrong number, channel error); may be retried.
    Failed,
    /// Its deadline passed before it was done.
    Overdue,
    /// Will not be done (plan stopped, patient withdrew or died).
    Cancelled,
}

impl TaskState {
    pub const ALL: [TaskState; 8] = [
        TaskState::Pending,
        TaskState::Due,
        TaskState::InProgress,
        TaskState::Done,
        TaskState::NoAnswer,
        TaskState::Failed,
        TaskState::Overdue,
        TaskState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Due => "due",
            TaskState::InProgress => "in_progress",
            TaskState::Done => "done",
            TaskState::NoAnswer => "no_answer",
            TaskState::Failed => "failed",
            TaskState::Overdue => "overdue",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            TaskState::Pending => "待开始",
            TaskState::Due => "应访",
            TaskState::InProgress => "进行中",
            TaskState::Done => "已访",
            TaskState::NoAnswer => "未接通",
            TaskState::Failed => "失败",
            TaskState::Overdue => "超期",
            TaskState::Cancelled => "已取消",
        }
    }

    /// The state stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Done and cancelled tasks never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskState::Done | TaskState::Cancelled)
    }

    /// A stored state that still needs someone or something: not done, not cancelled.
    pub fn is_open(stored: &str) -> bool {
        TaskState::parse(stored).is_some_and(|s| !s.is_terminal())
    }

    /// Whether a task in this stored state can be settled now (its window open, not yet
    /// settled): what a record signed on it, or answers entered for it, would complete.
    pub fn can_complete(stored: &str) -> bool {
        TaskState::parse(stored).is_some_and(|s| transition(s, TaskEvent::Completed).is_ok())
    }
}

/// What happens to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskEvent {
    /// The scheduler reached the start of the window.
    WindowOpened,
    /// A nurse opened it, or an automated step was sent.
    Started,
    /// A follow-up record was signed.
    Completed,
    /// The patient was not reached (no answer, busy, switched off).
    NotReached,
    /// The attempt could not be made or failed for good (wrong number, channel error).
    AttemptFailed,
    /// A retry was scheduled after a failed or unanswered attempt.
    RetryScheduled,
    /// The scheduler found the deadline passed.
    DeadlinePassed,
    /// The task was cancelled (plan stopped, patient withdrew or died).
    Cancelled,
    /// Staff moved the task to another day; it waits for its new window.
    Rescheduled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: TaskState,
    pub event: TaskEvent,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} task cannot take event {:?}", self.from.as_str(), self.event)
    }
}

impl std::error::Error for IllegalTransition {}

/// The state after `event`, or why it cannot happen.
pub fn transition(from: TaskState, event: TaskEvent) -> Result<TaskState, IllegalTransition> {
    use TaskEvent as E;
    use TaskState as S;
    let to = match (from, event) {
        (S::Pending, E::WindowOpened) => S::Due,
        (S::Due | S::Overdue | S::NoAnswer | S::Failed, E::Started) => S::InProgress,
        (S::Due | S::InProgress | S::Overdue | S::NoAnswer, E::Completed) => S::Done,
        (S::Due | S::InProgress | S::Overdue, E::NotReached) => S::NoAnswer,
        (S::Due | S::InProgress | S::Overdue | S::NoAnswer, E::AttemptFailed) => S::Failed,
        (S::NoAnswer | S::Failed, E::RetryScheduled) => S::Due,
        (S::Pending | S::Due | S::InProgress | S::NoAnswer, E::DeadlinePassed) => S::Overdue,
        (s, E::Cancelled) if !s.is_terminal() => S::Cancelled,
        (S::Pending | S::Due | S::NoAnswer | S::Failed | S::Overdue, E::Rescheduled) => S::Pending,
        _ => return Err(IllegalTransition { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskEvent as E;
    use TaskState as S;

    const EVENTS: [TaskEvent; 9] = [
        E::WindowOpened,
        E::Started,
        E::Completed,
        E::NotReached,
        E::AttemptFailed,
        E::RetryScheduled,
        E::DeadlinePassed,
        E::Cancelled,
        E::Rescheduled,
    ];

    /// Every allowed transition, written out once more as a table to check the function against.
    const ALLOWED: &[(TaskState, TaskEvent, TaskState)] = &[
        (S::Pending, E::WindowOpened, S::Due),
        (S::Pending, E::DeadlinePassed, S::Overdue),
        (S::Pending, E::Cancelled, S::Cancelled),
        (S::Pending, E::Rescheduled, S::Pending),
        (S::Due, E::Rescheduled, S::Pending),
        (S::NoAnswer, E::Rescheduled, S::Pending),
        (S::Failed, E::Rescheduled, S::Pending),
        (S::Overdue, E::Rescheduled, S::Pending),
        (S::Due, E::Started, S::InProgress),
        (S::Due, E::Completed, S::Done),
        (S::Due, E::NotReached, S::NoAnswer),
        (S::Due, E::AttemptFailed, S::Failed),
        (S::Due, E::DeadlinePassed, S::Overdue),
        (S::Due, E::Cancelled, S::Cancelled),
        (S::InProgress, E::Completed, S::Done),
        (S::InProgress, E::NotReached, S::NoAnswer),
        (S::InProgress, E::AttemptFailed, S::Failed),
        (S::InProgress, E::DeadlinePassed, S::Overdue),
        (S::InProgress, E::Cancelled, S::Cancelled),
        (S::NoAnswer, E::Started, S::InProgress),
        (S::NoAnswer, E::Completed, S::Done),
        (S::NoAnswer, E::AttemptFailed, S::Failed),
        (S::NoAnswer, E::RetryScheduled, S::Due),
        (S::NoAnswer, E::DeadlinePassed, S::Overdue),
        (S::NoAnswer, E::Cancelled, S::Cancelled),
        (S::Failed, E::Started, S::InProgress),
        (S::Failed, E::RetryScheduled, S::Due),
        (S::Failed, E::Cancelled, S::Cancelled),
        (S::Overdue, E::Started, S::InProgress),
        (S::Overdue, E::Completed, S::Done),
        (S::Overdue, E::NotReached, S::NoAnswer),
        (S::Overdue, E::AttemptFailed, S::Failed),
        (S::Overdue, E::Cancelled, S::Cancelled),
    ];

    #[test]
    fn open_tasks_are_those_not_done_or_cancelled() {
        assert!(TaskState::is_open("pending") && TaskState::is_open("overdue") && TaskState::is_open("no_answer"));
        assert!(!TaskState::is_open("done") && !TaskState::is_open("cancelled"));
        assert!(!TaskState::is_open("unknown"), "a state no one knows is not worked");
    }

    #[test]
    fn exactly_the_listed_transitions_are_allowed() {
        for from in S::ALL {
            for event in EVENTS {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(transition(from, event).ok(), expected, "{from:?} + {event:?}");
            }
        }
    }

    #[test]
    fn done_and_cancelled_tasks_never_change() {
        for event in EVENTS {
            assert!(transition(S::Done, event).is_err());
            assert!(transition(S::Cancelled, event).is_err());
        }
    }

    #[test]
    fn a_typical_phone_follow_up_with_one_missed_call() {
        let mut s = S::Pending;
        for e in [
            E::WindowOpened,
            E::Started,
            E::NotReached,
            E::RetryScheduled,
            E::Started,
            E::Completed,
        ] {
            s = transition(s, e).unwrap();
        }
        assert_eq!(s, S::Done);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in S::ALL {
            assert_eq!(TaskState::parse(s.as_str()), Some(s));
        }
        assert_eq!(TaskState::parse("later"), None);
    }

    #[test]
    fn the_error_names_the_state_and_event() {
        let e = transition(S::Done, E::Started).unwrap_err();
        assert_eq!(e.to_string(), "a done task cannot take event Started");
    }
}
