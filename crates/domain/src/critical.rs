//! Dangerous values (危急值): a value at or past a critical limit needs a doctor within the hour,
//! wherever it arrives — typed in, signed on a call, imported, or answered in a questionnaire.
//!
//! The limits are the national follow-up standard's emergency thresholds, at which the standard
//! says to treat first and refer urgently (国家基本公共卫生服务规范（第三版）, 2017: the
//! hypertension and type 2 diabetes management specifications; ../shared/CLINICAL.md §0 and
//! §1, [verified]):
//! - blood pressure: SBP ≥ 180 and/or DBP ≥ 110 mmHg;
//! - blood glucose: ≥ 16.7 or ≤ 3.9 mmol/L (the standard gives one glucose threshold; it is
//!   applied to fasting glucose, the value its visits measure). The low limit is the diabetes
//!   specification's, for people with diabetes (glucose-lowering drugs make it hypoglycaemia);
//!   in others a fasting 3.5–3.9 is common and no emergency, so it is applied to patients with
//!   diabetes only — applied to everyone it flagged 18 of 40 demo patients.
//!
//! The visit classification ([`crate::followup::classification`]) reads the same limits.

use crate::indicator::lookup;

/// The source the limits come from, as the alert names it.
pub const SOURCE_ZH: &str = "国家基本公共卫生服务规范（第三版）紧急转诊标准";

/// Systolic pressure at or above which a value is critical (mmHg).
pub const SBP_AT_LEAST: f64 = 180.0;
/// Diastolic pressure at or above which a value is critical (mmHg).
pub const DBP_AT_LEAST: f64 = 110.0;
/// Glucose at or above which a value is critical (mmol/L).
pub const GLUCOSE_AT_LEAST: f64 = 16.7;
/// Glucose at or below which a value is critical (mmol/L).
pub const GLUCOSE_AT_MOST: f64 = 3.9;

/// Which side of its limit a critical value lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// At or above the upper limit.
    High,
    /// At or below the lower limit.
    Low,
}

/// One value past its critical limit (canonical unit).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub value: f64,
    pub limit: f64,
    pub side: Side,
}

/// The critical limits of an indicator: (at least, at most), either may be absent.
fn limits(code: &str) -> Option<(&'static str, Option<f64>, Option<f64>)> {
    match code {
        "sbp" => Some(("sbp", Some(SBP_AT_LEAST), None)),
        "dbp" => Some(("dbp", Some(DBP_AT_LEAST), None)),
        "fpg" => Some(("fpg", Some(GLUCOSE_AT_LEAST), Some(GLUCOSE_AT_MOST))),
        _ => None,
    }
}

/// Whether a value (in the indicator's canonical unit) is critical, and against which limit.
/// `diabetic`: the patient has diabetes, so the low glucose limit applies.
pub fn check(code: &str, value: f64, diabetic: bool) -> Option<Finding> {
    let (code, at_least, at_most) = limits(code)?;
    let at_most = at_most.filter(|_| diabetic);
    if let Some(limit) = at_least.filter(|l| value >= *l) {
        return Some(Finding {
            code,
            value,
            limit,
            side: Side::High,
        });
    }
    at_most.filter(|l| value <= *l).map(|limit| Finding {
        code,
        value,
        limit,
        side: Side::Low,
    })
}

/// The alert's reason for the critical values of one measurement: each value with its limit,
/// where it came from, and the source of the limits. `from` says how the values arrived
/// (录入, 随访记录, 导入, 问卷回答).
pub fn reason(findings: &[Finding], from: &str) -> String {
    let values: Vec<String> = findings
        .iter()
        .map(|f| {
            let (name, unit) = lookup(f.code).map_or((f.code, ""), |i| (i.name_zh, i.unit));
            let sign = match f.side {
                Side::High => "≥",
                Side::Low => "≤",
            };
            format!("{name} {} {unit}（危急值 {sign}{} {unit}）", f.value, f.limit)
        })
        .collect();
    format!(
        "危急值：{}；来源：{from}。请在1小时内处理。依据：{SOURCE_ZH}",
        values.join("，")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_at_the_limits_are_critical_and_just_inside_are_not() {
        assert_eq!(check("sbp", 180.0, false).map(|f| f.side), Some(Side::High));
        assert_eq!(check("sbp", 179.0, false), None);
        assert_eq!(check("dbp", 110.0, false).map(|f| f.limit), Some(110.0));
        assert_eq!(check("dbp", 109.0, false), None);
        assert_eq!(check("fpg", 16.7, false).map(|f| f.side), Some(Side::High));
        assert_eq!(check("fpg", 3.9, true).map(|f| f.side), Some(Side::Low));
        assert_eq!(check("fpg", 4.0, true), None);
        assert_eq!(check("fpg", 16.6, true), None);
        assert_eq!(check("hr", 180.0, true), None, "no limit for heart rate here");
    }

    #[test]
    fn low_glucose_is_critical_only_with_diabetes() {
        assert_eq!(
            check("fpg", 3.8, false),
            None,
            "a fasting 3.8 without diabetes is no emergency"
        );
        assert_eq!(check("fpg", 3.8, true).map(|f| f.side), Some(Side::Low));
    }

    #[test]
    fn the_reason_names_each_value_its_limit_where_it_came_from_and_the_source() {
        let findings = [check("sbp", 210.0, false).unwrap(), check("dbp", 125.0, false).unwrap()];
        let text = reason(&findings, "录入");
        assert!(text.contains("收缩压 210 mmHg（危急值 ≥180 mmHg）"), "{text}");
        assert!(text.contains("舒张压 125 mmHg（危急值 ≥110 mmHg）"), "{text}");
        assert!(text.contains("来源：录入") && text.contains(SOURCE_ZH), "{text}");
        let low = reason(&[check("fpg", 2.8, true).unwrap()], "导入");
        assert!(low.contains("≤3.9 mmol/L"), "{low}");
    }
}
