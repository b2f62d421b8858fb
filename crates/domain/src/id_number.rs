//! 居民身份证号码 (resident identity card number) as defined by GB 11643-1999: a 6-digit address
//! code, an 8-digit birth date, a 3-digit sequence whose last digit is odd for men and even for
//! women, and a check digit computed with ISO 7064:1983 MOD 11-2.

use crate::FieldError;
use crate::sex::Sex;
use time::{Date, Month};

/// A valid 18-character resident ID number (the final `x` is normalised to `X`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Weights of the first 17 digits, 2^(i) mod 11 for positions 18..2 (GB 11643-1999 §7.2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check digit for the first 17 digits, or `None` if they are not 17 ASCII digits.
pub fn check_digit(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const F: &str = "id_number";
        let s = raw.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(FieldError::new(
                F,
                "id_number_length",
                "ID number must have 18 characters (GB 11643)",
                "身份证号码应为18位",
            ));
        }
        let (body, last) = s.split_at(17);
        let expected = check_digit(body).ok_or_else(|| {
            FieldError::new(
                F,
                "id_number_format",
                "the first 17 characters of the ID number must be digits",
                "身份证号码前17位应为数字",
            )
        })?;
        if !matches!(body.as_bytes()[0], b'1'..=b'9') {
            return Err(FieldError::new(
                F,
                "id_number_region",
                "ID number has an invalid address code",
                "身份证号码地址码无效",
            ));
        }
        if !last.starts_with(expected) {
            return Err(FieldError::new(
                F,
                "id_number_checksum",
                "ID number check digit is wrong (GB 11643 MOD 11-2)",
                "身份证号码校验位错误",
            ));
        }
        let id = IdNumber(s);
        if id.birth_date().is_none() {
            return Err(FieldError::new(
                F,
                "id_number_birth_date",
                "ID number contains an impossible birth date",
                "身份证号码中的出生日期无效",
            ));
        }
        Ok(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> Option<Date> {
        let d = &self.0[6..14];
        let year: i32 = d[0..4].parse().ok()?;
        let month: u8 = d[4..6].parse().ok()?;
        let day: u8 = d[6..8].parse().ok()?;
        if !(1900..=2100).contains(&year) {
            return None;
        }
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
    }

    /// Sex from the parity of digit 17: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 11010519491231002X is the worked example printed in GB 11643-1999 appendix; the others
    // are built from it by changing the sequence and recomputing the check digit.
    #[test]
    fn the_standard_example_number_is_valid_and_female() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            Some(Date::from_calendar_date(1949, Month::December, 31).unwrap())
        );
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn check_digit_matches_the_standard_example() {
        assert_eq!(check_digit("11010519491231002"), Some('X'));
        // The standard's second example, 440524188001010014 (born 1880-01-01).
        assert_eq!(check_digit("44052418800101001"), Some('4'));
    }

    #[test]
    fn a_wrong_check_digit_is_rejected_with_its_own_code() {
        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(e.code, "id_number_checksum");
        assert_eq!(e.field, "id_number");
    }

    #[test]
    fn an_impossible_birth_date_is_rejected() {
        let body = "11010519490231001"; // 31 February
        let id = format!("{body}{}", check_digit(body).unwrap());
        assert_eq!(IdNumber::parse(&id).unwrap_err().code, "id_number_birth_date");
    }

    #[test]
    fn short_and_non_numeric_numbers_are_rejected() {
        assert_eq!(IdNumber::parse("110105194912310").unwrap_err().code, "id_number_length");
        assert_eq!(
            IdNumber::parse("11010519491231A02X").unwrap_err().code,
            "id_number_format"
        );
    }

    #[test]
    fn odd_sequence_digit_means_male() {
        let body = "44030419900101001";
        let id = IdNumber::parse(&format!("{body}{}", check_digit(body).unwrap())).unwrap();
        assert_eq!(id.sex(), Sex::Male);
    }
}
