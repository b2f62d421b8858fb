//! Sex (性别) as recorded: parsed from the codes and words forms and hospital systems use.

use crate::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "male" | "男" | "M" | "m" => Ok(Sex::Male),
            "female" | "女" | "F" | "f" => Ok(Sex::Female),
            _ => Err(FieldError::new(
                "sex",
                "sex_invalid",
                "sex must be male or female",
                "性别应为男或女",
            )),
        }
    }
}
