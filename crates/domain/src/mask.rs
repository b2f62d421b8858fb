//! Masking of identifiers for lists and exports: lists show enough to recognise a patient, the
//! full value only appears on the detail view (PIPL: minimum necessary display).

/// `110101199003071234` → `110101********1234`.
pub fn id_number(id: &str) -> String {
    mask_middle(id, 6, 4)
}

/// `13812345678` → `138****5678`.
pub fn phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

/// Keep `head` leading and `tail` trailing characters; hide the rest with `*`.
fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_as_the_issue_shows() {
        assert_eq!(super::id_number("110101199003071234"), "110101********1234");
        assert_eq!(super::phone("13812345678"), "138****5678");
    }

    #[test]
    fn short_values_are_hidden_entirely() {
        assert_eq!(super::phone("1234"), "****");
    }
}
