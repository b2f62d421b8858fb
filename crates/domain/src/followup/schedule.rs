//! Schedule maths for protocol steps: ISO 8601 durations ("P3D", "P2W", "P1M", "P3M", "PT2H")
//! measured from an anchor (enrolment, discharge) in China Standard Time, with calendar months
//! (an anchor on 31 January plus one month is 28 or 29 February, not 3 March).
//!
//! jiff does the calendar arithmetic; China has had no daylight saving time since 1991, so a
//! fixed +08:00 offset is exact and no time-zone database is needed.

use crate::FieldError;
use jiff::Span;
use jiff::civil::DateTime;
use time::OffsetDateTime;

pub use crate::clock::CHINA;

/// A validated, non-negative ISO 8601 duration.
#[derive(Debug, Clone, Copy)]
pub struct Offset {
    span: Span,
}

impl Offset {
    pub fn parse(raw: &str, field: &str) -> Result<Offset, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                "duration_invalid",
                format!("{field} must be an ISO 8601 duration such as P3D, P2W, P1M or PT2H"),
                "时间间隔格式无效，应为 ISO 8601 格式，例如 P3D、P2W、P1M",
            )
        };
        let raw = raw.trim();
        // jiff also reads its "friendly" format ("3 days"); protocols use ISO 8601 only.
        if !raw.starts_with(['P', 'p']) {
            return Err(invalid());
        }
        let span: Span = raw.parse().map_err(|_| invalid())?;
        if span.is_negative() {
            return Err(invalid());
        }
        Ok(Offset { span })
    }

    /// Whether the duration is zero (a recurrence of zero would never advance).
    pub fn is_zero(&self) -> bool {
        self.span.is_zero()
    }

    /// `t` plus this duration `times` times, as calendar arithmetic in China time.
    pub fn after(&self, t: OffsetDateTime, times: i64) -> Option<OffsetDateTime> {
        shift(t, &[(self.span, times)])
    }
}

/// `t` plus the sum of `spans` (each multiplied), computed as one calendar shift from `t` so
/// that month-end clamping happens once.
fn shift(t: OffsetDateTime, spans: &[(Span, i64)]) -> Option<OffsetDateTime> {
    let local = t.to_offset(CHINA);
    let civil = DateTime::new(
        i16::try_from(local.year()).ok()?,
        local.month() as i8,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        0,
    )
    .ok()?;
    let shifted = civil.checked_add(sum(spans)?).ok()?;
    let month = time::Month::try_from(u8::try_from(shifted.month()).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::from(shifted.year()), month, u8::try_from(shifted.day()).ok()?).ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(shifted.hour()).ok()?,
        u8::try_from(shifted.minute()).ok()?,
        u8::try_from(shifted.second()).ok()?,
    )
    .ok()?;
    Some(OffsetDateTime::new_in_offset(date, clock, CHINA))
}

/// The unit-by-unit sum of `spans`, each multiplied: months add to months and days to days,
/// so "P3M + 2 × P3M" is nine months, not three months and then six.
fn sum(spans: &[(Span, i64)]) -> Option<Span> {
    let mut units = [0i64; 7];
    for (s, n) in spans {
        let parts = [
            i64::from(s.get_years()),
            i64::from(s.get_months()),
            i64::from(s.get_weeks()),
            i64::from(s.get_days()),
            i64::from(s.get_hours()),
            s.get_minutes(),
            s.get_seconds(),
        ];
        for (u, p) in units.iter_mut().zip(parts) {
            *u = u.checked_add(p.checked_mul(*n)?)?;
        }
    }
    let [y, mo, w, d, h, mi, sec] = units;
    Span::new()
        .try_years(y)
        .and_then(|s| s.try_months(mo))
        .and_then(|s| s.try_weeks(w))
        .and_then(|s| s.try_days(d))
        .and_then(|s| s.try_hours(h))
        .and_then(|s| s.try_minutes(mi))
        .and_then(|s| s.try_seconds(sec))
        .ok()
}

/// Due times of a step: `anchor + offset`, then every `every` after that, up to and including
/// `until`, at most `max` of them. Each occurrence is computed from the anchor (not from the
/// previous one), so month-end clamping does not drift.
pub fn occurrences(
    anchor: OffsetDateTime,
    offset: &Offset,
    every: Option<&Offset>,
    until: OffsetDateTime,
    max: usize,
) -> Vec<OffsetDateTime> {
    let mut out = Vec::new();
    match every.filter(|e| !e.is_zero()) {
        None => {
            if let Some(first) = offset.after(anchor, 1).filter(|t| *t <= until) {
                out.push(first);
            }
        }
        Some(every) => {
            for n in 0..max as i64 {
                match shift(anchor, &[(offset.span, 1), (every.span, n)]) {
                    Some(t) if t <= until => out.push(t),
                    _ => break,
                }
            }
        }
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn off(s: &str) -> Offset {
        Offset::parse(s, "offset").unwrap()
    }

    #[test]
    fn days_weeks_and_hours_add_as_expected() {
        let t = datetime!(2026-11-22 09:00 +08:00);
        assert_eq!(off("P3D").after(t, 1), Some(datetime!(2026-11-25 09:00 +08:00)));
        assert_eq!(off("P2W").after(t, 1), Some(datetime!(2026-12-06 09:00 +08:00)));
        assert_eq!(off("PT2H").after(t, 1), Some(datetime!(2026-11-22 11:00 +08:00)));
    }

    #[test]
    fn months_are_calendar_months_clamped_at_month_end() {
        let t = datetime!(2027-01-31 10:00 +08:00);
        assert_eq!(off("P1M").after(t, 1), Some(datetime!(2027-02-28 10:00 +08:00)));
        assert_eq!(
            off("P1M").after(datetime!(2028-01-31 10:00 +08:00), 1),
            Some(datetime!(2028-02-29 10:00 +08:00))
        );
    }

    #[test]
    fn arithmetic_happens_in_china_time() {
        // 20:00 UTC on the 31st is already 04:00 on 1 February in Beijing.
        let t = datetime!(2027-01-31 20:00 UTC);
        assert_eq!(off("P1M").after(t, 1), Some(datetime!(2027-03-01 04:00 +08:00)));
    }

    #[test]
    fn quarterly_recurrence_gives_four_visits_a_year_without_drift() {
        let anchor = datetime!(2026-01-31 09:00 +08:00);
        let due = occurrences(
            anchor,
            &off("P3M"),
            Some(&off("P3M")),
            datetime!(2027-01-31 09:00 +08:00),
            100,
        );
        let dates: Vec<String> = due.iter().map(|t| t.date().to_string()).collect();
        assert_eq!(dates, ["2026-04-30", "2026-07-31", "2026-10-31", "2027-01-31"]);
    }

    #[test]
    fn a_one_off_step_happens_once_and_only_before_the_horizon() {
        let anchor = datetime!(2026-11-01 09:00 +08:00);
        assert_eq!(
            occurrences(anchor, &off("P7D"), None, datetime!(2026-12-01 00:00 +08:00), 10).len(),
            1
        );
        assert!(occurrences(anchor, &off("P60D"), None, datetime!(2026-12-01 00:00 +08:00), 10).is_empty());
    }

    #[test]
    fn recurrence_stops_at_max() {
        let anchor = datetime!(2026-11-01 09:00 +08:00);
        assert_eq!(
            occurrences(
                anchor,
                &off("P1D"),
                Some(&off("P1D")),
                datetime!(2030-01-01 00:00 +08:00),
                5
            )
            .len(),
            5
        );
    }

    #[test]
    fn bad_and_negative_durations_are_rejected() {
        for bad in ["3 days", "P", "-P3D", "P3X", ""] {
            let e = Offset::parse(bad, "steps[0].offset").unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("steps[0].offset", "duration_invalid"),
                "{bad}"
            );
        }
    }
}
