//! `careloop-bench risk`: risk evaluations per second on one core for each model, on a
//! synthetic population, beside the bare China-PAR equation (the same arithmetic with no
//! checks, explanation or allocation) — the raw cost of the maths.

use careloop_domain::patient::Sex;
use careloop_domain::risk::input::{Degree, FamilyHistory, LabValue, LipidUnit, Race, Region};
use careloop_domain::risk::{self, MODELS, RiskInput};
use std::hint::black_box;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct RiskBenchArgs {
    /// Evaluations per model.
    #[arg(long, default_value_t = 1_000_000)]
    pub evaluations: usize,
}

/// A deterministic population of complete inputs inside every model's range.
fn population(n: usize) -> Vec<RiskInput> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m) as f64
    };
    (0..n.min(10_000))
        .map(|_| RiskInput {
            sex: Some(if next(2) == 0.0 { Sex::Male } else { Sex::Female }),
            age: Some(40.0 + next(35)),
            sbp: Some(100.0 + next(90)),
            bp_treated: Some(next(3) == 0.0),
            total_cholesterol: Some(LabValue {
                value: 3.5 + next(40) / 10.0,
                unit: LipidUnit::MmolPerL,
            }),
            hdl_cholesterol: Some(LabValue {
                value: 0.8 + next(12) / 10.0,
                unit: LipidUnit::MmolPerL,
            }),
            waist_cm: Some(65.0 + next(40)),
            bmi: Some(18.0 + next(15)),
            smoker: Some(next(4) == 0.0),
            diabetes: Some(next(8) == 0.0),
            region: Some(if next(2) == 0.0 { Region::North } else { Region::South }),
            urban: Some(next(2) == 0.0),
            family_history_ascvd: Some(next(10) == 0.0),
            family_history_diabetes: Some(match next(5) as u8 {
                0 => FamilyHistory::Degree(Degree::FirstDegree),
                1 => FamilyHistory::Degree(Degree::SecondDegree),
                _ => FamilyHistory::Degree(Degree::None),
            }),
            race: Some(Race::Other),
            physically_active_daily: Some(next(2) == 0.0),
            vegetables_daily: Some(next(2) == 0.0),
            bp_medication: Some(next(3) == 0.0),
            high_glucose_history: Some(next(10) == 0.0),
        })
        .collect()
}

/// China-PAR men's equation, untreated SBP, written out: the floor any implementation pays.
fn bare_china_par(i: &RiskInput) -> f64 {
    let (age, sbp) = (i.age.unwrap_or(60.0).ln(), i.sbp.unwrap_or(130.0).ln());
    let tc = i.total_cholesterol.map_or(200.0, LabValue::mg_dl).ln();
    let hdl = i.hdl_cholesterol.map_or(50.0, LabValue::mg_dl).ln();
    let sum = 31.967 * age + 26.148 * sbp - 5.731 * age * sbp + 0.621 * tc
        - 0.695 * hdl
        - 0.712 * i.waist_cm.unwrap_or(80.0).ln()
        + 0.357;
    100.0 * (1.0 - 0.9707_f64.powf((sum - 140.68).exp()))
}

pub fn run(args: RiskBenchArgs) -> anyhow::Result<()> {
    let people = population(args.evaluations);
    let n = args.evaluations;
    println!("| model | evaluations/s (one core) |\n| --- | --- |");
    for model in MODELS {
        let t = Instant::now();
        let mut sum = 0.0;
        for k in 0..n {
            let r = risk::evaluate(model, &people[k % people.len()])
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
            sum += r.value.or(r.score).unwrap_or(0.0);
        }
        black_box(sum);
        println!("| {model} | {:.0} |", n as f64 / t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let mut sum = 0.0;
    for k in 0..n {
        sum += bare_china_par(black_box(&people[k % people.len()]));
    }
    black_box(sum);
    println!(
        "| bare China-PAR equation (no checks or explanation) | {:.0} |",
        n as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}
