//! Disease risk models (疾病风险评估), each a pure function of [`RiskInput`] with its source and
//! constant set named in its module:
//!
//! - `china-par`: China-PAR 10-year ASCVD risk (Yang et al., Circulation 2016);
//! - `cdrs`: the new Chinese Diabetes Risk Score (Zhou et al., Diabetes Care 2013);
//! - `pce`: the 2013 ACC/AHA Pooled Cohort Equations (Goff et al., Circulation 2014);
//! - `findrisc`: the Finnish Diabetes Risk Score (Lindström & Tuomilehto, Diabetes Care 2003).
//!
//! A result says which inputs were missing (then there is no value: nothing is guessed), what
//! each input contributed, which constants were used, and any flag the source asks for (an
//! input outside the range the model was derived on). Inputs outside the range a source says
//! the model must not be used on are refused.

mod cdrs;
mod china_par;
mod findrisc;
pub mod input;
mod pce;
#[cfg(test)]
mod tests;

pub use input::RiskInput;

use crate::FieldError;
use serde::Serialize;

pub const MODELS: [&str; 4] = ["china-par", "cdrs", "pce", "findrisc"];

/// What one input (or an interaction of two) added to the sum or the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The input, e.g. `age`, or `age×sbp` for an interaction.
    pub input: &'static str,
    /// How the input entered, e.g. `ln age`, `age 60–64`.
    pub term: String,
    /// The transformed value (ln age), or the raw value for points tables.
    pub value: f64,
    /// The coefficient, for equations; `None` for points tables.
    pub coefficient: Option<f64>,
    /// coefficient × value, or the points.
    pub contribution: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskResult {
    pub model: &'static str,
    /// 10-year risk in percent, for the risk equations.
    pub value: Option<f64>,
    /// Points, for the scores.
    pub score: Option<f64>,
    pub category: Option<&'static str>,
    pub category_zh: Option<&'static str>,
    pub contributions: Vec<Contribution>,
    /// The constant set used, with its source.
    pub constants: &'static str,
    /// Inputs the model needs and did not get; when any, there is no value or score.
    pub missing: Vec<&'static str>,
    /// Warnings the source asks for (e.g. an age outside the derivation range).
    pub flags: Vec<String>,
}

impl RiskResult {
    /// A result with its value (risk equations) or score (points tables).
    fn complete(
        model: &'static str,
        outcome: Outcome,
        (category, zh): (&'static str, &'static str),
        contributions: Vec<Contribution>,
        constants: &'static str,
        flags: Vec<String>,
    ) -> RiskResult {
        let (value, score) = match outcome {
            Outcome::Percent(v) => (Some(v), None),
            Outcome::Points(p) => (None, Some(p)),
        };
        RiskResult {
            model,
            value,
            score,
            category: Some(category),
            category_zh: Some(zh),
            contributions,
            constants,
            missing: Vec::new(),
            flags,
        }
    }

    /// A points model's result: the terms summed, banded by `category`.
    fn from_points(
        model: &'static str,
        terms: Vec<Contribution>,
        category: fn(f64) -> (&'static str, &'static str),
        constants: &'static str,
    ) -> RiskResult {
        let score: f64 = terms.iter().map(|t| t.contribution).sum();
        RiskResult::complete(
            model,
            Outcome::Points(score),
            category(score),
            terms,
            constants,
            Vec::new(),
        )
    }

    fn incomplete(model: &'static str, constants: &'static str, missing: Vec<&'static str>) -> RiskResult {
        RiskResult {
            model,
            value: None,
            score: None,
            category: None,
            category_zh: None,
            contributions: Vec::new(),
            constants,
            missing,
            flags: Vec::new(),
        }
    }
}

/// What a model computes: a 10-year risk in percent, or a points total.
enum Outcome {
    Percent(f64),
    Points(f64),
}

/// Evaluate `model` on `input`.
pub fn evaluate(model: &str, input: &RiskInput) -> Result<RiskResult, FieldError> {
    input.check()?;
    match model {
        "china-par" => china_par::evaluate(input),
        "cdrs" => cdrs::evaluate(input),
        "pce" => pce::evaluate(input),
        "findrisc" => findrisc::evaluate(input),
        other => Err(FieldError::new(
            "model",
            "model_unknown",
            format!("unknown model {other}; known: {}", MODELS.join(", ")),
            "未知的风险模型",
        )),
    }
}

/// The names of the inputs in `needed` that are absent.
fn missing(needed: &[(&'static str, bool)]) -> Vec<&'static str> {
    needed
        .iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| *name)
        .collect()
}

/// 1 − S10^exp(sum − mean), in percent.
fn ten_year_risk(s10: f64, sum: f64, mean: f64) -> f64 {
    100.0 * (1.0 - s10.powf((sum - mean).exp()))
}

fn refuse(field: &'static str, message: String, zh: String) -> FieldError {
    FieldError::new(field, "outside_model_range", message, zh)
}

fn term(input: &'static str, term: &str, value: f64, coefficient: f64) -> Contribution {
    Contribution {
        input,
        term: term.to_string(),
        value,
        coefficient: Some(coefficient),
        contribution: coefficient * value,
    }
}

fn points(input: &'static str, band: String, value: f64, points: f64) -> Contribution {
    Contribution {
        input,
        term: band,
        value,
        coefficient: None,
        contribution: points,
    }
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}
