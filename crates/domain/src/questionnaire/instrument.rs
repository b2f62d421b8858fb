//! Scored instruments CareLoop recognises, with their published bands and rules.
//!
//! - PHQ-9: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
//!   severity measure. J Gen Intern Med 2001;16(9):606–613. Total 0–27; 0–4 none–minimal,
//!   5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe. Item 9 (thoughts of being
//!   better off dead or of self-harm) is read on its own: any answer above 0 needs a clinician
//!   now, whatever the total.
//! - GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing
//!   generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092–1097. Total
//!   0–21; 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.
//!
//! An imported questionnaire is recognised by its LOINC codes (the panel code on the
//! questionnaire, or the total-score code on an item, as the HL7 SDC PHQ-9 example has it).

use super::enable::Answers;
use super::{ItemType, Questionnaire};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instrument {
    Phq9,
    Gad7,
}

/// A score band: `low..=high` of the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub code: &'static str,
    pub low: f64,
    pub high: f64,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

const PHQ9_BANDS: [Band; 5] = [
    band("none_minimal", 0.0, 4.0, "无或极轻微抑郁", "none–minimal"),
    band("mild", 5.0, 9.0, "轻度抑郁", "mild"),
    band("moderate", 10.0, 14.0, "中度抑郁", "moderate"),
    band("moderately_severe", 15.0, 19.0, "中重度抑郁", "moderately severe"),
    band("severe", 20.0, 27.0, "重度抑郁", "severe"),
];

const GAD7_BANDS: [Band; 4] = [
    band("minimal", 0.0, 4.0, "无或极轻微焦虑", "minimal"),
    band("mild", 5.0, 9.0, "轻度焦虑", "mild"),
    band("moderate", 10.0, 14.0, "中度焦虑", "moderate"),
    band("severe", 15.0, 21.0, "重度焦虑", "severe"),
];

const fn band(code: &'static str, low: f64, high: f64, label_zh: &'static str, label_en: &'static str) -> Band {
    Band {
        code,
        low,
        high,
        label_zh,
        label_en,
    }
}

const LOINC: &str = "http://loinc.org";
/// PHQ-9 item 9, "Thoughts that you would be better off dead, or of hurting yourself".
const PHQ9_ITEM9: &str = "44260-8";

impl Instrument {
    /// The instrument `q` is, if CareLoop knows it.
    pub fn of(q: &Questionnaire) -> Option<Instrument> {
        let has = |code: &str| q.has_code(&format!("{LOINC}|{code}"));
        if has("44249-1") || has("44261-6") {
            Some(Instrument::Phq9)
        } else if has("69737-5") || has("70274-6") {
            Some(Instrument::Gad7)
        } else {
            None
        }
    }

    pub fn bands(self) -> &'static [Band] {
        match self {
            Instrument::Phq9 => &PHQ9_BANDS,
            Instrument::Gad7 => &GAD7_BANDS,
        }
    }

    pub fn band(self, score: f64) -> Option<&'static Band> {
        self.bands().iter().find(|b| score >= b.low && score <= b.high)
    }

    /// The question whose answer above 0 needs a clinician at once, whatever the total: PHQ-9
    /// item 9, the item coded LOINC 44260-8, or else the ninth scored question (the
    /// instrument's order is fixed; the SDC example carries no item codes).
    pub fn urgent_item(self, q: &Questionnaire) -> Option<&super::Item> {
        if self != Instrument::Phq9 {
            return None;
        }
        let scored: Vec<_> = q
            .all_items()
            .into_iter()
            .filter(|i| matches!(i.kind, ItemType::Choice | ItemType::OpenChoice))
            .filter(|i| i.options.iter().any(|o| o.score.is_some()))
            .collect();
        let coded = format!("{LOINC}|{PHQ9_ITEM9}");
        scored
            .iter()
            .find(|i| i.codes.contains(&coded))
            .or_else(|| scored.get(8))
            .copied()
    }

    /// Why the response needs a clinician at once: its urgent item answered above 0.
    pub fn urgent_reason(self, q: &Questionnaire, answers: &Answers) -> Option<&'static str> {
        let item9 = self.urgent_item(q)?;
        let above_zero = answers.get(&item9.link_id).into_iter().flatten().any(|a| {
            item9
                .options
                .iter()
                .find(|o| a.same_as(&o.value))
                .and_then(|o| o.score)
                .is_some_and(|s| s > 0.0)
        });
        above_zero.then_some("PHQ-9 第9题（轻生或自伤念头）回答大于0，请立即评估自伤风险")
    }
}
