//! Reaching the patient: when an unanswered contact is tried again, when a run of failed
//! contacts makes a patient lost to follow-up (失访), and the quiet hours (免打扰) in which no
//! automated message may go out.

use super::protocol::{RetryPolicy, StopConditions};
use super::schedule::{CHINA, Offset};
use super::task::TaskState;
use crate::FieldError;
use time::{OffsetDateTime, Time};

/// What came of one attempt to reach the patient (联系结果, UX.md §5). `PoweredOff` (关机/停机)
/// is tried again like an unanswered call; `NotPatient` (非本人) means the number reaches
/// someone else and, like a wrong number, needs correcting before a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactResult {
    Reached,
    NoAnswer,
    Busy,
    PoweredOff,
    WrongNumber,
    NotPatient,
    Refused,
    Deceased,
}

impl ContactResult {
    pub const ALL: [ContactResult; 8] = [
        ContactResult::Reached,
        ContactResult::NoAnswer,
        ContactResult::Busy,
        ContactResult::PoweredOff,
        ContactResult::WrongNumber,
        ContactResult::NotPatient,
        ContactResult::Refused,
        ContactResult::Deceased,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactResult::Reached => "reached",
            ContactResult::NoAnswer => "no_answer",
            ContactResult::Busy => "busy",
            ContactResult::PoweredOff => "powered_off",
            ContactResult::WrongNumber => "wrong_number",
            ContactResult::NotPatient => "not_patient",
            ContactResult::Refused => "refused",
            ContactResult::Deceased => "deceased",
        }
    }

    /// Read a submitted or stored code.
    pub fn parse(raw: &str) -> Result<ContactResult, FieldError> {
        ContactResult::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| {
                let codes: Vec<&str> = ContactResult::ALL.iter().map(|r| r.as_str()).collect();
                FieldError::new(
                    "contact_result",
                    "contact_result_invalid",
                    format!("contact_result must be one of {}", codes.join(", ")),
                    "联系结果不在可选范围内",
                )
            })
    }
}

/// When to try an unanswered task again, or `None` when its attempts are used up and it fails.
pub fn next_attempt(policy: &RetryPolicy, attempts_made: u32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if attempts_made >= policy.max_attempts {
        return None;
    }
    Offset::parse(&policy.spacing, "retry.spacing").ok()?.after(now, 1)
}

/// The run of failed follow-ups at the end of a plan's finished tasks, given in due order.
/// A completed follow-up ends the run; open and cancelled tasks do not count either way
/// (an overdue task nobody tried is the service's failure, not the patient's).
pub fn trailing_failures(finished_in_due_order: &[TaskState]) -> u32 {
    let mut run = 0;
    for s in finished_in_due_order {
        match s {
            TaskState::Failed => run += 1,
            TaskState::Done => run = 0,
            _ => {}
        }
    }
    run
}

/// Whether `failures` consecutive failed follow-ups make the patient lost to follow-up.
pub fn is_lost(stop: &StopConditions, failures: u32) -> bool {
    stop.lost_after_failed_contacts > 0 && failures >= stop.lost_after_failed_contacts
}

/// A daily window, in China time, in which automated messages are held back. A window whose
/// start is after its end wraps midnight (21:00–08:00); equal start and end means no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl Default for QuietHours {
    /// 21:00–08:00, the usual rule for health messages in China.
    fn default() -> Self {
        QuietHours {
            start: Time::from_hms(21, 0, 0).unwrap_or(Time::MIDNIGHT),
            end: Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT),
        }
    }
}

impl QuietHours {
    /// Read a stored `HH:MM` pair; either missing means the default.
    pub fn from_stored(start: Option<&str>, end: Option<&str>) -> Result<QuietHours, FieldError> {
        match (start, end) {
            (Some(s), Some(e)) => Ok(QuietHours {
                start: parse_hhmm(s, "quiet_start")?,
                end: parse_hhmm(e, "quiet_end")?,
            }),
            _ => Ok(QuietHours::default()),
        }
    }

    /// Whether `at` falls inside the window.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        let t = at.to_offset(CHINA).time();
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// The window as `HH:MM–HH:MM`.
    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}–{:02}:{:02}",
            self.start.hour(),
            self.start.minute(),
            self.end.hour(),
            self.end.minute()
        )
    }
}

/// A local time written `HH:MM` (24-hour).
pub fn parse_hhmm(raw: &str, field: &str) -> Result<Time, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "time_invalid",
            format!("{field} must be a time written HH:MM, e.g. 21:00"),
            "时间格式应为 HH:MM，例如 21:00",
        )
    };
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u8 = h.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskState as S;
    use time::macros::{datetime, time};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            spacing: "P1D".into(),
        }
    }

    #[test]
    fn unanswered_calls_are_retried_a_day_later_until_the_attempts_are_used_up() {
        let now = datetime!(2026-11-22 10:30 +08:00);
        assert_eq!(
            next_attempt(&policy(), 1, now),
            Some(datetime!(2026-11-23 10:30 +08:00))
        );
        assert_eq!(
            next_attempt(&policy(), 2, now),
            Some(datetime!(2026-11-23 10:30 +08:00))
        );
        assert_eq!(next_attempt(&policy(), 3, now), None);
    }

    #[test]
    fn only_an_unbroken_run_of_failures_at_the_end_counts() {
        assert_eq!(trailing_failures(&[]), 0);
        assert_eq!(trailing_failures(&[S::Failed, S::Failed, S::Done, S::Failed]), 1);
        assert_eq!(
            trailing_failures(&[S::Done, S::Failed, S::Cancelled, S::Failed, S::Overdue]),
            2
        );
        let stop = StopConditions {
            lost_after_failed_contacts: 3,
        };
        assert!(!is_lost(&stop, 2));
        assert!(is_lost(&stop, 3));
        assert!(!is_lost(
            &StopConditions {
                lost_after_failed_contacts: 0
            },
            9
        ));
    }

    #[test]
    fn the_default_quiet_hours_wrap_midnight_in_china_time() {
        let q = QuietHours::default();
        assert!(q.contains(datetime!(2026-11-22 21:00 +08:00)));
        assert!(q.contains(datetime!(2026-11-22 02:00 +08:00)));
        assert!(q.contains(datetime!(2026-11-22 07:59 +08:00)));
        assert!(!q.contains(datetime!(2026-11-22 08:00 +08:00)));
        assert!(!q.contains(datetime!(2026-11-22 20:59 +08:00)));
        // 13:30 UTC is 21:30 in Beijing.
        assert!(q.contains(datetime!(2026-11-22 13:30 UTC)));
        assert_eq!(q.label(), "21:00–08:00");
    }

    #[test]
    fn a_daytime_window_and_an_empty_window() {
        let lunch = QuietHours::from_stored(Some("12:00"), Some("14:00")).unwrap();
        assert!(lunch.contains(datetime!(2026-11-22 12:30 +08:00)));
        assert!(!lunch.contains(datetime!(2026-11-22 14:00 +08:00)));
        let none = QuietHours::from_stored(Some("00:00"), Some("00:00")).unwrap();
        assert!(!none.contains(datetime!(2026-11-22 03:00 +08:00)));
        assert_eq!(
            QuietHours::from_stored(None, Some("07:00")).unwrap(),
            QuietHours::default()
        );
    }

    #[test]
    fn times_must_be_written_hh_mm() {
        assert_eq!(parse_hhmm("07:05", "x").unwrap(), time!(07:05));
        for bad in ["7:05", "24:00", "12:60", "noon", "12-00", ""] {
            assert_eq!(
                parse_hhmm(bad, "quiet_start").unwrap_err().field,
                "quiet_start",
                "{bad}"
            );
        }
    }
}
