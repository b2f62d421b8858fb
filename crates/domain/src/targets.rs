//! Targets for the follow-up figures (考核目标): the percentage an organisation aims for on a
//! figure, with its source — the county's annual assessment, the hospital's quality plan. The
//! national service standard defines how each figure is counted but sets no national target
//! (`../shared/CLINICAL.md`: the targets quoted there are one locality's), so no target is
//! preset: an organisation states its own, and a chart draws it as a line.

use crate::FieldError;

/// The figures a target may be set on, in the figures page's order, with whether a lower
/// value is better (失访率: the target is a ceiling).
pub const FIGURES: [(&str, bool); 9] = [
    ("completion", false),
    ("on_time", false),
    ("contact_success", false),
    ("lost_to_follow_up", true),
    ("hypertension_standard_management", false),
    ("hypertension_control", false),
    ("diabetes_standard_management", false),
    ("diabetes_control", false),
    ("satisfaction", false),
];

/// A target as stated: the percentage and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub percent: f64,
    pub source: String,
}

/// Whether a lower value of `figure` is better; `None` for a figure that takes no target.
pub fn lower_is_better(figure: &str) -> Option<bool> {
    FIGURES.iter().find(|(f, _)| *f == figure).map(|(_, lower)| *lower)
}

/// Check a target for `figure`: a known figure, a percentage from 0 to 100, a source named
/// in at most 200 characters on one line.
pub fn check(figure: &str, percent: f64, source: &str) -> Result<Target, FieldError> {
    if lower_is_better(figure).is_none() {
        return Err(FieldError::new(
            "figure",
            "figure_unknown",
            format!("no target can be set on {figure}"),
            "该指标不能设置目标",
        ));
    }
    if !(0.0..=100.0).contains(&percent) {
        return Err(FieldError::new(
            "percent",
            "percent_out_of_range",
            "a target is a percentage from 0 to 100",
            "目标应为0–100之间的百分比",
        ));
    }
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 200 || source.contains(['\n', '\r']) {
        return Err(FieldError::new(
            "source",
            "source_required",
            "name where the target comes from (at most 200 characters, one line)",
            "请填写目标依据（最多200字，不换行）",
        ));
    }
    Ok(Target {
        percent: (percent * 10.0).round() / 10.0,
        source: source.to_string(),
    })
}

/// Whether `value` meets the target on `figure` (at or above it; at or below for a ceiling).
pub fn met(figure: &str, target: f64, value: f64) -> bool {
    if lower_is_better(figure) == Some(true) {
        value <= target
    } else {
        value >= target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_a_percentage_with_a_source_on_a_known_figure() {
        let t = check("hypertension_control", 50.04, " 县卫健局2026年考核方案 ").unwrap();
        assert_eq!((t.percent, t.source.as_str()), (50.0, "县卫健局2026年考核方案"));
        assert_eq!(check("coverage_of_mars", 50.0, "x").unwrap_err().code, "figure_unknown");
        for bad in [-0.1, 100.1, f64::NAN, f64::INFINITY] {
            assert_eq!(
                check("completion", bad, "x").unwrap_err().code,
                "percent_out_of_range",
                "{bad}"
            );
        }
        assert_eq!(check("completion", 90.0, "  ").unwrap_err().code, "source_required");
        assert_eq!(check("completion", 90.0, "a\nb").unwrap_err().code, "source_required");
        assert_eq!(
            check("completion", 90.0, &"字".repeat(201)).unwrap_err().code,
            "source_required"
        );
    }

    #[test]
    fn a_ceiling_is_met_at_or_below_it_and_a_floor_at_or_above() {
        assert!(met("lost_to_follow_up", 5.0, 5.0) && met("lost_to_follow_up", 5.0, 2.0));
        assert!(!met("lost_to_follow_up", 5.0, 5.1));
        assert!(met("completion", 90.0, 90.0) && !met("completion", 90.0, 89.9));
    }
}
