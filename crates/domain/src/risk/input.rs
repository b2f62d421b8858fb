//! The inputs every risk model reads, as the API and CLI take them (snake_case JSON). Each
//! model picks what it needs and lists what it did not get as `missing`; nothing is guessed.

use crate::FieldError;
use crate::patient::Sex;
use serde::Deserialize;

/// Cholesterol in mg/dL from mmol/L: the molar mass of cholesterol, 386.65 g/mol, over 10.
/// (China-PAR's paper converts with ×0.0259, i.e. 38.61; the 0.15% difference is far below the
/// models' printed precision.)
pub const CHOLESTEROL_MG_DL_PER_MMOL_L: f64 = 38.67;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabValue {
    pub value: f64,
    /// `mmol/L` or `mg/dL`.
    pub unit: LipidUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LipidUnit {
    #[serde(rename = "mmol/L")]
    MmolPerL,
    #[serde(rename = "mg/dL")]
    MgPerDl,
}

impl LabValue {
    pub fn mg_dl(self) -> f64 {
        match self.unit {
            LipidUnit::MgPerDl => self.value,
            LipidUnit::MmolPerL => self.value * CHOLESTEROL_MG_DL_PER_MMOL_L,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    North,
    South,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Race {
    White,
    AfricanAmerican,
    Other,
}

/// Family history of diabetes: `true` / `false`, or FINDRISC's degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FamilyHistory {
    Any(bool),
    Degree(Degree),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Degree {
    None,
    /// Grandparent, aunt, uncle or first cousin.
    SecondDegree,
    /// Parent, sibling or child.
    FirstDegree,
}

impl FamilyHistory {
    /// Whether any relative counts (the yes/no models).
    pub fn any(self) -> bool {
        !matches!(self, FamilyHistory::Any(false) | FamilyHistory::Degree(Degree::None))
    }

    /// Whether a parent, sibling or child has it (the diabetes score's definition: a
    /// second-degree relative alone does not count).
    pub fn first_degree(self) -> bool {
        matches!(
            self,
            FamilyHistory::Any(true) | FamilyHistory::Degree(Degree::FirstDegree)
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    pub sex: Option<Sex>,
    /// Years.
    pub age: Option<f64>,
    /// Systolic blood pressure, mmHg.
    pub sbp: Option<f64>,
    /// On blood-pressure treatment (selects the treated SBP term).
    pub bp_treated: Option<bool>,
    pub total_cholesterol: Option<LabValue>,
    pub hdl_cholesterol: Option<LabValue>,
    pub waist_cm: Option<f64>,
    /// kg/m².
    pub bmi: Option<f64>,
    pub smoker: Option<bool>,
    pub diabetes: Option<bool>,
    pub region: Option<Region>,
    pub urban: Option<bool>,
    pub family_history_ascvd: Option<bool>,
    pub family_history_diabetes: Option<FamilyHistory>,
    pub race: Option<Race>,
    pub physically_active_daily: Option<bool>,
    pub vegetables_daily: Option<bool>,
    /// Ever on antihypertensive drugs (FINDRISC).
    pub bp_medication: Option<bool>,
    pub high_glucose_history: Option<bool>,
}

fn out_of_range(field: &str, low: f64, high: f64, unit: &str) -> FieldError {
    FieldError::new(
        field,
        "out_of_range",
        format!("{field} must be between {low} and {high} {unit}"),
        format!("{field} 应在 {low} 至 {high} {unit} 之间"),
    )
}

impl RiskInput {
    /// Refuse values no person has (typing errors), before any model reads them. A model's own
    /// validated range is checked by the model.
    pub fn check(&self) -> Result<(), FieldError> {
        let within = |field: &str, v: Option<f64>, low: f64, high: f64, unit: &str| match v {
            Some(x) if !(low..=high).contains(&x) || !x.is_finite() => Err(out_of_range(field, low, high, unit)),
            _ => Ok(()),
        };
        within("age", self.age, 1.0, 120.0, "years")?;
        within("sbp", self.sbp, 60.0, 300.0, "mmHg")?;
        within("waist_cm", self.waist_cm, 40.0, 200.0, "cm")?;
        within("bmi", self.bmi, 10.0, 80.0, "kg/m²")?;
        within(
            "total_cholesterol",
            self.total_cholesterol.map(LabValue::mg_dl),
            40.0,
            800.0,
            "mg/dL (1.0–20.7 mmol/L)",
        )?;
        within(
            "hdl_cholesterol",
            self.hdl_cholesterol.map(LabValue::mg_dl),
            5.0,
            200.0,
            "mg/dL (0.13–5.2 mmol/L)",
        )?;
        Ok(())
    }
}
