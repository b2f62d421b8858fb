//! FHIR `dateTime` and `date` values: a year, year-month, date, or date and time with a zone.
//! A value without a time is taken as the start of that day in China time (UTC+8), where a
//! check-up report dated 2024-03-05 was taken.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, Month, OffsetDateTime, Time};

pub fn date_time(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if raw.len() > 10 {
        return OffsetDateTime::parse(raw, &Rfc3339).ok();
    }
    date(raw).map(|d| d.with_time(Time::MIDNIGHT).assume_offset(offset!(+8)))
}

pub fn date(raw: &str) -> Option<Date> {
    let raw = raw.trim();
    match raw.len() {
        4 => Date::from_calendar_date(raw.parse().ok()?, Month::January, 1).ok(),
        7 => {
            let (y, m) = raw.split_once('-')?;
            Date::from_calendar_date(y.parse().ok()?, Month::try_from(m.parse::<u8>().ok()?).ok()?, 1).ok()
        }
        10 => Date::parse(raw, format_description!("[year]-[month]-[day]")).ok(),
        n if n > 10 => date_time(raw).map(|t| t.to_offset(offset!(+8)).date()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn every_fhir_precision_reads() {
        assert_eq!(
            date_time("2013-12-11T13:55:57+00:00"),
            Some(datetime!(2013-12-11 13:55:57 UTC))
        );
        assert_eq!(
            date_time("2020-10-20T19:19:03.621+00:00").map(|t| t.date()),
            Some(date!(2020 - 10 - 20))
        );
        assert_eq!(date_time("2024-03-05"), Some(datetime!(2024-03-05 0:00 +8)));
        assert_eq!(date("2024-03"), Some(date!(2024 - 03 - 01)));
        assert_eq!(date("2024"), Some(date!(2024 - 01 - 01)));
        assert_eq!(date("1976-01-19T22:58:16-05:00"), Some(date!(1976 - 01 - 20)));
        assert_eq!(date_time("yesterday"), None);
        assert_eq!(date("2024-13"), None);
    }
}
