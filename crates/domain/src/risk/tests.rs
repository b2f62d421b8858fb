//! Every model against its source's worked examples and at its band edges.

use super::input::{Degree, FamilyHistory, LabValue, LipidUnit, Race, Region};
use super::*;
use crate::patient::Sex;

fn mg(v: f64) -> Option<LabValue> {
    Some(LabValue {
        value: v,
        unit: LipidUnit::MgPerDl,
    })
}

/// The China-PAR paper's worked profile (Yang 2016): SBP 130 untreated, TC 210, HDL 55, waist
/// 80, non-smoker, diabetic, north, urban, no family history.
fn china_par_profile(sex: Sex, age: f64) -> RiskInput {
    RiskInput {
        sex: Some(sex),
        age: Some(age),
        sbp: Some(130.0),
        bp_treated: Some(false),
        total_cholesterol: mg(210.0),
        hdl_cholesterol: mg(55.0),
        waist_cm: Some(80.0),
        smoker: Some(false),
        diabetes: Some(true),
        region: Some(Region::North),
        urban: Some(true),
        family_history_ascvd: Some(false),
        ..RiskInput::default()
    }
}

fn value(model: &str, i: &RiskInput) -> f64 {
    evaluate(model, i).unwrap().value.unwrap()
}

#[test]
fn china_par_reproduces_the_papers_worked_example_within_0_3_points() {
    let men = value("china-par", &china_par_profile(Sex::Male, 60.0));
    let women = value("china-par", &china_par_profile(Sex::Female, 60.0));
    assert!((men - 11.0).abs() <= 0.3, "men {men}");
    assert!((women - 10.1).abs() <= 0.3, "women {women}");
    let r = evaluate("china-par", &china_par_profile(Sex::Male, 60.0)).unwrap();
    assert_eq!((r.category, r.constants), (Some("high"), china_par::CONSTANTS));
    // The contributions add up to the sum the risk came from.
    let sum: f64 = r.contributions.iter().map(|c| c.contribution).sum();
    assert!((ten_year_risk(0.9707, sum, 140.68) - men).abs() < 1e-9);
}

#[test]
fn china_par_takes_cholesterol_in_either_unit() {
    let mut i = china_par_profile(Sex::Male, 60.0);
    let in_mg = value("china-par", &i);
    i.total_cholesterol = Some(LabValue {
        value: 210.0 / 38.67,
        unit: LipidUnit::MmolPerL,
    });
    i.hdl_cholesterol = Some(LabValue {
        value: 55.0 / 38.67,
        unit: LipidUnit::MmolPerL,
    });
    assert!((value("china-par", &i) - in_mg).abs() < 1e-9);
}

#[test]
fn china_par_lists_what_is_missing_and_never_guesses() {
    let mut man = china_par_profile(Sex::Male, 60.0);
    man.urban = None;
    man.waist_cm = None;
    let r = evaluate("china-par", &man).unwrap();
    assert_eq!((r.value, r.missing.clone()), (None, vec!["waist_cm", "urban"]));
    // Urban residence and family history are not in the women's equation.
    let mut woman = china_par_profile(Sex::Female, 60.0);
    woman.urban = None;
    woman.family_history_ascvd = None;
    assert!(evaluate("china-par", &woman).unwrap().value.is_some());
}

#[test]
fn china_par_flags_ages_outside_its_derivation_and_refuses_beyond_its_calculator() {
    let r = evaluate("china-par", &china_par_profile(Sex::Male, 30.0)).unwrap();
    assert!(r.value.is_some() && r.flags[0].contains("35–74"));
    assert!(
        evaluate("china-par", &china_par_profile(Sex::Male, 60.0))
            .unwrap()
            .flags
            .is_empty()
    );
    assert_eq!(
        evaluate("china-par", &china_par_profile(Sex::Male, 19.0))
            .unwrap_err()
            .field,
        "age"
    );
    assert_eq!(
        evaluate("china-par", &china_par_profile(Sex::Male, 86.0))
            .unwrap_err()
            .code,
        "outside_model_range"
    );
}

#[test]
fn china_par_categories_at_their_edges() {
    assert_eq!(china_par::category(4.99).0, "low");
    assert_eq!(china_par::category(5.0).0, "intermediate");
    assert_eq!(china_par::category(9.99).0, "intermediate");
    assert_eq!(china_par::category(10.0).0, "high");
}

/// The guideline's worked example (Goff 2013): age 55, TC 213, HDL 50, SBP 120 untreated,
/// non-smoker, no diabetes → WW 2.1%, AAW 3.0%, WM 5.3%, AAM 6.1% (full precision gives WM 5.38;
/// the guideline rounded the sum first), within 0.1 point.
#[test]
fn pce_reproduces_the_guidelines_worked_example() {
    for (sex, race, published) in [
        (Sex::Female, Race::White, 2.1),
        (Sex::Female, Race::AfricanAmerican, 3.0),
        (Sex::Male, Race::White, 5.3),
        (Sex::Male, Race::AfricanAmerican, 6.1),
    ] {
        let i = RiskInput {
            sex: Some(sex),
            race: Some(race),
            age: Some(55.0),
            total_cholesterol: mg(213.0),
            hdl_cholesterol: mg(50.0),
            sbp: Some(120.0),
            bp_treated: Some(false),
            smoker: Some(false),
            diabetes: Some(false),
            ..RiskInput::default()
        };
        let v = value("pce", &i);
        assert!((v - published).abs() <= 0.1, "{sex:?} {race:?}: {v}");
        let other = RiskInput {
            race: Some(Race::Other),
            ..i.clone()
        };
        if race == Race::White {
            assert_eq!(value("pce", &other), v, "other uses the white equations");
        }
    }
}

#[test]
fn pce_refuses_inputs_outside_its_validated_ranges_and_grades_at_the_edges() {
    let base = RiskInput {
        sex: Some(Sex::Male),
        race: Some(Race::White),
        age: Some(39.0),
        total_cholesterol: mg(213.0),
        hdl_cholesterol: mg(50.0),
        sbp: Some(120.0),
        bp_treated: Some(false),
        smoker: Some(false),
        diabetes: Some(false),
        ..RiskInput::default()
    };
    assert_eq!(evaluate("pce", &base).unwrap_err().field, "age");
    let high_tc = RiskInput {
        age: Some(50.0),
        total_cholesterol: mg(321.0),
        ..base.clone()
    };
    assert_eq!(evaluate("pce", &high_tc).unwrap_err().field, "total_cholesterol");
    assert_eq!(pce::category(4.99).0, "low");
    assert_eq!(pce::category(5.0).0, "borderline");
    assert_eq!(pce::category(7.5).0, "intermediate");
    assert_eq!(pce::category(20.0).0, "high");
    let missing = evaluate("pce", &RiskInput { race: None, ..base }).unwrap();
    assert_eq!(missing.missing, ["race"]);
}

fn cdrs(sex: Sex, age: f64, sbp: f64, bmi: f64, waist: f64, family: bool) -> f64 {
    let i = RiskInput {
        sex: Some(sex),
        age: Some(age),
        sbp: Some(sbp),
        bmi: Some(bmi),
        waist_cm: Some(waist),
        family_history_diabetes: Some(FamilyHistory::Any(family)),
        ..RiskInput::default()
    };
    evaluate("cdrs", &i).unwrap().score.unwrap()
}

#[test]
fn cdrs_points_at_every_band_edge_and_its_range_0_to_51() {
    assert_eq!(cdrs(Sex::Female, 20.0, 100.0, 20.0, 60.0, false), 0.0);
    assert_eq!(cdrs(Sex::Male, 70.0, 170.0, 31.0, 100.0, true), 51.0);
    // Age bands (the rest at 0).
    let age = |a| cdrs(Sex::Female, a, 100.0, 20.0, 60.0, false);
    assert_eq!(
        [
            age(24.9),
            age(25.0),
            age(34.0),
            age(35.0),
            age(40.0),
            age(45.0),
            age(50.0),
            age(55.0),
            age(60.0),
            age(65.0),
            age(74.9)
        ],
        [0.0, 4.0, 4.0, 8.0, 11.0, 12.0, 13.0, 15.0, 16.0, 18.0, 18.0]
    );
    let sbp = |s| cdrs(Sex::Female, 20.0, s, 20.0, 60.0, false);
    assert_eq!(
        [
            sbp(109.9),
            sbp(110.0),
            sbp(120.0),
            sbp(130.0),
            sbp(140.0),
            sbp(150.0),
            sbp(160.0)
        ],
        [0.0, 1.0, 3.0, 6.0, 7.0, 8.0, 10.0]
    );
    let bmi = |b| cdrs(Sex::Female, 20.0, 100.0, b, 60.0, false);
    assert_eq!(
        [bmi(21.9), bmi(22.0), bmi(23.9), bmi(24.0), bmi(29.9), bmi(30.0)],
        [0.0, 1.0, 1.0, 3.0, 3.0, 5.0]
    );
    let waist = |s, w| cdrs(s, 20.0, 100.0, 20.0, w, false) - if s == Sex::Male { 2.0 } else { 0.0 };
    assert_eq!(
        [
            waist(Sex::Male, 74.9),
            waist(Sex::Male, 75.0),
            waist(Sex::Male, 85.0),
            waist(Sex::Male, 90.0),
            waist(Sex::Male, 95.0)
        ],
        [0.0, 3.0, 7.0, 8.0, 10.0]
    );
    assert_eq!(
        [
            waist(Sex::Female, 69.9),
            waist(Sex::Female, 70.0),
            waist(Sex::Female, 89.9),
            waist(Sex::Female, 90.0)
        ],
        [0.0, 3.0, 8.0, 10.0]
    );
}

/// CDS 2020's score table counts diabetes in a parent, sibling or child (父母、同胞、子女):
/// a graded answer scores 6 for first-degree and 0 for second-degree only.
#[test]
fn cdrs_family_history_counts_first_degree_relatives_only() {
    let with = |f| {
        let i = RiskInput {
            sex: Some(Sex::Female),
            age: Some(20.0),
            sbp: Some(100.0),
            bmi: Some(20.0),
            waist_cm: Some(60.0),
            family_history_diabetes: Some(f),
            ..RiskInput::default()
        };
        evaluate("cdrs", &i).unwrap().score.unwrap()
    };
    assert_eq!(with(FamilyHistory::Degree(Degree::FirstDegree)), 6.0);
    assert_eq!(with(FamilyHistory::Degree(Degree::SecondDegree)), 0.0);
    assert_eq!(with(FamilyHistory::Degree(Degree::None)), 0.0);
    assert_eq!(with(FamilyHistory::Any(true)), 6.0);
}

#[test]
fn cdrs_advises_an_ogtt_from_25_and_applies_at_20_to_74() {
    // 52-year-old man, SBP 135, BMI 25, waist 88, family history: 13 + 6 + 3 + 7 + 6 + 2 = 37.
    assert_eq!(cdrs(Sex::Male, 52.0, 135.0, 25.0, 88.0, true), 37.0);
    let at = |score_age: f64, sbp: f64| {
        let i = RiskInput {
            sex: Some(Sex::Female),
            age: Some(score_age),
            sbp: Some(sbp),
            bmi: Some(20.0),
            waist_cm: Some(60.0),
            family_history_diabetes: Some(FamilyHistory::Any(false)),
            ..RiskInput::default()
        };
        evaluate("cdrs", &i)
    };
    // 60 → 16 points; SBP 140 → 7: 23 (low); SBP 160 → 10: 26 (high). 65 → 18 + SBP 150 (8) = 26.
    assert_eq!(at(60.0, 140.0).unwrap().category, Some("low"));
    assert_eq!(at(60.0, 160.0).unwrap().category, Some("high"));
    let edge = at(55.0, 160.0).unwrap(); // 15 + 10 = 25
    assert_eq!((edge.score, edge.category), (Some(25.0), Some("high")));
    assert_eq!(at(75.0, 120.0).unwrap_err().field, "age");
    assert_eq!(at(19.0, 120.0).unwrap_err().field, "age");
}

fn findrisc(f: impl FnOnce(&mut RiskInput)) -> Result<RiskResult, crate::FieldError> {
    let mut i = RiskInput {
        sex: Some(Sex::Male),
        age: Some(40.0),
        bmi: Some(22.0),
        waist_cm: Some(85.0),
        physically_active_daily: Some(true),
        vegetables_daily: Some(true),
        bp_medication: Some(false),
        high_glucose_history: Some(false),
        family_history_diabetes: Some(FamilyHistory::Degree(Degree::None)),
        ..RiskInput::default()
    };
    f(&mut i);
    evaluate("findrisc", &i)
}

#[test]
fn findrisc_points_at_the_edges_and_its_range_0_to_26() {
    let score = |f: fn(&mut RiskInput)| findrisc(f).unwrap().score.unwrap();
    assert_eq!(score(|_| {}), 0.0);
    assert_eq!(
        score(|i| {
            i.age = Some(70.0);
            i.bmi = Some(31.0);
            i.waist_cm = Some(103.0);
            i.physically_active_daily = Some(false);
            i.vegetables_daily = Some(false);
            i.bp_medication = Some(true);
            i.high_glucose_history = Some(true);
            i.family_history_diabetes = Some(FamilyHistory::Degree(Degree::FirstDegree));
        }),
        26.0
    );
    assert_eq!(score(|i| i.age = Some(44.9)), 0.0);
    assert_eq!(score(|i| i.age = Some(45.0)), 2.0);
    assert_eq!(score(|i| i.age = Some(55.0)), 3.0);
    assert_eq!(score(|i| i.age = Some(65.0)), 4.0);
    assert_eq!(score(|i| i.bmi = Some(25.0)), 1.0);
    assert_eq!(score(|i| i.bmi = Some(30.0)), 1.0);
    assert_eq!(score(|i| i.bmi = Some(30.1)), 3.0);
    assert_eq!(score(|i| i.waist_cm = Some(94.0)), 3.0);
    assert_eq!(score(|i| i.waist_cm = Some(102.0)), 3.0);
    assert_eq!(score(|i| i.waist_cm = Some(102.5)), 4.0);
    assert_eq!(
        score(|i| {
            i.sex = Some(Sex::Female);
            i.waist_cm = Some(80.0)
        }),
        3.0
    );
    assert_eq!(
        score(|i| {
            i.sex = Some(Sex::Female);
            i.waist_cm = Some(88.5)
        }),
        4.0
    );
    assert_eq!(
        score(|i| i.family_history_diabetes = Some(FamilyHistory::Degree(Degree::SecondDegree))),
        3.0
    );
    assert_eq!(
        score(|i| i.family_history_diabetes = Some(FamilyHistory::Any(false))),
        0.0
    );
}

#[test]
fn findrisc_bands_and_what_it_refuses() {
    let bands: Vec<&str> = [6.0, 7.0, 11.0, 12.0, 14.0, 15.0, 20.0, 21.0]
        .iter()
        .map(|s| findrisc::category(*s).0)
        .collect();
    assert_eq!(
        bands,
        [
            "low",
            "slightly_elevated",
            "slightly_elevated",
            "moderate",
            "moderate",
            "high",
            "high",
            "very_high"
        ]
    );
    let yes = findrisc(|i| i.family_history_diabetes = Some(FamilyHistory::Any(true))).unwrap_err();
    assert_eq!(
        (yes.field.as_str(), yes.code),
        ("family_history_diabetes", "degree_needed")
    );
    assert_eq!(findrisc(|i| i.age = Some(16.0)).unwrap_err().field, "age");
    let r = findrisc(|i| i.vegetables_daily = None).unwrap();
    assert_eq!((r.score, r.missing), (None, vec!["vegetables_daily"]));
}

#[test]
fn inputs_no_person_has_and_unknown_models_are_refused() {
    let i = RiskInput {
        sbp: Some(30.0),
        ..RiskInput::default()
    };
    assert_eq!(evaluate("cdrs", &i).unwrap_err().field, "sbp");
    assert_eq!(
        evaluate("framingham", &RiskInput::default()).unwrap_err().code,
        "model_unknown"
    );
    let parsed: Result<RiskInput, _> = serde_json::from_str(r#"{"total_cholesterol": {"value": 5, "unit": "g/L"}}"#);
    assert!(parsed.is_err(), "only mmol/L and mg/dL");
    let parsed: RiskInput =
        serde_json::from_str(r#"{"sex": "male", "family_history_diabetes": "first_degree", "region": "north"}"#)
            .unwrap();
    assert_eq!(
        parsed.family_history_diabetes,
        Some(FamilyHistory::Degree(Degree::FirstDegree))
    );
}
