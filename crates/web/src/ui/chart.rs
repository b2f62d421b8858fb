//! Small server-side SVG charts (no script, prints as drawn). Only numbers and fixed words go
//! into the markup, so the output is safe to embed as it is.

use careloop_domain::clock::CHINA;
use careloop_service::admin::figures::Figure;
use careloop_service::patients::trends::IndicatorTrend;
use time::Date;

/// One series: a fixed label (e.g. `PHQ-9`), its maximum, and (date, value) points in order.
pub struct Series {
    pub label: &'static str,
    pub max: f64,
    pub points: Vec<(Date, f64)>,
}

const W: f64 = 560.0;
const H: f64 = 180.0;
const PAD: f64 = 28.0;
const COLOURS: [&str; 3] = ["#0b4f9c", "#9a5b00", "#1b7a3a"];

/// Scores over time, each series scaled to its own maximum (0 at the bottom); none when no
/// series has a point.
pub fn scores_over_time(series: &[Series]) -> Option<String> {
    let all: Vec<Date> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (first, last) = (*all.iter().min()?, *all.iter().max()?);
    let span = ((last - first).whole_days().max(1)) as f64;
    let x = |d: Date| PAD + (W - 2.0 * PAD) * ((d - first).whole_days() as f64 / span);
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="scores over time"><line x1="{PAD}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><text x="{PAD}" y="{t}" font-size="11">{first}</text><text x="{r}" y="{t}" font-size="11" text-anchor="end">{last}</text>"##,
        b = H - PAD,
        r = W - PAD,
        t = H - 8.0,
    );
    for (i, s) in series.iter().enumerate().filter(|(_, s)| !s.points.is_empty()) {
        let colour = COLOURS[i % COLOURS.len()];
        let y = |v: f64| (H - PAD) - (H - 2.0 * PAD) * (v / s.max).clamp(0.0, 1.0);
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
            .collect();
        svg.push_str(&format!(
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        ));
        for (d, v) in &s.points {
            svg.push_str(&format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} {d}: {v}</title></circle>"#,
                x(*d),
                y(*v),
                s.label
            ));
        }
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{colour}">{}</text>"#,
            PAD + 4.0 + 70.0 * i as f64,
            14.0,
            s.label
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// One indicator's values over the years: the reference range shaded, abnormal values in red,
/// worsening runs drawn thick, the value scale at the left with the unit. `None` with fewer
/// than two values.
pub fn indicator_trend(t: &IndicatorTrend) -> Option<String> {
    let pts = &t.trend.points;
    if pts.len() < 2 {
        return None;
    }
    let days: Vec<Date> = pts.iter().map(|p| p.at.to_offset(CHINA).date()).collect();
    let (first, last) = (days[0], days[days.len() - 1]);
    let span = ((last - first).whole_days().max(1)) as f64;
    let x = |d: Date| PAD * 2.0 + (W - 3.0 * PAD) * ((d - first).whole_days() as f64 / span);
    let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
    let (low, high) = t.limits;
    let lo = values.iter().copied().chain(low).fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().chain(high).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.02).max(0.1);
    let (lo, hi) = (lo - pad, hi + pad);
    let y = |v: f64| (H - PAD) - (H - 2.0 * PAD) * ((v - lo) / (hi - lo));
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{name} trend"><line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><text x="{l}" y="{t}" font-size="11">{first}</text><text x="{r}" y="{t}" font-size="11" text-anchor="end">{last}</text><text x="4" y="{top:.1}" font-size="11">{hi:.1}</text><text x="4" y="{b}" font-size="11">{lo:.1}</text><text x="4" y="14" font-size="11">{unit}</text>"##,
        name = t.name_en,
        l = PAD * 2.0,
        b = H - PAD,
        r = W - PAD,
        t = H - 8.0,
        top = PAD + 4.0,
        unit = t.unit,
    );
    // The reference range: from its low limit (or the bottom) to its high limit (or the top).
    if low.is_some() || high.is_some() {
        let top = high.map_or(PAD, y);
        let bottom = low.map_or(H - PAD, y);
        svg.push_str(&format!(
            r##"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#e3f1e6"><title>reference</title></rect>"##,
            PAD * 2.0,
            W - 3.0 * PAD,
            (bottom - top).max(0.0)
        ));
    }
    let line: Vec<String> = days
        .iter()
        .zip(&values)
        .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
        .collect();
    svg.push_str(&format!(
        r##"<polyline fill="none" stroke="#0b4f9c" stroke-width="2" points="{}"/>"##,
        line.join(" ")
    ));
    for run in &t.trend.worsening_runs {
        let seg: Vec<&String> = line[run.first..=run.last].iter().collect();
        let seg: Vec<&str> = seg.iter().map(|s| s.as_str()).collect();
        svg.push_str(&format!(
            r##"<polyline class="worsening" fill="none" stroke="#b00020" stroke-width="4" points="{}"/>"##,
            seg.join(" ")
        ));
    }
    for ((d, v), p) in days.iter().zip(&values).zip(pts) {
        let (colour, r) = if p.abnormal { ("#b00020", 4.5) } else { ("#0b4f9c", 3.5) };
        svg.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="{r}" fill="{colour}"><title>{d}: {v} {}</title></circle>"##,
            x(*d),
            y(*v),
            t.unit
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A figure's target as a chart draws it.
pub struct ChartTarget {
    pub percent: f64,
    /// A lower value is better: the target is a ceiling (≤).
    pub lower_is_better: bool,
    /// What the line is called (目标 / target).
    pub word: &'static str,
}

/// One figure month by month, as a small multiple: 0–100 % with gridlines at 50 and 100, a
/// point per month that has a denominator (its percent and counts in its title), gaps where a
/// month has none, and the last month's percent with its counts written at the top. `months`
/// are `YYYY-MM` keys. A target, when the organisation set one, is a dashed line with its
/// words (`目标 ≥ 80%`), and the last month's percent is red when it misses it. `None` when no
/// month has a value.
pub fn monthly_figure(name: &str, months: &[(String, Option<Figure>)], target: Option<&ChartTarget>) -> Option<String> {
    // Size, and the margins left, right, top and bottom.
    const MW: f64 = 300.0;
    const MH: f64 = 130.0;
    const L: f64 = 30.0;
    const R: f64 = 8.0;
    const T: f64 = 22.0;
    const B: f64 = 20.0;
    let valued: Vec<(usize, &String, Figure, f64)> = months
        .iter()
        .enumerate()
        .filter_map(|(i, (m, f))| f.and_then(|f| f.percent.map(|p| (i, m, f, p))))
        .collect();
    let (_, _, last_fig, last_pct) = *valued.last()?;
    let n = months.len().max(2) as f64 - 1.0;
    let x = |i: usize| L + (MW - L - R) * (i as f64 / n);
    let y = |p: f64| (MH - B) - (MH - T - B) * (p / 100.0).clamp(0.0, 1.0);
    let key = |m: &str| {
        m.chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect::<String>()
    };
    let (first, last) = (
        key(months.first().map_or("", |m| m.0.as_str())),
        key(months.last().map_or("", |m| m.0.as_str())),
    );
    let mut svg = format!(
        r##"<svg class="chart small" viewBox="0 0 {MW} {MH}" width="100%" role="img" aria-label="{name}"><line x1="{L}" y1="{y100}" x2="{xr}" y2="{y100}" stroke="#ddd"/><line x1="{L}" y1="{y50}" x2="{xr}" y2="{y50}" stroke="#eee"/><line x1="{L}" y1="{y0}" x2="{xr}" y2="{y0}" stroke="#888"/><text x="2" y="{t100}" font-size="10">100%</text><text x="8" y="{t50}" font-size="10">50%</text><text x="14" y="{t0}" font-size="10">0%</text><text x="{L}" y="{tb}" font-size="10">{first}</text><text x="{xr}" y="{tb}" font-size="10" text-anchor="end">{last}</text><text x="{xr}" y="14" font-size="12" font-weight="bold" text-anchor="end" class="latest">{last_pct}%（{ln}/{ld}）</text>"##,
        name = key_words(name),
        y100 = y(100.0),
        y50 = y(50.0),
        y0 = y(0.0),
        xr = MW - R,
        t100 = y(100.0) + 4.0,
        t50 = y(50.0) + 4.0,
        t0 = y(0.0) + 4.0,
        tb = MH - 5.0,
        ln = last_fig.numerator,
        ld = last_fig.denominator,
    );
    if let Some(t) = target {
        let (sign, met) = if t.lower_is_better {
            ("≤", last_pct <= t.percent)
        } else {
            ("≥", last_pct >= t.percent)
        };
        let ty = y(t.percent);
        svg.push_str(&format!(
            r##"<line x1="{L}" y1="{ty:.1}" x2="{xr}" y2="{ty:.1}" stroke="#1b7a3a" stroke-width="1.5" stroke-dasharray="5 3" class="target"/><text x="{tx}" y="{tl:.1}" font-size="10" fill="#1b7a3a">{} {sign} {}%</text>"##,
            t.word,
            t.percent,
            xr = MW - R,
            tx = L + 3.0,
            tl = if ty - 3.0 < T + 8.0 { ty + 11.0 } else { ty - 3.0 },
        ));
        if !met {
            svg = svg.replacen(r#"class="latest">"#, r##"class="latest missed" fill="#b00020">"##, 1);
        }
    }
    // A line through consecutive months only: a month without a denominator breaks it.
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut previous: Option<usize> = None;
    for (i, _, _, p) in &valued {
        if previous != Some(i.wrapping_sub(1)) {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(format!("{:.1},{:.1}", x(*i), y(*p)));
        }
        previous = Some(*i);
    }
    for run in runs.iter().filter(|r| r.len() > 1) {
        svg.push_str(&format!(
            r##"<polyline fill="none" stroke="#0b4f9c" stroke-width="2" points="{}"/>"##,
            run.join(" ")
        ));
    }
    for (i, m, f, p) in &valued {
        svg.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#0b4f9c"><title>{}：{p}%（{}/{}）</title></circle>"##,
            x(*i),
            y(*p),
            key(m),
            f.numerator,
            f.denominator
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A fixed figure name as it may appear in the markup: letters, digits, CJK and spaces only.
fn key_words(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric() || *c == ' ').collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_indicator_chart_shades_the_range_and_marks_abnormal_values_and_runs() {
        use time::macros::datetime;
        let series: Vec<_> = [3.0, 3.2, 3.5, 3.9]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    datetime!(2020-01-01 0:00 UTC) + time::Duration::days(365 * i as i64),
                    *v,
                )
            })
            .collect();
        let ldl = careloop_domain::indicator::lookup("ldl").unwrap();
        let range = ldl.reference.for_sex(careloop_domain::patient::Sex::Male);
        let t = IndicatorTrend {
            code: ldl.code,
            name_zh: ldl.name_zh,
            name_en: ldl.name_en,
            unit: ldl.unit,
            reference_range: None,
            limits: (None, Some(3.4)),
            trend: careloop_domain::trend::trend(&series, range),
        };
        let svg = indicator_trend(&t).unwrap();
        assert_eq!(svg.matches("<rect").count(), 1, "the reference range");
        assert_eq!(
            svg.matches(r##"fill="#b00020""##).count(),
            2,
            "3.5 and 3.9 are above 3.4"
        );
        assert_eq!(svg.matches("class=\"worsening\"").count(), 1);
        assert!(
            svg.contains("2022-12-31: 3.9 mmol/L"),
            "365-day steps over a leap year: {svg}"
        );
        let one = IndicatorTrend {
            trend: careloop_domain::trend::trend(&series[..1], range),
            ..t
        };
        assert!(indicator_trend(&one).is_none(), "one value is no trend");
    }

    #[test]
    fn points_scale_to_the_series_maximum_and_dates_to_the_width() {
        let svg = scores_over_time(&[Series {
            label: "PHQ-9",
            max: 27.0,
            points: vec![(date!(2026 - 01 - 01), 0.0), (date!(2026 - 07 - 01), 27.0)],
        }])
        .unwrap();
        // First point at the left edge on the baseline, last at the right edge at the top.
        assert!(svg.contains(r#"points="28.0,152.0 532.0,28.0""#), "{svg}");
        assert!(svg.contains("PHQ-9 2026-07-01: 27"));
        assert!(
            scores_over_time(&[Series {
                label: "GAD-7",
                max: 21.0,
                points: vec![]
            }])
            .is_none()
        );
    }

    fn figure(numerator: i64, denominator: i64) -> Option<Figure> {
        let percent = (denominator > 0).then(|| (1000.0 * numerator as f64 / denominator as f64).round() / 10.0);
        Some(Figure {
            numerator,
            denominator,
            percent,
        })
    }

    #[test]
    fn a_monthly_figure_draws_each_month_with_its_counts_and_breaks_at_empty_months() {
        let months = vec![
            ("2026-01".to_string(), figure(2, 2)),
            ("2026-02".to_string(), figure(9, 10)),
            ("2026-03".to_string(), figure(0, 0)),
            ("2026-04".to_string(), figure(30, 40)),
            ("2026-05".to_string(), figure(35, 40)),
        ];
        let svg = monthly_figure("随访完成率", &months, None).unwrap();
        assert_eq!(
            svg.matches("<circle").count(),
            4,
            "no point for a month without a denominator"
        );
        assert_eq!(svg.matches("<polyline").count(), 2, "the line breaks at March");
        assert!(svg.contains("2026-02：90%（9/10）"), "{svg}");
        assert!(svg.contains("87.5%（35/40）"), "the latest with its counts: {svg}");
        assert!(svg.contains(r#"aria-label="随访完成率""#));
        // 100 % at the top gridline, 0 % on the baseline.
        assert!(svg.contains(r#"<circle cx="30.0" cy="22.0""#), "{svg}");
        assert!(monthly_figure("x", &[("2026-01".into(), figure(0, 0))], None).is_none());
        assert!(!svg.contains("stroke-dasharray"), "no target, no line");
    }

    #[test]
    fn a_target_is_a_dashed_line_and_a_missed_target_turns_the_latest_red() {
        let months = vec![
            ("2026-04".to_string(), figure(30, 40)),
            ("2026-05".to_string(), figure(35, 40)),
        ];
        let floor = ChartTarget {
            percent: 90.0,
            lower_is_better: false,
            word: "目标",
        };
        let svg = monthly_figure("随访完成率", &months, Some(&floor)).unwrap();
        // 90 % between the 100 % line (y 22) and the baseline (y 110).
        assert!(
            svg.contains(r##"y1="30.8" x2="292" y2="30.8" stroke="#1b7a3a""##),
            "{svg}"
        );
        assert!(
            svg.contains("目标 ≥ 90%") && svg.contains("latest missed"),
            "87.5 % misses 90 %: {svg}"
        );
        let ceiling = ChartTarget {
            percent: 90.0,
            lower_is_better: true,
            word: "目标",
        };
        let svg = monthly_figure("失访率", &months, Some(&ceiling)).unwrap();
        assert!(
            svg.contains("目标 ≤ 90%") && !svg.contains("missed"),
            "87.5 % is under the ceiling: {svg}"
        );
    }
}
