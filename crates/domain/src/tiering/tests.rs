use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

fn facts(values: &[(&str, f64)]) -> TierFacts {
    let mut f = TierFacts {
        sex: Some(Sex::Male),
        age: Some(55),
        ..TierFacts::default()
    };
    for (code, value) in values {
        let i = lookup(code).unwrap();
        let flag = i.reference.for_sex(Sex::Male).map_or(Flag::Normal, |r| r.flag(*value));
        f.latest.insert(
            (*code).into(),
            Reading {
                value: *value,
                flag,
                at: datetime!(2026-03-05 08:00 +8),
            },
        );
    }
    f
}

/// The values give this tier, with this rule among the reasons.
fn tiered(values: &[(&str, f64)], tier: RiskTier, code: &str) {
    let t = compute(&facts(values), NOW);
    assert_eq!(t.tier, Some(tier), "{values:?}: {:?}", codes(&t));
    assert!(codes(&t).contains(&code), "{code}: {:?}", codes(&t));
}

fn codes(t: &ComputedTier) -> Vec<&str> {
    t.reasons.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn nothing_on_record_is_no_tier_not_low() {
    let t = compute(&TierFacts::default(), NOW);
    assert_eq!(t.tier, None);
    assert!(t.reasons.is_empty());
}

#[test]
fn normal_recent_results_are_low_with_the_reason_said() {
    let t = compute(
        &facts(&[("sbp", 118.0), ("dbp", 76.0), ("fpg", 5.0), ("alt", 20.0)]),
        NOW,
    );
    assert_eq!(t.tier, Some(RiskTier::Low));
    assert_eq!(codes(&t), ["no_risk_found"]);
    assert!(t.summary().contains("4 项"), "{}", t.summary());
}

#[test]
fn old_results_do_not_decide_the_current_tier() {
    let mut f = facts(&[("sbp", 185.0), ("dbp", 100.0)]);
    for r in f.latest.values_mut() {
        r.at = datetime!(2020-01-01 08:00 +8);
    }
    assert_eq!(compute(&f, NOW).tier, None);
}

#[test]
fn each_high_risk_rule_at_its_edge() {
    let high = |values: &[(&str, f64)], code: &str| tiered(values, RiskTier::High, code);
    high(&[("sbp", 180.0), ("dbp", 85.0)], "bp_grade_3");
    high(&[("sbp", 130.0), ("dbp", 110.0)], "bp_grade_3");
    high(&[("fpg", 7.0)], "glucose_diabetic_range");
    high(&[("hba1c", 6.5)], "glucose_diabetic_range");
    high(&[("ldl", 4.9)], "ldl_very_high");
    high(&[("tc", 7.2)], "tc_very_high");
    let mut f = facts(&[]);
    f.diagnoses = vec!["I25.1".into()];
    assert_eq!(compute(&f, NOW).tier, Some(RiskTier::High));
    f.diagnoses = vec!["E11.9".into()];
    assert_eq!(codes(&compute(&f, NOW)), ["diabetes_40"]);
    f.age = Some(35);
    assert_eq!(
        compute(&f, NOW).tier,
        Some(RiskTier::Medium),
        "diabetes under 40 is not by itself high"
    );
}

#[test]
fn just_below_the_high_edges_is_medium() {
    let medium = |values: &[(&str, f64)], code: &str| tiered(values, RiskTier::Medium, code);
    medium(&[("sbp", 179.0), ("dbp", 109.0)], "bp_raised");
    medium(&[("sbp", 140.0), ("dbp", 80.0)], "bp_raised");
    medium(&[("fpg", 6.9)], "ifg");
    medium(&[("fpg", 6.1)], "ifg");
    medium(&[("ldl", 4.8)], "dyslipidaemia");
    medium(&[("hdl", 0.9)], "dyslipidaemia");
    medium(&[("bmi", 28.0)], "obesity");
    medium(&[("waist", 90.0)], "obesity");
    medium(&[("alt", 80.0)], "abnormal_result");
    assert_eq!(
        compute(
            &facts(&[("fpg", 6.0), ("sbp", 139.0), ("dbp", 89.0), ("bmi", 27.9)]),
            NOW
        )
        .tier,
        Some(RiskTier::Low)
    );
}

#[test]
fn china_par_with_everything_on_record_has_one_value_equal_to_the_model() {
    let mut f = facts(&[
        ("sbp", 138.0),
        ("dbp", 82.0),
        ("tc", 5.6),
        ("hdl", 1.1),
        ("waist", 88.0),
        ("bmi", 25.0),
    ]);
    f.age = Some(62);
    f.region = Some(Region::North);
    f.urban = Some(true);
    f.smoker = Some(true);
    f.bp_treated = Some(false);
    f.family_history_ascvd = Some(false);
    let t = compute(&f, NOW);
    let m = t.models.iter().find(|m| m.model == "china-par").expect("computed");
    assert!(m.unknown.is_empty());
    assert_eq!(m.low.value, m.high.value);
    let direct = evaluate(
        "china-par",
        &RiskInput {
            sex: Some(Sex::Male),
            age: Some(62.0),
            sbp: Some(138.0),
            bp_treated: Some(false),
            total_cholesterol: Some(LabValue {
                value: 5.6,
                unit: LipidUnit::MmolPerL,
            }),
            hdl_cholesterol: Some(LabValue {
                value: 1.1,
                unit: LipidUnit::MmolPerL,
            }),
            waist_cm: Some(88.0),
            smoker: Some(true),
            diabetes: Some(false),
            region: Some(Region::North),
            urban: Some(true),
            family_history_ascvd: Some(false),
            ..RiskInput::default()
        },
    )
    .unwrap();
    assert_eq!(m.low.value, direct.value);
    let v = direct.value.unwrap();
    let expected = if v >= 10.0 {
        "china_par_high"
    } else if v >= 5.0 {
        "china_par_intermediate"
    } else {
        ""
    };
    if !expected.is_empty() {
        assert!(codes(&t).contains(&expected), "{v}: {:?}", codes(&t));
    }
}

#[test]
fn unknown_inputs_give_bounds_and_the_tier_rests_on_them() {
    let mut f = facts(&[
        ("sbp", 138.0),
        ("dbp", 82.0),
        ("tc", 5.6),
        ("hdl", 1.1),
        ("waist", 88.0),
        ("bmi", 25.0),
    ]);
    f.age = Some(62);
    let t = compute(&f, NOW);
    let m = t
        .models
        .iter()
        .find(|m| m.model == "china-par")
        .expect("computed over the unknowns");
    assert_eq!(
        m.unknown,
        ["region", "urban", "smoker", "bp_treated", "family_history_ascvd"]
    );
    let (lo, hi) = (m.low.value.unwrap(), m.high.value.unwrap());
    assert!(lo < hi, "{lo} {hi}");
    // Knowing more can only narrow the bounds.
    f.smoker = Some(false);
    let narrower = compute(&f, NOW);
    let n = narrower.models.iter().find(|m| m.model == "china-par").unwrap();
    assert!(n.low.value.unwrap() >= lo - 1e-9 && n.high.value.unwrap() <= hi + 1e-9);
    let code = if lo >= 10.0 {
        "china_par_high"
    } else if lo >= 5.0 {
        "china_par_intermediate"
    } else {
        "china_par_uncertain"
    };
    if hi >= 5.0 {
        assert!(codes(&t).contains(&code), "{lo}–{hi}: {:?}", codes(&t));
        assert!(
            t.reasons.iter().any(|r| r.zh.contains("未记录")),
            "the reason names what to record"
        );
    }
}

/// The health record's structured inputs collapse the bounds; region and residence fall back
/// to the organisation's location, which the reason names as their source.
#[test]
fn the_record_and_the_organisation_location_supply_the_model_inputs() {
    let base = || {
        let mut f = facts(&[
            ("sbp", 138.0),
            ("dbp", 82.0),
            ("tc", 5.6),
            ("hdl", 1.1),
            ("waist", 88.0),
            ("bmi", 25.0),
        ]);
        f.age = Some(62);
        f
    };
    let record = HealthRecord {
        smoking: Some("former".into()),
        bp_treated: Some("no".into()),
        family_history_ascvd: Some("no".into()),
        family_history_diabetes: Some("second_degree".into()),
        ..HealthRecord::default()
    };
    let org = Location {
        region: Some("north".into()),
        residence: Some("urban".into()),
    };
    let f = base().with_record(&record, &org);
    assert_eq!(
        (
            f.smoker,
            f.bp_treated,
            f.family_history_ascvd,
            f.family_history_diabetes
        ),
        (Some(false), Some(false), Some(false), Some(false))
    );
    assert_eq!((f.region, f.urban), (Some(Region::North), Some(true)));
    assert_eq!(f.from_organisation, ["region", "urban"]);
    let t = compute(&f, NOW);
    let m = t.models.iter().find(|m| m.model == "china-par").unwrap();
    assert!(m.unknown.is_empty());
    assert_eq!(m.low.value, m.high.value, "one value once everything is known");
    assert_eq!(m.from_organisation, ["region", "urban"]);
    let cdrs = t.models.iter().find(|m| m.model == "cdrs").unwrap();
    assert!(cdrs.unknown.is_empty());
    assert_eq!(cdrs.low.score, cdrs.high.score);

    // The record's own values win over the organisation's.
    let own = HealthRecord {
        region: Some("south".into()),
        residence: Some("rural".into()),
        ..record
    };
    let f = base().with_record(&own, &org);
    assert_eq!((f.region, f.urban), (Some(Region::South), Some(false)));
    assert!(f.from_organisation.is_empty());
    // Nothing on record and no location: unknown, not defaulted.
    let f = base().with_record(&HealthRecord::default(), &Location::default());
    assert_eq!((f.region, f.urban, f.smoker, f.bp_treated), (None, None, None, None));
}

#[test]
fn a_model_without_its_results_says_what_is_missing() {
    let t = compute(&facts(&[("sbp", 120.0), ("dbp", 78.0)]), NOW);
    let par = t.unavailable.iter().find(|u| u.model == "china-par").unwrap();
    assert!(
        par.missing.contains(&"total_cholesterol") && par.missing.contains(&"waist_cm"),
        "{:?}",
        par.missing
    );
}

/// China-PAR was derived at ages 35–74: at 79 the figure still counts, but its reason says it
/// is extrapolated.
#[test]
fn an_extrapolated_china_par_says_so() {
    let mut f = facts(&[
        ("sbp", 150.0),
        ("dbp", 80.0),
        ("tc", 5.6),
        ("hdl", 1.1),
        ("waist", 90.0),
        ("bmi", 25.0),
    ]);
    f.age = Some(79);
    let t = compute(&f, NOW);
    let m = t.models.iter().find(|m| m.model == "china-par").unwrap();
    assert!(!m.low.flags.is_empty(), "the model flags the age");
    let r = t
        .reasons
        .iter()
        .find(|r| r.code.starts_with("china_par"))
        .expect("a China-PAR reason");
    assert!(r.zh.contains("外推"), "{}", r.zh);
    f.age = Some(62);
    let t = compute(&f, NOW);
    assert!(t.reasons.iter().all(|r| !r.zh.contains("外推")), "not at 62");
}

/// The models do not apply to patients who have the disease they predict: no China-PAR for
/// established ASCVD, no CDRS (with its OGTT advice) for a diagnosed diabetic.
#[test]
fn models_are_not_applied_to_patients_with_the_disease() {
    let values = [
        ("sbp", 150.0),
        ("dbp", 80.0),
        ("tc", 5.6),
        ("hdl", 1.1),
        ("waist", 98.0),
        ("bmi", 29.0),
    ];
    let mut f = facts(&values);
    f.family_history_diabetes = Some(true);
    let t = compute(&f, NOW);
    assert!(t.models.iter().any(|m| m.model == "cdrs"), "CDRS for the undiagnosed");
    f.diagnoses = vec!["E11.900".into(), "I25.1".into()];
    let t = compute(&f, NOW);
    assert!(t.models.is_empty(), "{:?}", t.models);
    let refused: Vec<&str> = t.unavailable.iter().filter_map(|u| u.refused.as_deref()).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        !t.reasons
            .iter()
            .any(|r| r.code == "cdrs_high" || r.code.starts_with("china_par"))
    );
    assert!(
        t.reasons.iter().any(|r| r.code == "ascvd"),
        "the diagnosis itself still tiers"
    );
}
