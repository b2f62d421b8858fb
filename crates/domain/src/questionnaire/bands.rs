//! Score bands an imported questionnaire declares for its total (PHQ-9 and GAD-7 carry their
//! published bands in `instrument`). FHIR R4 has no standard element for them, so CareLoop reads
//! a complex extension on the Questionnaire, one per band:
//!
//! ```json
//! {"url": "urn:careloop:fhir:score-band", "extension": [
//!   {"url": "code", "valueCode": "high"}, {"url": "low", "valueDecimal": 10},
//!   {"url": "high", "valueDecimal": 15}, {"url": "label", "valueString": "风险较高"},
//!   {"url": "advice", "valueString": "请近期到门诊复查。"}, {"url": "alert", "valueCode": "mild"}]}
//! ```
//!
//! `advice` (plain words for the patient's result page) and `alert` (`mild`: the nurse within
//! three days; `severe`: the doctor within the hour) are optional. Bands may not overlap.

use crate::FieldError;
use serde_json::Value;

pub const BAND_EXTENSION: &str = "urn:careloop:fhir:score-band";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandAlert {
    Mild,
    Severe,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredBand {
    pub code: String,
    pub low: f64,
    pub high: f64,
    pub label: String,
    pub advice: Option<String>,
    pub alert: Option<BandAlert>,
}

fn invalid(path: String, message: &str, zh: &str) -> FieldError {
    FieldError::new(path, "score_band_invalid", message, zh)
}

/// The bands declared on a Questionnaire resource, lowest first; an error names the extension.
pub fn declared(resource: &Value) -> Result<Vec<DeclaredBand>, FieldError> {
    let mut bands: Vec<(usize, DeclaredBand)> = Vec::new();
    let exts = resource
        .get("extension")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, ext) in exts.iter().enumerate() {
        if ext.get("url").and_then(Value::as_str) != Some(BAND_EXTENSION) {
            continue;
        }
        let path = format!("extension[{i}]");
        let part = |name: &str| {
            ext.get("extension")
                .and_then(Value::as_array)
                .and_then(|parts| {
                    parts
                        .iter()
                        .find(|p| p.get("url").and_then(Value::as_str) == Some(name))
                })
                .cloned()
        };
        let text = |name: &str, key: &str| {
            part(name).and_then(|p| p.get(key).and_then(Value::as_str).map(str::trim).map(str::to_string))
        };
        let number = |name: &str| {
            part(name).and_then(|p| {
                ["valueDecimal", "valueInteger"]
                    .iter()
                    .find_map(|k| p.get(*k).and_then(Value::as_f64))
            })
        };
        let (Some(code), Some(low), Some(high), Some(label)) = (
            text("code", "valueCode").filter(|c| !c.is_empty()),
            number("low"),
            number("high"),
            text("label", "valueString").filter(|l| !l.is_empty()),
        ) else {
            return Err(invalid(
                path,
                "a score band needs code, low, high and label",
                "分数段需要 code、low、high 和 label",
            ));
        };
        if low > high {
            return Err(invalid(
                path,
                "a score band's low is above its high",
                "分数段下限高于上限",
            ));
        }
        let alert = match text("alert", "valueCode").as_deref() {
            None => None,
            Some("mild") => Some(BandAlert::Mild),
            Some("severe") => Some(BandAlert::Severe),
            Some(_) => {
                return Err(invalid(
                    path,
                    "alert must be mild or severe",
                    "预警级别应为 mild 或 severe",
                ));
            }
        };
        let advice = text("advice", "valueString").filter(|a| !a.is_empty());
        bands.push((
            i,
            DeclaredBand {
                code,
                low,
                high,
                label,
                advice,
                alert,
            },
        ));
    }
    bands.sort_by(|a, b| a.1.low.total_cmp(&b.1.low));
    for pair in bands.windows(2) {
        if pair[1].1.low <= pair[0].1.high {
            return Err(invalid(
                format!("extension[{}]", pair[1].0),
                "score bands overlap",
                "分数段重叠",
            ));
        }
    }
    Ok(bands.into_iter().map(|(_, b)| b).collect())
}

/// The band a total falls in, if any.
pub fn band_of(bands: &[DeclaredBand], score: f64) -> Option<&DeclaredBand> {
    bands.iter().find(|b| b.low <= score && score <= b.high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ext(code: &str, low: f64, high: f64, alert: Option<&str>) -> Value {
        let mut parts = vec![
            json!({"url": "code", "valueCode": code}),
            json!({"url": "low", "valueDecimal": low}),
            json!({"url": "high", "valueInteger": high as i64}),
            json!({"url": "label", "valueString": format!("{code}档")}),
        ];
        if let Some(a) = alert {
            parts.push(json!({"url": "alert", "valueCode": a}));
        }
        json!({"url": BAND_EXTENSION, "extension": parts})
    }

    #[test]
    fn bands_are_read_sorted_and_a_total_finds_its_band_at_the_edges() {
        let q = json!({"extension": [ext("high", 8.0, 12.0, Some("severe")), {"url": "other"}, ext("low", 0.0, 7.0, None)]});
        let bands = declared(&q).unwrap();
        assert_eq!(
            bands.iter().map(|b| b.code.as_str()).collect::<Vec<_>>(),
            ["low", "high"]
        );
        assert_eq!(band_of(&bands, 7.0).map(|b| b.code.as_str()), Some("low"));
        assert_eq!(band_of(&bands, 8.0).map(|b| b.code.as_str()), Some("high"));
        assert_eq!(band_of(&bands, 12.0).and_then(|b| b.alert), Some(BandAlert::Severe));
        assert_eq!(band_of(&bands, 13.0), None);
        assert_eq!(declared(&json!({})).unwrap(), []);
    }

    #[test]
    fn overlapping_incomplete_or_inverted_bands_are_refused_with_their_place() {
        let overlap = json!({"extension": [ext("a", 0.0, 5.0, None), ext("b", 5.0, 9.0, None)]});
        assert_eq!(declared(&overlap).unwrap_err().field, "extension[1]");
        let inverted = json!({"extension": [ext("a", 6.0, 5.0, None)]});
        assert_eq!(declared(&inverted).unwrap_err().field, "extension[0]");
        let missing = json!({"extension": [{"url": BAND_EXTENSION, "extension": [{"url": "code", "valueCode": "a"}]}]});
        assert_eq!(declared(&missing).unwrap_err().code, "score_band_invalid");
        let bad_alert = json!({"extension": [ext("a", 0.0, 5.0, Some("urgent"))]});
        assert!(declared(&bad_alert).is_err());
    }
}
