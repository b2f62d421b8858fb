//! China-PAR 10-year ASCVD risk. Yang X, Li J, Hu D, et al. Predicting the 10-Year Risks of
//! Atherosclerotic Cardiovascular Disease in Chinese Population: The China-PAR Project.
//! Circulation 2016;134:1430–1440 (doi:10.1161/CIRCULATIONAHA.116.022367).
//!
//! Constant set `T/JPMA 024-2024`: the 3-decimal coefficients printed in 江苏省预防医学会团体标准
//! T/JPMA 024—2024 附录 C/D with baseline survival 0.9707 (men) and 0.9851 (women). The paper's
//! 2-decimal men's coefficients give about 6% too high, and its printed women's S10 of 0.99 about a
//! third too low (CLINICAL.md §3.1); this set reproduces the paper's worked profile (age 60: men
//! 11.0%, women 10.1%) within 0.3 percentage point. Categories from 中国心血管病风险评估和管理指南
//! (2019): low < 5%, intermediate 5–< 10%, high ≥ 10%. Derived at ages 35–74 without ASCVD; the
//! official calculator accepts 20 and over, the T/JPMA calculator 20–85: ages 20–85 are
//! evaluated, outside 35–74 flagged, others refused.

use super::input::Region;
use super::{Contribution, Outcome, RiskInput, RiskResult, flag, missing, refuse, ten_year_risk, term};
use crate::FieldError;
use crate::patient::Sex;

pub const CONSTANTS: &str = "T/JPMA 024-2024 (3 dp), S10 men 0.9707 / women 0.9851";

struct Coefficients {
    age: f64,
    sbp_treated: f64,
    sbp_untreated: f64,
    tc: f64,
    hdl: f64,
    waist: f64,
    smoker: f64,
    diabetes: f64,
    north: f64,
    urban: f64,
    family: f64,
    age_sbp_treated: f64,
    age_sbp_untreated: f64,
    age_smoker: f64,
    age_family: f64,
    mean: f64,
    s10: f64,
}

const MEN: Coefficients = Coefficients {
    age: 31.967,
    sbp_treated: 27.388,
    sbp_untreated: 26.148,
    tc: 0.621,
    hdl: -0.695,
    waist: -0.712,
    smoker: 3.955,
    diabetes: 0.357,
    north: 0.475,
    urban: -0.164,
    family: 6.221,
    age_sbp_treated: -6.018,
    age_sbp_untreated: -5.731,
    age_smoker: -0.939,
    age_family: -1.534,
    mean: 140.68,
    s10: 0.9707,
};

/// Urban residence and family history enter the men's equation only.
const WOMEN: Coefficients = Coefficients {
    age: 24.874,
    sbp_treated: 20.709,
    sbp_untreated: 19.982,
    tc: 0.058,
    hdl: -0.217,
    waist: 1.475,
    smoker: 0.495,
    diabetes: 0.567,
    north: 0.544,
    urban: 0.0,
    family: 0.0,
    age_sbp_treated: -4.528,
    age_sbp_untreated: -4.360,
    age_smoker: 0.0,
    age_family: 0.0,
    mean: 117.26,
    s10: 0.9851,
};

pub fn evaluate(i: &RiskInput) -> Result<RiskResult, FieldError> {
    let male = i.sex == Some(Sex::Male);
    let mut needed = vec![
        ("sex", i.sex.is_some()),
        ("age", i.age.is_some()),
        ("sbp", i.sbp.is_some()),
        ("bp_treated", i.bp_treated.is_some()),
        ("total_cholesterol", i.total_cholesterol.is_some()),
        ("hdl_cholesterol", i.hdl_cholesterol.is_some()),
        ("waist_cm", i.waist_cm.is_some()),
        ("smoker", i.smoker.is_some()),
        ("diabetes", i.diabetes.is_some()),
        ("region", i.region.is_some()),
    ];
    if male || i.sex.is_none() {
        needed.push(("urban", i.urban.is_some()));
        needed.push(("family_history_ascvd", i.family_history_ascvd.is_some()));
    }
    let (
        Some(sex),
        Some(age),
        Some(sbp),
        Some(treated),
        Some(tc),
        Some(hdl),
        Some(waist),
        Some(smoker),
        Some(diabetes),
        Some(region),
    ) = (
        i.sex,
        i.age,
        i.sbp,
        i.bp_treated,
        i.total_cholesterol,
        i.hdl_cholesterol,
        i.waist_cm,
        i.smoker,
        i.diabetes,
        i.region,
    )
    else {
        return Ok(RiskResult::incomplete("china-par", CONSTANTS, missing(&needed)));
    };
    let (urban, family) = (i.urban.unwrap_or(false), i.family_history_ascvd.unwrap_or(false));
    if sex == Sex::Male && (i.urban.is_none() || i.family_history_ascvd.is_none()) {
        return Ok(RiskResult::incomplete("china-par", CONSTANTS, missing(&needed)));
    }
    if !(20.0..=85.0).contains(&age) {
        return Err(refuse(
            "age",
            "China-PAR is evaluated at ages 20–85 only".into(),
            "China-PAR 仅适用于 20–85 岁".into(),
        ));
    }
    let c = if sex == Sex::Male { &MEN } else { &WOMEN };
    let (la, ls) = (age.ln(), sbp.ln());
    let mut terms: Vec<Contribution> = vec![term("age", "ln age", la, c.age)];
    if treated {
        terms.push(term("sbp", "ln SBP (treated)", ls, c.sbp_treated));
        terms.push(term("age×sbp", "ln age × ln SBP (treated)", la * ls, c.age_sbp_treated));
    } else {
        terms.push(term("sbp", "ln SBP (untreated)", ls, c.sbp_untreated));
        terms.push(term(
            "age×sbp",
            "ln age × ln SBP (untreated)",
            la * ls,
            c.age_sbp_untreated,
        ));
    }
    terms.push(term("total_cholesterol", "ln TC (mg/dL)", tc.mg_dl().ln(), c.tc));
    terms.push(term("hdl_cholesterol", "ln HDL-C (mg/dL)", hdl.mg_dl().ln(), c.hdl));
    terms.push(term("waist_cm", "ln waist (cm)", waist.ln(), c.waist));
    terms.push(term("smoker", "current smoker", flag(smoker), c.smoker));
    terms.push(term("diabetes", "diabetes", flag(diabetes), c.diabetes));
    terms.push(term(
        "region",
        "north (vs south)",
        flag(region == Region::North),
        c.north,
    ));
    if sex == Sex::Male {
        terms.push(term("urban", "urban (vs rural)", flag(urban), c.urban));
        terms.push(term(
            "family_history_ascvd",
            "family history of ASCVD",
            flag(family),
            c.family,
        ));
        terms.push(term("age×smoker", "ln age × smoker", la * flag(smoker), c.age_smoker));
        terms.push(term(
            "age×family_history_ascvd",
            "ln age × family history",
            la * flag(family),
            c.age_family,
        ));
    }
    let sum: f64 = terms.iter().map(|t| t.contribution).sum();
    let risk = ten_year_risk(c.s10, sum, c.mean);
    let mut flags = Vec::new();
    if !(35.0..=74.0).contains(&age) {
        flags.push("age outside the derivation range 35–74: the risk is extrapolated (模型推导人群为 35–74 岁)".into());
    }
    Ok(RiskResult::complete(
        "china-par",
        Outcome::Percent(risk),
        category(risk),
        terms,
        CONSTANTS,
        flags,
    ))
}

/// 中国心血管病风险评估和管理指南 (2019), Figure 1.
pub fn category(risk: f64) -> (&'static str, &'static str) {
    if risk < 5.0 {
        ("low", "低危")
    } else if risk < 10.0 {
        ("intermediate", "中危")
    } else {
        ("high", "高危")
    }
}
