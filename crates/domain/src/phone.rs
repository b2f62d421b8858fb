//! Mainland China mobile numbers: 11 digits starting with 1 and a second digit 3–9, optionally
//! written with a +86 / 0086 prefix, spaces or dashes, which are removed.

use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "phone")
    }

    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let mut digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        if let Some(rest) = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")) {
            digits = rest.to_string();
        }
        let valid = digits.len() == 11
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.starts_with('1')
            && matches!(digits.as_bytes()[1], b'3'..=b'9');
        if valid {
            Ok(PhoneNumber(digits))
        } else {
            Err(FieldError::new(
                field,
                "phone_format",
                "mobile number must be 11 digits starting with 13–19",
                "手机号码应为以13–19开头的11位数字",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_written_forms() {
        for raw in ["13812345678", "+86 138-1234-5678", "0086 13812345678"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), "13812345678");
        }
    }

    #[test]
    fn rejects_landlines_short_numbers_and_bad_prefixes() {
        for raw in ["010-12345678", "1381234567", "12812345678", "1381234567a", ""] {
            assert_eq!(PhoneNumber::parse(raw).unwrap_err().code, "phone_format", "{raw}");
        }
    }
}
