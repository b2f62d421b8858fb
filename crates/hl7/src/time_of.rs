//! HL7 v2 timestamps (`YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]`). A timestamp without a zone is
//! taken as China time (UTC+8), the zone of the hospital systems that send them here.

use hl7_parser::datetime::TimeStamp;
use time::macros::offset;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

pub fn timestamp(raw: &str) -> Option<OffsetDateTime> {
    let ts: TimeStamp = raw.trim().parse().ok()?;
    let date = Date::from_calendar_date(
        i32::from(ts.year),
        Month::try_from(ts.month.unwrap_or(1)).ok()?,
        ts.day.unwrap_or(1),
    )
    .ok()?;
    let time = Time::from_hms_micro(
        ts.hour.unwrap_or(0),
        ts.minute.unwrap_or(0),
        ts.second.unwrap_or(0),
        ts.microsecond.unwrap_or(0),
    )
    .ok()?;
    let zone = match ts.offset {
        Some(o) => {
            let minutes = i8::try_from(o.minutes).ok()?;
            UtcOffset::from_hms(o.hours, if o.hours < 0 { -minutes } else { minutes }, 0).ok()?
        }
        None => offset!(+8),
    };
    Some(date.with_time(time).assume_offset(zone))
}

pub fn date(raw: &str) -> Option<Date> {
    timestamp(raw).map(|t| t.date())
}
