//! Classification of single measurements against Chinese reference values (CLINICAL.md §2):
//!
//! - blood pressure: 中国高血压防治指南 (2018 revision) — normal < 120 and < 80; high-normal
//!   120–139 and/or 80–89; grade 1 140–159 / 90–99, grade 2 160–179 / 100–109, grade 3 ≥ 180 /
//!   ≥ 110, the higher of the SBP and DBP grades; isolated systolic ≥ 140 with < 90 (graded by SBP);
//! - BMI and waist: WS/T 428-2013 — BMI < 18.5 underweight, < 24 normal, < 28 overweight, ≥ 28
//!   obese; waist men 85–< 90 / women 80–< 85 pre-central obesity, ≥ 90 / ≥ 85 central obesity;
//! - glucose (venous plasma, WHO 1999 as used by the CDS 2020 guideline): fasting < 6.1 normal,
//!   6.1–< 7.0 IFG, ≥ 7.0 diabetic range; 2 h OGTT < 7.8 normal, 7.8–< 11.1 IGT, ≥ 11.1 diabetic;
//! - lipids (mmol/L): 中国成人血脂异常防治指南 (2016) — TC < 5.2 suitable, 5.2–< 6.2 borderline
//!   high, ≥ 6.2 high; LDL-C < 2.6 ideal, < 3.4 suitable, 3.4–< 4.1 borderline high, ≥ 4.1 high;
//!   HDL-C < 1.0 low; TG < 1.7 suitable, 1.7–< 2.3 borderline high, ≥ 2.3 high.
//!
//! A category describes one measurement; it is not a diagnosis (hypertension needs three
//! readings on different days, diabetes a repeat test without symptoms).

use crate::FieldError;
use crate::patient::Sex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    pub sbp: Option<f64>,
    pub dbp: Option<f64>,
    pub bmi: Option<f64>,
    pub waist_cm: Option<f64>,
    pub sex: Option<Sex>,
    pub tc: Option<f64>,
    pub ldl: Option<f64>,
    pub hdl: Option<f64>,
    pub tg: Option<f64>,
    pub fpg: Option<f64>,
    pub ogtt_2h: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: &'static str,
    pub zh: &'static str,
    pub source: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BpCategory {
    /// `normal`, `high_normal`, `grade_1`, `grade_2` or `grade_3`.
    pub code: &'static str,
    pub zh: &'static str,
    /// SBP ≥ 140 with DBP < 90 (单纯收缩期高血压); `code` is then its SBP grade.
    pub isolated_systolic: bool,
    pub source: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Classification {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bp: Option<BpCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bmi: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waist: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glucose: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tc: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldl: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hdl: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tg: Option<Category>,
}

const BP_SOURCE: &str = "中国高血压防治指南 2018";
const WEIGHT_SOURCE: &str = "WS/T 428-2013";
const GLUCOSE_SOURCE: &str = "WHO 1999 / 中国2型糖尿病防治指南 2020";
const LIPID_SOURCE: &str = "中国成人血脂异常防治指南 2016";

fn cat(code: &'static str, zh: &'static str, source: &'static str) -> Category {
    Category { code, zh, source }
}

fn check(field: &str, v: Option<f64>, low: f64, high: f64, unit: &str) -> Result<(), FieldError> {
    match v {
        Some(x) if !x.is_finite() || !(low..=high).contains(&x) => Err(FieldError::new(
            field,
            "out_of_range",
            format!("{field} must be between {low} and {high} {unit}"),
            format!("{field} 应在 {low} 至 {high} {unit} 之间"),
        )),
        _ => Ok(()),
    }
}

/// Classify every item given; items not given are left out. Errors name the field.
pub fn classify(i: &ClassifyInput) -> Result<Classification, FieldError> {
    check("sbp", i.sbp, 60.0, 300.0, "mmHg")?;
    check("dbp", i.dbp, 30.0, 200.0, "mmHg")?;
    check("bmi", i.bmi, 10.0, 80.0, "kg/m²")?;
    check("waist_cm", i.waist_cm, 40.0, 200.0, "cm")?;
    for (field, v) in [("tc", i.tc), ("ldl", i.ldl), ("hdl", i.hdl), ("tg", i.tg)] {
        check(field, v, 0.05, 30.0, "mmol/L")?;
    }
    check("fpg", i.fpg, 1.0, 40.0, "mmol/L")?;
    check("ogtt_2h", i.ogtt_2h, 1.0, 40.0, "mmol/L")?;
    let bp = match (i.sbp, i.dbp) {
        (Some(s), Some(d)) if d >= s => {
            return Err(FieldError::new(
                "dbp",
                "dbp_not_below_sbp",
                "dbp must be below sbp",
                "舒张压应低于收缩压",
            ));
        }
        (Some(s), Some(d)) => Some(blood_pressure(s, d)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(FieldError::new(
                "dbp",
                "required",
                "sbp needs dbp",
                "收缩压需与舒张压一起提供",
            ));
        }
        (None, Some(_)) => {
            return Err(FieldError::new(
                "sbp",
                "required",
                "dbp needs sbp",
                "舒张压需与收缩压一起提供",
            ));
        }
    };
    let waist = match (i.waist_cm, i.sex) {
        (Some(w), Some(sex)) => Some(waist(w, sex)),
        (Some(_), None) => {
            return Err(FieldError::new(
                "sex",
                "required",
                "waist_cm needs sex",
                "腰围分类需要性别",
            ));
        }
        (None, _) => None,
    };
    Ok(Classification {
        bp,
        bmi: i.bmi.map(bmi),
        waist,
        glucose: glucose(i.fpg, i.ogtt_2h),
        tc: i.tc.map(|v| three(v, 5.2, 6.2)),
        ldl: i.ldl.map(|v| {
            if v < 2.6 {
                cat("ideal", "理想水平", LIPID_SOURCE)
            } else {
                three(v, 3.4, 4.1)
            }
        }),
        hdl: i.hdl.map(|v| {
            if v < 1.0 {
                cat("low", "降低", LIPID_SOURCE)
            } else {
                cat("normal", "正常", LIPID_SOURCE)
            }
        }),
        tg: i.tg.map(|v| three(v, 1.7, 2.3)),
    })
}

fn grade(sbp: f64, dbp: f64) -> u8 {
    let by_sbp = match sbp {
        s if s >= 180.0 => 3,
        s if s >= 160.0 => 2,
        s if s >= 140.0 => 1,
        _ => 0,
    };
    let by_dbp = match dbp {
        d if d >= 110.0 => 3,
        d if d >= 100.0 => 2,
        d if d >= 90.0 => 1,
        _ => 0,
    };
    by_sbp.max(by_dbp)
}

pub fn blood_pressure(sbp: f64, dbp: f64) -> BpCategory {
    let (code, zh) = match grade(sbp, dbp) {
        3 => ("grade_3", "3级高血压（重度）"),
        2 => ("grade_2", "2级高血压（中度）"),
        1 => ("grade_1", "1级高血压（轻度）"),
        _ if sbp >= 120.0 || dbp >= 80.0 => ("high_normal", "正常高值"),
        _ => ("normal", "正常血压"),
    };
    BpCategory {
        code,
        zh,
        isolated_systolic: sbp >= 140.0 && dbp < 90.0,
        source: BP_SOURCE,
    }
}

pub fn bmi(v: f64) -> Category {
    match v {
        v if v < 18.5 => cat("underweight", "体重过低", WEIGHT_SOURCE),
        v if v < 24.0 => cat("normal", "体重正常", WEIGHT_SOURCE),
        v if v < 28.0 => cat("overweight", "超重", WEIGHT_SOURCE),
        _ => cat("obese", "肥胖", WEIGHT_SOURCE),
    }
}

pub fn waist(cm: f64, sex: Sex) -> Category {
    let (pre, central) = match sex {
        Sex::Male => (85.0, 90.0),
        Sex::Female => (80.0, 85.0),
    };
    if cm >= central {
        cat("central_obesity", "中心型肥胖", WEIGHT_SOURCE)
    } else if cm >= pre {
        cat("pre_central_obesity", "中心型肥胖前期", WEIGHT_SOURCE)
    } else {
        cat("normal", "正常", WEIGHT_SOURCE)
    }
}

/// Glucose status from the fasting and/or 2 h values: the diabetic range if either is; IFG and
/// IGT may both hold (`ifg_igt`).
pub fn glucose(fpg: Option<f64>, ogtt_2h: Option<f64>) -> Option<Category> {
    if fpg.is_none() && ogtt_2h.is_none() {
        return None;
    }
    let diabetic = fpg.is_some_and(|f| f >= 7.0) || ogtt_2h.is_some_and(|g| g >= 11.1);
    let ifg = fpg.is_some_and(|f| (6.1..7.0).contains(&f));
    let igt = ogtt_2h.is_some_and(|g| (7.8..11.1).contains(&g));
    Some(match (diabetic, ifg, igt) {
        (true, _, _) => cat("diabetic_range", "糖尿病范围", GLUCOSE_SOURCE),
        (false, true, true) => cat("ifg_igt", "空腹血糖受损合并糖耐量减低", GLUCOSE_SOURCE),
        (false, true, false) => cat("ifg", "空腹血糖受损", GLUCOSE_SOURCE),
        (false, false, true) => cat("igt", "糖耐量减低", GLUCOSE_SOURCE),
        (false, false, false) => cat("normal", "血糖正常", GLUCOSE_SOURCE),
    })
}

fn three(v: f64, borderline: f64, high: f64) -> Category {
    if v >= high {
        cat("high", "升高", LIPID_SOURCE)
    } else if v >= borderline {
        cat("borderline_high", "边缘升高", LIPID_SOURCE)
    } else {
        cat("suitable", "合适水平", LIPID_SOURCE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bp(s: f64, d: f64) -> (&'static str, bool) {
        let c = blood_pressure(s, d);
        (c.code, c.isolated_systolic)
    }

    #[test]
    fn blood_pressure_at_every_edge_takes_the_higher_grade() {
        assert_eq!(bp(119.0, 79.0), ("normal", false));
        assert_eq!(bp(120.0, 79.0), ("high_normal", false));
        assert_eq!(bp(119.0, 80.0), ("high_normal", false));
        assert_eq!(bp(139.0, 89.0), ("high_normal", false));
        assert_eq!(bp(140.0, 89.0), ("grade_1", true));
        assert_eq!(bp(139.0, 90.0), ("grade_1", false));
        assert_eq!(bp(159.0, 99.0), ("grade_1", false));
        assert_eq!(bp(160.0, 95.0), ("grade_2", false));
        assert_eq!(bp(150.0, 100.0), ("grade_2", false), "the higher of the two grades");
        assert_eq!(bp(179.0, 109.0), ("grade_2", false));
        assert_eq!(bp(180.0, 85.0), ("grade_3", true));
        assert_eq!(bp(130.0, 110.0), ("grade_3", false));
    }

    #[test]
    fn bmi_and_waist_at_their_edges() {
        let codes: Vec<&str> = [18.4, 18.5, 23.9, 24.0, 27.9, 28.0]
            .iter()
            .map(|v| bmi(*v).code)
            .collect();
        assert_eq!(
            codes,
            ["underweight", "normal", "normal", "overweight", "overweight", "obese"]
        );
        assert_eq!(waist(84.9, Sex::Male).code, "normal");
        assert_eq!(waist(85.0, Sex::Male).code, "pre_central_obesity");
        assert_eq!(waist(90.0, Sex::Male).code, "central_obesity");
        assert_eq!(waist(79.9, Sex::Female).code, "normal");
        assert_eq!(waist(80.0, Sex::Female).code, "pre_central_obesity");
        assert_eq!(waist(85.0, Sex::Female).code, "central_obesity");
    }

    #[test]
    fn glucose_status_from_fasting_and_two_hour_values() {
        let g = |f, o| glucose(f, o).map(|c| c.code);
        assert_eq!(g(Some(6.0), None), Some("normal"));
        assert_eq!(g(Some(6.1), None), Some("ifg"));
        assert_eq!(g(Some(6.9), Some(7.7)), Some("ifg"));
        assert_eq!(g(Some(7.0), None), Some("diabetic_range"));
        assert_eq!(g(None, Some(7.8)), Some("igt"));
        assert_eq!(g(None, Some(11.1)), Some("diabetic_range"));
        assert_eq!(g(Some(6.5), Some(9.0)), Some("ifg_igt"));
        assert_eq!(g(Some(5.0), Some(11.2)), Some("diabetic_range"));
        assert_eq!(g(None, None), None);
    }

    #[test]
    fn lipids_at_their_edges() {
        let c = |i: ClassifyInput| classify(&i).unwrap();
        let r = c(ClassifyInput {
            tc: Some(5.19),
            ldl: Some(2.59),
            hdl: Some(0.99),
            tg: Some(1.69),
            ..Default::default()
        });
        assert_eq!(
            [
                r.tc.unwrap().code,
                r.ldl.unwrap().code,
                r.hdl.unwrap().code,
                r.tg.unwrap().code
            ],
            ["suitable", "ideal", "low", "suitable"]
        );
        let r = c(ClassifyInput {
            tc: Some(5.2),
            ldl: Some(3.4),
            hdl: Some(1.0),
            tg: Some(1.7),
            ..Default::default()
        });
        assert_eq!(
            [
                r.tc.unwrap().code,
                r.ldl.unwrap().code,
                r.hdl.unwrap().code,
                r.tg.unwrap().code
            ],
            ["borderline_high", "borderline_high", "normal", "borderline_high"]
        );
        let r = c(ClassifyInput {
            tc: Some(6.2),
            ldl: Some(4.1),
            tg: Some(2.3),
            ..Default::default()
        });
        assert_eq!(
            [r.tc.unwrap().code, r.ldl.unwrap().code, r.tg.unwrap().code],
            ["high", "high", "high"]
        );
        assert_eq!(
            c(ClassifyInput {
                ldl: Some(2.6),
                ..Default::default()
            })
            .ldl
            .unwrap()
            .code,
            "suitable"
        );
    }

    #[test]
    fn incomplete_or_impossible_inputs_name_their_field() {
        let e = |i: ClassifyInput| classify(&i).unwrap_err().field;
        assert_eq!(
            e(ClassifyInput {
                sbp: Some(150.0),
                ..Default::default()
            }),
            "dbp"
        );
        assert_eq!(
            e(ClassifyInput {
                waist_cm: Some(90.0),
                ..Default::default()
            }),
            "sex"
        );
        assert_eq!(
            e(ClassifyInput {
                sbp: Some(80.0),
                dbp: Some(90.0),
                ..Default::default()
            }),
            "dbp"
        );
        assert_eq!(
            e(ClassifyInput {
                fpg: Some(70.0),
                ..Default::default()
            }),
            "fpg"
        );
        assert_eq!(classify(&ClassifyInput::default()).unwrap(), Classification::default());
    }
}
