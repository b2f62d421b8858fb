//! Card numbers (卡号): a 9-digit sequence followed by a Luhn check digit, so that a digit typed
//! wrong at the registration desk is caught instead of opening another patient's file.

/// The card number for the `seq`-th enrolment (1-based).
pub fn card_number(seq: u64) -> String {
    let body = format!("{seq:09}");
    format!("{body}{}", luhn_digit(&body))
}

/// Whether `s` is a well-formed card number.
pub fn is_valid(s: &str) -> bool {
    s.len() >= 2
        && s.bytes().all(|b| b.is_ascii_digit())
        && luhn_digit(&s[..s.len() - 1]) == char::from(s.as_bytes()[s.len() - 1])
}

fn luhn_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_the_textbook_example() {
        // 7992739871 → check digit 3 (the standard Luhn worked example).
        assert_eq!(luhn_digit("7992739871"), '3');
    }

    #[test]
    fn card_numbers_are_ten_digits_and_validate() {
        let c = card_number(42);
        assert_eq!(c.len(), 10);
        assert!(c.starts_with("000000042"));
        assert!(is_valid(&c));
        let mut typo = c.clone().into_bytes();
        typo[8] = if typo[8] == b'9' { b'8' } else { typo[8] + 1 };
        assert!(!is_valid(std::str::from_utf8(&typo).unwrap()));
    }
}
