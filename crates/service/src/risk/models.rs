//! Risk models and measurement classifications for staff (`POST /api/v1/risk/{model}`,
//! `POST /api/v1/classify`, `careloop risk`). The inputs are numbers, not a patient: nothing is
//! stored or audited here; assessing a patient from their record is the risk-tier use case.

use crate::Result;
use careloop_domain::classify::{self, Classification, ClassifyInput};
use careloop_domain::risk::{self, RiskInput, RiskResult};

pub fn evaluate(model: &str, input: &RiskInput) -> Result<RiskResult> {
    Ok(risk::evaluate(model, input)?)
}

pub fn classify(input: &ClassifyInput) -> Result<Classification> {
    Ok(classify::classify(input)?)
}
