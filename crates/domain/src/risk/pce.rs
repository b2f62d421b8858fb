//! 2013 ACC/AHA Pooled Cohort Equations, 10-year hard ASCVD risk. Goff DC Jr, Lloyd-Jones DM,
//! et al. 2013 ACC/AHA Guideline on the Assessment of Cardiovascular Risk. Circulation
//! 2014;129(suppl 2):S49–S73; J Am Coll Cardiol 2014;63:2935–2959.
//!
//! Constant set `Goff 2013 Table A`: the guideline's coefficients, mean sums and baseline
//! survivals as printed (3 dp; the white-women untreated-SBP term is 1.957 — PMC's 1.857 is a
//! typo, CLINICAL.md §3.3). "Other" race uses the white equations, as the guideline advises.
//! Valid for ages 40–79 without ASCVD, TC 130–320 mg/dL, HDL-C 20–100 mg/dL, SBP 90–200 mmHg
//! (the ranges the guideline's calculator accepts): outside them the equations are refused.
//! Categories per the 2018 AHA/ACC cholesterol guideline (Grundy SM et al., Circulation
//! 2019;139:e1082–e1143): low < 5%, borderline 5–< 7.5%, intermediate 7.5–< 20%, high ≥ 20%
//! — taken from background knowledge of that guideline, not from CLINICAL.md [unverified].

use super::input::Race;
use super::{Contribution, Outcome, RiskInput, RiskResult, flag, missing, refuse, ten_year_risk, term};
use crate::FieldError;
use crate::patient::Sex;

pub const CONSTANTS: &str = "Goff 2013 Table A (3 dp)";

struct Equation {
    name: &'static str,
    ln_age: f64,
    ln_age_sq: f64,
    ln_tc: f64,
    ln_age_ln_tc: f64,
    ln_hdl: f64,
    ln_age_ln_hdl: f64,
    ln_sbp_treated: f64,
    ln_age_ln_sbp_treated: f64,
    ln_sbp_untreated: f64,
    ln_age_ln_sbp_untreated: f64,
    smoker: f64,
    ln_age_smoker: f64,
    diabetes: f64,
    mean: f64,
    s10: f64,
}

const WHITE_WOMEN: Equation = Equation {
    name: "white women",
    ln_age: -29.799,
    ln_age_sq: 4.884,
    ln_tc: 13.540,
    ln_age_ln_tc: -3.114,
    ln_hdl: -13.578,
    ln_age_ln_hdl: 3.149,
    ln_sbp_treated: 2.019,
    ln_age_ln_sbp_treated: 0.0,
    ln_sbp_untreated: 1.957,
    ln_age_ln_sbp_untreated: 0.0,
    smoker: 7.574,
    ln_age_smoker: -1.665,
    diabetes: 0.661,
    mean: -29.18,
    s10: 0.9665,
};

const AFRICAN_AMERICAN_WOMEN: Equation = Equation {
    name: "African-American women",
    ln_age: 17.114,
    ln_age_sq: 0.0,
    ln_tc: 0.940,
    ln_age_ln_tc: 0.0,
    ln_hdl: -18.920,
    ln_age_ln_hdl: 4.475,
    ln_sbp_treated: 29.291,
    ln_age_ln_sbp_treated: -6.432,
    ln_sbp_untreated: 27.820,
    ln_age_ln_sbp_untreated: -6.087,
    smoker: 0.691,
    ln_age_smoker: 0.0,
    diabetes: 0.874,
    mean: 86.61,
    s10: 0.9533,
};

const WHITE_MEN: Equation = Equation {
    name: "white men",
    ln_age: 12.344,
    ln_age_sq: 0.0,
    ln_tc: 11.853,
    ln_age_ln_tc: -2.664,
    ln_hdl: -7.990,
    ln_age_ln_hdl: 1.769,
    ln_sbp_treated: 1.797,
    ln_age_ln_sbp_treated: 0.0,
    ln_sbp_untreated: 1.764,
    ln_age_ln_sbp_untreated: 0.0,
    smoker: 7.837,
    ln_age_smoker: -1.795,
    diabetes: 0.658,
    mean: 61.18,
    s10: 0.9144,
};

const AFRICAN_AMERICAN_MEN: Equation = Equation {
    name: "African-American men",
    ln_age: 2.469,
    ln_age_sq: 0.0,
    ln_tc: 0.302,
    ln_age_ln_tc: 0.0,
    ln_hdl: -0.307,
    ln_age_ln_hdl: 0.0,
    ln_sbp_treated: 1.916,
    ln_age_ln_sbp_treated: 0.0,
    ln_sbp_untreated: 1.809,
    ln_age_ln_sbp_untreated: 0.0,
    smoker: 0.549,
    ln_age_smoker: 0.0,
    diabetes: 0.645,
    mean: 19.54,
    s10: 0.8954,
};

pub fn evaluate(i: &RiskInput) -> Result<RiskResult, FieldError> {
    let needed = [
        ("sex", i.sex.is_some()),
        ("race", i.race.is_some()),
        ("age", i.age.is_some()),
        ("total_cholesterol", i.total_cholesterol.is_some()),
        ("hdl_cholesterol", i.hdl_cholesterol.is_some()),
        ("sbp", i.sbp.is_some()),
        ("bp_treated", i.bp_treated.is_some()),
        ("smoker", i.smoker.is_some()),
        ("diabetes", i.diabetes.is_some()),
    ];
    let (Some(sex), Some(race), Some(age), Some(tc), Some(hdl), Some(sbp), Some(treated), Some(smoker), Some(diabetes)) = (
        i.sex,
        i.race,
        i.age,
        i.total_cholesterol,
        i.hdl_cholesterol,
        i.sbp,
        i.bp_treated,
        i.smoker,
        i.diabetes,
    ) else {
        return Ok(RiskResult::incomplete("pce", CONSTANTS, missing(&needed)));
    };
    let (tc, hdl) = (tc.mg_dl(), hdl.mg_dl());
    for (field, v, low, high, unit) in [
        ("age", age, 40.0, 79.0, "years"),
        ("total_cholesterol", tc, 130.0, 320.0, "mg/dL"),
        ("hdl_cholesterol", hdl, 20.0, 100.0, "mg/dL"),
        ("sbp", sbp, 90.0, 200.0, "mmHg"),
    ] {
        if !(low..=high).contains(&v) {
            return Err(refuse(
                field,
                format!("the Pooled Cohort Equations are valid for {field} {low}–{high} {unit} only"),
                format!("PCE 仅适用于 {field} {low}–{high} {unit}"),
            ));
        }
    }
    let eq = match (sex, race) {
        (Sex::Female, Race::AfricanAmerican) => &AFRICAN_AMERICAN_WOMEN,
        (Sex::Female, _) => &WHITE_WOMEN,
        (Sex::Male, Race::AfricanAmerican) => &AFRICAN_AMERICAN_MEN,
        (Sex::Male, _) => &WHITE_MEN,
    };
    let (la, lt, lh, ls) = (age.ln(), tc.ln(), hdl.ln(), sbp.ln());
    let s = flag(smoker);
    let mut terms: Vec<Contribution> = vec![
        term("age", "ln age", la, eq.ln_age),
        term("age", "(ln age)²", la * la, eq.ln_age_sq),
        term("total_cholesterol", "ln TC (mg/dL)", lt, eq.ln_tc),
        term("age×total_cholesterol", "ln age × ln TC", la * lt, eq.ln_age_ln_tc),
        term("hdl_cholesterol", "ln HDL-C (mg/dL)", lh, eq.ln_hdl),
        term("age×hdl_cholesterol", "ln age × ln HDL-C", la * lh, eq.ln_age_ln_hdl),
    ];
    if treated {
        terms.push(term("sbp", "ln SBP (treated)", ls, eq.ln_sbp_treated));
        terms.push(term(
            "age×sbp",
            "ln age × ln SBP (treated)",
            la * ls,
            eq.ln_age_ln_sbp_treated,
        ));
    } else {
        terms.push(term("sbp", "ln SBP (untreated)", ls, eq.ln_sbp_untreated));
        terms.push(term(
            "age×sbp",
            "ln age × ln SBP (untreated)",
            la * ls,
            eq.ln_age_ln_sbp_untreated,
        ));
    }
    terms.push(term("smoker", "current smoker", s, eq.smoker));
    terms.push(term("age×smoker", "ln age × smoker", la * s, eq.ln_age_smoker));
    terms.push(term("diabetes", "diabetes", flag(diabetes), eq.diabetes));
    // Terms an equation does not have (coefficient 0) are left out of the explanation.
    terms.retain(|t| t.coefficient != Some(0.0));
    let sum: f64 = terms.iter().map(|t| t.contribution).sum();
    let risk = ten_year_risk(eq.s10, sum, eq.mean);
    let mut flags = vec![format!("equation: {}", eq.name)];
    if race == Race::Other {
        flags.push("race other: the white equations are used, as the guideline advises".into());
    }
    Ok(RiskResult::complete(
        "pce",
        Outcome::Percent(risk),
        category(risk),
        terms,
        CONSTANTS,
        flags,
    ))
}

pub fn category(risk: f64) -> (&'static str, &'static str) {
    if risk < 5.0 {
        ("low", "低危")
    } else if risk < 7.5 {
        ("borderline", "临界")
    } else if risk < 20.0 {
        ("intermediate", "中危")
    } else {
        ("high", "高危")
    }
}
