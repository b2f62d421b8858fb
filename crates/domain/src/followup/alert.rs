//! Alerts (预警): who owns one, how long they have (SLA), and what happens when nobody acts —
//! it escalates to the next role. Mild findings go to the nurse, severe ones to the doctor;
//! an unacknowledged alert moves nurse → doctor → administrator (quality office, 质控).
//! Negative emotions in a patient's own words go to the psychologist (心理支持), and to the
//! doctor if nobody takes them up within a day.

use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Closed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        [AlertStatus::Open, AlertStatus::Acknowledged, AlertStatus::Closed]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    /// Acknowledging is only possible while open.
    pub fn acknowledge(self) -> Option<AlertStatus> {
        (self == AlertStatus::Open).then_some(AlertStatus::Acknowledged)
    }

    /// Closing is possible from open or acknowledged, once.
    pub fn close(self) -> Option<AlertStatus> {
        (self != AlertStatus::Closed).then_some(AlertStatus::Closed)
    }
}

/// What an alert is about, which decides who gets it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A severe finding (emergency values, suicidal thoughts): the doctor.
    Severe,
    /// A mild finding: the nurse.
    Mild,
    /// A negative emotion in the patient's own words: the psychologist (心理支持).
    NegativeEmotion,
}

impl AlertKind {
    /// Severe or mild.
    pub fn of(severe: bool) -> AlertKind {
        if severe { AlertKind::Severe } else { AlertKind::Mild }
    }

    /// The stored severity: only a severe finding is `severe`.
    pub fn severity(self) -> &'static str {
        if self == AlertKind::Severe { "severe" } else { "mild" }
    }
}

/// Who owns a new alert and how long they have: severe findings go to the doctor within the
/// hour, mild ones to the nurse within three days, negative emotions to the psychologist within
/// a day.
pub fn first_owner(kind: AlertKind) -> (&'static str, Duration) {
    match kind {
        AlertKind::Severe => ("doctor", Duration::hours(1)),
        AlertKind::Mild => ("nurse", Duration::days(3)),
        AlertKind::NegativeEmotion => ("psychologist", Duration::hours(24)),
    }
}

/// The role an unacknowledged alert passes to when its owner's SLA runs out, and the SLA the
/// new owner gets. `None`: nobody above (the administrator keeps it, and it stays on the
/// quality office's list).
pub fn escalation(owner_role: &str) -> Option<(&'static str, Duration)> {
    match owner_role {
        "nurse" | "health_manager" => Some(("doctor", Duration::hours(1))),
        "psychologist" => Some(("doctor", Duration::hours(4))),
        "doctor" => Some(("admin", Duration::hours(4))),
        _ => None,
    }
}

/// The roles whose alerts are on the desk of a user with `role`: their own, and a health
/// manager also works the nurse's, as the escalation ladder treats the two alike.
pub fn desk_of(role: &str) -> &'static [&'static str] {
    match role {
        "nurse" => &["nurse"],
        "health_manager" => &["health_manager", "nurse"],
        "doctor" => &["doctor"],
        "psychologist" => &["psychologist"],
        "admin" => &["admin"],
        _ => &[],
    }
}

/// The order alerts are worked in: severe before mild, then the least time left (the longest
/// overdue first).
pub fn urgency(severity: &str, sla_due_at: time::OffsetDateTime) -> (bool, time::OffsetDateTime) {
    (severity != "severe", sla_due_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severe_alerts_go_to_the_doctor_mild_to_the_nurse_and_emotions_to_the_psychologist() {
        assert_eq!(first_owner(AlertKind::of(true)), ("doctor", Duration::hours(1)));
        assert_eq!(first_owner(AlertKind::of(false)), ("nurse", Duration::days(3)));
        assert_eq!(
            first_owner(AlertKind::NegativeEmotion),
            ("psychologist", Duration::hours(24))
        );
        assert_eq!(AlertKind::NegativeEmotion.severity(), "mild");
    }

    #[test]
    fn alerts_escalate_nurse_to_doctor_to_admin_and_stop() {
        assert_eq!(escalation("nurse"), Some(("doctor", Duration::hours(1))));
        assert_eq!(escalation("health_manager"), Some(("doctor", Duration::hours(1))));
        assert_eq!(escalation("psychologist"), Some(("doctor", Duration::hours(4))));
        assert_eq!(escalation("doctor"), Some(("admin", Duration::hours(4))));
        assert_eq!(escalation("admin"), None);
    }

    #[test]
    fn severe_alerts_come_first_then_the_least_time_left() {
        use time::macros::datetime;
        let mut alerts = [
            ("mild", datetime!(2026-12-06 08:00 UTC)),
            ("severe", datetime!(2026-12-06 12:00 UTC)),
            ("severe", datetime!(2026-12-06 09:00 UTC)),
        ];
        alerts.sort_by_key(|(s, due)| urgency(s, *due));
        assert_eq!(
            alerts.map(|(s, due)| (s, due.hour())),
            [("severe", 9), ("severe", 12), ("mild", 8)]
        );
    }

    #[test]
    fn a_health_manager_works_the_nurses_alerts_and_nobody_else_anothers() {
        assert_eq!(desk_of("health_manager"), ["health_manager", "nurse"]);
        assert_eq!(desk_of("doctor"), ["doctor"]);
        assert!(desk_of("someone").is_empty());
    }

    #[test]
    fn an_alert_is_acknowledged_once_and_closed_once() {
        let a = AlertStatus::Open.acknowledge().unwrap();
        assert_eq!(a.acknowledge(), None);
        let c = a.close().unwrap();
        assert_eq!(c, AlertStatus::Closed);
        assert_eq!(c.close(), None);
        assert_eq!(AlertStatus::Open.close(), Some(AlertStatus::Closed));
        assert_eq!(AlertStatus::parse("acknowledged"), Some(AlertStatus::Acknowledged));
    }
}
