//! The new Chinese Diabetes Risk Score (中国糖尿病风险评分). Zhou X, Qiao Q, Ji L, et al.
//! Nonlaboratory-based risk assessment algorithm for undiagnosed type 2 diabetes developed on a
//! nation-wide diabetes survey. Diabetes Care 2013;36:3944–3952. Adopted by the 中国2型糖尿病
//! 防治指南 (2017, 2020) for screening.
//!
//! Constant set `Zhou 2013 points`: the points table as CLINICAL.md §3.2 gives it — matched by an
//! independent implementation and summing to the published maximum of 51, but
//! [partly verified]: the paper's Table 3 was not opened. Score ≥ 25 → an OGTT is advised.
//! Applicable at ages 20–74; refused outside.
//!
//! Family history counts diabetes in a parent, sibling or child only (the score table in the
//! 中国2型糖尿病防治指南 2020: 糖尿病家族史（父母、同胞、子女）); given FINDRISC's graded
//! answer, `second_degree` scores 0 here.

use super::{Contribution, RiskInput, RiskResult, missing, points, refuse};
use crate::FieldError;
use crate::patient::Sex;

pub const CONSTANTS: &str = "Zhou 2013 points table (0–51; cut-off 25) [partly verified]";

/// Points for the first band whose upper bound (exclusive) is above `v`, else `last`.
fn band(v: f64, bands: &[(f64, f64)], last: f64) -> f64 {
    bands.iter().find(|(upper, _)| v < *upper).map_or(last, |(_, p)| *p)
}

pub fn evaluate(i: &RiskInput) -> Result<RiskResult, FieldError> {
    let needed = [
        ("sex", i.sex.is_some()),
        ("age", i.age.is_some()),
        ("sbp", i.sbp.is_some()),
        ("bmi", i.bmi.is_some()),
        ("waist_cm", i.waist_cm.is_some()),
        ("family_history_diabetes", i.family_history_diabetes.is_some()),
    ];
    let (Some(sex), Some(age), Some(sbp), Some(bmi), Some(waist), Some(family)) =
        (i.sex, i.age, i.sbp, i.bmi, i.waist_cm, i.family_history_diabetes)
    else {
        return Ok(RiskResult::incomplete("cdrs", CONSTANTS, missing(&needed)));
    };
    if !(20.0..75.0).contains(&age) {
        return Err(refuse(
            "age",
            "the Chinese Diabetes Risk Score applies at ages 20–74 only".into(),
            "中国糖尿病风险评分仅适用于 20–74 岁".into(),
        ));
    }
    let years = age.floor();
    let age_points = band(
        years,
        &[
            (25.0, 0.0),
            (35.0, 4.0),
            (40.0, 8.0),
            (45.0, 11.0),
            (50.0, 12.0),
            (55.0, 13.0),
            (60.0, 15.0),
            (65.0, 16.0),
        ],
        18.0,
    );
    let sbp_points = band(
        sbp,
        &[
            (110.0, 0.0),
            (120.0, 1.0),
            (130.0, 3.0),
            (140.0, 6.0),
            (150.0, 7.0),
            (160.0, 8.0),
        ],
        10.0,
    );
    let bmi_points = band(bmi, &[(22.0, 0.0), (24.0, 1.0), (30.0, 3.0)], 5.0);
    let waist_bands: [(f64, f64); 5] = match sex {
        Sex::Male => [(75.0, 0.0), (80.0, 3.0), (85.0, 5.0), (90.0, 7.0), (95.0, 8.0)],
        Sex::Female => [(70.0, 0.0), (75.0, 3.0), (80.0, 5.0), (85.0, 7.0), (90.0, 8.0)],
    };
    let waist_points = band(waist, &waist_bands, 10.0);
    let family_points = if family.first_degree() { 6.0 } else { 0.0 };
    let sex_points = if sex == Sex::Male { 2.0 } else { 0.0 };
    let terms: Vec<Contribution> = vec![
        points("age", format!("age {years}"), age, age_points),
        points("sbp", format!("SBP {sbp} mmHg"), sbp, sbp_points),
        points("bmi", format!("BMI {bmi} kg/m²"), bmi, bmi_points),
        points(
            "waist_cm",
            format!("waist {waist} cm ({})", sex.as_str()),
            waist,
            waist_points,
        ),
        points(
            "family_history_diabetes",
            "family history of diabetes".into(),
            f64::from(u8::from(family.first_degree())),
            family_points,
        ),
        points(
            "sex",
            format!("sex {}", sex.as_str()),
            f64::from(u8::from(sex == Sex::Male)),
            sex_points,
        ),
    ];
    Ok(RiskResult::from_points("cdrs", terms, category, CONSTANTS))
}

/// Score ≥ 25: an OGTT is advised.
pub fn category(score: f64) -> (&'static str, &'static str) {
    if score >= 25.0 {
        ("high", "高风险（建议做OGTT）")
    } else {
        ("low", "低风险")
    }
}
