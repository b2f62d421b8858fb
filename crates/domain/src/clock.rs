//! China time. China has had one time zone and no daylight saving time since 1991, so a fixed
//! +08:00 offset is exact: "today" for ages, due dates and figures is the calendar day there.

use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The calendar day in China at `now`.
pub fn local_today(now: OffsetDateTime) -> Date {
    now.to_offset(CHINA).date()
}

time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");
