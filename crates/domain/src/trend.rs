//! Multi-year trends of one indicator (历年指标趋势): the series against its reference range,
//! its direction as a least-squares slope per year, and runs of consecutive worsening.
//!
//! Which way is worse follows the reference range: a range with only a high limit makes rising
//! worse (blood pressure, LDL-C, triglycerides …), one with only a low limit falling (HDL-C);
//! with both limits (fasting glucose 3.9–< 6.1) it is the side of the latest abnormal value
//! (high glucose: rising is worse), and with no abnormal value or no range there is none.
//! A slope smaller than 1% of the series' mean per year is called stable — CareLoop's rule for
//! the summary, not a clinical threshold. A worsening run is three or more consecutive
//! measurements each worse than the one before.
//!
//! No direction is called from too little: a slope needs at least three values spanning at
//! least 90 days (two readings a week apart are noise, not a trend). The words follow clinical
//! Chinese ([`Course`]): a series that stays above its range is 持续偏高 — never 平稳, which
//! would read as "under control" — and one that stays within it 均在参考范围内.

use crate::indicator::{Flag, Range};
use serde::Serialize;
use time::OffsetDateTime;

/// Consecutive measurements, each worse than the last, that make a run worth showing.
pub const RUN_MIN_POINTS: usize = 3;
/// The fewest values a slope, a direction or a persistence is called from.
pub const COURSE_MIN_POINTS: usize = 3;
/// The shortest span, first to last value, a slope or direction is called from.
pub const COURSE_MIN_DAYS: i64 = 90;
const SECONDS_PER_YEAR: f64 = 365.2425 * 86_400.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Rising,
    Falling,
    Stable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub value: f64,
    /// `low`, `normal` or `high`.
    pub flag: &'static str,
    pub abnormal: bool,
}

/// Indexes (into `points`) of a worsening run, first and last inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Run {
    pub first: usize,
    pub last: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub points: Vec<TrendPoint>,
    /// Least-squares slope in the indicator's unit per year; `None` with fewer than three
    /// values or a span under 90 days ([`COURSE_MIN_POINTS`], [`COURSE_MIN_DAYS`]).
    pub slope_per_year: Option<f64>,
    pub direction: Option<Direction>,
    /// The direction that is worse for this indicator, if one is.
    pub worse_when: Option<Direction>,
    pub worsening_runs: Vec<Run>,
    pub abnormal_count: usize,
    /// The series in words' terms: where it stays and which way it goes.
    pub course: Course,
}

/// Where a series stays against its range, and which way it goes, as the summary words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Course {
    /// Fewer than three values, or a span under 90 days: nothing is called.
    TooLittle,
    /// Every value above the range (持续偏高), with the direction if one is called.
    StaysHigh { direction: Option<Direction> },
    /// Every value below the range (持续偏低).
    StaysLow { direction: Option<Direction> },
    /// Every value within the range (均在参考范围内), or no range to judge against.
    StaysNormal { direction: Option<Direction> },
    /// Values on both sides of a limit: the direction only.
    Mixed { direction: Option<Direction> },
}

impl Course {
    /// The course in clinical Chinese, e.g. 持续偏高，且呈上升趋势.
    pub fn zh(self) -> String {
        let dir = |d: Option<Direction>, worse: Direction| match d {
            Some(Direction::Rising) if worse == Direction::Rising => "，且呈上升趋势",
            Some(Direction::Falling) if worse == Direction::Falling => "，且呈下降趋势",
            Some(Direction::Rising) => "，但呈回升趋势",
            Some(Direction::Falling) => "，但呈下降趋势",
            _ => "",
        };
        match self {
            Course::TooLittle => "数据不足，暂不判断趋势".into(),
            Course::StaysHigh { direction } => format!("持续偏高{}", dir(direction, Direction::Rising)),
            Course::StaysLow { direction } => format!("持续偏低{}", dir(direction, Direction::Falling)),
            Course::StaysNormal { direction } => format!(
                "均在参考范围内{}",
                match direction {
                    Some(Direction::Rising) => "，呈上升趋势",
                    Some(Direction::Falling) => "，呈下降趋势",
                    _ => "",
                }
            ),
            Course::Mixed { direction } => match direction {
                Some(Direction::Rising) => "部分超出参考范围，总体呈上升趋势".into(),
                Some(Direction::Falling) => "部分超出参考范围，总体呈下降趋势".into(),
                _ => "部分超出参考范围，无明显升降".into(),
            },
        }
    }

    /// The course in English.
    pub fn en(self) -> String {
        let dir = |d: Option<Direction>| match d {
            Some(Direction::Rising) => ", rising",
            Some(Direction::Falling) => ", falling",
            _ => "",
        };
        match self {
            Course::TooLittle => "too few values to call a trend".into(),
            Course::StaysHigh { direction } => format!("persistently high{}", dir(direction)),
            Course::StaysLow { direction } => format!("persistently low{}", dir(direction)),
            Course::StaysNormal { direction } => format!("all within the reference range{}", dir(direction)),
            Course::Mixed { direction } => match direction {
                Some(Direction::Stable) | None => "partly outside the reference range, no clear direction".into(),
                d => format!("partly outside the reference range{}", dir(d)),
            },
        }
    }
}

fn course_of(points: &[TrendPoint], direction: Option<Direction>) -> Course {
    if points.len() < COURSE_MIN_POINTS {
        return Course::TooLittle;
    }
    let all = |flag: Flag| points.iter().all(|p| p.flag == flag.as_str());
    if all(Flag::High) {
        Course::StaysHigh { direction }
    } else if all(Flag::Low) {
        Course::StaysLow { direction }
    } else if all(Flag::Normal) {
        Course::StaysNormal { direction }
    } else {
        Course::Mixed { direction }
    }
}

/// The trend of `series` (any order; sorted by time here) against `range`.
pub fn trend(series: &[(OffsetDateTime, f64)], range: Option<Range>) -> Trend {
    let mut sorted = series.to_vec();
    sorted.sort_by_key(|(at, _)| *at);
    let points: Vec<TrendPoint> = sorted
        .iter()
        .map(|(at, value)| {
            let flag = range.map_or(Flag::Normal, |r| r.flag(*value));
            TrendPoint {
                at: *at,
                value: *value,
                flag: flag.as_str(),
                abnormal: flag != Flag::Normal,
            }
        })
        .collect();
    let worse_when = worse_direction(range, &points);
    let slope_per_year = slope(&sorted);
    let direction = slope_per_year.map(|s| {
        let mean = sorted.iter().map(|(_, v)| v).sum::<f64>() / sorted.len() as f64;
        if s.abs() < 0.01 * mean.abs() {
            Direction::Stable
        } else if s > 0.0 {
            Direction::Rising
        } else {
            Direction::Falling
        }
    });
    let worsening_runs = worse_when.map_or_else(Vec::new, |w| runs(&sorted, w));
    // Three values in under 90 days: where they stay is said, without a direction.
    let course = course_of(&points, direction);
    Trend {
        abnormal_count: points.iter().filter(|p| p.abnormal).count(),
        course,
        points,
        slope_per_year,
        direction,
        worse_when,
        worsening_runs,
    }
}

fn worse_direction(range: Option<Range>, points: &[TrendPoint]) -> Option<Direction> {
    let r = range?;
    match (r.low.is_some(), r.high.is_some()) {
        (false, true) => Some(Direction::Rising),
        (true, false) => Some(Direction::Falling),
        (true, true) => points.iter().rev().find(|p| p.abnormal).map(|p| {
            if p.flag == Flag::High.as_str() {
                Direction::Rising
            } else {
                Direction::Falling
            }
        }),
        (false, false) => None,
    }
}

fn slope(series: &[(OffsetDateTime, f64)]) -> Option<f64> {
    let first = series.first()?.0;
    let span = series.last()?.0 - first;
    if series.len() < COURSE_MIN_POINTS || span < time::Duration::days(COURSE_MIN_DAYS) {
        return None;
    }
    let xs: Vec<f64> = series
        .iter()
        .map(|(at, _)| (*at - first).as_seconds_f64() / SECONDS_PER_YEAR)
        .collect();
    let n = xs.len() as f64;
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = series.iter().map(|(_, v)| v).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = xs
        .iter()
        .zip(series)
        .map(|(x, (_, y))| (x - mean_x) * (y - mean_y))
        .sum();
    Some(sxy / sxx)
}

fn runs(series: &[(OffsetDateTime, f64)], worse: Direction) -> Vec<Run> {
    let worse_step = |a: f64, b: f64| match worse {
        Direction::Rising => b > a,
        Direction::Falling => b < a,
        Direction::Stable => false,
    };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=series.len() {
        let continues = i < series.len() && worse_step(series[i - 1].1, series[i].1);
        if !continues {
            if i - start >= RUN_MIN_POINTS {
                out.push(Run {
                    first: start,
                    last: i - 1,
                });
            }
            start = i;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::lookup;
    use time::macros::datetime;

    fn yearly(values: &[f64]) -> Vec<(OffsetDateTime, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    datetime!(2016-03-01 01:00 UTC) + time::Duration::days(365 * i as i64),
                    *v,
                )
            })
            .collect()
    }

    fn range_of(code: &str) -> Option<Range> {
        lookup(code).and_then(|i| i.reference.for_sex(crate::patient::Sex::Male))
    }

    #[test]
    fn slope_is_units_per_year_by_least_squares() {
        let t = trend(&yearly(&[5.0, 5.5, 6.0, 6.5]), range_of("fpg"));
        let s = t.slope_per_year.unwrap();
        assert!((s - 0.5).abs() < 0.005, "{s}"); // 365-day steps: a little over 0.5 per 365.24 days
        assert_eq!(t.direction, Some(Direction::Rising));
        assert_eq!(trend(&yearly(&[6.0]), None).slope_per_year, None);
        assert_eq!(trend(&yearly(&[6.0, 7.0]), None).slope_per_year, None, "two values");
        assert_eq!(
            trend(&yearly(&[6.0, 6.02, 5.99]), None).direction,
            Some(Direction::Stable)
        );
    }

    #[test]
    fn points_keep_time_order_and_flags_against_the_range() {
        let mut series = yearly(&[5.0, 6.5, 7.2]);
        series.reverse();
        let t = trend(&series, range_of("fpg"));
        let flags: Vec<&str> = t.points.iter().map(|p| p.flag).collect();
        assert_eq!(flags, ["normal", "high", "high"]);
        assert_eq!(t.abnormal_count, 2);
        assert!(t.points.windows(2).all(|w| w[0].at < w[1].at));
    }

    #[test]
    fn worsening_runs_follow_which_way_is_worse() {
        // LDL-C has only a high limit: rising is worse. Runs need three points in a row.
        let t = trend(&yearly(&[3.0, 3.2, 3.5, 3.1, 3.3, 3.6, 3.9]), range_of("ldl"));
        assert_eq!(t.worse_when, Some(Direction::Rising));
        assert_eq!(t.worsening_runs, [Run { first: 0, last: 2 }, Run { first: 3, last: 6 }]);
        // HDL-C has only a low limit: falling is worse.
        let t = trend(&yearly(&[1.4, 1.2, 1.1, 1.3]), range_of("hdl"));
        assert_eq!(
            (t.worse_when, t.worsening_runs.clone()),
            (Some(Direction::Falling), vec![Run { first: 0, last: 2 }])
        );
        // Two steps only is no run; equal values break a run.
        assert!(
            trend(&yearly(&[3.0, 3.2, 3.2, 3.4]), range_of("ldl"))
                .worsening_runs
                .is_empty()
        );
    }

    #[test]
    fn with_both_limits_the_latest_abnormal_side_is_worse() {
        assert_eq!(
            trend(&yearly(&[5.5, 6.8, 7.5]), range_of("fpg")).worse_when,
            Some(Direction::Rising)
        );
        assert_eq!(
            trend(&yearly(&[4.5, 3.6]), range_of("fpg")).worse_when,
            Some(Direction::Falling)
        );
        assert_eq!(trend(&yearly(&[4.5, 5.0]), range_of("fpg")).worse_when, None);
    }

    fn weekly(values: &[f64]) -> Vec<(OffsetDateTime, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (datetime!(2026-09-01 01:00 UTC) + time::Duration::days(7 * i as i64), *v))
            .collect()
    }

    #[test]
    fn no_direction_from_fewer_than_three_values_or_under_ninety_days() {
        let two = trend(&yearly(&[150.0, 170.0]), range_of("sbp"));
        assert_eq!(
            (two.slope_per_year, two.direction, two.course),
            (None, None, Course::TooLittle)
        );
        assert_eq!(two.course.zh(), "数据不足，暂不判断趋势");
        let weeks = trend(&weekly(&[150.0, 160.0, 170.0]), range_of("sbp"));
        assert_eq!(
            (weeks.slope_per_year, weeks.direction),
            (None, None),
            "three values in 14 days"
        );
        assert_eq!(weeks.course.zh(), "持续偏高", "where they stay is still said");
        let spread = trend(
            &weekly(&[
                150.0, 160.0, 170.0, 150.0, 160.0, 170.0, 150.0, 160.0, 170.0, 150.0, 160.0, 170.0, 175.0, 176.0,
            ]),
            range_of("sbp"),
        );
        assert!(spread.slope_per_year.is_some(), "91 days");
    }

    #[test]
    fn a_series_that_stays_above_its_range_is_persistently_high_never_stable() {
        let flat_high = trend(&yearly(&[152.0, 151.0, 152.0, 151.5]), range_of("sbp"));
        assert_eq!(flat_high.direction, Some(Direction::Stable));
        assert_eq!(flat_high.course.zh(), "持续偏高");
        assert!(!flat_high.course.zh().contains("平稳"));
        assert_eq!(flat_high.course.en(), "persistently high");
        let rising_high = trend(&yearly(&[145.0, 152.0, 160.0]), range_of("sbp"));
        assert_eq!(rising_high.course.zh(), "持续偏高，且呈上升趋势");
        let falling_high = trend(&yearly(&[170.0, 160.0, 150.0]), range_of("sbp"));
        assert_eq!(falling_high.course.zh(), "持续偏高，但呈下降趋势");
        let low = trend(&yearly(&[0.9, 0.85, 0.8]), range_of("hdl"));
        assert_eq!(low.course.zh(), "持续偏低，且呈下降趋势");
        let normal = trend(&yearly(&[120.0, 121.0, 120.5]), range_of("sbp"));
        assert_eq!(normal.course.zh(), "均在参考范围内");
        let mixed = trend(&yearly(&[130.0, 145.0, 150.0, 160.0]), range_of("sbp"));
        assert_eq!(mixed.course.zh(), "部分超出参考范围，总体呈上升趋势");
        assert_eq!(mixed.course.en(), "partly outside the reference range, rising");
    }
}
