//! Risk tiers (风险分层): high / medium / low, the level of follow-up intensity a patient needs.
//! A tier is set with its reasons by a clinician reviewing results (and, once the risk models
//! land, proposed from them); every assessment is kept, the latest is the patient's current
//! tier. Tiered protocols (检后随访) plan different steps for each tier.

use crate::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    High,
    Medium,
    Low,
}

/// Longest reason text kept for one assessment.
pub const MAX_REASON_CHARS: usize = 500;

impl RiskTier {
    pub const ALL: [RiskTier; 3] = [RiskTier::High, RiskTier::Medium, RiskTier::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::High => "high",
            RiskTier::Medium => "medium",
            RiskTier::Low => "low",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RiskTier::High => "高危",
            RiskTier::Medium => "中危",
            RiskTier::Low => "低危",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RiskTier::High => "High risk",
            RiskTier::Medium => "Medium risk",
            RiskTier::Low => "Low risk",
        }
    }

    /// A stored or submitted tier; `field` names the input in the error.
    pub fn parse(raw: &str, field: &str) -> Result<RiskTier, FieldError> {
        RiskTier::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "risk_tier_invalid",
                    "risk tier must be one of high, medium, low",
                    "风险分层应为高危、中危或低危",
                )
            })
    }
}

/// A clinician's assessment as submitted: the tier and why (required, so the next person can
/// see what it rests on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub tier: RiskTier,
    pub reason: String,
}

impl Assessment {
    pub fn parse(tier: &str, reason: &str) -> Result<Assessment, FieldError> {
        let tier = RiskTier::parse(tier, "tier")?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new(
                "reason",
                "required",
                "say why the patient is in this tier (e.g. the abnormal results)",
                "请填写分层依据（如异常结果）",
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(FieldError::new(
                "reason",
                "too_long",
                format!("at most {MAX_REASON_CHARS} characters"),
                format!("分层依据最多{MAX_REASON_CHARS}字"),
            ));
        }
        Ok(Assessment {
            tier,
            reason: reason.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_round_trip_and_unknown_ones_are_refused() {
        for t in RiskTier::ALL {
            assert_eq!(RiskTier::parse(t.as_str(), "tier").unwrap(), t);
        }
        assert_eq!(RiskTier::parse(" high ", "tier").unwrap(), RiskTier::High);
        let e = RiskTier::parse("severe", "risk_tier").unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("risk_tier", "risk_tier_invalid"));
    }

    #[test]
    fn an_assessment_needs_a_reason_of_bounded_length() {
        let a = Assessment::parse("medium", "  空腹血糖 6.5 mmol/L ").unwrap();
        assert_eq!((a.tier, a.reason.as_str()), (RiskTier::Medium, "空腹血糖 6.5 mmol/L"));
        assert_eq!(Assessment::parse("high", " ").unwrap_err().field, "reason");
        let long = "高".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(Assessment::parse("high", &long).unwrap_err().code, "too_long");
        assert!(Assessment::parse("high", &"高".repeat(MAX_REASON_CHARS)).is_ok());
    }
}
