//! Pinyin search keys. Nurses search patients by pinyin initials (`zsf` finds 张三丰) because
//! typing them is faster than switching the input method.

use pinyin::ToPinyin;

/// Lowercase pinyin initials of a name: one letter per Chinese character, ASCII letters and
/// digits kept as they are (lowercased), everything else dropped. Polyphonic characters take
/// their most common reading.
pub fn pinyin_initials(name: &str) -> String {
    name.chars()
        .zip(name.to_pinyin())
        .filter_map(|(c, py)| match py {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

/// Full toneless pinyin, lowercase and without separators (`zhangsanfeng`).
pub fn pinyin_full(name: &str) -> String {
    name.chars()
        .zip(name.to_pinyin())
        .filter_map(|(c, py)| match py {
            Some(p) => Some(p.plain().to_string()),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase().to_string()),
            None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_common_names() {
        assert_eq!(pinyin_initials("张三丰"), "zsf");
        assert_eq!(pinyin_initials("欧阳娜娜"), "oynn");
        assert_eq!(pinyin_initials("李 A2"), "la2");
    }

    #[test]
    fn full_pinyin_without_tones() {
        assert_eq!(pinyin_full("王芳"), "wangfang");
    }
}
