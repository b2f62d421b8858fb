//! Small server-side SVG charts (no script, prints as drawn). Only numbers and fixed words go
//! into the markup, so the output is safe to embed as it is.

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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
}
