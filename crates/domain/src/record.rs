//! The health record (健康档案) and diagnoses (诊断) kept for each patient.

use crate::FieldError;
use crate::patient::{optional_text, parse_date};
use serde::{Deserialize, Serialize};
use time::Date;

/// Lifestyle answers use fixed codes so they can drive rules and risk models later.
pub const SMOKING: &[&str] = &["never", "former", "current"];
pub const ALCOHOL: &[&str] = &["never", "occasional", "regular", "heavy"];
pub const EXERCISE: &[&str] = &["none", "occasional", "regular", "daily"];

/// Risk-model inputs kept as codes (so a form's select and the API share one shape).
/// `region`: north or south of the Yangtze River, as China-PAR divides the country (Yang 2016,
/// "northern and southern China divided by the Yangtze River"); `residence`: urban or rural.
pub const REGION: &[&str] = &["north", "south"];
pub const RESIDENCE: &[&str] = &["urban", "rural"];
pub const YES_NO: &[&str] = &["yes", "no"];
/// Diabetes in the family, graded as FINDRISC asks: first-degree (parent, sibling, child),
/// second-degree only (grandparent, aunt, uncle, first cousin), or no.
pub const FAMILY_DIABETES: &[&str] = &["first_degree", "second_degree", "no"];

/// The health record as stored and as accepted from a form or the API. Lifestyle codes:
/// `smoking` never/former/current, `alcohol` never/occasional/regular/heavy, `exercise`
/// none/occasional/regular/daily. Risk-model inputs (read by China-PAR and the diabetes
/// score; left out, the models are bounded over them, never guessed): `region` north/south,
/// `residence` urban/rural (both default to the organisation's location when left out),
/// `bp_treated` yes/no (taking blood-pressure medication), `family_history_ascvd` yes/no
/// (a parent or sibling with ASCVD), `family_history_diabetes` first_degree/second_degree/no.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthRecord {
    pub past_history: Option<String>,
    pub family_history: Option<String>,
    pub allergies: Option<String>,
    pub medications: Option<String>,
    #[schema(pattern = "^(never|former|current)$")]
    pub smoking: Option<String>,
    #[schema(pattern = "^(never|occasional|regular|heavy)$")]
    pub alcohol: Option<String>,
    #[schema(pattern = "^(none|occasional|regular|daily)$")]
    pub exercise: Option<String>,
    pub diet: Option<String>,
    pub sleep: Option<String>,
    #[schema(pattern = "^(north|south)$")]
    pub region: Option<String>,
    #[schema(pattern = "^(urban|rural)$")]
    pub residence: Option<String>,
    #[schema(pattern = "^(yes|no)$")]
    pub bp_treated: Option<String>,
    #[schema(pattern = "^(yes|no)$")]
    pub family_history_ascvd: Option<String>,
    #[schema(pattern = "^(first_degree|second_degree|no)$")]
    pub family_history_diabetes: Option<String>,
}

fn coded(v: &Option<String>, field: &str, allowed: &[&str]) -> Result<Option<String>, FieldError> {
    match optional_text(v, field, 32)? {
        None => Ok(None),
        Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(_) => Err(FieldError::new(
            field,
            "code_invalid",
            format!("{field} must be one of {}", allowed.join(", ")),
            "选项无效",
        )),
    }
}

impl HealthRecord {
    /// The record with text trimmed and bounded and lifestyle codes checked.
    pub fn validated(&self) -> Result<HealthRecord, FieldError> {
        Ok(HealthRecord {
            past_history: optional_text(&self.past_history, "past_history", 2000)?,
            family_history: optional_text(&self.family_history, "family_history", 2000)?,
            allergies: optional_text(&self.allergies, "allergies", 1000)?,
            medications: optional_text(&self.medications, "medications", 2000)?,
            smoking: coded(&self.smoking, "smoking", SMOKING)?,
            alcohol: coded(&self.alcohol, "alcohol", ALCOHOL)?,
            exercise: coded(&self.exercise, "exercise", EXERCISE)?,
            diet: optional_text(&self.diet, "diet", 1000)?,
            sleep: optional_text(&self.sleep, "sleep", 1000)?,
            region: coded(&self.region, "region", REGION)?,
            residence: coded(&self.residence, "residence", RESIDENCE)?,
            bp_treated: coded(&self.bp_treated, "bp_treated", YES_NO)?,
            family_history_ascvd: coded(&self.family_history_ascvd, "family_history_ascvd", YES_NO)?,
            family_history_diabetes: coded(
                &self.family_history_diabetes,
                "family_history_diabetes",
                FAMILY_DIABETES,
            )?,
        })
    }
}

/// Where an organisation is (its catchment area): the default `region` and `residence` of
/// its patients' records, since a community health centre's patients share them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// north / south; null: not set.
    #[schema(pattern = "^(north|south)$")]
    pub region: Option<String>,
    /// urban / rural; null: not set.
    #[schema(pattern = "^(urban|rural)$")]
    pub residence: Option<String>,
}

impl Location {
    pub fn validated(&self) -> Result<Location, FieldError> {
        Ok(Location {
            region: coded(&self.region, "region", REGION)?,
            residence: coded(&self.residence, "residence", RESIDENCE)?,
        })
    }
}

/// A diagnosis as submitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisInput {
    #[schema(required = true)]
    pub icd10_code: Option<String>,
    pub name: Option<String>,
    #[schema(format = Date)]
    pub diagnosed_on: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDiagnosis {
    pub icd10_code: String,
    pub name: String,
    pub diagnosed_on: Option<Date>,
    pub note: Option<String>,
}

/// ICD-10 codes: a letter, two digits, optionally a dot and up to four characters. The Chinese
/// national clinical edition (国家临床版 2.0) writes extensions such as `I10.x00` and `E11.900`,
/// so the extension accepts letters (including the lowercase placeholder `x`) and digits.
pub fn parse_icd10(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let b = s.as_bytes();
    let stem_ok = b.len() >= 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_digit();
    let ext_ok = match &s.get(3..) {
        Some("") => true,
        Some(ext) => {
            ext.starts_with('.') && (2..=5).contains(&ext.len()) && ext[1..].bytes().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    };
    if stem_ok && ext_ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            "icd10_code",
            "icd10_invalid",
            "ICD-10 code must look like I10 or E11.900",
            "ICD-10编码格式无效，例如 I10 或 E11.900",
        ))
    }
}

impl NewDiagnosis {
    pub fn parse(input: &DiagnosisInput, today: Date) -> Result<Self, FieldError> {
        let code = input
            .icd10_code
            .as_deref()
            .ok_or_else(|| FieldError::required("icd10_code"))?;
        let diagnosed_on = match input.diagnosed_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                let d = parse_date(s, "diagnosed_on")?;
                if d > today {
                    return Err(FieldError::new(
                        "diagnosed_on",
                        "date_in_future",
                        "diagnosed_on cannot be in the future",
                        "诊断日期不能晚于今天",
                    ));
                }
                Some(d)
            }
            None => None,
        };
        Ok(NewDiagnosis {
            icd10_code: parse_icd10(code)?,
            name: optional_text(&input.name, "name", 100)?.ok_or_else(|| FieldError::required("name"))?,
            diagnosed_on,
            note: optional_text(&input.note, "note", 500)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_accepts_who_and_chinese_clinical_edition_codes() {
        for ok in ["I10", "E11.9", "I10.x00", "E11.900", "C34.1"] {
            assert!(parse_icd10(ok).is_ok(), "{ok}");
        }
        for bad in ["i10", "I1", "110", "E11.", "E11.90000", "E11-9"] {
            assert!(parse_icd10(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifestyle_codes_are_checked() {
        let r = HealthRecord {
            smoking: Some("sometimes".into()),
            ..Default::default()
        };
        assert_eq!(r.validated().unwrap_err().field, "smoking");
        let r = HealthRecord {
            smoking: Some(" current ".into()),
            diet: Some("  ".into()),
            ..Default::default()
        };
        let v = r.validated().unwrap();
        assert_eq!(v.smoking.as_deref(), Some("current"));
        assert_eq!(v.diet, None);
    }

    #[test]
    fn risk_inputs_are_checked_codes() {
        for (field, bad) in [
            ("region", "east"),
            ("residence", "city"),
            ("bp_treated", "true"),
            ("family_history_ascvd", "1"),
            ("family_history_diabetes", "yes"),
        ] {
            let mut r = HealthRecord::default();
            let slot = match field {
                "region" => &mut r.region,
                "residence" => &mut r.residence,
                "bp_treated" => &mut r.bp_treated,
                "family_history_ascvd" => &mut r.family_history_ascvd,
                _ => &mut r.family_history_diabetes,
            };
            *slot = Some(bad.into());
            assert_eq!(r.validated().unwrap_err().field, field, "{field}={bad}");
        }
        let r = HealthRecord {
            region: Some("south".into()),
            residence: Some("rural".into()),
            bp_treated: Some("yes".into()),
            family_history_ascvd: Some("no".into()),
            family_history_diabetes: Some("second_degree".into()),
            ..Default::default()
        };
        assert_eq!(r.validated().unwrap(), r);
        let bad = Location {
            region: Some("northern".into()),
            residence: None,
        };
        assert_eq!(bad.validated().unwrap_err().field, "region");
    }
}
