//! China time. China has had one time zone and no daylight saving time since 1991, so a fixed
//! +08:00 offset is exact: "today" for ages, due dates and figures is the calendar day there.

use time::macros::date;
use time::{Date, OffsetDateTime, UtcOffset};

/// The earliest and latest calendar days any date in CareLoop may take: births, diagnoses,
/// measurements, due dates and figure periods all fall between them. A date outside is a typing
/// error (`0001-01-01`, `9999-12-31`), and refusing it keeps date arithmetic far from the
/// calendar's ends.
pub const EARLIEST: Date = date!(1900 - 01 - 01);
pub const LATEST: Date = date!(2100 - 12 - 31);

/// Whether `d` lies in `[EARLIEST, LATEST]`.
pub fn in_era(d: Date) -> bool {
    (EARLIEST..=LATEST).contains(&d)
}

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
