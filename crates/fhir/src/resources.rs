//! The subset of FHIR R4 resources CareLoop reads, as serde types. Unknown elements are
//! ignored (senders add extensions freely); only what the mapping uses is declared.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

impl CodeableConcept {
    /// Text to show for this concept: its text, else the first display, else the first code.
    pub fn label(&self) -> String {
        self.text
            .clone()
            .or_else(|| self.coding.iter().find_map(|c| c.display.clone()))
            .or_else(|| self.coding.iter().find_map(|c| c.code.clone()))
            .unwrap_or_default()
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.as_deref() == Some(code))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Reference {
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Quantity {
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: Option<CodeableConcept>,
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HumanName {
    #[serde(rename = "use")]
    pub usage: Option<String>,
    pub text: Option<String>,
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactPoint {
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Address {
    pub text: Option<String>,
    #[serde(default)]
    pub line: Vec<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    pub id: Option<String>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    #[serde(default)]
    pub address: Vec<Address>,
    pub deceased_boolean: Option<bool>,
    pub deceased_date_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Period {
    pub start: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    #[serde(default)]
    pub code: CodeableConcept,
    pub value_quantity: Option<Quantity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub id: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub code: CodeableConcept,
    pub subject: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub issued: Option<String>,
    pub value_quantity: Option<Quantity>,
    #[serde(default)]
    pub component: Vec<Component>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub id: Option<String>,
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: Option<CodeableConcept>,
    #[serde(default)]
    pub code: CodeableConcept,
    pub subject: Option<Reference>,
    pub onset_date_time: Option<String>,
    pub recorded_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticReport {
    pub id: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub code: CodeableConcept,
    pub subject: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub issued: Option<String>,
    #[serde(default)]
    pub result: Vec<Reference>,
}

/// What every resource starts with: enough to pick its type before reading it whole.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    pub resource_type: Option<String>,
    pub id: Option<String>,
}
