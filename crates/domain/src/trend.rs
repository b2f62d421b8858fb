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

use crate::indicator::{Flag, Range};
use serde::Serialize;
use time::OffsetDateTime;

/// Consecutive measurements, each worse than the last, that make a run worth showing.
pub const RUN_MIN_POINTS: usize = 3;
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
    /// Least-squares slope in the indicator's unit per year; `None` with fewer than two points
    /// or all on one day.
    pub slope_per_year: Option<f64>,
    pub direction: Option<Direction>,
    /// The direction that is worse for this indicator, if one is.
    pub worse_when: Option<Direction>,
    pub worsening_runs: Vec<Run>,
    pub abnormal_count: usize,
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
    Trend {
        abnormal_count: points.iter().filter(|p| p.abnormal).count(),
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
    let xs: Vec<f64> = series
        .iter()
        .map(|(at, _)| (*at - first).as_seconds_f64() / SECONDS_PER_YEAR)
        .collect();
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return None;
    }
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
}
