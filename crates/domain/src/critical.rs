//! Dangerous values (危急值): a value at or past a critical limit needs a doctor within the hour,
//! wherever it arrives — typed in, signed on a call, imported, or answered in a questionnaire.
//!
//! Two kinds of limit apply, and a value is critical when it passes either:
//!
//! 1. **The national follow-up standard's emergency thresholds** — fixed, at which the standard
//!    says to treat first and refer urgently (国家基本公共卫生服务规范（第三版）, 2017: the
//!    hypertension and type 2 diabetes management specifications; ../shared/CLINICAL.md §0 and
//!    §1, [verified]):
//!    - blood pressure: SBP ≥ 180 and/or DBP ≥ 110 mmHg;
//!    - blood glucose: ≥ 16.7 or ≤ 3.9 mmol/L (the standard gives one glucose threshold; it is
//!      applied to fasting glucose, the value its visits measure). The low limit is the diabetes
//!      specification's, for people with diabetes (glucose-lowering drugs make it hypoglycaemia);
//!      in others a fasting 3.5–3.9 is common and no emergency, so it is applied to patients with
//!      diabetes only — applied to everyone it flagged 18 of 40 demo patients.
//!
//! 2. **The organisation's critical-value table for laboratory results (危急值表)**. The core
//!    rules of medical quality and safety (《医疗质量安全核心制度要点》, 国卫医发〔2018〕8号,
//!    危急值报告制度) require each hospital to set its own list, so an organisation may change
//!    any row; until it does, the rows below apply. They are the limits Chinese hospital lists
//!    commonly publish (血钾 <2.8 或 >6.2 mmol/L, 血钠 <120 或 >160 mmol/L,
//!    血糖 <2.8 或 >22.2 mmol/L, 血红蛋白 <50 或 >200 g/L, 血小板 <30 或 >1000 ×10⁹/L); the potassium and
//!    sodium limits are also those of Kost's survey of US medical centres (JAMA 1990;263:704–7).
//!    [unverified: quoted from background knowledge, not checked against a published list.]
//!    Here a limit is reached *at* its value (≤ 2.8 rather than < 2.8): one reading more is
//!    called, none less.
//!
//! The visit classification ([`crate::followup::classification`]) reads the national limits.

use crate::FieldError;
use crate::indicator::{Indicator, lookup};
use serde::Serialize;

/// The source of the national limits, as the alert names it.
pub const SOURCE_ZH: &str = "国家基本公共卫生服务规范（第三版）紧急转诊标准";

/// The source of the seeded laboratory rows, as the alert names it.
pub const LAB_SOURCE_ZH: &str = "常用检验危急值（依《医疗质量安全核心制度要点》危急值报告制度，本机构未另行设定）";

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

/// One value past its critical limit (canonical unit), with the source of that limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub value: f64,
    pub limit: f64,
    pub side: Side,
    pub source: String,
}

/// One row of a critical-value table for laboratory results: the indicator, its limits (canonical
/// unit; either may be absent, not both) and the source the organisation names for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabLimit {
    pub code: &'static str,
    pub at_most: Option<f64>,
    pub at_least: Option<f64>,
    pub source: String,
    /// The organisation set this row; otherwise it is the seeded default.
    pub own: bool,
}

/// The seeded rows: (indicator, at most, at least). See the module documentation.
const SEEDED: [(&str, Option<f64>, Option<f64>); 5] = [
    ("k", Some(2.8), Some(6.2)),
    ("na", Some(120.0), Some(160.0)),
    ("fpg", Some(2.8), Some(22.2)),
    ("hb", Some(50.0), Some(200.0)),
    ("plt", Some(30.0), Some(1000.0)),
];

/// Measured at a visit, not in a laboratory: no row of the laboratory table.
const NOT_LABORATORY: [&str; 7] = ["sbp", "dbp", "hr", "height", "weight", "bmi", "waist"];

/// Whether an indicator (short code) is measured in a laboratory, so it may have a row of the
/// laboratory table.
pub fn is_laboratory(code: &str) -> bool {
    lookup(code).is_some_and(|i| !NOT_LABORATORY.contains(&i.code))
}

/// The seeded laboratory table.
pub fn seeded_lab_table() -> Vec<LabLimit> {
    SEEDED
        .iter()
        .map(|&(code, at_most, at_least)| LabLimit {
            code,
            at_most,
            at_least,
            source: LAB_SOURCE_ZH.to_string(),
            own: false,
        })
        .collect()
}

/// An organisation's laboratory table: its own rows, and the seeded rows for the indicators it
/// has not set, in catalogue order.
pub fn lab_table(own: Vec<LabLimit>) -> Vec<LabLimit> {
    let mut table: Vec<LabLimit> = seeded_lab_table()
        .into_iter()
        .filter(|s| !own.iter().any(|o| o.code == s.code))
        .collect();
    table.extend(own);
    let position = |code: &str| crate::indicator::CATALOGUE.iter().position(|i| i.code == code);
    table.sort_by_key(|l| position(l.code));
    table
}

/// The national limits of an indicator: (at least, at most), either may be absent.
fn national_limits(code: &str) -> Option<(&'static str, Option<f64>, Option<f64>)> {
    match code {
        "sbp" => Some(("sbp", Some(SBP_AT_LEAST), None)),
        "dbp" => Some(("dbp", Some(DBP_AT_LEAST), None)),
        "fpg" => Some(("fpg", Some(GLUCOSE_AT_LEAST), Some(GLUCOSE_AT_MOST))),
        _ => None,
    }
}

fn past(
    code: &'static str,
    value: f64,
    (at_least, at_most): (Option<f64>, Option<f64>),
    source: &str,
) -> Option<Finding> {
    let finding = |limit, side| Finding {
        code,
        value,
        limit,
        side,
        source: source.to_string(),
    };
    at_least
        .filter(|l| value >= *l)
        .map(|l| finding(l, Side::High))
        .or_else(|| at_most.filter(|l| value <= *l).map(|l| finding(l, Side::Low)))
}

/// Whether a value (in the indicator's canonical unit) passes a national limit. `diabetic`: the
/// patient has diabetes, so the low glucose limit applies.
pub fn national(code: &str, value: f64, diabetic: bool) -> Option<Finding> {
    let (code, at_least, at_most) = national_limits(code)?;
    past(code, value, (at_least, at_most.filter(|_| diabetic)), SOURCE_ZH)
}

/// Whether a value is critical — past a national limit, or past its row of the organisation's
/// laboratory table `lab` — and against which limit (the national one when both).
pub fn check(code: &str, value: f64, diabetic: bool, lab: &[LabLimit]) -> Option<Finding> {
    national(code, value, diabetic).or_else(|| {
        let row = lab.iter().find(|l| l.code.eq_ignore_ascii_case(code))?;
        past(row.code, value, (row.at_least, row.at_most), &row.source)
    })
}

/// The alert's reason for the critical values of one measurement: each value with its limit,
/// where it came from, and the sources of the limits. `from` says how the values arrived
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
    let mut sources: Vec<&str> = Vec::new();
    for f in findings {
        if !sources.contains(&f.source.as_str()) {
            sources.push(&f.source);
        }
    }
    format!(
        "危急值：{}；来源：{from}。请在1小时内处理。依据：{}",
        values.join("，"),
        sources.join("；")
    )
}

/// An organisation's row for the laboratory table, validated: a laboratory indicator (short or
/// LOINC code), at least one limit, each finite, physiologically possible and outside the
/// indicator's reference range (a limit inside it would call normal values critical), the low
/// below the high, and a source of at most 200 characters.
pub fn lab_limit(
    code: &str,
    at_most: Option<f64>,
    at_least: Option<f64>,
    source: &str,
) -> Result<LabLimit, FieldError> {
    let indicator = lookup(code).filter(|i| is_laboratory(i.code)).ok_or_else(|| {
        FieldError::new(
            "code",
            "not_laboratory",
            format!("{code} is not a laboratory indicator of the catalogue"),
            "危急值表只收检验项目（血压等体征的紧急阈值由国家规范规定）",
        )
    })?;
    if at_most.is_none() && at_least.is_none() {
        return Err(FieldError::new(
            "at_least",
            "no_limit",
            "give at_most, at_least or both",
            "请至少填写一个界值（低限或高限）",
        ));
    }
    let (normal_low, normal_high) = normal_bounds(indicator);
    if let Some(v) = at_most {
        limit_value(indicator, v, "at_most")?;
        if normal_low.is_some_and(|n| v >= n) {
            return Err(outside("at_most", indicator, "below", normal_low));
        }
    }
    if let Some(v) = at_least {
        limit_value(indicator, v, "at_least")?;
        if normal_high.is_some_and(|n| v <= n) {
            return Err(outside("at_least", indicator, "above", normal_high));
        }
    }
    let source = source.trim();
    if source.is_empty() {
        return Err(FieldError::new(
            "source",
            "required",
            "name the source of the limits",
            "请填写界值的依据（如本院危急值管理制度）",
        ));
    }
    if source.chars().count() > 200 {
        return Err(FieldError::new(
            "source",
            "too_long",
            "source is longer than 200 characters",
            "依据不能超过200字",
        ));
    }
    Ok(LabLimit {
        code: indicator.code,
        at_most,
        at_least,
        source: source.to_string(),
        own: true,
    })
}

/// The widest normal range of an indicator over both sexes: (lowest low, highest high).
fn normal_bounds(i: &Indicator) -> (Option<f64>, Option<f64>) {
    use crate::patient::Sex;
    let ranges = [Sex::Male, Sex::Female].map(|s| i.reference.for_sex(s).map(|r| r.bounds()));
    let low = ranges.iter().flatten().filter_map(|b| b.0).reduce(f64::min);
    let high = ranges.iter().flatten().filter_map(|b| b.1).reduce(f64::max);
    (low, high)
}

fn limit_value(i: &Indicator, v: f64, field: &str) -> Result<(), FieldError> {
    let (lo, hi) = i.plausible;
    if v.is_finite() && (lo..=hi).contains(&v) {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        "out_of_range",
        format!("{field} must lie within {lo}–{hi} {}", i.unit),
        format!("界值须在 {lo}–{hi} {} 之间", i.unit),
    ))
}

fn outside(field: &str, i: &Indicator, side: &str, normal: Option<f64>) -> FieldError {
    let normal = normal.unwrap_or_default();
    let (en, zh) = if side == "below" {
        (
            format!("{field} must lie below the normal range (from {normal} {})", i.unit),
            format!("低限须低于正常范围（{normal} {}）", i.unit),
        )
    } else {
        (
            format!("{field} must lie above the normal range (up to {normal} {})", i.unit),
            format!("高限须高于正常范围（{normal} {}）", i.unit),
        )
    };
    FieldError::new(field, "inside_normal_range", en, zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(code: &str, value: f64, diabetic: bool) -> Option<Finding> {
        check(code, value, diabetic, &seeded_lab_table())
    }

    #[test]
    fn values_at_the_national_limits_are_critical_and_just_inside_are_not() {
        assert_eq!(seeded("sbp", 180.0, false).map(|f| f.side), Some(Side::High));
        assert_eq!(seeded("sbp", 179.0, false), None);
        assert_eq!(seeded("dbp", 110.0, false).map(|f| f.limit), Some(110.0));
        assert_eq!(seeded("dbp", 109.0, false), None);
        assert_eq!(seeded("fpg", 16.7, false).map(|f| f.side), Some(Side::High));
        assert_eq!(seeded("fpg", 3.9, true).map(|f| f.side), Some(Side::Low));
        assert_eq!(seeded("fpg", 4.0, true), None);
        assert_eq!(seeded("fpg", 16.6, true), None);
        assert_eq!(seeded("hr", 180.0, true), None, "no limit for heart rate here");
        assert_eq!(seeded("sbp", 200.0, false).unwrap().source, SOURCE_ZH);
    }

    #[test]
    fn low_glucose_is_critical_only_with_diabetes_until_the_laboratory_limit() {
        assert_eq!(
            seeded("fpg", 3.8, false),
            None,
            "a fasting 3.8 without diabetes is no emergency"
        );
        assert_eq!(seeded("fpg", 3.8, true).map(|f| f.side), Some(Side::Low));
        let low = seeded("fpg", 2.6, false).expect("2.6 is critical for anyone");
        assert_eq!((low.limit, low.source.as_str()), (2.8, LAB_SOURCE_ZH));
        assert_eq!(
            seeded("fpg", 2.6, true).unwrap().source,
            SOURCE_ZH,
            "the national limit first"
        );
    }

    #[test]
    fn the_seeded_laboratory_rows_catch_the_commonly_listed_values() {
        for (code, value, side, limit) in [
            ("k", 6.8, Side::High, 6.2),
            ("k", 2.8, Side::Low, 2.8),
            ("na", 118.0, Side::Low, 120.0),
            ("na", 160.0, Side::High, 160.0),
            ("hb", 45.0, Side::Low, 50.0),
            ("plt", 12.0, Side::Low, 30.0),
            ("plt", 1200.0, Side::High, 1000.0),
        ] {
            let f = seeded(code, value, false).unwrap_or_else(|| panic!("{code} {value}"));
            assert_eq!((f.side, f.limit), (side, limit), "{code} {value}");
        }
        for (code, value) in [
            ("k", 5.9),
            ("k", 3.0),
            ("na", 130.0),
            ("hb", 90.0),
            ("plt", 80.0),
            ("cr", 900.0),
        ] {
            assert_eq!(seeded(code, value, true), None, "{code} {value}");
        }
        for row in seeded_lab_table() {
            let again = lab_limit(row.code, row.at_most, row.at_least, &row.source).unwrap();
            assert_eq!(
                (again.at_most, again.at_least),
                (row.at_most, row.at_least),
                "{}",
                row.code
            );
        }
    }

    #[test]
    fn an_organisations_rows_replace_the_seeded_ones_and_keep_catalogue_order() {
        let own = vec![
            lab_limit("2823-3", Some(3.0), Some(6.0), "本院危急值管理制度（2025版）").unwrap(),
            lab_limit("cr", None, Some(707.0), "本院肾内科").unwrap(),
        ];
        let table = lab_table(own);
        let codes: Vec<&str> = table.iter().map(|l| l.code).collect();
        assert_eq!(codes, ["fpg", "cr", "k", "na", "hb", "plt"]);
        let k = check("k", 6.0, false, &table).unwrap();
        assert_eq!((k.limit, k.source.as_str()), (6.0, "本院危急值管理制度（2025版）"));
        assert!(check("cr", 720.0, false, &table).is_some());
        assert!(table.iter().filter(|l| l.own).count() == 2);
    }

    #[test]
    fn a_row_that_would_call_normal_values_critical_or_names_a_vital_sign_is_refused() {
        let code = |r: Result<LabLimit, FieldError>| r.unwrap_err().code;
        assert_eq!(code(lab_limit("sbp", None, Some(170.0), "x")), "not_laboratory");
        assert_eq!(code(lab_limit("nope", None, Some(1.0), "x")), "not_laboratory");
        assert_eq!(code(lab_limit("k", None, None, "x")), "no_limit");
        assert_eq!(code(lab_limit("k", None, Some(5.0), "x")), "inside_normal_range");
        assert_eq!(code(lab_limit("k", Some(3.6), None, "x")), "inside_normal_range");
        assert_eq!(code(lab_limit("k", Some(f64::NAN), None, "x")), "out_of_range");
        assert_eq!(code(lab_limit("k", None, Some(1e9), "x")), "out_of_range");
        assert_eq!(code(lab_limit("k", Some(2.5), None, "  ")), "required");
        assert_eq!(code(lab_limit("k", Some(2.5), None, &"依".repeat(201))), "too_long");
        assert!(
            lab_limit("hb", Some(60.0), None, "本院").is_ok(),
            "60 g/L is below both sexes' normal ranges"
        );
        assert_eq!(
            code(lab_limit("hb", Some(120.0), None, "x")),
            "inside_normal_range",
            "normal for women"
        );
    }

    #[test]
    fn the_reason_names_each_value_its_limit_where_it_came_from_and_the_sources() {
        let findings = [
            seeded("sbp", 210.0, false).unwrap(),
            seeded("dbp", 125.0, false).unwrap(),
        ];
        let text = reason(&findings, "录入");
        assert!(text.contains("收缩压 210 mmHg（危急值 ≥180 mmHg）"), "{text}");
        assert!(text.contains("舒张压 125 mmHg（危急值 ≥110 mmHg）"), "{text}");
        assert!(text.contains("来源：录入") && text.contains(SOURCE_ZH), "{text}");
        assert_eq!(text.matches(SOURCE_ZH).count(), 1, "{text}");
        let low = reason(
            &[seeded("fpg", 2.8, true).unwrap(), seeded("k", 2.5, true).unwrap()],
            "导入",
        );
        assert!(
            low.contains("≤3.9 mmol/L") && low.contains("血钾 2.5 mmol/L（危急值 ≤2.8 mmol/L）"),
            "{low}"
        );
        assert!(low.contains(LAB_SOURCE_ZH) && low.contains(SOURCE_ZH), "{low}");
    }
}
